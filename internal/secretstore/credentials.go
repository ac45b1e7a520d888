package secretstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// credentialsPrefix starts the keys of long-term credentials.
const credentialsPrefix = "credentials:"

// Credentials are a long-term AWS access key.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
}

// storedCredentials is how Credentials are stored.
type storedCredentials struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
}

// Listed describes stored credentials without their secret.
type Listed struct {
	Name string
	// KeyIDEnd is the last 4 characters of the access key ID.
	KeyIDEnd string
}

// ValidName reports whether name can name credentials: 1 to 64 of [A-Za-z0-9._-].
func ValidName(name string) error {
	ok := name != "" && len(name) <= 64
	for i := 0; ok && i < len(name); i++ {
		ok = isAlnum(name[i]) || strings.IndexByte("._-", name[i]) >= 0
	}
	if !ok {
		return fmt.Errorf("invalid credentials name %q: use 1 to 64 letters, digits, '.', '_' and '-'", name)
	}
	return nil
}

// validate checks the shape of c. Its errors never quote c: a secret pasted into the wrong
// field must not end up on the screen or in a log.
func (c Credentials) validate() error {
	id := c.AccessKeyID
	ok := len(id) >= 16 && len(id) <= 128
	for i := 0; ok && i < len(id); i++ {
		ok = 'A' <= id[i] && id[i] <= 'Z' || '0' <= id[i] && id[i] <= '9'
	}
	switch {
	case !ok:
		return errors.New("invalid access key ID: want 16 to 128 upper-case letters and digits, like AKIAIOSFODNN7EXAMPLE")
	case strings.HasPrefix(id, "ASIA"):
		return errors.New("the access key ID starts with ASIA: it is part of temporary credentials, which need a session token; add a long-term access key (AKIA...)")
	case c.SecretAccessKey == "":
		return errors.New("empty secret access key")
	case strings.ContainsFunc(c.SecretAccessKey, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return errors.New("the secret access key contains spaces or control characters")
	}
	return nil
}

// AddCredentials stores c under name, replacing any credentials of that name.
func (s *Store) AddCredentials(name string, c Credentials) error {
	if err := ValidName(name); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return fmt.Errorf("credentials %q: %w", name, err)
	}
	data, err := json.Marshal(storedCredentials(c))
	if err != nil {
		return fmt.Errorf("credentials %q: %w", name, err)
	}
	return s.Set(credentialsPrefix+name, data, "rolehop credentials "+name)
}

// Credentials returns the credentials stored under name. When there are none its error wraps
// ErrNotFound and says how to add them.
func (s *Store) Credentials(name string) (Credentials, error) {
	if err := ValidName(name); err != nil {
		return Credentials{}, err
	}
	data, err := s.Get(credentialsPrefix + name)
	if errors.Is(err, ErrNotFound) {
		return Credentials{}, fmt.Errorf("credentials %q %w (add them with: rolehop credentials add %s)", name, ErrNotFound, name)
	}
	if err != nil {
		return Credentials{}, err
	}
	var c storedCredentials
	if json.Unmarshal(data, &c) != nil || Credentials(c).validate() != nil {
		return Credentials{}, fmt.Errorf("credentials %q are damaged (add them again with: rolehop credentials add %s)", name, name)
	}
	return Credentials(c), nil
}

// ListCredentials returns the names of the stored credentials and the end of their access key
// IDs, sorted by name.
func (s *Store) ListCredentials() ([]Listed, error) {
	keys, err := s.Keys(credentialsPrefix)
	if err != nil {
		return nil, err
	}
	var out []Listed
	for _, k := range keys {
		name := strings.TrimPrefix(k, credentialsPrefix)
		if ValidName(name) != nil {
			continue
		}
		c, err := s.Credentials(name)
		if errors.Is(err, ErrNotFound) {
			continue // removed since Keys
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Listed{Name: name, KeyIDEnd: c.AccessKeyID[len(c.AccessKeyID)-4:]})
	}
	return out, nil
}

// RemoveCredentials deletes the credentials stored under name; that there are none is an
// error.
func (s *Store) RemoveCredentials(name string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	keys, err := s.Keys(credentialsPrefix)
	if err != nil {
		return err
	}
	if !slices.Contains(keys, credentialsPrefix+name) {
		return fmt.Errorf("credentials %q %w", name, ErrNotFound)
	}
	return s.Remove(credentialsPrefix + name)
}

// CredentialsVersion returns, without decrypting them, a value that changes whenever the
// credentials stored under name are stored again, where the backend can tell: the encrypted
// file backend hashes the item's file (each write encrypts with a fresh salt and nonce). ok
// is false for the other backends, whose reads cost no key derivation, and when there is no
// such item or it cannot be read: read the credentials then.
func (s *Store) CredentialsVersion(name string) (version string, ok bool) {
	f, isFile := s.kr.(*fileBackend)
	if !isFile || ValidName(name) != nil {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return f.version(credentialsPrefix + name)
}
