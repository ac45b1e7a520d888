package settings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rolehop/rolehop/internal/plan"
	"github.com/rolehop/rolehop/internal/settings/spec"
	"github.com/spf13/pflag"
)

// resolveWith resolves args and env in a directory holding file as its rolehop.hcl (none if
// file is empty).
func resolveWith(t *testing.T, args []string, env map[string]string, file string) (*Result, error) {
	t.Helper()
	dir := t.TempDir()
	if file != "" {
		if err := os.WriteFile(filepath.Join(dir, "rolehop.hcl"), []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if env == nil {
		env = map[string]string{}
	}
	withProfiles(t, env)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	return Resolve(Inputs{Flags: fs, LookupEnv: lookup, Dir: dir, AllEntries: true})
}

func entry(t *testing.T, res *Result, key string) Entry {
	t.Helper()
	for _, e := range res.Entries {
		if e.Key == key {
			return e
		}
	}
	t.Fatalf("no entry for %s in %+v", key, res.Entries)
	return Entry{}
}

// TestPrecedence shows, for every setting, that a flag beats the environment, which beats
// rolehop.hcl, which beats the default.
func TestPrecedence(t *testing.T) {
	const role = "arn:aws:iam::111111111111:role/"
	type layer struct{ value, source string }
	tests := []struct {
		key  string
		flag []string
		env  map[string]string
		file string
		want [4]layer // flag, env, file, default
	}{
		{spec.KeyIAMRole, []string{"--iam-role", role + "flag"}, map[string]string{"ROLEHOP_IAM_ROLE": role + "env"}, `iam_role = "` + role + `file"`,
			[4]layer{{role + "flag", "flag --iam-role"}, {role + "env", "env ROLEHOP_IAM_ROLE"}, {role + "file", "rolehop.hcl:1"},
				{"(none: base credentials are handed over as they are)", "default"}}},
		{spec.KeySessionName, []string{"--session-name", "flag"}, map[string]string{"ROLEHOP_SESSION_NAME": "env"}, `iam_assume_role_session_name = "file"`,
			[4]layer{{"flag", "flag --session-name"}, {"env", "env ROLEHOP_SESSION_NAME"}, {"file", "rolehop.hcl:1"}, {plan.DefaultSessionName(), "default"}}},
		{spec.KeyDuration, []string{"--duration", "2h"}, map[string]string{"ROLEHOP_DURATION": "10800"}, `iam_assume_role_duration = "4h"`,
			[4]layer{{"2h", "flag --duration"}, {"10800", "env ROLEHOP_DURATION"}, {"4h", "rolehop.hcl:1"}, {"1h", "default"}}},
		{spec.KeyExternalID, []string{"--external-id", "flag"}, map[string]string{"ROLEHOP_EXTERNAL_ID": "env"}, `iam_assume_role_external_id = "file"`,
			[4]layer{{"flag", "flag --external-id"}, {"env", "env ROLEHOP_EXTERNAL_ID"}, {"file", "rolehop.hcl:1"}, {"(none)", "default"}}},
		{spec.KeyRegion, []string{"--region", "eu-west-1"}, map[string]string{"ROLEHOP_REGION": "eu-west-2"}, `region = "eu-west-3"`,
			[4]layer{{"eu-west-1", "flag --region"}, {"eu-west-2", "env ROLEHOP_REGION"}, {"eu-west-3", "rolehop.hcl:1"},
				{"(profile's region, else the role partition's default)", "default"}}},
		{spec.KeyProfile, []string{"--profile", "flag"}, map[string]string{"AWS_PROFILE": "env"}, `profile = "file"`,
			[4]layer{{"flag", "flag --profile"}, {"env", "env AWS_PROFILE"}, {"file", "rolehop.hcl:1"}, {"(AWS SDK default chain)", "default"}}},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			base := []string{"--iam-role", role + "base"}
			if tt.key == spec.KeyIAMRole {
				base = nil
			}
			inputs := []struct {
				args []string
				env  map[string]string
				file string
			}{
				{append(base, tt.flag...), tt.env, tt.file},
				{base, tt.env, tt.file},
				{base, nil, tt.file},
				{base, nil, ""},
			}
			for i, in := range inputs {
				res, err := resolveWith(t, in.args, in.env, in.file)
				if err != nil {
					t.Fatalf("layer %d: %v", i, err)
				}
				e := entry(t, res, tt.key)
				if got := (layer{e.Value, e.Source.String()}); got != tt.want[i] {
					t.Errorf("layer %d: got %+v, want %+v", i, got, tt.want[i])
				}
			}
		})
	}
}

