package authprovider

import (
	"strings"
	"testing"
	"time"

	"github.com/rolehop/rolehop/internal/plan"
)

func TestApply(t *testing.T) {
	const origin = "flag --auth-provider-cmd: auth provider ./p.sh"
	base := plan.Plan{Defaults: plan.Hop{SessionName: "rolehop-jane", Duration: 2 * time.Hour,
		Origin: map[string]plan.Origin{plan.FieldSessionName: {}, plan.FieldDuration: {Layer: plan.FromFlag, Name: "--duration"}}}}
	userHop := hop(t, "arn:aws:iam::222222222222:role/user", time.Hour)
	withUser := base
	withUser.Hops = []plan.Hop{userHop}
	webUser := base
	webUser.Hops = []plan.Hop{hop(t, "arn:aws:iam::222222222222:role/user", time.Hour)}
	webUser.Hops[0].WebIdentityToken = mustToken(t, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
	webUser.Hops[0].Origin[plan.FieldWebIdentityToken] = plan.Origin{Layer: plan.FromEnv, Name: "ROLEHOP_IAM_WEB_IDENTITY_TOKEN"}
	creds := &Credentials{AccessKeyID: "AKIAP", SecretAccessKey: "s3cr3t"}
	role := func(arn string, mod ...func(*Role)) *Role {
		r := &Role{ARN: arn}
		for _, m := range mod {
			m(r)
		}
		return r
	}

	tests := []struct {
		name    string
		plan    plan.Plan
		result  Result
		check   func(t *testing.T, q plan.Plan)
		wantErr string
	}{
		{name: "credentials become the base", plan: base, result: Result{Credentials: creds},
			check: func(t *testing.T, q plan.Plan) {
				if q.Credentials == nil || q.Credentials.AccessKeyID != "AKIAP" || q.Credentials.Origin.String() != origin || len(q.Hops) != 0 {
					t.Errorf("plan = %+v", q)
				}
			}},
		{name: "a role takes the defaults", plan: base, result: Result{Role: role("arn:aws:iam::111111111111:role/p")},
			check: func(t *testing.T, q plan.Plan) {
				h := q.Hops[0]
				if h.Role.Name != "p" || h.SessionName != "rolehop-jane" || h.Duration != 2*time.Hour || h.Origin[plan.FieldDuration].String() != "flag --duration" {
					t.Errorf("hop = %+v", h)
				}
			}},
		{name: "the role's own session name and duration win", plan: base,
			result: Result{Role: role("arn:aws:iam::111111111111:role/p", func(r *Role) { r.SessionName, r.Duration = "prov", 30*time.Minute })},
			check: func(t *testing.T, q plan.Plan) {
				h := q.Hops[0]
				if h.SessionName != "prov" || h.Duration != 30*time.Minute || h.Origin[plan.FieldSessionName].String() != origin+" awsRole.sessionName" {
					t.Errorf("hop = %+v", h)
				}
			}},
		{name: "the provider's role comes before the user's", plan: withUser,
			result: Result{Credentials: creds, Role: role("arn:aws:iam::111111111111:role/p")},
			check: func(t *testing.T, q plan.Plan) {
				if len(q.Hops) != 2 || q.Hops[0].Role.Name != "p" || q.Hops[1].Role.Name != "user" || q.Credentials == nil {
					t.Errorf("hops = %+v", q.Hops)
				}
				if len(withUser.Hops) != 1 {
					t.Errorf("the original plan changed: %+v", withUser.Hops)
				}
			}},
		{name: "envs are kept", plan: base, result: Result{Envs: []Env{{Name: "A", Value: "1"}}},
			check: func(t *testing.T, q plan.Plan) {
				if len(q.Envs) != 1 || q.Envs[0] != (plan.Env{Name: "A", Value: "1"}) {
					t.Errorf("envs = %+v", q.Envs)
				}
			}},
		{name: "a web identity role", plan: base,
			result: Result{Role: role("arn:aws:iam::111111111111:role/p", func(r *Role) { r.WebIdentityToken = "eyJ.a.b" })},
			check: func(t *testing.T, q plan.Plan) {
				if q.Hops[0].API() != "AssumeRoleWithWebIdentity" {
					t.Errorf("hop = %+v", q.Hops[0])
				}
			}},
		{name: "bad ARN", plan: base, result: Result{Role: role("deploy")},
			wantErr: origin + `: awsRole.roleARN: "deploy" is not an ARN`},
		{name: "duration out of range", plan: base,
			result:  Result{Role: role("arn:aws:iam::111111111111:role/p", func(r *Role) { r.Duration = 13 * time.Hour })},
			wantErr: origin + ": awsRole.duration: 46800 seconds is out of range"},
		{name: "bad session name", plan: base,
			result:  Result{Role: role("arn:aws:iam::111111111111:role/p", func(r *Role) { r.SessionName = "a b" })},
			wantErr: origin + `: awsRole.sessionName: session name "a b" is invalid`},
		{name: "credentials and a web identity token", plan: base,
			result:  Result{Credentials: creds, Role: role("arn:aws:iam::111111111111:role/p", func(r *Role) { r.WebIdentityToken = "eyJ.a.b" })},
			wantErr: origin + ": awsCredentials cannot be used with awsRole.webIdentityToken"},
		{name: "credentials the user's web identity hop would ignore", plan: webUser, result: Result{Credentials: creds},
			wantErr: origin + ": awsCredentials cannot be used: the first role is assumed with a web identity token (env ROLEHOP_IAM_WEB_IDENTITY_TOKEN)"},
		{name: "a role before the user's web identity hop", plan: webUser, result: Result{Role: role("arn:aws:iam::111111111111:role/p")},
			wantErr: origin + ": awsRole becomes the first hop, so the web identity token from env ROLEHOP_IAM_WEB_IDENTITY_TOKEN has no role to go with"},
		{name: "the user's hop after the provider's is chained", plan: func() plan.Plan {
			p := base
			p.Hops = []plan.Hop{hop(t, "arn:aws:iam::222222222222:role/user", 2*time.Hour, plan.FieldDuration)}
			return p
		}(), result: Result{Role: role("arn:aws:iam::111111111111:role/p")},
			wantErr: "flag --duration: hop 2 (arn:aws:iam::222222222222:role/user): duration 2h is longer than 1h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Apply(tt.plan, &tt.result, origin)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want prefix %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Errorf("error repeats a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, q)
		})
	}
}

func hop(t *testing.T, arn string, d time.Duration, explicit ...string) plan.Hop {
	t.Helper()
	role, err := plan.ParseRoleARN(arn)
	if err != nil {
		t.Fatal(err)
	}
	h := plan.Hop{Role: role, SessionName: "s1", Duration: d, Origin: map[string]plan.Origin{}}
	for _, f := range explicit {
		h.Origin[f] = plan.Origin{Layer: plan.FromFlag, Name: "--" + f}
	}
	return h
}

func mustToken(t *testing.T, tok string) plan.TokenSource {
	t.Helper()
	src, err := plan.NewToken(tok, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return src
}
