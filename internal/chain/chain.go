// Package chain turns a plan into credentials: it loads the base identity with the AWS SDK's
// default chain (or a profile) and assumes each role of the plan in turn, every hop signed with
// the credentials of the one before it, using the SDK's stscreds providers, its credential
// cache and its standard retryer.
package chain

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/rolehop/rolehop/internal/awsfiles"
	"github.com/rolehop/rolehop/internal/awsprofile"
	"github.com/rolehop/rolehop/internal/credcache"
	"github.com/rolehop/rolehop/internal/credcheck"
	"github.com/rolehop/rolehop/internal/display"
	"github.com/rolehop/rolehop/internal/plan"
	"github.com/rolehop/rolehop/internal/settings/spec"
)

// Chain gives the credentials at the end of a plan.
type Chain struct {
	cfg    aws.Config
	region string
	creds  aws.CredentialsProvider
	log    *slog.Logger
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
	// STSTimeout bounds each step's STS call, retries included; 0 means spec.DefaultSTSTimeout.
	// Asking for an MFA code does not count.
	STSTimeout time.Duration
	// LookupEnv reads the environment the AWS SDK reads; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// SSO gives the credentials of an IAM Identity Center role (plan.SSO) and the start URL
	// of its session, which keys them in the cache.
	SSO func(s *plan.SSO) (creds aws.CredentialsProvider, startURL string, err error)
}

// New prepares the providers for p. It makes no STS call: credentials are fetched on the first
// Retrieve.
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
	// Each attempt gets a third of the time, at most 10s, so a stalled answer is retried.
	attempt := min(o.STSTimeout/3, 10*time.Second)
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(attempt)),
	}
	if p.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(p.Profile))
	}
	if p.Profile != "" && p.StoredCredentials != "" && p.StoredOrigin.Layer == plan.FromProfile {
		// The SDK stops at a base whose keys are only in rolehop's secret store.
		marker, remove, err := awsprofile.StoredConfig(p.StoredCredentials)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.StoredOrigin, err)
		}
		defer remove()
		opts = append(opts, config.WithSharedConfigFiles([]string{marker, awsfiles.Locate(o.LookupEnv).Config}))
	}
	if p.Region != "" {
		opts = append(opts, config.WithRegion(p.Region))
	}
	if !p.BaseFromSDK() {
		// The SDK's own chain is not needed, so do not let it resolve (and trip over, say, an
		// AWS_WEB_IDENTITY_TOKEN_FILE without AWS_ROLE_ARN).
		opts = append(opts, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	}
	// The SDK reads the process environment itself here, not o.LookupEnv (AWS_PROFILE, the
	// shared files' paths, AWS_ACCESS_KEY_ID...), and so do the processcreds and ssocreds
	// providers it builds for a profile's credential_process and SSO: it takes no other source.
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, profileError(p, err)
	}
	cfg.HTTPClient = limitBodies(cfg.HTTPClient, maxResponseBody)
	c := &Chain{cfg: cfg, region: cfg.Region, log: o.Log, cache: o.Cache, timeout: o.STSTimeout}
	if p.Region == "" && cfg.Region != "" {
		// The region came from the profile: check it as a setting, and against the roles'
		// partition too.
		if err := checkProfileRegion(ctx, p, cfg.Region); err != nil {
			return nil, err
		}
		q := *p
		q.Region, q.RegionOrigin = cfg.Region, plan.Origin{Layer: plan.FromDefault, Name: fmt.Sprintf("%s (%s)", profileName(p), p.ProfileOrigin)}
		if err := q.Check(); err != nil {
			return nil, err
		}
	}
	if c.cfg.Region == "" {
		// No region anywhere: STS is called in the partition's default region, and the command
		// gets it too, or the AWS CLI and most SDKs would stop at "You must specify a region".
		c.cfg.Region = p.STSRegion()
		c.region = c.cfg.Region
	}
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
	base, name, keys := c.cfg.Credentials, profileName(p), o.Keys
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
			base = &cached{cache: c.cache, parts: c.fixedParts(identity), desc: name + " [" + startURL + "]", inner: base}
			c.cached = true
		}
	case p.Credentials == nil && p.ProfileBase != nil:
		var err error
		if base, name, identity, err = c.profileBase(ctx, p.ProfileBase, o.LookupEnv); err != nil {
			return err
		}
	case !envExpires.IsZero():
		base = expiring{inner: base, expires: envExpires}
	case p.StoredCredentials != "":
		if keys == nil {
			return fmt.Errorf("%s: no secret store to read credentials %q from", p.StoredOrigin, p.StoredCredentials)
		}
		stored, err := keys(p.StoredCredentials)
		if err != nil && p.StoredOrigin.Layer == plan.FromProfile {
			return fmt.Errorf("%s: no credentials in the AWS files, and %w; or check the name (aws configure list-profiles)", p.StoredOrigin, err)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p.StoredOrigin, err)
		}
		base = credentials.StaticCredentialsProvider{Value: stored}
		name = fmt.Sprintf("stored credentials %q", p.StoredCredentials)
	case p.Credentials != nil:
		sc := p.Credentials
		base, name = credentials.NewStaticCredentialsProvider(sc.AccessKeyID, sc.SecretAccessKey, sc.SessionToken), sc.Origin.String()
	}
	c.creds = aws.NewCredentialsCache(&baseStep{inner: base, label: name, log: c.log})
	c.baseName = name
	if c.cache != nil {
		// Keys are only needed by the cache; building them costs an STS client.
		c.parts = c.baseParts(name)
		if identity != nil {
			c.parts = c.fixedParts(identity)
		}
	}
	return nil
}

// mfaSession adds an MFA session (GetSessionToken) after the base credentials.
func (c *Chain) mfaSession(m *plan.MFA, codes plan.CodeSource) {
	client := sts.NewFromConfig(c.cfg, func(o *sts.Options) { o.Credentials = c.creds })
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
	client := sts.NewFromConfig(c.cfg, func(o *sts.Options) { o.Credentials = c.creds })
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

// stsEndpoint is the STS endpoint set in the configuration (AWS_ENDPOINT_URL_STS and the like),
// or "" for the SDK's regional default.
func (c *Chain) stsEndpoint() string {
	return aws.ToString(sts.NewFromConfig(c.cfg).Options().BaseEndpoint)
}

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
	client := sts.NewFromConfig(c.cfg, func(o *sts.Options) { o.Credentials = c.creds })
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
