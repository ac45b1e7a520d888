package sso_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rolehop/rolehop/internal/secretstore"
	"github.com/rolehop/rolehop/internal/sso"
	"github.com/rolehop/rolehop/internal/ssotest"
)

// memStore is an in-memory Store.
type memStore struct {
	mu    sync.Mutex
	items map[string][]byte
}

func (m *memStore) Get(key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.items[key]
	if !ok {
		return nil, secretstore.ErrNotFound
	}
	return v, nil
}

func (m *memStore) Set(key string, data []byte, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[key] = data
	return nil
}

func (m *memStore) Remove(key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.items, key)
	return nil
}

var assignments = []ssotest.Assignment{
	{AccountID: "111111111111", AccountName: "dev", RoleName: "Admin"},
	{AccountID: "111111111111", AccountName: "dev", RoleName: "ReadOnly"},
	{AccountID: "111111111111", AccountName: "dev", RoleName: "Billing"},
	{AccountID: "222222222222", AccountName: "prod", RoleName: "ReadOnly"},
	{AccountID: "333333333333", AccountName: "audit", RoleName: "Auditor"},
}

// newClient returns a client of a stand-in started with o, and the sleeps it was asked for.
func newClient(t *testing.T, o ssotest.Options) (*sso.Client, *ssotest.Server, *[]time.Duration) {
	t.Helper()
	o.Assignments = assignments
	srv := ssotest.Start(o)
	t.Cleanup(srv.Close)
	var sleeps []time.Duration
	c := &sso.Client{
		Session: sso.Session{Name: "corp", StartURL: "https://corp.awsapps.com/start", Region: "eu-west-1"},
		Store:   &memStore{items: map[string][]byte{}},
		AWS:     aws.Config{BaseEndpoint: aws.String(srv.URL)},
		Stderr:  &bytes.Buffer{},
		Sleep: func(_ context.Context, d time.Duration) error {
			sleeps = append(sleeps, d)
			return nil
		},
	}
	return c, srv, &sleeps
}

func TestLoginPollsHonouringIntervalAndSlowDown(t *testing.T) {
	c, srv, sleeps := newClient(t, ssotest.Options{Pending: 2, SlowDown: 1})
	if err := c.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{time.Second, 6 * time.Second, 6 * time.Second, 6 * time.Second}; !slices.Equal(*sleeps, want) {
		t.Errorf("sleeps %v, want %v", *sleeps, want)
	}
	if n := srv.Count("CreateToken(device_code)"); n != 4 {
		t.Errorf("%d polls, want 4 (1 slow_down, 2 pending, 1 token)", n)
	}
	out := c.Stderr.(*bytes.Buffer).String()
	if !strings.Contains(out, srv.URL+"/device?user_code=ABCD-EFGH") || !strings.Contains(out, "ABCD-EFGH") {
		t.Errorf("stderr %q lacks the verification URL and code", out)
	}
	if _, err := c.RoleCredentials("111111111111", "Admin").Retrieve(t.Context()); err != nil {
		t.Fatal(err)
	}
	// A second login reuses the registered client.
	if err := c.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count("RegisterClient"); n != 1 {
		t.Errorf("%d RegisterClient calls, want 1", n)
	}
}

func TestLoginCodeExpires(t *testing.T) {
	c, _, _ := newClient(t, ssotest.Options{Pending: -1})
	now := time.Now()
	c.Now = func() time.Time { return now }
	c.Sleep = func(context.Context, time.Duration) error { now = now.Add(time.Minute); return nil }
	err := c.Login(t.Context())
	if err == nil || !strings.Contains(err.Error(), "expired") || !strings.Contains(err.Error(), "rolehop login corp") {
		t.Fatalf("err %v, want the code expired with the command to run", err)
	}
}

func TestRoleCredentials(t *testing.T) {
	c, srv, _ := newClient(t, ssotest.Options{})
	if _, err := c.RoleCredentials("111111111111", "Admin").Retrieve(t.Context()); !errors.Is(err, sso.ErrNoLogin) ||
		!strings.Contains(err.Error(), "run: rolehop login corp") {
		t.Fatalf("before login: %v, want ErrNoLogin naming the command", err)
	}
	if err := c.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	creds, err := c.RoleCredentials("111111111111", "Admin").Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(creds.AccessKeyID, "ASIA") || !slices.Contains(srv.Issued(), creds.SecretAccessKey) ||
		!creds.CanExpire || time.Until(creds.Expires) < 50*time.Minute {
		t.Errorf("credentials %+v are not the portal's", creds)
	}
	_, err = c.RoleCredentials("222222222222", "Admin").Retrieve(t.Context())
	if err == nil || !strings.Contains(err.Error(), "no access to role Admin in account 222222222222") {
		t.Errorf("unassigned role: %v", err)
	}
}

