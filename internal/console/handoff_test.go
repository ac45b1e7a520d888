package console

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

const testLogin = "https://signin.aws.amazon.com/federation?Action=login&SigninToken=secret-token"

// noFollow gets a URL without following its redirect.
var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, method, url, host string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestHandoffServesOnce(t *testing.T) {
	h, err := NewHandoff(testLogin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	if !strings.HasPrefix(h.URL(), "http://127.0.0.1:") || strings.Contains(h.URL(), "secret-token") || len(h.URL()) < len("http://127.0.0.1:1/")+43 {
		t.Fatalf("one-time link %s", h.URL())
	}
	base := h.URL()[:strings.LastIndex(h.URL(), "/")]
	host := strings.TrimPrefix(base, "http://")
	// None of these spends the link or shows the login URL.
	for _, tc := range []struct {
		name, method, url, host string
		status                  int
	}{
		{"another path", http.MethodGet, base + "/guess", "", http.StatusNotFound},
		{"the root", http.MethodGet, base + "/", "", http.StatusNotFound},
		{"with a query", http.MethodGet, h.URL() + "?x=1", "", http.StatusNotFound},
		{"another Host (DNS rebinding)", http.MethodGet, h.URL(), "attacker.example.com:" + host[strings.LastIndex(host, ":")+1:], http.StatusNotFound},
		{"POST", http.MethodPost, h.URL(), "", http.StatusMethodNotAllowed},
		{"HEAD", http.MethodHead, h.URL(), "", http.StatusMethodNotAllowed},
	} {
		resp := get(t, tc.method, tc.url, tc.host)
		if resp.StatusCode != tc.status || resp.Header.Get("Location") != "" {
			t.Errorf("%s: %s, Location %q; want %d", tc.name, resp.Status, resp.Header.Get("Location"), tc.status)
		}
	}
	select {
	case <-h.Served():
		t.Fatal("served before the link was taken")
	default:
	}
	resp := get(t, http.MethodGet, h.URL(), "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != testLogin || resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("first GET: %s, headers %v", resp.Status, resp.Header)
	}
	select {
	case <-h.Served():
	case <-time.After(10 * time.Second):
		t.Fatal("Served not closed after the link was taken")
	}
	if again := get(t, http.MethodGet, h.URL(), ""); again.StatusCode != http.StatusGone || again.Header.Get("Location") != "" {
		t.Errorf("second GET: %s, Location %q", again.Status, again.Header.Get("Location"))
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := noFollow.Get(h.URL()); err == nil {
		t.Error("the link is still served after Close")
	}
}

func TestWait(t *testing.T) {
	for _, tc := range []struct {
		name string
		// exit is what the browser command ends with; none when it stays open.
		exit any
		// serveAfter is when the browser takes the link; never when 0.
		serveAfter time.Duration
		want       string
		waited     time.Duration
	}{
		{name: "taken at once", exit: "none", serveAfter: time.Nanosecond, waited: time.Nanosecond},
		{name: "the browser command ended well and the browser took the link later", exit: nil, serveAfter: 5 * time.Second, waited: 5 * time.Second},
		{name: "the browser command failed", exit: errors.New("exit status 3"),
			want: "the browser command xdg-open failed before it opened the sign-in link (exit status 3); check BROWSER, or use --print"},
		{name: "nobody took the link", exit: nil, waited: WaitLimit,
			want: "the browser (xdg-open) did not open the sign-in link within 1m (a browser on another machine cannot reach 127.0.0.1 here); use --print"},
	} {
		synctest.Test(t, func(t *testing.T) {
			// Made in the bubble, so that waiting on them lets its clock move.
			served, exited := make(chan struct{}), make(chan error, 1)
			if err, ok := tc.exit.(error); ok || tc.exit == nil {
				exited <- err
			}
			if tc.serveAfter > 0 {
				go func() { time.Sleep(tc.serveAfter); close(served) }()
			}
			start := time.Now()
			err := Wait(t.Context(), served, "xdg-open", exited, WaitLimit)
			switch {
			case tc.want == "" && err != nil, tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
				t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
			}
			if waited := time.Since(start); waited != tc.waited {
				t.Errorf("%s: waited %v, want %v", tc.name, waited, tc.waited)
			}
		})
	}
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(t.Context())
		go func() { time.Sleep(time.Second); cancel(errors.New("interrupted")) }()
		if err := Wait(ctx, make(chan struct{}), "open", nil, WaitLimit); err == nil || err.Error() != "interrupted" {
			t.Errorf("cancelled: %v", err)
		}
	})
}
