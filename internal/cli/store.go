package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rolehop/rolehop/internal/credcache"
	"github.com/rolehop/rolehop/internal/credserver"
	"github.com/rolehop/rolehop/internal/plan"
	"github.com/rolehop/rolehop/internal/secretstore"
	"github.com/rolehop/rolehop/internal/settings"
	"github.com/rolehop/rolehop/internal/tty"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// openStore opens the secret store. Only when the user needs it (stored credentials, the
// credentials and cache commands) may opening it ask for a passphrase, and only on a terminal:
// the cache alone never prompts. --debug says which backend it opened, and why that one.
func (a *app) openStore(st settings.Store, mayAsk bool) (*secretstore.Store, error) {
	store, err := secretstore.Open(secretstore.Options{
		Backend:     st.Backend,
		LookupEnv:   a.sys.LookupEnv,
		Interactive: mayAsk && tty.Interactive(),
		Prompt:      func(prompt string) (string, error) { return tty.AskHidden("", prompt) },
	})
	if err != nil {
		return nil, err
	}
	attrs := []any{"backend", store.Backend(), "chosen", storeChoice(st)}
	if skipped := store.Skipped(); len(skipped) > 0 {
		attrs = append(attrs, "skipped", strings.Join(skipped, "; "))
	}
	a.log.Debug("secret store opened", attrs...)
	return store, nil
}

// storeChoice says why the store has the backend it has: named by a setting, or the first
// of this platform's that opened.
func storeChoice(st settings.Store) string {
	if st.Backend != "" {
		return "named by " + st.BackendOrigin.String()
	}
	return "the first that opened"
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
				if notice := cacheOffNotice(&res.Plan, err); notice != "" {
					fmt.Fprintln(a.sys.Stderr, "rolehop: warning: "+notice)
				}
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

// cacheOffNotice says, when the cache is off for want of a store rolehop chose itself, what
// that costs and how to turn it on: "" when it costs no MFA code. Without the cache every run
// asks for a new code (and an IAM Identity Center base needs the store anyway: storeRequired).
// A run that needs no code loses only an STS call, which CI jobs with no store make every time:
// it says nothing there, or such jobs would all print the line.
func cacheOffNotice(p *plan.Plan, err error) string {
	if !needsMFACode(p) {
		return ""
	}
	const how = "choose a store with --keyring-backend, or turn the cache off with --no-cache (ROLEHOP_NO_CACHE=1) to hide this"
	head := "the credential cache is off, so every run needs a new MFA code: "
	if errors.Is(err, secretstore.ErrNoPassphrase) {
		return head + "the file keyring needs " + secretstore.PassphraseEnv + ", which the cache never asks for; set it, " + how
	}
	return head + "no secret store could be opened (--debug says why); fix that, " + how
}

// needsMFACode reports whether getting p's credentials asks for an MFA code.
func needsMFACode(p *plan.Plan) bool {
	return p.MFA != nil || slices.ContainsFunc(p.Hops, func(h plan.Hop) bool { return h.MFASerial != "" })
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
	st, err := a.storeSettings(cmd)
	if err != nil {
		return nil, err
	}
	return a.openStore(st, true)
}

// storeSettings resolves the store settings of a command made by storeCommand.
func (a *app) storeSettings(cmd *cobra.Command) (settings.Store, error) {
	return settings.ResolveStore(settings.Inputs{Flags: cmd.Flags(), LookupEnv: a.sys.LookupEnv, Dir: a.sys.Dir, Stderr: a.sys.Stderr})
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return &usageError{fmt.Errorf("%s takes %d argument(s), got %d", cmd.CommandPath(), n, len(args))}
		}
		return nil
	}
}
