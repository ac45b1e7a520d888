package settings

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/rolehop/rolehop/internal/awsfiles"
	"github.com/rolehop/rolehop/internal/awsprofile"
	"github.com/rolehop/rolehop/internal/mfa"
	"github.com/rolehop/rolehop/internal/plan"
	"github.com/rolehop/rolehop/internal/secretstore"
	"github.com/rolehop/rolehop/internal/settings/spec"
)

// profileHops reads the chosen profile of the AWS shared files and turns it into the plan's
// base and first hops, so that the profile's roles get everything rolehop's hops get. A value
// set by a flag, a variable or rolehop.hcl wins over the profile's for the same thing. It does
// nothing when stored credentials, from a stronger layer, choose the base instead.
func (r *resolver) profileHops(p *plan.Plan, profile value, g globals) ([]plan.Hop, error) {
	if !profile.set {
		return nil, nil
	}
	stored, err := r.lookup(spec.KeyCredentials)
	if err != nil || stored.set && stored.src.Layer >= profile.src.Layer {
		return nil, err
	}
	home, _ := r.in.LookupEnv("HOME")
	o := awsprofile.Options{Files: awsfiles.Locate(r.in.LookupEnv), Home: home}
	c, err := awsprofile.Load(context.Background(), p.Profile, o)
	var missing *awsprofile.NotFoundError
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("%s: %w; check the name (aws configure list-profiles)", profile.src, missing)
	}
	if err != nil {
		return nil, err
	}
	hops := make([]plan.Hop, len(c.Roles))
	for i, role := range c.Roles {
		if err := r.profileHop(&hops[i], role, g); err != nil {
			return nil, err
		}
	}
	if err := setProfileBase(p, c.Base, hops); err != nil {
		return nil, err
	}
	r.profileMFA(p, c, hops)
	return hops, checkProfileSerials(hops)
}

// defaultProfile is AWS_DEFAULT_PROFILE, which the AWS CLI and SDKs read when AWS_PROFILE is
// unset; like them, rolehop takes keys in the environment before it.
func (r *resolver) defaultProfile() value {
	v, ok := r.in.LookupEnv("AWS_DEFAULT_PROFILE")
	if !ok || strings.TrimSpace(v) == "" {
		return value{}
	}
	for _, key := range []string{"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"} {
		if k, _ := r.in.LookupEnv(key); k != "" {
			return value{}
		}
	}
	return value{raw: v, src: plan.Origin{Layer: plan.FromEnv, Name: "AWS_DEFAULT_PROFILE"}, set: true}
}

// fromProfile is the origin of a key of a profile's section.
func fromProfile(where, key string) plan.Origin {
	return plan.Origin{Layer: plan.FromProfile, Name: where + " " + key}
}

// profileHop fills h from a profile's role: a global setting from a flag, a variable or
// rolehop.hcl wins over the profile's value, which wins over rolehop's default.
func (r *resolver) profileHop(h *plan.Hop, role awsprofile.Role, g globals) error {
	if err := r.hop(h, value{raw: role.ARN, src: fromProfile(role.Where, "role_arn"), set: true}, g); err != nil {
		return err
	}
	for _, f := range []struct {
		global value
		key    string
		raw    string
		set    func(*plan.Hop, value) error
	}{
		{g.sessionName, "role_session_name", role.SessionName, setSessionName},
		{g.duration, "duration_seconds", seconds(role), setDuration},
		{g.externalID, "external_id", role.ExternalID, setExternalID},
	} {
		if f.raw == "" || f.global.src.Layer > plan.FromProfile {
			continue
		}
		if err := f.set(h, value{raw: f.raw, src: fromProfile(role.Where, f.key), set: true}); err != nil {
			return err
		}
	}
	return nil
}

func seconds(role awsprofile.Role) string {
	if role.Duration == 0 {
		return ""
	}
	return strconv.Itoa(int(role.Duration.Seconds()))
}

