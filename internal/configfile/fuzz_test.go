package configfile

import (
	"os"
	"strings"
	"testing"
)

// FuzzLoad loads arbitrary text as rolehop.hcl and evaluates everything in
// it: nothing may panic, and every error must be one line that starts with
// the file name.
func FuzzLoad(f *testing.F) {
	seeds := []string{
		"",
		"root = true\n",
		`iam_role = "arn:aws:iam::111111111111:role/deploy"`,
		`iam_web_identity_token = get_env("AN_OIDC_TOKEN")`,
		`iam_web_identity_token = get_env("UNSET")`,
		"iam_assume_role_session_name = \"deploy\"\niam_assume_role_duration = 3600\n",
		`iam_assume_role_duration = "1h"`,
		`iam_assume_role_duration = 1.5`,
		`iam_assume_role_duration = 1e400`,
		`iam_assume_role_external_id = ["x"]`,
		"region = \"eu-west-1\"\nprofile = \"dev\"\n",
		`region = file("token.txt")`,
		`region = file("missing")`,
		`region = lowr("EU")`,
		`region = var.region`,
		`region = 1/0`,
		`region = "${`,
		"region = <<EOT\nmulti\nline\nEOT\n",
		"assume_role {\n  role_arn = \"arn:aws:iam::222222222222:role/hub\"\n}\n" +
			"assume_role {\n  role_arn = \"a\"\n  external_id = \"partner-42\"\n  session_name = \"deploy\"\n  duration = \"1h\"\n" +
			"  source_identity = \"jane\"\n  tags = { team = \"platform\" }\n  transitive_tag_keys = [\"team\"]\n" +
			"  policy_arns = [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]\n  policy = jsonencode({Version = \"2012-10-17\", Statement = []})\n}\n",
		"assume_role {\n  tags = { a = [1] }\n  role_arn = null\n}\n",
		"assume_role \"x\" {\n  role_ar = 1\n  nested {\n  }\n}\n",
		"iam_role = \"a\"\nassume_role {\n  role_arn = \"b\"\n}\n",
		"region = \"a\"\nregion = \"b\"\n",
		"iam_rol = 1\nassume {\n}\n",
		"region {\n",
		"\xff\xfe = 1",
		"region = \"\\u0000\"\n",
		`region = jsondecode("{\"a\":")`,
		`region = format("%d", "x")`,
		"region = " + strings.Repeat("[", 101),
		"region = " + strings.Repeat("!", 101) + "true",
		"region = \"" + strings.Repeat("%{if true}", 101) + "\"",
		"region = (" + strings.Repeat("1+\n", 99) + "1)",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		dir := t.TempDir()
		if err := os.WriteFile(dir+"/"+FileName, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dir+"/token.txt", []byte("tok\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Chdir(dir)
		check := func(what string, err error) {
			t.Helper()
			if err == nil {
				return
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") || !strings.HasPrefix(msg, FileName+":") {
				t.Fatalf("%s: error is not one line starting with %s: %q", what, FileName, msg)
			}
		}
		c, err := Load(FileName, here(t, map[string]string{"AN_OIDC_TOKEN": "tok"}))
		check("Load", err)
		if err != nil {
			return
		}
		_, err = c.isRoot(c.files[0])
		check("root", err)
		for _, s := range topLevelAttrs() {
			if s.kind == kindString || s.kind == kindDuration {
				_, _, _, err := c.String(s.name)
				check(s.name, err)
			}
		}
		_, _, err = c.Roles()
		check("Roles", err)
	})
}
