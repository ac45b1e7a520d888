package settings

import (
	"github.com/rolehop/rolehop/internal/display"
	"strings"
	"testing"

	"github.com/rolehop/rolehop/internal/settings/spec"
	"github.com/spf13/pflag"
)

// TestFlagsFollowSettingsTable shows that every setting's flag is registered as the table says:
// of the type its kind asks for, its aliases leading to it, and help that gives its usage, then
// its default, then its aliases, then its first environment variable.
func TestFlagsFollowSettingsTable(t *testing.T) {
	wantType := map[spec.Kind]string{spec.String: "string", spec.Duration: "string", spec.Bool: "bool", spec.RoleARNs: "stringArray"}
	exec := pflag.NewFlagSet("exec", pflag.ContinueOnError)
	AddExecFlags(exec)
	other := pflag.NewFlagSet("env", pflag.ContinueOnError)
	AddFlags(other)
	for _, s := range spec.Settings() {
		t.Run(s.Key, func(t *testing.T) {
			if got := other.Lookup(s.Flag) != nil; got == s.ExecOnly {
				t.Errorf("flag --%s on commands other than exec: %v, want %v", s.Flag, got, !s.ExecOnly)
			}
			f := exec.Lookup(s.Flag)
			if f == nil {
				t.Fatalf("no flag --%s", s.Flag)
			}
			if got := f.Value.Type(); got != wantType[s.Kind] {
				t.Errorf("--%s is a %s flag, want %s", s.Flag, got, wantType[s.Kind])
			}
			for _, a := range append(append([]string{}, s.Aliases...), s.HiddenAliases...) {
				if got := exec.Lookup(a); got != f {
					t.Errorf("alias --%s does not lead to --%s", a, s.Flag)
				}
			}
			if len(s.Env) == 0 {
				t.Fatalf("%s has no environment variable", s.Key)
			}
			help := f.Usage
			if env := " [env " + s.Env[0] + "]"; !strings.HasSuffix(help, env) {
				t.Errorf("help of --%s = %q, want it to end with %q", s.Flag, help, env)
			} else {
				help = strings.TrimSuffix(help, env)
			}
			if len(s.Aliases) > 0 {
				help = strings.TrimSuffix(help, " (alias --"+strings.Join(s.Aliases, ", --")+")")
			}
			for _, a := range s.HiddenAliases {
				if strings.Contains(f.Usage, a) {
					t.Errorf("help of --%s shows the hidden alias %s", s.Flag, a)
				}
			}
			want := s.Usage
			if d := s.Default.String(); d != "" {
				want += " " + d
			}
			if help != want {
				t.Errorf("help of --%s before its aliases and variable = %q, want %q", s.Flag, help, want)
			}
			if strings.Contains(s.Usage, "(default") {
				t.Errorf("usage of --%s says its default itself: %q; give it as the row's Default", s.Flag, s.Usage)
			}
			if s.Kind == spec.Duration && s.Default.Duration != 0 {
				if got, want := s.Default.String(), "(default "+display.Duration(s.Default.Duration)+")"; got != want {
					t.Errorf("default of --%s shows as %q, want %q", s.Flag, got, want)
				}
			}
		})
	}
}

// TestDurationHelp pins the help of the settings whose defaults and ranges come from constants,
// as the README and users know it.
func TestDurationHelp(t *testing.T) {
	fs := pflag.NewFlagSet("exec", pflag.ContinueOnError)
	AddExecFlags(fs)
	for flag, want := range map[string]string{
		"duration": "session `DURATION`: seconds, or 90m, 2h (15m to 12h; 1h at most for chained roles) (default 1h) " +
			"(alias --role-duration-seconds, --iam-assume-role-duration) [env ROLEHOP_DURATION]",
		"mfa-session-duration":  "how long the MFA session lasts, `DURATION` 15m to 36h (default 12h) [env ROLEHOP_MFA_SESSION_DURATION]",
		"auth-provider-timeout": "stop the auth provider after `DURATION` (default 5m) [env ROLEHOP_AUTH_PROVIDER_TIMEOUT]",
		"min-ttl":               "use cached credentials only while they have more than `DURATION` left (default 5m) [env ROLEHOP_MIN_TTL]",
		"sts-timeout":           "give up on STS after `DURATION` in all, retries included (default 30s) [env ROLEHOP_STS_TIMEOUT]",
		"web-identity-audience": "`AUDIENCE` of the CI token (default sts.amazonaws.com) [env ROLEHOP_WEB_IDENTITY_AUDIENCE]",
		"profile":               "shared-config profile `NAME` for the base credentials (default: the AWS SDK's default chain) [env AWS_PROFILE]",
	} {
		if got := fs.Lookup(flag).Usage; got != want {
			t.Errorf("help of --%s =\n%q, want\n%q", flag, got, want)
		}
	}
}

