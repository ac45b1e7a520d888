// Package spec is the table of rolehop's settings: for each, its rolehop.hcl attribute, its flag
// and environment variables, the kind of value it takes and its default. Package settings layers
// the values by it and registers the flags from it; package configfile checks rolehop.hcl files
// against it. It is a package of its own so that both can import it.
package spec

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rolehop/rolehop/internal/authprovider"
	"github.com/rolehop/rolehop/internal/credcache"
	"github.com/rolehop/rolehop/internal/display"
	"github.com/rolehop/rolehop/internal/oidctoken"
	"github.com/rolehop/rolehop/internal/plan"
)

// Keys of the settings, which are also their rolehop.hcl attribute names.
const (
	KeyIAMRole          = "iam_role"
	KeyWebIdentityToken = "iam_web_identity_token"
	KeySessionName      = "iam_assume_role_session_name"
	KeyDuration         = "iam_assume_role_duration"
	KeyExternalID       = "iam_assume_role_external_id"
	KeyRegion           = "region"
	KeyProfile          = "profile"
	KeyConfig           = "config"

	KeyAuthProviderCmd     = "auth_provider_cmd"
	KeyAuthProviderTimeout = "auth_provider_timeout"
	KeyWebIdentityProvider = "web_identity_provider"
	KeyWebIdentityAudience = "web_identity_audience"
	KeyWebIdentityTokenEnv = "web_identity_token_env"

	KeyMFASerial          = "mfa_serial"
	KeyTokenCode          = "token_code"
	KeyMFATokenCmd        = "mfa_token_cmd"
	KeyMFASessionDuration = "mfa_session_duration"
	KeyMFAOnAssume        = "mfa_on_assume"
	KeyCredentials        = "credentials"
	KeyKeyringBackend     = "keyring_backend"
	KeyNoCache            = "no_cache"
	KeyMinTTL             = "min_ttl"
	KeySTSTimeout         = "sts_timeout"
	KeyServer             = "credential_server"

	KeySSOSession   = "sso_session"
	KeySSOAccountID = "sso_account_id"
	KeySSORoleName  = "sso_role_name"
)

// DefaultSTSTimeout bounds getting the credentials, retries included, when --sts-timeout is not
// set. It is declared here rather than in package chain, which applies it too, because chain
// sits above the AWS SDK and this table must stay light enough for configfile to import.
const DefaultSTSTimeout = 30 * time.Second

// Kind is the type of value a setting takes.
type Kind int

const (
	// String is text; a rolehop.hcl number is taken as its decimal text.
	String Kind = iota
	// Duration is whole seconds or a Go duration such as 90m.
	Duration
	// Bool is a switch: a flag without a value, true/false (1/0) in the environment, true or
	// false in rolehop.hcl.
	Bool
	// RoleARNs is the role chain: the flag repeats, an environment variable separates the ARNs
	// with white space, and rolehop.hcl has iam_role or assume_role blocks.
	RoleARNs
)

// Default is what a setting is when no layer sets it, for help and `rolehop config`.
type Default struct {
	// Duration is the default of a Duration setting.
	Duration time.Duration
	// Text is the default of a String setting as help shows it: sts.amazonaws.com, or a pattern
	// such as rolehop-USER when the value is made when needed.
	Text string
	// Otherwise says what happens when a setting with no default value is not set: the AWS
	// SDK's default chain.
	Otherwise string
}

// String returns the default as help shows it after a flag's description: "(default 5m)",
// "(default sts.amazonaws.com)", "(default: the AWS SDK's default chain)", or "" for none.
func (d Default) String() string {
	switch {
	case d.Duration != 0:
		return "(default " + display.Duration(d.Duration) + ")"
	case d.Text != "":
		return "(default " + d.Text + ")"
	case d.Otherwise != "":
		return "(default: " + d.Otherwise + ")"
	}
	return ""
}

// Setting describes one setting: its flag, the aliases rolehop accepts for compatibility with
// Terragrunt and aws-auth, its environment variables in order of preference, the kind of value
// it takes and its default.
type Setting struct {
	Key     string
	Flag    string
	Aliases []string
	// HiddenAliases are accepted but not shown in help (Terragrunt's long-deprecated names).
	HiddenAliases []string
	Env           []string
	Kind          Kind
	Default       Default
	// InFile is false for settings that cannot be written in rolehop.hcl.
	InFile bool
	Secret bool
	// ExecOnly settings have their flag on exec alone.
	ExecOnly bool
	// RunsProgram settings name a program rolehop runs: a rolehop.hcl may set them only when
	// it is trusted.
	RunsProgram bool
	// Usage describes the setting in help, without its default; a back-quoted word in it names
	// the flag's argument.
	Usage string
}

// Help returns the flag's help text: its usage, its default, its aliases and its first
// environment variable.
func (s Setting) Help() string {
	help := s.Usage
	if d := s.Default.String(); d != "" {
		help += " " + d
	}
	if len(s.Aliases) > 0 {
		help += fmt.Sprintf(" (alias --%s)", strings.Join(s.Aliases, ", --"))
	}
	if len(s.Env) > 0 {
		help += " [env " + s.Env[0] + "]"
	}
	return help
}

