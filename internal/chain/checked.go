package chain

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/rolehop/rolehop/internal/credcheck"
	"github.com/rolehop/rolehop/internal/plan"
)

// checkedSTS makes the calls of one step and refuses an answer that does not hold exactly
// what was asked for: complete credentials that have not expired and, for a role, a session
// of that role in its account. It stands between STS and the SDK's providers, which would
// otherwise hand on empty keys (or fail on a missing expiry).
type checkedSTS struct {
	client stsAPI
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
	if err == nil {
		err = c.answer(out.Credentials, out.AssumedRoleUser, true)
	}
	return orNil(out, err)
}

func (c *checkedSTS) AssumeRoleWithWebIdentity(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, opts ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	out, err := c.client.AssumeRoleWithWebIdentity(ctx, in, opts...)
	if err == nil {
		err = c.answer(out.Credentials, out.AssumedRoleUser, true)
	}
	return orNil(out, err)
}

func (c *checkedSTS) GetSessionToken(ctx context.Context, in *sts.GetSessionTokenInput, opts ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error) {
	out, err := c.client.GetSessionToken(ctx, in, opts...)
	if err == nil {
		err = c.answer(out.Credentials, nil, false)
	}
	return orNil(out, err)
}

// answer checks the credentials of an answer and, for a role, whose session they are.
func (c *checkedSTS) answer(creds *types.Credentials, user *types.AssumedRoleUser, role bool) error {
	if err := credcheck.Issued(creds, c.now()); err != nil {
		return refused(err)
	}
	if !role {
		return nil
	}
	if err := credcheck.AssumedRole(c.role, user); err != nil {
		return refused(err)
	}
	return nil
}

// orNil hands on an answer only when there is no error.
func orNil[T any](out *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return out, nil
}
