package configfile

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// tree writes files (slash-separated paths relative to a new temporary
// directory) and makes that directory the working directory, so that
// display paths are short and predictable. It returns the directory.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(root)
	return root
}

// here returns the Options of a run in the working directory the test is in, with the
// environment variables vars.
func here(t testing.TB, vars map[string]string) Options {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return Options{Dir: dir, LookupEnv: envOf(vars)}
}

func envOf(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

// loadOne writes src as the only rolehop.hcl and loads it explicitly, which
// keeps files above the temporary directory out of the test.
func loadOne(t *testing.T, src string, env map[string]string) (*Config, string) {
	t.Helper()
	root := tree(t, map[string]string{FileName: src})
	c, err := Load(FileName, here(t, env))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c, root
}

func TestString(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		env    map[string]string
		attr   string
		want   string
		wantOK bool
		line   int
		column int
	}{
		{"region", `region = "eu-west-1"`, nil, "region", "eu-west-1", true, 1, 1},
		{"profile", "# comment\n\n  profile = \"dev\"\n", nil, "profile", "dev", true, 3, 3},
		{"web identity token", `iam_web_identity_token = get_env("AN_OIDC_TOKEN")`, map[string]string{"AN_OIDC_TOKEN": "tok"}, "iam_web_identity_token", "tok", true, 1, 1},
		{"session name", `iam_assume_role_session_name = "deploy"`, nil, "iam_assume_role_session_name", "deploy", true, 1, 1},
		{"external id", `iam_assume_role_external_id = "x"`, nil, "iam_assume_role_external_id", "x", true, 1, 1},
		{"number given for a string", `iam_assume_role_external_id = 12345`, nil, "iam_assume_role_external_id", "12345", true, 1, 1},
		{"template", `region = "${lower("EU")}-west-1"`, nil, "region", "eu-west-1", true, 1, 1},
		{"duration number", `iam_assume_role_duration = 3600`, nil, "iam_assume_role_duration", "3600", true, 1, 1},
		{"duration expression", `iam_assume_role_duration = 60 * 60`, nil, "iam_assume_role_duration", "3600", true, 1, 1},
		{"duration string", `iam_assume_role_duration = "1h"`, nil, "iam_assume_role_duration", "1h", true, 1, 1},
		{"null is not set", `region = null`, nil, "region", "", false, 0, 0},
		{"absent", `profile = "dev"`, nil, "region", "", false, 0, 0},
		{"empty file", ``, nil, "region", "", false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, root := loadOne(t, tt.src, tt.env)
			got, pos, ok, err := c.String(tt.attr)
			if err != nil {
				t.Fatalf("String(%q): %v", tt.attr, err)
			}
			var wantPos Pos
			if tt.wantOK {
				wantPos = Pos{File: filepath.Join(root, FileName), Display: FileName, Line: tt.line, Column: tt.column}
			}
			if got != tt.want || ok != tt.wantOK || pos != wantPos {
				t.Errorf("String(%q) = %q, %+v, %v; want %q, %+v, %v", tt.attr, got, pos, ok, tt.want, wantPos, tt.wantOK)
			}
		})
	}
}

func TestStringRejectsOtherNames(t *testing.T) {
	c, _ := loadOne(t, "root = true\niam_role = \"arn\"\n", nil)
	for _, name := range []string{"iam_role", "root", "role_arn", "nope"} {
		_, _, ok, err := c.String(name)
		want := fmt.Sprintf("%q is not a string setting of rolehop.hcl", name)
		if ok || err == nil || err.Error() != want {
			t.Errorf("String(%q) = ok %v, error %v; want error %q", name, ok, err, want)
		}
	}
}

