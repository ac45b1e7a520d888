// Package awsprofile reads a profile of the AWS shared config and credentials files as a chain
// rolehop runs itself: where its base credentials come from and the roles its source_profile
// links assume, in order. The files are read with the AWS SDK's own loader
// (config.LoadSharedConfigProfile), so a profile means to rolehop what it means to the SDK.
package awsprofile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/rolehop/rolehop/internal/awsfiles"
	"github.com/rolehop/rolehop/internal/display"
)

// BaseKind says where a profile chain's base credentials come from.
type BaseKind int

// The kinds of base a profile chain may have.
const (
	// BaseKeys are static keys in the profile (aws_access_key_id and aws_secret_access_key).
	BaseKeys BaseKind = iota
	// BaseEnvironment, BaseIMDS and BaseECS are a credential_source.
	BaseEnvironment
	BaseIMDS
	BaseECS
	// BaseProcess is a credential_process, run as the AWS SDK runs it.
	BaseProcess
	// BaseSDK is a profile the AWS SDK resolves itself (IAM Identity Center, a sign-in session).
	BaseSDK
	// BaseWebIdentity is a web_identity_token_file: the first role is assumed with the token.
	BaseWebIdentity
	// BaseStored is a profile that gives no credentials in the files, or a source_profile
	// that is in neither file: its keys are to be in rolehop's secret store under its name,
	// as aws-vault keeps them in its keyring.
	BaseStored
)

// Base is where a chain starts.
type Base struct {
	Kind BaseKind
	// Profile is the profile that gives the base; Where says where it is written.
	Profile string
	Where   string
	// Keys are the static keys of BaseKeys.
	Keys aws.Credentials
	// Process is the command line of BaseProcess.
	Process string
	// SSO describes the IAM Identity Center role of BaseSDK, when it is one.
	SSO string
	// SSOSession, SSOAccountID and SSORoleName are the profile's sso_session, sso_account_id
	// and sso_role_name.
	SSOSession   string
	SSOAccountID string
	SSORoleName  string
	// SSOStartURL and SSORegion are a legacy profile's own sso_start_url and sso_region, set
	// only when it names no sso_session.
	SSOStartURL, SSORegion string
	// TokenFile is the web identity token file of BaseWebIdentity.
	TokenFile string
}

// Role is one role a profile assumes.
type Role struct {
	// Profile is the profile that names the role; Where says where it is written, such as
	// "~/.aws/config [profile dev]".
	Profile string
	Where   string
	ARN     string
	// The optional values, empty (or 0) when the profile does not set them.
	ExternalID  string
	SessionName string
	MFASerial   string
	Duration    time.Duration
}

// Chain is what a profile asks for: a base, then its roles, each assumed with the
// credentials of the one before it.
type Chain struct {
	Name  string
	Base  Base
	Roles []Role
	// Region is the profile's region, "" when it sets none.
	Region string
	// Notes name the keys of the chain's profiles that do nothing (see Inspect).
	Notes []string
}

// Options say where the shared files are and how to show their paths.
type Options struct {
	Files awsfiles.Files
	// Home is the user's home directory, shown as ~ in messages.
	Home string
}

// Load reads profile name and follows its source_profile links down to the base.
func Load(ctx context.Context, name string, o Options) (*Chain, error) {
	notes, err := Inspect(name, o)
	if err != nil {
		return nil, err
	}
	sc, err := o.load(ctx, name)
	var role config.SharedConfigAssumeRoleError
	stored := ""
	if errors.As(err, &role) && o.keyless(ctx, role) {
		// The SDK stops at a source_profile without credentials; given them, it reads the
		// roles above it.
		stored = role.Profile
		sc, err = o.loadStored(ctx, name, stored)
	}
	if err != nil {
		return nil, o.explain(ctx, name, err)
	}
	c := &Chain{Name: name, Region: sc.Region, Notes: notes}
	var roles []Role
	above := ""
	for cur := &sc; cur != nil; cur = cur.Source {
		where := o.where(ctx, cur.Profile, cur.Credentials.HasKeys() && cur.RoleARN == "")
		if cur.Profile == stored && o.missing(ctx, stored) {
			where = fmt.Sprintf("%s source_profile %q", above, stored)
		}
		above = o.where(ctx, cur.Profile, false)
		if cur.RoleARN != "" {
			r := Role{Profile: cur.Profile, Where: o.where(ctx, cur.Profile, false), ARN: cur.RoleARN, ExternalID: cur.ExternalID,
				SessionName: cur.RoleSessionName, MFASerial: cur.MFASerial}
			if cur.RoleDurationSeconds != nil {
				r.Duration = *cur.RoleDurationSeconds
			}
			roles = append(roles, r)
		}
		if cur.Source != nil {
			continue
		}
		if c.Base, err = base(cur, where); err != nil {
			return nil, err
		}
		if cur.Profile == stored {
			c.Base = Base{Kind: BaseStored, Profile: stored, Where: where}
		}
	}
	// The files list roles from the named profile down; they are assumed from the base up.
	for i := len(roles) - 1; i >= 0; i-- {
		c.Roles = append(c.Roles, roles[i])
	}
	return c, nil
}

