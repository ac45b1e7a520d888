package console

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rolehop/rolehop/internal/plan"
)

func role(t *testing.T, arn string) plan.Hop {
	t.Helper()
	r, err := plan.ParseRoleARN(arn)
	if err != nil {
		t.Fatal(err)
	}
	return plan.Hop{Role: r, Duration: 2 * time.Hour}
}

func TestHostsOf(t *testing.T) {
	for _, tc := range []struct {
		partition, signin, console string
	}{
		{"aws", "https://signin.aws.amazon.com/federation", "console.aws.amazon.com"},
		{"aws-us-gov", "https://signin.amazonaws-us-gov.com/federation", "console.amazonaws-us-gov.com"},
		{"aws-cn", "https://signin.amazonaws.cn/federation", "console.amazonaws.cn"},
	} {
		h, err := HostsOf(tc.partition)
		if err != nil {
			t.Fatalf("%s: %v", tc.partition, err)
		}
		if got := h.Federation().String(); got != tc.signin || h.Console != tc.console {
			t.Errorf("%s: federation %s, console %s; want %s, %s", tc.partition, got, h.Console, tc.signin, tc.console)
		}
	}
	for _, p := range []string{"aws-iso", "aws-iso-b", "aws-eusc", ""} {
		if _, err := HostsOf(p); err == nil || !strings.Contains(err.Error(), "no console sign-in") {
			t.Errorf("HostsOf(%q) = %v, want an error", p, err)
		}
	}
}

func TestPartition(t *testing.T) {
	gov := role(t, "arn:aws-us-gov:iam::111111111111:role/deploy")
	cn := role(t, "arn:aws-cn:iam::111111111111:role/deploy")
	for _, tc := range []struct {
		name   string
		p      plan.Plan
		region string
		want   string
	}{
		{"nothing known", plan.Plan{}, "", "aws"},
		{"the last role's", plan.Plan{Hops: []plan.Hop{gov, gov}}, "", "aws-us-gov"},
		{"the role wins over the region", plan.Plan{Hops: []plan.Hop{cn}}, "eu-west-1", "aws-cn"},
		{"the region given", plan.Plan{}, "cn-northwest-1", "aws-cn"},
		{"the plan's region", plan.Plan{Region: "us-gov-east-1"}, "", "aws-us-gov"},
		{"a commercial region", plan.Plan{}, "eu-west-1", "aws"},
	} {
		if got := Partition(&tc.p, tc.region); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestDestination(t *testing.T) {
	aws, _ := HostsOf("aws")
	gov, _ := HostsOf("aws-us-gov")
	for _, tc := range []struct {
		in     string
		hosts  Hosts
		region string
		want   string
	}{
		{"", aws, "eu-west-1", "https://console.aws.amazon.com/console/home?region=eu-west-1"},
		{"", aws, "", "https://console.aws.amazon.com/console/home"},
		{"", gov, "us-gov-west-1", "https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1"},
		{"s3", aws, "eu-west-1", "https://console.aws.amazon.com/s3/home?region=eu-west-1"},
		{"cloudformation", gov, "", "https://console.amazonaws-us-gov.com/cloudformation/home"},
		{"/s3/home", aws, "us-east-1", "https://console.aws.amazon.com/s3/home?region=us-east-1"},
		{"/ec2/home#Instances:", aws, "eu-west-1", "https://console.aws.amazon.com/ec2/home?region=eu-west-1#Instances:"},
		{"/s3/buckets/b?tab=objects", aws, "eu-west-1", "https://console.aws.amazon.com/s3/buckets/b?tab=objects&region=eu-west-1"},
		{"/s3/home?region=us-west-2", aws, "eu-west-1", "https://console.aws.amazon.com/s3/home?region=us-west-2"},
		{"https://console.aws.amazon.com/iam/home", aws, "", "https://console.aws.amazon.com/iam/home"},
		{"https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1#/functions", aws, "eu-west-1",
			"https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1#/functions"},
		{"https://console.amazonaws-us-gov.com/s3/home", gov, "us-gov-west-1", "https://console.amazonaws-us-gov.com/s3/home?region=us-gov-west-1"},
	} {
		d, err := ParseDestination(tc.in)
		if err != nil {
			t.Errorf("ParseDestination(%q): %v", tc.in, err)
			continue
		}
		got, err := d.URL(tc.hosts, tc.region)
		if err != nil || got != tc.want {
			t.Errorf("%q on %s in %q: %q, %v; want %q", tc.in, tc.hosts.Console, tc.region, got, err, tc.want)
		}
	}
}

func TestBadDestination(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"S3 console", "white space"},
		{"s3\n", "white space"},
		{"Billing", "is not a console path (/s3/home), a service name (s3) or an https URL"},
		{"s3/home", "is not a console path"},
		{"//evil.example.com/s3/home", "is not an https URL"},
		{"http://console.aws.amazon.com/", "is not an https URL"},
		{"javascript:alert(1)", "is not a console path"},
		{"https://evil.example.com/", "is not on an AWS console host"},
		{"https://console.aws.amazon.com.evil.example.com/", "is not on an AWS console host"},
		{"https://evilconsole.aws.amazon.com/", "is not on an AWS console host"},
		{"https://user@console.aws.amazon.com/", "is not on an AWS console host"},
		{"https://console.aws.amazon.com:8443/", "is not on an AWS console host"},
	} {
		_, err := ParseDestination(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseDestination(%q) = %v, want an error with %q", tc.in, err, tc.want)
		}
	}
	// A URL of another partition's console is known to be wrong once the partition is known.
	d, err := ParseDestination("https://console.amazonaws-us-gov.com/s3/home")
	if err != nil {
		t.Fatal(err)
	}
	aws, _ := HostsOf("aws")
	if _, err := d.URL(aws, ""); err == nil || !strings.Contains(err.Error(), "not on the console of this identity's partition (console.aws.amazon.com)") {
		t.Errorf("a GovCloud URL on aws: %v", err)
	}
}