// TestDefaultsFromTable shows that a setting no layer sets takes the table's default, and
// `rolehop config` shows it from the default layer.
func TestDefaultsFromTable(t *testing.T) {
	res, err := resolveWith(t, []string{"--iam-role", "arn:aws:iam::111111111111:role/a", "--auth-provider-cmd", "./p.sh",
		"--serial-number", "arn:aws:iam::111111111111:mfa/me", "--token-code", "123456"}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	table := map[string]spec.Setting{}
	for _, s := range spec.Settings() {
		table[s.Key] = s
	}
	p := res.Plan
	for key, got := range map[string]string{
		spec.KeyDuration:            display.Duration(p.Hops[0].Duration),
		spec.KeyAuthProviderTimeout: display.Duration(p.AuthProvider.Timeout),
		spec.KeyMFASessionDuration:  display.Duration(p.MFA.SessionDuration),
		spec.KeyMinTTL:              display.Duration(res.Store.MinTTL),
		spec.KeySTSTimeout:          display.Duration(res.Store.STSTimeout),
	} {
		if want := display.Duration(table[key].Default.Duration); got != want {
			t.Errorf("%s = %s, want the table's default %s", key, got, want)
		}
	}
	for _, key := range []string{spec.KeyDuration, spec.KeyAuthProviderTimeout, spec.KeyMFASessionDuration, spec.KeyMinTTL, spec.KeySTSTimeout} {
		e := entry(t, res, key)
		if want := display.Duration(table[key].Default.Duration); e.Value != want || e.Source.Explicit() || e.Source.String() != "default" {
			t.Errorf("rolehop config shows %s = %q from %q, want %q from default", key, e.Value, e.Source, want)
		}
	}
	if e := entry(t, res, spec.KeyMFAOnAssume); e.Value != "false" || e.Source.String() != "default" {
		t.Errorf("rolehop config shows %s = %q from %q, want false from default", spec.KeyMFAOnAssume, e.Value, e.Source)
	}
}

// TestSecretsNotShown shows that no value of a setting the table marks secret reaches what
// `rolehop config` shows, whichever layer gives it.
func TestSecretsNotShown(t *testing.T) {
	role := []string{"--iam-role", "arn:aws:iam::111111111111:role/a"}
	// Each secret with a value it accepts, and the settings it needs to be used.
	secret := map[string]struct {
		value string
		with  []string
	}{
		spec.KeyWebIdentityToken: {"eyJhbGciOiJSUzI1NiJ9.secret-token-value", role},
		spec.KeyTokenCode:        {"428571", append([]string{"--serial-number", "arn:aws:iam::111111111111:mfa/me"}, role...)},
	}
	for _, s := range spec.Settings() {
		if !s.Secret {
			continue
		}
		sec, ok := secret[s.Key]
		if !ok {
			t.Fatalf("no test value for the secret setting %s", s.Key)
		}
		for _, in := range []struct {
			how  string
			args []string
			env  map[string]string
		}{
			{"flag", append([]string{"--" + s.Flag, sec.value}, sec.with...), nil},
			{"env", sec.with, map[string]string{s.Env[0]: sec.value}},
		} {
			res, err := resolveWith(t, in.args, in.env, "")
			if err != nil {
				t.Fatalf("%s by %s: %v", s.Key, in.how, err)
			}
			if e := entry(t, res, s.Key); !e.Source.Explicit() {
				t.Errorf("%s by %s was not taken: %+v", s.Key, in.how, e)
			}
			for _, e := range res.Entries {
				if strings.Contains(e.Value, sec.value) {
					t.Errorf("%s by %s shows in %s = %q", s.Key, in.how, e.Key, e.Value)
				}
			}
		}
	}
}
