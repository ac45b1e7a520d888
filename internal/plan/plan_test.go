package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/rolehop/rolehop/internal/display"
)

func TestParseRoleARN(t *testing.T) {
	tests := []struct {
		in      string
		want    RoleARN
		wantErr string
	}{
		{in: "arn:aws:iam::111111111111:role/deploy", want: RoleARN{"aws", "111111111111", "/", "deploy"}},
		{in: "arn:aws:iam::111111111111:role/teams/platform/deploy", want: RoleARN{"aws", "111111111111", "/teams/platform/", "deploy"}},
		{in: "arn:aws-us-gov:iam::111111111111:role/x+=,.@_-y", want: RoleARN{"aws-us-gov", "111111111111", "/", "x+=,.@_-y"}},
		{in: "arn:aws-cn:iam::111111111111:role/cn", want: RoleARN{"aws-cn", "111111111111", "/", "cn"}},
		{in: "deploy", wantErr: `"deploy" is not an ARN`},
		{in: "arn:aws:iam::111111111111", wantErr: "is not an ARN"},
		{in: "arn:aws:iam::1111:role/x", wantErr: `account ID "1111"`},
		{in: "arn:aws:iam::11111111111a:role/x", wantErr: "12 digits"},
		{in: "arn:aws:iam::111111111111:user/jane", wantErr: "names an IAM user, not a role"},
		{in: "arn:aws:iam::111111111111:deploy", wantErr: "does not name a role"},
		{in: "arn:aws:sts::111111111111:assumed-role/deploy/jane", wantErr: "use the role's ARN, arn:aws:iam::111111111111:role/deploy"},
		{in: "arn:aws:s3:::bucket", wantErr: `service "s3"`},
		{in: "arn:aws:iam:eu-west-1:111111111111:role/x", wantErr: `has region "eu-west-1"`},
		{in: "arn:nope:iam::111111111111:role/x", wantErr: `unknown partition "nope"`},
		{in: "arn:aws:iam::111111111111:role/", wantErr: `role name ""`},
		{in: "arn:aws:iam::111111111111:role/" + strings.Repeat("n", 65), wantErr: "1 to 64"},
		{in: "arn:aws:iam::111111111111:role/a b", wantErr: `role name "a b"`},
		{in: "arn:aws:iam::111111111111:role/p a/x", wantErr: `role path "/p a/"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRoleARN(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseRoleARN(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRoleARN(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseRoleARN(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "3600", want: time.Hour},
		{in: "900", want: 15 * time.Minute},
		{in: "43200", want: 12 * time.Hour},
		{in: "90m", want: 90 * time.Minute},
		{in: "2h", want: 2 * time.Hour},
		{in: "1h30m", want: 90 * time.Minute},
		{in: " 3600 ", want: time.Hour},
		{in: "899", wantErr: "out of range"},
		{in: "43201", wantErr: "out of range"},
		{in: "13h", wantErr: "out of range"},
		{in: "-1h", wantErr: "out of range"},
		{in: "-3600", wantErr: "out of range"},
		{in: "99999999999999999999", wantErr: "not a number of seconds"},
		{in: "1.5", wantErr: "not a number of seconds"},
		{in: "3600.5s", wantErr: "not a whole number of seconds"},
		{in: "", wantErr: "not a number of seconds"},
		{in: "soon", wantErr: "not a number of seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseDuration(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

// FuzzParseDuration checks that every accepted duration is within STS's limits, whole
// seconds, and reads back the same when formatted.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"3600", "900", "43200", "90m", "2h", "1h30m", "15m0s", "-1h", "1e3", "0x10", "1.5h", "3600.5s", "９００", "\x00", " 1h "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if d < MinDuration || d > MaxDuration || d%time.Second != 0 {
			t.Fatalf("ParseDuration(%q) = %v, outside STS's limits or not whole seconds", s, d)
		}
		back, err := ParseDuration(display.Duration(d))
		if err != nil || back != d {
			t.Fatalf("display.Duration(%v) = %q does not parse back: %v, %v", d, display.Duration(d), back, err)
		}
	})
}

func TestValueChecks(t *testing.T) {
	tests := []struct {
		name  string
		check func(string) error
		ok    []string
		bad   []string
	}{
		{"session name", CheckSessionName, []string{"ab", "rolehop-jane", "a+b=c,d.e@f_g-h", strings.Repeat("s", 64)},
			[]string{"", "a", "jane doe", "jane/x", strings.Repeat("s", 65), "é-user"}},
		{"external ID", CheckExternalID, []string{"partner-42", "a:b/c", strings.Repeat("x", 1224)},
			[]string{"x", "has space", strings.Repeat("x", 1225), "semi;colon"}},
		{"source identity", CheckSourceIdentity, []string{"jane", "jane@example.com"},
			[]string{"j", "aws:jane", "AWS:jane", "jane doe"}},
		{"region", CheckRegion, []string{"us-east-1", "eu-west-1", "us-gov-west-1", "cn-north-1", "ap-southeast-2", "us-isob-east-1"},
			[]string{"", "moon", "US-EAST-1", "us-east", "us_east_1", "eu-west-1a"}},
		{"policy ARN", CheckPolicyARN, []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::111111111111:policy/team/x"},
			[]string{"ReadOnlyAccess", "arn:aws:iam::aws:role/x", "arn:aws:iam::1:policy/x"}},
	}
	for _, tt := range tests {
		for _, s := range tt.ok {
			if err := tt.check(s); err != nil {
				t.Errorf("%s %q: unexpected error %v", tt.name, s, err)
			}
		}
		for _, s := range tt.bad {
			if err := tt.check(s); err == nil {
				t.Errorf("%s %q: no error", tt.name, s)
			}
		}
	}
}

func TestCheckTags(t *testing.T) {
	many := make([]Tag, 51)
	for i := range many {
		many[i] = Tag{Key: "k" + strings.Repeat("x", i), Value: "v"}
	}
	tests := []struct {
		tags    []Tag
		wantErr string
	}{
		{tags: []Tag{{"team", "platform"}, {"cost center", "42"}, {"empty", ""}}},
		{tags: many, wantErr: "51 session tags"},
		{tags: []Tag{{"", "x"}}, wantErr: `tag key ""`},
		{tags: []Tag{{"aws:x", "y"}}, wantErr: `cannot start with "aws:"`},
		{tags: []Tag{{"team", "a;b"}}, wantErr: `value of tag "team"`},
		{tags: []Tag{{"Team", "a"}, {"team", "b"}}, wantErr: "given twice"},
	}
	for _, tt := range tests {
		err := CheckTags(tt.tags)
		if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("CheckTags(%v) = %v, want %q", tt.tags, err, tt.wantErr)
		}
	}
}

func TestCompactPolicy(t *testing.T) {
	got, err := CompactPolicy("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": []\n}")
	if err != nil || got != `{"Version":"2012-10-17","Statement":[]}` {
		t.Fatalf("CompactPolicy = %q, %v", got, err)
	}
	if _, err := CompactPolicy("{not json"); err == nil || !strings.HasPrefix(err.Error(), "policy is not valid JSON") {
		t.Errorf("invalid JSON: %v", err)
	}
	long := `{"Sid":"` + strings.Repeat("x", 2100) + `"}`
	if _, err := CompactPolicy(long); err == nil || !strings.Contains(err.Error(), "at most 2048") {
		t.Errorf("long policy: %v", err)
	}
}

func TestSessionNameFor(t *testing.T) {
	for in, want := range map[string]string{
		"jane":                   "rolehop-jane",
		"DOMAIN\\jane doe":       "rolehop-DOMAIN-jane-doe",
		"":                       "rolehop",
		"###":                    "rolehop",
		"josé":                   "rolehop-jos",
		strings.Repeat("u", 100): "rolehop-" + strings.Repeat("u", 56),
		"first.last@example.com": "rolehop-first.last@example.com",
	} {
		got := SessionNameFor(in)
		if got != want {
			t.Errorf("SessionNameFor(%q) = %q, want %q", in, got, want)
		}
		if err := CheckSessionName(got); err != nil {
			t.Errorf("SessionNameFor(%q) = %q is not a valid session name: %v", in, got, err)
		}
	}
	if err := CheckSessionName(DefaultSessionName()); err != nil {
		t.Errorf("DefaultSessionName() = %q: %v", DefaultSessionName(), err)
	}
}

func hop(t *testing.T, arn string, d time.Duration, explicit ...string) Hop {
	t.Helper()
	role, err := ParseRoleARN(arn)
	if err != nil {
		t.Fatal(err)
	}
	h := Hop{Role: role, SessionName: "s1", Duration: d, Origin: map[string]Origin{}}
	for _, f := range explicit {
		h.Origin[f] = Origin{Layer: FromFlag, Name: "--" + f}
	}
	return h
}

func TestCheck(t *testing.T) {
	const a, b, gov = "arn:aws:iam::111111111111:role/a", "arn:aws:iam::222222222222:role/b", "arn:aws-us-gov:iam::333333333333:role/g"
	tok := &Token{value: []byte("tok")}
	webHop := func(explicit ...string) Hop {
		h := hop(t, a, time.Hour, explicit...)
		h.WebIdentityToken = tok
		return h
	}
	tests := []struct {
		name    string
		plan    Plan
		wantErr string
	}{
		{"one hop of 12h", Plan{Hops: []Hop{hop(t, a, 12*time.Hour)}}, ""},
		{"chained hop of 1h", Plan{Hops: []Hop{hop(t, a, 12*time.Hour), hop(t, b, time.Hour)}}, ""},
		{"chained hop over 1h", Plan{Hops: []Hop{hop(t, a, time.Hour), hop(t, b, 2*time.Hour, FieldDuration)}},
			"flag --duration: hop 2 (arn:aws:iam::222222222222:role/b): duration 2h is longer than 1h"},
		{"web identity with external ID", Plan{Hops: []Hop{webHop(FieldExternalID)}},
			"flag --external_id: hop 1 (arn:aws:iam::111111111111:role/a): external_id cannot be used with a web identity token"},
		{"web identity with tags", Plan{Hops: []Hop{webHop(FieldTags)}}, "tags cannot be used with a web identity token"},
		{"web identity then assume role with external ID", Plan{Hops: []Hop{webHop(), hop(t, b, time.Hour, FieldExternalID)}}, ""},
		{"across partitions", Plan{Hops: []Hop{hop(t, a, time.Hour), hop(t, gov, time.Hour)}}, "a chain cannot cross partitions"},
		{"region of another partition", Plan{Region: "us-gov-west-1", RegionOrigin: Origin{Layer: FromEnv, Name: "AWS_REGION"}, Hops: []Hop{hop(t, a, time.Hour)}},
			"env AWS_REGION: region us-gov-west-1 is in partition aws-us-gov but hop 1 (arn:aws:iam::111111111111:role/a) is in aws; set --region to a region of aws such as us-east-1"},
		{"GovCloud role and region", Plan{Region: "us-gov-east-1", Hops: []Hop{hop(t, gov, time.Hour)}}, ""},
		{"MFA session too long", Plan{MFA: &MFA{Serial: "arn:aws:iam::111111111111:mfa/me", Origin: Origin{Layer: FromFlag, Name: "--serial-number"}, SessionDuration: 40 * time.Hour}},
			"flag --serial-number: MFA session duration 40h is out of range; STS accepts 15m to 36h"},
		{"MFA code on AssumeRole, no session to limit", Plan{MFA: &MFA{Serial: "arn:aws:iam::111111111111:mfa/me", OnAssume: true}, Hops: []Hop{hop(t, a, time.Hour)}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.plan.Check()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Check() = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Check() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestSTSRegion(t *testing.T) {
	gov, _ := ParseRoleARN("arn:aws-us-gov:iam::111111111111:role/x")
	cn, _ := ParseRoleARN("arn:aws-cn:iam::111111111111:role/x")
	for _, tt := range []struct {
		plan Plan
		want string
	}{
		{Plan{}, "us-east-1"},
		{Plan{Region: "eu-west-1"}, "eu-west-1"},
		{Plan{Hops: []Hop{{Role: gov}}}, "us-gov-west-1"},
		{Plan{Hops: []Hop{{Role: cn}}}, "cn-north-1"},
	} {
		if got := tt.plan.STSRegion(); got != tt.want {
			t.Errorf("STSRegion() = %q, want %q", got, tt.want)
		}
	}
}

func TestIdentityName(t *testing.T) {
	role := func(arn string) Hop {
		r, err := ParseRoleARN(arn)
		if err != nil {
			t.Fatal(err)
		}
		return Hop{Role: r}
	}
	sso := &SSO{Session: "corp", AccountID: "333333333333", RoleName: "Developer"}
	for _, tt := range []struct {
		name string
		plan Plan
		want string
	}{
		{"one role", Plan{Hops: []Hop{role("arn:aws:iam::111111111111:role/deploy")}}, "111111111111/deploy"},
		{"a role's path is left out", Plan{Hops: []Hop{role("arn:aws:iam::111111111111:role/teams/platform/deploy")}}, "111111111111/deploy"},
		{"the last role of a chain", Plan{Hops: []Hop{role("arn:aws:iam::222222222222:role/hub"), role("arn:aws-cn:iam::111111111111:role/deploy")}}, "111111111111/deploy"},
		{"a role on top of IAM Identity Center", Plan{SSO: sso, Hops: []Hop{role("arn:aws:iam::111111111111:role/deploy")}}, "111111111111/deploy"},
		{"IAM Identity Center alone", Plan{SSO: sso}, "333333333333/Developer"},
		{"base credentials as they are", Plan{Profile: "dev"}, ""},
		{"stored keys", Plan{StoredCredentials: "work"}, ""},
	} {
		if got := tt.plan.IdentityName(); got != tt.want {
			t.Errorf("%s: IdentityName() = %q, want %q", tt.name, got, tt.want)
		}
	}
}
