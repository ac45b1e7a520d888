package configfile

import (
	"os"
	"strings"
	"testing"
)

const tooDeepMsg = "expression nested more than 100 levels deep (brackets, braces, parentheses, interpolations and operators); write it more simply"

// TestNestingLimit loads files whose expressions nest deeper than 100 levels: each is refused
// with one line naming the file, line and column. The largest (brackets, !, + and splats by the
// hundred thousand) exhaust the stack of hcl's recursive parser or evaluator, a fatal error in
// Go rather than a panic.
func TestNestingLimit(t *testing.T) {
	deep := func(open, inner, close string, n int) string {
		return "region = " + strings.Repeat(open, n) + inner + strings.Repeat(close, n) + "\n"
	}
	tests := []struct {
		name, src, want string
	}{
		{"brackets", deep("[", "", "]", 100000), "rolehop.hcl:1:110: " + tooDeepMsg},
		{"unclosed brackets", "region = " + strings.Repeat("[", 100000), "rolehop.hcl:1:110: " + tooDeepMsg},
		{"braces", deep("{a=", "1", "}", 1000), "rolehop.hcl:1:310: " + tooDeepMsg},
		{"parentheses", deep("(", "1", ")", 1000), "rolehop.hcl:1:110: " + tooDeepMsg},
		{"function calls", deep("lower(", `"x"`, ")", 1000), "rolehop.hcl:1:615: " + tooDeepMsg},
		{"interpolations", deep(`"${`, "1", `}"`, 1000), "rolehop.hcl:1:311: " + tooDeepMsg},
		{"template directives", "region = \"" + strings.Repeat("%{if true}", 1000) + strings.Repeat("%{endif}", 1000) + "\"\n", "rolehop.hcl:1:1011: " + tooDeepMsg},
		{"unary not", "region = " + strings.Repeat("!", 300000) + "true\n", "rolehop.hcl:1:110: " + tooDeepMsg},
		{"unary minus", "region = " + strings.Repeat("-", 1000) + "1\n", "rolehop.hcl:1:110: " + tooDeepMsg},
		{"binary operators", "region = " + strings.Repeat("1+", 500000) + "1\n", "rolehop.hcl:1:211: " + tooDeepMsg},
		{"binary operators over lines", "region = (" + strings.Repeat("1+\n", 1000) + "1)\n", "rolehop.hcl:100:2: " + tooDeepMsg},
		{"conditionals", "region = " + strings.Repeat("false?1:", 1000) + "1\n", "rolehop.hcl:1:815: " + tooDeepMsg},
		{"indexes", "region = [1]" + strings.Repeat("[0]", 1000) + "\n", "rolehop.hcl:1:310: " + tooDeepMsg},
		{"splats", "region = a" + strings.Repeat("[*]", 300000) + "\n", "rolehop.hcl:1:306: " + tooDeepMsg},
		{"in a block", "assume_role {\n  role_arn = " + strings.Repeat("[", 1000) + "\n}\n", "rolehop.hcl:2:113: " + tooDeepMsg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree(t, map[string]string{FileName: tt.src})
			c, err := Load(FileName, here(t, nil))
			if err == nil {
				// Evaluation recurses too: it must not be reached either.
				_, _, _, err = c.String("region")
				t.Errorf("Load accepted the file (evaluating it gave %.200v)", err)
				return
			}
			if err.Error() != tt.want {
				t.Errorf("Load error = %.300v\nwant %s", err, tt.want)
			}
		})
	}
}

// TestNestingWithinLimit loads files that nest up to the limit, or often but never deeply:
// they are parsed as usual.
func TestNestingWithinLimit(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"100 brackets", "region = " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n",
			"rolehop.hcl:1:10: region must be a string, not a list"},
		{"99 operators", "region = " + strings.Repeat("1+", 99) + "1\n", ""},
		{"operators on many lines", "region = " + strings.Repeat("1+", 60) + "1 # a comment\n" +
			"profile = " + strings.Repeat("1+", 60) + "1\n", ""},
		{"many elements", "region = join(\",\", [" + strings.Repeat(`"a" == "b" ? "x" : "y", `, 500) + "\"z\"])\n", ""},
		{"many object items", "region = jsonencode({\n" + strings.Repeat("  a = !!true\n", 500) + "})\n", ""},
		{"a long conditional chain", "region = " + strings.Repeat(`get_env("R", "") == "x" ? "eu-west-1" : `, 30) + "\"us-east-1\"\n", ""},
		{"nested template directives", "region = \"" + strings.Repeat("%{if true}a%{endif}", 1000) + "\"\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree(t, map[string]string{FileName: tt.src})
			c, err := Load(FileName, here(t, nil))
			if err != nil {
				t.Fatalf("Load: %.300v", err)
			}
			_, _, _, err = c.String("region")
			if got := errString(err); got != tt.want {
				t.Errorf("region: error %q, want %q", got, tt.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestSizeLimit refuses a rolehop.hcl over 1 MiB, found or named, and reads no more of it.
func TestSizeLimit(t *testing.T) {
	const want = "larger than 1 MiB; a rolehop.hcl holds a few settings, so check that this is the file you meant"
	padded := func(n int) string {
		const head = "region = \"eu-west-1\"\n"
		return head + "#" + strings.Repeat("x", n-len(head)-2) + "\n"
	}
	tree(t, map[string]string{
		"ok/" + FileName:  "root = true\n" + padded(maxFileSize-len("root = true\n")),
		"big/" + FileName: "root = true\n" + padded(maxFileSize+1-len("root = true\n")),
		"huge.hcl":        strings.Repeat("# padding\n", 5<<20/10),
	})
	if c, err := Discover("ok", here(t, nil)); err != nil {
		t.Errorf("Discover with a file of exactly 1 MiB: %v", err)
	} else if v, _, _, err := c.String("region"); v != "eu-west-1" || err != nil {
		t.Errorf("region = %q, %v", v, err)
	}
	if _, err := Discover("big", here(t, nil)); err == nil || err.Error() != "big/rolehop.hcl: "+want {
		t.Errorf("Discover error = %v, want big/rolehop.hcl: %s", err, want)
	}
	if _, err := Load("huge.hcl", here(t, nil)); err == nil || err.Error() != "huge.hcl: "+want {
		t.Errorf("Load error = %v, want huge.hcl: %s", err, want)
	}
	// A device that never ends is refused after 1 MiB, not read until memory runs out.
	if _, err := os.Stat("/dev/zero"); err == nil {
		if _, err := Load("/dev/zero", here(t, nil)); err == nil || err.Error() != "/dev/zero: "+want {
			t.Errorf("Load error = %v, want /dev/zero: %s", err, want)
		}
	}
}
