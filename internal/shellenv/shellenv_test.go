package shellenv

import (
	"bytes"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// hostileValues are values that would run code, expand something or end the
// quoting early if any format quoted them carelessly. The round-trip tests
// look for the PWNED* files that some of them would create.
func hostileValues() []string {
	return []string{
		"",
		"plain",
		// These come before any value that would unbalance careless quoting,
		// so that a shell would reach them before a syntax error.
		"$(touch PWNED_SUBST)",
		"`touch PWNED_BACKTICK`",
		"AKIAIOSFODNN7EXAMPLE",
		"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY+/=",
		"'",
		"''",
		`"`,
		`"'"'`,
		"it's",
		"‘smart’ ‚low‛ “double” „low“",
		"’; New-Item PWNED_PS1; ‘",
		"'; touch PWNED_SQ; '",
		"'$(touch PWNED_MIX)'\n$HOME",
		"(touch PWNED_FISH)",
		"; touch PWNED_SEMI",
		"&& touch PWNED_AND",
		"| touch PWNED_PIPE",
		"\ntouch PWNED_NL\n",
		"\n\nleading newlines",
		"trailing newlines\n\n",
		"line1\nline2\r\nline3",
		"carriage\rreturn",
		`\`,
		`\\`,
		`ends in backslash\`,
		`\'`,
		`'\''`,
		`\n literal`,
		`\$HOME \" \\ \t`,
		"$HOME",
		"${x}",
		"${x:-$(touch PWNED_DEFAULT)}",
		"$((1+1))",
		"!!",
		"!$",
		"%s%d%n%%",
		"%PATH%",
		"{a,b}",
		"*",
		"~",
		"#not a comment",
		"tab\there\t",
		"  spaces  ",
		"emoji 🔐🙂 and ZWJ 👩‍💻",
		"CJK 漢字かなカナ한국어",
		"RTL \u202eعربي עברית\u202c",
		"\x1b[31mescape\x1b[0m",
		"\u2028\u2029\u0085",
		"= == =",
		"--",
		"-e",
	}
}

// everyByteValues are values made of every byte a value may hold (all but NUL) and some
// multi-byte characters: each ASCII byte alone, all of them together, and all of them but the
// few that rule out each of the dotenv quoting forms.
func everyByteValues() []string {
	var all, single, double strings.Builder
	var values []string
	for c := byte(1); c < 0x80; c++ {
		values = append(values, string(rune(c)))
		all.WriteByte(c)
		if !strings.ContainsRune("'\\\r", rune(c)) {
			single.WriteByte(c)
		}
		if !strings.ContainsRune("$`\r", rune(c)) {
			double.WriteByte(c)
		}
	}
	return append(values, all.String(), single.String(), double.String(),
		"é ß ü 漢 😀 \u00a0 \u0085 \u2028 \u2029 \ufeff \u200b \u202e \U0010fffd")
}

func TestFormats(t *testing.T) {
	want := []string{"sh", "fish", "powershell", "dotenv", "json"}
	if got := Formats(); !slices.Equal(got, want) {
		t.Fatalf("Formats() = %q, want %q", got, want)
	}
	// Callers may keep and change the slice; later calls must not see that.
	Formats()[0] = "changed"
	if got := Formats()[0]; got != "sh" {
		t.Fatalf("Formats()[0] = %q after a caller changed its copy, want sh", got)
	}
}

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Format
		wantErr string
	}{
		{in: "sh", want: SH},
		{in: "fish", want: Fish},
		{in: "powershell", want: PowerShell},
		{in: "dotenv", want: Dotenv},
		{in: "json", want: JSON},
		{in: "xml", wantErr: `unknown format "xml"; use one of sh, fish, powershell, dotenv, json`},
		{in: "", wantErr: `unknown format ""; use one of sh, fish, powershell, dotenv, json`},
		{in: "SH", wantErr: `unknown format "SH"; use one of sh, fish, powershell, dotenv, json`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseFormat(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("ParseFormat(%q) = %q, %v; want error %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseFormat(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	set := []Var{
		{Name: "AWS_ACCESS_KEY_ID", Value: "AKIAEXAMPLE"},
		{Name: "Q", Value: "it's \\ $HOME"},
		{Name: "SMART", Value: "‘a’‚b‛"},
		{Name: "NL", Value: "a\nb\n"},
		{Name: "EMPTY", Value: ""},
	}
	unset := []string{"AWS_PROFILE", "_old"}
	for _, tc := range []struct {
		name  string
		f     Format
		set   []Var
		unset []string
		want  string
	}{
		{
			name: "sh", f: SH, set: set, unset: unset,
			want: "unset AWS_PROFILE\n" +
				"unset _old\n" +
				"export AWS_ACCESS_KEY_ID='AKIAEXAMPLE'\n" +
				"export Q='it'\\''s \\ $HOME'\n" +
				"export SMART='‘a’‚b‛'\n" +
				"export NL='a\nb\n'\n" +
				"export EMPTY=''\n",
		},
		{
			name: "fish", f: Fish, set: set, unset: unset,
			want: "if set -q AWS_PROFILE; set -e AWS_PROFILE; end\n" +
				"if set -q _old; set -e _old; end\n" +
				"set -gx AWS_ACCESS_KEY_ID 'AKIAEXAMPLE'\n" +
				"set -gx Q 'it\\'s \\\\ $HOME'\n" +
				"set -gx SMART '‘a’‚b‛'\n" +
				"set -gx NL 'a\nb\n'\n" +
				"set -gx EMPTY ''\n",
		},
		{
			name: "powershell", f: PowerShell, set: set, unset: unset,
			want: "Remove-Item Env:AWS_PROFILE -ErrorAction SilentlyContinue\n" +
				"Remove-Item Env:_old -ErrorAction SilentlyContinue\n" +
				"$Env:AWS_ACCESS_KEY_ID = 'AKIAEXAMPLE'\n" +
				"$Env:Q = 'it''s \\ $HOME'\n" +
				"$Env:SMART = '‘‘a’’‚‚b‛‛'\n" +
				"$Env:NL = 'a\nb\n'\n" +
				"$Env:EMPTY = ''\n",
		},
		{
			// Q has no $ here: a value with both ' and $ cannot be dotenv (see TestWriteRejects).
			name: "dotenv", f: Dotenv, unset: unset,
			set: []Var{set[0], {Name: "Q", Value: "it's \\ HOME"}, set[2], set[3], set[4]},
			want: "AWS_ACCESS_KEY_ID='AKIAEXAMPLE'\n" +
				"Q=\"it's \\\\ HOME\"\n" +
				"SMART='‘a’‚b‛'\n" +
				"NL='a\nb\n'\n" +
				"EMPTY=''\n",
		},
		{
			name: "dotenv double quoted escapes", f: Dotenv,
			set: []Var{{Name: "D", Value: "'\"\\\n\\n"}, {Name: "S", Value: "a\"b$c`d`"}},
			want: "D=\"'\\\"\\\\\n\\\\n\"\n" +
				"S='a\"b$c`d`'\n",
		},
		{
			name: "json", f: JSON, set: set, unset: unset,
			want: "{\n" +
				`  "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",` + "\n" +
				`  "Q": "it's \\ $HOME",` + "\n" +
				`  "SMART": "‘a’‚b‛",` + "\n" +
				`  "NL": "a\nb\n",` + "\n" +
				`  "EMPTY": ""` + "\n" +
				"}\n",
		},
		{
			name: "json keeps order and html", f: JSON,
			set: []Var{{Name: "Z", Value: "<&>\t\"\x01"}, {Name: "A", Value: "\u2028"}},
			want: "{\n" +
				`  "Z": "<&>\t\"\u0001",` + "\n" +
				`  "A": "\u2028"` + "\n" +
				"}\n",
		},
		{name: "json empty", f: JSON, unset: unset, want: "{}\n"},
		{name: "sh nothing", f: SH, want: ""},
		{name: "sh only unset", f: SH, unset: []string{"A"}, want: "unset A\n"},
		{name: "dotenv only unset", f: Dotenv, unset: []string{"A"}, want: ""},
		{
			name: "sh unset then set same name", f: SH,
			set: []Var{{Name: "A", Value: "1"}}, unset: []string{"A"},
			want: "unset A\nexport A='1'\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, tc.f, tc.set, tc.unset); err != nil {
				t.Fatalf("Write: %v", err)
			}
			if got := b.String(); got != tc.want {
				t.Errorf("Write(%s) =\n%s\nwant\n%s", tc.f, got, tc.want)
			}
		})
	}
}

