package cli

import (
	"strings"

	"github.com/rolehop/rolehop/internal/awsenv"
	"github.com/rolehop/rolehop/internal/shellenv"
	"github.com/spf13/cobra"
)

func (a *app) envCmd() *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "env [options]",
		Short: "Print the credentials as export lines for eval",
		Long: `Resolve the credentials and print the variables exec would set, with unset lines for the
inherited variables exec would remove, for eval in a shell. Every value is quoted, so no value
can run code whatever it contains.

Formats: sh (bash, zsh, dash, ksh), fish, powershell, dotenv (NAME='value' lines; no unsets) and
json (one object of the variables to set).`,
		Example: `  eval "$(rolehop env --iam-role arn:aws:iam::111111111111:role/deploy --duration 2h)"
  rolehop env --format fish --iam-role arn:aws:iam::111111111111:role/deploy | source
  rolehop env --format powershell | Invoke-Expression
  rolehop env --format dotenv > .env.aws`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := shellenv.ParseFormat(format)
			if err != nil {
				return &usageError{err}
			}
			ch, creds, err := a.credentials(cmd.Context(), cmd.Flags())
			if err != nil {
				return err
			}
			e := awsenv.For(creds, ch.Region())
			return shellenv.Write(a.out(cmd), f, e.Set, e.Unset)
		},
	}
	c.Flags().StringVar(&format, "format", string(shellenv.SH), "output `FORMAT`: "+strings.Join(shellenv.Formats(), ", "))
	return credentialCommand(c)
}
