package chain

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
	"github.com/rolehop/rolehop/internal/credcache"
	"github.com/rolehop/rolehop/internal/display"
	"github.com/rolehop/rolehop/internal/plan"
)

// HopError is a failed STS call. Its message names the step (the hop and its role, or the MFA
// session), the call and the STS error code, with a sentence on what to check for common codes.
// What STS sent is quoted on one line, shortened, and with the secrets the call carried hidden:
// an endpoint that echoes its request must not print a token or a code.
type HopError struct {
	// Step is "hop 2 (arn:...)" or "MFA session (arn:...)"; empty for a call outside the chain.
	Step string
	API  string
	Err  error
	// hide are the secrets the call carried, as step.secrets gives them.
	hide []string
}

func (e *HopError) Error() string {
	prefix := e.API + ": "
	if e.Step != "" {
		prefix = e.Step + ": " + prefix
	}
	return prefix + describe(e.Err, e.hide)
}

func (e *HopError) Unwrap() error { return e.Err }

// Code returns the STS error code, or "" when the call failed before STS answered.
func (e *HopError) Code() string {
	var api smithy.APIError
	if errors.As(e.Err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// hints says what to check for common STS error codes.
var hints = map[string]string{
	"AccessDenied":               "check that the role's trust policy allows your identity (and any external ID or MFA condition) and that your identity may call sts:AssumeRole on it",
	"ExpiredToken":               "the credentials used for this call have expired; refresh them (for example aws sso login) and try again",
	"ExpiredTokenException":      "the web identity token has expired; fetch a fresh one",
	"InvalidIdentityToken":       "the web identity token was rejected; check that it is current and that its issuer is registered as an IAM OIDC identity provider",
	"IDPRejectedClaim":           "the role's trust policy does not accept this token's claims (aud, sub); check its conditions",
	"IDPCommunicationError":      "STS could not reach the token issuer to verify it; try again",
	"RegionDisabledException":    "STS is not activated in this region for the account; activate it in IAM account settings or use another --region",
	"InvalidClientTokenId":       "the access key used for this call is not valid; check your base credentials",
	"SignatureDoesNotMatch":      "the secret key does not match the access key; check your base credentials",
	"MalformedPolicyDocument":    "the session policy is not a valid IAM policy; fix the policy attribute",
	"PackedPolicyTooLarge":       "the session policy and tags are too large once packed; shorten them",
	"Throttling":                 "STS is throttling requests; wait and try again",
	"InvalidParameterValue":      "a parameter was rejected; check the role ARN, session name and duration",
	"MissingAuthenticationToken": "the call was not signed; check your base credentials",
	"MultiFactorAuthentication":  "the MFA code was refused; check the device's serial number and use a fresh code",
}

// tokenError is a failure to get the web identity token, before any call to STS.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// timeoutError is an STS call that did not succeed within the time allowed, retries included.
type timeoutError struct {
	after time.Duration
	err   error
	// last is the last error an attempt got that was not a timeout; nil when none answered.
	last error
}

func (e *timeoutError) Error() string { return e.err.Error() }
func (e *timeoutError) Unwrap() error { return e.err }

// describe writes an SDK error as one line: the STS code and message with a hint, or what
// kept the request from reaching STS. Text from STS or the network is cleaned of the secrets
// in hide.
func describe(err error, hide []string) string {
	var te *tokenError
	if errors.As(err, &te) {
		return "web identity token: " + display.OneLine(te.Error())
	}
	var re *refusedError
	if errors.As(err, &re) {
		// Without the SDK provider's "failed to retrieve credentials" wrapping.
		return re.Error()
	}
	var to *timeoutError
	if errors.As(err, &to) && to.last != nil {
		return fmt.Sprintf("no credentials from STS within %s, retries included (--sts-timeout); last error: %s", display.Duration(to.after), describe(to.last, hide))
	}
	if errors.As(err, &to) {
		last := "no answer"
		if d := describe(to.err, hide); !strings.Contains(d, "context deadline exceeded") {
			last = d
		}
		return fmt.Sprintf("STS did not answer within %s, retries included (last: %s); check the network, or raise --sts-timeout", display.Duration(to.after), last)
	}
	var big *bodyTooLargeError
	if errors.As(err, &big) {
		return big.Error() + ", which no STS answer is; check AWS_ENDPOINT_URL_STS and any proxy in between"
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		msg := clean(strings.TrimSuffix(strings.TrimSpace(api.ErrorMessage()), "."), hide, maxMessage)
		s := clean(api.ErrorCode(), hide, maxCode)
		if msg != "" {
			s += ": " + msg
		}
		hint := hints[api.ErrorCode()]
		if strings.Contains(msg, "role chaining") {
			hint = "a role assumed with another role's credentials lasts at most 1h; use --duration 1h or less"
		}
		if hint != "" {
			s += "; " + hint
		}
		return s
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		u, _ := url.Parse(ue.URL)
		host := ue.URL
		if u != nil {
			host = u.Scheme + "://" + u.Host
		}
		return fmt.Sprintf("cannot reach STS at %s: %s; check the network, --region and AWS_ENDPOINT_URL_STS", clean(host, hide, maxMessage), clean(display.RootCause(ue.Err).Error(), hide, maxMessage))
	}
	return clean(err.Error(), hide, maxMessage)
}

// BaseError is a failure to get the base credentials the first hop is signed with.
type BaseError struct {
	Source string
	Err    error
}

func (e *BaseError) Error() string {
	var told *toldError
	if errors.As(e.Err, &told) {
		return fmt.Sprintf("base credentials (%s): %s", e.Source, told.msg)
	}
	cause := display.OneLine(e.Err.Error())
	if strings.Contains(cause, "EC2 IMDS") || strings.Contains(cause, "no EC2 IMDS role") {
		cause = "no credentials found in the environment, shared files, SSO or instance metadata"
	}
	return fmt.Sprintf("base credentials (%s): %s; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pick a profile with --profile, or log in with aws sso login", e.Source, cause)
}

func (e *BaseError) Unwrap() error { return e.Err }

// toldError is a base failure that says itself what to do, so BaseError adds no general hint.
type toldError struct{ msg string }

func (e *toldError) Error() string { return e.msg }

// ssoLogin is the SDK's IAM Identity Center provider of a profile, with its failure for a
// missing or expired cached token (no aws sso login yet, or too long ago) made into the
// command that fixes it, instead of the SDK's path of the token file.
type ssoLogin struct {
	inner   aws.CredentialsProvider
	profile string
}

func (s ssoLogin) Retrieve(ctx context.Context) (aws.Credentials, error) {
	v, err := s.inner.Retrieve(ctx)
	var invalid *ssocreds.InvalidTokenError
	// An sso-session's token file that is not there is an error of os, and one that expired
	// (with no refresh token) is only a sentence.
	if errors.As(err, &invalid) || errors.Is(err, fs.ErrNotExist) || (err != nil && strings.Contains(err.Error(), "cached SSO token is expired")) {
		return v, &toldError{msg: fmt.Sprintf("no valid IAM Identity Center login (the cached SSO token is missing or expired); run aws sso login --profile %s", s.profile)}
	}
	return v, err
}

// earlier returns the failure of an earlier link of the chain that err carries, if any: when a
// hop cannot be signed because the hop before it failed, that failure is the one to report.
func earlier(err error) error {
	var he *HopError
	if errors.As(err, &he) {
		return he
	}
	var be *BaseError
	if errors.As(err, &be) {
		return be
	}
	var le *credcache.LockError
	if errors.As(err, &le) {
		return le
	}
	var whole *wholeError
	if errors.As(err, &whole) {
		return whole
	}
	return nil
}

// wholeError is a failure that says everything itself (where it came from and what to do),
// met by a step that needed it first: loading the SDK configuration, or reading stored keys.
// No step wraps it.
type wholeError struct{ err error }

func (e *wholeError) Error() string { return e.err.Error() }
func (e *wholeError) Unwrap() error { return e.err }

// profileError explains a failure to load the shared configuration.
func profileError(profile string, origin plan.Origin, err error) error {
	var missing config.SharedConfigProfileNotExistError
	if errors.As(err, &missing) {
		return fmt.Errorf("%s: profile %q is not in the AWS config or credentials file; check the name (aws configure list-profiles)", origin, profile)
	}
	return fmt.Errorf("load AWS configuration: %s", display.OneLine(err.Error()))
}

// told is a base whose errors say themselves what to do (rolehop's IAM Identity Center
// provider names the login to run).
type told struct{ inner aws.CredentialsProvider }

func (t told) Retrieve(ctx context.Context) (aws.Credentials, error) {
	v, err := t.inner.Retrieve(ctx)
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return v, &toldError{msg: display.OneLine(err.Error())}
	}
	return v, err
}