func TestWriteRejects(t *testing.T) {
	const secret = "s3cr3t-VALUE"
	for _, tc := range []struct {
		name    string
		f       Format
		set     []Var
		unset   []string
		wantErr string
	}{
		{
			name: "unknown format", f: "xml", set: []Var{{Name: "A", Value: secret}},
			wantErr: `unknown format "xml"; use one of sh, fish, powershell, dotenv, json`,
		},
		{
			name: "empty name", f: SH, set: []Var{{Name: "", Value: secret}},
			wantErr: `invalid variable name "": names must not be empty`,
		},
		{
			name: "leading digit", f: SH, set: []Var{{Name: "1A", Value: secret}},
			wantErr: `invalid variable name "1A": use letters, digits and _, not starting with a digit`,
		},
		{
			name: "injection in name", f: Fish, set: []Var{{Name: "A;touch PWNED", Value: secret}},
			wantErr: `invalid variable name "A;touch PWNED": use letters, digits and _, not starting with a digit`,
		},
		{
			name: "newline in name", f: PowerShell, set: []Var{{Name: "A\nB", Value: secret}},
			wantErr: `invalid variable name "A\nB": use letters, digits and _, not starting with a digit`,
		},
		{
			name: "non-ASCII name", f: JSON, set: []Var{{Name: "É", Value: secret}},
			wantErr: `invalid variable name "É": use letters, digits and _, not starting with a digit`,
		},
		{
			name: "bad unset name", f: SH, unset: []string{"A-B"}, set: []Var{{Name: "A", Value: secret}},
			wantErr: `invalid variable name "A-B": use letters, digits and _, not starting with a digit`,
		},
		{
			name: "bad unset name in dotenv", f: Dotenv, unset: []string{"$(x)"},
			wantErr: `invalid variable name "$(x)": use letters, digits and _, not starting with a digit`,
		},
		{
			name: "NUL in value", f: SH, set: []Var{{Name: "OK", Value: "x"}, {Name: "TOKEN", Value: secret + "\x00" + secret}},
			wantErr: "value of TOKEN contains a NUL byte, which no environment can hold",
		},
		{
			name: "invalid UTF-8", f: JSON, set: []Var{{Name: "TOKEN", Value: secret + "\xff"}},
			wantErr: "value of TOKEN is not valid UTF-8",
		},
		{
			name: "lone surrogate", f: PowerShell, set: []Var{{Name: "TOKEN", Value: secret + "\xed\xa0\x80"}},
			wantErr: "value of TOKEN is not valid UTF-8",
		},
		{
			name: "dotenv carriage return", f: Dotenv, set: []Var{{Name: "TOKEN", Value: secret + "\r\n"}},
			wantErr: "value of TOKEN cannot be written as dotenv: python-dotenv reads a carriage return as a line break; use another format, such as sh or json",
		},
		{
			name: "dotenv interpolation", f: Dotenv, set: []Var{{Name: "TOKEN", Value: secret + "${HOME}"}},
			wantErr: "value of TOKEN cannot be written as dotenv: python-dotenv expands ${...} whatever the quotes; use another format, such as sh or json",
		},
		{
			name: "dotenv quote and command substitution", f: Dotenv, set: []Var{{Name: "TOKEN", Value: "it's $(" + secret + ")"}},
			wantErr: "value of TOKEN cannot be written as dotenv: no quoting keeps both ' or \\ and $ or ` literal for sh and python-dotenv alike; use another format, such as sh or json",
		},
		{
			name: "dotenv backslash and backtick", f: Dotenv, set: []Var{{Name: "OK", Value: "fine"}, {Name: "TOKEN", Value: `\` + "`" + secret + "`"}},
			wantErr: "value of TOKEN cannot be written as dotenv: no quoting keeps both ' or \\ and $ or ` literal for sh and python-dotenv alike; use another format, such as sh or json",
		},
		{
			name: "dotenv trailing backslash", f: Dotenv, set: []Var{{Name: "TOKEN", Value: secret + `\`}},
			wantErr: "value of TOKEN cannot be written as dotenv: python-dotenv misreads a double-quoted value that ends in \\; use another format, such as sh or json",
		},
		{
			name: "duplicate", f: JSON, set: []Var{{Name: "A", Value: secret}, {Name: "A", Value: secret}},
			wantErr: "variable A is set more than once",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			err := Write(&b, tc.f, tc.set, tc.unset)
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("Write error = %v, want %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q reveals a value", err)
			}
			if b.Len() != 0 {
				t.Errorf("Write wrote %q before failing; want nothing", b.String())
			}
		})
	}
}

func TestWriteNames(t *testing.T) {
	valid := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	for _, name := range []string{
		"A", "a", "_", "__", "_1", "A1_b2", "AWS_SESSION_TOKEN",
		"", "1", "9A", "A-B", "A.B", "A B", " A", "A ", "A=B", "A$", "A\x00", "Ä", "A\n", "$A", "A'",
	} {
		err := Write(&bytes.Buffer{}, SH, []Var{{Name: name, Value: "v"}}, nil)
		if got, want := err == nil, valid.MatchString(name); got != want {
			t.Errorf("Write with name %q: error %v; want accepted = %v", name, err, want)
		}
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestWriteReportsWriterError(t *testing.T) {
	errDisk := errors.New("disk full")
	err := Write(failingWriter{errDisk}, SH, []Var{{Name: "A", Value: "secret"}}, nil)
	if !errors.Is(err, errDisk) {
		t.Fatalf("Write error = %v, want it to wrap %v", err, errDisk)
	}
	if want := "write sh variables: disk full"; err.Error() != want {
		t.Fatalf("Write error = %q, want %q", err, want)
	}
}
