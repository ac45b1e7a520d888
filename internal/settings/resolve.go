package settings

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rolehop/rolehop/internal/configfile"
	"github.com/rolehop/rolehop/internal/mfa"
	"github.com/rolehop/rolehop/internal/oidctoken"
	"github.com/rolehop/rolehop/internal/plan"
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
}

// Result is the outcome of resolving every setting.
type Result struct {
	// Plan is what to assume, checked against STS's rules.
	Plan plan.Plan
	// Entries lists each setting with its value (secrets redacted) and source.
	Entries []Entry
	// Files are the rolehop.hcl files read, nearest first.
	Files []string
	// Store says where secrets and cached credentials are kept.
	Store Store
}

// Store is the settings of the secret store and the credential cache.
type Store struct {
	// Backend is the keyring backend; empty means the first that works.
	Backend string
	// NoCache turns the credential cache off.
	NoCache bool
	// MinTTL is how much life cached credentials must have left to be used.
	MinTTL time.Duration
	// STSTimeout bounds getting the credentials, retries included.
	STSTimeout time.Duration
	// Server makes exec serve the credentials from a local endpoint.
	Server bool
}

// Entry is one resolved setting, ready to show.
type Entry struct {
	Key    string
	Value  string
	Source Source
}

// value is a raw setting before parsing.
type value struct {
	raw string
	src Source
	set bool
}

type resolver struct {
	in    Inputs
	file  *configfile.Config
	specs map[string]Spec
	res   *Result
}

func newResolver(in Inputs) *resolver {
	r := &resolver{in: in, specs: map[string]Spec{}, res: &Result{}}
	for _, s := range Specs() {
		r.specs[s.Key] = s
	}
	return r
}

// Resolve takes every setting from its strongest layer, parses it, and builds the plan. Errors
// name the source of the offending value.
func Resolve(in Inputs) (*Result, error) {
	r := newResolver(in)
	if err := r.loadFile(); err != nil {
		return nil, err
	}
	if err := r.build(); err != nil {
		return nil, err
	}
	return r.res, nil
}

func (r *resolver) loadFile() error {
	cfg, err := r.lookup(KeyConfig)
	if err != nil {
		return err
	}
	if cfg.set {
		r.file, err = configfile.Load(cfg.raw, r.in.LookupEnv)
		if err != nil {
			return fmt.Errorf("%s: %w", cfg.src, err)
		}
	} else {
		if r.file, err = configfile.Discover(r.in.Dir, r.in.LookupEnv); err != nil {
			return err
		}
		cfg.src = Source{Name: "found from the working directory up"}
	}
	for _, f := range r.file.Files() {
		r.res.Files = append(r.res.Files, r.display(f))
	}
	r.show(KeyConfig, orNone(strings.Join(r.res.Files, ", "), "(none found)"), cfg.src)
	return nil
}

// lookup returns the strongest value of a single-valued setting.
func (r *resolver) lookup(key string) (value, error) {
	s := r.specs[key]
	if f := r.in.Flags.Lookup(s.Flag); f != nil && f.Changed {
		v := f.Value.String()
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			vals := sv.GetSlice()
			v = vals[len(vals)-1]
		}
		if strings.TrimSpace(v) == "" {
			return value{}, fmt.Errorf("flag --%s: value is empty; give a value or leave the flag out", s.Flag)
		}
		return value{raw: v, src: Source{Kind: Flag, Name: "--" + s.Flag}, set: true}, nil
	}
	for _, name := range s.Env {
		if v, ok := r.in.LookupEnv(name); ok && strings.TrimSpace(v) != "" {
			return value{raw: v, src: Source{Kind: Env, Name: name}, set: true}, nil
		}
	}
	if s.InFile && r.file != nil {
		v, pos, ok, err := r.file.String(key)
		if err != nil {
			return value{}, err
		}
		if ok && strings.TrimSpace(v) != "" {
			return value{raw: v, src: r.fileSource(pos), set: true}, nil
		}
	}
	return value{}, nil
}

