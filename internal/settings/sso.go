package settings

import (
	"context"

	"fmt"
	"github.com/rolehop/rolehop/internal/awsfiles"
	"github.com/rolehop/rolehop/internal/awsprofile"
	"strings"

	"github.com/rolehop/rolehop/internal/plan"
	"github.com/rolehop/rolehop/internal/settings/spec"
)

// sso reads the IAM Identity Center base: a session, an account and a role, all three or
// none. They replace a profile's base and stored keys.
func (r *resolver) sso(p *plan.Plan) error {
	var vals [3]value
	for i, key := range []string{spec.KeySSOSession, spec.KeySSOAccountID, spec.KeySSORoleName} {
		v, err := r.lookup(key)
		if err != nil {
			return err
		}
		v.raw = strings.TrimSpace(v.raw)
		vals[i] = v
	}
	session, account, role := vals[0], vals[1], vals[2]
	if !session.set && !account.set && !role.set {
		if p.SSO != nil {
			r.show(spec.KeySSOSession, p.SSO.Session, p.SSO.Origin)
			r.show(spec.KeySSOAccountID, p.SSO.AccountID, p.SSO.Origin)
			r.show(spec.KeySSORoleName, p.SSO.RoleName, p.SSO.Origin)
			return nil
		}
		for _, key := range []string{spec.KeySSOSession, spec.KeySSOAccountID, spec.KeySSORoleName} {
			r.show(key, "(none)", plan.Origin{})
		}
		return nil
	}
	for _, need := range []struct {
		v    value
		what string
	}{{session, "--sso-session NAME"}, {account, "--sso-account-id ACCOUNT"}, {role, "--sso-role-name NAME"}} {
		if !need.v.set || need.v.raw == "" {
			return fmt.Errorf("%s: an IAM Identity Center base needs a session, an account and a role; add %s (or its variable or rolehop.hcl attribute)",
				firstSet(session, account, role).src, need.what)
		}
	}
	if err := checkAccount(account.raw); err != nil {
		return fmt.Errorf("%s: %w", account.src, err)
	}
	p.SSO = &plan.SSO{Session: session.raw, AccountID: account.raw, RoleName: role.raw, Origin: session.src}
	p.StoredCredentials, p.ProfileBase = "", nil
	r.show(spec.KeySSOSession, session.raw, session.src)
	r.show(spec.KeySSOAccountID, account.raw, account.src)
	r.show(spec.KeySSORoleName, role.raw, role.src)
	return nil
}

func firstSet(vs ...value) value {
	for _, v := range vs {
		if v.set {
			return v
		}
	}
	return vs[0]
}

func checkAccount(id string) error {
	ok := len(id) == 12
	for i := 0; ok && i < len(id); i++ {
		ok = '0' <= id[i] && id[i] <= '9'
	}
	if !ok {
		return fmt.Errorf("account ID %q is not 12 digits", id)
	}
	return nil
}

// ResolveSSOSession returns the IAM Identity Center session a command acts on when none is
// named: sso_session, else the sso_session of the profile the settings choose; "" when
// neither sets one. It returns the store settings too.
func ResolveSSOSession(in Inputs) (string, Store, error) {
	r := newResolver(in)
	if err := r.start(); err != nil {
		return "", Store{}, err
	}
	if err := r.store(); err != nil {
		return "", Store{}, err
	}
	v, err := r.lookup(spec.KeySSOSession)
	if err != nil || v.set {
		return strings.TrimSpace(v.raw), r.res.Store, err
	}
	prof, err := r.lookup(spec.KeyProfile)
	if err != nil || !prof.set {
		return "", r.res.Store, err
	}
	home, _ := r.in.LookupEnv("HOME")
	c, err := awsprofile.Load(context.Background(), strings.TrimSpace(prof.raw), awsprofile.Options{Files: awsfiles.Locate(r.in.LookupEnv), Home: home})
	if err != nil {
		return "", r.res.Store, fmt.Errorf("%s: %w", prof.src, err)
	}
	if c.Base.SSOSession == "" && c.Base.SSOStartURL != "" {
		// A legacy profile is its own session, under its name.
		return c.Base.Profile, r.res.Store, nil
	}
	return c.Base.SSOSession, r.res.Store, nil
}
