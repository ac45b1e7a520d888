package credcheck

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/rolehop/rolehop/internal/plan"
)

var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func TestUsable(t *testing.T) {
	tests := []struct {
		name  string
		creds aws.Credentials
		want  string // "" for usable
	}{
		{"long-term keys", aws.Credentials{AccessKeyID: "AKIA1", SecretAccessKey: "s"}, ""},
		{"session", aws.Credentials{AccessKeyID: "ASIA1", SecretAccessKey: "s", SessionToken: "t", CanExpire: true, Expires: now.Add(time.Second)}, ""},
		{"no key", aws.Credentials{SecretAccessKey: "s"}, "no access key ID"},
		{"no secret", aws.Credentials{AccessKeyID: "AKIA1"}, "no secret access key"},
		{"expires now", aws.Credentials{AccessKeyID: "ASIA1", SecretAccessKey: "s", CanExpire: true, Expires: now}, "expired at 2026-12-01T12:00:00Z"},
		{"expired", aws.Credentials{AccessKeyID: "ASIA1", SecretAccessKey: "s", CanExpire: true, Expires: now.Add(-time.Hour)}, "expired at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, Usable(tt.creds, now), tt.want)
		})
	}
}

func TestIssued(t *testing.T) {
	full := func(edit func(*types.Credentials)) *types.Credentials {
		c := &types.Credentials{AccessKeyId: aws.String("ASIA1"), SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"), Expiration: aws.Time(now.Add(time.Hour))}
		if edit != nil {
			edit(c)
		}
		return c
	}
	tests := []struct {
		name  string
		creds *types.Credentials
		want  string
	}{
		{"complete", full(nil), ""},
		{"none", nil, "without credentials"},
		{"empty key", full(func(c *types.Credentials) { c.AccessKeyId = aws.String("") }), "without an access key ID"},
		{"no key", full(func(c *types.Credentials) { c.AccessKeyId = nil }), "without an access key ID"},
		{"no secret", full(func(c *types.Credentials) { c.SecretAccessKey = nil }), "without a secret access key"},
		{"no token", full(func(c *types.Credentials) { c.SessionToken = nil }), "without a session token"},
		{"no expiry", full(func(c *types.Credentials) { c.Expiration = nil }), "without an expiry"},
		{"expired", full(func(c *types.Credentials) { c.Expiration = aws.Time(now.Add(-time.Minute)) }), "expired at 2026-12-01T11:59:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, Issued(tt.creds, now), tt.want)
		})
	}
}

func TestAssumedRole(t *testing.T) {
	role := mustRole(t, "arn:aws:iam::111111111111:role/ops/deploy")
	tests := []struct {
		name string
		arn  *string
		want string
	}{
		{"session of the role", aws.String("arn:aws:sts::111111111111:assumed-role/deploy/jane"), ""},
		{"no user", nil, "without the assumed-role user"},
		{"empty", aws.String(""), "without the assumed-role user"},
		{"other account", aws.String("arn:aws:sts::999999999999:assumed-role/deploy/jane"), `for "arn:aws:sts::999999999999:assumed-role/deploy/jane", not for a session of arn:aws:iam::111111111111:role/ops/deploy`},
		{"other role", aws.String("arn:aws:sts::111111111111:assumed-role/deployer/jane"), "not for a session of"},
		{"role name prefix", aws.String("arn:aws:sts::111111111111:assumed-role/deploy"), "not for a session of"},
		{"other partition", aws.String("arn:aws-cn:sts::111111111111:assumed-role/deploy/jane"), "not for a session of"},
		{"extra path", aws.String("arn:aws:sts::111111111111:assumed-role/deploy/jane/more"), "not for a session of"},
		{"a user", aws.String("arn:aws:iam::111111111111:user/deploy"), "not for a session of"},
		{"control characters quoted", aws.String("arn:aws:sts::111111111111:assumed-role/x/\x1b[2J"), `\x1b[2J`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var user *types.AssumedRoleUser
			if tt.arn != nil {
				user = &types.AssumedRoleUser{Arn: tt.arn}
			}
			check(t, AssumedRole(role, user), tt.want)
		})
	}
}

func TestAccount(t *testing.T) {
	role := mustRole(t, "arn:aws:iam::111111111111:role/deploy")
	check(t, Account(aws.Credentials{AccountID: "111111111111"}, role), "")
	check(t, Account(aws.Credentials{}, role), "")
	check(t, Account(aws.Credentials{AccountID: "222222222222"}, role), `belong to account "222222222222", not to arn:aws:iam::111111111111:role/deploy's`)
}

func mustRole(t *testing.T, arn string) plan.RoleARN {
	t.Helper()
	r, err := plan.ParseRoleARN(arn)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func check(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("error %q, want none", err)
	case want != "" && err == nil:
		t.Errorf("no error, want one with %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("error %q, want it to contain %q", err, want)
	}
}
