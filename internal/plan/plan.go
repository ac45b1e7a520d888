// Package plan describes the chain of STS calls rolehop makes to reach the identity a user asked
// for, and checks it against STS's rules before any call is made.
//
// A Plan is built from resolved settings (package settings) and turned into credentials by
// package chain. Every value in a Plan has already been parsed; Check adds the rules that span
// several values, such as the one-hour limit on chained roles.
package plan

import (
	"context"
	"fmt"
	"time"

	"github.com/rolehop/rolehop/internal/display"
)

// Field names used as keys of Hop.Origin. They match the rolehop.hcl attribute names of an
// assume_role block, so messages name what the user can change.
const (
	FieldMFASerial        = "mfa_serial"
	FieldRoleARN          = "role_arn"
	FieldSessionName      = "session_name"
	FieldDuration         = "duration"
	FieldExternalID       = "external_id"
	FieldSourceIdentity   = "source_identity"
	FieldTags             = "tags"
	FieldTransitiveTags   = "transitive_tag_keys"
	FieldPolicy           = "policy"
	FieldPolicyARNs       = "policy_arns"
	FieldWebIdentityToken = "iam_web_identity_token"
)

// Plan is everything needed to get the requested credentials: where the base identity comes
// from, the region, and the roles to assume in order.
type Plan struct {
	// Profile names the shared-config profile the settings chose; empty means the SDK's
	// default chain (environment, shared files, SSO, container, instance metadata). The SDK
	// reads its region and other settings; its identity is ProfileBase and the first Hops.
	Profile string
	// ProfileOrigin says where Profile came from, for messages.
	ProfileOrigin Origin
	// Region is the region STS is called in and handed to the command; empty when unknown.
	Region string
	// RegionOrigin says where Region came from, for messages.
	RegionOrigin Origin
	// ProfileBase, when set, gives the base credentials of the chain Profile makes.
	ProfileBase *ProfileBase
	// Hops are assumed in order, each with the credentials of the one before it.
	Hops []Hop
	// Defaults are the session name and duration for a hop that sets neither (such as the role
	// an auth provider returns), with their origins.
	Defaults Hop
	// AuthProvider, when set, is run before any STS call; see authprovider.Apply.
	AuthProvider *AuthProvider
	// Credentials, when set, are the base credentials instead of the profile or default chain.
	Credentials *Credentials
	// Envs are extra variables for the command, from an auth provider.
	Envs []Env
	// StoredCredentials names long-term keys in rolehop's secret store to use as the base
	// credentials; StoredOrigin says where the name came from.
	StoredCredentials string
	StoredOrigin      Origin
	// MFA, when set, authenticates the base credentials with a device: an MFA session
	// (GetSessionToken) before the hops, or, with OnAssume, a code on the first AssumeRole.
	MFA *MFA
	// Codes gives MFA codes, for MFA and for hops with an MFASerial.
	Codes CodeSource
	// SSO, when set, gives the base credentials: a role of an IAM Identity Center login.
	SSO *SSO
}

// SSO is an account and role of an IAM Identity Center session, the base of a chain.
type SSO struct {
	// Session names an [sso-session] of the AWS config file, or, with StartURL and Region set,
	// a legacy profile that has its own sso_start_url and sso_region.
	Session          string
	StartURL, Region string
	AccountID        string
	RoleName         string
	// Origin says where the session came from, for messages.
	Origin Origin
}

// MFA is a multi-factor device and how it is used.
type MFA struct {
	Serial string
	Origin Origin
	// SessionDuration is how long the MFA session lasts.
	SessionDuration time.Duration
	// OnAssume sends the code on the first hop's AssumeRole instead of getting a session.
	OnAssume bool
}

// BaseKind says where a profile's base credentials come from.
type BaseKind int

// The bases a profile may have.
const (
	// BaseKeys are the static keys written in the profile.
	BaseKeys BaseKind = iota
	// BaseEnvironment, BaseIMDS and BaseECS are the credential_source values Environment,
	// Ec2InstanceMetadata and EcsContainer.
	BaseEnvironment
	BaseIMDS
	BaseECS
	// BaseProcess is a credential_process.
	BaseProcess
	// BaseSDK is a profile whose credentials the AWS SDK resolves (IAM Identity Center).
	BaseSDK
)

