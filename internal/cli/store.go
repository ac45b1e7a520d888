package cli

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rolehop/rolehop/internal/credcache"
	"github.com/rolehop/rolehop/internal/secretstore"
	"github.com/rolehop/rolehop/internal/settings"
	"github.com/rolehop/rolehop/internal/tty"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// openStore opens the secret store. Only when the user needs it (stored credentials, the
// credentials and cache commands) may opening it ask for a passphrase, and only on a terminal:
// the cache alone never prompts.
func (a *app) openStore(st settings.Store, mayAsk bool) (*secretstore.Store, error) {
	return secretstore.Open(secretstore.Options{
		Backend:     st.Backend,
		LookupEnv:   a.sys.LookupEnv,
		Interactive: mayAsk && tty.Interactive(),
		Prompt:      func(prompt string) (string, error) { return tty.AskHidden("", prompt) },
	})
}

// cacheStore lets the credential cache use the secret store.
type cacheStore struct{ *secretstore.Store }

func (s cacheStore) Get(key string) ([]byte, bool, error) {
	b, err := s.Store.Get(key)
	if errors.Is(err, secretstore.ErrNotFound) {
		return nil, false, nil
	}
	return b, err == nil, err
}

// storeOptions opens what a credential-fetching run needs from the store: the cache (unless
// turned off, and silently off when no store can be used and none was chosen) and stored
// long-term keys.
func (a *app) storeOptions(res *settings.Result) (cache *credcache.Cache, keys func(string) (aws.Credentials, error), err error) {
	needKeys := res.Plan.StoredCredentials != ""
	if res.Store.NoCache && !needKeys && !res.Store.Server {
		return nil, nil, nil
	}
	store, err := a.openStore(res.Store, needKeys)
	if err != nil {
		if err := storeRequired(res, err); err != nil {
			return nil, nil, err
		}
	}
	minTTL := res.Store.MinTTL
	if res.Store.Server {
		// The server refreshes credentials 20 minutes before they expire: cached ones with less
		// left than that would only be handed back.
		minTTL = max(minTTL, serverMinTTL)
	}
	switch {
	case res.Store.NoCache && res.Store.Server, err != nil && res.Store.Server:
		// A long run refreshes by running the chain again; a cache in memory (never on disk)
		// keeps the MFA session between refreshes, so the code is asked once.
		if a.mem == nil {
			a.mem = newMemStore()
		}
		cache = credcache.New(a.mem, credcache.Options{MinTTL: minTTL, Log: a.log, LookupEnv: a.sys.LookupEnv})
	case err != nil:
		a.log.Debug("credential cache off: no usable secret store", "reason", err.Error())
	case !res.Store.NoCache:
		cache = credcache.New(cacheStore{store}, credcache.Options{MinTTL: minTTL, Log: a.log, LookupEnv: a.sys.LookupEnv})
	}
	if needKeys {
		keys = func(name string) (aws.Credentials, error) {
			c, err := store.Credentials(name)
			if err != nil {
				return aws.Credentials{}, err
			}
			return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, Source: "rolehop credentials " + name}, nil
		}
	}
	return cache, keys, nil
}

// storeRequired says whether a store that failed to open with err fails the run: it does when
// the user asked for it, for stored keys or by naming the backend the cache should use. With
// the backend left to rolehop, the cache is only a convenience and quietly goes without.
func storeRequired(res *settings.Result, err error) error {
	switch {
	case res.Plan.StoredCredentials != "":
		return fmt.Errorf("%s: %w", res.Plan.StoredOrigin, err)
	case res.Store.Backend != "" && !res.Store.NoCache:
		return fmt.Errorf("%s: %w; the credential cache needs it: fix that, choose another backend, or turn the cache off with --no-cache", res.Store.BackendOrigin, err)
	}
	return nil
}

// serverMinTTL is how much life cached credentials need for exec --server to use them.
const serverMinTTL = 25 * time.Minute

// memStore keeps cache entries in memory, for exec --server without a usable secret store.
type memStore struct {
	mu    sync.Mutex
	items map[string]memItem
}

type memItem struct {
	data  []byte
	label string
}

func newMemStore() *memStore { return &memStore{items: map[string]memItem{}} }

func (m *memStore) Get(key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[key]
	return it.data, ok, nil
}

func (m *memStore) Set(key string, data []byte, label string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[key] = memItem{data: append([]byte(nil), data...), label: label}
	return nil
}

func (m *memStore) Remove(key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.items, key)
	return nil
}

func (m *memStore) Keys(prefix string) ([]string, error) {
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

func (m *memStore) Label(key string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.items[key].label, nil
}

// storeCommand makes a command that takes only the store's settings.
func storeCommand(c *cobra.Command) *cobra.Command {
	fs := pflag.NewFlagSet("store", pflag.ContinueOnError)
	settings.AddFlags(fs)
	for _, name := range []string{"keyring-backend", "config"} {
		c.Flags().AddFlag(fs.Lookup(name))
	}
	return c
}

func (a *app) storeFor(cmd *cobra.Command) (*secretstore.Store, error) {
	st, err := settings.ResolveStore(settings.Inputs{Flags: cmd.Flags(), LookupEnv: a.sys.LookupEnv, Dir: a.sys.Dir, Stderr: a.sys.Stderr})
	if err != nil {
		return nil, err
	}
	return a.openStore(st, true)
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return &usageError{fmt.Errorf("%s takes %d argument(s), got %d", cmd.CommandPath(), n, len(args))}
		}
		return nil
	}
}