func (r *resolver) show(key, v string, src Source) {
	r.res.Entries = append(r.res.Entries, Entry{Key: key, Value: v, Source: src})
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
	profile, err := r.lookup(KeyProfile)
	if err != nil {
		return err
	}
	p.Profile, p.ProfileOrigin = strings.TrimSpace(profile.raw), profile.src.String()
	r.show(KeyProfile, orNone(profile.raw, "(AWS SDK default chain)"), profile.src)

	var g globals
	for _, v := range []struct {
		key string
		dst *value
	}{{KeySessionName, &g.sessionName}, {KeyDuration, &g.duration}, {KeyExternalID, &g.externalID}} {
		if *v.dst, err = r.lookup(v.key); err != nil {
			return err
		}
	}
	if !g.sessionName.set {
		g.sessionName = value{raw: plan.DefaultSessionName(), src: Source{}}
	}
	if !g.duration.set {
		g.duration = value{raw: plan.FormatDuration(plan.DefaultDuration), src: Source{}}
	}
	if err := r.defaults(p, g); err != nil {
		return err
	}
	if p.Hops, err = r.hops(g); err != nil {
		return err
	}
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
	if err := r.store(); err != nil {
		return err
	}
	r.show(KeySessionName, g.sessionName.raw, g.sessionName.src)
	r.show(KeyDuration, g.duration.raw, g.duration.src)
	r.show(KeyExternalID, orNone(g.externalID.raw, "(none)"), g.externalID.src)
	return p.Check()
}

func (r *resolver) region(p *plan.Plan) error {
	v, err := r.lookup(KeyRegion)
	if err != nil {
		return err
	}
	if v.set {
		if err := plan.CheckRegion(strings.TrimSpace(v.raw)); err != nil {
			return fmt.Errorf("%s: %w", v.src, err)
		}
		p.Region, p.RegionOrigin = strings.TrimSpace(v.raw), v.src.String()
	}
	r.show(KeyRegion, orNone(p.Region, "(profile's region, else the role partition's default)"), v.src)
	return nil
}

// defaults checks the global session name and duration even when no role uses them yet: an
// auth provider's role may.
func (r *resolver) defaults(p *plan.Plan, g globals) error {
	p.Defaults = plan.Hop{Origin: map[string]string{}, Explicit: map[string]bool{}}
	if err := setSessionName(&p.Defaults, g.sessionName); err != nil {
		return err
	}
	return setDuration(&p.Defaults, g.duration)
}

// webIdentity sets the first hop's token: given directly (iam_web_identity_token) or fetched from
// a CI system (web_identity_provider). When both are set, the stronger layer wins; both in the
// same layer is an error.
func (r *resolver) webIdentity(p *plan.Plan) error {
	tok, err := r.lookup(KeyWebIdentityToken)
	if err != nil {
		return err
	}
	prov, err := r.lookup(KeyWebIdentityProvider)
	if err != nil {
		return err
	}
	if tok.set && prov.set && tok.src.Kind == prov.src.Kind {
		return fmt.Errorf("%s and %s both give the web identity token; keep one", tok.src, prov.src)
	}
	var src plan.TokenSource
	from := tok
	switch {
	case prov.set && (!tok.set || prov.src.Kind > tok.src.Kind):
		from = prov
		src, err = r.ciToken(prov)
	case tok.set:
		src, err = plan.NewToken(tok.raw, tok.src.Dir)
		if err != nil {
			err = fmt.Errorf("%s: %w", tok.src, err)
		}
	}
	if err != nil {
		return err
	}
	if src == nil {
		r.show(KeyWebIdentityToken, "(none)", tok.src)
		r.show(KeyWebIdentityProvider, "(none)", prov.src)
		return nil
	}
	if len(p.Hops) == 0 {
		return fmt.Errorf("%s: a web identity token needs a role to assume; set --iam-role", from.src)
	}
	h := &p.Hops[0]
	h.WebIdentityToken = src
	h.Origin[plan.FieldWebIdentityToken] = from.src.String()
	r.show(KeyWebIdentityToken, src.String(), from.src)
	if from.src != prov.src {
		r.show(KeyWebIdentityProvider, orNone(prov.raw, "(none)"), prov.src)
	}
	return nil
}