// ProfileBase is where the chain of a shared-config profile starts.
type ProfileBase struct {
	Kind BaseKind
	// Profile is the profile that holds the base, handed to the SDK for BaseSDK.
	Profile string
	// Keys are the static keys of BaseKeys.
	Keys Credentials
	// Process is the command line of BaseProcess.
	Process string
	// Origin says where the base is written, for messages.
	Origin Origin
}

// LongTerm reports whether the base is long-term keys written in the profile, which may get an
// MFA session (GetSessionToken); any other base sends the code on AssumeRole.
func (b *ProfileBase) LongTerm() bool {
	return b != nil && b.Kind == BaseKeys && b.Keys.SessionToken == ""
}

// CodeSource gives MFA codes.
type CodeSource interface {
	Code(ctx context.Context, serial string) (string, error)
	// String describes the source without a code.
	String() string
}

// InBackground returns how codes comes for a fetch behind a command that owns the terminal (a
// refresh of exec --server): a source with a Background method says, others stay as they are.
func InBackground(codes CodeSource) CodeSource {
	if b, ok := codes.(interface{ Background() CodeSource }); ok {
		return b.Background()
	}
	return codes
}

// AuthProvider is an external command whose JSON output can give the base credentials, a first
// role to assume, and variables for the command (Terragrunt's auth provider command).
type AuthProvider struct {
	Command string
	Timeout time.Duration
	// Origin says where the command came from.
	Origin Origin
}

// Credentials are static base credentials.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	// Origin says where they came from, for messages.
	Origin Origin
}

// Env is an extra variable for the command.
type Env struct{ Name, Value string }

// Hop is one role assumption.
type Hop struct {
	Role              RoleARN
	SessionName       string
	Duration          time.Duration
	ExternalID        string
	SourceIdentity    string
	Tags              []Tag
	TransitiveTagKeys []string
	Policy            string
	PolicyARNs        []string
	// WebIdentityToken, when set (first hop only), makes this hop an
	// AssumeRoleWithWebIdentity call instead of AssumeRole.
	WebIdentityToken TokenSource
	// MFASerial, when set, makes this AssumeRole call carry the device's serial number and a code,
	// for trust policies that require aws:MultiFactorAuthPresent.
	MFASerial string
	// Origin says where each field came from, by field name; a field missing from it is a
	// default. Origin[f].Explicit() tells whether the user set f.
	Origin map[string]Origin
}

// Tag is a session tag.
type Tag struct{ Key, Value string }

// API returns the STS operation this hop calls.
func (h *Hop) API() string {
	if h.WebIdentityToken != nil {
		return "AssumeRoleWithWebIdentity"
	}
	return "AssumeRole"
}

// Check applies the rules that involve more than one value. It returns the first problem found,
// naming the hop, the role and where the offending value came from.
func (p *Plan) Check() error {
	if err := p.checkMFA(); err != nil {
		return err
	}
	for i := range p.Hops {
		if err := p.checkHop(i); err != nil {
			return err
		}
	}
	return nil
}

