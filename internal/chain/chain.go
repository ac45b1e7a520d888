// Package chain turns a plan into credentials: it loads the base identity with the AWS SDK's
// default chain (or a profile) and assumes each role of the plan in turn, every hop signed with
// the credentials of the one before it, using the SDK's stscreds providers, its credential
// cache and its standard retryer.
package chain

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/rolehop/rolehop/internal/credcache"
	"github.com/rolehop/rolehop/internal/credcheck"
	"github.com/rolehop/rolehop/internal/display"
	"github.com/rolehop/rolehop/internal/plan"
	"github.com/rolehop/rolehop/internal/settings/spec"
)

// Chain gives the credentials at the end of a plan.
//
// A chain loads the AWS SDK's configuration only when a step must call AWS: the cache key of
// every step is worked out from the plan, the environment and the shared config profile, so a
// run that finds its credentials in the cache builds no SDK configuration, HTTP client or STS
// client.
type Chain struct {
	sdk *sdkConfig
	// region is the region from the settings or the profile, else the partition's default:
	// STS is called in it, and the command gets it.
	region string
	// defaultRegion is set when region is the partition's default, set nowhere.
	defaultRegion bool
	// endpoint is what the SDK picks the STS endpoint from (see endpointInputs).
	endpoint string
	creds    aws.CredentialsProvider
	log      *slog.Logger
	// cache, when set, keeps each step's credentials between runs.
	cache *credcache.Cache
	// parts gives the cache key of the credentials c.creds gives now.
	parts keyParts
	// timeout bounds each step's STS call.
	timeout time.Duration
	// role is the role of the last hop, whose account the final credentials must belong to;
	// nil without hops.
	role *plan.RoleARN
	// baseName says where the base credentials come from.
	baseName string
	// cached is set once a step behind the cache is added.
	cached bool
}

// Options are what a chain may use besides the plan.
type Options struct {
	Log *slog.Logger
	// Cache, when set, keeps the MFA session and every hop's credentials between runs.
	Cache *credcache.Cache
	// Keys gives the long-term keys stored under a name (plan.StoredCredentials).
	Keys func(name string) (aws.Credentials, error)
	// KeysVersion, when set, tells without decrypting them which version of the keys stored
	// under a name the store holds: a value that changes whenever they are stored again. ok is
	// false when the store cannot tell; the keys are then read to key the cache on their ID.
	KeysVersion func(name string) (version string, ok bool)
	// STSTimeout bounds each step's STS call, retries included; 0 means spec.DefaultSTSTimeout.
	// Asking for an MFA code does not count.
	STSTimeout time.Duration
	// LookupEnv reads the environment the AWS SDK reads; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// SSO gives the credentials of an IAM Identity Center role (plan.SSO) and the start URL
	// of its session, which keys them in the cache.
	SSO func(s *plan.SSO) (creds aws.CredentialsProvider, startURL string, err error)
}

// New prepares the providers for p. It makes no STS call, and loads no SDK configuration:
// it reads the shared config profile for the region and the STS endpoint settings only.
func New(ctx context.Context, p *plan.Plan, o Options) (*Chain, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.STSTimeout <= 0 {
		o.STSTimeout = spec.DefaultSTSTimeout
	}
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if err := checkEndpoints(o.LookupEnv); err != nil {
		return nil, err
	}
	envExpires, err := envSession(p, o.LookupEnv, time.Now())
	if err != nil {
		return nil, err
	}
	shared, err := sharedProfile(ctx, p, o.LookupEnv)
	if err != nil {
		return nil, err
	}
	c := &Chain{region: p.Region, log: o.Log, cache: o.Cache, timeout: o.STSTimeout, endpoint: endpointInputs(o.LookupEnv, shared)}
	if c.region == "" {
		// As the SDK would: its variables, then the profile. (The settings read the same
		// variables, so this matters only to a plan made without them.)
		_, c.region = firstSet(o.LookupEnv, []string{"AWS_REGION", "AWS_DEFAULT_REGION"})
	}
	if c.region == "" && shared.Region != "" {
		// The region came from the profile: check it as a setting, and against the roles'
		// partition too.
		if err := checkProfileRegion(ctx, p, shared.Region, o.LookupEnv); err != nil {
			return nil, err
		}
		q := *p
		q.Region, q.RegionOrigin = shared.Region, plan.Origin{Layer: plan.FromDefault, Name: fmt.Sprintf("%s (%s)", profileName(p), p.ProfileOrigin)}
		if err := q.Check(); err != nil {
			return nil, err
		}
		c.region = shared.Region
	}
	if c.region == "" {
		// No region anywhere: STS is called in the partition's default region, and the command
		// gets it too, or the AWS CLI and most SDKs would stop at "You must specify a region".
		c.region, c.defaultRegion = p.STSRegion(), true
	}
	c.sdk = newSDKConfig(p, c.region, o)
	if err := c.base(ctx, p, o, envExpires); err != nil {
		return nil, err
	}
	if m := p.MFA; m != nil && !m.OnAssume {
		c.mfaSession(m, p.Codes)
	}
	for i := range p.Hops {
		c.hop(i, &p.Hops[i], p.Codes)
	}
	return c, nil
}

