// Package awsenv decides which environment variables hand a set of credentials to a command,
// and which inherited ones must go so that the command sees exactly one identity.
package awsenv

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rolehop/rolehop/internal/shellenv"
)

// identityVars are inherited variables that would let an AWS SDK pick another identity than
// the one rolehop hands over: profiles, web identity, container credentials, legacy key names.
var identityVars = []string{
	"AWS_PROFILE",
	"AWS_DEFAULT_PROFILE",
	"AWS_WEB_IDENTITY_TOKEN_FILE",
	"AWS_ROLE_ARN",
	"AWS_ROLE_SESSION_NAME",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_ACCESS_KEY",
	"AWS_SECRET_KEY",
}

// identityNames are the variables that carry the identity rolehop hands over.
var identityNames = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_SESSION_EXPIRATION", "AWS_CREDENTIAL_EXPIRATION",
}

// Reserved reports whether name is one of the variables rolehop sets or removes to hand over
// exactly one identity; nothing else may set them.
func Reserved(name string) bool {
	return slices.Contains(identityNames, name) || slices.Contains(identityVars, name)
}

// SecretInputs returns the names of rolehop's own secret inputs, the keyring passphrase and an
// MFA code. They are for rolehop alone: no program it runs (the command, an auth provider, an
// MFA token command) gets them.
func SecretInputs() []string {
	return []string{"ROLEHOP_KEYRING_PASSPHRASE", "ROLEHOP_TOKEN_CODE"}
}

// WithoutSecretInputs returns a copy of environ (as os.Environ gives it) without rolehop's own
// secret inputs.
func WithoutSecretInputs(environ []string) []string {
	return Environment{Unset: SecretInputs()}.Apply(environ)
}

// refusal is a group of variables an auth provider may not set for the command, and why.
type refusal struct {
	names  []string // upper-case; a name ending in * stands for every name with that prefix
	reason string
}

