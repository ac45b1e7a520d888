package awsprofile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rolehop/rolehop/internal/display"
	"gopkg.in/ini.v1"
)

// readKeys are the identity keys rolehop acts on, each read through the AWS SDK's loader.
var readKeys = []string{
	"aws_access_key_id", "aws_secret_access_key", "aws_session_token",
	"role_arn", "source_profile", "credential_source", "role_session_name", "external_id",
	"mfa_serial", "duration_seconds", "web_identity_token_file", "credential_process",
	"sso_session", "sso_start_url", "sso_region", "sso_account_id", "sso_role_name",
	"sso_registration_scopes", "login_session",
}

// unread are identity keys other tools read and rolehop does not: each is an error, with what
// to do instead.
var unread = map[string]string{
	"mfa_process":        "rolehop does not run it; use mfa_token_cmd (--mfa-token-cmd) to give the MFA code from a program",
	"aws_security_token": "the AWS SDK for Go does not read it, so the keys would go without their session token; name it aws_session_token",
}

// roleKeys only matter beside a role_arn.
var roleKeys = []string{"role_session_name", "external_id", "duration_seconds", "mfa_serial"}

// sources are the keys that each say alone where a profile's credentials come from.
var sources = []string{"source_profile", "credential_source", "credential_process", "web_identity_token_file"}

// section is one profile's keys, merged from both shared files, each key with where it is written.
type section struct {
	name  string
	keys  map[string]string
	where map[string]string
}

func (s section) has(key string) bool { return strings.TrimSpace(s.keys[key]) != "" }

// at names the place of key in the files, such as "~/.aws/config [profile dev] role_arn".
func (s section) at(key string) string { return s.where[key] + " " + key }

// Inspect reads the keys of profile name and of the profiles its source_profile links lead to,
// and returns an error for the first key that would change the identity while rolehop does not
// act on it as the other tools do, and notes for keys that do nothing. The values themselves are
// read by the AWS SDK's loader (Load); this sees only which keys are set where.
func Inspect(name string, o Options) ([]string, error) {
	files, err := o.readINI()
	if err != nil {
		return nil, err
	}
	var notes []string
	seen := map[string]bool{}
	for cur := name; cur != "" && !seen[cur]; {
		seen[cur] = true
		s := files.section(cur)
		if s == nil {
			break
		}
		if err := s.check(); err != nil {
			return nil, err
		}
		notes = append(notes, s.notes(cur != name)...)
		cur = strings.TrimSpace(s.keys["source_profile"])
		if cur == s.name {
			// A profile may be its own source_profile: its keys are the base.
			break
		}
	}
	return notes, nil
}

// check returns the error of the first key rolehop would not act on as the AWS tools do.
func (s *section) check() error {
	for _, key := range s.sorted() {
		if why, ok := unread[key]; ok {
			return fmt.Errorf("%s: %s", s.at(key), why)
		}
		if known := misspelt(key); known != "" {
			return fmt.Errorf("%s: not a key the AWS tools read; did you mean %s?", s.at(key), known)
		}
	}
	var set []string
	for _, key := range sources {
		if s.has(key) {
			set = append(set, key)
		}
	}
	sso := s.ssoKeys()
	if len(sso) > 0 {
		set = append(set, sso[0])
	}
	if len(set) > 1 {
		return fmt.Errorf("%s: %s is set too; a profile takes its credentials from one of source_profile, credential_source, credential_process, web_identity_token_file or SSO settings", s.at(set[1]), set[0])
	}
	if len(sso) == 0 {
		return nil
	}
	if s.has("role_arn") {
		return fmt.Errorf("%s: role_arn beside SSO settings: the AWS SDK, which resolves SSO profiles, would assume the role as well as rolehop; put the role in a profile of its own with source_profile = %s", s.at("role_arn"), s.name)
	}
	return s.checkSSO()
}

