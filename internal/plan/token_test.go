package plan

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte("eyJ.first.sig\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	tok, err := NewToken("token", dir)
	if err != nil || tok.Path != file {
		t.Fatalf("relative path: %+v, %v", tok, err)
	}
	got, err := tok.Token(context.Background())
	if err != nil || string(got) != "eyJ.first.sig" {
		t.Fatalf("Read() = %q, %v", got, err)
	}
	// The file is read again each time, so a rewritten token is picked up.
	if err := os.WriteFile(file, []byte("eyJ.second.sig"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := tok.Token(context.Background()); string(got) != "eyJ.second.sig" {
		t.Fatalf("after rewrite Read() = %q", got)
	}
	if tok.String() != "file "+file {
		t.Errorf("String() = %q", tok.String())
	}

	lit, err := NewToken("eyJhbGciOi.payload.signature", dir)
	if err != nil || lit.Path != "" {
		t.Fatalf("literal: %+v, %v", lit, err)
	}
	if s := lit.String(); strings.Contains(s, "eyJ") || s != "<redacted, 28 bytes>" {
		t.Errorf("String() of a literal token = %q", s)
	}

	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := tok.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("empty file: %v", err)
	}

	for _, bad := range []string{"/no/such/token", "./missing", "~/token"} {
		if _, err := NewToken(bad, dir); err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("NewToken(%q) = %v, want a missing-file error", bad, err)
		}
	}
	for _, bad := range []string{"has space in it", "ab", "dir/token"} {
		_, err := NewToken(bad, dir)
		if err == nil {
			t.Errorf("NewToken(%q): no error", bad)
		} else if strings.Contains(err.Error(), bad) {
			t.Errorf("NewToken(%q) error repeats the value: %v", bad, err)
		}
	}
}
