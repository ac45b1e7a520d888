package sso

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rolehop/rolehop/internal/secretstore"
)

// Store is where tokens and the registered client are kept; secretstore.Store satisfies it.
// Nothing of them is ever written to a file of rolehop's own, a log or the config.
type Store interface {
	Get(key string) ([]byte, error)
	Set(key string, data []byte, label string) error
	Remove(key string) error
}

// token is what a login leaves in the store.
type token struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// client is a registered public OIDC client.
type client struct {
	ID        string    `json:"id"`
	Secret    string    `json:"secret"`
	ExpiresAt time.Time `json:"expires_at"`
}

// tokenKey names the token of a start URL in the store: the URL is hashed because the store
// takes only a few characters in its keys.
func tokenKey(startURL string) string {
	h := sha256.Sum256([]byte(startURL))
	return "sso:token:" + hex.EncodeToString(h[:16])
}

// clientKey names the registered client of a region and scopes in the store.
func clientKey(region string, scopes []string) string {
	h := sha256.Sum256(fmt.Append(nil, scopes))
	return "sso:client:" + region + ":" + hex.EncodeToString(h[:8])
}

// load reads the JSON stored under key into v; found is false when there is none.
func load(s Store, key string, v any) (found bool, err error) {
	data, err := s.Get(key)
	if errors.Is(err, secretstore.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if json.Unmarshal(data, v) != nil {
		return false, nil // damaged: treated as absent and replaced
	}
	return true, nil
}

func save(s Store, key, label string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.Set(key, data, label)
}
