package chain

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rolehop/rolehop/internal/mototest"
	"github.com/rolehop/rolehop/internal/plan"
)

// moto is the emulator these tests talk to, started once by TestMain.
var moto *mototest.Server

func TestMain(m *testing.M) {
	mototest.Main(m, []string{"aws"}, func(s *mototest.Server) { moto = s })
}

// awsEnv points the SDK at endpoint with the given base keys, and away from the user's own
// configuration and from instance metadata.
func awsEnv(t *testing.T, endpoint, key, secret string) {
	t.Helper()
	home := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_STS":        endpoint,
		"AWS_ACCESS_KEY_ID":           key,
		"AWS_SECRET_ACCESS_KEY":       secret,
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "credentials"),
		"AWS_MAX_ATTEMPTS":            "2",
	} {
		t.Setenv(k, v)
		if v == "" {
			// Empty is not unset: the AWS CLI would look for a profile named "".
			os.Unsetenv(k)
		}
	}
}

func recorder(t *testing.T) *mototest.Recorder {
	t.Helper()
	rec, err := mototest.NewRecorder(moto.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })
	return rec
}

func mustHop(t *testing.T, arn string) plan.Hop {
	t.Helper()
	role, err := plan.ParseRoleARN(arn)
	if err != nil {
		t.Fatal(err)
	}
	return plan.Hop{Role: role, SessionName: "chain-test", Duration: time.Hour, Origin: map[string]plan.Origin{}}
}

// webIdentityHop is mustHop's hop assumed with a web identity token read from a file that
// holds content.
func webIdentityHop(t *testing.T, arn, content string) plan.Hop {
	t.Helper()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	tok, err := plan.NewToken(tokenFile, "")
	if err != nil {
		t.Fatal(err)
	}
	h := mustHop(t, arn)
	h.WebIdentityToken = tok
	return h
}

func retrieve(t *testing.T, p *plan.Plan) (*Chain, error) {
	t.Helper()
	ch, err := New(context.Background(), p, Options{})
	if err != nil {
		return nil, err
	}
	_, err = ch.Retrieve(context.Background())
	return ch, err
}

func TestTwoHopChainSignsEachHopWithThePreviousOne(t *testing.T) {
	rec := recorder(t)
	awsEnv(t, rec.URL, "AKIABASEKEYEXAMPLE01", "base-secret")
	hub := mustHop(t, "arn:aws:iam::222222222222:role/hub")
	deploy := mustHop(t, "arn:aws:iam::111111111111:role/deploy")
	deploy.ExternalID, deploy.SourceIdentity = "partner-42", "jane"
	deploy.Tags = []plan.Tag{{Key: "team", Value: "platform"}}
	deploy.TransitiveTagKeys = []string{"team"}
	deploy.PolicyARNs = []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}
	deploy.Policy = `{"Version":"2012-10-17","Statement":[]}`
	deploy.Duration = 30 * time.Minute
	p := &plan.Plan{Region: "eu-west-1", Hops: []plan.Hop{hub, deploy}}

	ch, err := retrieve(t, p)
	if err != nil {
		t.Fatal(err)
	}
	id, err := ch.Identity(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if id.ARN != "arn:aws:sts::111111111111:assumed-role/deploy/chain-test" || id.Account != "111111111111" {
		t.Errorf("identity = %+v", id)
	}
	if ch.Region() != "eu-west-1" {
		t.Errorf("Region() = %q", ch.Region())
	}

	calls := rec.Calls()
	if len(calls) != 3 {
		t.Fatalf("calls = %v", calls)
	}
	if c := calls[0]; c.Action != "AssumeRole" || c.AccessKeyID != "AKIABASEKEYEXAMPLE01" || c.Params.Get("RoleArn") != hub.Role.String() {
		t.Errorf("call 1 = %v", c)
	}
	want := map[string]string{
		"RoleArn": deploy.Role.String(), "RoleSessionName": "chain-test", "DurationSeconds": "1800",
		"ExternalId": "partner-42", "SourceIdentity": "jane", "Tags.member.1.Key": "team", "Tags.member.1.Value": "platform",
		"TransitiveTagKeys.member.1": "team", "PolicyArns.member.1.arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
		"Policy": `{"Version":"2012-10-17","Statement":[]}`,
	}
	for k, v := range want {
		if got := calls[1].Params.Get(k); got != v {
			t.Errorf("call 2 %s = %q, want %q", k, got, v)
		}
	}
	if calls[1].AccessKeyID != calls[0].IssuedAccessKeyID || calls[2].AccessKeyID != calls[1].IssuedAccessKeyID {
		t.Errorf("hops not signed by the previous hop: %v", calls)
	}
}