// base sets the base credentials: long-term keys from the secret store, an auth provider's,
// or the SDK's chain (a profile, the environment, SSO, ...). envExpires, when set, is when the
// environment's session credentials expire.
func (c *Chain) base(ctx context.Context, p *plan.Plan, o Options, envExpires time.Time) error {
	var base aws.CredentialsProvider = sdkCredentials{c.sdk}
	name := profileName(p)
	// label names the base in the cache list: name, unless the base is known more precisely.
	label := ""
	var identity []string
	switch {
	case p.SSO != nil:
		if o.SSO == nil {
			return fmt.Errorf("%s: no IAM Identity Center support in this command", p.SSO.Origin)
		}
		creds, startURL, err := o.SSO(p.SSO)
		if err != nil {
			return err
		}
		name = fmt.Sprintf("IAM Identity Center role %s in account %s", p.SSO.RoleName, p.SSO.AccountID)
		identity = []string{"sso_start_url=" + startURL, "sso_account_id=" + p.SSO.AccountID, "sso_role_name=" + p.SSO.RoleName}
		base = told{creds}
		if c.cache != nil {
			// Cached like a hop: 20 processes at once make one GetRoleCredentials call.
			label = name + " [" + startURL + "]"
			base = &cached{cache: c.cache, parts: c.fixedParts(identity, label), desc: label, inner: base}
			c.cached = true
		}
	case p.Credentials == nil && p.ProfileBase != nil:
		var err error
		if base, name, identity, err = c.profileBase(p.ProfileBase, o.LookupEnv); err != nil {
			return err
		}
	case !envExpires.IsZero():
		base = expiring{inner: base, expires: envExpires}
	case p.StoredCredentials != "":
		var err error
		if base, identity, err = storedBase(p, o); err != nil {
			return err
		}
		name = fmt.Sprintf("stored credentials %q", p.StoredCredentials)
	case p.Credentials != nil:
		sc := p.Credentials
		base, name = credentials.NewStaticCredentialsProvider(sc.AccessKeyID, sc.SecretAccessKey, sc.SessionToken), sc.Origin.String()
	}
	if identity == nil && p.BaseFromSDK() && p.Profile == "" {
		identity, label = envIdentity(name, o.LookupEnv)
	}
	c.creds = aws.NewCredentialsCache(&baseStep{inner: base, label: name, log: c.log})
	c.baseName = name
	if c.cache != nil {
		// A base known without reading its credentials keys the cache as it is, so that a
		// cache hit reads nothing more; any other is read for its access key ID.
		c.parts = c.baseParts(name)
		if identity != nil {
			c.parts = c.fixedParts(identity, cmp.Or(label, name))
		}
	}
	return nil
}

// envIdentity identifies the environment's keys, which the SDK's chain takes before anything
// else when no profile is named, and names the variable that holds the key ID; nil when the
// environment has none.
func envIdentity(name string, lookup func(string) (string, bool)) (identity []string, label string) {
	idVar, id := firstSet(lookup, keyIDVars)
	_, secret := firstSet(lookup, secretVars)
	if id == "" || secret == "" {
		return nil, ""
	}
	return []string{"base=" + name, "access_key_id=" + id}, "env " + idVar
}

// mfaSession adds an MFA session (GetSessionToken) after the base credentials.
func (c *Chain) mfaSession(m *plan.MFA, codes plan.CodeSource) {
	client := lazySTS{sdk: c.sdk, creds: c.creds}
	s := &mfaStep{
		call: stsCall{label: fmt.Sprintf("MFA session (%s)", m.Serial), api: "GetSessionToken", signer: c.creds,
			timeout: c.timeout, log: c.log, codes: codes, serial: m.Serial},
		client: &checkedSTS{client: client, now: time.Now}, duration: m.SessionDuration,
	}
	c.add(s, []string{"mfa_serial=" + m.Serial, "mfa_duration=" + m.SessionDuration.String()},
		fmt.Sprintf("MFA session %s for %s", m.Serial, display.Duration(m.SessionDuration)))
}

// add puts a step at the end of the chain, behind the cache when there is one.
func (c *Chain) add(s aws.CredentialsProvider, parts []string, desc string) {
	var p aws.CredentialsProvider = s
	if c.cache != nil {
		p = &cached{cache: c.cache, parts: c.parts.with(parts...), desc: desc, inner: s}
		c.cached = true
	}
	c.parts = c.parts.with(parts...)
	c.creds = aws.NewCredentialsCache(p)
}

