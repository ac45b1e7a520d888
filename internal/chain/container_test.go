package chain

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
)

// TestContainerTokenFileIsReadAtEachFetch: the token file wins over the variable, as in the
// SDKs, and is read again at each fetch, so a rotated token is used.
func TestContainerTokenFileIsReadAtEachFetch(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Authorization"))
		json.NewEncoder(w).Encode(map[string]string{
			"AccessKeyId": "ASIACONTAINER", "SecretAccessKey": "secret", "Token": "token",
			"Expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		})
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "token")
	vars := map[string]string{"AWS_CONTAINER_AUTHORIZATION_TOKEN": "from-the-variable"}
	env := func(name string) string { return vars[name] }
	if _, err := endpointcreds.New(srv.URL, containerToken(env)).Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	vars["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = file
	p := endpointcreds.New(srv.URL, containerToken(env))
	for _, token := range []string{"first\n", "rotated"} {
		if err := os.WriteFile(file, []byte(token), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"from-the-variable", "first", "rotated"}; !slices.Equal(seen, want) {
		t.Errorf("Authorization headers %q, want %q", seen, want)
	}
}