func TestRoles(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		want   func(p func(line, col int) Pos) []Role
		wantOK bool
	}{
		{
			name: "iam_role",
			src:  "region = \"eu-west-1\"\niam_role = \"arn:aws:iam::111111111111:role/deploy\"\n",
			want: func(p func(int, int) Pos) []Role {
				return []Role{{Pos: p(2, 1), RoleARN: Field{"arn:aws:iam::111111111111:role/deploy", p(2, 1), true}}}
			},
			wantOK: true,
		},
		{
			name: "every block attribute",
			src: `assume_role {
  role_arn            = "arn:aws:iam::222222222222:role/hub"
}
assume_role {
  role_arn            = "arn:aws:iam::111111111111:role/deploy"
  external_id         = "partner-42"
  session_name        = "deploy"
  duration            = "1h"
  source_identity     = "jane"
  tags                = { team = "platform", cost = 42 }
  transitive_tag_keys = ["team"]
  policy_arns         = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
  policy              = jsonencode({Version = "2012-10-17", Statement = []})
}
`,
			want: func(p func(int, int) Pos) []Role {
				return []Role{
					{Pos: p(1, 1), RoleARN: Field{"arn:aws:iam::222222222222:role/hub", p(2, 3), true}},
					{
						Pos:                  p(4, 1),
						RoleARN:              Field{"arn:aws:iam::111111111111:role/deploy", p(5, 3), true},
						ExternalID:           Field{"partner-42", p(6, 3), true},
						SessionName:          Field{"deploy", p(7, 3), true},
						Duration:             Field{"1h", p(8, 3), true},
						SourceIdentity:       Field{"jane", p(9, 3), true},
						Tags:                 []Tag{{"cost", "42"}, {"team", "platform"}},
						TagsPos:              p(10, 3),
						TransitiveTagKeys:    []string{"team"},
						TransitiveTagKeysPos: p(11, 3),
						PolicyARNs:           []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"},
						PolicyARNsPos:        p(12, 3),
						Policy:               Field{`{"Statement":[],"Version":"2012-10-17"}`, p(13, 3), true},
					},
				}
			},
			wantOK: true,
		},
		{
			name: "duration as a number",
			src:  "assume_role {\n  role_arn = \"a\"\n  duration = 900\n}\n",
			want: func(p func(int, int) Pos) []Role {
				return []Role{{Pos: p(1, 1), RoleARN: Field{"a", p(2, 3), true}, Duration: Field{"900", p(3, 3), true}}}
			},
			wantOK: true,
		},
		{
			name: "null and empty values",
			src:  "assume_role {\n  role_arn = \"a\"\n  external_id = null\n  tags = {}\n  policy_arns = []\n  transitive_tag_keys = null\n}\n",
			want: func(p func(int, int) Pos) []Role {
				return []Role{{Pos: p(1, 1), RoleARN: Field{"a", p(2, 3), true}, Tags: []Tag{}, TagsPos: p(4, 3), PolicyARNs: []string{}, PolicyARNsPos: p(5, 3)}}
			},
			wantOK: true,
		},
		{
			name: "sets and tuples of strings",
			src:  "assume_role {\n  role_arn = \"a\"\n  policy_arns = toset([\"b\", \"a\", \"b\"])\n  transitive_tag_keys = concat([\"x\"], [1])\n}\n",
			want: func(p func(int, int) Pos) []Role {
				return []Role{{Pos: p(1, 1), RoleARN: Field{"a", p(2, 3), true}, PolicyARNs: []string{"a", "b"}, PolicyARNsPos: p(3, 3), TransitiveTagKeys: []string{"x", "1"}, TransitiveTagKeysPos: p(4, 3)}}
			},
			wantOK: true,
		},
		{
			name:   "no chain",
			src:    `region = "eu-west-1"`,
			want:   func(func(int, int) Pos) []Role { return nil },
			wantOK: false,
		},
		{
			name:   "iam_role null",
			src:    `iam_role = null`,
			want:   func(func(int, int) Pos) []Role { return nil },
			wantOK: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, root := loadOne(t, tt.src, nil)
			p := func(line, col int) Pos {
				return Pos{File: filepath.Join(root, FileName), Display: FileName, Line: line, Column: col}
			}
			got, ok, err := c.Roles()
			if err != nil {
				t.Fatalf("Roles: %v", err)
			}
			if want := tt.want(p); ok != tt.wantOK || !reflect.DeepEqual(got, want) {
				t.Errorf("Roles() = %+v, %v\nwant %+v, %v", got, ok, want, tt.wantOK)
			}
		})
	}
}

func TestDiscoverMergesNearestFirst(t *testing.T) {
	root := tree(t, map[string]string{
		"rolehop.hcl": `root = true
region = "eu-west-1"
profile = "base"
iam_role = "arn:aws:iam::111111111111:role/base"
iam_assume_role_duration = 3600
`,
		"a/rolehop.hcl":   "profile = \"account\"\niam_assume_role_duration = 900\n",
		"a/b/rolehop.hcl": "# leaf\niam_assume_role_session_name = \"leaf\"\niam_assume_role_duration = \"2h\"\n",
		"a/b/c/README":    "no config here",
	})
	c, err := Discover("a/b/c", here(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{
		filepath.Join(root, "a/b/rolehop.hcl"),
		filepath.Join(root, "a/rolehop.hcl"),
		filepath.Join(root, "rolehop.hcl"),
	}
	if got := c.Files(); !reflect.DeepEqual(got, wantFiles) {
		t.Errorf("Files() = %q, want %q", got, wantFiles)
	}
	tests := []struct {
		attr, want, wantPos string
	}{
		{"region", "eu-west-1", "rolehop.hcl:2"},
		{"profile", "account", "a/rolehop.hcl:1"},
		{"iam_assume_role_duration", "2h", "a/b/rolehop.hcl:3"},
		{"iam_assume_role_session_name", "leaf", "a/b/rolehop.hcl:2"},
	}
	for _, tt := range tests {
		got, pos, ok, err := c.String(tt.attr)
		if err != nil || !ok || got != tt.want || pos.String() != tt.wantPos {
			t.Errorf("String(%q) = %q, %v, %v, %v; want %q at %s", tt.attr, got, pos, ok, err, tt.want, tt.wantPos)
		}
	}
	if _, _, ok, err := c.String("iam_assume_role_external_id"); ok || err != nil {
		t.Errorf("String(external id) = ok %v, error %v; want not set", ok, err)
	}
	roles, ok, err := c.Roles()
	if err != nil || !ok || len(roles) != 1 || roles[0].RoleARN.Value != "arn:aws:iam::111111111111:role/base" || roles[0].Pos.String() != "rolehop.hcl:4" {
		t.Errorf("Roles() = %+v, %v, %v; want the base role from rolehop.hcl:4", roles, ok, err)
	}
}

func TestDiscoverRoot(t *testing.T) {
	tests := []struct {
		name       string
		innerRoot  string
		wantFiles  []string
		wantRegion string
	}{
		{"root true stops the search", "root = true", []string{"inner/x/rolehop.hcl", "inner/rolehop.hcl"}, ""},
		{"root false does not", "root = false", []string{"inner/x/rolehop.hcl", "inner/rolehop.hcl", "rolehop.hcl"}, "outer"},
		{"root null does not", "root = null", []string{"inner/x/rolehop.hcl", "inner/rolehop.hcl", "rolehop.hcl"}, "outer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := tree(t, map[string]string{
				"rolehop.hcl":         "root = true\nregion = \"outer\"\nprofile = \"outer\"\n",
				"inner/rolehop.hcl":   tt.innerRoot + "\nprofile = \"inner\"\n",
				"inner/x/rolehop.hcl": "iam_role = \"arn:aws:iam::111111111111:role/x\"\n",
			})
			c, err := Discover(filepath.Join(root, "inner", "x"), here(t, nil))
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, f := range tt.wantFiles {
				want = append(want, filepath.Join(root, f))
			}
			if got := c.Files(); !reflect.DeepEqual(got, want) {
				t.Errorf("Files() = %q, want %q", got, want)
			}
			region, _, _, err := c.String("region")
			if err != nil || region != tt.wantRegion {
				t.Errorf("String(region) = %q, %v; want %q", region, err, tt.wantRegion)
			}
			profile, _, _, err := c.String("profile")
			if err != nil || profile != "inner" {
				t.Errorf("String(profile) = %q, %v; want inner", profile, err)
			}
		})
	}
}

