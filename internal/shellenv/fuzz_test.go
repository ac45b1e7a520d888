package shellenv

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// decodeDotenv reads a .env value in the dialect Dotenv promises: a literal
// single-quoted value, or a double-quoted one where \\ \" \n \r and \$ are
// the only escapes and no other backslash, " or $ may appear.
func decodeDotenv(word string) (string, error) {
	if len(word) >= 2 && word[0] == '\'' && word[len(word)-1] == '\'' {
		inner := word[1 : len(word)-1]
		if strings.ContainsAny(inner, "'\n\r") {
			return "", fmt.Errorf("single-quoted value holds a quote or line break: %q", word)
		}
		return inner, nil
	}
	if len(word) < 2 || word[0] != '"' || word[len(word)-1] != '"' {
		return "", fmt.Errorf("value is not quoted: %q", word)
	}
	inner := word[1 : len(word)-1]
	var out strings.Builder
	for i := 0; i < len(inner); i++ {
		switch c := inner[i]; c {
		case '\\':
			if i+1 == len(inner) {
				return "", fmt.Errorf("value ends in a lone backslash")
			}
			i++
			switch inner[i] {
			case '\\', '"', '$':
				out.WriteByte(inner[i])
			case 'n':
				out.WriteByte('\n')
			case 'r':
				out.WriteByte('\r')
			default:
				return "", fmt.Errorf("unexpected escape \\%c", inner[i])
			}
		case '"', '$', '\n', '\r':
			return "", fmt.Errorf("unescaped %q at byte %d", c, i)
		default:
			out.WriteByte(c)
		}
	}
	return out.String(), nil
}

// rejection returns the error Write must give for a variable name=value, or
// "" if it must accept it.
func rejection(name, value string) string {
	switch {
	case strings.ContainsRune(value, 0):
		return "value of " + name + " contains a NUL byte, which no environment can hold"
	case !utf8.ValidString(value):
		return "value of " + name + " is not valid UTF-8"
	}
	return ""
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
		if msg := rejection("X", value); msg != "" {
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

func FuzzDotenv(f *testing.F) { fuzzFormat(f, Dotenv, "X=", decodeDotenv) }

func FuzzJSON(f *testing.F) {
	for _, v := range hostileValues() {
		f.Add(v, "second")
	}
	f.Add("ok", "bad\xff")
	f.Fuzz(func(t *testing.T, a, b string) {
		var out bytes.Buffer
		err := Write(&out, JSON, []Var{{Name: "B", Value: a}, {Name: "A", Value: b}}, []string{"C"})
		if msg := cmp.Or(rejection("B", a), rejection("A", b)); msg != "" {
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