func TestEnvironmentFallbacks(t *testing.T) {
	res, err := resolveWith(t, nil, map[string]string{
		"TERRAGRUNT_IAM_ROLE":               "arn:aws:iam::111111111111:role/tg-old",
		"TG_IAM_ASSUME_ROLE":                "arn:aws:iam::111111111111:role/tg-new",
		"AWS_DEFAULT_REGION":                "eu-west-1",
		"TG_IAM_ASSUME_ROLE_DURATION":       "1800",
		"TG_IAM_ASSUME_ROLE_SESSION_NAME":   "tg",
		"ROLEHOP_SESSION_NAME":              "  ",
		"ROLEHOP_IAM_WEB_IDENTITY_TOKEN":    "",
		"TERRAGRUNT_IAM_WEB_IDENTITY_TOKEN": "",
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	p := res.Plan
	if len(p.Hops) != 1 || p.Hops[0].Role.Name != "tg-new" {
		t.Fatalf("hops = %+v, want the TG_ variable to win over the TERRAGRUNT_ one", p.Hops)
	}
	if h := p.Hops[0]; h.Duration != 30*time.Minute || h.SessionName != "tg" || h.WebIdentityToken != nil {
		t.Errorf("hop = %+v; blank variables must count as unset", h)
	}
	if p.Region != "eu-west-1" || p.RegionOrigin.String() != "env AWS_DEFAULT_REGION" {
		t.Errorf("region = %q from %q", p.Region, p.RegionOrigin)
	}
}

// TestBlockValuesWinForTheirHop shows that an assume_role block's own values apply to its hop,
// and the global ones fill in the rest.
func TestBlockValuesWinForTheirHop(t *testing.T) {
	res, err := resolveWith(t, []string{"--session-name", "global", "--external-id", "global-id"}, nil, `
assume_role {
  role_arn = "arn:aws:iam::222222222222:role/hub"
}
assume_role {
  role_arn     = "arn:aws:iam::111111111111:role/deploy"
  session_name = "own"
  duration     = "30m"
}
`)
	if err != nil {
		t.Fatal(err)
	}
	h1, h2 := res.Plan.Hops[0], res.Plan.Hops[1]
	if h1.SessionName != "global" || h1.ExternalID != "global-id" || h1.Duration != time.Hour {
		t.Errorf("hop 1 = %+v", h1)
	}
	if h2.SessionName != "own" || h2.Origin[plan.FieldSessionName].String() != "rolehop.hcl:7" || h2.Duration != 30*time.Minute {
		t.Errorf("hop 2 = %+v", h2)
	}
	if h2.ExternalID != "global-id" || h2.Origin[plan.FieldExternalID].String() != "flag --external-id" {
		t.Errorf("hop 2 external ID = %q from %q", h2.ExternalID, h2.Origin[plan.FieldExternalID])
	}
}

func TestFlagAliases(t *testing.T) {
	for _, args := range [][]string{
		{"--role-arn", "arn:aws:iam::111111111111:role/a"},
		{"--iam-assume-role", "arn:aws:iam::111111111111:role/a"},
		{"--terragrunt-iam-role", "arn:aws:iam::111111111111:role/a"},
	} {
		res, err := resolveWith(t, append(args, "--role-duration-seconds", "1800", "--iam-assume-role-session-name", "alias"), nil, "")
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		h := res.Plan.Hops[0]
		if h.Role.Name != "a" || h.Duration != 30*time.Minute || h.SessionName != "alias" {
			t.Errorf("%v: hop = %+v", args, h)
		}
	}
}

func TestErrorsNameTheirSource(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		file string
		want string
	}{
		{[]string{"--iam-role", "x"}, nil, "", `flag --iam-role: "x" is not an ARN`},
		{nil, map[string]string{"ROLEHOP_IAM_ROLE": "x"}, "", `env ROLEHOP_IAM_ROLE: "x" is not an ARN`},
		{nil, nil, `iam_role = "x"`, `rolehop.hcl:1: "x" is not an ARN`},
		{[]string{"--iam-role", "arn:aws:iam::111111111111:role/a"}, nil, "iam_assume_role_duration = 60", `rolehop.hcl:1: duration "60" is out of range`},
		{[]string{"--iam-role", "arn:aws:iam::111111111111:role/a", "--session-name", ""}, nil, "", "flag --session-name: value is empty"},
		{[]string{"--region", "nowhere"}, nil, "", `flag --region: "nowhere" is not a region name`},
	}
	for _, tt := range tests {
		_, err := resolveWith(t, tt.args, tt.env, tt.file)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("args %v env %v file %q: error %v, want prefix %q", tt.args, tt.env, tt.file, err, tt.want)
		}
	}
}

