package plan

import (
	"regexp"
	"testing"
)

// The written-out checks accept exactly what the regular expressions they replace accepted.
func TestCharChecksMatchTheirRegularExpressions(t *testing.T) {
	inputs := []string{
		"", "a", "ab", "/", "//", "/a/", "/a", "a/", "/a b/", "/\x7f/", "/é/", "123456789012", "12345678901",
		"1234567890123", "12345678901a", "us-east-1", "us-gov-west-1", "eu-isoe-west-1", "u-east-1", "us-east-",
		"us--1", "us-1", "US-east-1", "us-east-1a", "us-east-12", "cn-north-1", "ab-c-0",
		"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws-us-gov:iam::123456789012:policy/p/x",
		"arn:aws:iam::12345678901:policy/x", "arn::iam::aws:policy/x", "arn:AWS:iam::aws:policy/x",
		"arn:aws:iam::aws:policy/", "arn:aws:iam::aws:policy/a b", "arn:a-b:iam::aws:policy/x",
		"deploy", "deploy+=,.@-_", "de ploy", "dé", "a:b/c", "partner-42", "tab\t", "arn:aws:iam::123456789012:mfa/jane",
		"jane.doe@example.com", "Jean Dupont", "ü-ser", "a--b", "--", "root",
	}
	cases := []struct {
		name  string
		re    string
		check func(string) bool
	}{
		{"account", `^[0-9]{12}$`, isAccount},
		{"role name", `^[\w+=,.@-]+$`, func(s string) bool { return WordOr(s, "+=,.@-") }},
		{"role path", `^/([\x21-\x7E]*/)?$`, isRolePath},
		{"region", `^[a-z]{2,}(-[a-z]+)+-[0-9]+$`, isRegionName},
		{"policy ARN", `^arn:[a-z-]+:iam::(aws|[0-9]{12}):policy/[\x21-\x7E]+$`, isPolicyARN},
		{"external ID", `^[\w+=,.@:/-]+$`, func(s string) bool { return WordOr(s, "+=,.@:/-") }},
		{"MFA code", `^[0-9]{6}$`, func(s string) bool { return Digits(s, 6) }},
		{"MFA serial", `^[\w+=/:,.@-]+$`, func(s string) bool { return WordOr(s, "+=/:,.@-") }},
	}
	for _, c := range cases {
		re := regexp.MustCompile(c.re)
		for _, in := range append(inputs, "123456") {
			if got, want := c.check(in), re.MatchString(in); got != want {
				t.Errorf("%s %q: %t, the regular expression says %t", c.name, in, got, want)
			}
		}
	}
	notSession := regexp.MustCompile(`[^\w+=,.@-]+`)
	for _, in := range inputs {
		if got, want := sessionSafe(in), notSession.ReplaceAllString(in, "-"); got != want {
			t.Errorf("sessionSafe(%q) = %q, the regular expression gives %q", in, got, want)
		}
	}
}

func FuzzCharChecks(f *testing.F) {
	for _, s := range []string{"us-east-1", "/a/", "arn:aws:iam::aws:policy/x", "jane.doe@example.com"} {
		f.Add(s)
	}
	region := regexp.MustCompile(`^[a-z]{2,}(-[a-z]+)+-[0-9]+$`)
	policy := regexp.MustCompile(`^arn:[a-z-]+:iam::(aws|[0-9]{12}):policy/[\x21-\x7E]+$`)
	path := regexp.MustCompile(`^/([\x21-\x7E]*/)?$`)
	notSession := regexp.MustCompile(`[^\w+=,.@-]+`)
	f.Fuzz(func(t *testing.T, s string) {
		if isRegionName(s) != region.MatchString(s) || isPolicyARN(s) != policy.MatchString(s) || isRolePath(s) != path.MatchString(s) {
			t.Errorf("%q: the checks and their regular expressions disagree", s)
		}
		if sessionSafe(s) != notSession.ReplaceAllString(s, "-") {
			t.Errorf("sessionSafe(%q) differs from the regular expression", s)
		}
	})
}
