package settings

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rolehop/rolehop/internal/plan"
)

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
