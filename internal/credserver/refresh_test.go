package credserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
)

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the logged lines that contain s, failing the test on any line that
// holds something the fake hands out as a secret.
func (b *syncBuffer) lines(t *testing.T, s string) []string {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	noSecrets(t, b.buf.Bytes())
	var out []string
	for line := range strings.Lines(b.buf.String()) {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

func debugLogger(w *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// clock is a settable time for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// The tests of the schedule run in a synctest bubble: time there moves only when every
// goroutine waits, so a refresh never comes late because the machine is busy, and seconds of
// credential lifetimes pass at once.

func TestRefreshKeepsHalfTheLifetime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Credentials live 2–3s, so half their lifetime (at least 1s) is the margin, not 20m.
		f := &fakeSTS{life: 3 * time.Second}
		logs := &syncBuffer{}
		s, c := startInMemory(t, f.options(Options{Log: debugLogger(logs), Margin: 20 * time.Minute, RetryMin: 10 * time.Millisecond}))
		const tolerance = 100 * time.Millisecond
		keys := map[string]bool{}
		for end := time.Now().Add(6 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
			got, exp := getCreds(t, c, s)
			if left := time.Until(exp); left < time.Second-tolerance {
				t.Fatalf("served %s with %v left, want at least 1s", got.AccessKeyID, left)
			}
			keys[got.AccessKeyID] = true
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		calls, _ := f.counts()
		if calls < 5 {
			t.Errorf("Retrieve called %d times in 6s, want a refresh about every second", calls)
		}
		if len(keys) < calls-1 {
			t.Errorf("served %d different credentials from %d fetches", len(keys), calls)
		}
		if n := len(logs.lines(t, "credentials refreshed")); n != calls-1 {
			t.Errorf("%d refresh log lines for %d refreshes", n, calls-1)
		}
	})
}

func TestRefreshFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const reason = "operation error STS: AssumeRole, api error Throttling: Rate exceeded"
		const retryMin = 20 * time.Millisecond
		f := &fakeSTS{life: 3 * time.Second}
		logs := &syncBuffer{}
		s, c := startInMemory(t, f.options(Options{Log: debugLogger(logs), RetryMin: retryMin, RetryMax: 200 * time.Millisecond}))

		first, exp := getCreds(t, c, s)
		failStart := time.Now()
		f.setErr(errors.New(reason))
		insideMargin := 0
		for {
			sent := time.Now()
			r := call(t, c, http.MethodGet, s.URL(), s.Token(), "")
			if r.status == http.StatusServiceUnavailable {
				if msg := errorBody(t, r, http.StatusServiceUnavailable, "CredentialsExpired"); msg != reason {
					t.Errorf("503 message %q, want %q", msg, reason)
				}
				if time.Now().Before(exp) {
					t.Errorf("503 at %v before the credentials expired at %v", time.Now(), exp)
				}
				break
			}
			if sent.After(exp) {
				t.Fatalf("status %d for a request sent after the credentials expired", r.status)
			}
			got, gotExp, err := decode(r)
			if err != nil {
				t.Fatal(err)
			}
			if got.AccessKeyID != first.AccessKeyID || !gotExp.Equal(exp) {
				t.Fatalf("served %s expiring %v while refreshes fail, want the first credentials", got.AccessKeyID, gotExp)
			}
			if time.Until(exp) < time.Second {
				insideMargin++
			}
			time.Sleep(10 * time.Millisecond)
		}
		failing := time.Since(failStart)
		_, failures := f.counts()
		if insideMargin == 0 {
			t.Error("no credentials served inside the margin while refreshes failed")
		}
		if failures < 3 || failures > int(failing/retryMin)+1 {
			t.Errorf("%d failed refreshes in %v, want backoff retries at least %v apart", failures, failing, retryMin)
		}

		f.setErr(nil)
		deadline := time.Now().Add(2 * time.Second)
		for {
			got, _, err := fetchCreds(c, s)
			if err == nil && got.AccessKeyID != first.AccessKeyID {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no fresh credentials 2s after Retrieve recovered: %v", err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		_, failures = f.counts()
		lines := logs.lines(t, "credential refresh failed")
		if len(lines) != failures {
			t.Errorf("%d failure log lines for %d failures", len(lines), failures)
		}
		for _, line := range lines {
			if !strings.Contains(line, "level=WARN") || !strings.Contains(line, "Rate exceeded") {
				t.Errorf("log line %q is not a warning with the reason", line)
			}
		}
	})
}

