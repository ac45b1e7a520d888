package settings

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rolehop/rolehop/internal/authprovider"
	"github.com/rolehop/rolehop/internal/display"

	"github.com/rolehop/rolehop/internal/oidctoken"
	"github.com/rolehop/rolehop/internal/plan"
)

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
	timeout, src, err := r.lookupDuration(KeyAuthProviderTimeout, authprovider.DefaultTimeout)
	if err != nil {
		return err
	}
	p.AuthProvider = &plan.AuthProvider{Command: cmd.raw, Timeout: timeout, Origin: cmd.src.String()}
	r.show(KeyAuthProviderCmd, cmd.raw, cmd.src)
	r.show(KeyAuthProviderTimeout, display.Duration(timeout), src)
	return nil
}

// lookupDuration returns the strongest value of the duration setting key, read by
// parseTimeout, or def when it is not set; and where it came from.
func (r *resolver) lookupDuration(key string, def time.Duration) (time.Duration, Source, error) {
	v, err := r.lookup(key)
	if err != nil || !v.set {
		return def, v.src, err
	}
	d, err := parseTimeout(v.raw)
	if err != nil {
		return 0, v.src, fmt.Errorf("%s: %w", v.src, err)
	}
	return d, v.src, nil
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
