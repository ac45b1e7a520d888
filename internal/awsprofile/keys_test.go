package awsprofile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rolehop/rolehop/internal/awsfiles"
)

func TestInspect(t *testing.T) {
	const creds = "[base]\naws_access_key_id = AKIAEXAMPLE00000001\naws_secret_access_key = s\n"
	tests := []struct {
		name    string
		config  string
		creds   string
		profile string
		// err is the whole error, "" for none; notes are the notes expected.
		err   string
		notes []string
	}{
		{name: "plain role", profile: "dev",
			config: "[profile dev]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/dev\nregion = eu-west-1\noutput = json\ncli_pager =\ns3 =\n  max_concurrent_requests = 4\nretry_mode = standard\nendpoint_url = http://127.0.0.1:1\n"},
		{name: "keys are case-insensitive", profile: "dev",
			config: "[profile dev]\nSource_Profile = base\nROLE_ARN = arn:aws:iam::111111111111:role/dev\n"},
		{name: "mfa_process", profile: "dev",
			config: "[profile dev]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/dev\nmfa_serial = arn:aws:iam::111111111111:mfa/jane\nmfa_process = otp-tool\n",
			err:    "CONFIG [profile dev] mfa_process: rolehop does not run it; use mfa_token_cmd (--mfa-token-cmd) to give the MFA code from a program"},
		{name: "mfa_process on the source profile", profile: "dev",
			config: "[profile dev]\nsource_profile = mid\nrole_arn = arn:aws:iam::111111111111:role/dev\n[profile mid]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/mid\nmfa_process = otp-tool\n",
			err:    "CONFIG [profile mid] mfa_process: rolehop does not run it; use mfa_token_cmd (--mfa-token-cmd) to give the MFA code from a program"},
		{name: "aws_security_token in the credentials file", profile: "base",
			creds: "[base]\naws_access_key_id = AKIAEXAMPLE00000001\naws_secret_access_key = s\naws_security_token = t\n",
			err:   "CREDS [base] aws_security_token: the AWS SDK for Go does not read it, so the keys would go without their session token; name it aws_session_token"},
		{name: "role-arn", profile: "dev",
			config: "[profile dev]\nsource_profile = base\nrole-arn = arn:aws:iam::111111111111:role/dev\n",
			err:    "CONFIG [profile dev] role-arn: not a key the AWS tools read; did you mean role_arn?"},
		{name: "rolearn", profile: "dev",
			config: "[profile dev]\nsource_profile = base\nrolearn = arn:aws:iam::111111111111:role/dev\n",
			err:    "CONFIG [profile dev] rolearn: not a key the AWS tools read; did you mean role_arn?"},
		{name: "a letter missing", profile: "dev",
			config: "[profile dev]\nsource_profil = base\nrole_arn = arn:aws:iam::111111111111:role/dev\n",
			err:    "CONFIG [profile dev] source_profil: not a key the AWS tools read; did you mean source_profile?"},
		{name: "a letter more", profile: "dev",
			config: "[profile dev]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/dev\nexternal_idd = x\n",
			err:    "CONFIG [profile dev] external_idd: not a key the AWS tools read; did you mean external_id?"},
		{name: "source_profile and credential_source", profile: "dev",
			config: "[profile dev]\nsource_profile = base\ncredential_source = Environment\nrole_arn = arn:aws:iam::111111111111:role/dev\n",
			err:    "CONFIG [profile dev] credential_source: source_profile is set too; a profile takes its credentials from one of source_profile, credential_source, credential_process, web_identity_token_file or SSO settings"},
		{name: "credential_process and SSO", profile: "dev",
			config: "[profile dev]\ncredential_process = get-keys\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Dev\n",
			err:    "CONFIG [profile dev] sso_session: credential_process is set too; a profile takes its credentials from one of source_profile, credential_source, credential_process, web_identity_token_file or SSO settings"},
		{name: "role_arn beside SSO", profile: "dev",
			config: "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Dev\nrole_arn = arn:aws:iam::111111111111:role/dev\n",
			err:    "CONFIG [profile dev] role_arn: role_arn beside SSO settings: the AWS SDK, which resolves SSO profiles, would assume the role as well as rolehop; put the role in a profile of its own with source_profile = dev"},
		{name: "SSO without a role", profile: "dev",
			config: "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\n",
			err:    "CONFIG [profile dev] sso_session: the profile's SSO settings lack sso_role_name; add them, or remove sso_session, sso_account_id"},
		{name: "legacy SSO without a region", profile: "dev",
			config: "[profile dev]\nsso_start_url = https://corp.awsapps.com/start\nsso_account_id = 111111111111\nsso_role_name = Dev\n",
			err:    "CONFIG [profile dev] sso_start_url: the profile's SSO settings lack sso_region; add them, or remove sso_start_url, sso_account_id, sso_role_name"},
		{name: "whole SSO", profile: "dev",
			config: "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Dev\n[sso-session corp]\nsso_region = eu-west-1\nsso_start_url = https://corp.awsapps.com/start\n"},
		{name: "self source_profile", profile: "base",
			config: "[profile base]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/dev\n"},
		{name: "a loop stops", profile: "a",
			config: "[profile a]\nsource_profile = b\nrole_arn = arn:aws:iam::111111111111:role/a\n[profile b]\nsource_profile = a\nrole_arn = arn:aws:iam::111111111111:role/b\n"},
		{name: "default", profile: "default",
			config: "[default]\nsource_profile = base\nrolearn = arn:aws:iam::111111111111:role/dev\n",
			err:    "CONFIG [default] rolearn: not a key the AWS tools read; did you mean role_arn?"},
		{name: "a section of another profile is not read", profile: "dev",
			config: "[profile dev]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/dev\n[profile other]\nmfa_process = x\n"},
		{name: "keys that need a role", profile: "base",
			config: "[profile base]\nmfa_serial = arn:aws:iam::111111111111:mfa/jane\nduration_seconds = 900\n",
			notes:  []string{"CONFIG [profile base] duration_seconds is not used: the profile has no role_arn", "CONFIG [profile base] mfa_serial is not used: the profile has no role_arn"}},
		{name: "region below", profile: "dev",
			config: "[profile dev]\nsource_profile = mid\nrole_arn = arn:aws:iam::111111111111:role/dev\nregion = eu-west-1\n[profile mid]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/mid\nregion = us-east-2\n",
			notes:  []string{"CONFIG [profile mid] region is not used: the region is the named profile's"}},
		{name: "no such profile", profile: "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			o := Options{Files: awsfiles.Files{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}}
			if tt.creds == "" {
				tt.creds = creds
			}
			write(t, o.Files.Config, tt.config)
			write(t, o.Files.Credentials, tt.creds)
			notes, err := Inspect(tt.profile, o)
			got := ""
			if err != nil {
				got = err.Error()
			}
			swap := strings.NewReplacer(o.Files.Config, "CONFIG", o.Files.Credentials, "CREDS")
			if want := tt.err; swap.Replace(got) != want {
				t.Errorf("error = %q, want %q", swap.Replace(got), want)
			}
			for i := range notes {
				notes[i] = swap.Replace(notes[i])
			}
			if !slices.Equal(notes, tt.notes) {
				t.Errorf("notes = %q, want %q", notes, tt.notes)
			}
		})
	}
}

func TestInspectNoFiles(t *testing.T) {
	dir := t.TempDir()
	o := Options{Files: awsfiles.Files{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}}
	if notes, err := Inspect("dev", o); err != nil || notes != nil {
		t.Fatalf("Inspect = %q, %v; want nothing", notes, err)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
