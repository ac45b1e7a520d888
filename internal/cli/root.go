package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rolehop/rolehop/internal/chain"
	"github.com/rolehop/rolehop/internal/settings"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "rolehop",
		Short: "Get the right temporary AWS credentials for a command",
		Long: `rolehop assumes IAM roles (AssumeRole, AssumeRoleWithWebIdentity, chains of roles) and hands
the temporary credentials to a command, or prints them as export lines for eval.

Settings come from flags, then environment variables, then rolehop.hcl files in the working
directory and its parents, then defaults. Run 'rolehop config' to see what applies and why.`,
		Example: `  rolehop exec --iam-role arn:aws:iam::111111111111:role/deploy -- terraform apply
  eval "$(rolehop env --iam-role arn:aws:iam::111111111111:role/deploy --duration 2h)"
  rolehop whoami
  rolehop config`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		Args:              noArgs,
		RunE:              func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		PersistentPreRunE: a.setup,
	}
	root.PersistentFlags().BoolVar(&a.debug, "debug", false, "log settings and STS calls to stderr (never secrets) [env ROLEHOP_LOG=debug]")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(a.execCmd(), a.envCmd(), a.whoamiCmd(), a.configCmd(), a.versionCmd())
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Example = `  source <(rolehop completion bash)
  rolehop completion zsh > "${fpath[1]}/_rolehop"
  rolehop completion fish | source
  rolehop completion powershell | Out-String | Invoke-Expression`
		}
	}
	return root
}

// setup prepares the logger before any command runs.
func (a *app) setup(cmd *cobra.Command, _ []string) error {
	level, _ := a.sys.LookupEnv("ROLEHOP_LOG")
	if a.debug || strings.EqualFold(level, "debug") {
		a.log = slog.New(slog.NewTextHandler(a.sys.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	} else {
		a.log = slog.New(slog.DiscardHandler)
	}
	return nil
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &usageError{fmt.Errorf("unknown command or argument %q for %q", args[0], cmd.CommandPath())}
	}
	return nil
}

// credentialCommand makes a command that takes every setting's flag.
func credentialCommand(c *cobra.Command) *cobra.Command {
	settings.AddFlags(c.Flags())
	c.Flags().SortFlags = false
	return c
}

// resolve takes the settings from flags, environment and files, and logs them.
func (a *app) resolve(flags *pflag.FlagSet) (*settings.Result, error) {
	res, err := settings.Resolve(settings.Inputs{Flags: flags, LookupEnv: a.sys.LookupEnv, Dir: a.sys.Dir})
	if err != nil {
		return nil, err
	}
	for _, e := range res.Entries {
		a.log.Debug("setting", "name", e.Key, "value", e.Value, "source", e.Source.String())
	}
	return res, nil
}

// credentials resolves the settings and fetches the credentials they ask for.
func (a *app) credentials(ctx context.Context, flags *pflag.FlagSet) (*chain.Chain, aws.Credentials, error) {
	res, err := a.resolve(flags)
	if err != nil {
		return nil, aws.Credentials{}, err
	}
	ch, err := chain.New(ctx, &res.Plan, a.log)
	if err != nil {
		return nil, aws.Credentials{}, err
	}
	creds, err := ch.Retrieve(ctx)
	if err != nil {
		return nil, aws.Credentials{}, err
	}
	return ch, creds, nil
}

func (a *app) out(cmd *cobra.Command) io.Writer { return cmd.OutOrStdout() }
