package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rolehop/rolehop/internal/authprovider"
	"github.com/rolehop/rolehop/internal/awsenv"
	"github.com/rolehop/rolehop/internal/chain"
	"github.com/rolehop/rolehop/internal/plan"
	"github.com/rolehop/rolehop/internal/run"
	"github.com/rolehop/rolehop/internal/settings"
	"github.com/rolehop/rolehop/internal/source"
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
	root.SetFlagErrorFunc(a.flagError)
	commands := a.commands()
	if build, ok := commands[a.named()]; ok {
		// Only the command that runs is made: the others' flags and help cost every start
		// a fraction of a millisecond for nothing. So is cobra's completion command, which
		// it would make on every run otherwise: `completion` and `__complete` get the full tree.
		root.AddCommand(build())
		root.CompletionOptions.DisableDefaultCmd = true
	} else {
		for _, name := range slices.Sorted(maps.Keys(commands)) {
			root.AddCommand(commands[name]())
		}
		root.InitDefaultCompletionCmd()
		completionScripts(root)
	}
	// Every Use line already says where the options go. A word two edits from a subcommand is
	// taken for a typo of it (see unknownCommand).
	var quiet func(*cobra.Command)
	quiet = func(c *cobra.Command) {
		c.DisableFlagsInUseLine = true
		c.SuggestionsMinimumDistance = 2
		if c.HasSubCommands() && !c.Runnable() {
			// A group such as credentials shows its help, but a word after it that is none of
			// its subcommands is an error, not the help.
			c.Args, c.RunE = noArgs, func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		}
		for _, sub := range c.Commands() {
			quiet(sub)
		}
	}
	quiet(root)
	return root
}

// commands are rolehop's commands by name, each made by its function.
func (a *app) commands() map[string]func() *cobra.Command {
	return map[string]func() *cobra.Command{
		"exec": a.execCmd, "env": a.envCmd, "console": a.consoleCmd, "whoami": a.whoamiCmd, "config": a.configCmd,
		"policy": a.policyCmd, "credentials": a.credentialsCmd, "cache": a.cacheCmd, "profiles": a.profilesCmd,
		"credential-process": a.credentialProcessCmd, "trust": a.trustCmd, "login": a.loginCmd,
		"logout": a.logoutCmd, "sso": a.ssoCmd, "version": a.versionCmd,
	}
}

// named returns the command the arguments name: the first one that is not a flag of the
// root (its only one is --debug, which takes no value). Help, completion and an unknown
// command get "", and so every command.
func (a *app) named() string {
	for _, arg := range a.sys.Args {
		if arg == "--debug" {
			continue
		}
		if strings.HasPrefix(arg, "-") {
			return ""
		}
		return arg
	}
	return ""
}

