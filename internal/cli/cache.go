package cli

import (
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
		Use:     "list [options]",
		Short:   "List cached credentials and when they expire (never a secret)",
		Example: "  rolehop cache list",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := a.storeFor(cmd)
			if err != nil {
				return err
			}
			entries, err := credcache.New(credcache.InSecretStore(store), credcache.Options{Log: a.log, LookupEnv: a.sys.LookupEnv}).List()
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
