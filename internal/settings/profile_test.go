package settings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolehop/rolehop/internal/plan"
	"github.com/spf13/pflag"
)

// resolveProfile resolves args with the given shared files.
func resolveProfile(t *testing.T, args []string, config, credentials string) (*Result, error) {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"HOME":                        dir,
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
	}
	for name, body := range map[string]string{"config": config, "credentials": credentials} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	return Resolve(Inputs{Flags: fs, LookupEnv: lookup, Dir: dir})
}

func TestProfilePlan(t *testing.T) {
	const keys = "[base]\naws_access_key_id = AKIABASE000000000001\naws_secret_access_key = s\n"
	tests := []struct {
		name        string
		args        []string
		config      string
		base        plan.BaseKind
		hops        []string // role ARN, session name, duration, external ID, MFA serial of each hop
		mfa         string   // the MFA session's device
		origin      string   // of hop 1's duration
		noBase, web bool
	}{
		{name: "role from keys", args: []string{"--profile", "dev"},
			config: "[profile dev]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/dev\n",
			hops:   []string{"arn:aws:iam::111111111111:role/dev " + plan.DefaultSessionName() + " 1h0m0s  "}, origin: "default"},
		{name: "profile values", args: []string{"--profile", "dev"},
			config: "[profile dev]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/dev\nrole_session_name = me\nduration_seconds = 1800\nexternal_id = xid-1\n",
			hops:   []string{"arn:aws:iam::111111111111:role/dev me 30m0s xid-1 "}, origin: "~/config [profile dev] duration_seconds"},
		{name: "flags beat the profile", args: []string{"--profile", "dev", "--duration", "2h", "--session-name", "flag", "--external-id", "xid-flag"},
			config: "[profile dev]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/dev\nrole_session_name = me\nduration_seconds = 1800\nexternal_id = xid-1\n",
			hops:   []string{"arn:aws:iam::111111111111:role/dev flag 2h0m0s xid-flag "}, origin: "flag --duration"},
		{name: "chain then flag", args: []string{"--profile", "b", "--iam-role", "arn:aws:iam::333333333333:role/c"},
			config: "[profile a]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/a\n[profile b]\nsource_profile = a\nrole_arn = arn:aws:iam::222222222222:role/b\n",
			hops: []string{"arn:aws:iam::111111111111:role/a " + plan.DefaultSessionName() + " 1h0m0s  ",
				"arn:aws:iam::222222222222:role/b " + plan.DefaultSessionName() + " 1h0m0s  ",
				"arn:aws:iam::333333333333:role/c " + plan.DefaultSessionName() + " 1h0m0s  "}, origin: "default"},
		{name: "mfa from keys is a session", args: []string{"--profile", "dev", "--token-code", "123456"},
			config: "[profile dev]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/dev\nmfa_serial = arn:aws:iam::123456789012:mfa/me\n",
			hops:   []string{"arn:aws:iam::111111111111:role/dev " + plan.DefaultSessionName() + " 1h0m0s  "}, mfa: "arn:aws:iam::123456789012:mfa/me", origin: "default"},
		{name: "mfa from a role is on AssumeRole", args: []string{"--profile", "b", "--token-code", "123456"},
			config: "[profile a]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/a\n[profile b]\nsource_profile = a\nrole_arn = arn:aws:iam::222222222222:role/b\nmfa_serial = arn:aws:iam::123456789012:mfa/me\n",
			hops: []string{"arn:aws:iam::111111111111:role/a " + plan.DefaultSessionName() + " 1h0m0s  ",
				"arn:aws:iam::222222222222:role/b " + plan.DefaultSessionName() + " 1h0m0s  arn:aws:iam::123456789012:mfa/me"}, origin: "default"},
		{name: "credential_source", args: []string{"--profile", "env"}, base: plan.BaseEnvironment,
			config: "[profile env]\ncredential_source = Environment\nrole_arn = arn:aws:iam::111111111111:role/env\n",
			hops:   []string{"arn:aws:iam::111111111111:role/env " + plan.DefaultSessionName() + " 1h0m0s  "}, origin: "default"},
		{name: "credential_process", args: []string{"--profile", "proc"}, base: plan.BaseProcess,
			config: "[profile proc]\ncredential_process = /bin/keys\n", origin: "default"},
		{name: "web identity", args: []string{"--profile", "ci"}, noBase: true, web: true,
			config: "[profile ci]\nweb_identity_token_file = /tmp/token\nrole_arn = arn:aws:iam::111111111111:role/ci\n",
			hops:   []string{"arn:aws:iam::111111111111:role/ci " + plan.DefaultSessionName() + " 1h0m0s  "}, origin: "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := resolveProfile(t, tt.args, tt.config, keys)
			if err != nil {
				t.Fatal(err)
			}
			p := res.Plan
			if tt.noBase != (p.ProfileBase == nil) || p.ProfileBase != nil && p.ProfileBase.Kind != tt.base {
				t.Fatalf("base = %+v, want kind %v (none: %v)", p.ProfileBase, tt.base, tt.noBase)
			}
			var got []string
			for _, h := range p.Hops {
				got = append(got, strings.Join([]string{h.Role.String(), h.SessionName, h.Duration.String(), h.ExternalID, h.MFASerial}, " "))
			}
			if strings.Join(got, "\n") != strings.Join(tt.hops, "\n") {
				t.Fatalf("hops:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.hops, "\n"))
			}
			if len(p.Hops) > 0 {
				if o := p.Hops[0].Origin[plan.FieldDuration].String(); o != tt.origin {
					t.Errorf("duration origin = %q, want %q", o, tt.origin)
				}
				if web := p.Hops[0].WebIdentityToken != nil; web != tt.web {
					t.Errorf("web identity = %v, want %v", web, tt.web)
				}
			}
			var mfa string
			if p.MFA != nil {
				mfa = p.MFA.Serial
			}
			if mfa != tt.mfa {
				t.Errorf("MFA session device = %q, want %q", mfa, tt.mfa)
			}
		})
	}
}

