package cli

import (
	"context"

	"encoding/json"
	"fmt"
	"github.com/spf13/pflag"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"
)

// identityJSON mirrors `aws sts get-caller-identity`, plus when the credentials expire.
type identityJSON struct {
	UserID     string  `json:"UserId"`
	Account    string  `json:"Account"`
	Arn        string  `json:"Arn"`
	Expiration *string `json:"Expiration"`
}

func (a *app) whoamiCmd() *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "whoami [options]",
		Short: "Show who the credentials belong to (STS GetCallerIdentity)",
		Long: `Resolve the credentials and ask STS GetCallerIdentity who they belong to: account, ARN and
user ID, and when the credentials expire.`,
		Example: `  rolehop whoami
  rolehop whoami --iam-role arn:aws:iam::111111111111:role/deploy --output json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.whoami(cmd.Context(), whoamiInput{settings: cmd.Flags(), output: output})
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "text", "output `FORMAT`: text or json")
	return credentialCommand(c)
}

// whoamiInput is what whoami runs with.
type whoamiInput struct {
	settings *pflag.FlagSet // the settings' flags, as parsed
	output   string         // text or json
}

// whoami gets the credentials and prints who they belong to.
func (a *app) whoami(ctx context.Context, in whoamiInput) error {
	if err := checkOutput(in.output); err != nil {
		return err
	}
	s, err := a.credentials(ctx, in.settings, false)
	if err != nil {
		return err
	}
	id, err := s.src.Identity(ctx)
	if err != nil {
		return err
	}
	out := identityJSON{UserID: id.UserID, Account: id.Account, Arn: id.ARN}
	if s.creds.CanExpire {
		exp := s.creds.Expires.UTC().Format(time.RFC3339)
		out.Expiration = &exp
	}
	if in.output == "json" {
		enc := json.NewEncoder(a.sys.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	}
	w := tabwriter.NewWriter(a.sys.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "Account\t%s\nArn\t%s\nUserId\t%s\nExpires\t%s\n", out.Account, out.Arn, out.UserID, expires(s.creds))
	return w.Flush()
}

// expires says when credentials expire, and in how long. Session credentials whose expiry
// nothing stated (in the environment without AWS_SESSION_EXPIRATION, say) expire all the same.
func expires(c aws.Credentials) string {
	switch {
	case !c.CanExpire && c.SessionToken != "":
		return "unknown (session credentials with no stated expiry)"
	case !c.CanExpire:
		return "never (long-term keys)"
	}
	left := time.Until(c.Expires).Round(time.Second)
	return fmt.Sprintf("%s (in %s)", c.Expires.UTC().Format(time.RFC3339), left)
}
