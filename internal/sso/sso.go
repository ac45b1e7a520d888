package sso

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	oidctypes "github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
	"github.com/aws/smithy-go"
)

// ErrNoLogin means there is no usable token: the user must run rolehop login.
var ErrNoLogin = errors.New("not logged in")

// deviceGrant is the OAuth grant type of the device authorization flow.
const deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"

// expiryMargin is how long before its expiry an access token is refreshed.
const expiryMargin = time.Minute

// Client signs in to one session and uses its token.
type Client struct {
	// Session is the session to sign in to.
	Session Session
	// Store keeps the tokens and the registered client.
	Store Store
	// AWS is the SDK configuration the ssooidc and sso clients are made from; its region is
	// replaced with the session's. Endpoints come from it (AWS_ENDPOINT_URL_SSO_OIDC,
	// AWS_ENDPOINT_URL_SSO).
	AWS aws.Config
	// AWSCLICache is the AWS CLI's token cache (~/.aws/sso/cache): without a login of
	// rolehop's own, a valid token found there is used, never written or refreshed. ""
	// means it is not read.
	AWSCLICache string
	// Stderr receives the verification URL and user code during Login.
	Stderr io.Writer
	// OpenBrowser opens the verification URL; nil means the user opens it.
	OpenBrowser func(url string) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx is done; nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (c *Client) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) config() aws.Config {
	cfg := c.AWS.Copy()
	cfg.Region = c.Session.Region
	cfg.Credentials = aws.AnonymousCredentials{}
	return cfg
}

func (c *Client) oidc() *ssooidc.Client { return ssooidc.NewFromConfig(c.config()) }
func (c *Client) portal() *sso.Client   { return sso.NewFromConfig(c.config()) }

// loginHint is the command that fixes a missing or unusable token.
func (c *Client) loginHint() string { return "rolehop login " + c.Session.Name }

// registered returns the stored client for the session's region and scopes while it is good,
// else registers a new public client and stores it.
func (c *Client) registered(ctx context.Context) (client, error) {
	key := clientKey(c.Session.Region, c.Session.Scopes)
	var cl client
	found, err := load(c.Store, key, &cl)
	if err != nil {
		return client{}, err
	}
	if found && c.now().Add(expiryMargin).Before(cl.ExpiresAt) {
		return cl, nil
	}
	out, err := c.oidc().RegisterClient(ctx, &ssooidc.RegisterClientInput{
		ClientName: aws.String("rolehop"),
		ClientType: aws.String("public"),
		Scopes:     c.Session.Scopes,
	})
	if err != nil {
		return client{}, fmt.Errorf("register with IAM Identity Center in %s: %w", c.Session.Region, apiError(err))
	}
	cl = client{ID: aws.ToString(out.ClientId), Secret: aws.ToString(out.ClientSecret), ExpiresAt: time.Unix(out.ClientSecretExpiresAt, 0)}
	if err := save(c.Store, key, "rolehop IAM Identity Center client "+c.Session.Region, cl); err != nil {
		return client{}, err
	}
	return cl, nil
}

// Login signs in with the device authorization flow: it shows the verification URL and code,
// opens the browser if it can, and polls until the user approves, honouring the interval and
// slow_down, or until the code expires.
func (c *Client) Login(ctx context.Context) error {
	cl, err := c.registered(ctx)
	if err != nil {
		return err
	}
	oidc := c.oidc()
	dev, err := oidc.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{
		ClientId: &cl.ID, ClientSecret: &cl.Secret, StartUrl: &c.Session.StartURL,
	})
	if err != nil {
		return fmt.Errorf("start login to %s: %w", c.Session.StartURL, apiError(err))
	}
	url := aws.ToString(dev.VerificationUriComplete)
	if url == "" {
		url = aws.ToString(dev.VerificationUri)
	}
	if c.Stderr != nil {
		fmt.Fprintf(c.Stderr, "To sign in to %s, open %s\nand check that it shows the code %s\n", c.Session.Name, url, aws.ToString(dev.UserCode))
	}
	if c.OpenBrowser != nil && c.OpenBrowser(url) != nil && c.Stderr != nil {
		fmt.Fprintln(c.Stderr, "(could not open a browser: open the URL yourself)")
	}
	interval := time.Duration(max(dev.Interval, 1)) * time.Second
	deadline := c.now().Add(time.Duration(dev.ExpiresIn) * time.Second)
	for {
		if err := c.sleep(ctx, interval); err != nil {
			return err
		}
		out, err := oidc.CreateToken(ctx, &ssooidc.CreateTokenInput{
			ClientId: &cl.ID, ClientSecret: &cl.Secret, DeviceCode: dev.DeviceCode, GrantType: aws.String(deviceGrant),
		})
		var pending *oidctypes.AuthorizationPendingException
		var slow *oidctypes.SlowDownException
		switch {
		case errors.As(err, &pending):
		case errors.As(err, &slow):
			interval += 5 * time.Second // RFC 8628 section 3.5
		case err != nil:
			return fmt.Errorf("login to %s: %w", c.Session.Name, apiError(err))
		default:
			return c.keep(out)
		}
		if !c.now().Add(interval).Before(deadline) {
			return fmt.Errorf("login to %s: the code expired before it was approved (run %s again)", c.Session.Name, c.loginHint())
		}
	}
}

