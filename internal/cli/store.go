package cli

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"text/tabwriter"
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
// turned off, and silently off when no store can be used) and stored long-term keys.
func (a *app) storeOptions(res *settings.Result) (cache *credcache.Cache, keys func(string) (aws.Credentials, error), err error) {
	needKeys := res.Plan.StoredCredentials != ""
	if res.Store.NoCache && !needKeys && !res.Store.Server {
		return nil, nil, nil
	}
	store, err := a.openStore(res.Store, needKeys)
	if err != nil && needKeys {
		return nil, nil, fmt.Errorf("%s: %w", res.Plan.StoredOrigin, err)
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
		cache = credcache.New(a.mem, credcache.Options{MinTTL: minTTL, Log: a.log})
	case err != nil:
		a.log.Debug("credential cache off: no usable secret store", "reason", err.Error())
	case !res.Store.NoCache:
		cache = credcache.New(cacheStore{store}, credcache.Options{MinTTL: minTTL, Log: a.log})
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

func (a *app) credentialsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "credentials",
		Short: "Keep long-term AWS keys in the secret store instead of a plaintext file",
		Long: `Keep long-term AWS access keys in the secret store (the OS keychain, Secret Service, KWallet,
pass, the kernel keyring, or an encrypted file), never in plaintext. Use them as the base
credentials with --credentials NAME.`,
		Example: `  rolehop credentials add work
  AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... rolehop credentials add work --from-env
  rolehop credentials list
  rolehop exec --credentials work --serial-number arn:aws:iam::123456789012:mfa/jane --iam-role arn:aws:iam::111111111111:role/deploy -- terraform plan
  rolehop credentials remove work`,
		Args: noArgs,
	}
	var fromEnv bool
	add := storeCommand(&cobra.Command{
		Use:   "add [options] NAME",
		Short: "Store long-term keys under NAME (asked on the terminal, or --from-env)",
		Example: `  rolehop credentials add work
  rolehop credentials add ci --from-env`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := secretstore.ValidName(args[0]); err != nil {
				return &usageError{err}
			}
			creds, err := a.readKeys(fromEnv)
			if err != nil {
				return err
			}
			store, err := a.storeFor(cmd)
			if err != nil {
				return err
			}
			if err := store.AddCredentials(args[0], creds); err != nil {
				return err
			}
			fmt.Fprintf(a.out(cmd), "stored %q (%s) in the %s secret store\n", args[0], keyEnd(creds.AccessKeyID), store.Backend())
			return nil
		},
	})
	add.Flags().BoolVar(&fromEnv, "from-env", false, "read AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead of asking")
	list := storeCommand(&cobra.Command{
		Use:     "list [options]",
		Short:   "List stored keys (names and the end of each key ID; never a secret)",
		Example: "  rolehop credentials list",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := a.storeFor(cmd)
			if err != nil {
				return err
			}
			items, err := store.ListCredentials()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(a.out(cmd), 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tACCESS KEY ID")
			for _, it := range items {
				fmt.Fprintf(w, "%s\t****%s\n", it.Name, it.KeyIDEnd)
			}
			return w.Flush()
		},
	})
	remove := storeCommand(&cobra.Command{
		Use:     "remove [options] NAME",
		Short:   "Remove stored keys",
		Example: "  rolehop credentials remove work",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := a.storeFor(cmd)
			if err != nil {
				return err
			}
			if err := store.RemoveCredentials(args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.out(cmd), "removed %q\n", args[0])
			return nil
		},
	})
	c.AddCommand(add, list, remove)
	return c
}

// readKeys reads long-term keys from the environment or the terminal, never from arguments.
func (a *app) readKeys(fromEnv bool) (secretstore.Credentials, error) {
	if fromEnv {
		id, _ := a.sys.LookupEnv("AWS_ACCESS_KEY_ID")
		secret, _ := a.sys.LookupEnv("AWS_SECRET_ACCESS_KEY")
		if id == "" || secret == "" {
			return secretstore.Credentials{}, &usageError{errors.New("--from-env needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set")}
		}
		return secretstore.Credentials{AccessKeyID: id, SecretAccessKey: secret}, nil
	}
	id, err := tty.AskHidden("", "AWS access key ID: ")
	if errors.Is(err, tty.ErrNoTerminal) {
		return secretstore.Credentials{}, &usageError{errors.New("no terminal to ask for the keys on; use --from-env")}
	}
	if err != nil {
		return secretstore.Credentials{}, err
	}
	secret, err := tty.AskHidden("", "AWS secret access key: ")
	if err != nil {
		return secretstore.Credentials{}, err
	}
	return secretstore.Credentials{AccessKeyID: id, SecretAccessKey: secret}, nil
}

func keyEnd(id string) string {
	if len(id) < 4 {
		return "****"
	}
	return "****" + id[len(id)-4:]
}

func (a *app) cacheCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "cache",
		Short: "See or clear the cached credentials",
		Long: `rolehop caches MFA sessions and assumed-role credentials in the secret store, so repeated runs
make no STS call and ask for an MFA code once per MFA session. Entries are keyed on everything
that changes the result; expired entries are removed when seen.`,
		Example: `  rolehop cache list
  rolehop cache clear`,
		Args: noArgs,
	}
	list := storeCommand(&cobra.Command{
		Use:     "list [options]",
		Short:   "List cached credentials and when they expire (never a secret)",
		Example: "  rolehop cache list",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := a.storeFor(cmd)
			if err != nil {
				return err
			}
			entries, err := credcache.New(cacheStore{store}, credcache.Options{Log: a.log}).List()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(a.out(cmd), 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "CACHED\tEXPIRES")
			for _, e := range entries {
				fmt.Fprintf(w, "%s\t%s (in %s)\n", e.Description, e.Expires.UTC().Format(time.RFC3339), time.Until(e.Expires).Round(time.Second))
			}
			return w.Flush()
		},
	})
	clear := storeCommand(&cobra.Command{
		Use:     "clear [options]",
		Short:   "Remove every cached credential",
		Example: "  rolehop cache clear",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := a.storeFor(cmd)
			if err != nil {
				return err
			}
			n, err := credcache.New(cacheStore{store}, credcache.Options{Log: a.log}).Clear()
			if err != nil {
				return err
			}
			fmt.Fprintf(a.out(cmd), "removed %d cached credentials\n", n)
			return nil
		},
	})
	c.AddCommand(list, clear)
	return c
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return &usageError{fmt.Errorf("%s takes %d argument(s), got %d", cmd.CommandPath(), n, len(args))}
		}
		return nil
	}
}
