package chain

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	// maxMessage bounds the text an error line quotes from STS: its messages are a sentence,
	// and an endpoint that sends megabytes must not flood the terminal or a CI log.
	maxMessage = 300
	// maxCode bounds an STS error code ("AccessDenied", "InvalidIdentityToken", ...).
	maxCode = 64
	// redacted stands for a secret in an error line.
	redacted = "[redacted]"
	// minSecret is the shortest secret that is looked for: hiding shorter strings would
	// mangle ordinary words and gains nothing.
	minSecret = 4
)

// clean makes text that came from STS fit for one line of an error: the secrets in hide are
// replaced by [redacted], white space of any kind becomes a single space, control and
// invisible characters (ANSI escapes, bidirectional overrides, zero-width spaces) and invalid
// UTF-8 are dropped, and the result is cut to max bytes, ending in "...". Secrets are hidden
// after the dropping, so a secret split by an invisible character is still found, and before
// the cut, so no part of one survives.
func clean(s string, hide []string, max int) string {
	s = printable(s)
	if r := redactor(hide); r != nil {
		s = r.Replace(s)
	}
	return clip(s, max)
}

// printable collapses every run of white space to one space, trims it from both ends, and
// drops every other rune that is not printable.
func printable(s string) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
		case unicode.IsSpace(r):
			space = b.Len() > 0
		case unicode.IsPrint(r):
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// redactor replaces each secret, made printable as the text is, with [redacted]; nil when
// there is none to look for. Longer secrets come first, so one that holds another is hidden
// whole.
func redactor(hide []string) *strings.Replacer {
	var secrets []string
	for _, s := range hide {
		if s = printable(s); len(s) >= minSecret && !slices.Contains(secrets, s) {
			secrets = append(secrets, s)
		}
	}
	if len(secrets) == 0 {
		return nil
	}
	slices.SortFunc(secrets, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, redacted)
	}
	return strings.NewReplacer(pairs...)
}

// clip cuts s to at most max bytes, on a rune boundary, marking the cut with "...".
func clip(s string, max int) string {
	const more = "..."
	if len(s) <= max {
		return s
	}
	cut := max - len(more)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimRight(s[:cut], " ") + more
}

// last returns the token handed out most recently, "" if none.
func (m *memoToken) last() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return string(m.tok)
}
