package chain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rolehop/rolehop/internal/credcache"
	"github.com/rolehop/rolehop/internal/display"
	"github.com/rolehop/rolehop/internal/plan"
)

// keyParts gives the cache key of a step: its Parts are everything that changes its result,
// from the base identity to the step itself, and its Base names that identity for people. It
// is a function because the base identity's access key ID is known only once its credentials
// are read.
type keyParts func(ctx context.Context) (credcache.Key, error)

// with returns the key with more parts after its own.
func (k keyParts) with(more ...string) keyParts {
	return func(ctx context.Context) (credcache.Key, error) {
		key, err := k(ctx)
		if err != nil {
			return credcache.Key{}, err
		}
		key.Parts = append(slices.Clone(key.Parts), more...)
		return key, nil
	}
}

// tokenParts keys a web identity hop on a hash of its token, so that a new token (another CI
// job, another service account) is a new entry, and on the STS region and endpoint it is
// fetched from, as every other step is. The token replaces the base identity, which the hop
// does not use; people see the start of the hash.
func (c *Chain) tokenParts(tok *memoToken) keyParts {
	sts := c.stsParts()
	return func(ctx context.Context) (credcache.Key, error) {
		b, err := tok.Token(ctx)
		if err != nil {
			return credcache.Key{}, &tokenError{err}
		}
		sum := sha256.Sum256(b)
		hash := hex.EncodeToString(sum[:])
		return credcache.Key{
			Parts: append(slices.Clone(sts), "web_identity_token_sha256="+hash),
			Base:  "web identity token (sha256 " + hash[:12] + ")",
		}, nil
	}
}

// baseParts keys the base credentials on where they come from and their access key ID, and
// the STS region and endpoint every step is fetched from.
func (c *Chain) baseParts(name string) keyParts {
	sts := c.stsParts()
	base := c.creds
	return func(ctx context.Context) (credcache.Key, error) {
		creds, err := base.Retrieve(ctx)
		if err != nil {
			return credcache.Key{}, err
		}
		identity := []string{"base=" + name, "access_key_id=" + creds.AccessKeyID}
		return credcache.Key{Parts: append(identity, sts...), Base: baseLabel(name, identity)}, nil
	}
}

// fixedParts key a base on what defines its identity (see profileBase), known without
// reading its credentials, and the STS region and endpoint; label names it for people.
func (c *Chain) fixedParts(identity []string, label string) keyParts {
	key := credcache.Key{Parts: append(slices.Clone(identity), c.stsParts()...), Base: baseLabel(label, identity)}
	return func(context.Context) (credcache.Key, error) { return key, nil }
}

// baseLabel names a base identity for people: label, and the last 4 characters of the access
// key ID among its identity parts, if there is one. Never the whole key ID, never a secret.
func baseLabel(label string, identity []string) string {
	for _, p := range identity {
		if id, ok := strings.CutPrefix(p, "access_key_id="); ok {
			return label + " (" + display.KeyID(id) + ")"
		}
	}
	return label
}

// stsParts are the STS region the steps are fetched from, and what the SDK picks the endpoint
// from (see endpointInputs).
func (c *Chain) stsParts() []string {
	return []string{"sts_region=" + c.region, "sts_endpoint_settings=" + c.endpoint}
}

// hopParts are the values that change what a hop returns.
func hopParts(i int, h *plan.Hop) []string {
	var tags []string
	for _, t := range h.Tags {
		tags = append(tags, t.Key+"="+t.Value)
	}
	return []string{
		fmt.Sprintf("hop=%d", i+1),
		"role_arn=" + h.Role.String(),
		"session_name=" + h.SessionName,
		"duration=" + h.Duration.String(),
		"external_id=" + h.ExternalID,
		"source_identity=" + h.SourceIdentity,
		"tags=" + strings.Join(tags, "\x00"),
		"transitive_tag_keys=" + strings.Join(h.TransitiveTagKeys, "\x00"),
		"policy=" + h.Policy,
		"policy_arns=" + strings.Join(h.PolicyARNs, "\x00"),
		"mfa_serial=" + h.MFASerial,
	}
}

// cached serves a step from the cache under the key its parts give.
type cached struct {
	cache *credcache.Cache
	parts keyParts
	desc  string
	inner aws.CredentialsProvider
}

func (c *cached) Retrieve(ctx context.Context) (aws.Credentials, error) {
	key, err := c.parts(ctx)
	if err != nil {
		return aws.Credentials{}, err
	}
	key.Description = c.desc
	return c.cache.Provider(key, c.inner).Retrieve(ctx)
}

// memoToken hands out the same web identity token for a minute, so that keying the cache on
// the token and then assuming the role with it fetches it once.
type memoToken struct {
	src plan.TokenSource
	mu  sync.Mutex
	tok []byte
	at  time.Time
}

func (m *memoToken) Token(ctx context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tok != nil && time.Since(m.at) < time.Minute {
		return m.tok, nil
	}
	tok, err := m.src.Token(ctx)
	if err != nil {
		return nil, err
	}
	m.tok, m.at = tok, time.Now()
	return tok, nil
}

// GetIdentityToken is what the SDK's web identity provider asks.
func (m *memoToken) GetIdentityToken() ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), tokenTimeout)
	defer cancel()
	tok, err := m.Token(ctx)
	if err != nil {
		return nil, &tokenError{err}
	}
	return tok, nil
}

// CachedUntil returns when the credentials the cache holds for the end of the chain expire,
// without an STS call; ok is false when the chain has no cache, no step to cache, or the cache
// holds none. Working out the key may read the base credentials (stored keys, a token file).
func (c *Chain) CachedUntil(ctx context.Context) (until time.Time, ok bool, err error) {
	if c.cache == nil || !c.cached {
		return time.Time{}, false, nil
	}
	key, err := c.parts(ctx)
	if err != nil {
		return time.Time{}, false, err
	}
	until, ok = c.cache.Expires(key)
	return until, ok, nil
}
