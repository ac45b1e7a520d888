// Package chain turns a plan into credentials: it loads the base identity with the AWS SDK's
// default chain (or a profile) and assumes each role of the plan in turn, every hop signed with
// the credentials of the one before it, using the SDK's stscreds providers, its credential
// cache and its standard retryer.
package chain

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/rolehop/rolehop/internal/plan"
)

// Chain gives the credentials at the end of a plan.
type Chain struct {
	cfg    aws.Config
	region string
	creds  aws.CredentialsProvider
	log    *slog.Logger
}

// New prepares the providers for p. It makes no STS call: credentials are fetched on the first
// Retrieve.
func New(ctx context.Context, p *plan.Plan, log *slog.Logger) (*Chain, error) {
	var opts []func(*config.LoadOptions) error
	if p.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(p.Profile))
	}
	if p.Region != "" {
		opts = append(opts, config.WithRegion(p.Region))
	}
	if p.Credentials != nil || len(p.Hops) > 0 && p.Hops[0].WebIdentityToken != nil {
		// The SDK's own chain is not needed, so do not let it resolve (and trip over, say, an
		// AWS_WEB_IDENTITY_TOKEN_FILE without AWS_ROLE_ARN).
		opts = append(opts, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, profileError(p, err)
	}
	c := &Chain{cfg: cfg, region: cfg.Region, log: log}
	if p.Region == "" && cfg.Region != "" {
		// The region came from the profile: check it against the roles' partition too.
		q := *p
		q.Region, q.RegionOrigin = cfg.Region, fmt.Sprintf("%s (%s)", profileName(p), p.ProfileOrigin)
		if err := q.Check(); err != nil {
			return nil, err
		}
	}
	if c.cfg.Region == "" {
		c.cfg.Region = p.STSRegion()
	}
	base, baseName := cfg.Credentials, profileName(p)
	if sc := p.Credentials; sc != nil {
		base, baseName = credentials.NewStaticCredentialsProvider(sc.AccessKeyID, sc.SecretAccessKey, sc.SessionToken), sc.Origin
	}
	c.creds = aws.NewCredentialsCache(&step{inner: base, base: baseName, log: log})
	for i := range p.Hops {
		c.creds = aws.NewCredentialsCache(c.hop(i, &p.Hops[i]))
	}
	return c, nil
}

// Region returns the region known from the settings or the profile, or "" when neither sets
// one (STS is then called in the partition's default region, which is not handed on).
func (c *Chain) Region() string { return c.region }

// Retrieve returns the credentials at the end of the chain, fetching what is not cached.
func (c *Chain) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := c.creds.Retrieve(ctx)
	if prev := earlier(err); prev != nil {
		// Drop the cache's "failed to refresh cached credentials" wrapping: the hop's own
		// message says everything.
		return creds, prev
	}
	return creds, err
}

func (c *Chain) hop(i int, h *plan.Hop) *step {
	client := sts.NewFromConfig(c.cfg, func(o *sts.Options) { o.Credentials = c.creds })
	arn := h.Role.String()
	var inner aws.CredentialsProvider
	if h.WebIdentityToken != nil {
		inner = stscreds.NewWebIdentityRoleProvider(client, arn, token{h.WebIdentityToken}, func(o *stscreds.WebIdentityRoleOptions) {
			o.RoleSessionName = h.SessionName
			o.Duration = h.Duration
			o.Policy = optional(h.Policy)
			o.PolicyARNs = policyARNs(h.PolicyARNs)
		})
	} else {
		inner = stscreds.NewAssumeRoleProvider(client, arn, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = h.SessionName
			o.Duration = h.Duration
			o.ExternalID = optional(h.ExternalID)
			o.SourceIdentity = optional(h.SourceIdentity)
			o.Policy = optional(h.Policy)
			o.PolicyARNs = policyARNs(h.PolicyARNs)
			o.Tags = tags(h.Tags)
			o.TransitiveTagKeys = h.TransitiveTagKeys
		})
	}
	return &step{inner: inner, source: c.creds, index: i + 1, hop: h, log: c.log}
}

// step wraps one provider of the chain so its failures name the hop and its calls are logged.
type step struct {
	inner aws.CredentialsProvider
	// source gives the credentials inner's call is signed with; nil for the base credentials.
	source aws.CredentialsProvider
	index  int       // 1-based hop number; 0 for the base credentials
	hop    *plan.Hop // nil for the base credentials
	base   string    // where base credentials come from
	log    *slog.Logger
}

func (s *step) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if s.source != nil && s.hop.WebIdentityToken == nil {
		// Fetch the signing credentials first, so the latency logged below is this hop's alone.
		if _, err := s.source.Retrieve(ctx); err != nil {
			return aws.Credentials{}, err
		}
	}
	start := time.Now()
	creds, err := s.inner.Retrieve(ctx)
	if s.hop == nil {
		if err != nil {
			return creds, &BaseError{Source: s.base, Err: err}
		}
		s.log.Debug("base credentials", "source", s.base, "provider", creds.Source, "access_key_id", maskKey(creds.AccessKeyID), "expires", expiry(creds))
		return creds, nil
	}
	s.log.Debug("sts call", "hop", s.index, "api", s.hop.API(), "role", s.hop.Role.String(),
		"session_name", s.hop.SessionName, "duration", plan.FormatDuration(s.hop.Duration),
		"latency", time.Since(start).Round(time.Microsecond), "ok", err == nil)
	if err != nil {
		if prev := earlier(err); prev != nil {
			return creds, prev
		}
		return creds, &HopError{Hop: s.index, Role: s.hop.Role.String(), API: s.hop.API(), Err: err}
	}
	return creds, nil
}

// maskKey shows only the last four characters of an access key ID: enough to tell keys apart.
func maskKey(id string) string {
	if len(id) <= 4 {
		return "****"
	}
	return "****" + id[len(id)-4:]
}

func expiry(c aws.Credentials) string {
	if !c.CanExpire {
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

// token adapts a plan.TokenSource to the SDK's IdentityTokenRetriever, which takes no context.
type token struct{ src plan.TokenSource }

// tokenTimeout bounds one fetch of a web identity token (a CI endpoint can be slow).
const tokenTimeout = 2 * time.Minute

func (t token) GetIdentityToken() ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), tokenTimeout)
	defer cancel()
	tok, err := t.src.Token(ctx)
	if err != nil {
		return nil, &tokenError{err}
	}
	return tok, nil
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
		return Identity{}, &HopError{API: "GetCallerIdentity", Err: err}
	}
	return Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn), UserID: aws.ToString(out.UserId)}, nil
}
