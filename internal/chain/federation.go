package chain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/rolehop/rolehop/internal/credcheck"
	"github.com/rolehop/rolehop/internal/display"
)

// allowAll is the session policy of a federated user: a federated user gets the intersection of
// the IAM user's policies and its session policy, so with this one the user's own permissions,
// and with none at all it would get no permission.
const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// FederationToken calls STS GetFederationToken with the chain's credentials, which must be an
// IAM user's long-term keys, for a federated user called name with the user's own permissions,
// lasting d. It is what lets long-term keys sign in to the console, which takes only session
// credentials. Its answer is checked like every other: complete, unexpired, and a session of
// that federated user.
func (c *Chain) FederationToken(ctx context.Context, name string, d time.Duration) (aws.Credentials, error) {
	cfg, err := c.sdk.load(ctx)
	if err != nil {
		return aws.Credentials{}, err
	}
	client := sts.NewFromConfig(cfg, func(o *sts.Options) { o.Credentials = c.creds })
	call := stsCall{label: fmt.Sprintf("console sign-in as federated user %s", name), api: "GetFederationToken", signer: c.creds,
		timeout: c.timeout, log: c.log, attrs: []any{"duration", display.Duration(d)}}
	creds, err := call.do(ctx, func(ctx context.Context, _ string) (aws.Credentials, error) {
		out, err := client.GetFederationToken(ctx, &sts.GetFederationTokenInput{
			Name: aws.String(name), DurationSeconds: aws.Int32(int32(d.Seconds())), Policy: aws.String(allowAll),
		})
		if err != nil {
			return aws.Credentials{}, err
		}
		if err := credcheck.Issued(out.Credentials, time.Now()); err != nil {
			return aws.Credentials{}, refused(err)
		}
		var arn string
		if out.FederatedUser != nil {
			arn = aws.ToString(out.FederatedUser.Arn)
		}
		if !strings.HasSuffix(arn, ":federated-user/"+name) {
			return aws.Credentials{}, refused(fmt.Errorf("STS answered with credentials for %.200q, not for the federated user %s", arn, name))
		}
		return aws.Credentials{
			AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
			SessionToken: aws.ToString(out.Credentials.SessionToken), CanExpire: true, Expires: aws.ToTime(out.Credentials.Expiration),
			Source: "GetFederationToken",
		}, nil
	}, nil)
	var he *HopError
	if errors.As(err, &he) && he.Code() == "AccessDenied" {
		return aws.Credentials{}, &federationDenied{he}
	}
	return creds, err
}

// federationDenied is GetFederationToken's AccessDenied, with advice of its own: the one for
// AccessDenied in hints is about assuming a role.
type federationDenied struct{ *HopError }

func (e *federationDenied) Error() string {
	var api smithy.APIError
	errors.As(e.Err, &api)
	msg := clean(strings.TrimSuffix(strings.TrimSpace(api.ErrorMessage()), "."), e.hide, maxMessage)
	return fmt.Sprintf("%s: %s: AccessDenied: %s; the IAM user needs permission for sts:GetFederationToken to sign in to the console with its long-term keys, or sign in as a role with --iam-role", e.Step, e.API, msg)
}