// ciToken makes the token source of a CI provider.
func (r *resolver) ciToken(prov value) (plan.TokenSource, error) {
	opts := oidctoken.Options{LookupEnv: r.in.LookupEnv}
	for _, v := range []struct {
		key string
		dst *string
	}{{KeyWebIdentityAudience, &opts.Audience}, {KeyWebIdentityTokenEnv, &opts.TokenEnv}} {
		got, err := r.lookup(v.key)
		if err != nil {
			return nil, err
		}
		*v.dst = strings.TrimSpace(got.raw)
		r.show(v.key, orNone(got.raw, "(default)"), got.src)
	}
	r.show(KeyWebIdentityProvider, prov.raw, prov.src)
	src, err := oidctoken.New(strings.TrimSpace(prov.raw), opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prov.src, err)
	}
	return src, nil
}

// authProvider records the auth provider command, which runs later, before any STS call.
func (r *resolver) authProvider(p *plan.Plan) error {
	cmd, err := r.lookup(KeyAuthProviderCmd)
	if err != nil || !cmd.set {
		r.show(KeyAuthProviderCmd, "(none)", cmd.src)
		return err
	}
	timeout, err := r.lookup(KeyAuthProviderTimeout)
	if err != nil {
		return err
	}
	ap := &plan.AuthProvider{Command: cmd.raw, Timeout: defaultProviderTimeout, Origin: cmd.src.String()}
	if timeout.set {
		if ap.Timeout, err = parseTimeout(timeout.raw); err != nil {
			return fmt.Errorf("%s: %w", timeout.src, err)
		}
	}
	p.AuthProvider = ap
	r.show(KeyAuthProviderCmd, cmd.raw, cmd.src)
	r.show(KeyAuthProviderTimeout, plan.FormatDuration(ap.Timeout), timeout.src)
	return nil
}

// defaultProviderTimeout bounds an auth provider that hangs.
const defaultProviderTimeout = 5 * time.Minute

