package cli

import (
	"fmt"
	"github.com/rolehop/rolehop/internal/credserver"

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

// storeOptions opens what a credential-fetching run needs from the store: stored long-term
// keys, and the store for the cache, which credcache.Choose turns into the run's cache (none,
// the store, or memory for exec --server). A store that cannot be opened stops the run only
// when the user asked for it (storeRequired).
func (a *app) storeOptions(res *settings.Result) (cache *credcache.Cache, keys func(string) (aws.Credentials, error), store *secretstore.Store, err error) {
	st := res.Store
	needKeys := res.Plan.StoredCredentials != ""
	needSSO := res.Plan.SSO != nil
	if !st.NoCache || needKeys || needSSO {
		if store, err = a.openStore(st, needKeys || needSSO); err != nil {
			if err := storeRequired(res, err); err != nil {
				return nil, nil, nil, err
			}
			if !st.NoCache {
				a.log.Debug("credential cache off: no usable secret store", "reason", err.Error())
			}
		}
	}
	var cacheIn credcache.Store
	if store != nil && !st.NoCache {
		cacheIn = credcache.InSecretStore(store)
	}
	cache = credcache.Choose(cacheIn, credcache.Use{
		Off: st.NoCache, LongRun: st.Server, FreshFor: credserver.FreshFor, MinTTL: st.MinTTL, LookupEnv: a.sys.LookupEnv, Log: a.log,
	})
	if needKeys {
		keys = func(name string) (aws.Credentials, error) {
			c, err := store.Credentials(name)
			if err != nil {
				return aws.Credentials{}, err
			}
			return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, Source: "rolehop credentials " + name}, nil
		}
	}
	return cache, keys, store, nil
}

// storeRequired says whether a store that failed to open with err fails the run: it does when
// the user asked for it, for stored keys or by naming the backend the cache should use. With
// the backend left to rolehop, the cache is only a convenience and quietly goes without.
func storeRequired(res *settings.Result, err error) error {
	switch {
	case res.Plan.StoredCredentials != "":
		return fmt.Errorf("%s: %w", res.Plan.StoredOrigin, err)
	case res.Plan.SSO != nil:
		return fmt.Errorf("%s: %w; IAM Identity Center tokens are kept there", res.Plan.SSO.Origin, err)
	case res.Store.Backend != "" && !res.Store.NoCache:
		return fmt.Errorf("%s: %w; the credential cache needs it: fix that, choose another backend, or turn the cache off with --no-cache", res.Store.BackendOrigin, err)
	}
	return nil
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
