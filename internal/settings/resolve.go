// Package settings layers rolehop's settings: each one is taken from a command-line flag, else
// an environment variable, else a rolehop.hcl file, else its default, and remembers which. From
// the result it builds the plan of role assumptions (package plan). The settings themselves are
// listed in package spec.
package settings

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kballard/go-shellquote"
	"github.com/rolehop/rolehop/internal/configfile"
	"github.com/rolehop/rolehop/internal/display"
	"github.com/rolehop/rolehop/internal/plan"
	"github.com/rolehop/rolehop/internal/settings/spec"
	"github.com/rolehop/rolehop/internal/trust"
	"github.com/spf13/pflag"
)

// Inputs are the layers settings are taken from.
type Inputs struct {
	// Flags holds the command line, with the flags AddFlags registered.
	Flags *pflag.FlagSet
	// LookupEnv reads the environment (os.LookupEnv outside tests).
	LookupEnv func(string) (string, bool)
	// Dir is the working directory, where the search for rolehop.hcl starts.
	Dir string
	// Stderr is where a program run for an MFA code writes (the user's terminal).
	Stderr io.Writer
	// Trusted says whether the discovered rolehop.hcl at path, whose content as read has the
	// SHA-256 sum, may set the settings that run a program (auth_provider_cmd, mfa_token_cmd).
	// Nil trusts none. A file named with --config is trusted without asking.
	Trusted func(path string, sum [sha256.Size]byte) (trust.Verdict, error)
	// AllEntries gives every setting a row in Result.Entries, those the plan does not use
	// too, as `rolehop config` and --debug show them. Without, only the settings the plan
	// used have one: the other rows read every setting's layers again, for nobody.
	AllEntries bool
}

// Result is the outcome of resolving every setting.
type Result struct {
	// Plan is what to assume, checked against STS's rules.
	Plan plan.Plan
	// Entries lists settings with their values (secrets redacted) and sources: with
	// Inputs.AllEntries every setting, in the order of the settings table; without, those the
	// plan used, as they were resolved.
	Entries []Entry
	// Files are the rolehop.hcl files read, nearest first.
	Files []string
	// Trust says, for each of Files, whether it may set the settings that run a program.
	Trust []FileTrust
	// Store says where secrets and cached credentials are kept.
	Store Store
}

// Store is the settings of the secret store and the credential cache.
type Store struct {
	// Backend is the keyring backend, one of secretstore.Backends(); empty means the first
	// that works. BackendOrigin says where it came from.
	Backend       string
	BackendOrigin plan.Origin
	// NoCache turns the credential cache off.
	NoCache bool
	// MinTTL is how much life cached credentials must have left to be used; MinTTLOrigin says
	// where it came from.
	MinTTL       time.Duration
	MinTTLOrigin plan.Origin
	// STSTimeout bounds getting the credentials, retries included.
	STSTimeout time.Duration
	// Server makes exec serve the credentials from a local endpoint.
	Server bool
}

// Entry is one resolved setting, ready to show.
type Entry struct {
	Key    string
	Value  string
	Source plan.Origin
}

// value is a raw setting before parsing.
type value struct {
	raw string
	src plan.Origin
	set bool
}

type resolver struct {
	in    Inputs
	file  *configfile.Config
	specs map[string]spec.Setting
	res   *Result
	// named is the --config value, when the user named the file to read.
	named value
	// verdicts holds each file's trust, by absolute path; trustErrs why it could not be had.
	verdicts  map[string]trust.Verdict
	trustErrs map[string]error
	// mfaDuration is where the MFA session duration came from.
	mfaDuration plan.Origin
	// profileSerial is the MFA device of a profile's role entered from long-term keys: the
	// device of the MFA session unless the settings name one.
	profileSerial value
}

func newResolver(in Inputs) *resolver {
	r := &resolver{in: in, specs: map[string]spec.Setting{}, res: &Result{}}
	for _, s := range spec.Settings() {
		r.specs[s.Key] = s
	}
	return r
}

// Resolve takes every setting from its strongest layer, parses it, and builds the plan. Errors
// name the source of the offending value.
func Resolve(in Inputs) (*Result, error) {
	r := newResolver(in)
	if err := r.start(); err != nil {
		return nil, err
	}
	r.trustFiles()
	if err := r.build(); err != nil {
		return nil, err
	}
	return r.res, nil
}

// start checks the command line, then reads the rolehop.hcl files: what every resolution begins
// with.
func (r *resolver) start() error {
	if err := checkFlags(r.in.Flags); err != nil {
		return err
	}
	return r.loadFile()
}