// parseTimeout reads a positive duration given as seconds or as a Go duration.
func parseTimeout(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 && n < 1<<31 {
		return time.Duration(n) * time.Second, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("timeout %q is not a positive number of seconds or a duration like 30s or 10m", s)
}

// display shortens a path to one relative to the working directory when that is shorter.
func (r *resolver) display(path string) string {
	if rel, err := filepath.Rel(r.in.Dir, path); err == nil && len(rel) < len(path) {
		return rel
	}
	return path
}

func orNone(v, none string) string {
	if v == "" {
		return none
	}
	return v
}

// lookupBool returns a switch's value: a flag, or true/false (1/0, yes is not accepted) in the
// environment or the file.
func (r *resolver) lookupBool(key string) (bool, Source, error) {
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

// mfa sets up the MFA device: an MFA session before the hops, or codes on AssumeRole calls
// (--mfa-on-assume, or mfa_serial in an assume_role block).
func (r *resolver) mfa(p *plan.Plan) error {
	serial, err := r.lookup(KeyMFASerial)
	if err != nil {
		return err
	}
	onAssume, onSrc, err := r.lookupBool(KeyMFAOnAssume)
	if err != nil {
		return err
	}
	needCodes := serial.set
	for _, h := range p.Hops {
		needCodes = needCodes || h.MFASerial != ""
	}
	r.show(KeyMFASerial, orNone(serial.raw, "(none)"), serial.src)
	if !needCodes {
		if onAssume {
			return fmt.Errorf("%s: --mfa-on-assume needs an MFA serial number; set --serial-number", onSrc)
		}
		return nil
	}
	if p.Codes, err = r.codes(); err != nil {
		return err
	}
	if !serial.set {
		return nil
	}
	sn := strings.TrimSpace(serial.raw)
	if err := mfa.CheckSerial(sn); err != nil {
		return fmt.Errorf("%s: %w", serial.src, err)
	}
	m := &plan.MFA{Serial: sn, Origin: serial.src.String(), SessionDuration: mfa.DefaultSessionDuration, OnAssume: onAssume}
	d, err := r.lookup(KeyMFASessionDuration)
	if err != nil {
		return err
	}
	if d.set {
		if m.SessionDuration, err = parseTimeout(d.raw); err != nil {
			return fmt.Errorf("%s: %w", d.src, err)
		}
		if m.SessionDuration < mfa.MinSessionDuration || m.SessionDuration > mfa.MaxSessionDuration {
			return fmt.Errorf("%s: MFA session duration %s is out of range; STS accepts 15m to 36h", d.src, plan.FormatDuration(m.SessionDuration))
		}
	}
	if onAssume && len(p.Hops) > 0 {
		p.Hops[0].MFASerial = sn
		p.Hops[0].Origin[plan.FieldMFASerial] = onSrc.String()
	}
	p.MFA = m
	how := "MFA session (GetSessionToken) for " + plan.FormatDuration(m.SessionDuration)
	if onAssume {
		how = "code sent on the first AssumeRole"
	}
	r.show(KeyMFAOnAssume, how, onSrc)
	return nil
}

// codes chooses where MFA codes come from: the code given, else a command, else the terminal.
func (r *resolver) codes() (plan.CodeSource, error) {
	code, err := r.lookup(KeyTokenCode)
	if err != nil {
		return nil, err
	}
	if code.set {
		c := strings.TrimSpace(code.raw)
		if err := mfa.CheckCode(c); err != nil {
			return nil, fmt.Errorf("%s: %w", code.src, err)
		}
		r.show(KeyTokenCode, "<redacted>", code.src)
		return mfa.Static(c), nil
	}
	cmd, err := r.lookup(KeyMFATokenCmd)
	if err != nil {
		return nil, err
	}
	if cmd.set {
		r.show(KeyMFATokenCmd, cmd.raw, cmd.src)
		return mfa.Command{Line: cmd.raw, Dir: r.in.Dir, Stderr: r.in.Stderr}, nil
	}
	r.show(KeyTokenCode, "(asked on the terminal when needed)", code.src)
	return mfa.Prompt{}, nil
}

// base chooses stored long-term keys over a profile when both are set, by layer.
func (r *resolver) base(p *plan.Plan) error {
	v, err := r.lookup(KeyCredentials)
	if err != nil || !v.set {
		r.show(KeyCredentials, "(none)", v.src)
		return err
	}
	prof, err := r.lookup(KeyProfile)
	if err != nil {
		return err
	}
	if prof.set && prof.src.Kind == v.src.Kind {
		return fmt.Errorf("%s and %s both choose the base credentials; keep one", v.src, prof.src)
	}
	if prof.set && prof.src.Kind > v.src.Kind {
		r.show(KeyCredentials, v.raw+" (not used: "+prof.src.String()+" is stronger)", v.src)
		return nil
	}
	p.StoredCredentials, p.StoredOrigin = strings.TrimSpace(v.raw), v.src.String()
	p.Profile = ""
	r.show(KeyCredentials, p.StoredCredentials, v.src)
	return nil
}

// store reads the secret store and cache settings.
func (r *resolver) store() error {
	st := &r.res.Store
	b, err := r.lookup(KeyKeyringBackend)
	if err != nil {
		return err
	}
	st.Backend = strings.TrimSpace(b.raw)
	r.show(KeyKeyringBackend, orNone(st.Backend, "(the first that works)"), b.src)
	var src Source
	if st.NoCache, src, err = r.lookupBool(KeyNoCache); err != nil {
		return err
	}
	r.show(KeyNoCache, strconv.FormatBool(st.NoCache), src)
	ttl, err := r.lookup(KeyMinTTL)
	if err != nil {
		return err
	}
	st.MinTTL = 5 * time.Minute
	if ttl.set {
		if st.MinTTL, err = parseTimeout(ttl.raw); err != nil {
			return fmt.Errorf("%s: %w", ttl.src, err)
		}
	}
	r.show(KeyMinTTL, plan.FormatDuration(st.MinTTL), ttl.src)
	to, err := r.lookup(KeySTSTimeout)
	if err != nil {
		return err
	}
	st.STSTimeout = 30 * time.Second
	if to.set {
		if st.STSTimeout, err = parseTimeout(to.raw); err != nil {
			return fmt.Errorf("%s: %w", to.src, err)
		}
	}
	r.show(KeySTSTimeout, plan.FormatDuration(st.STSTimeout), to.src)
	if st.Server, src, err = r.lookupBool(KeyServer); err != nil {
		return err
	}
	if st.Server {
		r.show(KeyServer, "true", src)
	}
	return nil
}

// ResolveStore takes only the secret store and cache settings, for commands that manage the
// store (credentials, cache) and need nothing else.
func ResolveStore(in Inputs) (Store, error) {
	r := newResolver(in)
	if err := r.loadFile(); err != nil {
		return Store{}, err
	}
	if err := r.store(); err != nil {
		return Store{}, err
	}
	return r.res.Store, nil
}
