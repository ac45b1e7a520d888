package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/rolehop/rolehop/internal/display"
	"github.com/rolehop/rolehop/internal/secretstore"
	"github.com/rolehop/rolehop/internal/tty"
	"github.com/spf13/cobra"
)

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
	var fromEnv, force bool
	add := storeCommand(&cobra.Command{
		Use:   "add [options] NAME",
		Short: "Store long-term keys under NAME (asked on the terminal, or --from-env)",
		Long: `Store long-term keys under NAME, asked on the terminal (hidden) or read from
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY with --from-env. Keys already stored under NAME are
replaced only when you say so on the terminal, or with --force.`,
		Example: `  rolehop credentials add work
  rolehop credentials add ci --from-env --force`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := secretstore.ValidName(args[0]); err != nil {
				return &usageError{err}
			}
			var creds secretstore.Credentials
			var err error
			if fromEnv {
				if creds, err = a.readKeys(true); err != nil {
					return err
				}
			}
			store, err := a.storeFor(cmd)
			if err != nil {
				return err
			}
			if err := mayReplace(store, args[0], force); err != nil {
				return err
			}
			if !fromEnv {
				if creds, err = a.readKeys(false); err != nil {
					return err
				}
			}
			if err := store.AddCredentials(args[0], creds); err != nil {
				return err
			}
			fmt.Fprintf(a.out(cmd), "stored %q (%s) in the %s secret store\n", args[0], display.KeyID(creds.AccessKeyID), store.Backend())
			return nil
		},
	})
	add.Flags().BoolVar(&fromEnv, "from-env", false, "read AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead of asking")
	add.Flags().BoolVar(&force, "force", false, "replace keys already stored under NAME without asking")
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

// mayReplace says whether keys may be stored under name: none are stored there yet, force says
// to replace them, or the user agrees on the terminal. It asks before the keys are typed.
func mayReplace(store *secretstore.Store, name string, force bool) error {
	old, err := store.Credentials(name)
	if errors.Is(err, secretstore.ErrNotFound) || force {
		return nil
	}
	what := fmt.Sprintf("credentials %q are already stored", name)
	if err == nil {
		// Damaged keys have no key ID to show, and may be replaced all the same.
		what += " (" + display.KeyID(old.AccessKeyID) + ")"
	}
	answer, err := tty.Ask("", what+"; replace them? [y/N] ")
	if errors.Is(err, tty.ErrNoTerminal) {
		return fmt.Errorf("%s; add --force to replace them", what)
	}
	if err != nil {
		return err
	}
	if a := strings.ToLower(answer); a != "y" && a != "yes" {
		return fmt.Errorf("credentials %q not replaced", name)
	}
	return nil
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
		return secretstore.Credentials{}, errors.New("no terminal to ask for the keys on; use --from-env")
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
