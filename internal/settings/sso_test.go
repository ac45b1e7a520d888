package settings

import (
	"strings"
	"testing"

	"github.com/rolehop/rolehop/internal/plan"
)

func TestSSOBase(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		file    string
		want    *plan.SSO
		wantErr string
	}{
		{name: "none"},
		{name: "flags", args: []string{"--sso-session", "corp", "--sso-account-id", "111111111111", "--sso-role-name", "Admin"},
			want: &plan.SSO{Session: "corp", AccountID: "111111111111", RoleName: "Admin"}},
		{name: "layers mix", env: map[string]string{"ROLEHOP_SSO_ACCOUNT_ID": "222222222222"},
			file: "sso_session = \"corp\"\nsso_role_name = \"Dev\"\nsso_account_id = \"111111111111\"\n",
			want: &plan.SSO{Session: "corp", AccountID: "222222222222", RoleName: "Dev"}},
		{name: "no role", args: []string{"--sso-session", "corp", "--sso-account-id", "111111111111"},
			wantErr: "flag --sso-session: an IAM Identity Center base needs a session, an account and a role; add --sso-role-name NAME"},
		{name: "no session", env: map[string]string{"ROLEHOP_SSO_ROLE_NAME": "Admin", "ROLEHOP_SSO_ACCOUNT_ID": "111111111111"},
			wantErr: "add --sso-session NAME"},
		{name: "bad account", args: []string{"--sso-session", "corp", "--sso-account-id", "1111", "--sso-role-name", "Admin"},
			wantErr: `flag --sso-account-id: account ID "1111" is not 12 digits`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := resolveWith(t, tt.args, tt.env, tt.file)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := res.Plan.SSO
			if (got == nil) != (tt.want == nil) || got != nil &&
				(got.Session != tt.want.Session || got.AccountID != tt.want.AccountID || got.RoleName != tt.want.RoleName) {
				t.Fatalf("SSO %+v, want %+v", got, tt.want)
			}
			if got != nil && res.Plan.BaseFromSDK() {
				t.Error("an SSO base must not leave the base to the SDK")
			}
		})
	}
}