// TestProfileStoredBase: a base profile without credentials in the files, or in neither file,
// takes its keys from rolehop's secret store under its name, and gets the MFA session.
func TestProfileStoredBase(t *testing.T) {
	tests := []struct{ name, config, profile, stored, origin string }{
		{"unknown source", "[profile a]\nsource_profile = vault\nrole_arn = arn:aws:iam::111111111111:role/a\nmfa_serial = arn:aws:iam::111111111111:mfa/me\n",
			"a", "vault", `~/config [profile a] source_profile "vault"`},
		{"empty source", "[profile a]\nsource_profile = my.base-1\nrole_arn = arn:aws:iam::111111111111:role/a\nmfa_serial = arn:aws:iam::111111111111:mfa/me\n[profile my.base-1]\nregion = us-east-1\n",
			"a", "my.base-1", "~/config [profile my.base-1]"},
		{"no credentials", "[profile a]\nregion = us-east-1\n", "a", "a", "~/config [profile a]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := resolveProfile(t, []string{"--profile", tt.profile}, tt.config, "")
			if err != nil {
				t.Fatal(err)
			}
			p := res.Plan
			if p.StoredCredentials != tt.stored || p.StoredOrigin.String() != tt.origin || p.ProfileBase != nil {
				t.Fatalf("stored = %q (%s), base %v; want %q (%s) and no profile base", p.StoredCredentials, p.StoredOrigin, p.ProfileBase, tt.stored, tt.origin)
			}
			if tt.name != "no credentials" && (p.MFA == nil || p.MFA.OnAssume || len(p.Hops) != 1 || p.Hops[0].MFASerial != "") {
				t.Errorf("MFA = %+v, hops %d: want an MFA session from the stored keys", p.MFA, len(p.Hops))
			}
		})
	}
}

func TestProfileErrors(t *testing.T) {
	const keys = "[base]\naws_access_key_id = AKIABASE000000000001\naws_secret_access_key = s\n"
	tests := []struct{ name, config, want string }{
		{"cycle", "[profile a]\nsource_profile = b\nrole_arn = arn:aws:iam::111111111111:role/a\n[profile b]\nsource_profile = a\nrole_arn = arn:aws:iam::111111111111:role/b\n",
			`~/config [profile a]: the source_profile links of profile "a" loop back to profile`},
		{"bad arn", "[profile a]\nsource_profile = base\nrole_arn = arn:aws:iam::1111:role/a\n",
			`~/config [profile a] role_arn: `},
		{"no name for the store", "[profile a]\nsource_profile = no/pe\nrole_arn = arn:aws:iam::111111111111:role/a\n",
			`~/config [profile a] source_profile "no/pe": the profile gives no credentials in the AWS files, and its name cannot name keys`},
		{"chained too long", "[profile a]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/a\n[profile b]\nsource_profile = a\nrole_arn = arn:aws:iam::111111111111:role/b\nduration_seconds = 7200\n",
			`~/config [profile b] duration_seconds: hop 2 `},
		{"bad source", "[profile a]\ncredential_source = Laptop\nrole_arn = arn:aws:iam::111111111111:role/a\n",
			`~/config [profile a]: credential_source "Laptop" is not one of`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			profile := "a"
			if tt.name == "chained too long" {
				profile = "b"
			}
			_, err := resolveProfile(t, []string{"--profile", profile}, tt.config, keys)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to start with %q", err, tt.want)
			}
		})
	}
}

// withProfiles points env, when it names no shared files, at a config file in which the
// profiles other tests name (dev, flag, env, file) exist with static keys, since a profile
// is read when the settings are resolved.
func withProfiles(t *testing.T, env map[string]string) {
	t.Helper()
	if _, ok := env["AWS_CONFIG_FILE"]; ok {
		return
	}
	var b strings.Builder
	for _, name := range []string{"dev", "flag", "env", "file"} {
		b.WriteString("[profile " + name + "]\naws_access_key_id = AKIATESTPROFILE00001\naws_secret_access_key = s\n")
	}
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	env["AWS_CONFIG_FILE"], env["AWS_SHARED_CREDENTIALS_FILE"] = path, filepath.Join(filepath.Dir(path), "credentials")
}
