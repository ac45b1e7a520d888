package cli

import (
	"context"

	"github.com/rolehop/rolehop/internal/plan"
	"github.com/rolehop/rolehop/internal/run"
	"github.com/rolehop/rolehop/internal/settings"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func (a *app) execCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "exec [options] [--] [COMMAND [ARGS...]]",
		Short: "Run a command with the credentials",
		Long: `Resolve the credentials, then run COMMAND with them in its environment: AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (and AWS_SECURITY_TOKEN), AWS_SESSION_EXPIRATION and
AWS_CREDENTIAL_EXPIRATION, AWS_REGION and AWS_DEFAULT_REGION (the region STS was called in:
--region, else the profile's, else the role partition's default, such as us-east-1), and
ROLEHOP_IDENTITY (ACCOUNT/ROLE-NAME of the last role, for shell prompts) when there is a role. Every
inherited variable that could make an AWS SDK pick another identity (AWS_PROFILE,
AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_CONTAINER_CREDENTIALS_*, ...) is removed.

With --server, the command gets a local credential endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI
and AWS_CONTAINER_AUTHORIZATION_TOKEN) instead, which refreshes the credentials before they
expire, so a long run never sees them expire.

Without COMMAND, starts $SHELL. SIGINT, SIGTERM and SIGHUP are passed to the command, and
rolehop exits with its status. If rolehop cannot get the credentials, the command does not run.

Exit status: the command's own; 125 when rolehop fails; 126 when COMMAND cannot be executed;
127 when it is not found.`,
		Example: `  rolehop exec --iam-role arn:aws:iam::111111111111:role/deploy -- terraform apply
  ROLEHOP_IAM_ROLE=arn:aws:iam::111111111111:role/deploy rolehop exec -- aws sts get-caller-identity
  rolehop exec --iam-role arn:aws:iam::111111111111:role/ci --iam-web-identity-token /var/run/oidc/token -- tofu plan
  rolehop exec --iam-role arn:aws:iam::222222222222:role/hub --iam-role arn:aws:iam::111111111111:role/deploy
  rolehop exec --server --iam-role arn:aws:iam::111111111111:role/deploy -- terraform apply`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.exec(cmd.Context(), execInput{settings: cmd.Flags(), argv: args})
		},
	}
	c.Flags().SetInterspersed(false)
	settings.AddExecFlags(c.Flags())
	c.Flags().SortFlags = false
	return c
}

// execInput is what exec runs with.
type execInput struct {
	// settings holds the settings' flags, as parsed.
	settings *pflag.FlagSet
	// argv is the command; empty means the user's shell.
	argv []string
}

// exec gets the credentials, then runs the command with them (or, with the server setting,
// with a local endpoint that serves them). Its error is the command's status (childStatus), or
// why rolehop could not run it.
func (a *app) exec(ctx context.Context, in execInput) error {
	s, err := a.credentials(ctx, in.settings, true)
	if err != nil {
		return err
	}
	argv := in.argv
	if len(argv) == 0 {
		argv = []string{a.shell()}
	}
	if s.store.Server {
		return a.execServer(ctx, s, argv)
	}
	e := s.environment()
	e.SetIdentity(s.src.IdentityName())
	status, err := s.forwarding().Command(ctx, argv, e.ForCommand().Apply(a.sys.Environ), run.Stdio{Stdin: a.sys.Stdin, Stdout: a.sys.Stdout, Stderr: a.sys.Stderr})
	if err != nil {
		return &exitError{code: status, err: err}
	}
	return childStatus(status)
}

// leavesSignalsAlone reports whether getting p's credentials handles no signal of its own, so
// that exec may start catching the signals it forwards as soon as p is known: catching them
// costs a round trip to the Go runtime's signal thread each, which then overlaps opening the
// store and reading the cache. Until the command starts, a signal caught does what it would
// have done uncaught (run.Signals). That would cut short what rolehop does for an auth
// provider, an MFA code command or a CI token program (stop it with its group and say why),
// so a plan that may run one, or ask for an MFA code, or sign in to IAM Identity Center,
// catches them as the command starts.
func leavesSignalsAlone(p *plan.Plan) bool {
	if p.AuthProvider != nil || p.MFA != nil || p.SSO != nil {
		return false
	}
	for _, h := range p.Hops {
		if h.MFASerial != "" || h.WebIdentityToken != nil {
			return false
		}
	}
	return true
}

func (a *app) shell() string {
	if sh, ok := a.sys.LookupEnv("SHELL"); ok && sh != "" {
		return sh
	}
	return "/bin/sh"
}
