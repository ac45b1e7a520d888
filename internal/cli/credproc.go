package cli

import (
	"encoding/json"
	"time"

	"github.com/spf13/cobra"
)

// processOutput is the credential_process format of the AWS SDKs and CLI.
type processOutput struct {
	Version         int    `json:"Version"`
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	SessionToken    string `json:"SessionToken,omitempty"`
	Expiration      string `json:"Expiration,omitempty"`
}

func (a *app) credentialProcessCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "credential-process [options]",
		Short: "Print the credentials for an AWS profile's credential_process",
		Long: `Resolve the credentials and print them in the credential_process format, so a profile in
~/.aws/config can use rolehop:

  [profile deploy]
  credential_process = rolehop credential-process --iam-role arn:aws:iam::111111111111:role/deploy
  region = eu-west-1

With the credential cache this makes no STS call while cached credentials are good, and asks
for an MFA code once per MFA session.`,
		Example: `  rolehop credential-process --iam-role arn:aws:iam::111111111111:role/deploy
  aws sts get-caller-identity --profile deploy`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.credentials(cmd.Context(), cmd.Flags())
			if err != nil {
				return err
			}
			out := processOutput{Version: 1, AccessKeyID: s.creds.AccessKeyID, SecretAccessKey: s.creds.SecretAccessKey, SessionToken: s.creds.SessionToken}
			if s.creds.CanExpire {
				out.Expiration = s.creds.Expires.UTC().Format(time.RFC3339)
			}
			return json.NewEncoder(a.out(cmd)).Encode(out)
		},
	}
	return credentialCommand(c)
}
