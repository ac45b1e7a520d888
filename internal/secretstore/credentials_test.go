package secretstore

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

var (
	prodCreds = Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	devCreds  = Credentials{AccessKeyID: "AKIAI44QH8DHBEXAMPLE", SecretAccessKey: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"}
)

func wantCredentials(t *testing.T, s *Store, name string, want Credentials) {
	t.Helper()
	got, err := s.Credentials(name)
	if err != nil {
		t.Fatalf("Credentials(%s): %v", name, err)
	}
	if got != want {
		t.Errorf("Credentials(%s) = %+v, want %+v", name, got, want)
	}
}

// storeKinds runs test on the file backend, and on keyctl where the kernel permits it.
func storeKinds(t *testing.T, test func(t *testing.T, s *Store)) {
	t.Run("file", func(t *testing.T) { test(t, openFileStore(t, t.TempDir(), "pw")) })
	if s, reason := openKeyctlStore(t); s != nil {
		t.Run("keyctl", func(t *testing.T) { test(t, s) })
	} else {
		t.Logf("keyctl not tested: %s", reason)
	}
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	storeKinds(t, func(t *testing.T, s *Store) {
		if err := s.AddCredentials("prod", prodCreds); err != nil {
			t.Fatalf("AddCredentials(prod): %v", err)
		}
		if err := s.AddCredentials("dev.eu_1-a", devCreds); err != nil {
			t.Fatalf("AddCredentials(dev.eu_1-a): %v", err)
		}
		wantCredentials(t, s, "prod", prodCreds)
		wantCredentials(t, s, "dev.eu_1-a", devCreds)
		wantKeys(t, s, "credentials:", "credentials:dev.eu_1-a", "credentials:prod")
		if label, err := s.Label("credentials:prod"); err != nil || label != "rolehop credentials prod" {
			t.Errorf("Label(credentials:prod) = %q, %v; want %q", label, err, "rolehop credentials prod")
		}
		mustSet(t, s, "cache:x", []byte("not credentials"), "x")

		list, err := s.ListCredentials()
		if err != nil {
			t.Fatalf("ListCredentials: %v", err)
		}
		want := []Listed{{Name: "dev.eu_1-a", KeyIDEnd: "MPLE"}, {Name: "prod", KeyIDEnd: "MPLE"}}
		if !slices.Equal(list, want) {
			t.Errorf("ListCredentials() = %+v, want %+v", list, want)
		}
		// Only the last 4 characters of the key ID, and nothing of the secret, are listed.
		shown := fmt.Sprintf("%#v", list)
		for _, c := range []Credentials{prodCreds, devCreds} {
			for _, secret := range []string{c.AccessKeyID[:len(c.AccessKeyID)-4], c.SecretAccessKey} {
				if strings.Contains(shown, secret) {
					t.Errorf("ListCredentials() shows %q", secret)
				}
			}
		}

		// Adding again replaces.
		if err := s.AddCredentials("prod", devCreds); err != nil {
			t.Fatalf("AddCredentials(prod) again: %v", err)
		}
		wantCredentials(t, s, "prod", devCreds)

		if err := s.RemoveCredentials("prod"); err != nil {
			t.Fatalf("RemoveCredentials(prod): %v", err)
		}
		_, err = s.Credentials("prod")
		wantErr(t, "Credentials after remove", err, `credentials "prod" not found (add them with: rolehop credentials add prod)`, ErrNotFound)
		wantErr(t, "RemoveCredentials again", s.RemoveCredentials("prod"), `credentials "prod" not found`, ErrNotFound)
		wantKeys(t, s, "", "cache:x", "credentials:dev.eu_1-a")
		if err := s.RemoveCredentials("dev.eu_1-a"); err != nil {
			t.Fatalf("RemoveCredentials(dev.eu_1-a): %v", err)
		}
		if err := s.Remove("cache:x"); err != nil {
			t.Fatalf("Remove(cache:x): %v", err)
		}
		list, err = s.ListCredentials()
		if err != nil || len(list) != 0 {
			t.Errorf("ListCredentials() of an empty store = %+v, %v", list, err)
		}
	})
}

func TestValidName(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"a", "prod", "Prod_1.x-Y", "..", strings.Repeat("n", 64)} {
		if err := ValidName(name); err != nil {
			t.Errorf("ValidName(%q) = %v, want nil", name, err)
		}
	}
	s := openFileStore(t, t.TempDir(), "pw")
	for _, name := range []string{"", strings.Repeat("n", 65), "a b", "a/b", "a:b", "é", "a\n", "a*"} {
		want := fmt.Sprintf("invalid credentials name %q: use 1 to 64 letters, digits, '.', '_' and '-'", name)
		wantErr(t, "ValidName", ValidName(name), want)
		wantErr(t, "AddCredentials", s.AddCredentials(name, prodCreds), want)
		_, err := s.Credentials(name)
		wantErr(t, "Credentials", err, want)
		wantErr(t, "RemoveCredentials", s.RemoveCredentials(name), want)
	}
	wantKeys(t, s, "")
}

func TestAddCredentialsInvalid(t *testing.T) {
	t.Parallel()
	const badID = `credentials "prod": invalid access key ID: want 16 to 128 upper-case letters and digits, like AKIAIOSFODNN7EXAMPLE`
	secret := prodCreds.SecretAccessKey
	tests := []struct {
		name string
		c    Credentials
		want string
	}{
		{"no key ID", Credentials{"", secret}, badID},
		{"lower case", Credentials{"akiaiosfodnn7example", secret}, badID},
		{"too short", Credentials{"AKIAIOSFODNN7EX", secret}, badID},
		{"too long", Credentials{"AKIA" + strings.Repeat("X", 125), secret}, badID},
		{"secret as key ID", Credentials{secret, "x"}, badID},
		{"temporary key ID", Credentials{"ASIAIOSFODNN7EXAMPLE", secret},
			`credentials "prod": the access key ID starts with ASIA: it is part of temporary credentials, which need a session token; add a long-term access key (AKIA...)`},
		{"no secret", Credentials{"AKIAIOSFODNN7EXAMPLE", ""}, `credentials "prod": empty secret access key`},
		{"pasted newline", Credentials{"AKIAIOSFODNN7EXAMPLE", secret + "\n"}, `credentials "prod": the secret access key contains spaces or control characters`},
		{"space", Credentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI K7MDENG"}, `credentials "prod": the secret access key contains spaces or control characters`},
	}
	s := openFileStore(t, t.TempDir(), "pw")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.AddCredentials("prod", tt.c)
			wantErr(t, "AddCredentials", err, tt.want)
			if strings.Contains(err.Error(), secret[:10]) {
				t.Errorf("the error shows the secret")
			}
		})
	}
	// The longest and shortest key IDs AWS allows are accepted.
	for _, id := range []string{"AKIA" + strings.Repeat("X", 124), "AKIAIOSFODNN7EXA"} {
		if err := s.AddCredentials("edge", Credentials{id, secret}); err != nil {
			t.Errorf("AddCredentials with a %d-character key ID: %v", len(id), err)
		}
	}
	wantKeys(t, s, "", "credentials:edge")
}