func (p *Plan) checkHop(i int) error {
	h := &p.Hops[i]
	fail := func(field, format string, args ...any) error {
		return fmt.Errorf("%s: hop %d (%s): %s", h.Origin[field], i+1, h.Role, fmt.Sprintf(format, args...))
	}
	if i > 0 && h.Duration > MaxChainedDuration {
		return fail(FieldDuration, "duration %s is longer than %s, STS's limit for a role assumed with another role's credentials; use %s or less",
			display.Duration(h.Duration), display.Duration(MaxChainedDuration), display.Duration(MaxChainedDuration))
	}
	if i > 0 && h.WebIdentityToken != nil {
		return fail(FieldWebIdentityToken, "a web identity token can only be used on the first hop")
	}
	if h.WebIdentityToken != nil {
		for _, f := range []string{FieldExternalID, FieldSourceIdentity, FieldTags, FieldTransitiveTags} {
			if h.Origin[f].Explicit() {
				return fail(f, "%s cannot be used with a web identity token (AssumeRoleWithWebIdentity does not take it); remove it, or set it on a later hop", f)
			}
		}
	}
	if h.MFASerial != "" && h.WebIdentityToken != nil {
		return fail(FieldMFASerial, "mfa_serial cannot be used with a web identity token; AssumeRoleWithWebIdentity takes no MFA code")
	}
	if err := checkTransitive(h.Tags, h.TransitiveTagKeys); err != nil {
		return fail(FieldTransitiveTags, "%v", err)
	}
	if first := p.Hops[0].Role.Partition; h.Role.Partition != first {
		return fail(FieldRoleARN, "role is in partition %s but hop 1 is in %s; a chain cannot cross partitions", h.Role.Partition, first)
	}
	if p.Region != "" {
		if part := RegionPartition(p.Region); part != h.Role.Partition {
			return fmt.Errorf("%s: region %s is in partition %s but hop %d (%s) is in %s; set --region to a region of %s such as %s",
				p.RegionOrigin, p.Region, part, i+1, h.Role, h.Role.Partition, h.Role.Partition, DefaultRegion(h.Role.Partition))
		}
	}
	return nil
}

// checkMFA checks the MFA device's use against the chain.
func (p *Plan) checkMFA() error {
	m := p.MFA
	if m == nil {
		return nil
	}
	web := len(p.Hops) > 0 && p.Hops[0].WebIdentityToken != nil
	switch {
	case m.OnAssume && len(p.Hops) == 0:
		return fmt.Errorf("%s: --mfa-on-assume sends the MFA code on an AssumeRole call, but there is no role to assume; set --iam-role", m.Origin)
	case web:
		return fmt.Errorf("%s: the first role is assumed with a web identity token (%s), which takes no MFA; drop the MFA serial number or the token",
			m.Origin, p.Hops[0].Origin[FieldWebIdentityToken])
	case !m.OnAssume:
		if err := CheckMFASessionDuration(m.SessionDuration); err != nil {
			return fmt.Errorf("%s: %w", m.Origin, err)
		}
	}
	return nil
}

// Limits STS puts on GetSessionToken for IAM users, and the duration it gives by default.
const (
	MinMFASessionDuration     = 15 * time.Minute
	MaxMFASessionDuration     = 36 * time.Hour
	DefaultMFASessionDuration = 12 * time.Hour
)

// CheckMFASessionDuration checks an MFA session's duration against STS's limits.
func CheckMFASessionDuration(d time.Duration) error {
	if d < MinMFASessionDuration || d > MaxMFASessionDuration {
		return fmt.Errorf("MFA session duration %s is out of range; STS accepts %s to %s",
			display.Duration(d), display.Duration(MinMFASessionDuration), display.Duration(MaxMFASessionDuration))
	}
	return nil
}

// BaseFromSDK reports whether the base credentials come from the AWS SDK's own chain (a
// profile, the environment, SSO, ...): not from stored keys or an auth provider, and not
// skipped by a first hop that uses a web identity token.
func (p *Plan) BaseFromSDK() bool {
	return p.Credentials == nil && p.StoredCredentials == "" && p.ProfileBase == nil && p.SSO == nil && !(len(p.Hops) > 0 && p.Hops[0].WebIdentityToken != nil)
}

// STSRegion returns the region to call STS in: the configured region, else the default region
// of the first role's partition (so a GovCloud role reaches GovCloud STS), else us-east-1.
func (p *Plan) STSRegion() string {
	if p.Region != "" {
		return p.Region
	}
	if len(p.Hops) > 0 {
		return DefaultRegion(p.Hops[0].Role.Partition)
	}
	return DefaultRegion("aws")
}

// IdentityName names the identity at the end of p for a shell prompt: ACCOUNT/NAME of the last
// role, else of the IAM Identity Center role the base credentials come from. It is "" when the
// base credentials are handed over as they are: only an STS call could tell whose they are.
func (p *Plan) IdentityName() string {
	switch {
	case len(p.Hops) > 0:
		r := p.Hops[len(p.Hops)-1].Role
		return r.Account + "/" + r.Name
	case p.SSO != nil:
		return p.SSO.AccountID + "/" + p.SSO.RoleName
	}
	return ""
}
