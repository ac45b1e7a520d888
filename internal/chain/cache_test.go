package chain

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

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
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("eyJhbGciOiJSUzI1NiJ9.e30.c2ln\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tok, err := plan.NewToken(tokenFile, "")
	if err != nil {
		t.Fatal(err)
	}
	webIdentity := mustHop(t, "arn:aws:iam::111111111111:role/ci")
	webIdentity.WebIdentityToken = tok
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
		return parts
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
