package display

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{5 * time.Minute, "5m"},
		{15 * time.Minute, "15m"},
		{10 * time.Minute, "10m"},
		{time.Second, "1s"},
		{45 * time.Second, "45s"},
		{1500 * time.Millisecond, "1.5s"},
		{250 * time.Millisecond, "250ms"},
		{90 * time.Second, "1m30s"},
		{time.Hour, "1h"},
		{12 * time.Hour, "12h"},
		{90 * time.Minute, "1h30m"},
		{time.Hour + time.Minute, "1h1m"},
		{time.Hour + time.Second, "1h0m1s"},
	}
	for _, tt := range tests {
		if got := Duration(tt.d); got != tt.want {
			t.Errorf("Duration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestKeyID(t *testing.T) {
	tests := []struct{ id, want string }{
		{"AKIAIOSFODNN7EXAMPLE", "****MPLE"},
		{"AKIAI", "****KIAI"},
		{"AKIA", "****"},
		{"AK", "****"},
		{"", "****"},
	}
	for _, tt := range tests {
		if got := KeyID(tt.id); got != tt.want {
			t.Errorf("KeyID(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

func TestOneLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"one line", "one line"},
		{"  operation error STS: AssumeRole,\n\thttps response error\r\n", "operation error STS: AssumeRole, https response error"},
		{"a\u00a0\u2028b", "a b"},
		{" \n\t", ""},
	}
	for _, tt := range tests {
		if got := OneLine(tt.in); got != tt.want {
			t.Errorf("OneLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPath(t *testing.T) {
	root := filepath.FromSlash("/home/jane/src/app")
	deep := filepath.Join(root, strings.Repeat("d/", 40))
	tests := []struct{ path, dir, want string }{
		{filepath.Join(root, "rolehop.hcl"), root, "rolehop.hcl"},
		{filepath.Join(root, "sub", "rolehop.hcl"), root, filepath.FromSlash("sub/rolehop.hcl")},
		{filepath.Join(filepath.Dir(root), "rolehop.hcl"), root, filepath.FromSlash("../rolehop.hcl")},
		// The relative path would be longer than the absolute one.
		{filepath.FromSlash("/etc/rolehop.hcl"), deep, filepath.FromSlash("/etc/rolehop.hcl")},
		// No working directory: the path as it is.
		{filepath.Join(root, "rolehop.hcl"), "", filepath.Join(root, "rolehop.hcl")},
	}
	for _, tt := range tests {
		if got := Path(tt.path, tt.dir); got != tt.want {
			t.Errorf("Path(%q, %q) = %q, want %q", tt.path, tt.dir, got, tt.want)
		}
	}
}

func TestRootCause(t *testing.T) {
	inner := errors.New("connection refused")
	for _, c := range []struct {
		err  error
		want error
	}{
		{inner, inner},
		{fmt.Errorf("dial: %w", inner), inner},
		{fmt.Errorf("post: %w", fmt.Errorf("dial: %w", inner)), inner},
	} {
		if got := RootCause(c.err); got != c.want {
			t.Errorf("RootCause(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
