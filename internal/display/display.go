// Package display writes values the way rolehop's messages, listings and debug lines show
// them: durations without the zero units Go adds, access key IDs by their last characters
// only, text on one line, and paths relative to the working directory when that is shorter.
package display

import (
	"errors"
	"path/filepath"
	"strings"
	"time"
)

// Duration writes d compactly: 1h, 1h30m, 15m, 45s, where time.Duration.String writes 1h0m0s,
// 1h30m0s, 15m0s, 45s.
func Duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// KeyID shows only the last four characters of an access key ID, "****MPLE": enough to tell
// keys apart. An ID of four characters or fewer is not shown at all.
func KeyID(id string) string {
	if len(id) <= 4 {
		return "****"
	}
	return "****" + id[len(id)-4:]
}

// OneLine collapses every run of white space in s, newlines included, to a single space, and
// trims it from both ends, so that s fits on one line of a message.
func OneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Path returns path relative to the working directory dir when that is shorter, else path
// itself (as it is when dir is "").
func Path(path, dir string) string {
	if dir == "" {
		return path
	}
	if rel, err := filepath.Rel(dir, path); err == nil && len(rel) < len(path) {
		return rel
	}
	return path
}

// RootCause returns the innermost error err wraps: the one line that says what happened (a
// refused connection, a reset), without the layers of context around it.
func RootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
