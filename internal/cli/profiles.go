package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rolehop/rolehop/internal/chain"
	"github.com/rolehop/rolehop/internal/credcache"
	"github.com/rolehop/rolehop/internal/settings"
	"github.com/spf13/pflag"

	"github.com/rolehop/rolehop/internal/awsfiles"
	"github.com/rolehop/rolehop/internal/awsprofile"
	"github.com/rolehop/rolehop/internal/display"
	"github.com/spf13/cobra"
)

func (a *app) profilesCmd() *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "profiles [--output text|json]",
		Short: "List the profiles of the AWS config and credentials files, and what each resolves to",
		Long: `List every profile of the AWS shared config and credentials files (AWS_CONFIG_FILE and
AWS_SHARED_CREDENTIALS_FILE are honoured) as rolehop reads it: where its base credentials come
from, the roles it assumes from there, its MFA devices and its region. A profile that cannot be
read shows its error on its line. Nothing is fetched and no secret is shown.`,
		Example: `  rolehop profiles
  rolehop profiles --output json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			list, err := a.profiles(cmd.Context())
			if err != nil {
				return err
			}
			if output == "json" {
				return writeProfilesJSON(a.out(cmd), list)
			}
			return writeProfilesText(a.out(cmd), list)
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "text", "output `FORMAT`: text or json")
	return c
}

// profileRow is one profile as `rolehop profiles` shows it.
type profileRow struct {
	Name string `json:"name"`
	// Base and Roles are what the profile resolves to, from the base up.
	Base   string   `json:"base,omitempty"`
	Roles  []string `json:"roles,omitempty"`
	MFA    []string `json:"mfa_serials,omitempty"`
	Region string   `json:"region,omitempty"`
	// Cached is when the credentials `rolehop exec --profile NAME` would take from the cache
	// here expire; nil when the cache holds none, or rolehop cannot tell without asking.
	Cached *time.Time `json:"cached_until,omitempty"`
	Error  string     `json:"error,omitempty"`
}

func (a *app) profileOptions() awsprofile.Options {
	home, _ := a.sys.LookupEnv("HOME")
	return awsprofile.Options{Files: awsfiles.Locate(a.sys.LookupEnv), Home: home}
}

// profiles reads each profile of the shared files; one that cannot be read keeps its error.
func (a *app) profiles(ctx context.Context) ([]profileRow, error) {
	o := a.profileOptions()
	names, err := awsprofile.Names(o)
	if err != nil {
		return nil, err
	}
	look := a.cacheLooker()
	rows := []profileRow{}
	for _, name := range names {
		r := profileRow{Name: name}
		c, err := awsprofile.Load(ctx, name, o)
		if err != nil {
			r.Error = display.OneLine(err.Error())
			rows = append(rows, r)
			continue
		}
		r.Base, r.Region = baseText(c.Base), c.Region
		for _, role := range c.Roles {
			r.Roles = append(r.Roles, role.ARN)
			if role.MFASerial != "" {
				r.MFA = append(r.MFA, role.MFASerial)
			}
		}
		if until, ok := look(ctx, name); ok {
			r.Cached = &until
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// cacheLooker returns a function that says until when `rolehop exec --profile NAME` would find
// its credentials in the cache here, with the settings that apply here. It asks for nothing and
// fetches nothing: the secret store is used only when it opens without a prompt, and a profile
// whose key cannot be worked out so (an auth provider would have to run, say) shows none.
func (a *app) cacheLooker() func(context.Context, string) (time.Time, bool) {
	none := func(context.Context, string) (time.Time, bool) { return time.Time{}, false }
	inputs := func(fs *pflag.FlagSet) settings.Inputs {
		return settings.Inputs{Flags: fs, LookupEnv: a.sys.LookupEnv, Dir: a.sys.Dir, Stderr: io.Discard, Trusted: a.trusted()}
	}
	empty := pflag.NewFlagSet("profiles", pflag.ContinueOnError)
	settings.AddFlags(empty)
	st, err := settings.ResolveStore(inputs(empty))
	if err != nil || st.NoCache {
		return none
	}
	store, err := a.openStore(st, false)
	if err != nil {
		return none
	}
	return func(ctx context.Context, name string) (time.Time, bool) {
		fs := pflag.NewFlagSet("profiles", pflag.ContinueOnError)
		settings.AddFlags(fs)
		if err := fs.Parse([]string{"--profile", name}); err != nil {
			return time.Time{}, false
		}
		res, err := settings.Resolve(inputs(fs))
		if err != nil || res.Plan.AuthProvider != nil {
			return time.Time{}, false
		}
		cache := credcache.New(credcache.InSecretStore(store), credcache.Options{MinTTL: res.Store.MinTTL, LookupEnv: a.sys.LookupEnv, Log: a.log})
		keys := func(n string) (aws.Credentials, error) {
			c, err := store.Credentials(n)
			return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}, err
		}
		ch, err := chain.New(ctx, &res.Plan, chain.Options{Log: a.log, Cache: cache, Keys: keys, STSTimeout: res.Store.STSTimeout, LookupEnv: a.sys.LookupEnv})
		if err != nil {
			return time.Time{}, false
		}
		until, ok, err := ch.CachedUntil(ctx)
		return until, ok && err == nil
	}
}

// baseText says where a profile's chain starts, naming the section that says so.
func baseText(b awsprofile.Base) string {
	what := map[awsprofile.BaseKind]string{
		awsprofile.BaseKeys:        "keys",
		awsprofile.BaseEnvironment: "the environment's keys (credential_source)",
		awsprofile.BaseIMDS:        "instance metadata (credential_source)",
		awsprofile.BaseECS:         "the container endpoint (credential_source)",
		awsprofile.BaseProcess:     "credential_process",
		awsprofile.BaseSDK:         "SSO, by the AWS SDK,",
		awsprofile.BaseWebIdentity: "web_identity_token_file",
		awsprofile.BaseStored:      "keys stored in rolehop's secret store as " + b.Profile + ", named",
	}[b.Kind]
	return what + " in " + b.Where
}

func writeProfilesText(w io.Writer, rows []profileRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tRESOLVES TO\tMFA\tREGION\tCACHED UNTIL")
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\terror: %s\n", r.Name, r.Error)
			continue
		}
		cached := "-"
		if r.Cached != nil {
			cached = r.Cached.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, strings.Join(append([]string{r.Base}, r.Roles...), " → "), orDash(strings.Join(r.MFA, ", ")), orDash(r.Region), cached)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeProfilesJSON(w io.Writer, rows []profileRow) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rows)
}