// setup prepares the logger before any command runs. ROLEHOP_LOG=info is the level without
// --debug: only exec --server's refresh messages are logged at it.
func (a *app) setup(cmd *cobra.Command, _ []string) error {
	if isCompletion(cmd) {
		a.forCompletion(cmd.Root())
	}
	if cmd != nil {
		if err := emptyFlag(cmd.Flags()); err != nil {
			return err
		}
	}
	level, _ := a.sys.LookupEnv("ROLEHOP_LOG")
	level = strings.TrimSpace(level)
	if level != "" && !strings.EqualFold(level, "debug") && !strings.EqualFold(level, "info") {
		return fmt.Errorf("env ROLEHOP_LOG: %q is not debug or info", level)
	}
	if outer, _ := a.sys.LookupEnv(loopEnv); outer != "" {
		a.outerProfiles = strings.Split(outer, "\n")
	}
	a.debugLog = a.debug || strings.EqualFold(level, "debug")
	if a.debugLog {
		a.log = slog.New(slog.NewTextHandler(a.sys.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	} else {
		a.log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// emptyFlag returns a usage error for the first flag given an empty value (--iam-role "",
// --region=): that is never what was meant, and the layers below the flag must not quietly
// take its place.
func emptyFlag(fs *pflag.FlagSet) error {
	var err error
	fs.Visit(func(f *pflag.Flag) {
		vals := []string{f.Value.String()}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			vals = sv.GetSlice()
		}
		for _, v := range vals {
			if err == nil && strings.TrimSpace(v) == "" {
				err = &usageError{fmt.Errorf("flag --%s: value is empty; give a value or leave the flag out", f.Name)}
			}
		}
	})
	return err
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return unknownCommand(cmd, args[0])
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
	return a.resolveRows(flags, false)
}

// resolveRows is resolve, with a row for every setting in the result when allRows is set (and
// when debug lines are logged, which show every row).
func (a *app) resolveRows(flags *pflag.FlagSet, allRows bool) (*settings.Result, error) {
	res, err := settings.Resolve(settings.Inputs{Flags: flags, LookupEnv: a.sys.LookupEnv, Dir: a.sys.Dir, Stderr: a.sys.Stderr, Trusted: a.trusted(),
		AllEntries: allRows || a.debugLog})
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

// session is what a command hands on: the credentials first fetched, the source that
// fetches them again, and the store settings of the run.
type session struct {
	src   *source.Source
	creds aws.Credentials
	store settings.Store
	// signals are exec's forwarded signals, caught since the settings were resolved; nil
	// when they are caught only as the command starts.
	signals *run.Signals
}

// forwarding returns the signals exec forwards to its command, caught already or from now on.
func (s *session) forwarding() *run.Signals {
	if s.signals != nil {
		return s.signals
	}
	return run.Catch()
}

// environment is what exec and env hand to the command.
func (s *session) environment() awsenv.Environment {
	e := awsenv.For(s.creds, s.src.Region())
	e.Extend(s.src.Envs())
	return e
}

// credentials resolves the settings once, builds the run's credential source and fetches the
// first credentials. forExec is set for exec, the one command on which the server setting
// (exec --server, which fetches again behind the running command) applies.
func (a *app) credentials(ctx context.Context, flags *pflag.FlagSet, forExec bool) (*session, error) {
	return a.credentialsChecked(ctx, flags, forExec, nil)
}

// credentialsChecked is credentials with check, when set, applied to the plan the settings
// make before anything is run or fetched: a command's own rules on it fail before any call.
func (a *app) credentialsChecked(ctx context.Context, flags *pflag.FlagSet, forExec bool, check func(*plan.Plan) error) (*session, error) {
	res, err := a.resolve(flags)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(&res.Plan); err != nil {
			return nil, err
		}
	}
	if !forExec {
		res.Store.Server = false
	}
	p := res.Plan
	var signals *run.Signals
	if forExec && leavesSignalsAlone(&p) {
		// Caught in the background while the credentials are got: see leavesSignalsAlone.
		signals = run.Catch()
	}
	cache, keys, store, err := a.storeOptions(res)
	if err != nil {
		return nil, err
	}
	profile := chain.SDKProfile(&p, a.sys.LookupEnv)
	if err := a.enterProfile(profile, p.ProfileOrigin); err != nil {
		return nil, err
	}
	var keysVersion func(string) (string, bool)
	if keys != nil {
		keysVersion = store.CredentialsVersion
	}
	src := source.New(p, source.Options{
		Chain:    chain.Options{Log: a.log, Cache: cache, Keys: keys, KeysVersion: keysVersion, STSTimeout: res.Store.STSTimeout, LookupEnv: a.sys.LookupEnv, SSO: a.ssoBase(ctx, store)},
		Provider: authprovider.Command{Dir: a.sys.Dir, Env: a.sys.Environ, Stdin: a.sys.Stdin, Terminal: true, Stderr: a.sys.Stderr},
	})
	creds, err := src.Retrieve(ctx)
	if err != nil {
		return nil, a.loopOr(err, profile, p.ProfileOrigin)
	}
	return &session{src: src, creds: creds, store: res.Store, signals: signals}, nil
}

func (a *app) out(cmd *cobra.Command) io.Writer { return cmd.OutOrStdout() }
