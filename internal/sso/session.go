// Package sso signs in to IAM Identity Center and gets role credentials from its access portal:
// the OAuth device authorization flow with the SDK's ssooidc client, tokens kept only in
// rolehop's secret store, and GetRoleCredentials with the SDK's sso client as an
// aws.CredentialsProvider.
package sso

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"gopkg.in/ini.v1"
)

// Session is an IAM Identity Center sign-in: an [sso-session NAME] section of the AWS config
// file, or the sso_start_url and sso_region of a legacy profile.
type Session struct {
	Name     string
	StartURL string
	Region   string
	// Scopes are the registration scopes (sso_registration_scopes); none means
	// sso:account:access.
	Scopes []string
}

// sessionPrefix starts the name of an sso-session section.
const sessionPrefix = "sso-session "

// Sessions reads the sso-session sections of the AWS config file at path, sorted by name. A
// missing file has none.
func Sessions(path string) ([]Session, error) {
	f, err := ini.LoadSources(ini.LoadOptions{Insensitive: false, AllowNestedValues: true}, path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var out []Session
	for _, sec := range f.Sections() {
		name, ok := strings.CutPrefix(sec.Name(), sessionPrefix)
		if !ok {
			continue
		}
		s := Session{
			Name:     strings.TrimSpace(name),
			StartURL: strings.TrimSpace(sec.Key("sso_start_url").String()),
			Region:   strings.TrimSpace(sec.Key("sso_region").String()),
		}
		for scope := range strings.SplitSeq(sec.Key("sso_registration_scopes").String(), ",") {
			if scope = strings.TrimSpace(scope); scope != "" {
				s.Scopes = append(s.Scopes, scope)
			}
		}
		if err := s.check(path); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Session) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Find returns the session called name among sessions.
func Find(sessions []Session, name, path string) (Session, error) {
	for _, s := range sessions {
		if s.Name == name {
			return s, nil
		}
	}
	return Session{}, fmt.Errorf("no [sso-session %s] in %s: add one with sso_start_url and sso_region", name, path)
}

func (s Session) check(path string) error {
	switch {
	case s.StartURL == "":
		return fmt.Errorf("[sso-session %s] in %s has no sso_start_url: add the URL of your AWS access portal", s.Name, path)
	case s.Region == "":
		return fmt.Errorf("[sso-session %s] in %s has no sso_region: add the region of your IAM Identity Center", s.Name, path)
	}
	return nil
}
