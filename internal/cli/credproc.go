package cli

import (
	"context"

	"encoding/json"
	"errors"
	"fmt"
	"github.com/spf13/pflag"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/rolehop/rolehop/internal/plan"
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
			return a.credentialProcess(cmd.Context(), cmd.Flags())
		},
	}
	return credentialCommand(c)
}

// credentialProcess gets the credentials and prints them in the credential_process format;
// its only input is the settings' flags.
func (a *app) credentialProcess(ctx context.Context, settings *pflag.FlagSet) error {
	s, err := a.credentials(ctx, settings, false)
	if err != nil {
		return err
	}
	out := processOutput{Version: 1, AccessKeyID: s.creds.AccessKeyID, SecretAccessKey: s.creds.SecretAccessKey, SessionToken: s.creds.SessionToken}
	if s.creds.CanExpire {
		out.Expiration = s.creds.Expires.UTC().Format(time.RFC3339)
	}
	return json.NewEncoder(a.sys.Stdout).Encode(out)
}

// A profile whose credential_process runs rolehop, read again by that rolehop (AWS_PROFILE is
// inherited), would start rolehop after rolehop without end. loopEnv lists, one per line, the
// profiles that rolehop processes up the process tree are reading through the AWS SDK. rolehop
// adds its own to it in its process environment before the SDK may run a credential_process:
// the SDK builds that program's environment from os.Environ and offers no way to add to it, so
// this is the one place where rolehop tells its own children something. (The command exec
// runs gets the environment rolehop started with, without it; other programs rolehop starts
// may see it, and it means nothing to them.)
const loopEnv = "ROLEHOP_CREDENTIAL_PROCESS_PROFILES"

// loopStatus is the exit status by which a rolehop that finds itself in the loop tells the
// rolehop that started it, writing nothing: the outermost one explains the loop, once.
const loopStatus = 86

// loopError is a profile whose credentials lead back to rolehop reading the same profile.
type loopError struct {
	profile string
	origin  plan.Origin
	// quiet is set in a rolehop started inside the loop, which reports it by its exit status.
	quiet bool
}

func (e *loopError) Error() string {
	origin := ""
	if e.origin.Explicit() {
		origin = " (" + e.origin.String() + ")"
	}
	return fmt.Sprintf("profile %q%s: its credential_process runs rolehop, which reads profile %q again, without end; "+
		"give rolehop its base credentials another way: --credentials NAME, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --profile with a profile that does not run rolehop",
		e.profile, origin, e.profile)
}

// enterProfile stops at once when a rolehop further up is already reading profile (this rolehop
// is that profile's credential_process), and otherwise adds profile to loopEnv.
func (a *app) enterProfile(profile string, origin plan.Origin) error {
	if profile == "" {
		return nil
	}
	if slices.Contains(a.outerProfiles, profile) {
		return &loopError{profile: profile, origin: origin, quiet: true}
	}
	if a.sys.Setenv == nil {
		return nil
	}
	return a.sys.Setenv(loopEnv, strings.Join(append(slices.Clone(a.outerProfiles), profile), "\n"))
}

// loopOr turns the failure of a credential_process that stopped in the loop into the loop's
// error, reported here by the outermost rolehop and passed on by the others.
func (a *app) loopOr(err error, profile string, origin plan.Origin) error {
	var exit *exec.ExitError
	if profile == "" || !errors.As(err, &exit) || exit.ExitCode() != loopStatus {
		return err
	}
	return &loopError{profile: profile, origin: origin, quiet: len(a.outerProfiles) > 0}
}
