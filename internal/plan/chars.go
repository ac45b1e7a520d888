package plan

import "strings"

// The checks of IAM and STS values are written out rather than as regular expressions: a
// regular expression compiled at package init costs every start of rolehop, and one compiled
// on first use costs the checks that run on every run. These take nanoseconds.

// WordOr reports whether s is not empty and each of its bytes is an ASCII letter, digit or
// underscore (a \w of a regular expression), or one of extra.
func WordOr(s, extra string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isWord(c) && strings.IndexByte(extra, c) < 0 {
			return false
		}
	}
	return true
}

// Digits reports whether s is exactly n ASCII digits.
func Digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isWord(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// printable reports whether s is not empty and all printable ASCII but space (\x21-\x7E).
func printable(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// lower reports whether s is at least min ASCII lower-case letters, and only those.
func lower(s string, min int) bool {
	if len(s) < min {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// isAccount: 12 digits.
func isAccount(s string) bool { return Digits(s, 12) }

// isRolePath: "/", or printable ASCII that starts and ends with "/".
func isRolePath(s string) bool {
	return printable(s) && s[0] == '/' && s[len(s)-1] == '/'
}

// isRegionName: two or more lower-case letters, one or more groups of "-" and lower-case
// letters, then "-" and digits, like us-east-1 or us-gov-west-1.
func isRegionName(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || !lower(parts[0], 2) {
		return false
	}
	for _, p := range parts[1 : len(parts)-1] {
		if !lower(p, 1) {
			return false
		}
	}
	last := parts[len(parts)-1]
	return last != "" && Digits(last, len(last))
}

// isPolicyARN: arn:PARTITION:iam::(aws|ACCOUNT):policy/NAME, NAME printable ASCII.
func isPolicyARN(s string) bool {
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return false
	}
	partition, rest, ok := strings.Cut(rest, ":iam::")
	if !ok || partition == "" || strings.Trim(partition, "abcdefghijklmnopqrstuvwxyz-") != "" {
		return false
	}
	owner, name, ok := strings.Cut(rest, ":policy/")
	return ok && (owner == "aws" || isAccount(owner)) && printable(name)
}

// sessionChars are the characters of a session name besides \w.
const sessionChars = "+=,.@-"

// sessionSafe replaces each run of characters a session name cannot hold with one "-".
func sessionSafe(s string) string {
	var b strings.Builder
	run := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isWord(c) || strings.IndexByte(sessionChars, c) >= 0 {
			b.WriteByte(c)
			run = false
			continue
		}
		if !run {
			b.WriteByte('-')
		}
		run = true
	}
	return b.String()
}