// base says where the last profile of a chain gets its credentials.
func base(sc *config.SharedConfig, where string) (Base, error) {
	b := Base{Profile: sc.Profile, Where: where}
	switch {
	case sc.Credentials.HasKeys():
		b.Kind, b.Keys = BaseKeys, sc.Credentials
	case sc.CredentialSource != "":
		switch sc.CredentialSource {
		case "Environment":
			b.Kind = BaseEnvironment
		case "Ec2InstanceMetadata":
			b.Kind = BaseIMDS
		case "EcsContainer":
			b.Kind = BaseECS
		default:
			return Base{}, fmt.Errorf("%s: credential_source %q is not one of Environment, Ec2InstanceMetadata, EcsContainer", where, sc.CredentialSource)
		}
	case sc.WebIdentityTokenFile != "":
		b.Kind, b.TokenFile = BaseWebIdentity, sc.WebIdentityTokenFile
	case sc.CredentialProcess != "":
		b.Kind, b.Process = BaseProcess, sc.CredentialProcess
	case sc.SSOSessionName != "" || sc.SSOStartURL != "" || sc.LoginSession != "":
		b.Kind = BaseSDK
		b.SSOSession, b.SSOAccountID, b.SSORoleName = sc.SSOSessionName, sc.SSOAccountID, sc.SSORoleName
		if sc.SSOSessionName == "" {
			b.SSOStartURL, b.SSORegion = sc.SSOStartURL, sc.SSORegion
		}
		if sc.SSOAccountID != "" {
			b.SSO = fmt.Sprintf("IAM Identity Center role %s in account %s", sc.SSORoleName, sc.SSOAccountID)
		}
	default:
		b.Kind = BaseStored
	}
	return b, nil
}

// storedMarker is the credential_process loadStored gives a profile whose keys are in
// rolehop's secret store; Load never hands it on.
const storedMarker = "rolehop-stored-keys"

// keyless reports whether the SDK stopped at a source_profile that is missing or gives no
// credentials in the files, rather than at a loop.
func (o Options) keyless(ctx context.Context, role config.SharedConfigAssumeRoleError) bool {
	var missing config.SharedConfigProfileNotExistError
	if role.Err != nil {
		return errors.As(role.Err, &missing)
	}
	return !o.cycles(ctx, role.Profile)
}

// missing reports whether profile is in neither file.
func (o Options) missing(ctx context.Context, profile string) bool {
	_, err := config.LoadSharedConfigProfile(ctx, profile, func(lo *config.LoadSharedConfigOptions) {
		lo.ConfigFiles, lo.CredentialsFiles = []string{o.Files.Config}, []string{o.Files.Credentials}
	})
	var notExist config.SharedConfigProfileNotExistError
	return errors.As(err, &notExist)
}

// loadStored loads profile name as the SDK would if profile stored gave credentials.
func (o Options) loadStored(ctx context.Context, name, stored string) (config.SharedConfig, error) {
	marker, remove, err := StoredConfig(stored)
	if err != nil {
		return config.SharedConfig{}, fmt.Errorf("profile %q: %w", name, err)
	}
	defer remove()
	return config.LoadSharedConfigProfile(ctx, name, func(lo *config.LoadSharedConfigOptions) {
		lo.ConfigFiles, lo.CredentialsFiles = []string{marker, o.Files.Config}, []string{o.Files.Credentials}
	})
}

