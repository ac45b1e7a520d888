package cli

import (
	"strings"
	"testing"

	"github.com/rolehop/rolehop/internal/sso"
)

func TestSSOProfiles(t *testing.T) {
	var out strings.Builder
	err := writeSSOProfiles(&out, "corp", []sso.Account{
		{ID: "111111111111", Name: "Team A (dev)", Roles: []string{"AdministratorAccess"}},
		{ID: "222222222222", Name: "shared", Roles: []string{"ReadOnly"}},
		{ID: "333333333333", Name: "Shared", Roles: []string{"ReadOnly"}},
		{ID: "444444444444", Roles: []string{"Admin"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"[profile team-a--dev--administratoraccess]\nsso_session    = corp\nsso_account_id = 111111111111\nsso_role_name  = AdministratorAccess\n",
		"[profile shared-222222222222-readonly]\n",
		"[profile shared-333333333333-readonly]\n",
		"[profile 444444444444-admin]\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("profiles lack %q:\n%s", want, out.String())
		}
	}
}
