package credserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
)

// fakeSTS hands out numbered credentials that expire life after the current whole
// second, so that the protocol's whole-second Expiration is exact; or fails with err.
type fakeSTS struct {
	now  func() time.Time
	life time.Duration

	mu       sync.Mutex
	err      error
	calls    int
	failures int
}

func (f *fakeSTS) fetch(context.Context) (aws.Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		f.failures++
		return aws.Credentials{}, f.err
	}
	n := f.calls
	return aws.Credentials{
		AccessKeyID:     fmt.Sprintf("ASIAFAKE%08d", n),
		SecretAccessKey: fmt.Sprintf("secret-%d", n),
		SessionToken:    fmt.Sprintf("token-%d", n),
		CanExpire:       true,
		Expires:         f.now().Truncate(time.Second).Add(f.life),
		AccountID:       "111111111111",
	}, nil
}

func (f *fakeSTS) setErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *fakeSTS) counts() (calls, failures int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.failures
}

// noSecrets fails the test when body holds anything the fake hands out.
func noSecrets(t *testing.T, body []byte) {
	t.Helper()
	for _, s := range []string{"ASIAFAKE", "secret-", "token-"} {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("body %s contains %q", body, s)
		}
	}
}

// options makes f the credentials provider of o, and f's clock its Now unless o has one; f's clock is
// time.Now and its credentials live an hour unless set.
func (f *fakeSTS) options(o Options) Options {
	if f.now == nil {
		f.now = time.Now
	}
	if f.life == 0 {
		f.life = time.Hour
	}
	o.Credentials = aws.CredentialsProviderFunc(f.fetch)
	if o.Now == nil {
		o.Now = f.now
	}
	return o
}

// start starts a server on f (see options) and closes it at the end of the test.
func start(t *testing.T, f *fakeSTS, o Options) *Server {
	t.Helper()
	s, err := Start(t.Context(), f.options(o))
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func newClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// do sends method to rawURL with the token (when not empty) and Host header (when not
// empty). It is safe to call from any goroutine.
func do(c *http.Client, method, rawURL, token, host string) (reply, error) {
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		return reply{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := c.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, fmt.Errorf("read body: %w", err)
	}
	return reply{resp.StatusCode, resp.Header, body}, nil
}

func call(t *testing.T, c *http.Client, method, rawURL, token, host string) reply {
	t.Helper()
	r, err := do(c, method, rawURL, token, host)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	return r
}

// fetchCreds GETs the credentials and decodes a 200 answer; it returns their expiry.
// It is safe to call from any goroutine.
func fetchCreds(c *http.Client, s *Server) (response, time.Time, error) {
	r, err := do(c, http.MethodGet, s.URL(), s.Token(), "")
	if err != nil {
		return response{}, time.Time{}, err
	}
	return decode(r)
}

// decode decodes a 200 answer and returns the credentials and their expiry.
func decode(r reply) (response, time.Time, error) {
	if r.status != http.StatusOK {
		return response{}, time.Time{}, fmt.Errorf("status %d, body %s", r.status, r.body)
	}
	var got response
	if err := json.Unmarshal(r.body, &got); err != nil {
		return response{}, time.Time{}, fmt.Errorf("decode %s: %w", r.body, err)
	}
	exp, err := time.Parse(time.RFC3339, got.Expiration)
	if err != nil {
		return response{}, time.Time{}, fmt.Errorf("expiration: %w", err)
	}
	return got, exp, nil
}

func getCreds(t testing.TB, c *http.Client, s *Server) (response, time.Time) {
	t.Helper()
	got, exp, err := fetchCreds(c, s)
	if err != nil {
		t.Fatalf("GET credentials: %v", err)
	}
	return got, exp
}

// errorBody checks that r is a JSON error with code and returns its message.
func errorBody(t *testing.T, r reply, status int, code string) string {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d (body %s)", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("decode error body %s: %v", r.body, err)
	}
	if e.Code != code || e.Message == "" {
		t.Errorf("error body %s, want code %q and a message", r.body, code)
	}
	noSecrets(t, r.body)
	return e.Message
}

