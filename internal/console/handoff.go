package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rolehop/rolehop/internal/display"
)

// Handoff gives a browser the login URL without putting it on the browser's command line,
// where every user of the machine can read it (ps, /proc/PID/cmdline) for as long as the
// browser runs. The browser is started with a link to a one-time address on 127.0.0.1
// instead, which answers the first GET with a redirect (303) to the login URL, as AWS
// advises handing it over, and nothing after that.
type Handoff struct {
	url    string
	srv    *http.Server
	served chan struct{}
}

// WaitLimit is how long a browser has to open the one-time link.
const WaitLimit = time.Minute

// NewHandoff starts serving the one-time link to login on 127.0.0.1.
func NewHandoff(login string) (*Handoff, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on 127.0.0.1 for the browser: %w", err)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		ln.Close()
		return nil, err
	}
	host := ln.Addr().String()
	path := "/" + base64.RawURLEncoding.EncodeToString(secret)
	h := &Handoff{url: "http://" + host + path, served: make(chan struct{})}
	var once sync.Once
	h.srv = &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Referrer-Policy", "no-referrer")
			// The path is the secret, compared in constant time as the credential server's
			// token is; the Host check keeps a page in the browser from reaching the link
			// through a name that resolves to 127.0.0.1 (DNS rebinding).
			if r.Host != host || subtle.ConstantTimeCompare([]byte(r.URL.Path), []byte(path)) != 1 || r.URL.RawQuery != "" {
				http.NotFound(w, r)
				return
			}
			if r.Method != http.MethodGet {
				w.Header().Set("Allow", http.MethodGet)
				http.Error(w, "only GET", http.StatusMethodNotAllowed)
				return
			}
			used := true
			once.Do(func() {
				used = false
				http.Redirect(w, r, login, http.StatusSeeOther)
				close(h.served)
			})
			if used {
				http.Error(w, "this sign-in link has been used; run rolehop console again", http.StatusGone)
			}
		}),
	}
	go h.srv.Serve(ln)
	return h, nil
}

// URL is the one-time link to give the browser. Opened once, it is spent.
func (h *Handoff) URL() string { return h.url }

// Served is closed once the browser has been sent on to the login URL.
func (h *Handoff) Served() <-chan struct{} { return h.served }

// Close stops serving the link, after the answer in flight is sent.
func (h *Handoff) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return h.srv.Shutdown(ctx)
}

// Wait waits until served is closed (the browser took the link), the browser program ended
// with an error before that (exited, which may be nil for a browser not watched), limit has
// passed, or ctx is done. A browser program that ends well before taking the link (xdg-open
// handing it to a browser already running) is waited for no more.
func Wait(ctx context.Context, served <-chan struct{}, browser string, exited <-chan error, limit time.Duration) error {
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		select {
		case <-served:
			return nil
		case err := <-exited:
			if err != nil {
				return fmt.Errorf("the browser command %s failed before it opened the sign-in link (%s); check BROWSER, or use --print and open the link yourself", browser, display.OneLine(err.Error()))
			}
			exited = nil
		case <-timer.C:
			return fmt.Errorf("the browser (%s) did not open the sign-in link within %s (a browser on another machine cannot reach 127.0.0.1 here); use --print and open the link yourself", browser, display.Duration(limit))
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}
