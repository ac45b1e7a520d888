package cli

import (
	"context"

	"fmt"
	"github.com/spf13/pflag"
	"io"
	"strings"

	"github.com/rolehop/rolehop/internal/authprovider"
	"github.com/rolehop/rolehop/internal/awsenv"
	"github.com/rolehop/rolehop/internal/settings/spec"
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

// terragruntRoleWarning says, when Terragrunt's own role variables are set, that rolehop as its
// auth provider is not the only one to assume a role: Terragrunt assumes that role with the
// credentials rolehop prints, and rolehop reads the same variables before any rolehop.hcl, so
// the role each folder's file names is not used. "" when none is set.
func terragruntRoleWarning(lookupEnv func(string) (string, bool)) string {
	var set []string
	for _, s := range spec.Settings() {
		if s.Key != spec.KeyIAMRole {
			continue
		}
		for _, name := range s.Env {
			v, _ := lookupEnv(name)
			if !strings.HasPrefix(name, "ROLEHOP_") && strings.TrimSpace(v) != "" {
				set = append(set, name)
			}
		}
	}
	switch len(set) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("env %s is set: Terragrunt assumes that role too, with the credentials rolehop prints, and rolehop reads it before any rolehop.hcl, whose iam_role is then overridden; unset it and let rolehop choose the role", set[0])
	}
	return fmt.Sprintf("env %s are set: Terragrunt assumes that role too, with the credentials rolehop prints, and rolehop reads them before any rolehop.hcl, whose iam_role is then overridden; unset them and let rolehop choose the role", strings.Join(set, " and "))
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
			return a.env(cmd.Context(), envInput{settings: cmd.Flags(), format: format})
		},
	}
	c.Flags().StringVar(&format, "format", string(shellenv.SH), "output `FORMAT`: "+strings.Join(formats(), ", "))
	return credentialCommand(c)
}

// envInput is what env runs with.
type envInput struct {
	settings *pflag.FlagSet // the settings' flags, as parsed
	format   string
}

// env gets the credentials and prints what exec would set, in the format asked for.
func (a *app) env(ctx context.Context, in envInput) error {
	f, err := shellenv.ParseFormat(in.format)
	if err != nil && in.format != formatTerragrunt {
		return &usageError{fmt.Errorf("flag --format: unknown format %q; use one of %s", in.format, strings.Join(formats(), ", "))}
	}
	s, err := a.credentials(ctx, in.settings, false)
	if err != nil {
		return err
	}
	e := s.environment()
	if in.format == formatTerragrunt {
		if w := terragruntRoleWarning(a.sys.LookupEnv); w != "" {
			fmt.Fprintln(a.sys.Stderr, "rolehop: warning: "+w)
		}
		return writeTerragrunt(a.sys.Stdout, s, e)
	}
	return shellenv.Write(a.sys.Stdout, f, e.Set, e.Unset)
}
