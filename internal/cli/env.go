package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/rolehop/rolehop/internal/authprovider"
	"github.com/rolehop/rolehop/internal/awsenv"
	"github.com/rolehop/rolehop/internal/shellenv"
	"github.com/spf13/cobra"
)

// formatTerragrunt prints the auth provider schema, so rolehop can be Terragrunt's
// --auth-provider-cmd.
const formatTerragrunt = "terragrunt"

func formats() []string { return append(shellenv.Formats(), formatTerragrunt) }

// writeTerragrunt writes the credentials, and the other variables exec would set (the region,
// an auth provider's envs), in Terragrunt's auth provider schema.
func writeTerragrunt(w io.Writer, s *session, e awsenv.Environment) error {
	var envs []authprovider.Env
	for _, v := range e.Set {
		if !awsenv.Reserved(v.Name) {
			envs = append(envs, authprovider.Env{Name: v.Name, Value: v.Value})
		}
	}
	creds := authprovider.Credentials{AccessKeyID: s.creds.AccessKeyID, SecretAccessKey: s.creds.SecretAccessKey, SessionToken: s.creds.SessionToken}
	return authprovider.Write(w, creds, envs)
}

func (a *app) envCmd() *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "env [options]",
		Short: "Print the credentials as export lines for eval",
		Long: `Resolve the credentials and print the variables exec would set, with unset lines for the
inherited variables exec would remove, for eval in a shell. Every value is quoted, so no value
can run code whatever it contains.

Formats: sh (bash, zsh, dash, ksh), fish, powershell, dotenv (NAME='value' lines; no unsets),
json (one object of the variables to set), and terragrunt (Terragrunt's auth provider schema:
awsCredentials, and envs with the region and any auth provider variables).`,
		Example: `  eval "$(rolehop env --iam-role arn:aws:iam::111111111111:role/deploy --duration 2h)"
  rolehop env --format fish --iam-role arn:aws:iam::111111111111:role/deploy | source
  rolehop env --format powershell | Invoke-Expression
  rolehop env --format dotenv > .env.aws
  terragrunt run --all plan --auth-provider-cmd "rolehop env --format terragrunt --iam-role arn:aws:iam::111111111111:role/deploy"`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := shellenv.ParseFormat(format)
			if err != nil && format != formatTerragrunt {
				return &usageError{fmt.Errorf("unknown format %q; use one of %s", format, strings.Join(formats(), ", "))}
			}
			s, err := a.credentials(cmd.Context(), cmd.Flags(), false)
			if err != nil {
				return err
			}
			e := s.environment()
			if format == formatTerragrunt {
				return writeTerragrunt(a.out(cmd), s, e)
			}
			return shellenv.Write(a.out(cmd), f, e.Set, e.Unset)
		},
	}
	c.Flags().StringVar(&format, "format", string(shellenv.SH), "output `FORMAT`: "+strings.Join(formats(), ", "))
	return credentialCommand(c)
}
