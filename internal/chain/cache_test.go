package chain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/rolehop/rolehop/internal/credcache"
	"github.com/rolehop/rolehop/internal/plan"
)

// emptyStore is a credential cache store that holds nothing: these tests look at cache keys
// only.
type emptyStore struct{}

func (emptyStore) Get(string) ([]byte, bool, error) { return nil, false, nil }
func (emptyStore) Set(string, []byte, string) error { return nil }
func (emptyStore) Remove(string) error              { return nil }
func (emptyStore) Keys(string) ([]string, error)    { return nil, nil }
func (emptyStore) Label(string) (string, error)     { return "", nil }

// TestCacheKeyCoversSTSRegionAndEndpoint checks that the key of the last hop changes with the
// STS region and endpoint, for a web identity hop as for an AssumeRole hop: credentials from
// one STS (a test endpoint, another partition's region) must never be served for another.
func TestCacheKeyCoversSTSRegionAndEndpoint(t *testing.T) {
	webIdentity := webIdentityHop(t, "arn:aws:iam::111111111111:role/ci", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln\n")
	hops := map[string]plan.Hop{"web identity": webIdentity, "AssumeRole": mustHop(t, "arn:aws:iam::111111111111:role/deploy")}

	// keyOf returns the cache key parts of the last hop of a chain of hop.
	keyOf := func(t *testing.T, hop plan.Hop, region, endpoint string) []string {
		t.Helper()
		awsEnv(t, endpoint, "AKIABASEKEYEXAMPLE01", "base-secret")
		ch, err := New(context.Background(), &plan.Plan{Region: region, Hops: []plan.Hop{hop}}, Options{Cache: credcache.New(emptyStore{}, credcache.Options{})})
		if err != nil {
			t.Fatal(err)
		}
		parts, err := ch.parts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return parts.Parts
	}
	for name, hop := range hops {
		t.Run(name, func(t *testing.T) {
			base := keyOf(t, hop, "eu-west-1", "http://127.0.0.1:1")
			if again := keyOf(t, hop, "eu-west-1", "http://127.0.0.1:1"); !slices.Equal(again, base) {
				t.Errorf("the same chain has two keys:\n%q\n%q", base, again)
			}
			if other := keyOf(t, hop, "eu-west-2", "http://127.0.0.1:1"); slices.Equal(other, base) {
				t.Errorf("chains in eu-west-1 and eu-west-2 have the same key %q", base)
			}
			if other := keyOf(t, hop, "eu-west-1", "http://127.0.0.1:2"); slices.Equal(other, base) {
				t.Errorf("chains with STS endpoints http://127.0.0.1:1 and :2 have the same key %q", base)
			}
		})
	}
}

// TestCacheKeyNamesTheBase checks what names each kind of base identity in the cache list
// (credcache.Key.Base): enough to tell two chains from different identities apart, and never a
// secret or a whole access key ID. Every later step carries its base's name, and a web
// identity hop, which replaces the base, names its token by the start of its hash.
func TestCacheKeyNamesTheBase(t *testing.T) {
	webIdentity := webIdentityHop(t, "arn:aws:iam::111111111111:role/ci", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
	role := mustHop(t, "arn:aws:iam::111111111111:role/deploy")
	stored := func(string) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIASTOREDKEY0000042", SecretAccessKey: "stored-secret"}, nil
	}
	version := func(string) (string, bool) { return "v1", true }
	sso := func(*plan.SSO) (aws.CredentialsProvider, string, error) {
		return credentials.NewStaticCredentialsProvider("ASIASSO", "sso-secret", "sso-token"), "https://example.awsapps.com/start", nil
	}
	tests := []struct {
		name string
		plan plan.Plan
		opts Options
		want string
	}{
		{name: "keys in the environment", plan: plan.Plan{Hops: []plan.Hop{role}},
			want: "env AWS_ACCESS_KEY_ID (****LE01)"},
		{name: "an MFA session from them", plan: plan.Plan{MFA: &plan.MFA{Serial: "arn:aws:iam::111111111111:mfa/jane", SessionDuration: time.Hour}, Hops: []plan.Hop{role}},
			want: "env AWS_ACCESS_KEY_ID (****LE01)"},
		{name: "stored credentials, read for their key ID", plan: plan.Plan{StoredCredentials: "work", Hops: []plan.Hop{role}}, opts: Options{Keys: stored},
			want: `stored credentials "work" (****0042)`},
		{name: "stored credentials, by version", plan: plan.Plan{StoredCredentials: "work", Hops: []plan.Hop{role}}, opts: Options{Keys: stored, KeysVersion: version},
			want: `stored credentials "work"`},
		{name: "keys in a profile", plan: plan.Plan{Profile: "dev", Hops: []plan.Hop{role}, ProfileBase: &plan.ProfileBase{Kind: plan.BaseKeys, Profile: "dev",
			Keys: plan.Credentials{AccessKeyID: "AKIAPROFILEKEY000007", SecretAccessKey: "profile-secret"}, Origin: plan.Origin{Layer: plan.FromProfile, Name: "~/.aws/credentials [dev]"}}},
			want: "keys in ~/.aws/credentials [dev] (****0007)"},
		{name: "an auth provider's keys", plan: plan.Plan{Hops: []plan.Hop{role}, Credentials: &plan.Credentials{AccessKeyID: "AKIAPROVIDERKEY00009", SecretAccessKey: "provider-secret",
			Origin: plan.Origin{Layer: plan.FromProvider, Name: "auth provider ./login.sh"}}},
			want: "auth provider ./login.sh (****0009)"},
		{name: "an IAM Identity Center role", plan: plan.Plan{SSO: &plan.SSO{Session: "corp", AccountID: "222222222222", RoleName: "Admin"}, Hops: []plan.Hop{role}}, opts: Options{SSO: sso},
			want: "IAM Identity Center role Admin in account 222222222222 [https://example.awsapps.com/start]"},
		{name: "a web identity token", plan: plan.Plan{Hops: []plan.Hop{webIdentity, role}},
			want: "web identity token (sha256 " + sha256Prefix("eyJhbGciOiJSUzI1NiJ9.e30.c2ln") + ")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			awsEnv(t, "http://127.0.0.1:1", "AKIABASEKEYEXAMPLE01", "base-secret")
			tt.opts.Cache = credcache.New(emptyStore{}, credcache.Options{})
			ch, err := New(context.Background(), &tt.plan, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			key, err := ch.parts(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if key.Base != tt.want {
				t.Errorf("Base = %q, want %q", key.Base, tt.want)
			}
			for _, secret := range []string{"secret", "AKIA", "ASIA", "eyJ"} {
				if strings.Contains(key.Base, secret) {
					t.Errorf("Base %q holds %q", key.Base, secret)
				}
			}
		})
	}
}

func sha256Prefix(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:12]
}