func TestChainNearestSpellingWins(t *testing.T) {
	const blocks = "assume_role {\n  role_arn = \"hub\"\n}\nassume_role {\n  role_arn = \"leaf\"\n}\n"
	tests := []struct {
		name, parent, child string
		wantARNs            []string
		wantPos             string
	}{
		{"child blocks over parent iam_role", `iam_role = "parent"`, blocks, []string{"hub", "leaf"}, "child/rolehop.hcl:1"},
		{"child iam_role over parent blocks", blocks, `iam_role = "child"`, []string{"child"}, "child/rolehop.hcl:1"},
		{"null iam_role falls through", blocks, `iam_role = get_env("UNSET", null)`, []string{"hub", "leaf"}, "rolehop.hcl:2"},
		{"child sets no chain", `iam_role = "parent"`, `region = "eu-west-1"`, []string{"parent"}, "rolehop.hcl:2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree(t, map[string]string{
				"rolehop.hcl":       "root = true\n" + tt.parent,
				"child/rolehop.hcl": tt.child,
			})
			c, err := Discover("child", here(t, nil))
			if err != nil {
				t.Fatal(err)
			}
			roles, ok, err := c.Roles()
			if err != nil || !ok {
				t.Fatalf("Roles() = ok %v, error %v", ok, err)
			}
			var arns []string
			for _, r := range roles {
				arns = append(arns, r.RoleARN.Value)
			}
			if !reflect.DeepEqual(arns, tt.wantARNs) || roles[0].Pos.String() != tt.wantPos {
				t.Errorf("Roles() = %q from %s, want %q from %s", arns, roles[0].Pos, tt.wantARNs, tt.wantPos)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	str := func(name string) func(*Config) error {
		return func(c *Config) error {
			_, _, _, err := c.String(name)
			return err
		}
	}
	roles := func(c *Config) error {
		_, _, err := c.Roles()
		return err
	}
	tests := []struct {
		name string
		src  string
		// eval is nil for errors that Load must report.
		eval func(*Config) error
		want string
	}{
		{"unknown attribute", "root = true\nregion = \"x\"\niam_rol = \"arn\"\n", nil,
			`rolehop.hcl:3:1: unsupported argument "iam_rol"; did you mean "iam_role"?`},
		{"unknown attribute without suggestion", `colour = "red"`, nil,
			`rolehop.hcl:1:1: unsupported argument "colour"`},
		{"unknown block", "assumerole {\n}\n", nil,
			`rolehop.hcl:1:1: unsupported block type "assumerole"; did you mean "assume_role"?`},
		{"unknown block without suggestion", "provider \"aws\" {\n}\n", nil,
			`rolehop.hcl:1:1: unsupported block type "provider"`},
		{"block written as attribute", `assume_role = { role_arn = "a" }`, nil,
			`rolehop.hcl:1:1: unsupported argument "assume_role"; assume_role is a block: write assume_role { role_arn = "arn:aws:iam::<account>:role/<name>" }`},
		{"attribute written as block", "region {\n}\n", nil,
			`rolehop.hcl:1:1: unsupported block type "region"; region is an argument: write region = ...`},
		{"block label", "assume_role \"hub\" {\n  role_arn = \"a\"\n}\n", nil,
			`rolehop.hcl:1:13: assume_role blocks take no labels; write assume_role { role_arn = "arn:aws:iam::<account>:role/<name>" }`},
		{"unknown attribute in block", "assume_role {\n  role_ar = \"a\"\n}\n", nil,
			`rolehop.hcl:2:3: unsupported argument "role_ar" in assume_role block; did you mean "role_arn"?`},
		{"attribute written as block in block", "assume_role {\n  role_arn = \"a\"\n  tags {\n  }\n}\n", nil,
			`rolehop.hcl:3:3: unsupported block type "tags" in assume_role block; tags is an argument: write tags = ...`},
		{"nested assume_role", "assume_role {\n  role_arn = \"a\"\n  assume_role {\n    role_arn = \"b\"\n  }\n}\n", nil,
			`rolehop.hcl:3:3: unsupported block type "assume_role" in assume_role block; assume_role blocks cannot be nested, write them one after another`},
		{"missing role_arn", "assume_role {\n  external_id = \"x\"\n}\n", nil,
			`rolehop.hcl:3:1: assume_role block without role_arn; add role_arn = "arn:aws:iam::<account>:role/<name>"`},
		{"both chain spellings", "iam_role = \"a\"\nassume_role {\n  role_arn = \"b\"\n}\n", nil,
			`rolehop.hcl:1:1: iam_role and assume_role blocks (line 2) both set the role chain; use either iam_role or assume_role blocks, not both`},
		{"duplicate attribute", "region = \"a\"\nregion = \"b\"\n", nil,
			`rolehop.hcl:2:1: attribute redefined; the argument "region" was already set at rolehop.hcl:1,1-7. Each argument may be set only once`},
		{"duplicate attribute in block", "assume_role {\n  role_arn = \"a\"\n  role_arn = \"b\"\n}\n", nil,
			`rolehop.hcl:3:3: attribute redefined; the argument "role_arn" was already set at rolehop.hcl:2,3-11. Each argument may be set only once`},
		{"missing value", "region = \n", nil,
			`rolehop.hcl:1:10: invalid expression; expected the start of an expression, but found an invalid expression token`},
		{"missing equals", "region \"eu\"\n", nil,
			`rolehop.hcl:1:12: invalid block definition; a block definition must have block content delimited by "{" and "}", starting on the same line as the block header`},
		{"unclosed block", "assume_role {\n  role_arn = \"a\"\n", nil,
			`rolehop.hcl:1:13: unclosed configuration block; there is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file`},
		{"two arguments on a line", `region = "a" profile = "b"`, nil,
			`rolehop.hcl:1:14: missing newline after argument; an argument definition must end with a newline`},
		{"multi-line quoted string", "region = \"a\nb\"\n", nil,
			`rolehop.hcl:1:12: invalid multi-line string; quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \n escape to represent a newline character or use the "heredoc" multi-line template syntax`},
		{"string given a bool", `region = true`, str("region"),
			`rolehop.hcl:1:10: region must be a string, not a bool`},
		{"string given a list", `profile = ["a"]`, str("profile"),
			`rolehop.hcl:1:11: profile must be a string, not a list`},
		{"string given a map", `iam_web_identity_token = { a = "b" }`, str("iam_web_identity_token"),
			`rolehop.hcl:1:26: iam_web_identity_token must be a string, not a map`},
		{"iam_role given a bool", `iam_role = false`, roles,
			`rolehop.hcl:1:12: iam_role must be a string, not a bool`},
		{"fractional duration", `iam_assume_role_duration = 1.5`, str("iam_assume_role_duration"),
			`rolehop.hcl:1:28: iam_assume_role_duration must be a whole number of seconds`},
		{"huge duration", `iam_assume_role_duration = 1e30`, str("iam_assume_role_duration"),
			`rolehop.hcl:1:28: iam_assume_role_duration is too large`},
		{"duration given a bool", `iam_assume_role_duration = true`, str("iam_assume_role_duration"),
			`rolehop.hcl:1:28: iam_assume_role_duration must be a number of seconds or a string like "1h", not a bool`},
		{"block duration given a list", "assume_role {\n  role_arn = \"a\"\n  duration = [1]\n}\n", roles,
			`rolehop.hcl:3:14: duration must be a number of seconds or a string like "1h", not a list`},
		{"tags given a list", "assume_role {\n  role_arn = \"a\"\n  tags = [\"a\"]\n}\n", roles,
			`rolehop.hcl:3:10: tags must be a map of strings, not a list`},
		{"tag value a bool", "assume_role {\n  role_arn = \"a\"\n  tags = { a = true }\n}\n", roles,
			`rolehop.hcl:3:10: tags must be a map of strings, but a value is a bool`},
		{"policy_arns given a string", "assume_role {\n  role_arn = \"a\"\n  policy_arns = \"arn\"\n}\n", roles,
			`rolehop.hcl:3:17: policy_arns must be a list of strings, not a string`},
		{"null in transitive_tag_keys", "assume_role {\n  role_arn = \"a\"\n  transitive_tag_keys = [\"a\", null]\n}\n", roles,
			`rolehop.hcl:3:25: transitive_tag_keys must be a list of strings, but element 1 is null`},
		{"null role_arn", "assume_role {\n  role_arn = null\n}\n", roles,
			`rolehop.hcl:2:14: role_arn must not be null`},
		{"root not a bool", "root = \"yes\"\n", func(c *Config) error {
			_, err := c.isRoot(c.files[0])
			return err
		}, `rolehop.hcl:1:8: root must be true or false, not a string`},
		{"unknown function", `region = lowr("EU")`, str("region"),
			`rolehop.hcl:1:10: unknown function "lowr"; did you mean "lower"?`},
		{"unknown function without suggestion", `region = terraform_output("x")`, str("region"),
			`rolehop.hcl:1:10: unknown function "terraform_output"`},
		{"variable", `region = eu_west_1`, str("region"),
			`rolehop.hcl:1:10: variables not allowed; variables may not be used here`},
		{"get_env unset", `iam_web_identity_token = get_env("AN_OIDC_TOKEN")`, str("iam_web_identity_token"),
			`rolehop.hcl:1:26: get_env: environment variable "AN_OIDC_TOKEN" is not set; give a default as a second argument: get_env("AN_OIDC_TOKEN", "default")`},
		{"get_env with three arguments", `region = get_env("A", "b", "c")`, str("region"),
			`rolehop.hcl:1:10: get_env: takes a name and an optional default, not 3 arguments`},
		{"function argument of the wrong type", `region = upper(["a"])`, str("region"),
			`rolehop.hcl:1:16: invalid function argument; invalid value for "str" parameter: string required, but have tuple`},
		{"file missing", `region = file("missing.txt")`, str("region"),
			`rolehop.hcl:1:10: file: read missing.txt: no such file or directory`},
		{"file too large", `region = file("/dev/zero")`, str("region"),
			`rolehop.hcl:1:10: file: read /dev/zero: larger than 1048576 bytes`},
		{"unquoted ARN", "iam_role = arn:aws:iam::111111111111:role/deploy # prod\n", nil,
			`rolehop.hcl:1:15: missing newline after argument; an argument definition must end with a newline; a string value is written in double quotes: iam_role = "arn:aws:iam::111111111111:role/deploy"`},
		{"unquoted ARN in a block", "assume_role {\n  mfa_serial = arn:aws:iam::1:mfa/jane\r\n}\n", nil,
			`rolehop.hcl:2:19: missing newline after argument; an argument definition must end with a newline; a string value is written in double quotes: mfa_serial = "arn:aws:iam::1:mfa/jane"`},
		{"top-level role_arn", "role_arn = \"a\"\n", nil,
			`rolehop.hcl:1:1: unsupported argument "role_arn"; at the top level the role is iam_role = "ARN", or role_arn goes in an assume_role { role_arn = "ARN" } block`},
		{"top-level duration_seconds", "duration_seconds = 3600\n", nil,
			`rolehop.hcl:1:1: unsupported argument "duration_seconds"; at the top level it is iam_assume_role_duration (duration in an assume_role block)`},
		{"top-level external_id", "external_id = \"x\"\n", nil,
			`rolehop.hcl:1:1: unsupported argument "external_id"; at the top level it is iam_assume_role_external_id (external_id in an assume_role block)`},
		{"duration_seconds in a block", "assume_role {\n  role_arn = \"a\"\n  duration_seconds = 3600\n}\n", nil,
			`rolehop.hcl:3:3: unsupported argument "duration_seconds" in assume_role block; an assume_role block names it duration, as the Terraform provider does: duration = "1h" or 3600`},
		{"role_session_name in a block", "assume_role {\n  role_arn = \"a\"\n  role_session_name = \"x\"\n}\n", nil,
			`rolehop.hcl:3:3: unsupported argument "role_session_name" in assume_role block; an assume_role block names it session_name, as the Terraform provider does`},
		{"program under ~", `mfa_token_cmd = "~/bin/code --secret s3cr3t"`, str("mfa_token_cmd"),
			`rolehop.hcl:1:17: mfa_token_cmd: the program ~/bin/code starts with ~, which is not expanded: no shell runs the command; write the path out, or "${get_env("HOME")}/bin/code"`},
		{"program under another user's ~", `auth_provider_cmd = "~jane/bin/keys"`, str("auth_provider_cmd"),
			`rolehop.hcl:1:21: auth_provider_cmd: the program ~jane/bin/keys starts with ~, which is not expanded: no shell runs the command; write the path out`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree(t, map[string]string{FileName: tt.src})
			c, err := Load(FileName, here(t, nil))
			if tt.eval == nil {
				if err == nil || err.Error() != tt.want {
					t.Fatalf("Load() error = %v\nwant %s", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if err := tt.eval(c); err == nil || err.Error() != tt.want {
				t.Errorf("error = %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestDisplayPaths(t *testing.T) {
	root := tree(t, map[string]string{
		"x/rolehop.hcl": "root = true\nregion = \"eu-west-1\"\nprofile = true\n",
		"y/README":      "",
	})
	// Deep enough that the relative path is longer than the absolute one.
	deep := filepath.Join(root, strings.Repeat("d/", len(root)))
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(root, "x", FileName)
	tests := []struct {
		cwd, want string
	}{
		{root, "x/rolehop.hcl"},
		{filepath.Join(root, "x"), "rolehop.hcl"},
		{filepath.Join(root, "y"), "../x/rolehop.hcl"},
		{deep, abs},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Chdir(tt.cwd)
			c, err := Discover(filepath.Join(root, "x"), here(t, nil))
			if err != nil {
				t.Fatal(err)
			}
			_, pos, _, err := c.String("region")
			if err != nil || pos.String() != tt.want+":2" || pos.File != abs || pos.Dir() != filepath.Dir(abs) {
				t.Errorf("String(region) pos = %+v, %v; want %s:2", pos, err, tt.want)
			}
			_, _, _, err = c.String("profile")
			if want := tt.want + ":3:11: profile must be a string, not a bool"; err == nil || err.Error() != want {
				t.Errorf("String(profile) error = %v, want %s", err, want)
			}
		})
	}
}

// TestOptionsNotProcess checks that the working directory and the environment are the ones
// the caller gives, not the process's: the process may be anywhere, and a test or a library
// caller may read files for another directory.
func TestOptionsNotProcess(t *testing.T) {
	root := tree(t, map[string]string{
		"sub/custom.hcl":  "profile = \"custom\"\nregion = get_env(\"ROLEHOP_TEST_REGION\", \"eu-west-1\")\n",
		"sub/rolehop.hcl": "root = true\nprofile = \"sub\"\n",
	})
	t.Chdir(t.TempDir())
	t.Setenv("ROLEHOP_TEST_REGION", "us-east-1")
	o := Options{Dir: root}

	c, err := Load("sub/custom.hcl", o)
	if err != nil {
		t.Fatal(err)
	}
	if got, pos, ok, err := c.String("profile"); err != nil || !ok || got != "custom" || pos.String() != "sub/custom.hcl:1" || pos.File != filepath.Join(root, "sub", "custom.hcl") {
		t.Errorf("Load: String(profile) = %q, %+v, %v, %v; want custom from sub/custom.hcl:1", got, pos, ok, err)
	}
	if got, _, _, err := c.String("region"); err != nil || got != "eu-west-1" {
		t.Errorf("get_env read the process environment: region = %q, %v; want the default eu-west-1", got, err)
	}
	if c, err := Discover("sub", o); err != nil || !reflect.DeepEqual(c.Files(), []string{filepath.Join(root, "sub", FileName)}) {
		t.Errorf("Discover(sub) = %v; want %s", err, filepath.Join(root, "sub", FileName))
	}
	if _, err := Load("nope.hcl", o); err == nil || err.Error() != "nope.hcl: no such file or directory" {
		t.Errorf("Load(nope.hcl) error = %v, want the path relative to Options.Dir", err)
	}
	if _, err := Load("sub/custom.hcl", Options{}); err == nil || err.Error() != "load sub/custom.hcl: sub/custom.hcl is a relative path, and the working directory is not known" {
		t.Errorf("Load without a working directory: error = %v", err)
	}
}

func TestParentFileErrorShowsItsPath(t *testing.T) {
	root := tree(t, map[string]string{
		"rolehop.hcl":          "root = true\nregion = \"eu-west-1\"\n",
		"acct/rolehop.hcl":     "regoin = \"eu-west-2\"\n",
		"acct/sub/rolehop.hcl": "profile = \"dev\"\n",
	})
	t.Chdir(filepath.Join(root, "acct", "sub"))
	_, err := Discover(".", here(t, nil))
	if want := `../rolehop.hcl:1:1: unsupported argument "regoin"; did you mean "region"?`; err == nil || err.Error() != want {
		t.Errorf("Discover() error = %v, want %s", err, want)
	}
}

func TestFileIsRelativeToItsConfigFile(t *testing.T) {
	root := tree(t, map[string]string{
		"rolehop.hcl":      "root = true\nprofile = trimspace(file(\"profile.txt\"))\n",
		"profile.txt":      "base\n",
		"acct/rolehop.hcl": "iam_web_identity_token = trimspace(file(\"token.txt\"))\nregion = file(\"../region.txt\")\n",
		"acct/token.txt":   "tok\n",
		"acct/profile.txt": "wrong directory",
		"region.txt":       "eu-west-1",
		"elsewhere/README": "",
	})
	t.Chdir(filepath.Join(root, "elsewhere"))
	c, err := Discover(filepath.Join(root, "acct"), here(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		attr, want, wantDir string
	}{
		{"iam_web_identity_token", "tok", filepath.Join(root, "acct")},
		{"region", "eu-west-1", filepath.Join(root, "acct")},
		{"profile", "base", root},
	}
	for _, tt := range tests {
		got, pos, ok, err := c.String(tt.attr)
		if err != nil || !ok || got != tt.want || pos.Dir() != tt.wantDir {
			t.Errorf("String(%q) = %q, %v, %v, %v; want %q from %s", tt.attr, got, pos, ok, err, tt.want, tt.wantDir)
		}
	}
}

func TestEvaluationIsLazy(t *testing.T) {
	tree(t, map[string]string{
		"rolehop.hcl": `root = true
region = file("missing")
iam_role = file("missing")
profile = get_env("UNSET")
`,
		"acct/rolehop.hcl": "region = \"eu-west-1\"\nassume_role {\n  role_arn = \"arn\"\n}\n",
	})
	c, err := Discover("acct", here(t, nil))
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if got, _, _, err := c.String("region"); err != nil || got != "eu-west-1" {
		t.Errorf("String(region) = %q, %v; want eu-west-1", got, err)
	}
	if roles, _, err := c.Roles(); err != nil || len(roles) != 1 || roles[0].RoleARN.Value != "arn" {
		t.Errorf("Roles() = %+v, %v; want the child's role", roles, err)
	}
	// The parent was read: asking for its own value evaluates it.
	want := `rolehop.hcl:4:11: get_env: environment variable "UNSET" is not set; give a default as a second argument: get_env("UNSET", "default")`
	if _, _, _, err := c.String("profile"); err == nil || err.Error() != want {
		t.Errorf("String(profile) error = %v, want %s", err, want)
	}
}

func TestLoad(t *testing.T) {
	root := tree(t, map[string]string{
		"rolehop.hcl":     "root = true\nregion = \"parent\"\n",
		"sub/rolehop.hcl": "iam_role = \"sub\"\n",
		"sub/custom.hcl":  "profile = \"custom\"\n",
	})
	c, err := Load("sub/custom.hcl", here(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Files(), []string{filepath.Join(root, "sub", "custom.hcl")}; !reflect.DeepEqual(got, want) {
		t.Errorf("Files() = %q, want %q", got, want)
	}
	if got, pos, ok, err := c.String("profile"); err != nil || !ok || got != "custom" || pos.String() != "sub/custom.hcl:1" {
		t.Errorf("String(profile) = %q, %v, %v, %v; want custom from sub/custom.hcl:1", got, pos, ok, err)
	}
	if got, _, ok, err := c.String("region"); err != nil || ok {
		t.Errorf("String(region) = %q, %v, %v; want not set", got, ok, err)
	}
	if roles, ok, err := c.Roles(); err != nil || ok {
		t.Errorf("Roles() = %+v, %v, %v; want none", roles, ok, err)
	}
}

func TestLoadErrors(t *testing.T) {
	tree(t, map[string]string{"sub/README": ""})
	tests := []struct {
		path, want string
	}{
		{"sub/nope.hcl", "sub/nope.hcl: no such file or directory"},
		{"sub", "sub: is a directory"},
	}
	for _, tt := range tests {
		if _, err := Load(tt.path, here(t, nil)); err == nil || err.Error() != tt.want {
			t.Errorf("Load(%q) error = %v, want %s", tt.path, err, tt.want)
		}
	}
}

func TestGetEnv(t *testing.T) {
	tests := []struct {
		name   string
		expr   string
		env    map[string]string
		want   string
		wantOK bool
	}{
		{"set", `get_env("R")`, map[string]string{"R": "eu-west-1"}, "eu-west-1", true},
		{"set overrides default", `get_env("R", "us-east-1")`, map[string]string{"R": "eu-west-1"}, "eu-west-1", true},
		{"unset uses default", `get_env("R", "us-east-1")`, nil, "us-east-1", true},
		{"set to empty", `get_env("R", "us-east-1")`, map[string]string{"R": ""}, "", true},
		{"null default is not set", `get_env("R", null)`, nil, "", false},
		{"number default", `get_env("R", 5)`, nil, "5", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := loadOne(t, "region = "+tt.expr, tt.env)
			got, _, ok, err := c.String("region")
			if err != nil || got != tt.want || ok != tt.wantOK {
				t.Errorf("region = %q, %v, %v; want %q, %v", got, ok, err, tt.want, tt.wantOK)
			}
		})
	}
}

func TestFunctions(t *testing.T) {
	tests := []struct {
		expr, want string
	}{
		{`upper("a")`, "A"},
		{`lower("A")`, "a"},
		{`trimspace(" a ")`, "a"},
		{`trim("xax", "x")`, "a"},
		{`trimprefix("xa", "x")`, "a"},
		{`trimsuffix("ax", "x")`, "a"},
		{`chomp("a\n")`, "a"},
		{`title("a b")`, "A B"},
		{`format("%s-%03d", "a", 7)`, "a-007"},
		{`join(",", formatlist("<%s>", ["a", "b"]))`, "<a>,<b>"},
		{`join("-", split(",", "a,b"))`, "a-b"},
		{`replace("a-b", "-", "_")`, "a_b"},
		{`regex("[0-9]+", "ab12")`, "12"},
		{`join(",", regexall("[0-9]", "1a2"))`, "1,2"},
		{`substr("abcdef", 1, 3)`, "bcd"},
		{`strlen("abc")`, "3"},
		{`length("abc")`, "3"},
		{`length([1, 2])`, "2"},
		{`jsonencode({b = 1, a = [true]})`, `{"a":[true],"b":1}`},
		{`jsondecode("{\"a\": \"b\"}").a`, "b"},
		{`join(",", concat(["a"], ["b"]))`, "a,b"},
		{`coalesce(null, "a")`, "a"},
		{`tostring(contains(["a"], "a"))`, "true"},
		{`join(",", distinct(["a", "a", "b"]))`, "a,b"},
		{`element(["a", "b"], 3)`, "b"},
		{`join(",", flatten([["a"], ["b"]]))`, "a,b"},
		{`join(",", keys({b = 1, a = 2}))`, "a,b"},
		{`join(",", values({b = 1, a = 2}))`, "2,1"},
		{`lookup({a = "x"}, "b", "y")`, "y"},
		{`jsonencode(merge({a = 1}, {b = 2}))`, `{"a":1,"b":2}`},
		{`join(",", reverse(["a", "b"]))`, "b,a"},
		{`join(",", slice(["a", "b", "c"], 1, 2))`, "b"},
		{`join(",", sort(["b", "a"]))`, "a,b"},
		{`min(3, 1, 2)`, "1"},
		{`max(3, 1, 2)`, "3"},
		{`abs(-2)`, "2"},
		{`ceil(1.2)`, "2"},
		{`floor(1.8)`, "1"},
		{`csvdecode("a,b\n1,2\n")[0].b`, "2"},
		{`formatdate("YYYY-MM-DD", "2024-03-01T10:00:00Z")`, "2024-03-01"},
		{`timeadd("2024-03-01T10:00:00Z", "1h")`, "2024-03-01T11:00:00Z"},
		{`zipmap(["a"], ["b"]).a`, "b"},
		{`join(",", range(3))`, "0,1,2"},
		{`tostring(1)`, "1"},
		{`tonumber("2")`, "2"},
		{`tostring(tobool("true"))`, "true"},
		{`tolist(["a"])[0]`, "a"},
		{`tomap({a = "b"}).a`, "b"},
		{`join(",", toset(["b", "a", "b"]))`, "a,b"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			c, _ := loadOne(t, "region = "+tt.expr+"\n", nil)
			got, _, _, err := c.String("region")
			if err != nil || got != tt.want {
				t.Errorf("%s = %q, %v; want %q", tt.expr, got, err, tt.want)
			}
		})
	}
}

func TestErrorsHideSecrets(t *testing.T) {
	const secret = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0.c2lnbmF0dXJl"
	tests := []string{
		`[get_env("TOKEN")]`,
		`tonumber(get_env("TOKEN"))`,
		`tonumber(file("token.txt"))`,
		`tonumber(trimspace(file("token.txt")))`,
		`timeadd(get_env("TOKEN"), "1h")`,
		`jsondecode(get_env("TOKEN"))`,
		`{ a = get_env("TOKEN") }`,
	}
	for _, expr := range tests {
		t.Run(expr, func(t *testing.T) {
			tree(t, map[string]string{
				FileName:    "iam_web_identity_token = " + expr + "\n",
				"token.txt": secret + "\n",
			})
			c, err := Load(FileName, here(t, map[string]string{"TOKEN": secret}))
			if err != nil {
				t.Fatal(err)
			}
			_, _, _, err = c.String("iam_web_identity_token")
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "c2VjcmV0") {
				t.Errorf("error shows the token: %v", err)
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	c, _ := loadOne(t, "region = upper(\"eu\")\nassume_role {\n  role_arn = \"a\"\n  tags = { b = \"1\" }\n}\n", nil)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 8 {
		wg.Go(func() {
			if got, _, _, err := c.String("region"); err != nil || got != "EU" {
				errs <- fmt.Errorf("String(region) = %q, %v", got, err)
			}
			if roles, _, err := c.Roles(); err != nil || len(roles) != 1 || len(roles[0].Tags) != 1 {
				errs <- fmt.Errorf("Roles() = %+v, %v", roles, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestPosZero(t *testing.T) {
	if got := (Pos{}).String(); got != "" {
		t.Errorf("Pos{}.String() = %q, want empty", got)
	}
}

// TestSum shows that each file read carries the SHA-256 of the very bytes parsed, for the trust
// check.
func TestSum(t *testing.T) {
	const near, far = `region = "eu-west-1"`, `root = true`
	root := tree(t, map[string]string{"a/" + FileName: near, FileName: far})
	c, err := Discover(filepath.Join(root, "a"), here(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	for path, content := range map[string]string{filepath.Join(root, "a", FileName): near, filepath.Join(root, FileName): far} {
		if got, ok := c.Sum(path); !ok || got != sha256.Sum256([]byte(content)) {
			t.Errorf("Sum(%s) = %x, %v; want the SHA-256 of %q", path, got, ok, content)
		}
	}
	if _, ok := c.Sum(filepath.Join(root, "b", FileName)); ok {
		t.Error("Sum of a file not read: ok")
	}
}

func TestNearest(t *testing.T) {
	root := tree(t, map[string]string{"a/" + FileName: "", "a/b/c/.keep": "", "x/.keep": ""})
	tests := []struct {
		dir, want string
		ok        bool
	}{
		{"a", filepath.Join(root, "a", FileName), true},
		{"a/b/c", filepath.Join(root, "a", FileName), true},
		{"x", "", false},
	}
	for _, tt := range tests {
		got, ok, err := Nearest(filepath.Join(root, tt.dir))
		// Files above the temporary directory are not the test's; only a find inside it counts.
		if !tt.ok && ok && !strings.HasPrefix(got, root) {
			ok, got = false, ""
		}
		if err != nil || ok != tt.ok || got != tt.want {
			t.Errorf("Nearest(%s) = %q, %v, %v; want %q, %v", tt.dir, got, ok, err, tt.want, tt.ok)
		}
	}
}
