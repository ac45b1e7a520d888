package oidctoken

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/rolehop/rolehop/internal/display"
)

const (
	githubDisplay = "GitHub Actions"
	githubURLVar  = "ACTIONS_ID_TOKEN_REQUEST_URL"
	githubAuthVar = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
	githubHint    = `does the job have "permissions: id-token: write"?`
	// maxResponse bounds what is read of a response; a token is a few kilobytes.
	maxResponse = 1 << 20
	// maxSnippet bounds how much of an error response goes into an error message.
	maxSnippet = 200
)

// githubSource asks the GitHub Actions runner's token service for a token, retrying the failures
// that another attempt may fix: network errors, 5xx and 429.
type githubSource struct {
	audience       string
	lookup         func(string) (string, bool)
	client         *http.Client
	attemptTimeout time.Duration
	maxAttempts    int
	backoff        *retry.ExponentialJitterBackoff
}

func newGitHub(o Options) *githubSource {
	return &githubSource{
		audience:       o.Audience,
		lookup:         o.LookupEnv,
		client:         o.HTTPClient,
		attemptTimeout: o.AttemptTimeout,
		maxAttempts:    o.MaxAttempts,
		backoff:        retry.NewExponentialJitterBackoff(o.MaxBackoff),
	}
}

func (s *githubSource) String() string {
	return githubDisplay + " OIDC token (audience " + s.audience + ")"
}

func (s *githubSource) Token(ctx context.Context) ([]byte, error) {
	rawURL, _ := s.lookup(githubURLVar)
	if rawURL == "" {
		return nil, fmt.Errorf("%s: %s is not set; %s", githubDisplay, githubURLVar, githubHint)
	}
	bearer, _ := s.lookup(githubAuthVar)
	if bearer == "" {
		return nil, fmt.Errorf("%s: %s is not set; %s", githubDisplay, githubAuthVar, githubHint)
	}
	reqURL, err := withAudience(rawURL, s.audience)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", githubDisplay, githubURLVar, err)
	}
	for attempt := 1; ; attempt++ {
		tok, retryable, err := s.request(ctx, reqURL, bearer)
		if err == nil {
			return tok, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: token request failed: %w", githubDisplay, ctx.Err())
		}
		if !retryable {
			return nil, fmt.Errorf("%s: token request failed: %w", githubDisplay, err)
		}
		if attempt >= s.maxAttempts {
			return nil, fmt.Errorf("%s: token request failed after %d attempts: %w", githubDisplay, attempt, err)
		}
		delay, derr := s.backoff.BackoffDelay(attempt, err)
		if derr != nil {
			return nil, fmt.Errorf("%s: token request failed: %w (no retry: %v)", githubDisplay, err, derr)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%s: token request failed: %w", githubDisplay, ctx.Err())
		case <-t.C:
		}
	}
}

// withAudience adds the audience parameter to the runner's URL, keeping its own parameters
// exactly as given.
func withAudience(raw, audience string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("not a valid URL")
	}
	if u.Scheme == "" || u.Host == "" {
		return "", errors.New("not an absolute URL")
	}
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += "audience=" + url.QueryEscape(audience)
	return u.String(), nil
}

// request makes one attempt, bounded by the attempt timeout, and says whether a failure is worth
// another.
func (s *githubSource) request(ctx context.Context, reqURL, bearer string) (tok []byte, retryable bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.attemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, reqURL, nil)
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Authorization", "bearer "+bearer)
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, true, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, true, fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		retryable = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		msg := "HTTP " + resp.Status
		if snip := snippet(body, bearer); snip != "" {
			msg += ": " + snip
		}
		return nil, retryable, errors.New(msg)
	}
	var out struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, false, fmt.Errorf("response is not JSON: %w", err)
	}
	v := strings.TrimSpace(out.Value)
	if v == "" {
		return nil, false, errors.New(`response has no token in "value"`)
	}
	return []byte(v), false, nil
}

// snippet makes the start of an error response fit on one line of an error message, without
// the request token should the server echo it.
func snippet(body []byte, bearer string) string {
	s := display.OneLine(string(body))
	s = strings.ReplaceAll(s, bearer, "<redacted>")
	if r := []rune(s); len(r) > maxSnippet {
		s = string(r[:maxSnippet]) + "..."
	}
	return s
}
