package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rolehop/rolehop/internal/authprovider"
	"github.com/rolehop/rolehop/internal/awsenv"
	"github.com/rolehop/rolehop/internal/chain"
	"github.com/rolehop/rolehop/internal/plan"
	"github.com/rolehop/rolehop/internal/settings"
	"github.com/rolehop/rolehop/internal/shellenv"
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
	root.AddCommand(a.execCmd(), a.envCmd(), a.whoamiCmd(), a.configCmd(), a.credentialsCmd(), a.cacheCmd(), a.credentialProcessCmd(), a.trustCmd(), a.versionCmd())
	root.InitDefaultCompletionCmd()
	// Every Use line already says where the options go.
	var quiet func(*cobra.Command)
	quiet = func(c *cobra.Command) {
		c.DisableFlagsInUseLine = true
		for _, sub := range c.Commands() {
			quiet(sub)
		}
	}
	quiet(root)
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

// setup prepares the logger before any command runs. ROLEHOP_LOG=info is the level without
// --debug: only exec --server's refresh messages are logged at it.
func (a *app) setup(cmd *cobra.Command, _ []string) error {
	level, _ := a.sys.LookupEnv("ROLEHOP_LOG")
	level = strings.TrimSpace(level)
	if level != "" && !strings.EqualFold(level, "debug") && !strings.EqualFold(level, "info") {
		return fmt.Errorf("env ROLEHOP_LOG: %q is not debug or info", level)
	}
	if outer, _ := a.sys.LookupEnv(loopEnv); outer != "" {
		a.outerProfiles = strings.Split(outer, "\n")
	}
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
	res, err := settings.Resolve(settings.Inputs{Flags: flags, LookupEnv: a.sys.LookupEnv, Dir: a.sys.Dir, Stderr: a.sys.Stderr, Trusted: a.trusted()})
	if err != nil {
		return nil, err
	}
	for _, e := range res.Entries {
		a.log.Debug("setting", "name", e.Key, "value", e.Value, "source", e.Source.String())
	}
	for _, f := range res.Trust {
		a.log.Debug("config file", "file", f.File, "trusted", f.Trusted, "why", f.Why)
	}
	return res, nil
}

// session is what a command hands on: the chain, the credentials at its end, and the extra
// variables an auth provider asked for.
type session struct {
	chain *chain.Chain
	creds aws.Credentials
	envs  []shellenv.Var
	store settings.Store
}

// environment is what exec and env hand to the command.
func (s *session) environment() awsenv.Environment {
	e := awsenv.For(s.creds, s.chain.Region())
	e.Extend(s.envs)
	return e
}

// credentials resolves the settings, runs the auth provider if there is one, and fetches the
// credentials they ask for.
func (a *app) credentials(ctx context.Context, flags *pflag.FlagSet) (*session, error) {
	res, err := a.resolve(flags)
	if err != nil {
		return nil, err
	}
	p := res.Plan
	if p.AuthProvider != nil {
		if p, err = a.runProvider(ctx, p); err != nil {
			return nil, err
		}
	}
	cache, keys, err := a.storeOptions(res)
	if err != nil {
		return nil, err
	}
	profile := chain.SDKProfile(&p, a.sys.LookupEnv)
	if err := a.enterProfile(profile, p.ProfileOrigin); err != nil {
		return nil, err
	}
	ch, err := chain.New(ctx, &p, chain.Options{Log: a.log, Cache: cache, Keys: keys, STSTimeout: res.Store.STSTimeout, LookupEnv: a.sys.LookupEnv})
	if err != nil {
		return nil, err
	}
	creds, err := ch.Retrieve(ctx)
	if err != nil {
		return nil, a.loopOr(err, profile, p.ProfileOrigin)
	}
	s := &session{chain: ch, creds: creds, store: res.Store}
	for _, e := range p.Envs {
		s.envs = append(s.envs, shellenv.Var{Name: e.Name, Value: e.Value})
	}
	return s, nil
}

// runProvider runs the auth provider command once and applies what it said to the plan.
func (a *app) runProvider(ctx context.Context, p plan.Plan) (plan.Plan, error) {
	ap := p.AuthProvider
	stdin := a.sys.Stdin
	if a.background {
		stdin = nil
	}
	res, err := authprovider.Command{
		Line: ap.Command, Dir: a.sys.Dir, Env: a.sys.Environ, Timeout: ap.Timeout,
		Stdin: stdin, Terminal: !a.background, Stderr: a.sys.Stderr,
	}.Run(ctx)
	if err != nil {
		return plan.Plan{}, fmt.Errorf("%s: %w", ap.Origin, err)
	}
	name := authprovider.Program(ap.Command)
	a.log.Debug("auth provider", "command", name, "returned", strings.Join(res.Objects(), ","))
	origin := fmt.Sprintf("%s: auth provider %s", ap.Origin, name)
	for _, e := range res.Envs {
		if err := checkProviderEnv(e); err != nil {
			return plan.Plan{}, fmt.Errorf("%s: envs.%s: %w", origin, e.Name, err)
		}
	}
	return p.WithProvider(res, origin)
}

// checkProviderEnv checks a variable an auth provider asks rolehop to set for the command: one
// rolehop may hand on, and, for the region, a region name (the command would use it as is).
func checkProviderEnv(e authprovider.Env) error {
	if err := awsenv.CheckProviderVar(e.Name); err != nil {
		return err
	}
	if strings.EqualFold(e.Name, "AWS_REGION") || strings.EqualFold(e.Name, "AWS_DEFAULT_REGION") {
		return plan.CheckRegion(e.Value)
	}
	return nil
}

func (a *app) out(cmd *cobra.Command) io.Writer { return cmd.OutOrStdout() }
