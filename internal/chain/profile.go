package chain

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/rolehop/rolehop/internal/plan"
)

// ecsEndpoint is the address of the container credentials endpoint that
// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is a path on.
const ecsEndpoint = "http://169.254.170.2"

// profileBase returns the provider of a profile's base credentials, how messages name it, and
// what identifies it in the cache: what defines the identity, never a short-lived key that
// changes on every run.
func (c *Chain) profileBase(b *plan.ProfileBase, lookup func(string) (string, bool)) (aws.CredentialsProvider, string, []string, error) {
	where := b.Origin.String()
	env := func(name string) string { v, _ := lookup(name); return v }
	switch b.Kind {
	case plan.BaseKeys:
		k := b.Keys
		return credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, k.SessionToken), "keys in " + where,
			[]string{"base=profile keys", "access_key_id=" + k.AccessKeyID}, nil
	case plan.BaseEnvironment:
		_, id := firstSet(lookup, keyIDVars)
		_, secret := firstSet(lookup, secretVars)
		if id == "" || secret == "" {
			return nil, "", nil, fmt.Errorf("%s: credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set; set them, or change the credential_source", where)
		}
		return credentials.NewStaticCredentialsProvider(id, secret, env("AWS_SESSION_TOKEN")), "the environment's keys (credential_source in " + where + ")",
			[]string{"base=credential_source Environment", "access_key_id=" + id}, nil
	case plan.BaseIMDS:
		imdsCreds := &lazyProvider{sdk: c.sdk, make: func(_ context.Context, cfg aws.Config) (aws.CredentialsProvider, error) {
			client := imds.NewFromConfig(cfg)
			return ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = client }), nil
		}}
		return imdsCreds, "instance metadata (credential_source in " + where + ")",
			[]string{"base=credential_source Ec2InstanceMetadata"}, nil
	case plan.BaseECS:
		url := env("AWS_CONTAINER_CREDENTIALS_FULL_URI")
		if rel := env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); rel != "" {
			url = ecsEndpoint + rel
		}
		if url == "" {
			return nil, "", nil, fmt.Errorf("%s: credential_source = EcsContainer, but neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set", where)
		}
		return endpointcreds.New(url, containerToken(env)), "the container endpoint (credential_source in " + where + ")",
			[]string{"base=credential_source EcsContainer", "endpoint=" + url}, nil
	case plan.BaseProcess:
		// The AWS SDK runs it, as it would for the profile.
		return processcreds.NewProvider(b.Process), "credential_process in " + where,
			[]string{"base=credential_process", "command=" + b.Process}, nil
	}
	// IAM Identity Center and sign-in sessions: the SDK resolves the profile that holds them.
	sso := &lazyProvider{sdk: c.sdk, make: func(ctx context.Context, chainCfg aws.Config) (aws.CredentialsProvider, error) {
		cfg, err := config.LoadDefaultConfig(ctx, config.WithSharedConfigProfile(b.Profile), config.WithHTTPClient(chainCfg.HTTPClient), config.WithRegion(chainCfg.Region), config.WithLogger(chainCfg.Logger))
		if err != nil {
			return nil, &wholeError{fmt.Errorf("%s: %w", where, err)}
		}
		return ssoLogin{inner: cfg.Credentials, profile: b.Profile}, nil
	}}
	return sso, "the AWS SDK's SSO credentials of " + where, []string{"base=sso", "profile=" + b.Profile}, nil
}

// containerToken sets the container endpoint's authorization token as the SDKs do: the file
// named by AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE when it is set, read again at each fetch
// because the platform rotates it, else AWS_CONTAINER_AUTHORIZATION_TOKEN.
func containerToken(env func(string) string) func(*endpointcreds.Options) {
	return func(o *endpointcreds.Options) {
		o.AuthorizationToken = env("AWS_CONTAINER_AUTHORIZATION_TOKEN")
		file := env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
		if file == "" {
			return
		}
		o.AuthorizationTokenProvider = endpointcreds.TokenProviderFunc(func() (string, error) {
			b, err := os.ReadFile(file)
			if err != nil {
				return "", fmt.Errorf("env AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %w", err)
			}
			// A trailing newline is no part of the token, and no header can carry it.
			return strings.TrimSpace(string(b)), nil
		})
	}
}
