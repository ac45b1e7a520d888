// Package credcheck decides whether credentials are fit to hand over. rolehop fails closed:
// credentials with no key or secret, expired ones, or ones for another role than the one asked
// for never reach a command, whichever path (exec, env, whoami, credential-process, the local
// endpoint) hands them on. An SDK given an empty AWS_ACCESS_KEY_ID falls back to its shared
// files, so an empty key is a wrong identity, not a harmless blank.
package credcheck

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/rolehop/rolehop/internal/plan"
)

// Usable reports why creds cannot be handed over at now, or nil: the access key ID and secret
// must be there, and credentials that expire must not have expired yet.
func Usable(creds aws.Credentials, now time.Time) error {
	switch {
	case creds.AccessKeyID == "":
		return errors.New("the credentials have no access key ID")
	case creds.SecretAccessKey == "":
		return errors.New("the credentials have no secret access key")
	case creds.CanExpire && !creds.Expires.After(now):
		return fmt.Errorf("the credentials expired at %s", creds.Expires.UTC().Format(time.RFC3339))
	}
	return nil
}

// Issued reports why temporary credentials an STS call answered with cannot be used at now, or
// nil: every part must be there, with an expiry still to come.
func Issued(c *types.Credentials, now time.Time) error {
	switch {
	case c == nil:
		return errors.New("STS answered without credentials")
	case aws.ToString(c.AccessKeyId) == "":
		return errors.New("STS answered without an access key ID")
	case aws.ToString(c.SecretAccessKey) == "":
		return errors.New("STS answered without a secret access key")
	case aws.ToString(c.SessionToken) == "":
		return errors.New("STS answered without a session token")
	case c.Expiration == nil:
		return errors.New("STS answered without an expiry")
	case !c.Expiration.After(now):
		return fmt.Errorf("STS answered with credentials that expired at %s", c.Expiration.UTC().Format(time.RFC3339))
	}
	return nil
}

// AssumedRole reports whether the assumed-role user STS answered with is a session of role,
// in its partition and account, or why not.
func AssumedRole(role plan.RoleARN, user *types.AssumedRoleUser) error {
	if user == nil || aws.ToString(user.Arn) == "" {
		return errors.New("STS answered without the assumed-role user")
	}
	got := aws.ToString(user.Arn)
	want := "arn:" + role.Partition + ":sts::" + role.Account + ":assumed-role/" + role.Name + "/"
	if !strings.HasPrefix(got, want) || len(got) == len(want) || strings.Contains(got[len(want):], "/") {
		return fmt.Errorf("STS answered with credentials for %.200q, not for a session of %s", got, role)
	}
	return nil
}

// Account reports whether credentials known to belong to an account (aws.Credentials.AccountID)
// belong to want's account, or why not.
func Account(creds aws.Credentials, want plan.RoleARN) error {
	if creds.AccountID != "" && creds.AccountID != want.Account {
		return fmt.Errorf("the credentials belong to account %.20q, not to %s's", creds.AccountID, want)
	}
	return nil
}