// refusals are the variables, besides the identity ones, that an auth provider's envs may not
// set: its output may relay what a remote service said, and that must not decide where the
// command's credentials go or what code runs.
var refusals = []refusal{
	{[]string{"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"},
		"it would point the command's AWS SDK at other profiles and credentials than the ones rolehop hands over"},
	{[]string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_*"},
		"it would send the command's requests, signed with its credentials, to another endpoint; set it in your own environment if you mean it"},
	{[]string{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"},
		"it would route the command's traffic, credentials included, through another host; set it in your own environment if you mean it"},
	{[]string{"AWS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"},
		"it would make the command trust other certificates, so that its credentials could be read on the way; set it in your own environment if you mean it"},
	{[]string{"PATH", "LD_*", "DYLD_*", "GCONV_PATH", "BASH_ENV", "ENV", "ZDOTDIR", "PS4", "PROMPT_COMMAND", "IFS",
		"SHELLOPTS", "BASHOPTS", "BASH_FUNC_*", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "NODE_OPTIONS",
		"PERL5LIB", "PERL5OPT", "RUBYLIB", "RUBYOPT", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS"},
		"it would change which program runs or make it run other code"},
	{[]string{"ROLEHOP_*"},
		"it is one of rolehop's own settings or secret inputs, which are not the auth provider's to give"},
}

// CheckProviderVar checks the name of a variable an auth provider's envs ask rolehop to set for
// the command. It refuses, saying why, the variables rolehop sets or removes to hand over one
// identity (AWS_ACCESS_KEY_ID, AWS_PROFILE, ...), and those that would send the command's
// credentials elsewhere, make it read other credentials or run other code, or set rolehop's own
// settings. Names are compared whatever their case: some programs read lower-case names (curl's
// https_proxy, some SDKs' aws_access_key_id), and on Windows case makes no difference.
func CheckProviderVar(name string) error {
	upper := strings.ToUpper(name)
	if Reserved(upper) {
		return errors.New("rolehop sets or removes this variable itself to hand over one identity; return credentials in awsCredentials instead")
	}
	for _, r := range refusals {
		for _, n := range r.names {
			if prefix, ok := strings.CutSuffix(n, "*"); ok && strings.HasPrefix(upper, prefix) || upper == n {
				return errors.New(r.reason)
			}
		}
	}
	return nil
}

// Environment is the change to make to a command's environment.
type Environment struct {
	// Set are the variables to set, in a stable order.
	Set []shellenv.Var
	// Unset are the variables to remove.
	Unset []string
}

// For returns the variables that hand creds (and region, when known) to a command.
func For(creds aws.Credentials, region string) Environment {
	e := Environment{Unset: append([]string(nil), identityVars...)}
	e.Set = []shellenv.Var{
		{Name: "AWS_ACCESS_KEY_ID", Value: creds.AccessKeyID},
		{Name: "AWS_SECRET_ACCESS_KEY", Value: creds.SecretAccessKey},
	}
	if creds.SessionToken != "" {
		e.Set = append(e.Set,
			shellenv.Var{Name: "AWS_SESSION_TOKEN", Value: creds.SessionToken},
			shellenv.Var{Name: "AWS_SECURITY_TOKEN", Value: creds.SessionToken})
	} else {
		e.Unset = append(e.Unset, "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
	}
	if creds.CanExpire {
		exp := creds.Expires.UTC().Format(time.RFC3339)
		e.Set = append(e.Set,
			shellenv.Var{Name: "AWS_SESSION_EXPIRATION", Value: exp},
			shellenv.Var{Name: "AWS_CREDENTIAL_EXPIRATION", Value: exp})
	} else {
		e.Unset = append(e.Unset, "AWS_SESSION_EXPIRATION", "AWS_CREDENTIAL_EXPIRATION")
	}
	if region != "" {
		e.Set = append(e.Set,
			shellenv.Var{Name: "AWS_REGION", Value: region},
			shellenv.Var{Name: "AWS_DEFAULT_REGION", Value: region})
	}
	return e
}

// ForServer returns the variables that point a command at rolehop's local credential endpoint:
// the container credentials protocol every AWS SDK reads, and none of the static credential
// variables (they would win over the endpoint in every SDK).
func ForServer(url, token, region string) Environment {
	e := Environment{Unset: append([]string(nil), identityNames...)}
	for _, name := range identityVars {
		if name != "AWS_CONTAINER_CREDENTIALS_FULL_URI" && name != "AWS_CONTAINER_AUTHORIZATION_TOKEN" {
			e.Unset = append(e.Unset, name)
		}
	}
	e.Set = []shellenv.Var{
		{Name: "AWS_CONTAINER_CREDENTIALS_FULL_URI", Value: url},
		{Name: "AWS_CONTAINER_AUTHORIZATION_TOKEN", Value: token},
	}
	if region != "" {
		e.Set = append(e.Set,
			shellenv.Var{Name: "AWS_REGION", Value: region},
			shellenv.Var{Name: "AWS_DEFAULT_REGION", Value: region})
	}
	return e
}

// IdentityVar tells the command who it is, for a shell prompt: ACCOUNT/NAME of the role.
const IdentityVar = "ROLEHOP_IDENTITY"

// SetIdentity sets IdentityVar to name, or removes it when name is "": an inherited value, from
// a rolehop further up, would name an identity the command no longer has.
func (e *Environment) SetIdentity(name string) {
	if name == "" {
		e.Unset = append(e.Unset, IdentityVar)
		return
	}
	e.Set = append(e.Set, shellenv.Var{Name: IdentityVar, Value: name})
}

// UseSharedFiles points the command at other AWS shared config and credentials files.
func (e *Environment) UseSharedFiles(config, credentials string) {
	e.Set = append(e.Set,
		shellenv.Var{Name: "AWS_CONFIG_FILE", Value: config},
		shellenv.Var{Name: "AWS_SHARED_CREDENTIALS_FILE", Value: credentials})
}

// ForCommand returns e without rolehop's own secret inputs: the keyring passphrase and an MFA
// code are for rolehop, and a command it runs has no use for them. (rolehop env does not unset
// them: that would change the user's own shell.)
func (e Environment) ForCommand() Environment {
	e.Unset = append(append([]string(nil), e.Unset...), SecretInputs()...)
	return e
}

// Extend adds variables (from an auth provider) after rolehop's own, replacing any of the same
// name. The caller has checked each with CheckProviderVar.
func (e *Environment) Extend(vars []shellenv.Var) {
	for _, v := range vars {
		e.Set = slices.DeleteFunc(e.Set, func(s shellenv.Var) bool { return s.Name == v.Name })
		e.Set = append(e.Set, v)
	}
}

// Apply returns environ (as os.Environ gives it) with e's variables removed and set. Variables
// are set at the end, in e's order.
func (e Environment) Apply(environ []string) []string {
	drop := make(map[string]bool, len(e.Unset)+len(e.Set))
	for _, n := range e.Unset {
		drop[n] = true
	}
	for _, v := range e.Set {
		drop[v.Name] = true
	}
	out := make([]string, 0, len(environ)+len(e.Set))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !drop[name] {
			out = append(out, kv)
		}
	}
	for _, v := range e.Set {
		out = append(out, v.Name+"="+v.Value)
	}
	return out
}
