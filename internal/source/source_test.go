package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rolehop/rolehop/internal/authprovider"
	"github.com/rolehop/rolehop/internal/chain"
	"github.com/rolehop/rolehop/internal/mototest"
	"github.com/rolehop/rolehop/internal/plan"
)

// isolate keeps the AWS SDK to the environment a test gives it.
func isolate(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": "", "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "AKIAENVIRONMENT00001", "AWS_SECRET_ACCESS_KEY": "environment-secret",
	} {
		t.Setenv(k, v)
	}
}

func TestStoredKeysAreReadOnce(t *testing.T) {
	isolate(t)
	sts := mototest.NewEchoSTS(0)
	t.Cleanup(sts.Close)
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)
	role, err := plan.ParseRoleARN("arn:aws:iam::111111111111:role/deploy")
	if err != nil {
		t.Fatal(err)
	}
	p := plan.Plan{
		StoredCredentials: "work", StoredOrigin: plan.Origin{Layer: plan.FromFlag, Name: "--credentials"},
		Hops: []plan.Hop{{Role: role, SessionName: "s", Duration: time.Hour, Origin: map[string]plan.Origin{}}},
	}
	reads := 0
	src := New(p, Options{Chain: chain.Options{Keys: func(name string) (aws.Credentials, error) {
		reads++
		return aws.Credentials{AccessKeyID: "AKIASTORED0000000001", SecretAccessKey: "stored-secret"}, nil
	}}})
	for range 3 {
		creds, err := src.Retrieve(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if creds.AccessKeyID != mototest.EchoAccessKeyID {
			t.Fatalf("credentials %s, want the role's %s", creds.AccessKeyID, mototest.EchoAccessKeyID)
		}
	}
	if reads != 1 {
		t.Errorf("stored keys read %d times in 3 fetches, want once: a refresh must not open the store (or ask for its passphrase) again", reads)
	}
	if got := src.Region(); got != "us-east-1" {
		t.Errorf("region %q, want us-east-1", got)
	}
}

func TestProviderGetsStdinOnTheFirstFetchOnly(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	seen := filepath.Join(dir, "seen")
	line := `sh -c 'printf "[%s]" "$(cat)" >> ` + seen + `; echo "{\"envs\": {\"FROM_PROVIDER\": \"yes\"}}"'`
	p := plan.Plan{AuthProvider: &plan.AuthProvider{Command: line, Timeout: time.Minute, Origin: plan.Origin{Layer: plan.FromFlag, Name: "--auth-provider-cmd"}}}
	src := New(p, Options{Provider: authprovider.Command{Dir: dir, Stdin: strings.NewReader("typed at the terminal")}})
	for range 2 {
		creds, err := src.Retrieve(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if creds.AccessKeyID != "AKIAENVIRONMENT00001" {
			t.Errorf("credentials %s, want the environment's", creds.AccessKeyID)
		}
	}
	b, err := os.ReadFile(seen)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "[typed at the terminal][]" {
		t.Errorf("the provider read %q, want its input on the first run and none on the second", b)
	}
	if envs := src.Envs(); len(envs) != 1 || envs[0].Name != "FROM_PROVIDER" || envs[0].Value != "yes" {
		t.Errorf("envs %+v, want the provider's FROM_PROVIDER=yes", envs)
	}
}

func TestIdentityBeforeAnyFetch(t *testing.T) {
	if _, err := New(plan.Plan{}, Options{}).Identity(t.Context()); err == nil {
		t.Error("Identity before any fetch succeeded")
	}
}
