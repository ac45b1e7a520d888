// Package credserver serves credentials to a child process over the AWS container
// credentials protocol (AWS_CONTAINER_CREDENTIALS_FULL_URI), refreshing them in the
// background so that a long run never holds expired credentials.
package credserver

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// credentialsPath is the only path the server answers on.
const credentialsPath = "/rolehop/credentials"

// staticHint is the expiry announced for credentials that do not expire: the container
// protocol has SDKs (botocore, JS v3) require an Expiration, and they simply ask again then.
const staticHint = time.Hour

// DefaultMargin is the least remaining life of served credentials when Options.Margin is 0.
const DefaultMargin = 20 * time.Minute

// FreshFor is how much life cached credentials need for a server with the default margin to
// take them without refreshing them at once: the margin, and the lead of 5 to 15% of the
// lifetime by which refreshes start ahead of it.
const FreshFor = DefaultMargin + 5*time.Minute

// Options configures Start. Zero durations and a nil Log or Now mean the defaults.
type Options struct {
	// Credentials gives the credentials to serve; Start retrieves them once, and again for
	// each refresh. It must fetch anew each time (a credential source, not a cache that hands
	// back what it holds until it expires).
	Credentials aws.CredentialsProvider
	// Initial, when set, are credentials just fetched from Credentials, which Start serves
	// first instead of retrieving them again.
	Initial *aws.Credentials
	// Log gets one warning per failed refresh and debug lines for refreshes. Secrets are
	// never logged; failure lines carry the Retrieve error's message.
	Log *slog.Logger
	// Margin is the least remaining life of served credentials: 20 minutes by default,
	// or half the credentials' lifetime when that is shorter.
	Margin time.Duration
	// RetryMin and RetryMax bound the jittered exponential backoff between failed
	// refreshes (1s and 1m by default); a RetryMax below RetryMin means RetryMin always.
	// RetryMin is also the shortest time between refreshes.
	RetryMin, RetryMax time.Duration
	// Now tells the time (time.Now by default). Timers still run on the real clock, but
	// every request looks at Now, so moving it forward makes a due refresh happen.
	Now func() time.Time
}

func (o Options) withDefaults() (Options, error) {
	if o.Credentials == nil {
		return o, errors.New("no credentials provider")
	}
	if o.Margin < 0 || o.RetryMin < 0 || o.RetryMax < 0 {
		return o, errors.New("negative durations")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Margin == 0 {
		o.Margin = DefaultMargin
	}
	if o.RetryMin == 0 {
		o.RetryMin = time.Second
	}
	if o.RetryMax == 0 {
		o.RetryMax = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// Server is a running credentials endpoint on 127.0.0.1.
type Server struct {
	host     string // the only Host header accepted: the listener's 127.0.0.1:PORT
	token    string
	refr     *refresher
	now      func() time.Time
	http     *http.Server
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	once     sync.Once
	closeErr error
	// encoded is the response for the credentials served last.
	encoded atomic.Pointer[encodedBody]
}

// Start fetches the first credentials, then listens on 127.0.0.1 on a free port and keeps
// the credentials fresh in the background until Close. If the first fetch fails, Start
// returns its error and listens on nothing.
//
// When a refresh fails, the server keeps serving the credentials it has, even inside the
// margin, and retries with backoff; once they have expired it answers 503
// CredentialsExpired with the reason of the last failure.
//
// Cancelling ctx after Start returns does not stop the server: a command shutting down
// after a signal may still need credentials.
func Start(ctx context.Context, o Options) (*Server, error) {
	return startOn(ctx, o, func() (net.Listener, error) {
		return new(net.ListenConfig).Listen(ctx, "tcp", "127.0.0.1:0")
	})
}

// startOn is Start with the listener made by listen, called once the first credentials are in
// hand. Tests of the schedule hand it an in-memory listener: in a synctest bubble a goroutine
// waiting on a real socket keeps the fake clock from moving.
func startOn(ctx context.Context, o Options, listen func() (net.Listener, error)) (*Server, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("start credential server: %w", err)
	}
	refr := newRefresher(o)
	var creds aws.Credentials
	if o.Initial != nil {
		creds = *o.Initial
	} else {
		creds, err = o.Credentials.Retrieve(ctx)
	}
	if err == nil {
		err = refr.accept(creds, o.Now())
	}
	if err != nil {
		return nil, fmt.Errorf("start credential server: %w", err)
	}

	ln, err := listen()
	if err != nil {
		return nil, fmt.Errorf("start credential server: %w", err)
	}
	s := &Server{
		host:  ln.Addr().String(),
		token: newToken(),
		refr:  refr,
		now:   o.Now,
	}
	s.http = &http.Server{
		Handler:           http.HandlerFunc(s.serve),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(o.Log.Handler(), slog.LevelDebug),
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		refr.run(bg)
	}()
	go func() {
		defer s.wg.Done()
		if err := s.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			o.Log.Error("credential server stopped", "error", err.Error())
		}
	}()
	return s, nil
}

// newToken returns 256 random bits in hex.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails; it crashes the program instead.
	return hex.EncodeToString(b)
}

