package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

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
			if output != "text" && output != "json" {
				return &usageError{fmt.Errorf("unknown output %q; use text or json", output)}
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
	Error  string   `json:"error,omitempty"`
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
		rows = append(rows, r)
	}
	return rows, nil
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
	fmt.Fprintln(tw, "PROFILE\tRESOLVES TO\tMFA\tREGION")
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\terror: %s\n", r.Name, r.Error)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, strings.Join(append([]string{r.Base}, r.Roles...), " → "), orDash(strings.Join(r.MFA, ", ")), orDash(r.Region))
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
