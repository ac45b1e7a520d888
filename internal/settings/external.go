package settings

import (
	"fmt"
	"github.com/rolehop/rolehop/internal/display"
	"strconv"
	"strings"
	"time"

	"github.com/rolehop/rolehop/internal/oidctoken"
	"github.com/rolehop/rolehop/internal/plan"
	"github.com/rolehop/rolehop/internal/settings/spec"
)

// webIdentity sets the first hop's token: given directly (iam_web_identity_token) or fetched from
// a CI system (web_identity_provider). When both are set, the stronger layer wins; both in the
// same layer is an error.
func (r *resolver) webIdentity(p *plan.Plan) error {
	tok, err := r.lookup(spec.KeyWebIdentityToken)
	if err != nil {
		return err
	}
	prov, err := r.lookup(spec.KeyWebIdentityProvider)
	if err != nil {
		return err
	}
	if tok.set && prov.set && tok.src.Layer == prov.src.Layer {
		return fmt.Errorf("%s and %s both give the web identity token; keep one", tok.src, prov.src)
	}
	var src plan.TokenSource
	from := tok
	switch {
	case prov.set && (!tok.set || prov.src.Layer > tok.src.Layer):
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
		r.show(spec.KeyWebIdentityToken, "(none)", tok.src)
		r.show(spec.KeyWebIdentityProvider, "(none)", prov.src)
		return nil
	}
	if len(p.Hops) == 0 {
		return fmt.Errorf("%s: a web identity token needs a role to assume; set --iam-role", from.src)
	}
	h := &p.Hops[0]
	h.WebIdentityToken = src
	h.Origin[plan.FieldWebIdentityToken] = from.src
	r.show(spec.KeyWebIdentityToken, src.String(), from.src)
	if from.src != prov.src {
		r.show(spec.KeyWebIdentityProvider, orNone(prov.raw, "(none)"), prov.src)
	}
	return nil
}

// ciToken makes the token source of a CI provider.
func (r *resolver) ciToken(prov value) (plan.TokenSource, error) {
	opts := oidctoken.Options{LookupEnv: r.in.LookupEnv}
	for _, v := range []struct {
		key string
		dst *string
	}{{spec.KeyWebIdentityAudience, &opts.Audience}, {spec.KeyWebIdentityTokenEnv, &opts.TokenEnv}} {
		got, err := r.lookup(v.key)
		if err != nil {
			return nil, err
		}
		*v.dst = strings.TrimSpace(got.raw)
		r.show(v.key, orNone(got.raw, "(default)"), got.src)
	}
	r.show(spec.KeyWebIdentityProvider, prov.raw, prov.src)
	src, err := oidctoken.New(strings.TrimSpace(prov.raw), opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prov.src, err)
	}
	return src, nil
}

// authProvider records the auth provider command, which runs later, before any STS call.
func (r *resolver) authProvider(p *plan.Plan) error {
	cmd, err := r.lookup(spec.KeyAuthProviderCmd)
	if err != nil || !cmd.set {
		r.show(spec.KeyAuthProviderCmd, "(none)", cmd.src)
		return err
	}
	ap := &plan.AuthProvider{Command: cmd.raw, Origin: cmd.src}
	var timeout plan.Origin
	if ap.Timeout, timeout, err = r.lookupDuration(spec.KeyAuthProviderTimeout); err != nil {
		return err
	}
	p.AuthProvider = ap
	r.show(spec.KeyAuthProviderCmd, cmd.raw, cmd.src)
	r.show(spec.KeyAuthProviderTimeout, display.Duration(ap.Timeout), timeout)
	return nil
}

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