func TestRejects(t *testing.T) {
	s := start(t, &fakeSTS{}, Options{})
	c := newClient(t)
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	_, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	other := u.JoinPath("..", "other").String()
	tests := []struct {
		name, method, url, token, host string
		status                         int
		code                           string
	}{
		{"missing token", "GET", s.URL(), "", "", 401, "Unauthorized"},
		{"wrong token", "GET", s.URL(), strings.Repeat("0", 64), "", 403, "AccessDenied"},
		{"token prefix", "GET", s.URL(), s.Token()[:63], "", 403, "AccessDenied"},
		{"bearer token", "GET", s.URL(), "Bearer " + s.Token(), "", 403, "AccessDenied"},
		{"host localhost", "GET", s.URL(), s.Token(), "localhost:" + port, 403, "AccessDenied"},
		{"host evil", "GET", s.URL(), s.Token(), "evil.example:" + port, 403, "AccessDenied"},
		{"host other port", "GET", s.URL(), s.Token(), "127.0.0.1:1", 403, "AccessDenied"},
		{"host without port", "GET", s.URL(), s.Token(), "127.0.0.1", 403, "AccessDenied"},
		{"wrong host and no token", "GET", s.URL(), "", "evil.example:" + port, 403, "AccessDenied"},
		{"POST", "POST", s.URL(), s.Token(), "", 405, "MethodNotAllowed"},
		{"PUT", "PUT", s.URL(), s.Token(), "", 405, "MethodNotAllowed"},
		{"DELETE", "DELETE", s.URL(), s.Token(), "", 405, "MethodNotAllowed"},
		{"PATCH", "PATCH", s.URL(), s.Token(), "", 405, "MethodNotAllowed"},
		{"other path", "GET", other, s.Token(), "", 404, "NotFound"},
		{"root", "GET", u.JoinPath("/").String(), s.Token(), "", 404, "NotFound"},
		{"trailing slash", "GET", s.URL() + "/", s.Token(), "", 404, "NotFound"},
		{"other path without token", "GET", other, "", "", 401, "Unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, c, tt.method, tt.url, tt.token, tt.host)
			errorBody(t, r, tt.status, tt.code)
			if tt.status == http.StatusMethodNotAllowed && r.header.Get("Allow") != "GET" {
				t.Errorf("Allow %q, want GET", r.header.Get("Allow"))
			}
		})
	}
}

func TestServesCredentials(t *testing.T) {
	tests := []struct {
		name    string
		account string
		want    []string
	}{
		{"with account", "111111111111", []string{"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "AccountId"}},
		{"without account", "", []string{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
			first := aws.Credentials{
				AccessKeyID: "ASIAFAKE00000001", SecretAccessKey: "secret-1", SessionToken: "token-1",
				CanExpire: true, Expires: exp.Add(900 * time.Millisecond).In(time.FixedZone("X", 3600)),
				AccountID: tt.account,
			}
			s, err := Start(t.Context(), Options{
				Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return first, nil }),
				Now:         func() time.Time { return exp.Add(-time.Hour) },
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })

			r := call(t, newClient(t), "GET", s.URL(), s.Token(), "")
			if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
			}
			var fields map[string]string
			if err := json.Unmarshal(r.body, &fields); err != nil {
				t.Fatalf("decode %s: %v", r.body, err)
			}
			keys := slices.Sorted(maps.Keys(fields))
			if want := slices.Sorted(slices.Values(tt.want)); !slices.Equal(keys, want) {
				t.Errorf("keys %v, want %v", keys, want)
			}
			want := map[string]string{
				"AccessKeyId": "ASIAFAKE00000001", "SecretAccessKey": "secret-1", "Token": "token-1",
				"Expiration": "2031-05-06T07:08:09Z", // UTC, rounded down to the second
			}
			if tt.account != "" {
				want["AccountId"] = tt.account
			}
			for k, v := range want {
				if fields[k] != v {
					t.Errorf("%s = %q, want %q", k, fields[k], v)
				}
			}

			// The Go SDK's own container credentials client accepts the answer.
			got, err := endpointcreds.New(s.URL(), func(o *endpointcreds.Options) {
				o.AuthorizationToken = s.Token()
			}).Retrieve(t.Context())
			if err != nil {
				t.Fatalf("endpointcreds: %v", err)
			}
			if got.AccessKeyID != first.AccessKeyID || got.SecretAccessKey != first.SecretAccessKey ||
				got.SessionToken != first.SessionToken || got.AccountID != tt.account ||
				!got.CanExpire || !got.Expires.Equal(exp) {
				t.Errorf("endpointcreds got %+v", got)
			}
		})
	}
}

