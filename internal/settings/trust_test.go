package settings

import (
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rolehop/rolehop/internal/mfa"
	"github.com/rolehop/rolehop/internal/trust"
	"github.com/spf13/pflag"
)

// trustCase is a tree of rolehop.hcl files (slash paths relative to a temporary root), the
// verdict the trust check gives each of them (none: never trusted), and a run in the directory
// "repo/unit". "ROOT" in an argument or variable stands for the root.
type trustCase struct {
	args     []string
	env      map[string]string
	files    map[string]string
	verdicts map[string]trust.Verdict
}

var (
	trusted = trust.Verdict{Trusted: true, Why: "recorded by 'rolehop trust'"}
	changed = trust.Verdict{Changed: true, Why: "changed since 'rolehop trust'"}
)

// resolveTrust resolves tc and returns the files the trust check was asked about, relative to
// the root. The check fails the test when it is not given the SHA-256 of the file's content.
// tempRoot matches the temporary directory resolveTrust makes, in a program's path.
var tempRoot = regexp.MustCompile(`^(mfa command )?/\S*/repo/`)

func resolveTrust(t *testing.T, tc trustCase) (*Result, []string, error) {
	t.Helper()
	root := t.TempDir()
	for name, content := range tc.files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(root, "repo", "unit")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Keeps any rolehop.hcl above the temporary directory out of the test.
	if err := os.WriteFile(filepath.Join(root, "rolehop.hcl"), []byte("root = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := make([]string, len(tc.args))
	for i, a := range tc.args {
		args[i] = strings.ReplaceAll(a, "ROOT", root)
	}
	env := map[string]string{}
	for k, v := range tc.env {
		env[k] = strings.ReplaceAll(v, "ROOT", root)
	}
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	var asked []string
	check := func(path string, sum [sha256.Size]byte) (trust.Verdict, error) {
		rel, err := filepath.Rel(root, path)
		if err != nil {
			t.Fatal(err)
		}
		rel = filepath.ToSlash(rel)
		asked = append(asked, rel)
		content, ok := tc.files[rel]
		if rel == "rolehop.hcl" {
			content, ok = "root = true\n", true
		}
		if !ok || sum != sha256.Sum256([]byte(content)) {
			t.Errorf("trust check of %s: sum %x is not that of its content", rel, sum)
		}
		if v, ok := tc.verdicts[rel]; ok {
			return v, nil
		}
		return trust.Verdict{Why: "never trusted"}, nil
	}
	withProfiles(t, env)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	res, err := Resolve(Inputs{Flags: fs, LookupEnv: lookup, Dir: dir, Trusted: check})
	return res, asked, err
}

const mfaFile = `mfa_serial = "arn:aws:iam::111111111111:mfa/jane"
mfa_token_cmd = "./code.sh"
`

// TestProgramSettingsNeedTrust shows that auth_provider_cmd and mfa_token_cmd are taken from a
// discovered rolehop.hcl only when the file that supplies them is trusted; a flag or variable
// needs no trust, and overrides the file's value without an error.
func TestProgramSettingsNeedTrust(t *testing.T) {
	const unit, repo = "repo/unit/rolehop.hcl", "repo/rolehop.hcl"
	provider := map[string]string{unit: `auth_provider_cmd = "./p.sh"`}
	tests := []struct {
		name    string
		tc      trustCase
		want    string // the auth provider command, or the MFA code source
		wantErr string
	}{
		{name: "untrusted provider", tc: trustCase{files: provider},
			wantErr: "rolehop.hcl:1: auth_provider_cmd runs a program, and this file is not trusted; review it, then run 'rolehop trust rolehop.hcl' (or pass --config rolehop.hcl)"},
		{name: "trusted provider", tc: trustCase{files: provider, verdicts: map[string]trust.Verdict{unit: trusted}}, want: "ROOT/repo/unit/p.sh"},
		{name: "changed provider", tc: trustCase{files: provider, verdicts: map[string]trust.Verdict{unit: changed}},
			wantErr: "rolehop.hcl:1: auth_provider_cmd runs a program, and this file has changed since it was trusted; review it, then run 'rolehop trust rolehop.hcl' (or pass --config rolehop.hcl)"},
		{name: "flag over an untrusted file", tc: trustCase{args: []string{"--auth-provider-cmd", "./mine.sh"}, files: provider}, want: "./mine.sh"},
		{name: "env over an untrusted file", tc: trustCase{env: map[string]string{"TG_AUTH_PROVIDER_CMD": "./env.sh"}, files: provider}, want: "./env.sh"},
		{name: "blank in an untrusted file is unset", tc: trustCase{files: map[string]string{unit: `auth_provider_cmd = " "`}}, want: ""},
		{name: "untrusted parent supplies it", tc: trustCase{
			files:    map[string]string{unit: `region = "eu-west-1"`, repo: `auth_provider_cmd = "./p.sh"`},
			verdicts: map[string]trust.Verdict{unit: trusted}},
			wantErr: "../rolehop.hcl:1: auth_provider_cmd runs a program, and this file is not trusted; review it, then run 'rolehop trust ../rolehop.hcl' (or pass --config ../rolehop.hcl)"},
		{name: "trusted parent supplies it below an untrusted file", tc: trustCase{
			files:    map[string]string{unit: `region = "eu-west-1"`, repo: `auth_provider_cmd = "./p.sh"`},
			verdicts: map[string]trust.Verdict{repo: trusted}}, want: "ROOT/repo/p.sh"},
		{name: "untrusted nearer file overrides a trusted parent", tc: trustCase{
			files:    map[string]string{unit: `auth_provider_cmd = "./evil.sh"`, repo: `auth_provider_cmd = "./p.sh"`},
			verdicts: map[string]trust.Verdict{repo: trusted}},
			wantErr: "rolehop.hcl:1: auth_provider_cmd runs a program, and this file is not trusted"},
		{name: "--config names the file", tc: trustCase{args: []string{"--config", "ROOT/" + unit}, files: provider}, want: "ROOT/repo/unit/p.sh"},
		{name: "ROLEHOP_CONFIG names the file", tc: trustCase{env: map[string]string{"ROLEHOP_CONFIG": "ROOT/" + unit}, files: provider}, want: "ROOT/repo/unit/p.sh"},

		{name: "untrusted MFA command", tc: trustCase{files: map[string]string{unit: mfaFile}},
			wantErr: "rolehop.hcl:2: mfa_token_cmd runs a program, and this file is not trusted; review it, then run 'rolehop trust rolehop.hcl' (or pass --config rolehop.hcl)"},
		{name: "trusted MFA command", tc: trustCase{files: map[string]string{unit: mfaFile}, verdicts: map[string]trust.Verdict{unit: trusted}}, want: "mfa command ROOT/repo/unit/code.sh"},
		{name: "code given, untrusted command not used", tc: trustCase{args: []string{"--token-code", "123456"}, files: map[string]string{unit: mfaFile}}, want: "mfa code"},
		{name: "flag over an untrusted MFA command", tc: trustCase{args: []string{"--mfa-token-cmd", "./mine.sh"}, files: map[string]string{unit: mfaFile}}, want: "mfa command ./mine.sh"},
		{name: "no MFA, untrusted command not used", tc: trustCase{files: map[string]string{unit: `mfa_token_cmd = "./code.sh"`}}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _, err := resolveTrust(t, tt.tc)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// A relative program in a file is taken from the file's directory.
			got := tempRoot.ReplaceAllString(programOf(res), "${1}ROOT/repo/")
			if got != tt.want {
				t.Errorf("program = %q, want %q", got, tt.want)
			}
		})
	}
}

// programOf names what the plan would run: the auth provider's command, or where MFA codes
// come from.
func programOf(res *Result) string {
	switch p := res.Plan; {
	case p.AuthProvider != nil:
		return p.AuthProvider.Command
	case p.Codes != nil:
		if c, ok := p.Codes.(mfa.Command); ok {
			return "mfa command " + c.Line
		}
		return "mfa code"
	}
	return ""
}

// TestFileVerdicts shows that every file read gets its verdict, asked once with the SHA-256 of
// the content parsed, and that a file named with --config is trusted without asking.
func TestFileVerdicts(t *testing.T) {
	files := map[string]string{"repo/unit/rolehop.hcl": `region = "eu-west-1"`, "repo/rolehop.hcl": `profile = "dev"`}
	res, asked, err := resolveTrust(t, trustCase{files: files, verdicts: map[string]trust.Verdict{"repo/rolehop.hcl": trusted}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(asked, " "); got != "repo/unit/rolehop.hcl repo/rolehop.hcl rolehop.hcl" {
		t.Errorf("asked about %q, want each file once, nearest first", got)
	}
	want := []FileTrust{
		{File: "rolehop.hcl", Verdict: trust.Verdict{Why: "never trusted"}},
		{File: "../rolehop.hcl", Verdict: trusted},
		{File: "../../rolehop.hcl", Verdict: trust.Verdict{Why: "never trusted"}},
	}
	if len(res.Trust) != len(want) {
		t.Fatalf("trust = %+v, want %+v", res.Trust, want)
	}
	for i := range want {
		if res.Trust[i] != want[i] {
			t.Errorf("trust[%d] = %+v, want %+v", i, res.Trust[i], want[i])
		}
	}
	res, asked, err = resolveTrust(t, trustCase{args: []string{"--config", "ROOT/repo/rolehop.hcl"}, files: files})
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != 0 {
		t.Errorf("asked about %q for a file named with --config", asked)
	}
	if len(res.Trust) != 1 || res.Trust[0] != (FileTrust{File: "../rolehop.hcl", Verdict: trust.Verdict{Trusted: true, Why: "named by flag --config"}}) {
		t.Errorf("trust = %+v", res.Trust)
	}
}

// TestTrustCheckErrors shows that a failing trust check stops the resolution when the file would
// run a program, and only then; and that without a check no discovered file is trusted.
func TestTrustCheckErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rolehop.hcl")
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlags(fs)
	noEnv := func(string) (string, bool) { return "", false }
	boom := errors.New("/home/jane/.config/rolehop/trusted:3: not a SHA-256 in hex, two spaces and a path")
	failing := func(string, [sha256.Size]byte) (trust.Verdict, error) { return trust.Verdict{}, boom }

	if err := os.WriteFile(file, []byte("root = true\nregion = \"eu-west-1\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := Resolve(Inputs{Flags: fs, LookupEnv: noEnv, Dir: dir, Trusted: failing})
	if err != nil {
		t.Fatalf("data only: %v; the trust check's failure must not matter", err)
	}
	if want := (FileTrust{File: "rolehop.hcl", Verdict: trust.Verdict{Why: "cannot tell: " + boom.Error()}}); len(res.Trust) != 1 || res.Trust[0] != want {
		t.Errorf("trust = %+v, want %+v", res.Trust, want)
	}

	if err := os.WriteFile(file, []byte("root = true\nauth_provider_cmd = \"./p.sh\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Resolve(Inputs{Flags: fs, LookupEnv: noEnv, Dir: dir, Trusted: failing})
	if !errors.Is(err, boom) {
		t.Errorf("error = %v, want the trust check's", err)
	}
	_, err = Resolve(Inputs{Flags: fs, LookupEnv: noEnv, Dir: dir})
	if err == nil || !strings.HasPrefix(err.Error(), "rolehop.hcl:2: auth_provider_cmd runs a program, and this file is not trusted") {
		t.Errorf("no trust check: error = %v, want the file refused", err)
	}
}

func TestShellWord(t *testing.T) {
	for in, want := range map[string]string{
		"rolehop.hcl":                 "rolehop.hcl",
		"../a-b/c_d/rolehop.hcl":      "../a-b/c_d/rolehop.hcl",
		"my repo/rolehop.hcl":         `"my repo/rolehop.hcl"`,
		"$HOME/`x`/\"q\"/rolehop.hcl": "\"\\$HOME/\\`x\\`/\\\"q\\\"/rolehop.hcl\"",
	} {
		if got := shellWord(in); got != want {
			t.Errorf("shellWord(%q) = %s, want %s", in, got, want)
		}
	}
}
