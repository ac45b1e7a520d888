package oidctoken

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	requestToken = "request-token-s3cr3t"
	issuedToken  = "eyJhbGciOiJSUzI1NiJ9.issued.sig"
)

// fakeGitHub is the runner's token service on loopback. respond answers request n (from 1) once
// the request has been checked.
type fakeGitHub struct {
	srv      *httptest.Server
	requests atomic.Int32
	query    atomic.Value // the raw query of the last request
}

func startGitHub(t *testing.T, audience string, respond func(n int, w http.ResponseWriter, r *http.Request)) *fakeGitHub {
	t.Helper()
	f := &fakeGitHub{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(f.requests.Add(1))
		f.query.Store(r.URL.RawQuery)
		if got := r.Header.Get("Authorization"); got != "bearer "+requestToken {
			t.Errorf("request %d: Authorization = %q, want the bearer request token", n, got)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if got := r.URL.Query().Get("audience"); got != audience {
			t.Errorf("request %d: audience = %q, want %q", n, got, audience)
			http.Error(w, "bad audience", http.StatusBadRequest)
			return
		}
		respond(n, w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// options points a github source at f with tiny backoff delays.
func (f *fakeGitHub) options(env envMap) Options {
	if env == nil {
		env = envMap{
			"ACTIONS_ID_TOKEN_REQUEST_URL":   f.srv.URL + "/idtoken?api-version=2.0",
			"ACTIONS_ID_TOKEN_REQUEST_TOKEN": requestToken,
		}
	}
	return Options{
		LookupEnv:      env.lookup,
		HTTPClient:     f.srv.Client(),
		AttemptTimeout: 5 * time.Second,
		MaxBackoff:     time.Millisecond,
	}
}

func value(tok string) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"count": 1, "value": %q}`, tok)
	}
}

// failFirst answers the first `fails` requests with status and body, then with the token.
func failFirst(fails, status int, body string) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, r *http.Request) {
		if n <= fails {
			http.Error(w, body, status)
			return
		}
		value(issuedToken)(n, w, r)
	}
}

func TestGitHub(t *testing.T) {
	const failed = "GitHub Actions: token request failed: "
	tests := []struct {
		name         string
		maxAttempts  int
		respond      func(int, http.ResponseWriter, *http.Request)
		want         string
		wantErr      string
		wantRequests int
	}{
		{name: "success", respond: value(issuedToken), want: issuedToken, wantRequests: 1},
		{name: "token trimmed", respond: value(" " + issuedToken + "\n"), want: issuedToken, wantRequests: 1},
		{name: "500 then success", respond: failFirst(1, 500, "oops"), want: issuedToken, wantRequests: 2},
		{name: "429 then success", respond: failFirst(1, 429, "slow down"), want: issuedToken, wantRequests: 2},
		{name: "503 four times then success", respond: failFirst(4, 503, "busy"), want: issuedToken, wantRequests: 5},
		{
			name: "5xx until attempts run out", maxAttempts: 3, respond: failFirst(99, 502, "upstream\n  down"),
			wantErr: "GitHub Actions: token request failed after 3 attempts: HTTP 502 Bad Gateway: upstream down", wantRequests: 3,
		},
		{
			name: "default attempts", respond: failFirst(99, 500, ""),
			wantErr: "GitHub Actions: token request failed after 5 attempts: HTTP 500 Internal Server Error", wantRequests: 5,
		},
		{
			name: "403 not retried, request token redacted",
			respond: func(_ int, w http.ResponseWriter, r *http.Request) {
				http.Error(w, `{"message": "bad credentials: `+r.Header.Get("Authorization")+`"}`, http.StatusForbidden)
			},
			wantErr: failed + `HTTP 403 Forbidden: {"message": "bad credentials: bearer <redacted>"}`, wantRequests: 1,
		},
		{name: "404 not retried", respond: failFirst(99, 404, ""), wantErr: failed + "HTTP 404 Not Found", wantRequests: 1},
		{
			name: "long error body cut", respond: failFirst(99, 400, strings.Repeat("x", 500)),
			wantErr: failed + "HTTP 400 Bad Request: " + strings.Repeat("x", 200) + "...", wantRequests: 1,
		},
		{
			name:    "bad JSON",
			respond: func(_ int, w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "not json") },
			wantErr: failed + "response is not JSON: invalid character 'o' in literal null (expecting 'u')", wantRequests: 1,
		},
		{name: "empty value", respond: value(""), wantErr: failed + `response has no token in "value"`, wantRequests: 1},
		{name: "blank value", respond: value(" \n"), wantErr: failed + `response has no token in "value"`, wantRequests: 1},
		{
			name:    "no value",
			respond: func(_ int, w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"count": 0}`) },
			wantErr: failed + `response has no token in "value"`, wantRequests: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startGitHub(t, DefaultAudience, tt.respond)
			o := f.options(nil)
			o.MaxAttempts = tt.maxAttempts
			tok, err := newSource(t, "github", o).Token(t.Context())
			if tt.wantErr != "" {
				checkErr(t, err, tt.wantErr, requestToken, issuedToken)
			} else if err != nil {
				t.Fatal(err)
			} else if string(tok) != tt.want {
				t.Errorf("Token() = %q, want %q", tok, tt.want)
			}
			if got := int(f.requests.Load()); got != tt.wantRequests {
				t.Errorf("requests = %d, want %d", got, tt.wantRequests)
			}
		})
	}
}

