package awsenv

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestForAndApply(t *testing.T) {
	exp := time.Date(2026, 11, 22, 1, 2, 3, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name   string
		creds  aws.Credentials
		region string
		env    []string
		want   []string
	}{
		{
			name:   "session credentials with region replace everything inherited",
			creds:  aws.Credentials{AccessKeyID: "ASIA1", SecretAccessKey: "s", SessionToken: "t", CanExpire: true, Expires: exp},
			region: "eu-west-1",
			env: []string{"PATH=/bin", "AWS_PROFILE=dev", "AWS_ACCESS_KEY_ID=old", "AWS_SESSION_TOKEN=stale", "AWS_ROLE_ARN=x",
				"AWS_WEB_IDENTITY_TOKEN_FILE=/t", "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://x", "AWS_DEFAULT_PROFILE=p", "AWS_REGION=us-east-1", "HOME=/h"},
			want: []string{"PATH=/bin", "HOME=/h", "AWS_ACCESS_KEY_ID=ASIA1", "AWS_SECRET_ACCESS_KEY=s", "AWS_SESSION_TOKEN=t", "AWS_SECURITY_TOKEN=t",
				"AWS_SESSION_EXPIRATION=2026-11-22T00:02:03Z", "AWS_CREDENTIAL_EXPIRATION=2026-11-22T00:02:03Z", "AWS_REGION=eu-west-1", "AWS_DEFAULT_REGION=eu-west-1"},
		},
		{
			name:  "long-term keys drop stale tokens and expirations, keep an unknown region alone",
			creds: aws.Credentials{AccessKeyID: "AKIA1", SecretAccessKey: "s"},
			env:   []string{"AWS_SESSION_TOKEN=stale", "AWS_SECURITY_TOKEN=stale", "AWS_SESSION_EXPIRATION=x", "AWS_REGION=us-east-1"},
			want:  []string{"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=AKIA1", "AWS_SECRET_ACCESS_KEY=s"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := For(tt.creds, tt.region).Apply(tt.env)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestUnsetAndSetAreDisjoint(t *testing.T) {
	e := For(aws.Credentials{AccessKeyID: "a", SecretAccessKey: "b", SessionToken: "c", CanExpire: true}, "us-east-1")
	for _, v := range e.Set {
		if slices.Contains(e.Unset, v.Name) {
			t.Errorf("%s is both set and unset", v.Name)
		}
	}
	for _, name := range []string{"AWS_PROFILE", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		if !slices.Contains(e.Unset, name) {
			t.Errorf("%s is not unset", name)
		}
	}
}

func TestForServer(t *testing.T) {
	env := []string{"AWS_ACCESS_KEY_ID=old", "AWS_SECRET_ACCESS_KEY=old", "AWS_SESSION_TOKEN=old", "AWS_PROFILE=p",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/x", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=/t", "PATH=/bin"}
	got := ForServer("http://127.0.0.1:5/creds", "tok", "eu-west-1").Apply(env)
	want := []string{"PATH=/bin", "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:5/creds", "AWS_CONTAINER_AUTHORIZATION_TOKEN=tok",
		"AWS_REGION=eu-west-1", "AWS_DEFAULT_REGION=eu-west-1"}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestForCommandDropsRolehopSecrets(t *testing.T) {
	env := []string{"ROLEHOP_KEYRING_PASSPHRASE=p", "ROLEHOP_TOKEN_CODE=123456", "ROLEHOP_IAM_ROLE=r", "PATH=/bin"}
	e := For(aws.Credentials{AccessKeyID: "a", SecretAccessKey: "b"}, "")
	got := e.ForCommand().Apply(env)
	want := []string{"ROLEHOP_IAM_ROLE=r", "PATH=/bin", "AWS_ACCESS_KEY_ID=a", "AWS_SECRET_ACCESS_KEY=b"}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if slices.Contains(e.Unset, "ROLEHOP_TOKEN_CODE") {
		t.Error("ForCommand changed the Environment it was called on")
	}
}

func TestWithoutSecretInputs(t *testing.T) {
	env := []string{"ROLEHOP_KEYRING_PASSPHRASE=p", "PATH=/bin", "ROLEHOP_TOKEN_CODE=123456", "ROLEHOP_IAM_ROLE=r"}
	got := WithoutSecretInputs(env)
	if want := []string{"PATH=/bin", "ROLEHOP_IAM_ROLE=r"}; !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if env[0] != "ROLEHOP_KEYRING_PASSPHRASE=p" {
		t.Error("WithoutSecretInputs changed its argument")
	}
	// The command loses the same variables.
	cmd := For(aws.Credentials{AccessKeyID: "a", SecretAccessKey: "b"}, "").ForCommand()
	for _, name := range SecretInputs() {
		if !slices.Contains(cmd.Unset, name) {
			t.Errorf("ForCommand keeps %s", name)
		}
	}
}

func TestCheckProviderVar(t *testing.T) {
	const (
		identity = "rolehop sets or removes this variable itself to hand over one identity; return credentials in awsCredentials instead"
		files    = "it would point the command's AWS SDK at other profiles and credentials than the ones rolehop hands over"
		endpoint = "it would send the command's requests, signed with its credentials, to another endpoint; set it in your own environment if you mean it"
		proxy    = "it would route the command's traffic, credentials included, through another host; set it in your own environment if you mean it"
		trust    = "it would make the command trust other certificates, so that its credentials could be read on the way; set it in your own environment if you mean it"
		code     = "it would change which program runs or make it run other code"
		own      = "it is one of rolehop's own settings or secret inputs, which are not the auth provider's to give"
	)
	tests := []struct {
		name string
		want string // "" when the provider may set it
	}{
		{"AWS_ACCESS_KEY_ID", identity},
		{"aws_access_key_id", identity},
		{"Aws_Secret_Access_Key", identity},
		{"aws_session_token", identity},
		{"AWS_PROFILE", identity},
		{"aws_profile", identity},
		{"AWS_CONTAINER_CREDENTIALS_FULL_URI", identity},
		{"AWS_CONFIG_FILE", files},
		{"aws_shared_credentials_file", files},
		{"AWS_ENDPOINT_URL", endpoint},
		{"AWS_ENDPOINT_URL_STS", endpoint},
		{"aws_endpoint_url_s3", endpoint},
		{"HTTPS_PROXY", proxy},
		{"https_proxy", proxy},
		{"HTTP_PROXY", proxy},
		{"ALL_PROXY", proxy},
		{"AWS_CA_BUNDLE", trust},
		{"SSL_CERT_FILE", trust},
		{"NODE_EXTRA_CA_CERTS", trust},
		{"LD_PRELOAD", code},
		{"LD_LIBRARY_PATH", code},
		{"LD_AUDIT", code},
		{"ld_preload", code},
		{"DYLD_INSERT_LIBRARIES", code},
		{"PATH", code},
		{"BASH_ENV", code},
		{"ENV", code},
		{"PS4", code},
		{"PROMPT_COMMAND", code},
		{"IFS", code},
		{"BASH_FUNC_ls", code},
		{"NODE_OPTIONS", code},
		{"PYTHONSTARTUP", code},
		{"ROLEHOP_KEYRING_PASSPHRASE", own},
		{"ROLEHOP_TOKEN_CODE", own},
		{"ROLEHOP_IAM_ROLE", own},
		{"rolehop_iam_role", own},
		// What providers are for: the region, the command's own settings.
		{"AWS_REGION", ""},
		{"AWS_DEFAULT_REGION", ""},
		{"AWS_DEFAULT_OUTPUT", ""},
		{"AWS_ENDPOINT", ""},
		{"TF_VAR_account", ""},
		{"ENVIRONMENT", ""},
		{"PATHS", ""},
		{"OLD_PATH", ""},
		{"NO_PROXY", ""},
		{"PROXY_HOST", ""},
		{"DEPLOY_ENV", ""},
	}
	for _, tt := range tests {
		err := CheckProviderVar(tt.name)
		if got := fmt.Sprint(err); tt.want == "" && err != nil || tt.want != "" && got != tt.want {
			t.Errorf("CheckProviderVar(%q) = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestSetIdentity(t *testing.T) {
	env := []string{"ROLEHOP_IDENTITY=999999999999/outer", "PATH=/bin"}
	e := For(aws.Credentials{AccessKeyID: "a", SecretAccessKey: "b"}, "")
	e.SetIdentity("111111111111/deploy")
	want := []string{"PATH=/bin", "AWS_ACCESS_KEY_ID=a", "AWS_SECRET_ACCESS_KEY=b", "ROLEHOP_IDENTITY=111111111111/deploy"}
	if got := e.Apply(env); !slices.Equal(got, want) {
		t.Errorf("with a name: got  %q\nwant %q", got, want)
	}
	e = For(aws.Credentials{AccessKeyID: "a", SecretAccessKey: "b"}, "")
	e.SetIdentity("")
	want = []string{"PATH=/bin", "AWS_ACCESS_KEY_ID=a", "AWS_SECRET_ACCESS_KEY=b"}
	if got := e.Apply(env); !slices.Equal(got, want) {
		t.Errorf("without a name: got  %q\nwant %q", got, want)
	}
}
