// Package settings layers rolehop's settings: each one is taken from a command-line flag, else
// an environment variable, else a rolehop.hcl file, else its default, and remembers which. From
// the result it builds the plan of role assumptions (package plan).
package settings

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
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
)

// Spec describes one setting: its flag, the aliases rolehop accepts for compatibility with
// Terragrunt and aws-auth, its environment variables in order of preference, and whether it is
// secret.
type Spec struct {
	Key     string
	Flag    string
	Aliases []string
	// HiddenAliases are accepted but not shown in help (Terragrunt's long-deprecated names).
	HiddenAliases []string
	Env           []string
	// InFile is false for settings that cannot be written in rolehop.hcl.
	InFile bool
	Secret bool
	// Repeat makes the flag repeatable, each use adding a value.
	Repeat bool
	// Bool makes the flag a switch; its environment variable takes true/false, 1/0.
	Bool bool
	// ExecOnly settings have their flag on exec alone (AddExecFlags).
	ExecOnly bool
	// RunsProgram settings name a program rolehop runs: a rolehop.hcl may set them only when
	// it is trusted (see Inputs.Trusted).
	RunsProgram bool
	// Usage is the help text; a back-quoted word in it names the flag's argument.
	Usage string
}

// Specs returns the settings every credential-resolving command accepts, in the order
// `rolehop config` shows them.
func Specs() []Spec {
	return []Spec{
		{Key: KeyIAMRole, Flag: "iam-role", Aliases: []string{"role-arn", "iam-assume-role"}, HiddenAliases: []string{"terragrunt-iam-role"},
			Env: []string{"ROLEHOP_IAM_ROLE", "TG_IAM_ASSUME_ROLE", "TERRAGRUNT_IAM_ROLE"}, InFile: true, Repeat: true,
			Usage: "assume the IAM role `ARN`; repeat for a chain, each hop assumed with the previous one's credentials"},
		{Key: KeyWebIdentityToken, Flag: "iam-web-identity-token", HiddenAliases: []string{"terragrunt-iam-web-identity-token"},
			Env:    []string{"ROLEHOP_IAM_WEB_IDENTITY_TOKEN", "TG_IAM_ASSUME_ROLE_WEB_IDENTITY_TOKEN", "TERRAGRUNT_IAM_WEB_IDENTITY_TOKEN"},
			InFile: true, Secret: true,
			Usage: "OIDC `TOKEN`, or a file holding it, for AssumeRoleWithWebIdentity on the first role"},
		{Key: KeySessionName, Flag: "session-name", Aliases: []string{"iam-assume-role-session-name"}, HiddenAliases: []string{"terragrunt-iam-assume-role-session-name"},
			Env:    []string{"ROLEHOP_SESSION_NAME", "TG_IAM_ASSUME_ROLE_SESSION_NAME", "TERRAGRUNT_IAM_ASSUME_ROLE_SESSION_NAME"},
			InFile: true, Usage: "role session `NAME` (default rolehop-USER)"},
		{Key: KeyDuration, Flag: "duration", Aliases: []string{"role-duration-seconds", "iam-assume-role-duration"}, HiddenAliases: []string{"terragrunt-iam-assume-role-duration"},
			Env:    []string{"ROLEHOP_DURATION", "TG_IAM_ASSUME_ROLE_DURATION", "TERRAGRUNT_IAM_ASSUME_ROLE_DURATION"},
			InFile: true, Usage: "session `DURATION`: seconds, or 90m, 2h (15m to 12h; 1h at most for chained roles) (default 1h)"},
		{Key: KeyExternalID, Flag: "external-id", Env: []string{"ROLEHOP_EXTERNAL_ID"}, InFile: true,
			Usage: "external `ID` the role's trust policy requires"},
		{Key: KeyRegion, Flag: "region", Env: []string{"ROLEHOP_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"}, InFile: true,
			Usage: "AWS `REGION` for STS and the command (default: the profile's, else the role partition's)"},
		{Key: KeyProfile, Flag: "profile", Env: []string{"AWS_PROFILE"}, InFile: true,
			Usage: "shared-config profile `NAME` for the base credentials (default: the AWS SDK's default chain)"},
		{Key: KeyWebIdentityProvider, Flag: "web-identity-provider", Env: []string{"ROLEHOP_WEB_IDENTITY_PROVIDER"}, InFile: true,
			Usage: "fetch the web identity token from CI: `PROVIDER` auto, github, gitlab, circleci, buildkite, bitbucket or file"},
		{Key: KeyWebIdentityAudience, Flag: "web-identity-audience", Env: []string{"ROLEHOP_WEB_IDENTITY_AUDIENCE"}, InFile: true,
			Usage: "`AUDIENCE` of the CI token (default sts.amazonaws.com)"},
		{Key: KeyWebIdentityTokenEnv, Flag: "web-identity-token-env", Env: []string{"ROLEHOP_WEB_IDENTITY_TOKEN_ENV"}, InFile: true,
			Usage: "GitLab: the `VARIABLE` its id_tokens keyword fills (default ROLEHOP_OIDC_TOKEN, then GITLAB_OIDC_TOKEN)"},
		{Key: KeyAuthProviderCmd, Flag: "auth-provider-cmd", HiddenAliases: []string{"terragrunt-auth-provider-cmd"},
			Env: []string{"ROLEHOP_AUTH_PROVIDER_CMD", "TG_AUTH_PROVIDER_CMD", "TERRAGRUNT_AUTH_PROVIDER_CMD"}, InFile: true, RunsProgram: true,
			Usage: "run `COMMAND` first; its JSON may give base credentials, a first role and variables (Terragrunt's schema)"},
		{Key: KeyAuthProviderTimeout, Flag: "auth-provider-timeout", Env: []string{"ROLEHOP_AUTH_PROVIDER_TIMEOUT"}, InFile: true,
			Usage: "stop the auth provider after `DURATION` (default 5m)"},
		{Key: KeyMFASerial, Flag: "serial-number", Aliases: []string{"mfa-serial"}, Env: []string{"ROLEHOP_MFA_SERIAL"}, InFile: true,
			Usage: "MFA device `SERIAL` (arn:aws:iam::ACCOUNT:mfa/NAME): get an MFA session before assuming roles"},
		{Key: KeyTokenCode, Flag: "token-code", Aliases: []string{"mfa-token"}, Env: []string{"ROLEHOP_TOKEN_CODE"}, Secret: true,
			Usage: "the 6-digit MFA `CODE` (default: --mfa-token-cmd, else asked on the terminal)"},
		{Key: KeyMFATokenCmd, Flag: "mfa-token-cmd", Env: []string{"ROLEHOP_MFA_TOKEN_CMD"}, InFile: true, RunsProgram: true,
			Usage: "run `COMMAND` to get the MFA code, e.g. 'ykman oath accounts code --single aws'"},
		{Key: KeyMFASessionDuration, Flag: "mfa-session-duration", Env: []string{"ROLEHOP_MFA_SESSION_DURATION"}, InFile: true,
			Usage: "how long the MFA session lasts, `DURATION` 15m to 36h (default 12h)"},
		{Key: KeyMFAOnAssume, Flag: "mfa-on-assume", Env: []string{"ROLEHOP_MFA_ON_ASSUME"}, InFile: true, Bool: true,
			Usage: "send the MFA code on the first AssumeRole instead of getting an MFA session"},
		{Key: KeyCredentials, Flag: "credentials", Env: []string{"ROLEHOP_CREDENTIALS"}, InFile: true,
			Usage: "base credentials: the long-term keys stored as `NAME` with 'rolehop credentials add'"},
		{Key: KeyKeyringBackend, Flag: "keyring-backend", Env: []string{"ROLEHOP_KEYRING_BACKEND"}, InFile: true,
			Usage: "secret store `BACKEND`: keychain, wincred, secret-service, kwallet, pass, keyctl or file (default: the first that works; keyctl only when named)"},
		{Key: KeyNoCache, Flag: "no-cache", Env: []string{"ROLEHOP_NO_CACHE"}, InFile: true, Bool: true,
			Usage: "neither read nor write cached credentials"},
		{Key: KeyMinTTL, Flag: "min-ttl", Env: []string{"ROLEHOP_MIN_TTL"}, InFile: true,
			Usage: "use cached credentials only while they have more than `DURATION` left (default 5m)"},
		{Key: KeySTSTimeout, Flag: "sts-timeout", Env: []string{"ROLEHOP_STS_TIMEOUT"}, InFile: true,
			Usage: "give up on STS after `DURATION` in all, retries included (default 30s)"},
		{Key: KeyServer, Flag: "server", Env: []string{"ROLEHOP_SERVER"}, InFile: true, Bool: true, ExecOnly: true,
			Usage: "serve the credentials to the command from a local endpoint that refreshes them, instead of variables"},
		{Key: KeyConfig, Flag: "config", Env: []string{"ROLEHOP_CONFIG"},
			Usage: "read only this rolehop.hcl `FILE`, instead of searching the working directory and its parents"},
	}
}

// AddFlags registers every setting's flag and aliases on fs, but for exec's own.
func AddFlags(fs *pflag.FlagSet) { addFlags(fs, false) }

// AddExecFlags registers every setting's flag, exec's own included.
func AddExecFlags(fs *pflag.FlagSet) { addFlags(fs, true) }

func addFlags(fs *pflag.FlagSet, exec bool) {
	alias := map[string]string{}
	for _, s := range Specs() {
		if s.ExecOnly && !exec {
			continue
		}
		usage := s.Usage
		if len(s.Aliases) > 0 {
			usage += fmt.Sprintf(" (alias --%s)", strings.Join(s.Aliases, ", --"))
		}
		if len(s.Env) > 0 {
			usage += " [env " + s.Env[0] + "]"
		}
		switch {
		case s.Repeat:
			fs.StringArray(s.Flag, nil, usage)
		case s.Bool:
			fs.Bool(s.Flag, false, usage)
		default:
			fs.String(s.Flag, "", usage)
		}
		for _, a := range append(append([]string{}, s.Aliases...), s.HiddenAliases...) {
			alias[a] = s.Flag
		}
	}
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if to, ok := alias[name]; ok {
			return pflag.NormalizedName(to)
		}
		return pflag.NormalizedName(name)
	})
}