func TestGitHubQuery(t *testing.T) {
	tests := []struct {
		name     string
		path     string // appended to the server's URL
		audience string
		want     string // the request's raw query
	}{
		{"runner's parameters kept", "/idtoken?api-version=2.0", "", "api-version=2.0&audience=sts.amazonaws.com"},
		{"no query string", "/idtoken", "", "audience=sts.amazonaws.com"},
		{"empty query string", "/idtoken?", "", "audience=sts.amazonaws.com"},
		{"audience escaped", "/idtoken?api-version=2.0", "https://example.com/a b&c=d", "api-version=2.0&audience=https%3A%2F%2Fexample.com%2Fa+b%26c%3Dd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantAudience := tt.audience
			if wantAudience == "" {
				wantAudience = DefaultAudience
			}
			f := startGitHub(t, wantAudience, value(issuedToken))
			o := f.options(envMap{
				"ACTIONS_ID_TOKEN_REQUEST_URL":   f.srv.URL + tt.path,
				"ACTIONS_ID_TOKEN_REQUEST_TOKEN": requestToken,
			})
			o.Audience = tt.audience
			tok, err := newSource(t, "github", o).Token(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if string(tok) != issuedToken {
				t.Errorf("Token() = %q, want %q", tok, issuedToken)
			}
			if got, _ := f.query.Load().(string); got != tt.want {
				t.Errorf("query = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestGitHubSlowFirstAnswer(t *testing.T) {
	t.Parallel()
	f := startGitHub(t, DefaultAudience, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			// Hang until the client gives up on this attempt.
			<-r.Context().Done()
			return
		}
		value(issuedToken)(n, w, r)
	})
	o := f.options(nil)
	o.AttemptTimeout = 100 * time.Millisecond
	// Without the attempt timeout the first request would hang until this one.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	tok, err := newSource(t, "github", o).Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(tok) != issuedToken {
		t.Errorf("Token() = %q, want %q", tok, issuedToken)
	}
	if got := f.requests.Load(); got != 2 {
		t.Errorf("requests = %d, want 2", got)
	}
}

func TestGitHubBackoff(t *testing.T) {
	t.Parallel()
	f := startGitHub(t, DefaultAudience, failFirst(2, http.StatusServiceUnavailable, "busy"))
	o := f.options(nil)
	// Below a second the SDK's backoff waits exactly the maximum.
	o.MaxBackoff = 50 * time.Millisecond
	start := time.Now()
	if _, err := newSource(t, "github", o).Token(t.Context()); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < 2*o.MaxBackoff {
		t.Errorf("two retries took %v, want at least %v", elapsed, 2*o.MaxBackoff)
	}
	if got := f.requests.Load(); got != 3 {
		t.Errorf("requests = %d, want 3", got)
	}
}

func TestGitHubNetworkError(t *testing.T) {
	t.Parallel()
	f := startGitHub(t, DefaultAudience, value(issuedToken))
	o := f.options(nil)
	o.MaxAttempts = 3
	// A closed loopback server refuses connections.
	f.srv.Close()
	_, err := newSource(t, "github", o).Token(t.Context())
	if err == nil {
		t.Fatal("got no error from a closed server")
	}
	const prefix = "GitHub Actions: token request failed after 3 attempts: Get \"" + "http://127.0.0.1:"
	if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error = %q, want %q... connection refused", err, prefix)
	}
	checkErrShape(t, err, requestToken)
}

func TestGitHubCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	f := startGitHub(t, DefaultAudience, func(_ int, w http.ResponseWriter, _ *http.Request) {
		cancel()
		http.Error(w, "oops", http.StatusInternalServerError)
	})
	o := f.options(nil)
	o.MaxBackoff = time.Hour
	_, err := newSource(t, "github", o).Token(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Token() = %v, want context.Canceled", err)
	}
	checkErr(t, err, "GitHub Actions: token request failed: context canceled")
	if got := f.requests.Load(); got != 1 {
		t.Errorf("requests = %d, want 1", got)
	}
}