// keep stores the token CreateToken answered with.
func (c *Client) keep(out *ssooidc.CreateTokenOutput) error {
	t := token{
		AccessToken:  aws.ToString(out.AccessToken),
		RefreshToken: aws.ToString(out.RefreshToken),
		ExpiresAt:    c.now().Add(time.Duration(out.ExpiresIn) * time.Second).UTC(),
	}
	return save(c.Store, tokenKey(c.Session.StartURL), "rolehop IAM Identity Center token "+c.Session.Name, t)
}

// State says until when the stored access token is good; ok is false when there is none.
// A token past that time may still be refreshed.
func (c *Client) State() (expires time.Time, ok bool, err error) {
	var t token
	found, err := load(c.Store, tokenKey(c.Session.StartURL), &t)
	if cli, ok := c.awsCLIToken(); err == nil && !found && ok {
		return cli.ExpiresAt, true, nil
	}
	return t.ExpiresAt, found && t.AccessToken != "", err
}

// Token returns a good access token, refreshing it silently with the refresh token when it
// has expired. Without one its error wraps ErrNoLogin and names the command to run.
func (c *Client) Token(ctx context.Context) (string, error) {
	return c.token(ctx, false)
}

// token is Token; force refreshes a token that has not expired by the clock but that the
// portal refused.
func (c *Client) token(ctx context.Context, force bool) (string, error) {
	var t token
	found, err := load(c.Store, tokenKey(c.Session.StartURL), &t)
	if err != nil {
		return "", err
	}
	if found && !force && c.now().Add(expiryMargin).Before(t.ExpiresAt) {
		return t.AccessToken, nil
	}
	if cli, ok := c.awsCLIToken(); !found && !force && ok {
		return cli.AccessToken, nil
	}
	if !found || t.RefreshToken == "" {
		return "", c.noLogin("")
	}
	cl, err := c.registered(ctx)
	if err != nil {
		return "", err
	}
	out, err := c.oidc().CreateToken(ctx, &ssooidc.CreateTokenInput{
		ClientId: &cl.ID, ClientSecret: &cl.Secret, RefreshToken: &t.RefreshToken, GrantType: aws.String("refresh_token"),
	})
	if err != nil {
		return "", c.noLogin("the login expired and could not be refreshed: ")
	}
	if aws.ToString(out.RefreshToken) == "" {
		out.RefreshToken = &t.RefreshToken
	}
	if err := c.keep(out); err != nil {
		return "", err
	}
	return aws.ToString(out.AccessToken), nil
}

func (c *Client) noLogin(why string) error {
	return fmt.Errorf("%s%w to IAM Identity Center session %s (run: %s)", why, ErrNoLogin, c.Session.Name, c.loginHint())
}

// Logout ends the session at the portal and removes its token from the store.
func (c *Client) Logout(ctx context.Context) error {
	var t token
	found, err := load(c.Store, tokenKey(c.Session.StartURL), &t)
	if err != nil {
		return err
	}
	if found && c.now().Before(t.ExpiresAt) {
		var unauthorized interface{ ErrorCode() string }
		_, err := c.portal().Logout(ctx, &sso.LogoutInput{AccessToken: &t.AccessToken})
		if err != nil && !(errors.As(err, &unauthorized) && unauthorized.ErrorCode() == "UnauthorizedException") {
			return fmt.Errorf("log out of %s: %w", c.Session.Name, apiError(err))
		}
	}
	return c.Store.Remove(tokenKey(c.Session.StartURL))
}

// apiError reduces an SDK error to the service's code and message, without the SDK's
// operation and request ID text.
func apiError(err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		return fmt.Errorf("%s: %s", api.ErrorCode(), api.ErrorMessage())
	}
	return err
}
