package shellenv

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// The decoders below follow each syntax's documented quoting rules and are
// written independently of the quoting code under test: if the two ever
// disagree, a shell would read something other than the value.

// decodeSH reads one POSIX word made only of single-quoted segments and \'
// sequences. Anything else outside quotes (a space, $, `, ;, a newline) is
// an error, because the shell would interpret it.
func decodeSH(word string) (string, error) {
	if !strings.HasPrefix(word, "'") {
		return "", fmt.Errorf("word does not start with a single quote: %q", word)
	}
	var out strings.Builder
	for i := 0; i < len(word); {
		switch {
		case word[i] == '\'':
			end := strings.IndexByte(word[i+1:], '\'')
			if end < 0 {
				return "", fmt.Errorf("unterminated single quote at byte %d", i)
			}
			out.WriteString(word[i+1 : i+1+end])
			i += end + 2
		case strings.HasPrefix(word[i:], `\'`):
			out.WriteByte('\'')
			i += 2
		default:
			return "", fmt.Errorf("byte %q at %d is outside quotes", word[i], i)
		}
	}
	return out.String(), nil
}

// decodeFish reads one fish single-quoted string that must span the whole
// word. Inside it \\ and \' are escapes, a backslash before anything else is
// literal, and an unescaped ' ends the string.
func decodeFish(word string) (string, error) {
	if !strings.HasPrefix(word, "'") {
		return "", fmt.Errorf("word does not start with a single quote: %q", word)
	}
	var out strings.Builder
	for i := 1; i < len(word); i++ {
		switch c := word[i]; c {
		case '\\':
			if i+1 == len(word) {
				return "", fmt.Errorf("unterminated string ends in a backslash")
			}
			if n := word[i+1]; n == '\\' || n == '\'' {
				out.WriteByte(n)
				i++
			} else {
				out.WriteByte(c)
			}
		case '\'':
			if i != len(word)-1 {
				return "", fmt.Errorf("string ends at byte %d, before the end of the word", i)
			}
			return out.String(), nil
		default:
			out.WriteByte(c)
		}
	}
	return "", fmt.Errorf("unterminated single quote")
}

// decodePowerShell reads one PowerShell single-quoted string that must span
// the whole word. PowerShell opens and closes such strings with any of
// ' ‘ ’ ‚ ‛, and reads two of them in a row as the second one.
func decodePowerShell(word string) (string, error) {
	const quotes = "'\u2018\u2019\u201a\u201b"
	first, size := utf8.DecodeRuneInString(word)
	if !strings.ContainsRune(quotes, first) {
		return "", fmt.Errorf("word does not start with a single quote: %q", word)
	}
	runes := []rune(word[size:])
	var out strings.Builder
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		if !strings.ContainsRune(quotes, r) {
			out.WriteRune(r)
			continue
		}
		if i+1 < len(runes) && strings.ContainsRune(quotes, runes[i+1]) {
			out.WriteRune(runes[i+1])
			i++
			continue
		}
		if i != len(runes)-1 {
			return "", fmt.Errorf("string ends at rune %d, before the end of the word", i)
		}
		return out.String(), nil
	}
	return "", fmt.Errorf("unterminated single quote")
}

