package chain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/rolehop/rolehop/internal/awsfiles"
	"github.com/rolehop/rolehop/internal/awsprofile"
	"github.com/rolehop/rolehop/internal/plan"
)

// sdkConfig is the AWS SDK configuration of a chain, loaded on first use: by the first step
// that calls AWS, never by a run whose credentials are all in the cache. Loading it costs
// milliseconds (AWS_CA_BUNDLE alone is parsed certificate by certificate).
type sdkConfig struct {
	// plan is the chain's plan: its profile, and whether the SDK's own credential chain gives
	// the base credentials.
	plan    *plan.Plan
	region  string
	timeout time.Duration
	lookup  func(string) (string, bool)
	log     *slog.Logger

	mu   sync.Mutex
	done bool
	cfg  aws.Config
	err  error
}

func newSDKConfig(p *plan.Plan, region string, o Options) *sdkConfig {
	return &sdkConfig{plan: p, region: region, timeout: o.STSTimeout, lookup: o.LookupEnv, log: o.Log}
}

// load returns the configuration, loading it the first time. Its errors are whole: they name
// the profile or file at fault.
func (s *sdkConfig) load(ctx context.Context) (aws.Config, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		start := time.Now()
		s.cfg, s.err = s.loadNow(ctx)
		s.done = true
		s.log.Debug("aws sdk configuration loaded", "latency", time.Since(start).Round(time.Microsecond), "ok", s.err == nil)
	}
	return s.cfg, s.err
}

func (s *sdkConfig) loadNow(ctx context.Context) (aws.Config, error) {
	// Each attempt gets a third of the time, at most 10s, so a stalled answer is retried.
	attempt := min(s.timeout/3, 10*time.Second)
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(attempt)),
		config.WithRegion(s.region),
		config.WithLogger(SDKLogger(s.log)),
	}
	p := s.plan
	if p.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(p.Profile))
	}
	stored, remove, err := storedConfigFiles(p, awsfiles.Locate(s.lookup).Config)
	if err != nil {
		return aws.Config{}, &wholeError{err}
	}
	defer remove()
	if stored != nil {
		opts = append(opts, config.WithSharedConfigFiles(stored))
	}
	if !p.BaseFromSDK() {
		// The SDK's own chain is not needed, so do not let it resolve (and trip over, say, an
		// AWS_WEB_IDENTITY_TOKEN_FILE without AWS_ROLE_ARN).
		opts = append(opts, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	}
	// The SDK reads the process environment itself here, not s.lookup (AWS_PROFILE, the
	// shared files' paths, AWS_ACCESS_KEY_ID...), and so do the processcreds and ssocreds
	// providers it builds for a profile's credential_process and SSO: it takes no other source.
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, &wholeError{profileError(p.Profile, p.ProfileOrigin, err)}
	}
	cfg.HTTPClient = limitBodies(cfg.HTTPClient, maxResponseBody)
	cfg.APIOptions = append(cfg.APIOptions, recordAttempts)
	return cfg, nil
}

// sharedProfile reads the shared config profile the SDK would read for p, as the SDK reads
// it (the same loader, files and profile), for its region and endpoint settings. A profile
// that is not there gives the zero SharedConfig, as it does in the SDK: a named profile that
// is missing fails when the SDK is asked for its credentials.
func sharedProfile(ctx context.Context, p *plan.Plan, lookup func(string) (string, bool)) (config.SharedConfig, error) {
	profile := p.Profile
	if profile == "" {
		profile, _ = lookup("AWS_DEFAULT_PROFILE")
	}
	if profile == "" {
		profile = "default"
	}
	files := awsfiles.Locate(lookup)
	configFiles, remove, err := storedConfigFiles(p, files.Config)
	if err != nil {
		return config.SharedConfig{}, err
	}
	defer remove()
	if configFiles == nil {
		configFiles = []string{files.Config}
	}
	sc, err := config.LoadSharedConfigProfile(ctx, profile, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles, o.CredentialsFiles = configFiles, []string{files.Credentials}
	})
	var missing config.SharedConfigProfileNotExistError
	if errors.As(err, &missing) {
		return config.SharedConfig{}, nil
	}
	if err != nil {
		return config.SharedConfig{}, profileError(p.Profile, p.ProfileOrigin, err)
	}
	return sc, nil
}

// storedConfigFiles returns the config files that let the SDK read p's profile when the plan
// took its base keys from rolehop's secret store, which the SDK cannot read and would stop at:
// a marker file that stands in for them (awsprofile.StoredConfig), then configFile. It also
// returns a function that removes the marker. Without such keys it returns no files.
func storedConfigFiles(p *plan.Plan, configFile string) ([]string, func(), error) {
	if p.Profile == "" || p.StoredCredentials == "" || p.StoredOrigin.Layer != plan.FromProfile {
		return nil, func() {}, nil
	}
	marker, remove, err := awsprofile.StoredConfig(p.StoredCredentials)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", p.StoredOrigin, err)
	}
	return []string{marker, configFile}, remove, nil
}

// endpointVarsAll are the variables, besides the region, that the AWS SDK picks the STS
// endpoint from.
var endpointVarsAll = []string{"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT"}