func TestWebIdentityNeedsNoBaseCredentials(t *testing.T) {
	rec := recorder(t)
	awsEnv(t, rec.URL, "", "")
	h := webIdentityHop(t, "arn:aws:iam::111111111111:role/ci", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln\n")
	if _, err := retrieve(t, &plan.Plan{Hops: []plan.Hop{h}}); err != nil {
		t.Fatal(err)
	}
	c := rec.Calls()[0]
	if c.Action != "AssumeRoleWithWebIdentity" || c.AccessKeyID != "" || c.Params.Get("WebIdentityToken") != "eyJhbGciOiJSUzI1NiJ9.e30.c2ln" {
		t.Errorf("call = %v, token %q", c, c.Params.Get("WebIdentityToken"))
	}
}

func TestNoRoleHandsOverBaseCredentials(t *testing.T) {
	rec := recorder(t)
	awsEnv(t, rec.URL, "AKIABASEKEYEXAMPLE01", "base-secret")
	ch, err := New(context.Background(), &plan.Plan{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	creds, err := ch.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "AKIABASEKEYEXAMPLE01" || creds.CanExpire {
		t.Fatalf("creds = %v, %v", creds.AccessKeyID, err)
	}
	if n := len(rec.Calls()); n != 0 {
		t.Errorf("%d STS calls, want none", n)
	}
}

func TestFailures(t *testing.T) {
	deploy := mustHop(t, "arn:aws:iam::111111111111:role/deploy")
	tests := []struct {
		name     string
		endpoint string
		key      string
		plan     plan.Plan
		want     string
	}{
		{"unreachable STS", "http://127.0.0.1:9", "AKIABASEKEYEXAMPLE01", plan.Plan{Hops: []plan.Hop{deploy}},
			"hop 1 (arn:aws:iam::111111111111:role/deploy): AssumeRole: cannot reach STS at http://127.0.0.1:9: connection refused; check the network, --region and AWS_ENDPOINT_URL_STS"},
		{"no base credentials", moto.URL, "", plan.Plan{Hops: []plan.Hop{deploy}},
			"base credentials (AWS SDK default chain): no credentials found in the environment, shared files, SSO or instance metadata; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pick a profile with --profile, or log in with aws sso login"},
		{"missing profile", moto.URL, "AKIABASEKEYEXAMPLE01", plan.Plan{Profile: "nope", ProfileOrigin: plan.Origin{Layer: plan.FromFlag, Name: "--profile"}, Hops: []plan.Hop{deploy}},
			`flag --profile: profile "nope" is not in the AWS config or credentials file; check the name (aws configure list-profiles)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := "base-secret"
			if tt.key == "" {
				secret = "" // no base credentials at all: half a pair is an error of its own
			}
			awsEnv(t, tt.endpoint, tt.key, secret)
			_, err := retrieve(t, &tt.plan)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error = %v\nwant    %s", err, tt.want)
			}
		})
	}
}

// TestSTSErrorCodes runs against a moto that checks signatures and IAM policies, so STS
// itself refuses: a user with no permission to assume the role, a wrong secret key, an
// unknown access key.
func TestSTSErrorCodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	strict, err := mototest.Start(ctx, "INITIAL_NO_AUTH_ACTION_COUNT=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { strict.Close() })
	rec, err := mototest.NewRecorder(strict.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })
	awsEnv(t, strict.URL, "AKIAANYTHING00000000", "anything")
	// The two calls moto lets through unchecked create a user with no policy and its key.
	cli := func(args ...string) []byte {
		cmd := exec.Command("aws", append([]string{"--endpoint-url", strict.URL, "--region", "us-east-1", "--output", "json"}, args...)...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("aws %v: %v", args, err)
		}
		return out
	}
	cli("iam", "create-user", "--user-name", "nobody")
	var key struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	if err := json.Unmarshal(cli("iam", "create-access-key", "--user-name", "nobody"), &key); err != nil {
		t.Fatal(err)
	}

	deploy := mustHop(t, "arn:aws:iam::111111111111:role/deploy")
	tests := []struct {
		name, key, secret, code, want string
	}{
		{"no permission", key.AccessKey.AccessKeyId, key.AccessKey.SecretAccessKey, "AccessDenied",
			"check that the role's trust policy allows your identity (and any external ID or MFA condition) and that your identity may call sts:AssumeRole on it"},
		{"wrong secret", key.AccessKey.AccessKeyId, "wrong-secret", "SignatureDoesNotMatch",
			"the secret key does not match the access key; check your base credentials"},
		{"unknown key", "AKIAUNKNOWNKEY000000", "x", "InvalidClientTokenId",
			"the access key used for this call is not valid; check your base credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			awsEnv(t, rec.URL, tt.key, tt.secret)
			_, err := retrieve(t, &plan.Plan{Hops: []plan.Hop{deploy}})
			var he *HopError
			if !errors.As(err, &he) || he.Code() != tt.code {
				t.Fatalf("error = %v, want STS code %s", err, tt.code)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "hop 1 (arn:aws:iam::111111111111:role/deploy): AssumeRole: "+tt.code+": ") || !strings.HasSuffix(msg, "; "+tt.want) {
				t.Errorf("message = %q", msg)
			}
			if strings.Contains(msg, tt.secret) || strings.ContainsAny(msg, "\n") {
				t.Errorf("message leaks the secret or spans lines: %q", msg)
			}
		})
	}
}