// TestWebIdentitySources shows how a token given directly and one fetched from CI compete: the
// stronger layer wins, and both in one layer is an error.
func TestWebIdentitySources(t *testing.T) {
	const role = "--iam-role=arn:aws:iam::111111111111:role/ci"
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("eyJ.a.b"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		file    string
		want    string
		wantErr string
	}{
		{name: "flag token over env provider", args: []string{role, "--iam-web-identity-token", tokenFile},
			env: map[string]string{"ROLEHOP_WEB_IDENTITY_PROVIDER": "circleci"}, want: "file " + tokenFile},
		{name: "flag provider over env token", args: []string{role, "--web-identity-provider", "circleci"},
			env: map[string]string{"ROLEHOP_IAM_WEB_IDENTITY_TOKEN": tokenFile}, want: "CircleCI"},
		{name: "env provider over file token", args: []string{role}, env: map[string]string{"ROLEHOP_WEB_IDENTITY_PROVIDER": "bitbucket"},
			file: `iam_web_identity_token = "` + tokenFile + `"`, want: "Bitbucket"},
		{name: "both flags", args: []string{role, "--web-identity-provider", "circleci", "--iam-web-identity-token", tokenFile},
			wantErr: "flag --iam-web-identity-token and flag --web-identity-provider both give the web identity token; keep one"},
		{name: "unknown provider", args: []string{role, "--web-identity-provider", "jenkins"},
			wantErr: `flag --web-identity-provider: unknown web identity provider "jenkins"`},
		{name: "provider without a role", env: map[string]string{"ROLEHOP_WEB_IDENTITY_PROVIDER": "circleci"},
			wantErr: "env ROLEHOP_WEB_IDENTITY_PROVIDER: a web identity token needs a role to assume; set --iam-role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := resolveWith(t, tt.args, tt.env, tt.file)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Plan.Hops[0].WebIdentityToken.String(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("token source = %q, want prefix %q", got, tt.want)
			}
		})
	}
}

func TestAuthProviderSettings(t *testing.T) {
	res, err := resolveWith(t, nil, map[string]string{"TG_AUTH_PROVIDER_CMD": "./p.sh --x"}, "auth_provider_timeout = 30")
	if err != nil {
		t.Fatal(err)
	}
	ap := res.Plan.AuthProvider
	if ap == nil || ap.Command != "./p.sh --x" || ap.Timeout != 30*time.Second || ap.Origin.String() != "env TG_AUTH_PROVIDER_CMD" {
		t.Fatalf("auth provider = %+v", ap)
	}
	res, err = resolveWith(t, []string{"--terragrunt-auth-provider-cmd", "./q.sh", "--auth-provider-timeout", "2m"}, nil, "")
	if err != nil || res.Plan.AuthProvider.Timeout != 2*time.Minute || res.Plan.AuthProvider.Origin.String() != "flag --auth-provider-cmd" {
		t.Fatalf("auth provider = %+v, %v", res.Plan.AuthProvider, err)
	}
	if _, err := resolveWith(t, []string{"--auth-provider-cmd", "./q.sh", "--auth-provider-timeout", "-1s"}, nil, ""); err == nil ||
		err.Error() != `flag --auth-provider-timeout: timeout "-1s" is not a positive number of seconds or a duration like 30s or 10m` {
		t.Errorf("negative timeout: %v", err)
	}
	res, err = resolveWith(t, nil, nil, "")
	if err != nil || res.Plan.AuthProvider != nil {
		t.Errorf("no provider: %+v, %v", res.Plan.AuthProvider, err)
	}
}

