package chain

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/rolehop/rolehop/internal/credcheck"
	"github.com/rolehop/rolehop/internal/plan"
)

// checkedSTS makes the calls of one step and refuses an answer that does not hold exactly
// what was asked for: complete credentials that have not expired and, for a role, a session
// of that role in its account. It stands between STS and the SDK's providers, which would
// otherwise hand on empty keys (or fail on a missing expiry).
type checkedSTS struct {
	client *sts.Client
	// role is the role the step assumes; unset for GetSessionToken.
	role plan.RoleARN
	now  func() time.Time
}

// refusedError is an STS answer checkedSTS will not use.
type refusedError struct{ err error }

func (e *refusedError) Error() string {
	return e.err.Error() + "; nothing was handed over (check that the STS endpoint, AWS_ENDPOINT_URL_STS if set, is AWS STS)"
}

func (e *refusedError) Unwrap() error { return e.err }

func refused(err error) error { return &refusedError{err} }

func (c *checkedSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, opts ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	out, err := c.client.AssumeRole(ctx, in, opts...)
	if err != nil {
		return nil, err
	}
	if err := credcheck.Issued(out.Credentials, c.now()); err != nil {
		return nil, refused(err)
	}
	if err := credcheck.AssumedRole(c.role, out.AssumedRoleUser); err != nil {
		return nil, refused(err)
	}
	return out, nil
}

func (c *checkedSTS) AssumeRoleWithWebIdentity(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, opts ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	out, err := c.client.AssumeRoleWithWebIdentity(ctx, in, opts...)
	if err != nil {
		return nil, err
	}
	if err := credcheck.Issued(out.Credentials, c.now()); err != nil {
		return nil, refused(err)
	}
	if err := credcheck.AssumedRole(c.role, out.AssumedRoleUser); err != nil {
		return nil, refused(err)
	}
	return out, nil
}

func (c *checkedSTS) GetSessionToken(ctx context.Context, in *sts.GetSessionTokenInput, opts ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error) {
	out, err := c.client.GetSessionToken(ctx, in, opts...)
	if err != nil {
		return nil, err
	}
	if err := credcheck.Issued(out.Credentials, c.now()); err != nil {
		return nil, refused(err)
	}
	return out, nil
}
