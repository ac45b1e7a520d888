package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"

	"github.com/rolehop/rolehop/internal/browser"
	"github.com/rolehop/rolehop/internal/console"
	"github.com/rolehop/rolehop/internal/plan"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// signinEndpointEnv overrides the partition's federation endpoint, for tests.
const signinEndpointEnv = "ROLEHOP_SIGNIN_ENDPOINT"

func (a *app) consoleCmd() *cobra.Command {
	var in consoleInput
	c := &cobra.Command{
		Use:   "console [options]",
		Short: "Open the AWS web console signed in with the credentials",
		Long: `Resolve the credentials as exec does, exchange them for a sign-in token at the AWS federation
endpoint of their partition, and open the console in the browser ($BROWSER, else xdg-open, or
open on macOS), signed in as that identity. With --print, print the sign-in URL on stdout instead.

Long-term keys with no role sign in through STS GetFederationToken, as a federated user named
after the session name, with the IAM user's own permissions. An MFA session with no role cannot
sign in: name a role.

The sign-in URL signs anyone in for 15 minutes. The browser gets a one-time link on 127.0.0.1
that forwards it, so the URL itself is never on a command line; --print writes it to stdout only.`,
		Example: `  rolehop console --iam-role arn:aws:iam::111111111111:role/deploy
  rolehop console --profile prod --destination s3 --region eu-west-1
  rolehop console --destination '/cloudwatch/home#logsV2:log-groups'
  rolehop console --print --iam-role arn:aws:iam::111111111111:role/read-only`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in.settings = cmd.Flags()
			in.destinationSet = cmd.Flags().Changed("destination")
			return a.console(cmd.Context(), in)
		},
	}
	c.Flags().StringVar(&in.destination, "destination", "", "open the console at `PAGE`: a path (/s3/home), a service (s3) or an https console URL (default the console home)")
	c.Flags().BoolVar(&in.print, "print", false, "print the sign-in URL on stdout instead of opening a browser; it signs anyone in for 15 minutes")
	return credentialCommand(c)
}

// consoleInput is what console runs with.
type consoleInput struct {
	settings       *pflag.FlagSet // the settings' flags, as parsed
	destination    string
	destinationSet bool // --destination was given, maybe empty
	print          bool
}

// console gets the credentials, signs them in at the federation endpoint, and opens the
// console in the browser or prints the sign-in URL. Everything that can be checked without
// credentials is checked first: the destination, the endpoint, the browser and the plan.
func (a *app) console(ctx context.Context, in consoleInput) error {
	if in.destinationSet && in.destination == "" {
		return &usageError{errors.New("flag --destination: value is empty; give a console path (/s3/home), a service name (s3) or an https console URL, or leave the flag out")}
	}
	dest, err := console.ParseDestination(in.destination)
	if err != nil {
		return fmt.Errorf("flag --destination: %w", err)
	}
	override, err := a.signinEndpoint()
	if err != nil {
		return err
	}
	var launcher *browser.Launcher
	if !in.print {
		if launcher, err = browser.Find(a.sys.Environ, a.sys.Dir, runtime.GOOS); err != nil {
			return noBrowser(err)
		}
	}
	s, err := a.credentialsChecked(ctx, in.settings, false, func(p *plan.Plan) error {
		if p.AuthProvider != nil {
			return nil // its role and keys are known once it has run
		}
		_, _, err := consoleTarget(p, p.Region, dest)
		return err
	})
	if err != nil {
		return err
	}
	login, err := a.signIn(ctx, s, dest, override)
	if err != nil {
		return err
	}
	if in.print {
		_, err := fmt.Fprintln(a.sys.Stdout, login)
		return err
	}
	return a.openConsole(ctx, launcher, login)
}

// consoleTarget checks that the credentials of p can sign in, and returns the hosts of their
// partition and the destination URL on its console with region.
func consoleTarget(p *plan.Plan, region string, dest console.Destination) (console.Hosts, string, error) {
	if m := p.MFA; m != nil && !m.OnAssume && len(p.Hops) == 0 {
		return console.Hosts{}, "", fmt.Errorf("%s: an MFA session (GetSessionToken) cannot sign in to the console, and GetFederationToken, which signs in long-term keys, takes no MFA code; sign in as a role (--iam-role), or leave out the MFA device to sign in as the IAM user", m.Origin)
	}
	hosts, err := console.HostsOf(console.Partition(p, region))
	if err != nil {
		return console.Hosts{}, "", err
	}
	u, err := dest.URL(hosts, region)
	if err != nil {
		return console.Hosts{}, "", fmt.Errorf("flag --destination: %w", err)
	}
	return hosts, u, nil
}

// signIn turns the session's credentials into a sign-in URL: long-term keys first become a
// federated user's session (GetFederationToken), then the federation endpoint exchanges the
// session for a sign-in token.
func (a *app) signIn(ctx context.Context, s *session, dest console.Destination, override *url.URL) (string, error) {
	p := s.src.Plan()
	hosts, destination, err := consoleTarget(&p, s.src.SetRegion(), dest)
	if err != nil {
		return "", err
	}
	creds, duration := s.creds, console.SessionDuration(&p, a.sys.LookupEnv)
	if creds.SessionToken == "" {
		name, err := console.FederatedName(&p)
		if err != nil {
			return "", err
		}
		if creds, err = s.src.FederationToken(ctx, name, p.Defaults.Duration); err != nil {
			return "", err
		}
		duration = 0 // the federation endpoint refuses one for a GetFederationToken session
	}
	endpoint := hosts.Federation()
	if override != nil {
		endpoint = override
	}
	client := console.Client{Endpoint: endpoint, Log: a.log}
	token, err := client.SigninToken(ctx, creds, duration)
	if err != nil {
		return "", err
	}
	return console.LoginURL(endpoint, destination, token), nil
}

// signinEndpoint reads ROLEHOP_SIGNIN_ENDPOINT: nil when it is not set.
func (a *app) signinEndpoint() (*url.URL, error) {
	v, _ := a.sys.LookupEnv(signinEndpointEnv)
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	u, err := console.ParseEndpoint(v)
	if err != nil {
		return nil, fmt.Errorf("env %s: %w", signinEndpointEnv, err)
	}
	a.log.Debug("sign-in endpoint", "endpoint", u.String(), "source", "env "+signinEndpointEnv)
	return u, nil
}

// openConsole hands the sign-in URL to the browser through a one-time link on 127.0.0.1,
// and waits until the browser has taken it.
func (a *app) openConsole(ctx context.Context, l *browser.Launcher, login string) error {
	h, err := console.NewHandoff(login)
	if err != nil {
		return err
	}
	defer h.Close()
	a.log.Debug("opening the console", "browser", l.Name())
	exited, err := l.Open(h.URL())
	if err != nil {
		return fmt.Errorf("cannot start the browser: %w; fix BROWSER, or use --print and open the sign-in URL yourself", err)
	}
	return console.Wait(ctx, h.Served(), l.Name(), exited, console.WaitLimit)
}

// noBrowser explains why no browser can be opened.
func noBrowser(err error) error {
	if errors.Is(err, browser.ErrNone) {
		return fmt.Errorf("%w: set BROWSER (or DISPLAY, for xdg-open), or use --print to print the sign-in URL", err)
	}
	return fmt.Errorf("%w; fix BROWSER, or use --print to print the sign-in URL", err)
}
