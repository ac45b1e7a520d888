package authprovider_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rolehop/rolehop/internal/authprovider"
)

// FuzzParse parses arbitrary output. Nothing may panic, every error must be one line, and an
// accepted result must survive Write and Parse again. No error may depend on what a string
// value holds beyond its being empty or valid: errors for the output and for the output with
// its string values disguised must be the same, so no error can be repeating a value.
func FuzzParse(f *testing.F) {
	for _, tt := range validOutputs {
		f.Add(tt.output)
	}
	for _, tt := range invalidOutputs {
		f.Add(tt.output)
	}
	f.Fuzz(func(t *testing.T, output string) {
		got, err := authprovider.Parse([]byte(output))
		disguised := disguiseValues(output)
		_, disguisedErr := authprovider.Parse([]byte(disguised))
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err)
			}
			if disguisedErr == nil || disguisedErr.Error() != err.Error() {
				t.Fatalf("error depends on what string values hold:\n%q: %v\n%q: %v", output, err, disguised, disguisedErr)
			}
			return
		}
		if disguisedErr != nil {
			t.Fatalf("output parses, but with its string values disguised (%q): %v", disguised, disguisedErr)
		}
		if got == nil {
			t.Fatal("Parse returned neither a result nor an error")
		}
		checkRoundTrip(t, got)
	})
}

// checkRoundTrip checks that the credentials and envs of r come back unchanged through Write
// and Parse.
func checkRoundTrip(t *testing.T, r *authprovider.Result) {
	t.Helper()
	creds := authprovider.Credentials{AccessKeyID: "AKID", SecretAccessKey: "placeholder"}
	if r.Credentials != nil {
		creds = *r.Credentials
	}
	var out bytes.Buffer
	if err := authprovider.Write(&out, creds, r.Envs); err != nil {
		t.Fatalf("Write refused what Parse accepted: %v", err)
	}
	again, err := authprovider.Parse(out.Bytes())
	if err != nil {
		t.Fatalf("Parse(Write(...)) = %v; Write wrote\n%s", err, out.String())
	}
	if *again.Credentials != creds || !reflect.DeepEqual(again.Envs, r.Envs) {
		t.Fatalf("Parse(Write(...)) = %s, want credentials %+v and envs %q", show(again), creds, r.Envs)
	}
}

// disguiseValues changes every letter and digit of the string values in output (strings that
// are not object keys), outside valid escape sequences: letters change case, digits go up by
// one. That keeps the output exactly as valid, and every value as empty or not, as it was. The
// character after a backslash changes too when it makes no valid escape either way (\s, \S),
// since a message quoting it would show a byte of the value.
func disguiseValues(output string) string {
	b := []byte(output)
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		end := i + 1
		for end < len(b) && b[end] != '"' {
			if b[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(b) {
			break // an unterminated string: the output is invalid anyway
		}
		if !isKey(b[end+1:]) {
			for j := i + 1; j < end; j++ {
				if b[j] == '\\' {
					j++
					switch {
					case j < end && b[j] == 'u':
						j += 4
					case j < end && !isEscape(b[j]) && !isEscape(disguise(b[j])):
						b[j] = disguise(b[j])
					}
					continue
				}
				b[j] = disguise(b[j])
			}
		}
		i = end
	}
	if utf8.Valid(b) != utf8.ValidString(output) {
		panic("disguiseValues changed the validity of UTF-8")
	}
	return string(b)
}

// isEscape reports whether c may follow a backslash in a JSON string.
func isEscape(c byte) bool {
	return strings.IndexByte(`"\/bfnrtu`, c) >= 0
}

// isKey reports whether a string followed by rest is an object key.
func isKey(rest []byte) bool {
	rest = bytes.TrimLeft(rest, " \t\r\n")
	return len(rest) > 0 && rest[0] == ':'
}

// disguise changes the case of an ASCII letter, or adds one to a digit.
func disguise(c byte) byte {
	switch {
	case 'a' <= c && c <= 'z':
		return c - 'a' + 'A'
	case 'A' <= c && c <= 'Z':
		return c - 'A' + 'a'
	case '0' <= c && c <= '8':
		return c + 1
	case c == '9':
		return '0'
	}
	return c
}