// checkSSO asks for the settings an IAM Identity Center role needs: an account, a role, and an
// sso_session or the legacy sso_start_url with sso_region.
func (s *section) checkSSO() error {
	need := []string{"sso_account_id", "sso_role_name"}
	if !s.has("sso_session") {
		need = append(need, "sso_start_url", "sso_region")
	}
	var missing []string
	for _, key := range need {
		if !s.has(key) {
			missing = append(missing, key)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sso := s.ssoKeys()
	return fmt.Errorf("%s: the profile's SSO settings lack %s; add them, or remove %s", s.at(sso[0]), strings.Join(missing, " and "), strings.Join(sso, ", "))
}

// ssoKeys are the SSO settings of the section that give it credentials, in a fixed order.
func (s *section) ssoKeys() []string {
	var set []string
	for _, key := range []string{"sso_session", "sso_start_url", "sso_region", "sso_account_id", "sso_role_name"} {
		if s.has(key) {
			set = append(set, key)
		}
	}
	return set
}

// notes are the keys of the section that do nothing. below is set for a profile reached
// through source_profile, whose region the chain does not use.
func (s *section) notes(below bool) []string {
	var out []string
	if !s.has("role_arn") {
		for _, key := range roleKeys {
			if s.has(key) {
				out = append(out, fmt.Sprintf("%s is not used: the profile has no role_arn", s.at(key)))
			}
		}
	}
	if below && s.has("region") {
		out = append(out, fmt.Sprintf("%s is not used: the region is the named profile's", s.at("region")))
	}
	return out
}

func (s *section) sorted() []string {
	keys := make([]string, 0, len(s.keys))
	for k := range s.keys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// misspelt returns the identity key that key is a slip of (another separator, a missing or an
// extra letter), or "" when key is one, or is like none.
func misspelt(key string) string {
	if slices.Contains(readKeys, key) {
		return ""
	}
	squash := func(k string) string { return strings.NewReplacer("_", "", "-", "", " ", "").Replace(k) }
	for _, known := range readKeys {
		a, b := squash(key), squash(known)
		if a == b || len(b) >= 8 && distance(a, b) <= 1 {
			return known
		}
	}
	return ""
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// sharedINI are the two shared files as an INI reader sees them, for their section and key names.
type sharedINI struct {
	o           Options
	config      *ini.File
	credentials *ini.File
}

func (o Options) readINI() (*sharedINI, error) {
	load := func(path string) (*ini.File, error) {
		f, err := ini.LoadSources(ini.LoadOptions{
			Loose: true, InsensitiveKeys: true, AllowNestedValues: true, SkipUnrecognizableLines: true,
		}, path)
		if err != nil {
			return nil, fmt.Errorf("read %s: %s", o.Show(path), display.OneLine(err.Error()))
		}
		return f, nil
	}
	cfg, err := load(o.Files.Config)
	if err != nil {
		return nil, err
	}
	creds, err := load(o.Files.Credentials)
	if err != nil {
		return nil, err
	}
	return &sharedINI{o: o, config: cfg, credentials: creds}, nil
}

// section merges the keys of profile in both files, as the SDK does: the credentials file's
// value wins. It returns nil when neither file has the profile.
func (f *sharedINI) section(profile string) *section {
	s := &section{name: profile, keys: map[string]string{}, where: map[string]string{}}
	found := false
	names := []string{"profile " + profile}
	if profile == "default" {
		names = append(names, "default")
	}
	add := func(file *ini.File, path, name string) {
		sec, err := file.GetSection(name)
		if err != nil {
			return
		}
		found = true
		for _, k := range sec.Keys() {
			s.keys[k.Name()] = k.Value()
			s.where[k.Name()] = fmt.Sprintf("%s [%s]", f.o.Show(path), name)
		}
	}
	for _, name := range names {
		add(f.config, f.o.Files.Config, name)
	}
	add(f.credentials, f.o.Files.Credentials, profile)
	if !found {
		return nil
	}
	return s
}

// Names lists the profiles of both shared files, each once, in the order they are written:
// the config file's first.
func Names(o Options) ([]string, error) {
	files, err := o.readINI()
	if err != nil {
		return nil, err
	}
	var names []string
	add := func(name string) {
		if name != "" && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	for _, name := range files.config.SectionStrings() {
		if name == "default" {
			add(name)
		} else if p, ok := strings.CutPrefix(name, "profile "); ok {
			add(strings.TrimSpace(p))
		}
	}
	for _, name := range files.credentials.SectionStrings() {
		if name != ini.DefaultSection {
			add(name)
		}
	}
	return names, nil
}

// Region returns the region profile name sets and where it is written, such as
// "~/.aws/config [profile dev] region", merged from both files as the AWS SDK reads them (the
// credentials file's value wins). It returns "" when the profile sets none, or when the files
// cannot be read (the run itself reports that).
func Region(name string, o Options) (region, where string) {
	files, err := o.readINI()
	if err != nil {
		return "", ""
	}
	s := files.section(name)
	if s == nil || !s.has("region") {
		return "", ""
	}
	return strings.TrimSpace(s.keys["region"]), s.at("region")
}