// Region returns the region STS is called in, which the command gets too: the settings', else
// the profile's, else the default region of the first role's partition.
func (c *Chain) Region() string { return c.region }

// SetRegion returns the region the settings or the profile set, "" when neither does.
func (c *Chain) SetRegion() string {
	if c.defaultRegion {
		return ""
	}
	return c.region
}

// Retrieve returns the credentials at the end of the chain, fetching what is not cached. It
// returns an error rather than credentials that are incomplete, expired, or (for a role) of
// another account: every consumer hands on exactly what Retrieve returns.
func (c *Chain) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := c.creds.Retrieve(ctx)
	if prev := earlier(err); prev != nil {
		// Drop the cache's "failed to refresh cached credentials" wrapping: the hop's own
		// message says everything.
		return aws.Credentials{}, prev
	}
	if err != nil {
		return aws.Credentials{}, err
	}
	if err := c.check(creds); err != nil {
		return aws.Credentials{}, err
	}
	return creds, nil
}

// check applies the checks every set of credentials handed on must pass, cached ones included.
func (c *Chain) check(creds aws.Credentials) error {
	err := credcheck.Usable(creds, time.Now())
	if err == nil && c.role != nil {
		err = credcheck.Account(creds, *c.role)
	}
	if err == nil {
		return nil
	}
	if c.role == nil {
		return &BaseError{Source: c.baseName, Err: err}
	}
	return fmt.Errorf("%s: %w; rolehop hands over no credentials it cannot vouch for", c.role, err)
}

// hop adds hop i (from 0) of the plan.
func (c *Chain) hop(i int, h *plan.Hop, codes plan.CodeSource) {
	client := lazySTS{sdk: c.sdk, creds: c.creds}
	call := stsCall{label: hopLabel(i, h), api: h.API(), signer: c.creds, timeout: c.timeout, log: c.log,
		attrs: []any{"session_name", h.SessionName, "duration", display.Duration(h.Duration)}}
	parts := hopParts(i, h)
	var s aws.CredentialsProvider
	if h.WebIdentityToken != nil {
		tok := &memoToken{src: h.WebIdentityToken}
		call.signer = nil
		s = newWebIdentityStep(call, client, h, tok)
		if c.cache != nil {
			// A new token is a new identity: key the cache on the token itself (hashed).
			c.parts = c.tokenParts(tok)
		}
	} else {
		if h.MFASerial != "" {
			call.codes, call.serial = codes, h.MFASerial
		}
		s = &assumeStep{call: call, client: &checkedSTS{client: client, role: h.Role, now: time.Now}, hop: h}
	}
	c.add(s, parts, fmt.Sprintf("%s %s as %s for %s", h.API(), h.Role, h.SessionName, display.Duration(h.Duration)))
	c.role = &h.Role
}

func expiry(c aws.Credentials) string {
	switch {
	case !c.CanExpire && c.SessionToken != "":
		return "unknown"
	case !c.CanExpire:
		return "never"
	}
	return c.Expires.UTC().Format(time.RFC3339)
}

func profileName(p *plan.Plan) string {
	if p.Profile == "" {
		return "AWS SDK default chain"
	}
	return fmt.Sprintf("profile %q", p.Profile)
}

// tokenTimeout bounds one fetch of a web identity token (a CI endpoint can be slow).
const tokenTimeout = 2 * time.Minute

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func policyARNs(arns []string) []types.PolicyDescriptorType {
	var out []types.PolicyDescriptorType
	for _, a := range arns {
		out = append(out, types.PolicyDescriptorType{Arn: aws.String(a)})
	}
	return out
}

func tags(ts []plan.Tag) []types.Tag {
	var out []types.Tag
	for _, t := range ts {
		out = append(out, types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	return out
}

// Identity is who the credentials belong to, as STS GetCallerIdentity reports it.
type Identity struct {
	Account string
	ARN     string
	UserID  string
}

// Identity calls STS GetCallerIdentity with the chain's credentials.
func (c *Chain) Identity(ctx context.Context) (Identity, error) {
	cfg, err := c.sdk.load(ctx)
	if err != nil {
		return Identity{}, err
	}
	client := sts.NewFromConfig(cfg, func(o *sts.Options) { o.Credentials = c.creds })
	start := time.Now()
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	c.log.Debug("sts call", "api", "GetCallerIdentity", "latency", time.Since(start).Round(time.Microsecond), "ok", err == nil)
	if err != nil {
		if prev := earlier(err); prev != nil {
			return Identity{}, prev
		}
		signer, _ := c.creds.Retrieve(ctx)
		return Identity{}, &HopError{API: "GetCallerIdentity", Err: err, hide: []string{signer.SecretAccessKey, signer.SessionToken}}
	}
	return Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn), UserID: aws.ToString(out.UserId)}, nil
}
