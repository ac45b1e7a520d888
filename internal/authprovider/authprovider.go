// Package authprovider runs Terragrunt's "auth provider command" and reads what it prints: one
// JSON object that may hold credentials, a role to assume and environment variables. It also
// writes that JSON, for programs that expect an auth provider.
//
// Reading is strict and fails closed: anything that is not exactly the documented schema is an
// error naming the field at fault, and no error ever repeats a secret value.
package authprovider

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rolehop/rolehop/internal/shellenv"
)

// Result is what an auth provider said.
type Result struct {
	Credentials *Credentials // nil when absent
	Role        *Role        // nil when absent
	Envs        []Env        // sorted by name
}

// Credentials are AWS credentials given by an auth provider.
type Credentials struct{ AccessKeyID, SecretAccessKey, SessionToken string }

// Role is a role an auth provider asks to assume.
type Role struct {
	ARN              string
	SessionName      string        // "" when not given
	Duration         time.Duration // 0 when not given or 0
	WebIdentityToken string        // "" when not given; the token itself or a path to a file (the caller decides)
}

// Env is an environment variable an auth provider asks to set.
type Env struct{ Name, Value string }

// Objects lists the top-level objects present, e.g. ["awsCredentials", "envs"], for debug
// logs. "envs" counts as present when it set at least one variable.
func (r *Result) Objects() []string {
	if r == nil {
		return nil
	}
	var objects []string
	if r.Credentials != nil {
		objects = append(objects, keyCredentials)
	}
	if r.Role != nil {
		objects = append(objects, keyRole)
	}
	if len(r.Envs) > 0 {
		objects = append(objects, keyEnvs)
	}
	return objects
}

// Keys of the schema, spelled as Terragrunt documents them.
const (
	keyCredentials     = "awsCredentials"
	keyRole            = "awsRole"
	keyEnvs            = "envs"
	keyAccessKeyID     = "ACCESS_KEY_ID"
	keySecretAccessKey = "SECRET_ACCESS_KEY"
	keySessionToken    = "SESSION_TOKEN"
	keyRoleARN         = "roleARN"
	keySessionName     = "sessionName"
	keyRoleSessionName = "roleSessionName" // what Terragrunt's code reads, against its documentation
	keyDuration        = "duration"
	keyWebIdentity     = "webIdentityToken"
)

// Write writes creds and envs as an auth provider would print them: one JSON object with
// awsCredentials (SESSION_TOKEN omitted when empty) and envs (omitted when empty), indented by
// two spaces, without HTML escaping, and ending in a newline. What it writes, Parse reads
// back as creds and envs sorted by name.
//
// Write refuses what Parse would: credentials without an access key ID or secret, an
// invalid or repeated variable name, or a value that is not valid UTF-8 or holds a NUL.
func Write(w io.Writer, creds Credentials, envs []Env) error {
	if err := checkWritable(creds, envs); err != nil {
		return fmt.Errorf("write auth provider output: %w", err)
	}
	type credentials struct {
		AccessKeyID     string `json:"ACCESS_KEY_ID"`
		SecretAccessKey string `json:"SECRET_ACCESS_KEY"`
		SessionToken    string `json:"SESSION_TOKEN,omitempty"`
	}
	out := struct {
		Credentials credentials       `json:"awsCredentials"`
		Envs        map[string]string `json:"envs,omitempty"`
	}{Credentials: credentials(creds)}
	for _, e := range envs {
		if out.Envs == nil {
			out.Envs = make(map[string]string, len(envs))
		}
		out.Envs[e.Name] = e.Value
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write auth provider output: %w", err)
	}
	return nil
}

// checkWritable reports what in creds and envs Parse would refuse.
func checkWritable(creds Credentials, envs []Env) error {
	switch {
	case creds.AccessKeyID == "":
		return errors.New("credentials have no access key ID")
	case creds.SecretAccessKey == "":
		return errors.New("credentials have no secret access key")
	}
	for _, f := range []struct{ key, value string }{
		{keyAccessKeyID, creds.AccessKeyID},
		{keySecretAccessKey, creds.SecretAccessKey},
		{keySessionToken, creds.SessionToken},
	} {
		if err := checkText(f.value); err != nil {
			return fmt.Errorf("%s: %w", fieldPath(keyCredentials, f.key), err)
		}
	}
	seen := make(map[string]bool, len(envs))
	for _, e := range envs {
		path := fieldPath(keyEnvs, e.Name)
		if !shellenv.ValidName(e.Name) {
			return fmt.Errorf("%s: not a valid variable name", path)
		}
		if seen[e.Name] {
			return fmt.Errorf("%s: given twice", path)
		}
		seen[e.Name] = true
		if err := checkText(e.Value); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

// checkText reports why s cannot be a value handed on, without repeating it.
func checkText(s string) error {
	switch {
	case !utf8.ValidString(s):
		return errors.New("not valid UTF-8")
	case strings.IndexByte(s, 0) >= 0:
		// No environment variable or API parameter can hold one, and a value cut short
		// there would be a different secret.
		return errors.New("must not contain a NUL character")
	}
	return nil
}

// sortEnvs sorts envs by name.
func sortEnvs(envs []Env) {
	slices.SortFunc(envs, func(a, b Env) int { return strings.Compare(a.Name, b.Name) })
}
