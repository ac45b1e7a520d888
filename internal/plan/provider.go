package plan

import (
	"fmt"

	"github.com/rolehop/rolehop/internal/authprovider"
)

// WithProvider returns the plan with an auth provider's result applied:
//
//   - awsCredentials become the base credentials;
//   - awsRole becomes the first hop, assumed from those credentials (a chain: Terragrunt would
//     ignore the role when credentials are present), or from the usual base credentials; the
//     roles the user set follow it as further hops;
//   - envs are kept for the command.
//
// Every value is checked as a setting would be, and errors start with origin (which names the
// provider) and the field.
func (p Plan) WithProvider(r *authprovider.Result, origin string) (Plan, error) {
	q := p
	q.Hops = append([]Hop(nil), p.Hops...)
	userToken := len(p.Hops) > 0 && p.Hops[0].WebIdentityToken != nil
	if c := r.Credentials; c != nil {
		if userToken && r.Role == nil {
			return Plan{}, fmt.Errorf("%s: awsCredentials cannot be used: the first role is assumed with a web identity token (%s), which needs no credentials",
				origin, p.Hops[0].Origin[FieldWebIdentityToken])
		}
		q.Credentials = &Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
			Origin: Origin{Layer: FromProvider, Name: origin}}
	}
	if r.Credentials != nil && r.Role != nil && r.Role.WebIdentityToken != "" {
		return Plan{}, fmt.Errorf("%s: awsCredentials cannot be used with awsRole.webIdentityToken: AssumeRoleWithWebIdentity needs no credentials; drop one of them", origin)
	}
	if r.Role != nil {
		if userToken {
			return Plan{}, fmt.Errorf("%s: awsRole becomes the first hop, so the web identity token from %s has no role to go with; drop one of them",
				origin, p.Hops[0].Origin[FieldWebIdentityToken])
		}
		h, err := p.providerHop(r.Role, origin)
		if err != nil {
			return Plan{}, err
		}
		q.Hops = append([]Hop{h}, q.Hops...)
	}
	for _, e := range r.Envs {
		q.Envs = append(q.Envs, Env{Name: e.Name, Value: e.Value})
	}
	return q, q.Check()
}

func (p Plan) providerHop(r *authprovider.Role, origin string) (Hop, error) {
	role, err := ParseRoleARN(r.ARN)
	if err != nil {
		return Hop{}, fmt.Errorf("%s: awsRole.roleARN: %w", origin, err)
	}
	field := func(name string) Origin { return Origin{Layer: FromProvider, Name: origin + " awsRole." + name} }
	h := Hop{
		Role: role, SessionName: p.Defaults.SessionName, Duration: p.Defaults.Duration,
		Origin: map[string]Origin{FieldRoleARN: field("roleARN"),
			FieldSessionName: p.Defaults.Origin[FieldSessionName], FieldDuration: p.Defaults.Origin[FieldDuration]},
	}
	if h.Duration == 0 {
		h.Duration = DefaultDuration
	}
	if r.SessionName != "" {
		if err := CheckSessionName(r.SessionName); err != nil {
			return Hop{}, fmt.Errorf("%s: awsRole.sessionName: %w", origin, err)
		}
		h.SessionName, h.Origin[FieldSessionName] = r.SessionName, field("sessionName")
	}
	if r.Duration != 0 {
		if r.Duration < MinDuration || r.Duration > MaxDuration {
			return Hop{}, fmt.Errorf("%s: awsRole.duration: %d seconds is out of range; STS accepts 900 to 43200", origin, int64(r.Duration.Seconds()))
		}
		h.Duration, h.Origin[FieldDuration] = r.Duration, field("duration")
	}
	if r.WebIdentityToken != "" {
		tok, err := NewToken(r.WebIdentityToken, "")
		if err != nil {
			return Hop{}, fmt.Errorf("%s: awsRole.webIdentityToken: %w", origin, err)
		}
		h.WebIdentityToken, h.Origin[FieldWebIdentityToken] = tok, field("webIdentityToken")
	}
	return h, nil
}