// TestWrongValues shows values that would otherwise be used silently in a way nobody meant:
// each is an error naming its source and saying what to write instead.
func TestWrongValues(t *testing.T) {
	const (
		a = "arn:aws:iam::111111111111:role/a"
		b = "arn:aws:iam::222222222222:role/b"
	)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		file string
		want string
	}{
		{"roles joined by a comma in the environment", nil, map[string]string{"ROLEHOP_IAM_ROLE": a + "," + b}, "",
			`env ROLEHOP_IAM_ROLE: "` + a + "," + b + `" joins role ARNs with a comma; separate them with spaces: ROLEHOP_IAM_ROLE="` + a + " " + b + `"`},
		{"comma and space in the environment", nil, map[string]string{"TG_IAM_ASSUME_ROLE": a + ", " + b}, "",
			`env TG_IAM_ASSUME_ROLE: "` + a + ", " + b + `" joins role ARNs with a comma; separate them with spaces: TG_IAM_ASSUME_ROLE="` + a + " " + b + `"`},
		{"roles joined by a comma on the command line", []string{"--iam-role", a + "," + b}, nil, "",
			`flag --iam-role: "` + a + "," + b + `" joins role ARNs with a comma; give each role its own flag: --iam-role ` + a + " --iam-role " + b},
		{"roles joined by a comma in rolehop.hcl", nil, nil, `iam_role = "` + a + "," + b + `"`,
			`rolehop.hcl:1: "` + a + "," + b + `" joins role ARNs with a comma; write a chain as assume_role blocks, one role_arn in each`},
		{"MFA code without a device", []string{"--token-code", "123456", "--iam-role", a}, nil, "",
			"flag --token-code: the MFA code has no MFA device to go with it; set --serial-number (or mfa_serial in an assume_role block)"},
		{"MFA code from the environment without a device", nil, map[string]string{"ROLEHOP_TOKEN_CODE": "123456"}, "",
			"env ROLEHOP_TOKEN_CODE: the MFA code has no MFA device to go with it; set --serial-number (or mfa_serial in an assume_role block)"},
		{"unknown keyring backend", []string{"--keyring-backend", "files"}, nil, "",
			`flag --keyring-backend: unknown secret store backend "files"; did you mean "file"? (valid: wincred, keychain, secret-service, kwallet, keyctl, pass, file)`},
		{"unknown keyring backend in rolehop.hcl", nil, nil, `keyring_backend = "vault"`,
			`rolehop.hcl:1: unknown secret store backend "vault" (valid: wincred, keychain, secret-service, kwallet, keyctl, pass, file)`},
		{"min-ttl as long as the default duration", []string{"--iam-role", a, "--min-ttl", "1h"}, nil, "",
			"flag --min-ttl: 1h is not shorter than the session duration 1h (default) of hop 1 (" + a + "); the cache could never be used; lower --min-ttl"},
		{"min-ttl longer than the duration given", []string{"--iam-role", a, "--iam-role", b, "--duration", "30m"}, map[string]string{"ROLEHOP_MIN_TTL": "45m"}, "",
			"env ROLEHOP_MIN_TTL: 45m is not shorter than the session duration 30m (flag --duration) of hop 1 (" + a + "); the cache could never be used; lower --min-ttl"},
		{"min-ttl as long as the MFA session", []string{"--serial-number", "arn:aws:iam::111111111111:mfa/jane", "--mfa-session-duration", "1h"}, nil, "min_ttl = 3600",
			"rolehop.hcl:1: 1h is not shorter than the MFA session duration 1h (flag --mfa-session-duration); the cache could never be used; lower --min-ttl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := resolveWith(t, tt.args, tt.env, tt.file)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v\nwant    %s", err, tt.want)
			}
		})
	}
}

// TestRightValuesNearWrongOnes shows the values next to those TestWrongValues refuses that are
// fine: a comma inside a role name, a code with a device in an assume_role block, a known
// backend this platform may lack, and a min-ttl that does not matter without the cache.
func TestRightValuesNearWrongOnes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		file string
	}{
		{"comma in a role name", []string{"--iam-role", "arn:aws:iam::111111111111:role/a,b"}, nil, ""},
		{"code with mfa_serial in a block", []string{"--token-code", "123456"}, nil,
			"assume_role {\n  role_arn = \"arn:aws:iam::111111111111:role/a\"\n  mfa_serial = \"arn:aws:iam::111111111111:mfa/jane\"\n}\n"},
		{"a backend of another platform", []string{"--keyring-backend", "wincred"}, nil, ""},
		{"min-ttl with the cache off", []string{"--iam-role", "arn:aws:iam::111111111111:role/a", "--min-ttl", "2h", "--no-cache"}, nil, ""},
		{"min-ttl shorter than every duration", []string{"--iam-role", "arn:aws:iam::111111111111:role/a", "--min-ttl", "59m"}, nil, ""},
		{"min-ttl with the MFA code on AssumeRole", []string{"--serial-number", "arn:aws:iam::111111111111:mfa/jane", "--mfa-on-assume",
			"--mfa-session-duration", "1h", "--min-ttl", "1h", "--iam-role", "arn:aws:iam::111111111111:role/a", "--duration", "2h"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := resolveWith(t, tt.args, tt.env, tt.file); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestBesideFile(t *testing.T) {
	tests := []struct{ line, want string }{
		{"./auth.sh --profile x", "/repo/auth.sh --profile x"},
		{"bin/auth 'two words'", "/repo/bin/auth 'two words'"},
		{"../tools/auth", "/tools/auth"},
		{"aws-keys-from-pass", "aws-keys-from-pass"},
		{"/usr/local/bin/auth -v", "/usr/local/bin/auth -v"},
		{"'unterminated", "'unterminated"},
	}
	for _, tt := range tests {
		if got := besideFile(tt.line, "/repo"); got != tt.want {
			t.Errorf("besideFile(%q, /repo) = %q, want %q", tt.line, got, tt.want)
		}
	}
}