// URL is the endpoint's address, for AWS_CONTAINER_CREDENTIALS_FULL_URI.
func (s *Server) URL() string { return "http://" + s.host + credentialsPath }

// Token is the secret a request must send in its Authorization header, for
// AWS_CONTAINER_AUTHORIZATION_TOKEN.
func (s *Server) Token() string { return s.token }

// Close stops listening and refreshing. Calling it again returns the first result.
func (s *Server) Close() error {
	s.once.Do(func() {
		s.cancel()
		if err := s.http.Close(); err != nil {
			s.closeErr = fmt.Errorf("close credential server: %w", err)
		}
		s.wg.Wait()
	})
	return s.closeErr
}

// response is the container credentials protocol's success body.
type response struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration"`
	AccountID       string `json:"AccountId,omitempty"`
}

func (s *Server) serve(w http.ResponseWriter, req *http.Request) {
	auth := req.Header.Get("Authorization")
	switch {
	// A page in a browser can reach 127.0.0.1 through a name it controls (DNS
	// rebinding); its requests then carry that name in Host.
	case req.Host != s.host:
		writeError(w, http.StatusForbidden, "AccessDenied", "the Host header must be "+s.host)
	case auth == "":
		writeError(w, http.StatusUnauthorized, "Unauthorized", "the Authorization header is missing")
	case subtle.ConstantTimeCompare([]byte(auth), []byte(s.token)) != 1:
		writeError(w, http.StatusForbidden, "AccessDenied", "the authorization token is not valid")
	case req.URL.Path != credentialsPath:
		writeError(w, http.StatusNotFound, "NotFound", "no such path")
	case req.Method != http.MethodGet:
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "only GET is allowed")
	default:
		s.serveCredentials(w, req)
	}
}

func (s *Server) serveCredentials(w http.ResponseWriter, req *http.Request) {
	creds, err := s.refr.get(req.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "CredentialsExpired", err.Error())
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(s.body(creds)) // the client hung up; nobody is left to tell.
}

// body returns the JSON for creds, encoding it once per set of credentials: the endpoint is
// asked far more often than the credentials change.
func (s *Server) body(creds aws.Credentials) []byte {
	if b := s.encoded.Load(); b != nil && b.key == creds.AccessKeyID && b.expires.Equal(creds.Expires) && creds.CanExpire {
		return b.json
	}
	expires := creds.Expires
	if !creds.CanExpire {
		expires = s.now().Add(staticHint)
	}
	out, _ := json.Marshal(response{
		AccessKeyID:     creds.AccessKeyID,
		SecretAccessKey: creds.SecretAccessKey,
		Token:           creds.SessionToken,
		// Whole seconds, as AWS writes them, rounded down so as never to promise
		// life the credentials do not have.
		Expiration: expires.UTC().Truncate(time.Second).Format(time.RFC3339),
		AccountID:  creds.AccountID,
	})
	out = append(out, '\n')
	s.encoded.Store(&encodedBody{key: creds.AccessKeyID, expires: creds.Expires, json: out})
	return out
}

// encodedBody is the JSON of one set of credentials.
type encodedBody struct {
	key     string
	expires time.Time
	json    []byte
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{code, message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	// Exactly application/json: the Go SDK parses error bodies only then.
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client hung up; nobody is left to tell.
}