func TestGitHubEnvironment(t *testing.T) {
	const hint = `; does the job have "permissions: id-token: write"?`
	tests := []struct {
		name    string
		env     envMap
		wantErr string
	}{
		{"nothing", envMap{}, "GitHub Actions: ACTIONS_ID_TOKEN_REQUEST_URL is not set" + hint},
		{"no request token", envMap{"ACTIONS_ID_TOKEN_REQUEST_URL": "https://127.0.0.1/x"}, "GitHub Actions: ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set" + hint},
		{"empty request token", envMap{"ACTIONS_ID_TOKEN_REQUEST_URL": "https://127.0.0.1/x", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": ""}, "GitHub Actions: ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set" + hint},
		{"no URL", envMap{"ACTIONS_ID_TOKEN_REQUEST_TOKEN": requestToken}, "GitHub Actions: ACTIONS_ID_TOKEN_REQUEST_URL is not set" + hint},
		{"bad URL", envMap{"ACTIONS_ID_TOKEN_REQUEST_URL": "http://[::1", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": requestToken}, "GitHub Actions: ACTIONS_ID_TOKEN_REQUEST_URL: not a valid URL"},
		{"relative URL", envMap{"ACTIONS_ID_TOKEN_REQUEST_URL": "/idtoken?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": requestToken}, "GitHub Actions: ACTIONS_ID_TOKEN_REQUEST_URL: not an absolute URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newSource(t, "github", Options{LookupEnv: tt.env.lookup}).Token(t.Context())
			checkErr(t, err, tt.wantErr, requestToken)
		})
	}
}

func TestGitHubEnvironmentReadAtTokenTime(t *testing.T) {
	t.Parallel()
	a := startGitHub(t, DefaultAudience, value("a.token"))
	b := startGitHub(t, DefaultAudience, value("b.token"))
	env := envMap{}
	o := a.options(env)
	s := newSource(t, "github", o)
	if _, err := s.Token(t.Context()); err == nil {
		t.Fatal("Token() with no variables: got no error")
	}
	env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = requestToken
	for _, f := range []struct {
		srv  *fakeGitHub
		want string
	}{{a, "a.token"}, {b, "b.token"}} {
		env["ACTIONS_ID_TOKEN_REQUEST_URL"] = f.srv.srv.URL + "/?api-version=2.0"
		tok, err := s.Token(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if string(tok) != f.want {
			t.Errorf("Token() = %q, want %q", tok, f.want)
		}
	}
	if a.requests.Load() != 1 || b.requests.Load() != 1 {
		t.Errorf("requests = %d and %d, want 1 each", a.requests.Load(), b.requests.Load())
	}
}
