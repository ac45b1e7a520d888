package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/rolehop/rolehop/internal/authprovider"
)

func TestWithProvider(t *testing.T) {
	const origin = "flag --auth-provider-cmd: auth provider ./p.sh"
	base := Plan{Defaults: Hop{SessionName: "rolehop-jane", Duration: 2 * time.Hour,
		Origin: map[string]Origin{FieldSessionName: {}, FieldDuration: {Layer: FromFlag, Name: "--duration"}}}}
	userHop := hop(t, "arn:aws:iam::222222222222:role/user", time.Hour)
	withUser := base
	withUser.Hops = []Hop{userHop}
	webUser := base
	webUser.Hops = []Hop{hop(t, "arn:aws:iam::222222222222:role/user", time.Hour)}
	webUser.Hops[0].WebIdentityToken = &Token{value: []byte("tok")}
	webUser.Hops[0].Origin[FieldWebIdentityToken] = Origin{Layer: FromEnv, Name: "ROLEHOP_IAM_WEB_IDENTITY_TOKEN"}
	creds := &authprovider.Credentials{AccessKeyID: "AKIAP", SecretAccessKey: "s3cr3t"}
	role := func(arn string, mod ...func(*authprovider.Role)) *authprovider.Role {
		r := &authprovider.Role{ARN: arn}
		for _, m := range mod {
			m(r)
		}
		return r
	}

	tests := []struct {
		name    string
		plan    Plan
		result  authprovider.Result
		check   func(t *testing.T, q Plan)
		wantErr string
	}{
		{name: "credentials become the base", plan: base, result: authprovider.Result{Credentials: creds},
			check: func(t *testing.T, q Plan) {
				if q.Credentials == nil || q.Credentials.AccessKeyID != "AKIAP" || q.Credentials.Origin.String() != origin || len(q.Hops) != 0 {
					t.Errorf("plan = %+v", q)
				}
			}},
		{name: "a role takes the defaults", plan: base, result: authprovider.Result{Role: role("arn:aws:iam::111111111111:role/p")},
			check: func(t *testing.T, q Plan) {
				h := q.Hops[0]
				if h.Role.Name != "p" || h.SessionName != "rolehop-jane" || h.Duration != 2*time.Hour || h.Origin[FieldDuration].String() != "flag --duration" {
					t.Errorf("hop = %+v", h)
				}
			}},
		{name: "the role's own session name and duration win", plan: base,
			result: authprovider.Result{Role: role("arn:aws:iam::111111111111:role/p", func(r *authprovider.Role) { r.SessionName, r.Duration = "prov", 30*time.Minute })},
			check: func(t *testing.T, q Plan) {
				h := q.Hops[0]
				if h.SessionName != "prov" || h.Duration != 30*time.Minute || h.Origin[FieldSessionName].String() != origin+" awsRole.sessionName" {
					t.Errorf("hop = %+v", h)
				}
			}},
		{name: "the provider's role comes before the user's", plan: withUser,
			result: authprovider.Result{Credentials: creds, Role: role("arn:aws:iam::111111111111:role/p")},
			check: func(t *testing.T, q Plan) {
				if len(q.Hops) != 2 || q.Hops[0].Role.Name != "p" || q.Hops[1].Role.Name != "user" || q.Credentials == nil {
					t.Errorf("hops = %+v", q.Hops)
				}
				if len(withUser.Hops) != 1 {
					t.Errorf("the original plan changed: %+v", withUser.Hops)
				}
			}},
		{name: "envs are kept", plan: base, result: authprovider.Result{Envs: []authprovider.Env{{Name: "A", Value: "1"}}},
			check: func(t *testing.T, q Plan) {
				if len(q.Envs) != 1 || q.Envs[0] != (Env{Name: "A", Value: "1"}) {
					t.Errorf("envs = %+v", q.Envs)
				}
			}},
		{name: "a web identity role", plan: base,
			result: authprovider.Result{Role: role("arn:aws:iam::111111111111:role/p", func(r *authprovider.Role) { r.WebIdentityToken = "eyJ.a.b" })},
			check: func(t *testing.T, q Plan) {
				if q.Hops[0].API() != "AssumeRoleWithWebIdentity" {
					t.Errorf("hop = %+v", q.Hops[0])
				}
			}},
		{name: "bad ARN", plan: base, result: authprovider.Result{Role: role("deploy")},
			wantErr: origin + `: awsRole.roleARN: "deploy" is not an ARN`},
		{name: "duration out of range", plan: base,
			result:  authprovider.Result{Role: role("arn:aws:iam::111111111111:role/p", func(r *authprovider.Role) { r.Duration = 13 * time.Hour })},
			wantErr: origin + ": awsRole.duration: 46800 seconds is out of range"},
		{name: "bad session name", plan: base,
			result:  authprovider.Result{Role: role("arn:aws:iam::111111111111:role/p", func(r *authprovider.Role) { r.SessionName = "a b" })},
			wantErr: origin + `: awsRole.sessionName: session name "a b" is invalid`},
		{name: "credentials and a web identity token", plan: base,
			result:  authprovider.Result{Credentials: creds, Role: role("arn:aws:iam::111111111111:role/p", func(r *authprovider.Role) { r.WebIdentityToken = "eyJ.a.b" })},
			wantErr: origin + ": awsCredentials cannot be used with awsRole.webIdentityToken"},
		{name: "credentials the user's web identity hop would ignore", plan: webUser, result: authprovider.Result{Credentials: creds},
			wantErr: origin + ": awsCredentials cannot be used: the first role is assumed with a web identity token (env ROLEHOP_IAM_WEB_IDENTITY_TOKEN)"},
		{name: "a role before the user's web identity hop", plan: webUser, result: authprovider.Result{Role: role("arn:aws:iam::111111111111:role/p")},
			wantErr: origin + ": awsRole becomes the first hop, so the web identity token from env ROLEHOP_IAM_WEB_IDENTITY_TOKEN has no role to go with"},
		{name: "the user's hop after the provider's is chained", plan: func() Plan {
			p := base
			p.Hops = []Hop{hop(t, "arn:aws:iam::222222222222:role/user", 2*time.Hour, FieldDuration)}
			return p
		}(), result: authprovider.Result{Role: role("arn:aws:iam::111111111111:role/p")},
			wantErr: "flag --duration: hop 2 (arn:aws:iam::222222222222:role/user): duration 2h is longer than 1h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := tt.plan.WithProvider(&tt.result, origin)
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
