package chain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/rolehop/rolehop/internal/display"
	"github.com/rolehop/rolehop/internal/mfa"
	"github.com/rolehop/rolehop/internal/plan"
)

// The steps of a chain are aws.CredentialsProviders with one job each: the base credentials
// (baseStep), an MFA session (mfaStep), a role assumed with AssumeRole (assumeStep) or with a
// web identity token (webIdentityStep). Each STS step makes its call through an stsCall, which
// names the step in errors, logs the call, bounds it in time and hides what it sent.

// baseStep gives the base credentials: the SDK's chain, a profile, stored keys or an auth
// provider's.
type baseStep struct {
	inner aws.CredentialsProvider
	label string // where they come from
	log   *slog.Logger
}

func (b *baseStep) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := b.inner.Retrieve(ctx)
	var whole *wholeError
	if errors.As(err, &whole) {
		return aws.Credentials{}, whole
	}
	if err != nil {
		return aws.Credentials{}, &BaseError{Source: b.label, Err: err}
	}
	b.log.Debug("base credentials", "source", b.label, "provider", creds.Source, "access_key_id", display.KeyID(creds.AccessKeyID), "expires", expiry(creds))
	return creds, nil
}

// stsCall is what every STS step shares.
type stsCall struct {
	label string // "hop 2 (arn:...)" or "MFA session (arn:...)"
	api   string // the STS operation
	// signer gives the credentials the call is signed with; nil when it needs none (a web
	// identity hop).
	signer  aws.CredentialsProvider
	timeout time.Duration // the call's, retries included
	log     *slog.Logger
	// codes, when set, gives the MFA code for serial that the call carries. It is asked for
	// before the timed call, so a person typing it does not count against the timeout.
	codes  plan.CodeSource
	serial string
	// attrs are logged with the call.
	attrs []any
}

// do makes the call: fetch the signing credentials, ask for the MFA code if one is needed, then
// run call within the timeout. hide gives the secrets the call carried beyond the signer's and
// the code, to keep out of its error.
func (c *stsCall) do(ctx context.Context, call func(ctx context.Context, code string) (aws.Credentials, error), hide func() []string) (aws.Credentials, error) {
	var signer aws.Credentials
	if c.signer != nil {
		// First, so the latency logged below is this step's alone.
		var err error
		if signer, err = c.signer.Retrieve(ctx); err != nil {
			return aws.Credentials{}, err
		}
	}
	var code string
	if c.codes != nil {
		var err error
		if code, err = c.codes.Code(ctx, c.serial); err != nil {
			return aws.Credentials{}, &HopError{Step: c.label, API: c.api, Err: err}
		}
	}
	start := time.Now()
	callCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	callCtx, tries := withAttempts(callCtx)
	creds, err := call(callCtx, code)
	if err != nil && callCtx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
		err = &timeoutError{after: c.timeout, err: err, last: tries.lastError()}
	}
	c.log.Debug("sts call", append([]any{"step", c.label, "api", c.api, "latency", time.Since(start).Round(time.Microsecond), "ok", err == nil}, c.attrs...)...)
	if err == nil {
		return creds, nil
	}
	if prev := earlier(err); prev != nil {
		return aws.Credentials{}, prev
	}
	secrets := []string{code, signer.SecretAccessKey, signer.SessionToken}
	if hide != nil {
		secrets = append(secrets, hide()...)
	}
	return aws.Credentials{}, &HopError{Step: c.label, API: c.api, Err: err, hide: secrets}
}

// mfaStep gets an MFA session: GetSessionToken with the device's serial number and a code.
type mfaStep struct {
	call     stsCall
	client   mfa.SessionAPI
	duration time.Duration
}

func (m *mfaStep) Retrieve(ctx context.Context) (aws.Credentials, error) {
	return m.call.do(ctx, func(ctx context.Context, code string) (aws.Credentials, error) {
		s := mfa.Session{Client: m.client, Serial: m.call.serial, Duration: m.duration, Codes: mfa.Static(code)}
		return s.Retrieve(ctx)
	}, nil)
}

// assumeStep assumes a role with AssumeRole, signed with the credentials before it, with an
// MFA code when the hop has a device.
type assumeStep struct {
	call   stsCall
	client stscreds.AssumeRoleAPIClient
	hop    *plan.Hop
}

func (a *assumeStep) Retrieve(ctx context.Context) (aws.Credentials, error) {
	return a.call.do(ctx, func(ctx context.Context, code string) (aws.Credentials, error) {
		h := a.hop
		return stscreds.NewAssumeRoleProvider(a.client, h.Role.String(), func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = h.SessionName
			o.Duration = h.Duration
			o.ExternalID = optional(h.ExternalID)
			o.SourceIdentity = optional(h.SourceIdentity)
			o.Policy = optional(h.Policy)
			o.PolicyARNs = policyARNs(h.PolicyARNs)
			o.Tags = tags(h.Tags)
			o.TransitiveTagKeys = h.TransitiveTagKeys
			if h.MFASerial != "" {
				o.SerialNumber = aws.String(h.MFASerial)
				o.TokenProvider = func() (string, error) { return code, nil }
			}
		}).Retrieve(ctx)
	}, nil)
}

// webIdentityStep assumes a role with AssumeRoleWithWebIdentity: the token, fetched anew at
// each call, is the identity.
type webIdentityStep struct {
	call     stsCall
	provider *stscreds.WebIdentityRoleProvider
	token    *memoToken
}

func (w *webIdentityStep) Retrieve(ctx context.Context) (aws.Credentials, error) {
	return w.call.do(ctx, func(ctx context.Context, _ string) (aws.Credentials, error) {
		return w.provider.Retrieve(ctx)
	}, func() []string { return []string{w.token.last()} })
}

// newWebIdentityStep makes the step of the first hop h, which has a web identity token.
func newWebIdentityStep(call stsCall, client stsAPI, h *plan.Hop, tok *memoToken) *webIdentityStep {
	p := stscreds.NewWebIdentityRoleProvider(&checkedSTS{client: client, role: h.Role, now: time.Now}, h.Role.String(), tok, func(o *stscreds.WebIdentityRoleOptions) {
		o.RoleSessionName = h.SessionName
		o.Duration = h.Duration
		o.Policy = optional(h.Policy)
		o.PolicyARNs = policyARNs(h.PolicyARNs)
	})
	return &webIdentityStep{call: call, provider: p, token: tok}
}

// hopLabel names hop i (from 0) in messages.
func hopLabel(i int, h *plan.Hop) string { return fmt.Sprintf("hop %d (%s)", i+1, h.Role) }
