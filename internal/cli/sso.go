package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/rolehop/rolehop/internal/awsfiles"
	"github.com/rolehop/rolehop/internal/awsprofile"
	"github.com/rolehop/rolehop/internal/browser"
	"github.com/rolehop/rolehop/internal/chain"
	"github.com/rolehop/rolehop/internal/plan"
	"github.com/rolehop/rolehop/internal/secretstore"
	"github.com/rolehop/rolehop/internal/settings"
	"github.com/rolehop/rolehop/internal/sso"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// ssoCommand makes a command that takes the settings that choose a session and the store.
func ssoCommand(c *cobra.Command) *cobra.Command {
	fs := pflag.NewFlagSet("sso", pflag.ContinueOnError)
	settings.AddFlags(fs)
	for _, name := range []string{"sso-session", "profile", "keyring-backend", "config"} {
		c.Flags().AddFlag(fs.Lookup(name))
	}
	c.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 1 {
			return &usageError{fmt.Errorf("%s takes at most one session name, got %d arguments", cmd.CommandPath(), len(args))}
		}
		return nil
	}
	return c
}

func (a *app) loginCmd() *cobra.Command {
	var noBrowser bool
	c := ssoCommand(&cobra.Command{
		Use:   "login [SESSION]",
		Short: "Sign in to IAM Identity Center; the tokens are kept in rolehop's secret store",
		Long: `login signs in to an IAM Identity Center session (an [sso-session NAME] of the AWS config
file) with the device authorization flow: it shows a URL and a code, opens the browser, and waits
for the sign-in to be approved. SESSION defaults to --sso-session, the session of --profile, or
the only session defined.`,
		Example: "  rolehop login corp\n  rolehop login --no-browser",
		RunE: func(cmd *cobra.Command, args []string) error {
			client, _, err := a.ssoClientFor(cmd, args)
			if err != nil {
				return err
			}
			if !noBrowser {
				client.OpenBrowser = a.browser()
			}
			if err := client.Login(cmd.Context()); err != nil {
				return err
			}
			expires, _, _ := client.State()
			fmt.Fprintf(a.sys.Stderr, "Logged in to %s until %s\n", client.Session.Name, expires.Local().Format("2006-01-02 15:04 MST"))
			return nil
		},
	})
	c.Flags().BoolVar(&noBrowser, "no-browser", false, "do not open a browser; open the URL shown yourself")
	return c
}

func (a *app) logoutCmd() *cobra.Command {
	return ssoCommand(&cobra.Command{
		Use:   "logout [SESSION]",
		Short: "Sign out of IAM Identity Center and forget the session's tokens and cached role credentials",
		RunE: func(cmd *cobra.Command, args []string) error {
			client, store, err := a.ssoClientFor(cmd, args)
			if err != nil {
				return err
			}
			if err := client.Logout(cmd.Context()); err != nil {
				return err
			}
			n, err := forgetRoleCredentials(store, client.Session.StartURL)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.sys.Stderr, "Logged out of %s (%d cached role credentials removed)\n", client.Session.Name, n)
			return nil
		},
	})
}

func (a *app) ssoCmd() *cobra.Command {
	c := &cobra.Command{Use: "sso", Short: "IAM Identity Center: the accounts and roles a login may use", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	var output string
	accounts := ssoCommand(&cobra.Command{
		Use:   "accounts [SESSION]",
		Short: "List every account the login may use and the roles it may use in each",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			_, list, err := a.ssoAccounts(cmd, args)
			if err != nil {
				return err
			}
			return writeAccounts(a.out(cmd), list, output)
		},
	})
	accounts.Flags().StringVar(&output, "output", "text", "`FORMAT`: text or json")
	profiles := ssoCommand(&cobra.Command{
		Use:   "profiles [SESSION]",
		Short: "Print AWS config profile blocks for every account and role the login may use",
		Long: `Print an ~/.aws/config profile block (sso_session, sso_account_id, sso_role_name) for every
account and role the login may use, named after the account's name and the role. Nothing is
written: redirect the output to add the blocks to a file.`,
		Example: `  rolehop sso profiles corp >> ~/.aws/config`,
		RunE: func(cmd *cobra.Command, args []string) error {
			session, list, err := a.ssoAccounts(cmd, args)
			if err != nil {
				return err
			}
			return writeSSOProfiles(a.out(cmd), session, list)
		},
	})
	c.AddCommand(accounts, profiles)
	return c
}