// StoredConfig writes a config file that gives profile stored a credential_process of
// storedMarker, and returns its path and a function that removes it. Read before the user's
// config file, it lets the SDK load a chain whose base keys are in rolehop's secret store
// (which the SDK cannot read) for its other settings; it holds no secret, and the marker is
// never run: rolehop takes those keys from the store.
func StoredConfig(stored string) (string, func(), error) {
	if stored == "" || strings.ContainsAny(stored, "[]\r\n#;= \t") {
		return "", nil, fmt.Errorf("profile name %q cannot be a section name", stored)
	}
	f, err := os.CreateTemp("", "rolehop-profile-*")
	if err != nil {
		return "", nil, err
	}
	remove := func() { _ = os.Remove(f.Name()) }
	section := "profile " + stored
	if stored == "default" {
		section = stored
	}
	_, err = fmt.Fprintf(f, "[%s]\ncredential_process = %s\n", section, storedMarker)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		remove()
		return "", nil, err
	}
	return f.Name(), remove, nil
}

func (o Options) load(ctx context.Context, name string) (config.SharedConfig, error) {
	return config.LoadSharedConfigProfile(ctx, name, func(lo *config.LoadSharedConfigOptions) {
		lo.ConfigFiles, lo.CredentialsFiles = []string{o.Files.Config}, []string{o.Files.Credentials}
	})
}

// where names the section that holds a profile: in the credentials file when keys are asked
// for and the credentials file gives them, else in the config file.
func (o Options) where(ctx context.Context, profile string, keys bool) string {
	if keys {
		only, err := config.LoadSharedConfigProfile(ctx, profile, func(lo *config.LoadSharedConfigOptions) {
			lo.ConfigFiles, lo.CredentialsFiles = []string{}, []string{o.Files.Credentials}
		})
		if err == nil && only.Credentials.HasKeys() {
			return fmt.Sprintf("%s [%s]", o.Show(o.Files.Credentials), profile)
		}
	}
	section := "profile " + profile
	if profile == "default" {
		section = profile
	}
	return fmt.Sprintf("%s [%s]", o.Show(o.Files.Config), section)
}

// Show writes a path with ~ for the home directory.
func (o Options) Show(path string) string {
	if o.Home != "" {
		if rel, err := filepath.Rel(o.Home, path); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			return filepath.Join("~", rel)
		}
	}
	return path
}

// explain turns the SDK's errors about a profile into one line naming the profile and file.
func (o Options) explain(ctx context.Context, name string, err error) error {
	var missing config.SharedConfigProfileNotExistError
	var role config.SharedConfigAssumeRoleError
	var needARN config.CredentialRequiresARNError
	switch {
	case errors.As(err, &role) && errors.As(role.Err, &missing):
		return fmt.Errorf("%s: source_profile %q is not in %s or %s; check the name (aws configure list-profiles)",
			o.where(ctx, name, false), role.Profile, o.Show(o.Files.Config), o.Show(o.Files.Credentials))
	case errors.As(err, &role) && o.cycles(ctx, role.Profile):
		return fmt.Errorf("%s: the source_profile links of profile %q loop back to profile %q; end the chain at a profile with keys or a credential_source",
			o.where(ctx, name, false), name, role.Profile)
	case errors.As(err, &role):
		return fmt.Errorf("%s: source_profile %q gives no credentials: it has no keys, credential_source, credential_process, web_identity_token_file or SSO settings",
			o.where(ctx, name, false), role.Profile)
	case errors.As(err, &needARN):
		return fmt.Errorf("%s: %s needs a role_arn beside it", o.where(ctx, needARN.Profile, false), strings.ReplaceAll(needARN.Type, " ", "_"))
	case errors.As(err, &missing):
		return &NotFoundError{Profile: name}
	}
	return fmt.Errorf("profile %q: %s", name, display.OneLine(err.Error()))
}

// cycles reports whether profile, read on its own, comes back to itself: the SDK then stops at
// its second visit, where it has no credentials.
func (o Options) cycles(ctx context.Context, profile string) bool {
	_, err := o.load(ctx, profile)
	var role config.SharedConfigAssumeRoleError
	return errors.As(err, &role) && role.Profile == profile && role.Err == nil
}

// NotFoundError is a profile in neither shared file.
type NotFoundError struct {
	Profile string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("profile %q is not in the AWS config or credentials file", e.Profile)
}
