package awsfiles

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStrip(t *testing.T) {
	tests := []struct {
		name, in, want string
		dropped        int
	}{
		{"keys", "[default]\naws_access_key_id = AKIA1\naws_secret_access_key=s3cret\nregion = eu-west-2\n", "[default]\nregion = eu-west-2\n", 2},
		{"upper case and spaces", "[default]\n  AWS_Session_Token  =  tok\noutput = json\n", "[default]\noutput = json\n", 1},
		{"role", "[default]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\nexternal_id = e\nmfa_serial = m\nrole_session_name = n\nduration_seconds = 900\n", "[default]\n", 6},
		{"sso", "[default]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n[sso-session corp]\nsso_start_url = https://x\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n", "[default]\n[sso-session corp]\n", 6},
		{"process with a continued value", "[default]\ncredential_process = /bin/evil\n  --flag\n\tmore\nregion = us-east-1\n", "[default]\nregion = us-east-1\n", 1},
		{"web identity and sources", "[profile ci]\nweb_identity_token_file = /t\ncredential_source = Environment\nlogin_session = arn:x\n", "[profile ci]\n", 3},
		{"nested settings stay", "[default]\ns3 =\n  addressing_style = path\n  max_concurrent_requests = 20\nregion = us-east-1\n", "[default]\ns3 =\n  addressing_style = path\n  max_concurrent_requests = 20\nregion = us-east-1\n", 0},
		{"nested identity goes alone", "[default]\ns3 =\n  aws_access_key_id = x\n  addressing_style = path\n", "[default]\ns3 =\n  addressing_style = path\n", 1},
		{"comments and services stay", "# role_arn = commented out\n; aws_access_key_id = none\n[services local]\nsts =\n  endpoint_url = http://127.0.0.1:1\n", "# role_arn = commented out\n; aws_access_key_id = none\n[services local]\nsts =\n  endpoint_url = http://127.0.0.1:1\n", 0},
		{"blank line ends a continuation", "[a]\ncredential_process = x\n\n[b]\nregion = r\n", "[a]\n\n[b]\nregion = r\n", 1},
		{"no final newline", "[default]\nregion = r", "[default]\nregion = r\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			n, err := Strip(strings.NewReader(tt.in), &out)
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want || n != tt.dropped {
				t.Errorf("Strip:\n%s\ngave (%d left out):\n%s\nwant (%d left out):\n%s", tt.in, n, out.String(), tt.dropped, tt.want)
			}
		})
	}
}

func TestWithoutIdentity(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte("[default]\nregion = eu-west-2\ncredential_process = evil\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOME": home}
	from := Locate(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if want := filepath.Join(home, ".aws", "credentials"); from.Credentials != want {
		t.Errorf("credentials file %s, want %s", from.Credentials, want)
	}
	dir := t.TempDir()
	to, err := WithoutIdentity(from, dir)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{to.Config: "[default]\nregion = eu-west-2\n", to.Credentials: ""} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want {
			t.Errorf("%s holds %q, want %q", path, b, want)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", path, fi.Mode(), err)
		}
	}

	env["AWS_CONFIG_FILE"] = "~/elsewhere/config"
	env["AWS_SHARED_CREDENTIALS_FILE"] = "/etc/creds"
	got := Locate(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if got.Config != filepath.Join(home, "elsewhere", "config") || got.Credentials != "/etc/creds" {
		t.Errorf("Locate with the variables set = %+v", got)
	}
}