func TestParseEndpoint(t *testing.T) {
	for _, ok := range []string{
		"https://signin.aws.amazon.com/federation", "https://signin.example.com:8443/federation",
		"http://127.0.0.1:8080/federation", "http://127.1.2.3/federation", "http://[::1]:9/federation",
	} {
		if u, err := ParseEndpoint(ok); err != nil || u.String() != ok {
			t.Errorf("ParseEndpoint(%q) = %v, %v", ok, u, err)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"http://signin.example.com/federation", "not a loopback address"},
		{"http://localhost:8080/federation", "not a loopback address"},
		{"http://10.0.0.1/federation", "not a loopback address"},
		{"ftp://127.0.0.1/federation", "is not an https URL"},
		{"signin.aws.amazon.com/federation", "is not a URL"},
		{"127.0.0.1:8080", "is not a URL"},
		{"https://signin.aws.amazon.com/federation?Action=x", "a query"},
		{"https://user:pw@signin.aws.amazon.com/federation", "a user"},
	} {
		if _, err := ParseEndpoint(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseEndpoint(%q) = %v, want an error with %q", tc.in, err, tc.want)
		}
	}
}

func TestLoginURL(t *testing.T) {
	aws, _ := HostsOf("aws")
	got := LoginURL(aws.Federation(), "https://console.aws.amazon.com/s3/home?region=eu-west-1", "tok+en/=")
	want := "https://signin.aws.amazon.com/federation?Action=login&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fs3%2Fhome%3Fregion%3Deu-west-1&Issuer=rolehop&SigninToken=tok%2Ben%2F%3D"
	if got != want {
		t.Errorf("LoginURL:\n got %s\nwant %s", got, want)
	}
	u, err := url.Parse(got)
	if err != nil || u.Query().Get("SigninToken") != "tok+en/=" || u.Query().Get("Destination") != "https://console.aws.amazon.com/s3/home?region=eu-west-1" {
		t.Errorf("the login URL does not read back: %v %v", u, err)
	}
}

