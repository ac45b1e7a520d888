package plan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// TokenSource gives a web identity (OIDC) token for AssumeRoleWithWebIdentity. Token is called
// every time credentials are fetched, so a source can hand out a fresh token each time.
type TokenSource interface {
	Token(ctx context.Context) ([]byte, error)
	// String describes where the token comes from without revealing it.
	String() string
}

// Token is a web identity (OIDC) token, given either as the token itself or as the path of a
// file holding it. A file is read again on every call to Read, so a CI runner that rewrites the
// file keeps rolehop's refreshed credentials valid.
type Token struct {
	// Path is the token file; empty when the token was given literally.
	Path  string
	value []byte
}

// NewToken interprets s the way Terragrunt does: a path when such a file exists (relative paths
// are taken from dir), otherwise the token itself.
func NewToken(s, dir string) (*Token, error) {
	p := s
	if !filepath.IsAbs(p) && dir != "" {
		p = filepath.Join(dir, p)
	}
	if len(s) < 4096 {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return &Token{Path: p}, nil
		}
	}
	for _, prefix := range []string{"/", "./", "../", "~"} {
		if strings.HasPrefix(s, prefix) {
			return nil, fmt.Errorf("web identity token file %s does not exist; check the path", p)
		}
	}
	v := bytes.TrimSpace([]byte(s))
	if len(v) < 4 || bytes.ContainsAny(v, " \t\n/\\") {
		return nil, errors.New("web identity token is neither an existing file nor a token; check the path, or pass the token itself")
	}
	return &Token{value: v}, nil
}

// Token returns the token, reading the file when the token is one.
func (t *Token) Token(context.Context) ([]byte, error) {
	if t.Path == "" {
		return t.value, nil
	}
	b, err := os.ReadFile(t.Path)
	if err != nil {
		// The error names the file; the caller says it is the web identity token.
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, fmt.Errorf("file %s is empty", t.Path)
	}
	return b, nil
}

// String describes the token without revealing it.
func (t *Token) String() string {
	if t.Path != "" {
		return "file " + t.Path
	}
	return fmt.Sprintf("<redacted, %d bytes>", len(t.value))
}
