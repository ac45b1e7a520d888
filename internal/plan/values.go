package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/rolehop/rolehop/internal/display"
	"os"
	"os/user"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Limits STS puts on role sessions.
const (
	MinDuration        = 15 * time.Minute
	MaxDuration        = 12 * time.Hour
	MaxChainedDuration = time.Hour
	DefaultDuration    = time.Hour
	maxTags            = 50
	maxPolicyARNs      = 10
	maxPolicyChars     = 2048
)

// tagRE is compiled on first use: its Unicode classes take a fifth of a millisecond to
// compile, a cost every start would pay for a setting few use.
var tagRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`) })

// ParseDuration parses a session duration given as whole seconds ("3600") or as a Go duration
// ("90m", "2h", "1h30m"), and checks it is within STS's 15 minutes to 12 hours.
func ParseDuration(s string) (time.Duration, error) {
	d, err := parseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	if d < MinDuration || d > MaxDuration {
		return 0, outOfRange(s)
	}
	return d, nil
}

// outOfRange is the error for a session duration STS refuses, given as s.
func outOfRange(s string) error {
	return fmt.Errorf("duration %q is out of range; STS accepts %s to %s (%d to %d seconds)", s,
		display.Duration(MinDuration), display.Duration(MaxDuration), int64(MinDuration/time.Second), int64(MaxDuration/time.Second))
}

func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > int64(MaxDuration/time.Second)*1000 {
			return 0, outOfRange(s)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q is not a number of seconds or a duration like 90m or 2h", s)
	}
	if d%time.Second != 0 {
		return 0, fmt.Errorf("duration %q is not a whole number of seconds", s)
	}
	return d, nil
}

// CheckSessionName checks a role session name: 2 to 64 letters, digits or +=,.@_-.
func CheckSessionName(s string) error {
	if !isSessionName(s) {
		return fmt.Errorf("session name %q is invalid; use 2 to 64 letters, digits or +=,.@_-", s)
	}
	return nil
}

// CheckExternalID checks an external ID: 2 to 1224 letters, digits or +=,.@:/_-. The value is
// not secret (it is visible in trust policies), so it may be echoed.
func CheckExternalID(s string) error {
	if !WordOr(s, "+=,.@:/-") || len(s) < 2 || len(s) > 1224 {
		return fmt.Errorf("external ID %q is invalid; use 2 to 1224 letters, digits or +=,.@:/_-", s)
	}
	return nil
}

// CheckSourceIdentity checks a source identity: like a session name, and not starting with aws:.
func CheckSourceIdentity(s string) error {
	if !isSessionName(s) {
		return fmt.Errorf("source identity %q is invalid; use 2 to 64 letters, digits or +=,.@_-", s)
	}
	if strings.HasPrefix(strings.ToLower(s), "aws:") {
		return fmt.Errorf("source identity %q is invalid; it cannot start with \"aws:\"", s)
	}
	return nil
}

func isSessionName(s string) bool {
	return len(s) >= 2 && len(s) <= 64 && WordOr(s, sessionChars)
}

// between reports whether s has from min to max characters.
func between(s string, min, max int) bool {
	n := utf8.RuneCountInString(s)
	return n >= min && n <= max
}

// CheckTags checks session tags against STS's limits.
func CheckTags(tags []Tag) error {
	if len(tags) > maxTags {
		return fmt.Errorf("%d session tags given; STS accepts at most %d", len(tags), maxTags)
	}
	seen := map[string]bool{}
	for _, t := range tags {
		switch {
		case !tagRE().MatchString(t.Key) || !between(t.Key, 1, 128):
			return fmt.Errorf("tag key %q is invalid; use 1 to 128 letters, digits, spaces or _.:/=+-@", t.Key)
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			return fmt.Errorf("tag key %q is invalid; keys cannot start with \"aws:\"", t.Key)
		case !tagRE().MatchString(t.Value) || !between(t.Value, 0, 256):
			return fmt.Errorf("value of tag %q is invalid; use up to 256 letters, digits, spaces or _.:/=+-@", t.Key)
		case seen[strings.ToLower(t.Key)]:
			return fmt.Errorf("tag key %q is given twice (tag keys are case-insensitive)", t.Key)
		}
		seen[strings.ToLower(t.Key)] = true
	}
	return nil
}

func checkTransitive(tags []Tag, keys []string) error {
	for _, k := range keys {
		found := false
		for _, t := range tags {
			found = found || strings.EqualFold(t.Key, k)
		}
		if !found {
			return fmt.Errorf("transitive tag key %q is not one of the session tags; add it to tags", k)
		}
	}
	return nil
}

// CheckPolicyARNs checks the managed policies passed as session policies.
func CheckPolicyARNs(arns []string) error {
	if len(arns) > maxPolicyARNs {
		return fmt.Errorf("%d policy ARNs given; STS accepts at most %d", len(arns), maxPolicyARNs)
	}
	for _, a := range arns {
		if err := CheckPolicyARN(a); err != nil {
			return err
		}
	}
	return nil
}

// CompactPolicy checks that an inline session policy is JSON and returns it without
// insignificant white space, since STS counts its characters.
func CompactPolicy(s string) (string, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return "", fmt.Errorf("policy is not valid JSON: %v", err)
	}
	if n := utf8.RuneCount(b.Bytes()); n > maxPolicyChars {
		return "", fmt.Errorf("policy is %d characters; STS accepts at most %d", n, maxPolicyChars)
	}
	return b.String(), nil
}

// DefaultSessionName returns "rolehop-" followed by the local user's name, made into a valid
// session name. It looks the user up by uid, so it works under cron with no $USER or $HOME.
func DefaultSessionName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return SessionNameFor(u.Username)
	}
	return SessionNameFor(fmt.Sprintf("uid%d", os.Getuid()))
}

// SessionNameFor turns a user name into a valid session name "rolehop-NAME".
func SessionNameFor(username string) string {
	clean := strings.Trim(sessionSafe(username), "-")
	if clean == "" {
		return "rolehop"
	}
	s := "rolehop-" + clean
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}