func TestExpiredTokenIsRefreshed(t *testing.T) {
	c, srv, _ := newClient(t, ssotest.Options{TokenLifetime: 30 * time.Second})
	if err := c.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv.ExpireTokens()
	if _, err := c.RoleCredentials("111111111111", "Admin").Retrieve(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count("CreateToken(refresh_token)"); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	if n := srv.Count("StartDeviceAuthorization"); n != 1 {
		t.Errorf("%d device authorizations, want 1: a refresh needs no prompt", n)
	}
}

func TestAccountsFollowsPages(t *testing.T) {
	c, _, _ := newClient(t, ssotest.Options{PageSize: 1})
	if err := c.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, err := c.Accounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var flat []string
	for _, a := range got {
		flat = append(flat, a.ID+"/"+a.Name+":"+strings.Join(a.Roles, ","))
	}
	want := []string{"111111111111/dev:Admin,ReadOnly,Billing", "222222222222/prod:ReadOnly", "333333333333/audit:Auditor"}
	if !slices.Equal(flat, want) {
		t.Errorf("accounts %v, want %v", flat, want)
	}
}

func TestLogout(t *testing.T) {
	c, srv, _ := newClient(t, ssotest.Options{})
	if err := c.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := c.Logout(t.Context()); err != nil {
		t.Fatal(err)
	}
	if srv.Count("Logout") != 1 {
		t.Error("the portal was not told")
	}
	if _, ok, _ := c.State(); ok {
		t.Error("the token is still stored")
	}
	if _, err := c.Token(t.Context()); !errors.Is(err, sso.ErrNoLogin) {
		t.Errorf("after logout: %v, want ErrNoLogin", err)
	}
}

func TestSessions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	os.WriteFile(path, []byte(`[profile x]
region = us-east-1
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access
[sso-session b]
sso_start_url = https://b.awsapps.com/start
sso_region = us-east-2
`), 0o600)
	got, err := sso.Sessions(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "b" || got[1].StartURL != "https://corp.awsapps.com/start" ||
		got[1].Region != "eu-west-1" || !slices.Equal(got[1].Scopes, []string{"sso:account:access"}) {
		t.Errorf("sessions %+v", got)
	}
	os.WriteFile(path, []byte("[sso-session bad]\nsso_region = eu-west-1\n"), 0o600)
	if _, err := sso.Sessions(path); err == nil || !strings.Contains(err.Error(), "has no sso_start_url") {
		t.Errorf("missing start URL: %v", err)
	}
}

func TestTokenPastItsTimeIsRefreshedByTheClock(t *testing.T) {
	c, srv, _ := newClient(t, ssotest.Options{TokenLifetime: 30 * time.Second})
	if err := c.Login(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Token(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count("CreateToken(refresh_token)"); n != 1 {
		t.Errorf("%d refreshes of a token with 30s left, want 1", n)
	}
}

func TestAWSCLITokenIsReadOnly(t *testing.T) {
	c, srv, _ := newClient(t, ssotest.Options{})
	c.AWSCLICache = t.TempDir()
	file := filepath.Join(c.AWSCLICache, "3e1c5e5a8ad7b1f7d5b1b5b5ca8a3c7b4d17c1f8.json") // not the name: ignored
	os.WriteFile(file, []byte(`{"accessToken":"cli-token","expiresAt":"2099-01-01T00:00:00Z","startUrl":"https://corp.awsapps.com/start"}`), 0o600)
	if _, err := c.Token(t.Context()); !errors.Is(err, sso.ErrNoLogin) {
		t.Fatalf("a file of another name: %v, want ErrNoLogin", err)
	}
	for _, tt := range []struct {
		name, startURL, expires string
		use                     bool
	}{
		{"valid", "https://corp.awsapps.com/start", "2099-01-01T00:00:00Z", true},
		{"other start URL", "https://other.awsapps.com/start", "2099-01-01T00:00:00Z", false},
		{"expired", "https://corp.awsapps.com/start", "2020-01-01T00:00:00Z", false},
	} {
		// The AWS CLI names the file by the SHA-1 of the session name: sha1("corp").
		body := `{"accessToken":"cli-token","expiresAt":"` + tt.expires + `","startUrl":"` + tt.startURL + `"}`
		name := filepath.Join(c.AWSCLICache, "ee0bfd2552fbd840c02cc48b6e823320543c450f.json")
		if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		tok, err := c.Token(t.Context())
		if tt.use && (err != nil || tok != "cli-token") || !tt.use && !errors.Is(err, sso.ErrNoLogin) {
			t.Errorf("%s: token %q, err %v", tt.name, tok, err)
		}
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("%d calls: a CLI token is never refreshed", n)
	}
}