// TestRequestAwaitsRefresh drives the schedule with a fake clock: the background
// refresher's timers are then far away, so every refresh here is one a request triggered.
// In the bubble a request waits for the refresh it triggered however slow the machine is,
// where a real half-second wait could run out first.
func TestRequestAwaitsRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const reason = "operation error STS: AssumeRole, connection refused"
		t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		clk := &clock{t: t0}
		f := &fakeSTS{now: clk.Now, life: time.Hour}
		// The first credentials (expiring at t0+1h) are fresh until t0+40m and refreshed
		// from t0+31m to t0+37m; failed refreshes are retried 10m later.
		s, c := startInMemory(t, f.options(Options{RetryMin: 10 * time.Minute, RetryMax: 10 * time.Minute}))
		steps := []struct {
			name    string
			at      time.Duration
			err     error
			status  int
			expires time.Duration // of the served credentials
			calls   int           // of Retrieve so far
		}{
			{"fresh", 30 * time.Minute, nil, 200, time.Hour, 1},
			{"inside the margin", 45 * time.Minute, nil, 200, 105 * time.Minute, 2},
			{"refresh fails inside the margin", 90 * time.Minute, errors.New(reason), 200, 105 * time.Minute, 3},
			{"backing off", 90 * time.Minute, errors.New(reason), 200, 105 * time.Minute, 3},
			{"retry fails", 101 * time.Minute, errors.New(reason), 200, 105 * time.Minute, 4},
			{"expired while backing off", 106 * time.Minute, errors.New(reason), 503, 0, 4},
			{"recovered", 112 * time.Minute, nil, 200, 172 * time.Minute, 5},
		}
		for _, st := range steps {
			f.setErr(st.err)
			clk.Set(t0.Add(st.at))
			r := call(t, c, http.MethodGet, s.URL(), s.Token(), "")
			if st.status == 200 {
				_, exp, err := decode(r)
				if want := t0.Add(st.expires); err != nil || !exp.Equal(want) {
					t.Errorf("%s: expiry %v, %v; want %v", st.name, exp, err, want)
				}
			} else if msg := errorBody(t, r, st.status, "CredentialsExpired"); msg != reason {
				t.Errorf("%s: message %q, want %q", st.name, msg, reason)
			}
			if calls, _ := f.counts(); calls != st.calls {
				t.Errorf("%s: Retrieve called %d times, want %d", st.name, calls, st.calls)
			}
			if st.status == 503 {
				// The Go SDK reports the reason too.
				_, err := endpointcreds.New(s.URL(), func(o *endpointcreds.Options) {
					o.AuthorizationToken = s.Token()
					o.HTTPClient = c
					o.Retryer = aws.NopRetryer{}
				}).Retrieve(t.Context())
				if err == nil || !strings.Contains(err.Error(), "CredentialsExpired: "+reason) {
					t.Errorf("%s: endpointcreds error %v", st.name, err)
				}
			}
		}
	})
}

func TestSchedule(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		life, margin, wantMargin time.Duration
	}{
		{12 * time.Hour, 20 * time.Minute, 20 * time.Minute},
		{time.Hour, 20 * time.Minute, 20 * time.Minute},
		{time.Hour, 5 * time.Minute, 5 * time.Minute},
		{30 * time.Minute, 20 * time.Minute, 15 * time.Minute},
		{15 * time.Minute, 20 * time.Minute, 450 * time.Second},
		{2 * time.Second, 20 * time.Minute, time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("life %v margin %v", tt.life, tt.margin), func(t *testing.T) {
			o, err := Options{Credentials: aws.CredentialsProviderFunc(fetchNothing), Margin: tt.margin, RetryMin: time.Millisecond}.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			expires := now.Add(tt.life)
			for range 100 {
				r := newRefresher(o)
				if err := r.accept(aws.Credentials{AccessKeyID: "A", SecretAccessKey: "S", CanExpire: true, Expires: expires}, now); err != nil {
					t.Fatal(err)
				}
				if want := expires.Add(-tt.wantMargin); !r.freshTil.Equal(want) {
					t.Fatalf("fresh until %v, want %v", r.freshTil, want)
				}
				if lead := r.freshTil.Sub(r.next); lead < tt.life/20 || lead > tt.life*3/20 {
					t.Fatalf("refresh due %v before the margin, want 5–15%% of %v", lead, tt.life)
				}
			}
		})
	}
}

func fetchNothing(context.Context) (aws.Credentials, error) {
	return aws.Credentials{}, errors.New("not called")
}

func TestAcceptRejectsOlderCredentials(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	o, err := Options{Credentials: aws.CredentialsProviderFunc(fetchNothing)}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	r := newRefresher(o)
	creds := aws.Credentials{AccessKeyID: "A", SecretAccessKey: "S", CanExpire: true, Expires: now.Add(time.Hour)}
	if err := r.accept(creds, now); err != nil {
		t.Fatal(err)
	}
	creds.AccessKeyID = "B"
	if err := r.accept(creds, now.Add(time.Minute)); err == nil || !strings.Contains(err.Error(), "no later than") {
		t.Errorf("accept of credentials expiring at the same time: %v", err)
	}
	if r.creds.AccessKeyID != "A" {
		t.Errorf("serving %s after a rejected refresh", r.creds.AccessKeyID)
	}
}

func TestRetryDelay(t *testing.T) {
	tests := []struct{ min, max time.Duration }{
		{time.Second, time.Minute},
		{20 * time.Millisecond, 200 * time.Millisecond},
		{time.Second, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.min.String()+"-"+tt.max.String(), func(t *testing.T) {
			o, err := Options{Credentials: aws.CredentialsProviderFunc(fetchNothing), RetryMin: tt.min, RetryMax: tt.max}.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			r := newRefresher(o)
			for attempt := range 20 {
				seen := map[time.Duration]bool{}
				for range 50 {
					d := r.retryDelay(attempt, errors.New("throttled"))
					if d < tt.min || d > tt.max {
						t.Fatalf("attempt %d: delay %v outside [%v, %v]", attempt, d, tt.min, tt.max)
					}
					if attempt == 0 && d >= 2*tt.min && tt.max > tt.min {
						t.Fatalf("first delay %v, want less than %v", d, 2*tt.min)
					}
					seen[d] = true
				}
				if attempt == 2 && tt.max >= 4*tt.min && len(seen) < 10 {
					t.Errorf("attempt 2: only %d different delays in 50, want jitter", len(seen))
				}
				if attempt == 19 && (len(seen) != 1 || !seen[tt.max]) {
					t.Errorf("attempt 19: delays %v, want only %v", seen, tt.max)
				}
			}
		})
	}
}
