package chain

import (
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	const token = "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"
	tests := []struct {
		name string
		in   string
		hide []string
		max  int
		want string
	}{
		{"plain", "User is not authorized", nil, 300, "User is not authorized"},
		{"every occurrence", "token " + token + " again " + token + ".", []string{token}, 300, "token [redacted] again [redacted]."},
		{"several secrets", "code 918273 with key SECRETKEY", []string{"918273", "SECRETKEY"}, 300, "code [redacted] with key [redacted]"},
		{"a secret inside a longer one is hidden whole", "abcdefgh and abcd", []string{"abcd", "abcdefgh"}, 300, "[redacted] and [redacted]"},
		{"short strings are left alone", "code 123 and the", []string{"123", "", "th"}, 300, "code 123 and the"},
		{"four bytes are enough", "pin 1234", []string{"1234"}, 300, "pin [redacted]"},
		{"a secret split by an invisible character", "tok\u200ben", []string{"token"}, 300, "[redacted]"},
		{"a secret split by an escape", "tok\x1ben", []string{"token"}, 300, "[redacted]"},
		{"line breaks and tabs", "line1\nline2\r\n\tline3\u2028line4", nil, 300, "line1 line2 line3 line4"},
		{"leading and trailing space", " \n message \t", nil, 300, "message"},
		{"ANSI escapes lose their escape", "\x1b[31mred\x1b[0m \u009b2J", nil, 300, "[31mred[0m 2J"},
		{"bidirectional override and zero-width characters", "a\u202eb\u200bc\ufeffd", nil, 300, "abcd"},
		{"no-break space is a space", "a\u00a0b", nil, 300, "a b"},
		{"invalid UTF-8 and NUL", "a\xffb\x00c", nil, 300, "abc"},
		{"other scripts stay", "Zugriff verweigert: 拒绝访问", nil, 300, "Zugriff verweigert: 拒绝访问"},
		{"cut with a marker", strings.Repeat("a", 400), nil, 300, strings.Repeat("a", 297) + "..."},
		{"exactly the limit", strings.Repeat("a", 300), nil, 300, strings.Repeat("a", 300)},
		{"cut on a rune boundary", strings.Repeat("é", 200), nil, 301, strings.Repeat("é", 149) + "..."},
		{"hidden before the cut", strings.Repeat("x", 295) + token, []string{token}, 300, strings.Repeat("x", 295) + "[r..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := clean(tt.in, tt.hide, tt.max)
			if got != tt.want {
				t.Errorf("clean(%q) =\n%q\nwant\n%q", tt.in, got, tt.want)
			}
			if len(got) > tt.max || !utf8.ValidString(got) {
				t.Errorf("clean(%q) = %q: %d bytes (max %d), valid UTF-8 %v", tt.in, got, len(got), tt.max, utf8.ValidString(got))
			}
		})
	}
}

func TestLimitedBody(t *testing.T) {
	tests := []struct {
		name string
		size int
		want error
	}{
		{"under the limit", 99, nil},
		{"at the limit", 100, nil},
		{"over the limit", 101, &bodyTooLargeError{max: 100}},
		{"far over the limit", 8 << 20, &bodyTooLargeError{max: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &limitedBody{ReadCloser: io.NopCloser(strings.NewReader(strings.Repeat("x", tt.size))), left: 100, max: 100}
			got, err := io.ReadAll(body)
			var big *bodyTooLargeError
			if tt.want == nil {
				if err != nil || len(got) != tt.size {
					t.Fatalf("read %d bytes, %v; want %d bytes", len(got), err, tt.size)
				}
				return
			}
			if !errors.As(err, &big) || err.Error() != tt.want.Error() || len(got) != 100 {
				t.Fatalf("read %d bytes, %v; want 100 bytes and %v", len(got), err, tt.want)
			}
			// Draining what is left must not fail again.
			if n, err := io.Copy(io.Discard, body); n != 0 || err != nil {
				t.Errorf("drain after the limit: %d bytes, %v; want 0, nil", n, err)
			}
		})
	}
}