// writeSSOProfiles writes a profile block for every account and role. A profile is named
// ACCOUNT-NAME-ROLE, lower-cased, with what a profile name should not hold replaced by "-";
// the account ID is added when two accounts would give the same name.
func writeSSOProfiles(w io.Writer, session string, list []sso.Account) error {
	seen := map[string]int{}
	for _, acc := range list {
		for _, role := range acc.Roles {
			seen[profileName(acc.Name, role)]++
		}
	}
	for _, acc := range list {
		for _, role := range acc.Roles {
			name := profileName(acc.Name, role)
			if seen[name] > 1 || acc.Name == "" {
				name = profileName(acc.Name+"-"+acc.ID, role)
			}
			if _, err := fmt.Fprintf(w, "[profile %s]\nsso_session    = %s\nsso_account_id = %s\nsso_role_name  = %s\n\n", name, session, acc.ID, role); err != nil {
				return err
			}
		}
	}
	return nil
}

// profileName builds a profile name from an account's name and a role.
func profileName(account, role string) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, strings.TrimPrefix(account+"-"+role, "-"))
	return strings.Trim(name, "-")
}

func writeAccounts(w io.Writer, list []sso.Account, output string) error {
	if output == "json" {
		if list == nil {
			list = []sso.Account{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tNAME\tROLES")
	for _, acc := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", acc.ID, acc.Name, strings.Join(acc.Roles, ","))
	}
	return tw.Flush()
}

// ssoAccounts lists the accounts and roles of the session args or the settings name, with the
// session's name.
func (a *app) ssoAccounts(cmd *cobra.Command, args []string) (string, []sso.Account, error) {
	client, _, err := a.ssoClientFor(cmd, args)
	if err != nil {
		return "", nil, err
	}
	list, err := client.Accounts(cmd.Context())
	return client.Session.Name, list, err
}

// ssoClientFor builds the client of the session args or the settings name, with the store.
func (a *app) ssoClientFor(cmd *cobra.Command, args []string) (*sso.Client, *secretstore.Store, error) {
	name, st, err := settings.ResolveSSOSession(settings.Inputs{Flags: cmd.Flags(), LookupEnv: a.sys.LookupEnv, Dir: a.sys.Dir, Stderr: a.sys.Stderr})
	if err != nil {
		return nil, nil, err
	}
	if len(args) == 1 {
		name = args[0]
	}
	store, err := a.openStore(st, true)
	if err != nil {
		return nil, nil, err
	}
	client, err := a.ssoClient(cmd.Context(), name, store)
	return client, store, err
}

// ssoClient builds the client of the session called name; "" means the only one defined.
func (a *app) ssoClient(ctx context.Context, name string, store *secretstore.Store) (*sso.Client, error) {
	path := awsfiles.Locate(a.sys.LookupEnv).Config
	sessions, err := sso.Sessions(path)
	if err != nil {
		return nil, err
	}
	var s sso.Session
	switch {
	case name != "":
		if s, err = sso.Find(sessions, name, path); err != nil {
			legacy, ok := a.legacySession(ctx, name)
			if !ok {
				return nil, err
			}
			s = legacy
		}
	case len(sessions) == 1:
		s = sessions[0]
	case len(sessions) == 0:
		return nil, fmt.Errorf("no [sso-session NAME] in %s: add one with sso_start_url and sso_region", path)
	default:
		names := make([]string, len(sessions))
		for i, s := range sessions {
			names[i] = s.Name
		}
		return nil, &usageError{fmt.Errorf("%s defines sessions %s: name one (rolehop login NAME, or --sso-session)", path, strings.Join(names, ", "))}
	}
	return a.ssoClientOf(ctx, s, store)
}

// legacySession returns the session of a legacy profile called name: one with its own
// sso_start_url and sso_region and no sso_session, which is its own session under its name.
func (a *app) legacySession(ctx context.Context, name string) (sso.Session, bool) {
	home, _ := a.sys.LookupEnv("HOME")
	c, err := awsprofile.Load(ctx, name, awsprofile.Options{Files: awsfiles.Locate(a.sys.LookupEnv), Home: home})
	if err != nil || c.Base.SSOStartURL == "" || c.Base.SSORegion == "" {
		return sso.Session{}, false
	}
	return sso.Session{Name: name, StartURL: c.Base.SSOStartURL, Region: c.Base.SSORegion}, true
}

// ssoClientOf builds the client of the session s.
func (a *app) ssoClientOf(ctx context.Context, s sso.Session, store *secretstore.Store) (*sso.Client, error) {
	// The SDK's loader reads the endpoints (AWS_ENDPOINT_URL_SSO_OIDC, AWS_ENDPOINT_URL_SSO)
	// from the environment; the calls are unsigned or carry the token, never AWS keys.
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(s.Region), config.WithCredentialsProvider(aws.AnonymousCredentials{}), config.WithLogger(chain.SDKLogger(a.log)))
	if err != nil {
		return nil, fmt.Errorf("IAM Identity Center session %s: %w", s.Name, err)
	}
	home, _ := a.sys.LookupEnv("HOME")
	cliCache := ""
	if home != "" {
		cliCache = filepath.Join(home, ".aws", "sso", "cache")
	}
	return &sso.Client{Session: s, Store: store, AWS: cfg, Stderr: a.sys.Stderr, AWSCLICache: cliCache}, nil
}

// ssoBase gives the chain the credentials of an IAM Identity Center role.
func (a *app) ssoBase(ctx context.Context, store *secretstore.Store) func(p *plan.SSO) (aws.CredentialsProvider, string, error) {
	return func(p *plan.SSO) (aws.CredentialsProvider, string, error) {
		if store == nil {
			return nil, "", fmt.Errorf("%s: IAM Identity Center needs rolehop's secret store, which cannot be opened", p.Origin)
		}
		var client *sso.Client
		var err error
		if p.StartURL != "" {
			client, err = a.ssoClientOf(ctx, sso.Session{Name: p.Session, StartURL: p.StartURL, Region: p.Region}, store)
		} else {
			client, err = a.ssoClient(ctx, p.Session, store)
		}
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", p.Origin, err)
		}
		return client.RoleCredentials(p.AccountID, p.RoleName), client.Session.StartURL, nil
	}
}