func (r *resolver) loadFile() error {
	cfg, err := r.lookup(spec.KeyConfig)
	if err != nil {
		return err
	}
	if cfg.set {
		r.named = cfg
		r.file, err = configfile.Load(cfg.raw, r.fileOptions())
		if err != nil {
			return fmt.Errorf("%s: %w", cfg.src, err)
		}
	} else {
		if r.file, err = configfile.Discover(r.in.Dir, r.fileOptions()); err != nil {
			return err
		}
		cfg.src = plan.Origin{Name: "found from the working directory up"}
	}
	for _, f := range r.file.Files() {
		r.res.Files = append(r.res.Files, display.Path(f, r.in.Dir))
	}
	r.show(spec.KeyConfig, orNone(strings.Join(r.res.Files, ", "), "(none found)"), cfg.src)
	return nil
}

// lookup returns the strongest value of a single-valued setting. A program named in a
// rolehop.hcl is taken only from a trusted file, and found beside it.
func (r *resolver) lookup(key string) (value, error) {
	v, pos, err := r.find(key)
	if err != nil || pos.File == "" || !r.specs[key].RunsProgram {
		return v, err
	}
	if err := r.checkTrusted(key, pos); err != nil {
		return value{}, err
	}
	v.raw = besideFile(v.raw, pos.Dir())
	return v, nil
}

// find returns the strongest value of a single-valued setting, and its position when a
// rolehop.hcl gives it, whether that file may name a program or not.
func (r *resolver) find(key string) (value, configfile.Pos, error) {
	s := r.specs[key]
	if f := r.in.Flags.Lookup(s.Flag); f != nil && f.Changed {
		v := f.Value.String()
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			vals := sv.GetSlice()
			v = vals[len(vals)-1]
		}
		if strings.TrimSpace(v) == "" {
			return value{}, configfile.Pos{}, fmt.Errorf("flag --%s: value is empty; give a value or leave the flag out", s.Flag)
		}
		return value{raw: v, src: plan.Origin{Layer: plan.FromFlag, Name: "--" + s.Flag}, set: true}, configfile.Pos{}, nil
	}
	for _, name := range s.Env {
		if v, ok := r.in.LookupEnv(name); ok && strings.TrimSpace(v) != "" {
			return value{raw: v, src: plan.Origin{Layer: plan.FromEnv, Name: name}, set: true}, configfile.Pos{}, nil
		}
	}
	if s.InFile && r.file != nil {
		v, pos, ok, err := r.file.String(key)
		if err != nil {
			return value{}, configfile.Pos{}, err
		}
		if ok && strings.TrimSpace(v) != "" {
			return value{raw: v, src: r.fileSource(pos), set: true}, pos, nil
		}
	}
	return value{}, configfile.Pos{}, nil
}

// besideFile makes a program that a rolehop.hcl names by a relative path (./auth.sh,
// bin/auth) relative to that file's directory. Trusting a file trusts the program beside it;
// were the path taken from wherever rolehop runs, a trusted parent file would run a program of
// the same name from any repository below it.
func besideFile(line, dir string) string {
	argv, err := shellquote.Split(line)
	if err != nil || len(argv) == 0 || filepath.IsAbs(argv[0]) || !strings.ContainsRune(argv[0], filepath.Separator) {
		// A line that does not split is reported when the program is run.
		return line
	}
	argv[0] = filepath.Join(dir, argv[0])
	return shellquote.Join(argv...)
}

func (r *resolver) show(key, v string, src plan.Origin) {
	r.res.Entries = append(r.res.Entries, Entry{Key: key, Value: v, Source: src})
}

// showUnused gives the settings the plan did not use a row each too, so that `rolehop config`
// lists every setting whatever applies, and then orders the rows as the table does. A value
// given but not used shows as it is (a secret redacted), else the default.
func (r *resolver) showUnused() {
	shown := map[string]bool{}
	for _, e := range r.res.Entries {
		shown[e.Key] = true
	}
	for _, s := range spec.Settings() {
		if !shown[s.Key] {
			v, src := r.unusedValue(s)
			r.show(s.Key, v, src)
		}
	}
	order := map[string]int{}
	for i, s := range spec.Settings() {
		order[s.Key] = i
	}
	slices.SortStableFunc(r.res.Entries, func(a, b Entry) int { return cmp.Compare(order[a.Key], order[b.Key]) })
}

// unusedValue is the row of a setting the plan did not use.
func (r *resolver) unusedValue(s spec.Setting) (string, plan.Origin) {
	v, pos, err := r.find(s.Key)
	switch {
	case err != nil:
		return "(not used: " + err.Error() + ")", v.src
	case v.set && s.Secret:
		return "<redacted>", v.src
	case v.set && s.RunsProgram && pos.File != "" && r.checkTrusted(s.Key, pos) != nil:
		return v.raw + " (not used: " + pos.Display + " is not trusted)", v.src
	case v.set:
		return v.raw, v.src
	case s.Kind == spec.Duration:
		return display.Duration(s.Default.Duration), v.src
	case s.Kind == spec.Bool:
		return "false", v.src
	}
	return orNone(s.Default.Text, "(none)"), v.src
}

