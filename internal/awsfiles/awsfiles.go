// Package awsfiles makes copies of the AWS shared config and credentials files that keep every
// setting but identity. A command served credentials by rolehop's local endpoint gets these
// copies: every AWS SDK and the AWS CLI look at the shared files' profile ([default] unless
// AWS_PROFILE) before the container credentials endpoint, so keys, roles, SSO or a
// credential_process there would otherwise outrank the identity rolehop hands over.
//
// The copies are made line by line, keeping everything but the lines that give an identity
// (and the indented lines that continue them), so comments, sections, nested settings such as
// `s3 =` and the layout stay exactly as they were. The AWS SDK for Go has no writer for these
// files, and a parse-and-rewrite would lose the settings it does not know (the AWS CLI's own,
// for instance).
package awsfiles

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// identityKeys are the settings that give a profile an identity: keys, roles, web identity,
// SSO, sign-in sessions and credential processes. Their names are matched without regard to
// case, as the SDKs do.
var identityKeys = map[string]bool{
	"aws_access_key_id":       true,
	"aws_secret_access_key":   true,
	"aws_session_token":       true,
	"aws_security_token":      true,
	"role_arn":                true,
	"source_profile":          true,
	"credential_source":       true,
	"role_session_name":       true,
	"external_id":             true,
	"mfa_serial":              true,
	"duration_seconds":        true,
	"web_identity_token_file": true,
	"credential_process":      true,
	"sso_session":             true,
	"sso_start_url":           true,
	"sso_region":              true,
	"sso_account_id":          true,
	"sso_role_name":           true,
	"sso_registration_scopes": true,
	"login_session":           true,
}

// Strip copies an AWS shared config or credentials file from r to w without the lines that
// give an identity. It reports how many settings it left out.
func Strip(r io.Reader, w io.Writer) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxFileSize)
	bw := bufio.NewWriter(w)
	dropped, dropIndent := 0, -1
	for sc.Scan() {
		line := sc.Text()
		indent := len(line) - len(strings.TrimLeft(line, " \t"))
		if dropIndent >= 0 && indent > dropIndent && strings.TrimSpace(line) != "" {
			// A continuation of the value left out.
			continue
		}
		dropIndent = -1
		if isIdentity(line) {
			dropped++
			dropIndent = indent
			continue
		}
		if _, err := bw.WriteString(line + "\n"); err != nil {
			return dropped, err
		}
	}
	if err := sc.Err(); err != nil {
		return dropped, err
	}
	return dropped, bw.Flush()
}

// isIdentity reports whether line sets one of the identity keys, indented or not.
func isIdentity(line string) bool {
	key, _, ok := strings.Cut(line, "=")
	return ok && identityKeys[strings.ToLower(strings.TrimSpace(key))]
}

// maxFileSize bounds a line of a shared file; the SDKs read these files whole.
const maxFileSize = 1 << 20

// Files are the locations of the AWS shared files.
type Files struct {
	Config      string
	Credentials string
}

// Locate returns where the SDKs read the shared files from: AWS_CONFIG_FILE and
// AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/config and ~/.aws/credentials.
func Locate(lookupEnv func(string) (string, bool)) Files {
	home, _ := lookupEnv("HOME")
	pick := func(env, name string) string {
		if v, ok := lookupEnv(env); ok && v != "" {
			if strings.HasPrefix(v, "~/") {
				return filepath.Join(home, v[2:])
			}
			return v
		}
		return filepath.Join(home, ".aws", name)
	}
	return Files{Config: pick("AWS_CONFIG_FILE", "config"), Credentials: pick("AWS_SHARED_CREDENTIALS_FILE", "credentials")}
}

// WithoutIdentity writes identity-free copies of the files in from into dir, which should be
// private to the user, and returns where they are. A file that does not exist gives an empty
// copy.
func WithoutIdentity(from Files, dir string) (Files, error) {
	to := Files{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
	for _, f := range []struct{ src, dst string }{{from.Config, to.Config}, {from.Credentials, to.Credentials}} {
		if err := copyStripped(f.src, f.dst); err != nil {
			return Files{}, err
		}
	}
	return to, nil
}

func copyStripped(src, dst string) error {
	in, err := os.Open(src)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		in = nil
	case err != nil:
		return fmt.Errorf("read %s: %w", src, err)
	default:
		defer in.Close()
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", dst, err)
	}
	if in != nil {
		if _, err := Strip(in, out); err != nil {
			out.Close()
			return fmt.Errorf("copy %s: %w", src, err)
		}
	}
	return out.Close()
}
