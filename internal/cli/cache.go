package cli

import (
	"cmp"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/rolehop/rolehop/internal/credcache"
	"github.com/spf13/cobra"
)

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
		Use:   "list [options]",
		Short: "List cached credentials, when they expire and whose they are (never a secret)",
		Long: `Lists each cached set of credentials (the MFA session, each role), when it expires, and the base
identity its chain starts from, so that entries of the same role from two identities can be
told apart: a key ID is shown by its last 4 characters only. The first line names the secret
store the list came from, and why rolehop uses that one.`,
		Example: "  rolehop cache list",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.storeSettings(cmd)
			if err != nil {
				return err
			}
			store, err := a.openStore(st, true)
			if err != nil {
				return err
			}
			entries, err := credcache.New(credcache.InSecretStore(store), credcache.Options{Log: a.log, LookupEnv: a.sys.LookupEnv}).List()
			if err != nil {
				return err
			}
			fmt.Fprintf(a.out(cmd), "secret store: %s (%s)\n", store.Backend(), storeChoice(st))
			w := tabwriter.NewWriter(a.out(cmd), 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "CACHED\tEXPIRES\tBASE")
			for _, e := range entries {
				fmt.Fprintf(w, "%s\t%s (in %s)\t%s\n", e.Description, e.Expires.UTC().Format(time.RFC3339), time.Until(e.Expires).Round(time.Second), cmp.Or(e.Base, "unknown"))
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
			n, err := credcache.New(credcache.InSecretStore(store), credcache.Options{Log: a.log, LookupEnv: a.sys.LookupEnv}).Clear()
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
