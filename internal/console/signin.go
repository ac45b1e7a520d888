package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rolehop/rolehop/internal/display"
)

// Timeout bounds a getSigninToken call, the whole exchange.
const Timeout = 30 * time.Second

// maxAnswer bounds what is read of an answer: a sign-in token is a few kilobytes.
const maxAnswer = 64 << 10

// Client asks a federation endpoint for sign-in tokens.
type Client struct {
	// Endpoint is the federation endpoint, https://signin.aws.amazon.com/federation or the
	// one ParseEndpoint checked.
	Endpoint *url.URL
	// HTTP makes the call; nil means NewHTTPClient's.
	HTTP *http.Client
	Log  *slog.Logger
}

// NewHTTPClient returns the client for the federation endpoint: it gives up after Timeout and
// follows no redirect, since the request carries the credentials and a redirect would send
// them to wherever it points.
func NewHTTPClient() *http.Client {
	return &http.Client{
		Timeout:       Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// session is the Session parameter of getSigninToken.
type session struct {
	ID    string `json:"sessionId"`
	Key   string `json:"sessionKey"`
	Token string `json:"sessionToken"`
}

// SigninToken exchanges session credentials for a sign-in token. sessionDuration, when not 0,
// asks for a console session of that length (see SessionDuration). Its errors are one line
// that holds neither the credentials nor what the endpoint answered.
func (c *Client) SigninToken(ctx context.Context, creds aws.Credentials, sessionDuration time.Duration) (string, error) {
	if creds.SessionToken == "" {
		return "", errors.New("the console sign-in takes session credentials, and these have no session token")
	}
	body, err := json.Marshal(session{ID: creds.AccessKeyID, Key: creds.SecretAccessKey, Token: creds.SessionToken})
	if err != nil {
		return "", err
	}
	q := url.Values{"Action": {"getSigninToken"}, "Session": {string(body)}}
	if sessionDuration > 0 {
		q.Set("SessionDuration", strconv.Itoa(int(sessionDuration.Seconds())))
	}
	u := *c.Endpoint
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("sign-in endpoint %s: %w", c.where(), err)
	}
	client := c.HTTP
	if client == nil {
		client = NewHTTPClient()
	}
	start := time.Now()
	token, status, err := c.exchange(client, req)
	if c.Log != nil {
		c.Log.Debug("sign-in token", "endpoint", c.where(), "session_duration", logDuration(sessionDuration),
			"status", status, "latency", time.Since(start).Round(time.Microsecond), "ok", err == nil)
	}
	if err != nil {
		return "", hide(err, creds)
	}
	return token, nil
}

// exchange makes the call and reads the token; status is the HTTP status, 0 without one.
func (c *Client) exchange(client *http.Client, req *http.Request) (string, int, error) {
	resp, err := client.Do(req)
	if err != nil {
		return "", 0, c.callError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", resp.StatusCode, c.statusError(resp)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	switch {
	case err != nil:
		return "", resp.StatusCode, fmt.Errorf("sign-in endpoint %s: reading its answer: %s", c.where(), display.OneLine(display.RootCause(err).Error()))
	case len(raw) > maxAnswer:
		return "", resp.StatusCode, fmt.Errorf("sign-in endpoint %s answered with more than %d KiB, which no sign-in token is; check ROLEHOP_SIGNIN_ENDPOINT and any proxy in between", c.where(), maxAnswer>>10)
	}
	var answer struct{ SigninToken string }
	if err := json.Unmarshal(raw, &answer); err != nil || answer.SigninToken == "" {
		return "", resp.StatusCode, fmt.Errorf("sign-in endpoint %s answered without a sign-in token (no JSON with a SigninToken); check ROLEHOP_SIGNIN_ENDPOINT and any proxy in between", c.where())
	}
	return answer.SigninToken, resp.StatusCode, nil
}

// callError explains a call that got no answer. The *url.Error of net/http quotes the URL,
// whose query holds the credentials: only what is below it is kept.
func (c *Client) callError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		return fmt.Errorf("sign-in endpoint %s did not answer within %s; check the network and try again", c.where(), display.Duration(Timeout))
	}
	if errors.Is(err, context.Canceled) {
		return context.Canceled
	}
	return fmt.Errorf("cannot reach the sign-in endpoint %s: %s; check the network", c.where(), display.OneLine(display.RootCause(err).Error()))
}

// statusError explains an answer other than 200, without its body: what the endpoint says
// is not shown, since an endpoint may echo what it was sent.
func (c *Client) statusError(resp *http.Response) error {
	status := strconv.Itoa(resp.StatusCode)
	if text := http.StatusText(resp.StatusCode); text != "" {
		status += " " + text
	}
	msg := fmt.Sprintf("sign-in endpoint %s answered HTTP %s to getSigninToken", c.where(), status)
	switch {
	case resp.StatusCode >= 500:
		return errors.New(msg + "; try again later")
	case resp.StatusCode >= 400:
		return errors.New(msg + ": it did not accept the credentials; it takes the session of a role or of a federated user, not an MFA session (GetSessionToken): sign in as a role with --iam-role")
	}
	return errors.New(msg + "; check ROLEHOP_SIGNIN_ENDPOINT and any proxy in between")
}

// where names the endpoint in messages: scheme, host and path, never a query.
func (c *Client) where() string {
	u := url.URL{Scheme: c.Endpoint.Scheme, Host: c.Endpoint.Host, Path: c.Endpoint.Path}
	return u.String()
}

// hide replaces the secret parts of creds in err's message, as they are and URL-encoded; the
// messages above are built not to hold them, and this keeps it so whatever a lower layer says.
func hide(err error, creds aws.Credentials) error {
	msg := err.Error()
	for _, s := range []string{creds.SecretAccessKey, creds.SessionToken} {
		if len(s) < 4 {
			continue
		}
		for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			msg = strings.ReplaceAll(msg, form, "[redacted]")
		}
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

func logDuration(d time.Duration) string {
	if d == 0 {
		return "none"
	}
	return display.Duration(d)
}
