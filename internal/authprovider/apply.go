package authprovider

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/rolehop/rolehop/internal/awsenv"
	"github.com/rolehop/rolehop/internal/plan"
)

// Apply returns the plan p with an auth provider's result r applied:
//
//   - awsCredentials become the base credentials;
//   - awsRole becomes the first hop, assumed from those credentials (a chain: Terragrunt would
//     ignore the role when credentials are present), or from the usual base credentials; the
//     roles the user set follow it as further hops;
//   - envs are kept for the command, once checked: they may not set what rolehop sets or
//     removes to hand over one identity, nor what would reroute or take over the command (see
//     awsenv.CheckProviderVar), and a region must be a region name.
//
// Every value is checked as a setting would be, and errors start with origin (which names the
// provider) and the field.
func Apply(p plan.Plan, r *Result, origin string) (plan.Plan, error) {
	q := p
	q.Hops = append([]plan.Hop(nil), p.Hops...)
	userToken := len(p.Hops) > 0 && p.Hops[0].WebIdentityToken != nil
	if c := r.Credentials; c != nil {
		if userToken && r.Role == nil {
			return plan.Plan{}, fmt.Errorf("%s: awsCredentials cannot be used: the first role is assumed with a web identity token (%s), which needs no credentials",
				origin, p.Hops[0].Origin[plan.FieldWebIdentityToken])
		}
		q.Credentials = &plan.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
			Origin: plan.Origin{Layer: plan.FromProvider, Name: origin}}
	}
	if r.Credentials != nil && r.Role != nil && r.Role.WebIdentityToken != "" {
		return plan.Plan{}, fmt.Errorf("%s: awsCredentials cannot be used with awsRole.webIdentityToken: AssumeRoleWithWebIdentity needs no credentials; drop one of them", origin)
	}
	if r.Role != nil {
		if userToken {
			return plan.Plan{}, fmt.Errorf("%s: awsRole becomes the first hop, so the web identity token from %s has no role to go with; drop one of them",
				origin, p.Hops[0].Origin[plan.FieldWebIdentityToken])
		}
		h, err := providerHop(p, r.Role, origin)
		if err != nil {
			return plan.Plan{}, err
		}
		q.Hops = append([]plan.Hop{h}, q.Hops...)
	}
	for _, e := range r.Envs {
		if err := checkEnv(e); err != nil {
			return plan.Plan{}, fmt.Errorf("%s: envs.%s: %w", origin, e.Name, err)
		}
		q.Envs = append(q.Envs, plan.Env{Name: e.Name, Value: e.Value})
	}
	return q, q.Check()
}

func providerHop(p plan.Plan, r *Role, origin string) (plan.Hop, error) {
	role, err := plan.ParseRoleARN(r.ARN)
	if err != nil {
		return plan.Hop{}, fmt.Errorf("%s: awsRole.roleARN: %w", origin, err)
	}
	field := func(name string) plan.Origin {
		return plan.Origin{Layer: plan.FromProvider, Name: origin + " awsRole." + name}
	}
	h := plan.Hop{
		Role: role, SessionName: p.Defaults.SessionName, Duration: p.Defaults.Duration,
		Origin: map[string]plan.Origin{plan.FieldRoleARN: field("roleARN"),
			plan.FieldSessionName: p.Defaults.Origin[plan.FieldSessionName], plan.FieldDuration: p.Defaults.Origin[plan.FieldDuration]},
	}
	if h.Duration == 0 {
		h.Duration = plan.DefaultDuration
	}
	if r.SessionName != "" {
		if err := plan.CheckSessionName(r.SessionName); err != nil {
			return plan.Hop{}, fmt.Errorf("%s: awsRole.sessionName: %w", origin, err)
		}
		h.SessionName, h.Origin[plan.FieldSessionName] = r.SessionName, field("sessionName")
	}
	if r.Duration != 0 {
		if r.Duration < plan.MinDuration || r.Duration > plan.MaxDuration {
			return plan.Hop{}, fmt.Errorf("%s: awsRole.duration: %d seconds is out of range; STS accepts 900 to 43200", origin, int64(r.Duration.Seconds()))
		}
		h.Duration, h.Origin[plan.FieldDuration] = r.Duration, field("duration")
	}
	if r.WebIdentityToken != "" {
		tok, err := plan.NewToken(r.WebIdentityToken, "")
		if err != nil {
			return plan.Hop{}, fmt.Errorf("%s: awsRole.webIdentityToken: %w", origin, err)
		}
		h.WebIdentityToken, h.Origin[plan.FieldWebIdentityToken] = tok, field("webIdentityToken")
	}
	return h, nil
}

// checkEnv checks a variable an auth provider asks rolehop to set for the command: one rolehop
// may hand on, and, for the region, a region name (the command would use it as is).
func checkEnv(e Env) error {
	if err := awsenv.CheckProviderVar(e.Name); err != nil {
		return err
	}
	if strings.EqualFold(e.Name, "AWS_REGION") || strings.EqualFold(e.Name, "AWS_DEFAULT_REGION") {
		return plan.CheckRegion(e.Value)
	}
	return nil
}

// Resolve runs the auth provider of p and returns p with its answer applied (see Apply). c says
// how the provider runs (Dir, Env, Stdin, Stderr); its command line and time limit come from
// the plan.
func Resolve(ctx context.Context, p plan.Plan, c Command, log *slog.Logger) (plan.Plan, error) {
	ap := p.AuthProvider
	c.Line, c.Timeout = ap.Command, ap.Timeout
	res, err := c.Run(ctx)
	if err != nil {
		return plan.Plan{}, fmt.Errorf("%s: %w", ap.Origin, err)
	}
	name := Program(ap.Command)
	log.Debug("auth provider", "command", name, "returned", strings.Join(res.Objects(), ","))
	return Apply(p, res, fmt.Sprintf("%s: auth provider %s", ap.Origin, name))
}