func TestSessionDuration(t *testing.T) {
	deploy := role(t, "arn:aws:iam::111111111111:role/deploy")
	web := deploy
	web.WebIdentityToken = &plan.Token{}
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	keys := env(map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"})
	session := env(map[string]string{"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"})
	none := env(nil)
	for _, tc := range []struct {
		name string
		p    plan.Plan
		env  func(string) (string, bool)
		want time.Duration
	}{
		{"no role: long-term keys go through GetFederationToken", plan.Plan{}, keys, 0},
		{"no role: session credentials of unknown kind", plan.Plan{}, session, 0},
		{"one role from the environment's long-term keys", plan.Plan{Hops: []plan.Hop{deploy}}, keys, 2 * time.Hour},
		{"one role from the environment's session credentials", plan.Plan{Hops: []plan.Hop{deploy}}, session, 0},
		{"one role from whatever the SDK finds in the shared files", plan.Plan{Hops: []plan.Hop{deploy}}, none, 0},
		{"one role from a profile the SDK reads", plan.Plan{Profile: "dev", Hops: []plan.Hop{deploy}}, keys, 0},
		{"a chain: the last role is assumed with a role's credentials", plan.Plan{Hops: []plan.Hop{deploy, deploy}}, keys, 0},
		{"a web identity role", plan.Plan{Hops: []plan.Hop{web}}, session, 2 * time.Hour},
		{"a role from rolehop's MFA session", plan.Plan{MFA: &plan.MFA{Serial: "arn:aws:iam::1:mfa/j"}, Hops: []plan.Hop{deploy}}, session, 2 * time.Hour},
		{"a role from stored keys", plan.Plan{StoredCredentials: "work", Hops: []plan.Hop{deploy}}, none, 2 * time.Hour},
		{"a role from a profile's keys", plan.Plan{ProfileBase: &plan.ProfileBase{Kind: plan.BaseKeys}, Hops: []plan.Hop{deploy}}, none, 2 * time.Hour},
		{"a role from a profile's session keys", plan.Plan{ProfileBase: &plan.ProfileBase{Kind: plan.BaseKeys, Keys: plan.Credentials{SessionToken: "t"}}, Hops: []plan.Hop{deploy}}, none, 0},
		{"a role from a profile's credential_process", plan.Plan{ProfileBase: &plan.ProfileBase{Kind: plan.BaseProcess}, Hops: []plan.Hop{deploy}}, keys, 0},
		{"a role from a container's credentials", plan.Plan{ProfileBase: &plan.ProfileBase{Kind: plan.BaseECS}, Hops: []plan.Hop{deploy}}, keys, 0},
		{"a role from an auth provider's long-term keys", plan.Plan{Credentials: &plan.Credentials{AccessKeyID: "AKIA"}, Hops: []plan.Hop{deploy}}, session, 2 * time.Hour},
		{"a role from an auth provider's session", plan.Plan{Credentials: &plan.Credentials{SessionToken: "t"}, Hops: []plan.Hop{deploy}}, keys, 0},
		{"a role from IAM Identity Center", plan.Plan{SSO: &plan.SSO{Session: "corp"}, Hops: []plan.Hop{deploy}}, keys, 0},
	} {
		if got := SessionDuration(&tc.p, tc.env); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestFederatedName(t *testing.T) {
	long := "rolehop-" + strings.Repeat("j", 40)
	for _, tc := range []struct {
		name    string
		origin  plan.Origin
		want    string
		wantErr string
	}{
		{"rolehop-jane", plan.Origin{Layer: plan.FromDefault}, "rolehop-jane", ""},
		{long, plan.Origin{Layer: plan.FromDefault}, long[:32], ""},
		{long, plan.Origin{Layer: plan.FromFlag, Name: "--session-name"}, "", "flag --session-name: session name \"" + long + "\" is longer than 32 characters"},
	} {
		p := plan.Plan{Defaults: plan.Hop{SessionName: tc.name, Origin: map[string]plan.Origin{plan.FieldSessionName: tc.origin}}}
		got, err := FederatedName(&p)
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s from %s: error %v, want %q", tc.name, tc.origin, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || got != tc.want):
			t.Errorf("%s from %s: %q, %v; want %q", tc.name, tc.origin, got, err, tc.want)
		}
	}
}
