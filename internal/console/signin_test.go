package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

var testCreds = aws.Credentials{
	AccessKeyID:     "ASIATESTSESSION00001",
	SecretAccessKey: "secret/key+of=the-session",
	SessionToken:    "session/token+of=the-session-FwoGZXIvYXdzEJr",
}

// federation is a stand-in for the federation endpoint: it checks getSigninToken's Session
// JSON, records the SessionDuration it got, and answers with answer.
func federation(t *testing.T, answer http.HandlerFunc) (*Client, *atomic.Int32, *atomic.Value) {
	t.Helper()
	var calls atomic.Int32
	var duration atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		q := r.URL.Query()
		duration.Store(q.Get("SessionDuration"))
		var s map[string]string
		dec := json.NewDecoder(strings.NewReader(q.Get("Session")))
		if r.Method != http.MethodGet || r.URL.Path != "/federation" || q.Get("Action") != "getSigninToken" || dec.Decode(&s) != nil ||
			len(s) != 3 || s["sessionId"] != testCreds.AccessKeyID || s["sessionKey"] != testCreds.SecretAccessKey || s["sessionToken"] != testCreds.SessionToken {
			t.Errorf("request %s %s with Session %v", r.Method, r.URL.Path, s)
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		answer(w, r)
	}))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL + "/federation")
	if err != nil {
		t.Fatal(err)
	}
	return &Client{Endpoint: u}, &calls, &duration
}

func TestSigninToken(t *testing.T) {
	c, calls, duration := federation(t, func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"SigninToken":"the-signin-token"}`)
	})
	for _, tc := range []struct {
		asked time.Duration
		sent  string
	}{{0, ""}, {2 * time.Hour, "7200"}} {
		token, err := c.SigninToken(t.Context(), testCreds, tc.asked)
		if err != nil || token != "the-signin-token" {
			t.Fatalf("SigninToken = %q, %v", token, err)
		}
		if got := duration.Load(); got != tc.sent {
			t.Errorf("asked for %v: SessionDuration %q, want %q", tc.asked, got, tc.sent)
		}
	}
	if calls.Load() != 2 {
		t.Errorf("%d calls, want 2", calls.Load())
	}
}

func TestSigninTokenErrors(t *testing.T) {
	echo := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			// What an endpoint that repeats its request would say.
			http.Error(w, "refused "+r.URL.RawQuery+" "+r.URL.Query().Get("Session"), status)
		}
	}
	for _, tc := range []struct {
		name   string
		answer http.HandlerFunc
		want   string
	}{
		{"4xx", echo(http.StatusBadRequest), "answered HTTP 400 Bad Request to getSigninToken: it did not accept the credentials"},
		{"5xx", echo(http.StatusServiceUnavailable), "answered HTTP 503 Service Unavailable to getSigninToken; try again later"},
		{"a redirect is not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:9/steal?"+r.URL.RawQuery, http.StatusFound)
		}, "answered HTTP 302 Found to getSigninToken"},
		{"no token", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"Token":"x"}`) }, "answered without a sign-in token"},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>"+r.URL.RawQuery) }, "answered without a sign-in token"},
		{"too much", func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprintf(w, `{"SigninToken":"%s"}`, strings.Repeat("x", maxAnswer))
		}, "answered with more than 64 KiB"},
	} {
		c, _, _ := federation(t, tc.answer)
		token, err := c.SigninToken(t.Context(), testCreds, 0)
		if err == nil || token != "" || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %q, %v; want an error with %q", tc.name, token, err, tc.want)
			continue
		}
		checkHidden(t, tc.name, err)
	}
}

// checkHidden fails when err says anything of the credentials or the request's query.
func checkHidden(t *testing.T, name string, err error) {
	t.Helper()
	for _, secret := range []string{testCreds.SecretAccessKey, testCreds.SessionToken, url.QueryEscape(testCreds.SessionToken), "Session=", "sessionKey"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error shows %q: %v", name, secret, err)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("%s: the error is not one line: %q", name, err)
	}
}

func TestSigninTokenUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u, _ := url.Parse(srv.URL + "/federation")
	srv.Close()
	c := &Client{Endpoint: u}
	_, err := c.SigninToken(t.Context(), testCreds, 0)
	want := "cannot reach the sign-in endpoint " + u.String() + ": connection refused; check the network"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	checkHidden(t, "unreachable", err)
}

func TestSigninTokenNeedsASession(t *testing.T) {
	c, calls, _ := federation(t, func(http.ResponseWriter, *http.Request) {})
	keys := testCreds
	keys.SessionToken = ""
	if _, err := c.SigninToken(t.Context(), keys, 0); err == nil || !strings.Contains(err.Error(), "no session token") {
		t.Errorf("long-term keys: %v", err)
	}
	if calls.Load() != 0 {
		t.Error("long-term keys were sent to the endpoint")
	}
}

// stall is a transport that answers nothing until the request is given up.
type stall struct{}

func (stall) RoundTrip(r *http.Request) (*http.Response, error) {
	<-r.Context().Done()
	return nil, r.Context().Err()
}

func TestSigninTokenTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		u, _ := url.Parse("https://signin.aws.amazon.com/federation")
		client := NewHTTPClient()
		client.Transport = stall{}
		c := &Client{Endpoint: u, HTTP: client}
		start := time.Now()
		_, err := c.SigninToken(t.Context(), testCreds, 0)
		if err == nil || err.Error() != "sign-in endpoint https://signin.aws.amazon.com/federation did not answer within 30s; check the network and try again" {
			t.Errorf("error %v", err)
		}
		if waited := time.Since(start); waited != Timeout {
			t.Errorf("gave up after %v, want %v", waited, Timeout)
		}
	})
}

func TestHide(t *testing.T) {
	err := hide(errors.New("bad "+testCreds.SecretAccessKey+" and "+url.QueryEscape(testCreds.SessionToken)), testCreds)
	if err.Error() != "bad [redacted] and [redacted]" {
		t.Errorf("hide: %v", err)
	}
}
