package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rolehop/rolehop/internal/mototest"
	"github.com/rolehop/rolehop/internal/settings"
	"github.com/spf13/pflag"
)

const deploy = "arn:aws:iam::111111111111:role/deploy"

// testApp is an app whose STS is a stand-in on 127.0.0.1 (mototest.EchoSTS, which issues a
// session of the role asked for when the call carries no session token), with an environment
// of its own: base keys, no shared files, no instance metadata, no cache.
func testApp(t *testing.T) (*app, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	sts := mototest.NewEchoSTS(0)
	t.Cleanup(sts.Close)
	home := t.TempDir()
	for k, v := range map[string]string{
		"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, ".config"), "XDG_CACHE_HOME": filepath.Join(home, ".cache"),
		"AWS_CONFIG_FILE": filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL_STS": sts.URL, "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "AKIABASEKEYEXAMPLE01", "AWS_SECRET_ACCESS_KEY": "base-secret-key-example",
		"ROLEHOP_NO_CACHE": "1", "AWS_PROFILE": "", "ROLEHOP_CONFIG": "", "ROLEHOP_IAM_ROLE": "",
	} {
		t.Setenv(k, v)
	}
	var stdout, stderr bytes.Buffer
	a := &app{sys: System{Stdout: &stdout, Stderr: &stderr, LookupEnv: os.LookupEnv, Environ: os.Environ(), Dir: home}}
	if err := a.setup(nil, nil); err != nil {
		t.Fatal(err)
	}
	return a, &stdout, &stderr
}

// flags parses args as the settings' flags of a credential command.
func flags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	settings.AddExecFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestEnv(t *testing.T) {
	a, stdout, _ := testApp(t)
	if err := a.env(t.Context(), envInput{settings: flags(t, "--iam-role", deploy), format: "sh"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"export AWS_ACCESS_KEY_ID='" + mototest.EchoAccessKeyID + "'\n",
		"export AWS_SESSION_TOKEN='" + mototest.EchoSessionToken + "'\n",
		"export AWS_REGION='us-east-1'\n",
		"unset AWS_PROFILE\n",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("env output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestEnvUnknownFormat(t *testing.T) {
	a, stdout, _ := testApp(t)
	err := a.env(t.Context(), envInput{settings: flags(t, "--iam-role", deploy), format: "xml"})
	var ue *usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), `unknown format "xml"`) {
		t.Errorf("error %v, want a usage error naming the format", err)
	}
	if stdout.Len() != 0 {
		t.Errorf("printed %q for a wrong format", stdout)
	}
}

func TestCredentialProcess(t *testing.T) {
	a, stdout, _ := testApp(t)
	if err := a.credentialProcess(t.Context(), flags(t, "--iam-role", deploy)); err != nil {
		t.Fatal(err)
	}
	var out processOutput
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("output %q: %v", stdout, err)
	}
	exp, err := time.Parse(time.RFC3339, out.Expiration)
	if out.Version != 1 || out.AccessKeyID != mototest.EchoAccessKeyID || out.SecretAccessKey != mototest.EchoSecretAccessKey ||
		out.SessionToken != mototest.EchoSessionToken || err != nil || !exp.After(time.Now()) {
		t.Errorf("credential_process output %+v (expiry %v)", out, err)
	}
}

func TestExec(t *testing.T) {
	a, _, _ := testApp(t)
	seen := filepath.Join(t.TempDir(), "seen")
	err := a.exec(t.Context(), execInput{settings: flags(t, "--iam-role", deploy),
		argv: []string{"sh", "-c", `printf '%s %s' "$AWS_ACCESS_KEY_ID" "${AWS_PROFILE-unset}" > "$0"; exit 3`, seen}})
	var status childStatus
	if !errors.As(err, &status) || status != 3 {
		t.Fatalf("exec returned %v, want the command's status 3", err)
	}
	if b, _ := os.ReadFile(seen); string(b) != mototest.EchoAccessKeyID+" unset" {
		t.Errorf("the command saw %q, want the role's key and no profile", b)
	}
}

func TestExecDoesNotRunWithoutTheIdentity(t *testing.T) {
	a, _, _ := testApp(t)
	ran := filepath.Join(t.TempDir(), "ran")
	// The stand-in refuses the second hop (signed with a session token).
	err := a.exec(t.Context(), execInput{settings: flags(t, "--iam-role", "arn:aws:iam::222222222222:role/hub", "--iam-role", deploy),
		argv: []string{"touch", ran}})
	if err == nil || !strings.HasPrefix(err.Error(), "hop 2 ("+deploy+"): AssumeRole: AccessDenied") {
		t.Errorf("exec returned %v, want hop 2's AccessDenied", err)
	}
	if _, statErr := os.Stat(ran); statErr == nil {
		t.Error("the command ran without its identity")
	}
}

func TestMainExitStatus(t *testing.T) {
	testApp(t)
	tests := []struct {
		args []string
		want int
		line string
	}{
		{[]string{"exec", "--iam-role", deploy, "--", "sh", "-c", "exit 7"}, 7, ""},
		{[]string{"exec", "--iam-role", "deploy", "--", "true"}, ExitExecFailure, `rolehop: flag --iam-role: "deploy" is not an ARN`},
		{[]string{"exec", "--iam-role", deploy, "--", "no-such-program-anywhere"}, 127, "rolehop: "},
		{[]string{"env", "--iam-role", "deploy"}, ExitError, `rolehop: flag --iam-role: "deploy" is not an ARN`},
		{[]string{"env", "--format", "xml"}, ExitUsage, `rolehop: flag --format: unknown format "xml"`},
		{[]string{"exce"}, ExitUsage, `rolehop: unknown command or argument "exce" for "rolehop" (did you mean exec?)`},
		{[]string{"completion", "bsh"}, ExitUsage, `rolehop: unknown command or argument "bsh" for "rolehop completion" (did you mean bash, fish or zsh?)`},
		{[]string{"env", "--no-such-flag"}, ExitUsage, "rolehop: unknown flag: --no-such-flag; see"},
		{[]string{"env", "--mfa-seral", "x"}, ExitUsage, "rolehop: unknown flag: --mfa-seral (did you mean --mfa-serial?)"},
		{[]string{"env", "--iam-role", ""}, ExitUsage, "rolehop: flag --iam-role: value is empty"},
		{[]string{"exec", "--session-name=", "--", "true"}, ExitExecFailure, "rolehop: flag --session-name: value is empty"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := Main(t.Context(), System{Args: tt.args, Stdout: &stdout, Stderr: &stderr, LookupEnv: os.LookupEnv, Environ: os.Environ(), Dir: t.TempDir()})
			if got != tt.want {
				t.Errorf("status %d, want %d; stderr %q", got, tt.want, stderr.String())
			}
			if tt.line != "" && (!strings.HasPrefix(stderr.String(), tt.line) || strings.Count(stderr.String(), "\n") != 1) {
				t.Errorf("stderr %q, want one line starting %q", stderr.String(), tt.line)
			}
		})
	}
}
