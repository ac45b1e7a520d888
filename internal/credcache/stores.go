package credcache

import (
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rolehop/rolehop/internal/secretstore"
)

// InSecretStore keeps cache entries in rolehop's secret store.
func InSecretStore(s *secretstore.Store) Store { return secretStoreCache{s} }

type secretStoreCache struct{ *secretstore.Store }

func (s secretStoreCache) Get(key string) ([]byte, bool, error) {
	b, err := s.Store.Get(key)
	if errors.Is(err, secretstore.ErrNotFound) {
		return nil, false, nil
	}
	return b, err == nil, err
}

// MemStore keeps cache entries in memory, never on disk: for one long run (exec --server)
// without a usable secret store, so that refreshes still reuse the MFA session. It is safe for
// use by several goroutines.
type MemStore struct {
	mu    sync.Mutex
	items map[string]memItem
}

type memItem struct {
	data  []byte
	label string
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{items: map[string]memItem{}} }

// Get returns the data stored under key.
func (m *MemStore) Get(key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[key]
	return slices.Clone(it.data), ok, nil
}

// Set stores a copy of data under key.
func (m *MemStore) Set(key string, data []byte, label string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[key] = memItem{data: slices.Clone(data), label: label}
	return nil
}

// Remove deletes key.
func (m *MemStore) Remove(key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.items, key)
	return nil
}

// Keys returns every key that starts with prefix.
func (m *MemStore) Keys(prefix string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k := range m.items {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// Label returns the label key was stored with.
func (m *MemStore) Label(key string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[key]
	if !ok {
		return "", errors.New("no cache entry " + key)
	}
	return it.label, nil
}

// Use is what a run asks of the cache.
type Use struct {
	// Off is set when the user turned the cache off.
	Off bool
	// LongRun is set for a run that fetches again behind a running command (exec --server):
	// with no store, or the cache off, it keeps a cache in memory for the run, so an MFA
	// session is asked for once however often the chain runs again.
	LongRun bool
	// FreshFor is, for a long run, how much life cached credentials need to be used: less, and
	// the run would only be handed them back to refresh them at once.
	FreshFor time.Duration
	// MinTTL is how much life cached credentials need otherwise.
	MinTTL time.Duration
	Log    *slog.Logger
	// LookupEnv reads XDG_CACHE_HOME and HOME for the lock directory.
	LookupEnv func(string) (string, bool)
}

// Choose returns the cache a run uses: in store (nil when there is no usable one), in memory
// for a long run without it, or nil for no cache.
func Choose(store Store, u Use) *Cache {
	o := Options{MinTTL: u.MinTTL, Log: u.Log, LookupEnv: u.LookupEnv}
	if u.LongRun {
		o.MinTTL = max(o.MinTTL, u.FreshFor)
	}
	switch {
	case u.LongRun && (u.Off || store == nil):
		return New(NewMemStore(), o)
	case u.Off || store == nil:
		return nil
	}
	return New(store, o)
}