// decodeDotenvSH reads a .env file the way `set -a; . ./file` does in a POSIX shell, for the
// lines Dotenv writes: NAME=WORD, one per line, where WORD is one single-quoted string (every
// byte literal) or one double-quoted string, in which a backslash escapes $ ` " \ and a line
// break and is literal before anything else. A $ or ` in double quotes is an error, since the
// shell would expand it, and so is anything outside the quotes but the line break after them.
func decodeDotenvSH(file string) ([]Var, error) {
	var vars []Var
	for rest := file; rest != ""; {
		name, after, ok := strings.Cut(rest, "=")
		if !ok || name == "" || strings.ContainsAny(name, " \t\n") {
			return nil, fmt.Errorf("no NAME= at %q", rest)
		}
		var value strings.Builder
		i := 1
		switch {
		case strings.HasPrefix(after, "'"):
			end := strings.IndexByte(after[1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("%s: unterminated single quote", name)
			}
			value.WriteString(after[1 : 1+end])
			i = end + 2
		case strings.HasPrefix(after, `"`):
			for ; i < len(after) && after[i] != '"'; i++ {
				switch c := after[i]; {
				case c == '$' || c == '`':
					return nil, fmt.Errorf("%s: the shell expands %q in double quotes", name, c)
				case c == '\\' && i+1 < len(after) && after[i+1] == '\n':
					i++
				case c == '\\' && i+1 < len(after) && strings.IndexByte("$`\"\\", after[i+1]) >= 0:
					i++
					value.WriteByte(after[i])
				default:
					value.WriteByte(c)
				}
			}
			if i == len(after) {
				return nil, fmt.Errorf("%s: unterminated double quote", name)
			}
			i++
		default:
			return nil, fmt.Errorf("%s: value is not quoted: %q", name, after)
		}
		if !strings.HasPrefix(after[i:], "\n") {
			return nil, fmt.Errorf("%s: %q after the closing quote", name, after[i:])
		}
		vars = append(vars, Var{Name: name, Value: value.String()})
		rest = after[i+1:]
	}
	return vars, nil
}

// The parts of a binding as python-dotenv (1.x, and Debian's 0.21) matches them, from its
// parser.py; Go's RE2 picks the same match as Python's backtracking for these patterns.
var (
	pyBinding      = regexp.MustCompile(`^(?:export[^\S\r\n]+)?([^=#\s]+)[^\S\r\n]*=[^\S\r\n]*`)
	pySingleQuoted = regexp.MustCompile(`^'((?:\\'|[^'])*)'`)
	pyDoubleQuoted = regexp.MustCompile(`^"((?:\\"|[^"])*)"`)
	pyEndOfLine    = regexp.MustCompile(`^(?:[^\S\r\n]*#[^\r\n]*)?[^\S\r\n]*(?:\r\n|\n|\r|$)`)
	pyVariable     = regexp.MustCompile(`\$\{[^}:]*(?::-[^}]*)?\}`)
)

// decodeDotenvPython reads a .env file as python-dotenv's dotenv_values does by default, for
// quoted values: the file is opened in text mode, which turns \r\n and \r into \n; a
// single-quoted value decodes \\ and \'; a double-quoted one \\ \' \" \a \b \f \n \r \t \v;
// and ${NAME} or ${NAME:-default} in any value is replaced, which is an error here. A line it
// cannot parse is an error too (python-dotenv would skip it with a warning).
func decodeDotenvPython(file string) ([]Var, error) {
	rest := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(file)
	single := strings.NewReplacer(`\\`, `\`, `\'`, `'`)
	double := strings.NewReplacer(`\\`, `\`, `\'`, `'`, `\"`, `"`, `\a`, "\a", `\b`, "\b", `\f`, "\f", `\n`, "\n", `\r`, "\r", `\t`, "\t", `\v`, "\v")
	var vars []Var
	for rest != "" {
		m := pyBinding.FindStringSubmatch(rest)
		if m == nil {
			return nil, fmt.Errorf("no binding at %q", rest)
		}
		name := m[1]
		rest = rest[len(m[0]):]
		var value string
		if q := pySingleQuoted.FindStringSubmatch(rest); q != nil {
			value, rest = single.Replace(q[1]), rest[len(q[0]):]
		} else if q := pyDoubleQuoted.FindStringSubmatch(rest); q != nil {
			value, rest = double.Replace(q[1]), rest[len(q[0]):]
		} else {
			return nil, fmt.Errorf("%s: value is not quoted: %q", name, rest)
		}
		end := pyEndOfLine.FindString(rest)
		if end == "" && rest != "" {
			return nil, fmt.Errorf("%s: %q after the value", name, rest)
		}
		rest = rest[len(end):]
		if pyVariable.MatchString(value) {
			return nil, fmt.Errorf("%s: python-dotenv would expand a variable in %q", name, value)
		}
		vars = append(vars, Var{Name: name, Value: value})
	}
	return vars, nil
}

// rejection returns the error Write must give in format f for a variable name=value, or ""
// if it must accept it.
func rejection(f Format, name, value string) string {
	switch {
	case strings.ContainsRune(value, 0):
		return "value of " + name + " contains a NUL byte, which no environment can hold"
	case !utf8.ValidString(value):
		return "value of " + name + " is not valid UTF-8"
	case f != Dotenv:
		return ""
	}
	why := ""
	switch {
	case strings.ContainsRune(value, '\r'):
		why = "python-dotenv reads a carriage return as a line break"
	case strings.Contains(value, "${"):
		why = "python-dotenv expands ${...} whatever the quotes"
	case strings.ContainsAny(value, `'\`) && strings.ContainsAny(value, "$`"):
		why = "no quoting keeps both ' or \\ and $ or ` literal for sh and python-dotenv alike"
	case strings.HasSuffix(value, `\`):
		why = "python-dotenv misreads a double-quoted value that ends in \\"
	default:
		return ""
	}
	return "value of " + name + " cannot be written as dotenv: " + why + "; use another format, such as sh or json"
}

// fuzzFormat checks that the one line Write emits for X=value is prefix,
// then a word that decode turns back into exactly value, then a newline.
func fuzzFormat(f *testing.F, format Format, prefix string, decode func(string) (string, error)) {
	for _, v := range hostileValues() {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, value string) {
		var b bytes.Buffer
		err := Write(&b, format, []Var{{Name: "X", Value: value}}, nil)
		if msg := rejection(format, "X", value); msg != "" {
			if err == nil || err.Error() != msg {
				t.Fatalf("Write(%q) error = %v, want %q", value, err, msg)
			}
			if b.Len() != 0 {
				t.Fatalf("Write wrote %q before failing", b.String())
			}
			return
		}
		if err != nil {
			t.Fatalf("Write(%q): %v", value, err)
		}
		out := b.String()
		if !strings.HasPrefix(out, prefix) || !strings.HasSuffix(out, "\n") {
			t.Fatalf("output %q is not %q + word + newline", out, prefix)
		}
		got, err := decode(strings.TrimSuffix(strings.TrimPrefix(out, prefix), "\n"))
		if err != nil {
			t.Fatalf("decode output %q: %v", out, err)
		}
		if got != value {
			t.Fatalf("output %q decodes to %q, want %q", out, got, value)
		}
	})
}

func FuzzSH(f *testing.F) { fuzzFormat(f, SH, "export X=", decodeSH) }

func FuzzFish(f *testing.F) { fuzzFormat(f, Fish, "set -gx X ", decodeFish) }

func FuzzPowerShell(f *testing.F) { fuzzFormat(f, PowerShell, "$Env:X = ", decodePowerShell) }

// FuzzDotenv writes two variables and reads the file back as a POSIX shell and as
// python-dotenv do: both must give exactly what was written, or Write must refuse it. The
// second line shows that the first value ended where it should.
func FuzzDotenv(f *testing.F) {
	for _, v := range append(hostileValues(), everyByteValues()...) {
		f.Add(v, "second")
		f.Add("first", v)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		set := []Var{{Name: "X", Value: a}, {Name: "Y", Value: b}}
		var out bytes.Buffer
		err := Write(&out, Dotenv, set, []string{"Z"})
		if msg := cmp.Or(rejection(Dotenv, "X", a), rejection(Dotenv, "Y", b)); msg != "" {
			if err == nil || err.Error() != msg {
				t.Fatalf("Write error = %v, want %q", err, msg)
			}
			if out.Len() != 0 {
				t.Fatalf("Write wrote %q before failing", out.String())
			}
			return
		}
		if err != nil {
			t.Fatalf("Write(%q, %q): %v", a, b, err)
		}
		for reader, decode := range map[string]func(string) ([]Var, error){"sh": decodeDotenvSH, "python-dotenv": decodeDotenvPython} {
			got, err := decode(out.String())
			if err != nil {
				t.Fatalf("%s cannot read %q: %v", reader, out.String(), err)
			}
			if !slices.Equal(got, set) {
				t.Fatalf("%s reads %q as %q, want %q", reader, out.String(), got, set)
			}
		}
	})
}

func FuzzJSON(f *testing.F) {
	for _, v := range hostileValues() {
		f.Add(v, "second")
	}
	f.Add("ok", "bad\xff")
	f.Fuzz(func(t *testing.T, a, b string) {
		var out bytes.Buffer
		err := Write(&out, JSON, []Var{{Name: "B", Value: a}, {Name: "A", Value: b}}, []string{"C"})
		if msg := cmp.Or(rejection(JSON, "B", a), rejection(JSON, "A", b)); msg != "" {
			if err == nil || err.Error() != msg {
				t.Fatalf("Write error = %v, want %q", err, msg)
			}
			return
		}
		if err != nil {
			t.Fatalf("Write: %v", err)
		}
		if !json.Valid(out.Bytes()) {
			t.Fatalf("output is not valid JSON: %q", out.String())
		}
		// Decode token by token to check the order, which a map would lose.
		dec := json.NewDecoder(bytes.NewReader(out.Bytes()))
		var got []string
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("decode %q: %v", out.String(), err)
			}
			if s, ok := tok.(string); ok {
				got = append(got, s)
			}
		}
		if want := []string{"B", a, "A", b}; !slices.Equal(got, want) {
			t.Fatalf("JSON output %q decodes to %q, want %q", out.String(), got, want)
		}
	})
}