// endpointInputs writes down everything besides the region that the AWS SDK picks the STS
// endpoint from: the variables it reads and the profile's settings. It keys the cache in
// place of the endpoint the SDK would resolve, so that finding credentials in the cache needs
// no SDK configuration; the same inputs always give the same endpoint.
func endpointInputs(lookup func(string) (string, bool), sc config.SharedConfig) string {
	var b strings.Builder
	for _, name := range endpointVarsAll {
		v, _ := lookup(name)
		fmt.Fprintf(&b, "%s=%q ", name, v)
	}
	ignore := "unset"
	if sc.IgnoreConfiguredEndpoints != nil {
		ignore = fmt.Sprint(*sc.IgnoreConfiguredEndpoints)
	}
	fmt.Fprintf(&b, "endpoint_url=%q services.sts.endpoint_url=%q ignore_configured_endpoint_urls=%s use_fips_endpoint=%d use_dualstack_endpoint=%d",
		sc.BaseEndpoint, sc.Services.ServiceValues["sts"]["endpoint_url"], ignore, sc.UseFIPSEndpoint, sc.UseDualStackEndpoint)
	return b.String()
}

// sdkCredentials are the credentials of the SDK's own chain (the environment, a profile, SSO,
// a credential_process...).
type sdkCredentials struct{ sdk *sdkConfig }

func (s sdkCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	cfg, err := s.sdk.load(ctx)
	if err != nil {
		return aws.Credentials{}, err
	}
	return cfg.Credentials.Retrieve(ctx)
}

// lazyProvider makes its provider on the first Retrieve, once the SDK configuration it needs
// is loaded.
type lazyProvider struct {
	sdk  *sdkConfig
	make func(ctx context.Context, cfg aws.Config) (aws.CredentialsProvider, error)

	mu    sync.Mutex
	inner aws.CredentialsProvider
}

func (l *lazyProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	l.mu.Lock()
	if l.inner == nil {
		cfg, err := l.sdk.load(ctx)
		if err == nil {
			l.inner, err = l.make(ctx, cfg)
		}
		if err != nil {
			l.mu.Unlock()
			return aws.Credentials{}, err
		}
	}
	inner := l.inner
	l.mu.Unlock()
	return inner.Retrieve(ctx)
}

// stsAPI is the part of the STS client the steps use.
type stsAPI interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, opts ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
	AssumeRoleWithWebIdentity(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, opts ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error)
	GetSessionToken(ctx context.Context, in *sts.GetSessionTokenInput, opts ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error)
}

// lazySTS is an STS client signed by creds, made at each call from the SDK configuration,
// which the first call loads.
type lazySTS struct {
	sdk   *sdkConfig
	creds aws.CredentialsProvider
}

func (l lazySTS) client(ctx context.Context) (*sts.Client, error) {
	cfg, err := l.sdk.load(ctx)
	if err != nil {
		return nil, err
	}
	return sts.NewFromConfig(cfg, func(o *sts.Options) { o.Credentials = l.creds }), nil
}

func (l lazySTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, opts ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	c, err := l.client(ctx)
	if err != nil {
		return nil, err
	}
	return c.AssumeRole(ctx, in, opts...)
}

func (l lazySTS) AssumeRoleWithWebIdentity(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, opts ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	c, err := l.client(ctx)
	if err != nil {
		return nil, err
	}
	return c.AssumeRoleWithWebIdentity(ctx, in, opts...)
}

func (l lazySTS) GetSessionToken(ctx context.Context, in *sts.GetSessionTokenInput, opts ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error) {
	c, err := l.client(ctx)
	if err != nil {
		return nil, err
	}
	return c.GetSessionToken(ctx, in, opts...)
}

// storedBase returns the provider of the long-term keys stored under p.StoredCredentials and
// what identifies them in the cache. When the store tells the keys' version without
// decrypting them (the encrypted file backend: one key derivation saved per run), they are
// read only when a step must be fetched; otherwise they are read now, for their key ID.
func storedBase(p *plan.Plan, o Options) (aws.CredentialsProvider, []string, error) {
	name := p.StoredCredentials
	if o.Keys == nil {
		return nil, nil, fmt.Errorf("%s: no secret store to read credentials %q from", p.StoredOrigin, name)
	}
	read := func() (aws.Credentials, error) {
		stored, err := o.Keys(name)
		if err != nil && p.StoredOrigin.Layer == plan.FromProfile {
			return aws.Credentials{}, fmt.Errorf("%s: no credentials in the AWS files, and %w; or check the name (aws configure list-profiles)", p.StoredOrigin, err)
		}
		if err != nil {
			return aws.Credentials{}, fmt.Errorf("%s: %w", p.StoredOrigin, err)
		}
		return stored, nil
	}
	identity := []string{fmt.Sprintf("base=stored credentials %q", name)}
	if o.KeysVersion != nil {
		if v, ok := o.KeysVersion(name); ok {
			return &storedKeys{read: read, log: o.Log, name: name}, append(identity, "stored_keys_version="+v), nil
		}
	}
	stored, err := read()
	if err != nil {
		return nil, nil, err
	}
	o.Log.Debug("stored credentials read", "name", name, "why", "the store cannot tell their version otherwise")
	return credentials.StaticCredentialsProvider{Value: stored}, append(identity, "access_key_id="+stored.AccessKeyID), nil
}

// storedKeys reads stored keys on the first Retrieve.
type storedKeys struct {
	read func() (aws.Credentials, error)
	log  *slog.Logger
	name string

	mu    sync.Mutex
	creds *aws.Credentials
}

func (s *storedKeys) Retrieve(context.Context) (aws.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.creds == nil {
		creds, err := s.read()
		if err != nil {
			return aws.Credentials{}, &wholeError{err}
		}
		s.log.Debug("stored credentials read", "name", s.name, "why", "a step is fetched")
		s.creds = &creds
	}
	return *s.creds, nil
}
