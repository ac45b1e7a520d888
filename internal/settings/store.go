package settings

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rolehop/rolehop/internal/configfile"
	"github.com/rolehop/rolehop/internal/display"
	"github.com/rolehop/rolehop/internal/plan"
	"github.com/rolehop/rolehop/internal/secretstore"
	"github.com/rolehop/rolehop/internal/settings/spec"
)

// base chooses stored long-term keys over a profile when both are set, by layer.
func (r *resolver) base(p *plan.Plan) error {
	v, err := r.lookup(spec.KeyCredentials)
	if err != nil || !v.set {
		r.show(spec.KeyCredentials, "(none)", v.src)
		return err
	}
	prof, err := r.lookup(spec.KeyProfile)
	if err != nil {
		return err
	}
	if prof.set && prof.src.Layer == v.src.Layer {
		return fmt.Errorf("%s and %s both choose the base credentials; keep one", v.src, prof.src)
	}
	if prof.set && prof.src.Layer > v.src.Layer {
		r.show(spec.KeyCredentials, v.raw+" (not used: "+prof.src.String()+" is stronger)", v.src)
		return nil
	}
	p.StoredCredentials, p.StoredOrigin = strings.TrimSpace(v.raw), v.src
	p.Profile = ""
	r.show(spec.KeyCredentials, p.StoredCredentials, v.src)
	return nil
}

// store reads the secret store and cache settings.
func (r *resolver) store() error {
	st := &r.res.Store
	b, err := r.lookup(spec.KeyKeyringBackend)
	if err != nil {
		return err
	}
	st.Backend, st.BackendOrigin = strings.TrimSpace(b.raw), b.src
	if err := checkBackend(st.Backend); err != nil {
		return fmt.Errorf("%s: %w", b.src, err)
	}
	r.show(spec.KeyKeyringBackend, orNone(st.Backend, "(the first that works)"), b.src)
	var src plan.Origin
	if st.NoCache, src, err = r.lookupBool(spec.KeyNoCache); err != nil {
		return err
	}
	r.show(spec.KeyNoCache, strconv.FormatBool(st.NoCache), src)
	if st.MinTTL, st.MinTTLOrigin, err = r.lookupDuration(spec.KeyMinTTL); err != nil {
		return err
	}
	r.show(spec.KeyMinTTL, display.Duration(st.MinTTL), st.MinTTLOrigin)
	if st.STSTimeout, src, err = r.lookupDuration(spec.KeySTSTimeout); err != nil {
		return err
	}
	r.show(spec.KeySTSTimeout, display.Duration(st.STSTimeout), src)
	if st.Server, src, err = r.lookupBool(spec.KeyServer); err != nil {
		return err
	}
	if st.Server {
		r.show(spec.KeyServer, "true", src)
	}
	return nil
}

// checkBackend accepts "" (the first that works) and the names of secretstore's backends, even
// those this platform lacks: whether one opens is known only when it is used.
func checkBackend(name string) error {
	valid := secretstore.Backends()
	if name == "" || slices.Contains(valid, name) {
		return nil
	}
	return fmt.Errorf("unknown secret store backend %q%s (valid: %s)", name, configfile.DidYouMean(name, valid), strings.Join(valid, ", "))
}

// checkMinTTL refuses a --min-ttl the cache could never meet: credentials that last no longer
// than it would be fetched anew on every run.
func (r *resolver) checkMinTTL(p *plan.Plan) error {
	st := r.res.Store
	if st.NoCache {
		return nil
	}
	fail := func(what string, d time.Duration, origin plan.Origin, of string) error {
		return fmt.Errorf("%s: %s is not shorter than %s %s (%s)%s; the cache could never be used; lower --min-ttl",
			st.MinTTLOrigin, display.Duration(st.MinTTL), what, display.Duration(d), origin, of)
	}
	if m := p.MFA; m != nil && !m.OnAssume && st.MinTTL >= m.SessionDuration {
		return fail("the MFA session duration", m.SessionDuration, r.mfaDuration, "")
	}
	for i, h := range p.Hops {
		if st.MinTTL >= h.Duration {
			return fail("the session duration", h.Duration, h.Origin[plan.FieldDuration], fmt.Sprintf(" of hop %d (%s)", i+1, h.Role))
		}
	}
	return nil
}

// ResolveStore takes only the secret store and cache settings, for commands that manage the
// store (credentials, cache) and need nothing else.
func ResolveStore(in Inputs) (Store, error) {
	r := newResolver(in)
	if err := r.start(); err != nil {
		return Store{}, err
	}
	if err := r.store(); err != nil {
		return Store{}, err
	}
	return r.res.Store, nil
}