// forgetRoleCredentials removes the cached credentials of every role of a start URL.
func forgetRoleCredentials(store *secretstore.Store, startURL string) (int, error) {
	keys, err := store.Keys("cache:")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		label, err := store.Label(k)
		if errors.Is(err, secretstore.ErrNotFound) {
			continue
		}
		if err != nil {
			return n, err
		}
		if strings.Contains(label, "IAM Identity Center role") && strings.Contains(label, "["+startURL+"]") {
			if err := store.Remove(k); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// browser returns what opens a URL: $BROWSER, else xdg-open or open; nil without a display.
func (a *app) browser() func(url string) error {
	l, err := browser.Find(a.sys.Environ, a.sys.Dir, runtime.GOOS)
	switch {
	case errors.Is(err, browser.ErrNone):
		return nil
	case err != nil:
		return func(string) error { return err }
	}
	return func(url string) error {
		_, err := l.Open(url)
		return err
	}
}

// ssoDescription describes an IAM Identity Center base for rolehop config: session, start URL,
// region, account, role and the state of the login, read without fetching anything or asking
// for a passphrase. It is "" without such a base.
func (a *app) ssoDescription(ctx context.Context, res *settings.Result) string {
	p := res.Plan.SSO
	if p == nil {
		return ""
	}
	head := fmt.Sprintf("IAM Identity Center role %s in account %s, session %s (%s)", p.RoleName, p.AccountID, p.Session, p.Origin)
	store, err := a.openStore(res.Store, false)
	if err != nil {
		return head + "; login: unknown (rolehop's secret store cannot be opened)"
	}
	client, err := a.ssoClient(ctx, p.Session, store)
	if err != nil {
		return head + "; " + err.Error()
	}
	s := client.Session
	head += fmt.Sprintf(", start URL %s, region %s", s.StartURL, s.Region)
	expires, ok, err := client.State()
	switch {
	case err != nil:
		return head + "; login: unknown (" + err.Error() + ")"
	case !ok:
		return head + "; login: none (run: rolehop login " + s.Name + ")"
	case time.Now().After(expires):
		return head + "; login: expired " + expires.Local().Format("2006-01-02 15:04 MST") + " (refreshed when next used, else run: rolehop login " + s.Name + ")"
	}
	return head + "; login: valid until " + expires.Local().Format("2006-01-02 15:04 MST")
}
