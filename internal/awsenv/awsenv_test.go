package awsenv

import (
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