// globals are the per-hop settings given once for every hop that does not set its own.
type globals struct {
	sessionName, duration, externalID value
}

func (r *resolver) build() error {
	p := &r.res.Plan
	var err error
	if err = r.region(p); err != nil {
		return err
	}
	profile, err := r.lookup(spec.KeyProfile)
	if err != nil {
		return err
	}
	if !profile.set {
		profile = r.defaultProfile()
	}
	p.Profile, p.ProfileOrigin = strings.TrimSpace(profile.raw), profile.src
	r.show(spec.KeyProfile, orNone(profile.raw, "(AWS SDK default chain)"), profile.src)

	var g globals
	for _, v := range []struct {
		key string
		dst *value
	}{{spec.KeySessionName, &g.sessionName}, {spec.KeyDuration, &g.duration}, {spec.KeyExternalID, &g.externalID}} {
		if *v.dst, err = r.lookup(v.key); err != nil {
			return err
		}
	}
	if !g.sessionName.set {
		g.sessionName = value{raw: plan.DefaultSessionName()}
	}
	if !g.duration.set {
		g.duration = value{raw: display.Duration(r.specs[spec.KeyDuration].Default.Duration)}
	}
	if err := r.defaults(p, g); err != nil {
		return err
	}
	fromProfile, err := r.profileHops(p, profile, g)
	if err != nil {
		return err
	}
	if p.Hops, err = r.hops(g); err != nil {
		return err
	}
	p.Hops = append(fromProfile, p.Hops...)
	if err := r.webIdentity(p); err != nil {
		return err
	}
	if err := r.authProvider(p); err != nil {
		return err
	}
	if err := r.mfa(p); err != nil {
		return err
	}
	if err := r.base(p); err != nil {
		return err
	}
	if err := r.sso(p); err != nil {
		return err
	}
	if err := r.store(); err != nil {
		return err
	}
	r.show(spec.KeySessionName, g.sessionName.raw, g.sessionName.src)
	r.show(spec.KeyDuration, g.duration.raw, g.duration.src)
	r.show(spec.KeyExternalID, orNone(g.externalID.raw, "(none)"), g.externalID.src)
	if r.in.AllEntries {
		r.showUnused()
	}
	if err := p.Check(); err != nil {
		return err
	}
	return r.checkMinTTL(p)
}

func (r *resolver) region(p *plan.Plan) error {
	v, err := r.lookup(spec.KeyRegion)
	if err != nil {
		return err
	}
	if v.set {
		if err := plan.CheckRegion(strings.TrimSpace(v.raw)); err != nil {
			return fmt.Errorf("%s: %w", v.src, err)
		}
		p.Region, p.RegionOrigin = strings.TrimSpace(v.raw), v.src
	}
	r.show(spec.KeyRegion, orNone(p.Region, "(profile's region, else the role partition's default)"), v.src)
	return nil
}

// defaults checks the global session name and duration even when no role uses them yet: an
// auth provider's role may.
func (r *resolver) defaults(p *plan.Plan, g globals) error {
	p.Defaults = plan.Hop{Origin: map[string]plan.Origin{}}
	if err := setSessionName(&p.Defaults, g.sessionName); err != nil {
		return err
	}
	return setDuration(&p.Defaults, g.duration)
}

// fileOptions gives rolehop.hcl files the working directory and the environment.
func (r *resolver) fileOptions() configfile.Options {
	return configfile.Options{Dir: r.in.Dir, LookupEnv: r.in.LookupEnv}
}

func orNone(v, none string) string {
	if v == "" {
		return none
	}
	return v
}

// lookupDuration returns a positive duration (a timeout, the cache's minimum life, the MFA
// session's length): its value, else its default from the table.
func (r *resolver) lookupDuration(key string) (time.Duration, plan.Origin, error) {
	v, err := r.lookup(key)
	if err != nil || !v.set {
		return r.specs[key].Default.Duration, v.src, err
	}
	d, err := parseTimeout(v.raw)
	if err != nil {
		return 0, v.src, fmt.Errorf("%s: %w", v.src, err)
	}
	return d, v.src, nil
}

// lookupBool returns a switch's value: a flag, or true/false (1/0, yes is not accepted) in the
// environment or the file.
func (r *resolver) lookupBool(key string) (bool, plan.Origin, error) {
	v, err := r.lookup(key)
	if err != nil || !v.set {
		return false, v.src, err
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v.raw))
	if err != nil {
		return false, v.src, fmt.Errorf("%s: %q is not true or false", v.src, v.raw)
	}
	return b, v.src, nil
}