func TestStaticCredentials(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	fetches := 0
	s, err := Start(t.Context(), Options{
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			fetches++
			return aws.Credentials{AccessKeyID: "AKIAFAKE", SecretAccessKey: "secret-static"}, nil
		}),
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	got, _ := getCreds(t, newClient(t), s)
	if got.AccessKeyID != "AKIAFAKE" || got.Token != "" || got.Expiration != "2030-01-01T13:00:00Z" {
		t.Errorf("got %+v, want the static keys announced to expire in an hour", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fetches != 1 {
		t.Errorf("Retrieve called %d times, want 1", fetches)
	}
}

func TestURLAndToken(t *testing.T) {
	a := start(t, &fakeSTS{}, Options{})
	b := start(t, &fakeSTS{}, Options{})
	urlRE := regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+/rolehop/credentials$`)
	tokenRE := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, s := range []*Server{a, b} {
		if !urlRE.MatchString(s.URL()) {
			t.Errorf("URL %q", s.URL())
		}
		if !tokenRE.MatchString(s.Token()) {
			t.Errorf("Token %q is not 256 bits in hex", s.Token())
		}
	}
	if a.Token() == b.Token() || a.URL() == b.URL() {
		t.Errorf("two servers share a token or URL: %s %s", a.URL(), b.URL())
	}
}

// sockets counts this process's open sockets.
func sockets(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.HasPrefix(target, "socket:") {
			n++
		}
	}
	return n
}

func TestStartFails(t *testing.T) {
	stsDown := errors.New("operation error STS: AssumeRole, connection refused")
	now := time.Now()
	tests := []struct {
		name  string
		creds aws.Credentials
		err   error
		want  string
	}{
		{"fetch fails", aws.Credentials{}, stsDown, "connection refused"},
		{"expired", aws.Credentials{AccessKeyID: "A", SecretAccessKey: "S", CanExpire: true, Expires: now}, nil, "expired at"},
		{"no key", aws.Credentials{CanExpire: true, Expires: now.Add(time.Hour)}, nil, "no access key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before int
			if runtime.GOOS == "linux" {
				before = sockets(t)
			}
			calls := 0
			s, err := Start(t.Context(), Options{
				Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { calls++; return tt.creds, tt.err }),
				Now:         func() time.Time { return now },
			})
			if s != nil || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start = %v, %v; want nil and an error with %q", s, err, tt.want)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("error %v does not wrap the Retrieve error", err)
			}
			if calls != 1 {
				t.Errorf("Retrieve called %d times, want 1", calls)
			}
			if runtime.GOOS == "linux" {
				if after := sockets(t); after > before {
					t.Errorf("%d sockets before Start, %d after: something listens", before, after)
				}
			}
		})
	}
	t.Run("no fetch", func(t *testing.T) {
		if _, err := Start(t.Context(), Options{}); err == nil {
			t.Error("Start without a credentials provider succeeded")
		}
	})
}

func TestCloseStopsListening(t *testing.T) {
	s := start(t, &fakeSTS{}, Options{})
	getCreds(t, newClient(t), s)
	for range 2 {
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	if _, err := http.Get(s.URL()); err == nil {
		t.Error("server still answers after Close")
	}
}

func TestCloseStopsRefreshing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSTS{life: 3 * time.Second}
		s, c := startInMemory(t, f.options(Options{RetryMin: 10 * time.Millisecond}))
		getCreds(t, c, s)
		for range 2 {
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
		}
		calls, _ := f.counts()
		if _, err := do(c, http.MethodGet, s.URL(), s.Token(), ""); err == nil {
			t.Error("server still answers after Close")
		}
		// The credentials would be refreshed within about 1.5s were the refresher running.
		time.Sleep(2 * time.Second)
		if after, _ := f.counts(); after != calls {
			t.Errorf("Retrieve called %d times after Close", after-calls)
		}
	})
}

func TestConcurrentRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSTS{life: 3 * time.Second}
		s, c := startInMemory(t, f.options(Options{RetryMin: 10 * time.Millisecond}))
		deadline := time.Now().Add(2500 * time.Millisecond)
		var served atomic.Int64
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				// Each pause lets the bubble's clock move; all 64 clients then ask together.
				for ; time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
					got, exp, err := fetchCreds(c, s)
					if err != nil {
						t.Error(err)
						return
					}
					var n int
					if _, err := fmt.Sscanf(got.AccessKeyID, "ASIAFAKE%d", &n); err != nil ||
						got.SecretAccessKey != fmt.Sprintf("secret-%d", n) || got.Token != fmt.Sprintf("token-%d", n) {
						t.Errorf("mismatched credentials %+v", got)
						return
					}
					if !exp.After(time.Now()) {
						t.Errorf("served expired credentials %+v", got)
						return
					}
					served.Add(1)
				}
			})
		}
		wg.Wait()
		calls, _ := f.counts()
		t.Logf("%d requests, %d fetches", served.Load(), calls)
		if calls < 2 {
			t.Errorf("%d fetches, want a refresh during the load", calls)
		}
	})
}

func BenchmarkServe(b *testing.B) {
	const clients = 64
	var fetches atomic.Int64
	s, err := Start(b.Context(), Options{Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		fetches.Add(1)
		return aws.Credentials{
			AccessKeyID: "ASIAFAKE", SecretAccessKey: "secret", SessionToken: "token",
			CanExpire: true, Expires: time.Now().Add(time.Hour),
		}, nil
	})})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	b.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Transport: tr}
	getCreds(b, c, s) // open a connection before timing

	var next atomic.Int64
	latencies := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	b.ResetTimer()
	begin := time.Now()
	for i := range clients {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if _, _, err := fetchCreds(c, s); err != nil {
					b.Error(err)
					return
				}
				latencies[i] = append(latencies[i], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	b.StopTimer()

	all := slices.Sorted(slices.Values(slices.Concat(latencies...)))
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(all[(len(all)-1)*99/100].Microseconds()), "p99-µs")
	if n := fetches.Load(); n != 1 {
		b.Errorf("Retrieve called %d times, want only Start's", n)
	}
}

// TestCloseDuringARefresh closes the server while a refresh is due and in flight: the refresh
// ends with Close's cancellation, and Close returns at once instead of waiting on a refresher
// that keeps retrying a fetch that can only fail.
func TestCloseDuringARefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		started := make(chan struct{})
		var calls atomic.Int64
		fetch := func(ctx context.Context) (aws.Credentials, error) {
			if calls.Add(1) == 1 {
				return aws.Credentials{AccessKeyID: "ASIAFAKE1", SecretAccessKey: "s", CanExpire: true, Expires: time.Now().Add(2 * time.Second)}, nil
			}
			select {
			case started <- struct{}{}:
			default:
			}
			<-ctx.Done()
			return aws.Credentials{}, ctx.Err()
		}
		s, _ := startInMemory(t, Options{Credentials: aws.CredentialsProviderFunc(fetch), RetryMin: time.Millisecond, RetryMax: time.Millisecond})
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatal("no refresh started")
		}
		closed := make(chan error, 1)
		go func() { closed <- s.Close() }()
		select {
		case err := <-closed:
			if err != nil {
				t.Fatalf("Close: %v", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("Close did not return: the refresher kept running after it")
		}
		n := calls.Load()
		time.Sleep(50 * time.Millisecond)
		if calls.Load() != n {
			t.Errorf("fetches went on after Close: %d, then %d", n, calls.Load())
		}
	})
}
