package settings

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/rolehop/rolehop/internal/settings/spec"
	"github.com/spf13/pflag"
)

// TestEverySettingHasOneEntry shows that whatever the settings use, `rolehop config` gets one
// row for each setting of the table, in its order, with a value and source of its own.
func TestEverySettingHasOneEntry(t *testing.T) {
	const (
		role   = "arn:aws:iam::111111111111:role/deploy"
		serial = "arn:aws:iam::123456789012:mfa/jane"
	)
	type want struct{ key, value, source string }
	tests := []struct {
		name string
		args []string
		env  map[string]string
		file string
		want []want
	}{
		{name: "nothing set", want: []want{
			{spec.KeyMFASessionDuration, "12h", "default"},
			{spec.KeyMFAOnAssume, "false", "default"},
			{spec.KeyTokenCode, "(none)", "default"},
			{spec.KeyMFATokenCmd, "(none)", "default"},
			{spec.KeyAuthProviderTimeout, "5m", "default"},
			{spec.KeyWebIdentityAudience, "sts.amazonaws.com", "default"},
			{spec.KeyServer, "false", "default"},
		}},
		{name: "an MFA session", args: []string{"--iam-role", role, "--serial-number", serial, "--mfa-session-duration", "2h"}, want: []want{
			{spec.KeyMFASerial, serial, "flag --serial-number"},
			{spec.KeyMFASessionDuration, "2h", "flag --mfa-session-duration"},
			{spec.KeyMFAOnAssume, "false", "default"},
		}},
		{name: "the code on AssumeRole", args: []string{"--iam-role", role, "--serial-number", serial, "--mfa-on-assume", "--token-code", "123456"},
			want: []want{
				{spec.KeyMFAOnAssume, "true", "flag --mfa-on-assume"},
				{spec.KeyMFASessionDuration, "12h", "default"},
				{spec.KeyTokenCode, "<redacted>", "flag --token-code"},
			}},
		{name: "values no hop uses", env: map[string]string{"ROLEHOP_WEB_IDENTITY_AUDIENCE": "my-audience", "ROLEHOP_SERVER": "true", "ROLEHOP_AUTH_PROVIDER_TIMEOUT": "2m"},
			want: []want{
				{spec.KeyWebIdentityAudience, "my-audience", "env ROLEHOP_WEB_IDENTITY_AUDIENCE"},
				{spec.KeyServer, "true", "env ROLEHOP_SERVER"},
				{spec.KeyAuthProviderTimeout, "2m", "env ROLEHOP_AUTH_PROVIDER_TIMEOUT"},
			}},
		{name: "a program in a file that is not trusted, never run", file: "mfa_token_cmd = \"./code.sh\"\n", want: []want{
			{spec.KeyMFATokenCmd, "./code.sh (not used: rolehop.hcl is not trusted)", "rolehop.hcl:1"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := resolveWith(t, tt.args, tt.env, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			settings := spec.Settings()
			if len(res.Entries) != len(settings) {
				t.Errorf("%d entries for %d settings", len(res.Entries), len(settings))
			}
			for i, s := range settings {
				if i < len(res.Entries) && res.Entries[i].Key != s.Key {
					t.Errorf("entry %d is %s, want %s", i, res.Entries[i].Key, s.Key)
				}
			}
			for _, w := range tt.want {
				e := entry(t, res, w.key)
				if e.Value != w.value || e.Source.String() != w.source {
					t.Errorf("%s = %q (%s), want %q (%s)", w.key, e.Value, e.Source, w.value, w.source)
				}
			}
		})
	}
}

// TestFlagGivenTwice shows that a setting given twice on the command line, by its flag or any
// alias, must have one value: two different ones are a usage error, not the last one winning.
func TestFlagGivenTwice(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "two aliases, one value", args: []string{"--duration", "2h", "--role-duration-seconds", "2h"}},
		{name: "a switch twice", args: []string{"--no-cache", "--no-cache=true"}},
		{name: "two aliases, two values", args: []string{"--duration", "1h", "--role-duration-seconds", "7200"},
			wantErr: `flag --duration: given more than once with different values, "1h" and "7200" (--duration, --role-duration-seconds, --iam-assume-role-duration and --terragrunt-iam-assume-role-duration are one flag); give it once`},
		{name: "a hidden alias", args: []string{"--session-name", "a", "--terragrunt-iam-assume-role-session-name", "b"},
			wantErr: `flag --session-name: given more than once with different values, "a" and "b" (--session-name, --iam-assume-role-session-name and --terragrunt-iam-assume-role-session-name are one flag); give it once`},
		{name: "the same flag", args: []string{"--region", "eu-west-1", "--region", "us-east-1"},
			wantErr: `flag --region: given more than once with different values, "eu-west-1" and "us-east-1"; give it once`},
		{name: "a switch both ways", args: []string{"--no-cache", "--no-cache=false"},
			wantErr: `flag --no-cache: given more than once with different values, "true" and "false"; give it once`},
		{name: "a secret is not repeated", args: []string{"--token-code", "123456", "--mfa-token", "654321"},
			wantErr: `flag --token-code: given more than once with different values (--token-code and --mfa-token are one flag); give it once`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			AddFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			lookup := func(string) (string, bool) { return "", false }
			for name, resolve := range map[string]func() error{
				"Resolve": func() error { _, err := Resolve(Inputs{Flags: fs, LookupEnv: lookup, Dir: t.TempDir()}); return err },
				"ResolveStore": func() error {
					_, err := ResolveStore(Inputs{Flags: fs, LookupEnv: lookup, Dir: t.TempDir()})
					return err
				},
			} {
				err := resolve()
				if tt.wantErr == "" {
					if err != nil && strings.Contains(err.Error(), "given more than once") {
						t.Errorf("%s: %v", name, err)
					}
					continue
				}
				var ue *UsageError
				if err == nil || err.Error() != tt.wantErr || !errors.As(err, &ue) {
					t.Errorf("%s: error = %v\nwant the usage error %s", name, err, tt.wantErr)
				}
			}
		})
	}
}

// TestRowsOnlyWhenAsked: a run that shows no rows gets the same plan with only the rows of
// the settings it used; the others are worked out for `rolehop config` and --debug alone.
func TestRowsOnlyWhenAsked(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"ROLEHOP_WEB_IDENTITY_AUDIENCE": "my-audience"}
	withProfiles(t, env)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	resolve := func(all bool) *Result {
		fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
		AddFlags(fs)
		if err := fs.Parse([]string{"--iam-role", "arn:aws:iam::111111111111:role/deploy", "--duration", "2h"}); err != nil {
			t.Fatal(err)
		}
		res, err := Resolve(Inputs{Flags: fs, LookupEnv: lookup, Dir: dir, AllEntries: all})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	all, used := resolve(true), resolve(false)
	if !reflect.DeepEqual(all.Plan, used.Plan) {
		t.Errorf("the plans differ:\n%+v\n%+v", all.Plan, used.Plan)
	}
	if len(used.Entries) >= len(all.Entries) {
		t.Errorf("%d rows without AllEntries, %d with", len(used.Entries), len(all.Entries))
	}
	for _, e := range used.Entries {
		if e != entry(t, all, e.Key) {
			t.Errorf("row %+v differs from %+v", e, entry(t, all, e.Key))
		}
		if e.Key == spec.KeyWebIdentityAudience {
			t.Errorf("a row for %s, which no hop uses", e.Key)
		}
	}
	if e := entry(t, used, spec.KeyDuration); e.Value != "2h" {
		t.Errorf("duration row = %+v", e)
	}
}