// Settings returns the settings every credential-resolving command accepts, in the order
// `rolehop config` shows them. The slice is the caller's own; the settings' slices (Aliases,
// Env) are shared and must not be changed.
func Settings() []Setting { return slices.Clone(table()) }

// table builds the settings table once, on first use: a run reads it from half a dozen places
// (flags, layering, rolehop.hcl's schema, the checks), and building it each time was a tenth
// of a warm run.
var table = sync.OnceValue(func() []Setting {
	return []Setting{
		{Key: KeyIAMRole, Flag: "iam-role", Aliases: []string{"role-arn", "iam-assume-role"}, HiddenAliases: []string{"terragrunt-iam-role"},
			Env: []string{"ROLEHOP_IAM_ROLE", "TG_IAM_ASSUME_ROLE", "TERRAGRUNT_IAM_ROLE"}, Kind: RoleARNs, InFile: true,
			Usage: "assume the IAM role `ARN`; repeat for a chain, each hop assumed with the previous one's credentials"},
		{Key: KeyWebIdentityToken, Flag: "iam-web-identity-token", HiddenAliases: []string{"terragrunt-iam-web-identity-token"},
			Env:    []string{"ROLEHOP_IAM_WEB_IDENTITY_TOKEN", "TG_IAM_ASSUME_ROLE_WEB_IDENTITY_TOKEN", "TERRAGRUNT_IAM_WEB_IDENTITY_TOKEN"},
			InFile: true, Secret: true,
			Usage: "OIDC `TOKEN`, or a file holding it, for AssumeRoleWithWebIdentity on the first role"},
		{Key: KeySessionName, Flag: "session-name", Aliases: []string{"iam-assume-role-session-name"}, HiddenAliases: []string{"terragrunt-iam-assume-role-session-name"},
			Env:    []string{"ROLEHOP_SESSION_NAME", "TG_IAM_ASSUME_ROLE_SESSION_NAME", "TERRAGRUNT_IAM_ASSUME_ROLE_SESSION_NAME"},
			InFile: true, Default: Default{Text: "rolehop-USER"}, Usage: "role session `NAME`"},
		{Key: KeyDuration, Flag: "duration", Aliases: []string{"role-duration-seconds", "iam-assume-role-duration"}, HiddenAliases: []string{"terragrunt-iam-assume-role-duration"},
			Env:  []string{"ROLEHOP_DURATION", "TG_IAM_ASSUME_ROLE_DURATION", "TERRAGRUNT_IAM_ASSUME_ROLE_DURATION"},
			Kind: Duration, InFile: true, Default: Default{Duration: plan.DefaultDuration},
			Usage: fmt.Sprintf("session `DURATION`: seconds, or 90m, 2h (%s; %s at most for chained roles)",
				span(plan.MinDuration, plan.MaxDuration), display.Duration(plan.MaxChainedDuration))},
		{Key: KeyExternalID, Flag: "external-id", Env: []string{"ROLEHOP_EXTERNAL_ID"}, InFile: true,
			Usage: "external `ID` the role's trust policy requires"},
		{Key: KeyRegion, Flag: "region", Env: []string{"ROLEHOP_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"}, InFile: true,
			Default: Default{Otherwise: "the profile's, else the role partition's"}, Usage: "AWS `REGION` for STS and the command"},
		{Key: KeyProfile, Flag: "profile", Env: []string{"AWS_PROFILE"}, InFile: true,
			Default: Default{Otherwise: "the AWS SDK's default chain"}, Usage: "shared-config profile `NAME` for the base credentials"},
		{Key: KeyWebIdentityProvider, Flag: "web-identity-provider", Env: []string{"ROLEHOP_WEB_IDENTITY_PROVIDER"}, InFile: true,
			Usage: "fetch the web identity token from CI: `PROVIDER` auto, github, gitlab, circleci, buildkite, bitbucket or file"},
		{Key: KeyWebIdentityAudience, Flag: "web-identity-audience", Env: []string{"ROLEHOP_WEB_IDENTITY_AUDIENCE"}, InFile: true,
			Default: Default{Text: oidctoken.DefaultAudience}, Usage: "`AUDIENCE` of the CI token"},
		{Key: KeyWebIdentityTokenEnv, Flag: "web-identity-token-env", Env: []string{"ROLEHOP_WEB_IDENTITY_TOKEN_ENV"}, InFile: true,
			Default: Default{Text: "ROLEHOP_OIDC_TOKEN, then GITLAB_OIDC_TOKEN"}, Usage: "GitLab: the `VARIABLE` its id_tokens keyword fills"},
		{Key: KeyAuthProviderCmd, Flag: "auth-provider-cmd", HiddenAliases: []string{"terragrunt-auth-provider-cmd"},
			Env: []string{"ROLEHOP_AUTH_PROVIDER_CMD", "TG_AUTH_PROVIDER_CMD", "TERRAGRUNT_AUTH_PROVIDER_CMD"}, InFile: true, RunsProgram: true,
			Usage: "run `COMMAND` first; its JSON may give base credentials, a first role and variables (Terragrunt's schema)"},
		{Key: KeyAuthProviderTimeout, Flag: "auth-provider-timeout", Env: []string{"ROLEHOP_AUTH_PROVIDER_TIMEOUT"},
			Kind: Duration, InFile: true, Default: Default{Duration: authprovider.DefaultTimeout},
			Usage: "stop the auth provider after `DURATION`"},
		{Key: KeyMFASerial, Flag: "serial-number", Aliases: []string{"mfa-serial"}, Env: []string{"ROLEHOP_MFA_SERIAL"}, InFile: true,
			Usage: "MFA device `SERIAL` (arn:aws:iam::ACCOUNT:mfa/NAME): get an MFA session before assuming roles"},
		{Key: KeyTokenCode, Flag: "token-code", Aliases: []string{"mfa-token"}, Env: []string{"ROLEHOP_TOKEN_CODE"}, Secret: true,
			Default: Default{Otherwise: "--mfa-token-cmd, else asked on the terminal"}, Usage: "the 6-digit MFA `CODE`"},
		{Key: KeyMFATokenCmd, Flag: "mfa-token-cmd", Env: []string{"ROLEHOP_MFA_TOKEN_CMD"}, InFile: true, RunsProgram: true,
			Usage: "run `COMMAND` to get the MFA code, e.g. 'ykman oath accounts code --single aws'"},
		{Key: KeyMFASessionDuration, Flag: "mfa-session-duration", Env: []string{"ROLEHOP_MFA_SESSION_DURATION"},
			Kind: Duration, InFile: true, Default: Default{Duration: plan.DefaultMFASessionDuration},
			Usage: "how long the MFA session lasts, `DURATION` " + span(plan.MinMFASessionDuration, plan.MaxMFASessionDuration)},
		{Key: KeyMFAOnAssume, Flag: "mfa-on-assume", Env: []string{"ROLEHOP_MFA_ON_ASSUME"}, Kind: Bool, InFile: true,
			Usage: "send the MFA code on the first AssumeRole instead of getting an MFA session"},
		{Key: KeySSOSession, Flag: "sso-session", Env: []string{"ROLEHOP_SSO_SESSION"}, InFile: true,
			Usage: "base credentials from the IAM Identity Center session `NAME` (an [sso-session] of the AWS config; sign in with 'rolehop login')"},
		{Key: KeySSOAccountID, Flag: "sso-account-id", Env: []string{"ROLEHOP_SSO_ACCOUNT_ID"}, InFile: true,
			Usage: "the `ACCOUNT` ID of the IAM Identity Center role"},
		{Key: KeySSORoleName, Flag: "sso-role-name", Env: []string{"ROLEHOP_SSO_ROLE_NAME"}, InFile: true,
			Usage: "the IAM Identity Center permission set (role) `NAME` to get credentials of"},
		{Key: KeyCredentials, Flag: "credentials", Env: []string{"ROLEHOP_CREDENTIALS"}, InFile: true,
			Usage: "base credentials: the long-term keys stored as `NAME` with 'rolehop credentials add'"},
		{Key: KeyKeyringBackend, Flag: "keyring-backend", Env: []string{"ROLEHOP_KEYRING_BACKEND"}, InFile: true,
			Default: Default{Otherwise: "the first that works; keyctl only when named"},
			Usage:   "secret store `BACKEND`: keychain, wincred, secret-service, kwallet, pass, keyctl or file"},
		{Key: KeyNoCache, Flag: "no-cache", Env: []string{"ROLEHOP_NO_CACHE"}, Kind: Bool, InFile: true,
			Usage: "neither read nor write cached credentials"},
		{Key: KeyMinTTL, Flag: "min-ttl", Env: []string{"ROLEHOP_MIN_TTL"}, Kind: Duration, InFile: true,
			Default: Default{Duration: credcache.DefaultMinTTL},
			Usage:   "use cached credentials only while they have more than `DURATION` left"},
		{Key: KeySTSTimeout, Flag: "sts-timeout", Env: []string{"ROLEHOP_STS_TIMEOUT"}, Kind: Duration, InFile: true,
			Default: Default{Duration: DefaultSTSTimeout}, Usage: "give up on STS after `DURATION` in all, retries included"},
		{Key: KeyServer, Flag: "server", Env: []string{"ROLEHOP_SERVER"}, Kind: Bool, InFile: true, ExecOnly: true,
			Usage: "serve the credentials to the command from a local endpoint that refreshes them, instead of variables"},
		{Key: KeyConfig, Flag: "config", Env: []string{"ROLEHOP_CONFIG"},
			Usage: "read only this rolehop.hcl `FILE`, instead of searching the working directory and its parents"},
	}
})

// span writes a range of durations as help shows it: "15m to 12h".
func span(lo, hi time.Duration) string {
	return display.Duration(lo) + " to " + display.Duration(hi)
}
