package chain

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rolehop/rolehop/internal/plan"
)

// The AWS SDK reads these variables itself. rolehop checks them first, because the SDK takes a
// malformed one for an unset one or fails on it only at the first call, in words that do not
// name the variable.
var (
	// endpointVars set the STS endpoint: the service's own, then the one for every service.
	endpointVars = []string{"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"}
	// keyIDVars and secretVars give the environment's keys, each the first one set.
	keyIDVars  = []string{"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"}
	secretVars = []string{"AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"}
	// expiryVars say when the environment's session credentials expire. The SDK ignores them.
	expiryVars = []string{"AWS_SESSION_EXPIRATION", "AWS_CREDENTIAL_EXPIRATION"}
)

// checkEndpoints refuses an endpoint URL the SDK could not use.
func checkEndpoints(lookup func(string) (string, bool)) error {
	if v, _ := lookup("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"); strings.EqualFold(strings.TrimSpace(v), "true") {
		return nil
	}
	for _, name := range endpointVars {
		v, _ := lookup(name)
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			continue
		}
		like := "https://sts.us-east-1.amazonaws.com"
		if !strings.Contains(v, "://") {
			like = "http://" + v
		}
		return fmt.Errorf("env %s: %q is not a URL; write it with its scheme, like %s", name, v, like)
	}
	return nil
}

// envSession checks the base credentials the SDK would take from the environment, when nothing
// else gives them (no profile, stored keys, auth provider or web identity token): a key ID
// without its secret, or the reverse, is an error rather than a quiet fall-through to the
// shared files. Session credentials (with AWS_SESSION_TOKEN) return their expiry when the
// environment gives one, the zero time when not; expired ones are an error.
func envSession(p *plan.Plan, lookup func(string) (string, bool), now time.Time) (time.Time, error) {
	if !p.BaseFromSDK() || p.Profile != "" {
		return time.Time{}, nil
	}
	idVar, id := firstSet(lookup, keyIDVars)
	secretVar, secret := firstSet(lookup, secretVars)
	switch {
	case id == "" && secret == "":
		return time.Time{}, nil
	case secret == "":
		return time.Time{}, fmt.Errorf("env %s: the access key ID is set but %s is not; set both, or unset %s to use other credentials", idVar, secretVar, idVar)
	case id == "":
		return time.Time{}, fmt.Errorf("env %s: the secret access key is set but %s is not; set both, or unset %s to use other credentials", secretVar, idVar, secretVar)
	}
	if tok, _ := lookup("AWS_SESSION_TOKEN"); tok == "" {
		return time.Time{}, nil
	}
	var expires time.Time
	var from string
	for _, name := range expiryVars {
		v, _ := lookup(name)
		if strings.TrimSpace(v) == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(v))
		if err != nil {
			return time.Time{}, fmt.Errorf("env %s: %q is not a time like 2026-01-02T15:04:05Z (RFC 3339)", name, v)
		}
		// Two that differ: the earlier one, so as never to use credentials past their end.
		if expires.IsZero() || t.Before(expires) {
			expires, from = t, name
		}
	}
	if !expires.IsZero() && !now.Before(expires) {
		return time.Time{}, fmt.Errorf("env %s: the session credentials in the environment expired at %s; get new ones", from, expires.UTC().Format(time.RFC3339))
	}
	return expires, nil
}

func firstSet(lookup func(string) (string, bool), names []string) (name, value string) {
	for _, n := range names {
		if v, _ := lookup(n); v != "" {
			return n, v
		}
	}
	return names[0], ""
}

// expiring gives the environment's session credentials the expiry the environment states, so
// that it is handed on (and the credentials are not taken for long-term keys).
type expiring struct {
	inner   aws.CredentialsProvider
	expires time.Time
}

func (e expiring) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := e.inner.Retrieve(ctx)
	if err == nil && creds.SessionToken != "" && !creds.CanExpire {
		creds.CanExpire, creds.Expires = true, e.expires
	}
	return creds, err
}

// SDKProfile names the shared-config profile the AWS SDK reads p's base credentials from, or
// returns "" when it reads none: the base credentials come from elsewhere, or from the
// environment's keys or web identity token, which the SDK's chain takes before the profile
// unless one is named.
func SDKProfile(p *plan.Plan, lookup func(string) (string, bool)) string {
	switch b := p.ProfileBase; {
	case b != nil && (b.Kind == plan.BaseProcess || b.Kind == plan.BaseSDK):
		// The SDK runs the profile's credential_process, or resolves its SSO.
		return b.Profile
	case !p.BaseFromSDK():
		return ""
	case p.Profile != "":
		return p.Profile
	}
	_, id := firstSet(lookup, keyIDVars)
	_, secret := firstSet(lookup, secretVars)
	if token, _ := lookup("AWS_WEB_IDENTITY_TOKEN_FILE"); id != "" && secret != "" || token != "" {
		return ""
	}
	if v, _ := lookup("AWS_DEFAULT_PROFILE"); v != "" {
		return v
	}
	return "default"
}
