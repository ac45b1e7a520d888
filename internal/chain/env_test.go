package chain

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/rolehop/rolehop/internal/plan"
)

func lookupIn(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestCheckEndpoints(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:4566"}, ""},
		{map[string]string{"AWS_ENDPOINT_URL": "https://sts.example.com/base"}, ""},
		{map[string]string{"AWS_ENDPOINT_URL_STS": ""}, ""},
		{map[string]string{"AWS_ENDPOINT_URL_STS": "127.0.0.1:4566"},
			`env AWS_ENDPOINT_URL_STS: "127.0.0.1:4566" is not a URL; write it with its scheme, like http://127.0.0.1:4566`},
		{map[string]string{"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:4566", "AWS_ENDPOINT_URL": "localstack:4566"},
			`env AWS_ENDPOINT_URL: "localstack:4566" is not a URL; write it with its scheme, like http://localstack:4566`},
		{map[string]string{"AWS_ENDPOINT_URL_STS": "ftp://sts.example.com"},
			`env AWS_ENDPOINT_URL_STS: "ftp://sts.example.com" is not a URL; write it with its scheme, like https://sts.us-east-1.amazonaws.com`},
		{map[string]string{"AWS_ENDPOINT_URL_STS": "http://"},
			`env AWS_ENDPOINT_URL_STS: "http://" is not a URL; write it with its scheme, like https://sts.us-east-1.amazonaws.com`},
		// The SDK ignores configured endpoints then, and so does the check.
		{map[string]string{"AWS_ENDPOINT_URL_STS": "127.0.0.1:4566", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, ""},
	}
	for _, tt := range tests {
		got := ""
		if err := checkEndpoints(lookupIn(tt.env)); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestEnvSession(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	keys := map[string]string{"AWS_ACCESS_KEY_ID": "ASIAENVKEY", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"}
	with := func(more map[string]string) map[string]string {
		env := map[string]string{}
		for _, m := range []map[string]string{keys, more} {
			for k, v := range m {
				env[k] = v
			}
		}
		return env
	}
	tok, err := plan.NewToken("eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "")
	if err != nil {
		t.Fatal(err)
	}
	web := plan.Plan{Hops: []plan.Hop{{WebIdentityToken: tok}}}
	tests := []struct {
		name    string
		plan    plan.Plan
		env     map[string]string
		want    time.Time
		wantErr string
	}{
		{name: "no keys", env: map[string]string{}},
		{name: "long-term keys", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_EXPIRATION": "2020-01-01T00:00:00Z"}},
		{name: "legacy names", env: map[string]string{"AWS_ACCESS_KEY": "AKIA", "AWS_SECRET_KEY": "s"}},
		{name: "key ID alone", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": ""},
			wantErr: "env AWS_ACCESS_KEY_ID: the access key ID is set but AWS_SECRET_ACCESS_KEY is not; set both, or unset AWS_ACCESS_KEY_ID to use other credentials"},
		{name: "secret alone, legacy name", env: map[string]string{"AWS_SECRET_KEY": "s"},
			wantErr: "env AWS_SECRET_KEY: the secret access key is set but AWS_ACCESS_KEY_ID is not; set both, or unset AWS_SECRET_KEY to use other credentials"},
		{name: "key ID alone with a profile", plan: plan.Plan{Profile: "work"}, env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIA"}},
		{name: "key ID alone with stored keys", plan: plan.Plan{StoredCredentials: "work"}, env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIA"}},
		{name: "key ID alone with a provider's keys", plan: plan.Plan{Credentials: &plan.Credentials{}}, env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIA"}},
		{name: "key ID alone with a web identity token", plan: web, env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIA"}},
		{name: "session without expiry", env: keys},
		{name: "session expiry", env: with(map[string]string{"AWS_SESSION_EXPIRATION": "2026-06-01T13:00:00Z"}), want: now.Add(time.Hour)},
		{name: "credential expiry, with an offset", env: with(map[string]string{"AWS_CREDENTIAL_EXPIRATION": "2026-06-01T15:00:00+02:00"}), want: now.Add(time.Hour)},
		{name: "two expiries: the earlier", env: with(map[string]string{"AWS_SESSION_EXPIRATION": "2026-06-01T14:00:00Z", "AWS_CREDENTIAL_EXPIRATION": "2026-06-01T13:00:00Z"}),
			want: now.Add(time.Hour)},
		{name: "expired", env: with(map[string]string{"AWS_SESSION_EXPIRATION": "2026-06-01T12:00:00Z"}),
			wantErr: "env AWS_SESSION_EXPIRATION: the session credentials in the environment expired at 2026-06-01T12:00:00Z; get new ones"},
		{name: "malformed", env: with(map[string]string{"AWS_CREDENTIAL_EXPIRATION": "1767225600"}),
			wantErr: `env AWS_CREDENTIAL_EXPIRATION: "1767225600" is not a time like 2026-01-02T15:04:05Z (RFC 3339)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := envSession(&tt.plan, lookupIn(tt.env), now)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestExpiringKeepsTheEnvironmentsExpiry(t *testing.T) {
	at := time.Date(2026, 6, 1, 13, 0, 0, 0, time.UTC)
	creds, err := expiring{inner: credentials.NewStaticCredentialsProvider("ASIA", "s", "token"), expires: at}.Retrieve(context.Background())
	if err != nil || !creds.CanExpire || !creds.Expires.Equal(at) {
		t.Errorf("got %+v, %v; want expiring at %v", creds, err, at)
	}
	if got := expiry(aws.Credentials{SessionToken: "token"}); got != "unknown" {
		t.Errorf("session credentials with no expiry: %q, want unknown", got)
	}
	if got := expiry(aws.Credentials{AccessKeyID: "AKIA"}); got != "never" {
		t.Errorf("long-term keys: %q, want never", got)
	}
}

func TestSDKProfile(t *testing.T) {
	keys := map[string]string{"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s"}
	tests := []struct {
		name string
		plan plan.Plan
		env  map[string]string
		want string
	}{
		{"named", plan.Plan{Profile: "work"}, keys, "work"},
		{"default", plan.Plan{}, nil, "default"},
		{"AWS_DEFAULT_PROFILE", plan.Plan{}, map[string]string{"AWS_DEFAULT_PROFILE": "ci"}, "ci"},
		{"environment keys first", plan.Plan{}, keys, ""},
		{"environment web identity first", plan.Plan{}, map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "/t"}, ""},
		{"stored keys", plan.Plan{Profile: "work", StoredCredentials: "k"}, nil, ""},
	}
	for _, tt := range tests {
		if got := SDKProfile(&tt.plan, lookupIn(tt.env)); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