// setProfileBase records where the profile's chain starts. A web identity token file is not a
// base: it makes the first hop an AssumeRoleWithWebIdentity call, and the file is read again on
// each fetch.
func setProfileBase(p *plan.Plan, b awsprofile.Base, hops []plan.Hop) error {
	origin := plan.Origin{Layer: plan.FromProfile, Name: b.Where}
	pb := &plan.ProfileBase{Profile: b.Profile, Origin: origin}
	switch b.Kind {
	case awsprofile.BaseWebIdentity:
		if len(hops) == 0 {
			return fmt.Errorf("%s: web_identity_token_file needs a role_arn beside it", b.Where)
		}
		hops[0].WebIdentityToken = &plan.Token{Path: b.TokenFile}
		hops[0].Origin[plan.FieldWebIdentityToken] = fromProfile(b.Where, "web_identity_token_file")
		return nil
	case awsprofile.BaseKeys:
		pb.Kind = plan.BaseKeys
		pb.Keys = plan.Credentials{AccessKeyID: b.Keys.AccessKeyID, SecretAccessKey: b.Keys.SecretAccessKey, SessionToken: b.Keys.SessionToken, Origin: origin}
	case awsprofile.BaseEnvironment:
		pb.Kind = plan.BaseEnvironment
	case awsprofile.BaseIMDS:
		pb.Kind = plan.BaseIMDS
	case awsprofile.BaseECS:
		pb.Kind = plan.BaseECS
	case awsprofile.BaseProcess:
		pb.Kind, pb.Process = plan.BaseProcess, b.Process
	case awsprofile.BaseSDK:
		legacy := b.SSOSession == "" && b.SSOStartURL != "" && b.SSORegion != ""
		if (b.SSOSession != "" || legacy) && b.SSOAccountID != "" && b.SSORoleName != "" {
			// rolehop's own login, tokens in its secret store, serves the profile's role. A
			// legacy profile is its own session, under its name.
			p.SSO = &plan.SSO{Session: b.SSOSession, AccountID: b.SSOAccountID, RoleName: b.SSORoleName, Origin: origin}
			if legacy {
				p.SSO.Session, p.SSO.StartURL, p.SSO.Region = b.Profile, b.SSOStartURL, b.SSORegion
			}
			return nil
		}
		pb.Kind = plan.BaseSDK
	case awsprofile.BaseStored:
		// Used as --credentials NAME is: the store is opened, and may ask for its passphrase,
		// only for these keys.
		if err := secretstore.ValidName(b.Profile); err != nil {
			return fmt.Errorf("%s: the profile gives no credentials in the AWS files, and its name cannot name keys in rolehop's secret store: %w", b.Where, err)
		}
		p.StoredCredentials, p.StoredOrigin = b.Profile, origin
		return nil
	}
	p.ProfileBase = pb
	return nil
}

// profileMFA places the profiles' mfa_serial as aws-vault does: the device of the role entered
// from long-term keys gets an MFA session (GetSessionToken), shared by every profile with the
// same device and keys; a device on a role entered from anything else sends its code on that
// AssumeRole. A device already used lower in the chain is not asked for again.
func (r *resolver) profileMFA(p *plan.Plan, c *awsprofile.Chain, hops []plan.Hop) {
	used := map[string]bool{}
	for i, role := range c.Roles {
		serial := strings.TrimSpace(role.MFASerial)
		if serial == "" || used[serial] {
			continue
		}
		used[serial] = true
		src := fromProfile(role.Where, "mfa_serial")
		if i == 0 && (p.ProfileBase.LongTerm() || p.StoredCredentials != "") {
			r.profileSerial = value{raw: serial, src: src, set: true}
			continue
		}
		hops[i].MFASerial = serial
		hops[i].Origin[plan.FieldMFASerial] = src
	}
}

// checkProfileSerials checks the MFA devices the profile put on its hops.
func checkProfileSerials(hops []plan.Hop) error {
	for _, h := range hops {
		if h.MFASerial == "" {
			continue
		}
		if err := mfa.CheckSerial(h.MFASerial); err != nil {
			return fmt.Errorf("%s: %w", h.Origin[plan.FieldMFASerial], err)
		}
	}
	return nil
}
