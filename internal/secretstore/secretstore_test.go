package secretstore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/99designs/keyring"
)

// env returns a LookupEnv that sees only vars.
func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

// openFileStore opens the file backend in dir with passphrase from the environment.
func openFileStore(t *testing.T, dir, passphrase string) *Store {
	t.Helper()
	s, err := Open(Options{Backend: "file", FileDir: dir, LookupEnv: env(map[string]string{PassphraseEnv: passphrase})})
	if err != nil {
		t.Fatalf("Open(file): %v", err)
	}
	if got := s.Backend(); got != "file" {
		t.Fatalf("Backend() = %q, want file", got)
	}
	return s
}

func mustSet(t *testing.T, s *Store, key string, data []byte, label string) {
	t.Helper()
	if err := s.Set(key, data, label); err != nil {
		t.Fatalf("Set(%s): %v", key, err)
	}
}

func wantGet(t *testing.T, s *Store, key string, data []byte, label string) {
	t.Helper()
	got, err := s.Get(key)
	if err != nil {
		t.Fatalf("Get(%s): %v", key, err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("Get(%s) = %q, want %q", key, got, data)
	}
	gotLabel, err := s.Label(key)
	if err != nil {
		t.Fatalf("Label(%s): %v", key, err)
	}
	if gotLabel != label {
		t.Errorf("Label(%s) = %q, want %q", key, gotLabel, label)
	}
}

func wantKeys(t *testing.T, s *Store, prefix string, want ...string) {
	t.Helper()
	got, err := s.Keys(prefix)
	if err != nil {
		t.Fatalf("Keys(%q): %v", prefix, err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Keys(%q) = %q, want %q", prefix, got, want)
	}
}

// wantErr checks that err has exactly the message want and wraps each of targets.
func wantErr(t *testing.T, what string, err error, want string, targets ...error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %q", what, want)
	}
	if err.Error() != want {
		t.Errorf("%s: error\n  %s\nwant\n  %s", what, err, want)
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Errorf("%s: error %q does not wrap %q", what, err, target)
		}
	}
}

func TestBackends(t *testing.T) {
	t.Parallel()
	want := []string{"wincred", "keychain", "secret-service", "kwallet", "keyctl", "pass", "file"}
	if got := Backends(); !slices.Equal(got, want) {
		t.Errorf("Backends() = %q, want %q", got, want)
	}
	// Open tries the platform's backends in the same order.
	avail := keyring.AvailableBackends()
	if got := slices.DeleteFunc(Backends(), func(b string) bool {
		return !slices.Contains(avail, keyring.BackendType(b))
	}); !slices.Equal(got, toStrings(avail)) {
		t.Errorf("Backends() of this platform = %q, keyring has %q", got, avail)
	}
}

func toStrings(bs []keyring.BackendType) []string {
	var out []string
	for _, b := range bs {
		out = append(out, string(b))
	}
	return out
}

func TestFileRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openFileStore(t, dir, "correct horse")
	binary := []byte("line one\nline two\x00\xff{\"v\":1}\n")

	mustSet(t, s, "cache:b", []byte("secret b"), "role b via sso")
	mustSet(t, s, "cache:a", binary, "")
	mustSet(t, s, "other:x", []byte{}, "empty")
	wantGet(t, s, "cache:b", []byte("secret b"), "role b via sso")
	wantGet(t, s, "cache:a", binary, "")
	wantGet(t, s, "other:x", []byte{}, "empty")
	wantKeys(t, s, "cache:", "cache:a", "cache:b")
	wantKeys(t, s, "", "cache:a", "cache:b", "other:x")
	wantKeys(t, s, "none:")

	mustSet(t, s, "cache:b", []byte("secret b2"), "role b again")
	wantGet(t, s, "cache:b", []byte("secret b2"), "role b again")

	// Another store on the same directory, as another process would open it.
	wantGet(t, openFileStore(t, dir, "correct horse"), "cache:b", []byte("secret b2"), "role b again")

	if err := s.Remove("cache:b"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	_, err := s.Get("cache:b")
	wantErr(t, "Get after Remove", err, "secret cache:b not found", ErrNotFound)
	_, err = s.Label("cache:b")
	wantErr(t, "Label after Remove", err, "secret cache:b not found", ErrNotFound)
	if err := s.Remove("cache:b"); err != nil {
		t.Errorf("Remove of a missing key: %v, want nil", err)
	}
	wantKeys(t, s, "", "cache:a", "other:x")
}

func TestInvalidKeys(t *testing.T) {
	t.Parallel()
	s := openFileStore(t, t.TempDir(), "pw")
	for _, key := range []string{"", ".hidden", "-x", "a/b", `a\b`, "a b", "a%3Ab", "é", "a\nb", strings.Repeat("k", 201)} {
		want := fmt.Sprintf("invalid secret key %q: use 1 to 200 letters, digits and ._:@=+,- starting with a letter or digit", key)
		wantErr(t, "Set", s.Set(key, []byte("x"), ""), want)
		_, err := s.Get(key)
		wantErr(t, "Get", err, want)
		_, err = s.Label(key)
		wantErr(t, "Label", err, want)
		wantErr(t, "Remove", s.Remove(key), want)
	}
	wantKeys(t, s, "")
	longest := strings.Repeat("k", 200)
	mustSet(t, s, longest, []byte("x"), "")
	mustSet(t, s, "A0._:@=+,-z", []byte("y"), "")
	wantKeys(t, s, "", "A0._:@=+,-z", longest)
}

// TestFileConcurrent writes and reads from several goroutines and two stores on one directory
// (as two processes would): every read sees a whole item, the old one or the new.
func TestFileConcurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writer := openFileStore(t, dir, "pw")
	reader := openFileStore(t, dir, "pw")
	values := map[string]bool{}
	for i := range 4 {
		values[fmt.Sprintf("value %d", i)] = true
	}
	mustSet(t, writer, "cache:x", []byte("value 0"), "x")

	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := range 2 {
		wg.Go(func() {
			for i := range 10 {
				if err := writer.Set("cache:x", fmt.Appendf(nil, "value %d", (w+i)%4), "x"); err != nil {
					errs <- err
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range 30 {
				got, err := reader.Get("cache:x")
				if err != nil {
					errs <- err
				} else if !values[string(got)] {
					errs <- fmt.Errorf("read %q", got)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	wantKeys(t, reader, "", "cache:x")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("the keyring directory holds %d entries, want 1 (no staging directory left)", len(entries))
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	_, err := Open(Options{Backend: "nope"})
	wantErr(t, "unknown backend", err, `unknown secret store backend "nope" (valid: wincred, keychain, secret-service, kwallet, keyctl, pass, file)`)
	if errors.Is(err, ErrUnavailable) {
		t.Errorf("an unknown backend is a usage error, not ErrUnavailable")
	}

	other := "wincred"
	if runtime.GOOS == "windows" {
		other = "keychain"
	}
	_, err = Open(Options{Backend: other})
	wantErr(t, "backend of another platform", err, fmt.Sprintf("secret store unavailable: %s: not supported on %s", other, runtime.GOOS), ErrUnavailable)
}

// passReason is why the pass backend cannot be used with the empty password store dir.
func passReason(dir string) string {
	switch _, err := exec.LookPath("pass"); {
	case runtime.GOOS == "windows":
		return "not supported on windows"
	case err != nil:
		return "pass is not installed"
	}
	return fmt.Sprintf("the password store %s is not initialized (run: pass init GPG-ID)", dir)
}

func TestPassUnavailable(t *testing.T) {
	t.Parallel()
	store := t.TempDir()
	_, err := Open(Options{Backend: "pass", LookupEnv: env(map[string]string{"PASSWORD_STORE_DIR": store})})
	wantErr(t, "Open(pass)", err, "secret store unavailable: pass: "+passReason(store), ErrUnavailable)
}

func TestNoPassphrase(t *testing.T) {
	t.Parallel()
	const want = "secret store unavailable: file: no passphrase: set ROLEHOP_KEYRING_PASSPHRASE (rolehop asks for it only when run interactively)"
	noPrompt := func(t *testing.T) func(string) (string, error) {
		return func(p string) (string, error) {
			t.Errorf("prompted %q while not interactive", p)
			return "", errors.New("no")
		}
	}
	tests := []struct {
		name string
		opts func(t *testing.T) Options
	}{
		{"not interactive", func(t *testing.T) Options {
			return Options{LookupEnv: env(nil), Prompt: noPrompt(t)}
		}},
		{"empty variable", func(t *testing.T) Options {
			return Options{LookupEnv: env(map[string]string{PassphraseEnv: ""}), Prompt: noPrompt(t)}
		}},
		{"interactive without a prompt", func(t *testing.T) Options {
			return Options{LookupEnv: env(nil), Interactive: true}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts(t)
			o.Backend = "file"
			o.FileDir = filepath.Join(t.TempDir(), "keyring")
			_, err := Open(o)
			wantErr(t, "Open(file)", err, want, ErrUnavailable, ErrNoPassphrase)
			if _, err := os.Stat(o.FileDir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the keyring directory was created: %v", err)
			}
		})
	}
}

// prompter answers prompts in turn and records them.
type prompter struct {
	answers []string
	asked   []string
}

func (p *prompter) prompt(msg string) (string, error) {
	p.asked = append(p.asked, msg)
	if len(p.answers) == 0 {
		return "", errors.New("no answer left")
	}
	a := p.answers[0]
	p.answers = p.answers[1:]
	return a, nil
}

func TestPrompt(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keyring")
	newPrompts := []string{"New passphrase for the rolehop keyring in " + dir, "Repeat the passphrase"}
	openPrompt := []string{"Passphrase for the rolehop keyring in " + dir}
	interactive := func(p *prompter, vars map[string]string) Options {
		return Options{Backend: "file", FileDir: dir, Interactive: true, Prompt: p.prompt, LookupEnv: env(vars)}
	}

	// A new keyring: asked twice; answers that differ, or none, open nothing.
	for _, tt := range []struct {
		answers []string
		want    string
	}{
		{[]string{"pw", "pw2"}, "secret store unavailable: file: the passphrases do not match"},
		{[]string{""}, "secret store unavailable: file: empty passphrase"},
		{nil, "secret store unavailable: file: read the passphrase: no answer left"},
	} {
		_, err := Open(interactive(&prompter{answers: tt.answers}, nil))
		wantErr(t, fmt.Sprintf("Open with answers %q", tt.answers), err, tt.want, ErrUnavailable)
	}
	p := &prompter{answers: []string{"typed pw", "typed pw"}}
	s, err := Open(interactive(p, nil))
	if err != nil {
		t.Fatalf("Open with a new passphrase: %v", err)
	}
	if !slices.Equal(p.asked, newPrompts) {
		t.Errorf("prompts %q, want %q", p.asked, newPrompts)
	}
	mustSet(t, s, "cache:x", []byte("data"), "x")
	// The typed passphrase is the one the item is encrypted with.
	wantGet(t, openFileStore(t, dir, "typed pw"), "cache:x", []byte("data"), "x")

	// An existing keyring: asked once, and the passphrase is checked at once.
	p = &prompter{answers: []string{"typed pw"}}
	s, err = Open(interactive(p, nil))
	if err != nil {
		t.Fatalf("Open with the passphrase: %v", err)
	}
	if !slices.Equal(p.asked, openPrompt) {
		t.Errorf("prompts %q, want %q", p.asked, openPrompt)
	}
	wantGet(t, s, "cache:x", []byte("data"), "x")
	_, err = Open(interactive(&prompter{answers: []string{"typo pw"}}, nil))
	wantErr(t, "Open with a wrong passphrase", err, "secret store unavailable: file: wrong passphrase for the keyring in "+dir, ErrUnavailable, ErrWrongPassphrase)

	// The environment wins over the prompt.
	p = &prompter{}
	s, err = Open(interactive(p, map[string]string{PassphraseEnv: "typed pw"}))
	if err != nil {
		t.Fatalf("Open with the passphrase in the environment: %v", err)
	}
	if len(p.asked) != 0 {
		t.Errorf("prompted %q although %s is set", p.asked, PassphraseEnv)
	}
	wantGet(t, s, "cache:x", []byte("data"), "x")
}

func TestAutoSelect(t *testing.T) {
	t.Parallel()
	passDir := t.TempDir()
	noPass := env(map[string]string{"PASSWORD_STORE_DIR": passDir})
	withPass := env(map[string]string{"PASSWORD_STORE_DIR": passDir, PassphraseEnv: "pw"})
	generic := []keyring.BackendType{keyring.PassBackend, keyring.FileBackend}

	_, err := open(Options{FileDir: t.TempDir(), LookupEnv: noPass}, "rolehop-test", generic)
	wantErr(t, "nothing usable", err, "secret store unavailable: pass: "+passReason(passDir)+
		"; file: no passphrase: set ROLEHOP_KEYRING_PASSPHRASE (rolehop asks for it only when run interactively)", ErrUnavailable, ErrNoPassphrase)

	s, err := open(Options{FileDir: t.TempDir(), LookupEnv: withPass}, "rolehop-test", generic)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if s.Backend() != "file" {
		t.Errorf("Backend() = %q, want file after pass", s.Backend())
	}
	if want := []string{"pass: " + passReason(passDir)}; !slices.Equal(s.Skipped(), want) {
		t.Errorf("Skipped() = %q, want %q", s.Skipped(), want)
	}
	s, err = open(Options{Backend: "file", FileDir: t.TempDir(), LookupEnv: withPass}, "rolehop-test", nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if s.Skipped() != nil {
		t.Errorf("Skipped() of a named backend = %q, want none", s.Skipped())
	}

	// This platform's own order.
	service := testService(t)
	s, err = open(Options{FileDir: t.TempDir(), LookupEnv: withPass}, service, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	avail := keyring.AvailableBackends()
	osStores := slices.ContainsFunc(avail, func(b keyring.BackendType) bool {
		return b != keyring.KeyCtlBackend && b != keyring.PassBackend && b != keyring.FileBackend
	})
	// Whether or not the kernel keyring works here, it is never chosen by itself.
	want := "file"
	switch {
	case osStores:
		// A desktop session: which OS store answers is up to the machine.
		t.Logf("OS stores registered (%q): chose %s", avail, s.Backend())
		if !slices.Contains(avail, keyring.BackendType(s.Backend())) || s.Backend() == "keyctl" {
			t.Errorf("Backend() = %q, not one of %q", s.Backend(), avail)
		}
	case s.Backend() != want:
		t.Errorf("Backend() = %q, want %s (registered: %q)", s.Backend(), want, avail)
	default:
		t.Logf("no OS store registered (%q): chose %s", avail, s.Backend())
	}
}

// TestAutomaticLeavesOutKeyctl checks the selection: Open with no backend named tries this
// platform's backends in order, all but keyctl, which stays available when named.
func TestAutomaticLeavesOutKeyctl(t *testing.T) {
	t.Parallel()
	var want []keyring.BackendType
	for _, b := range keyring.AvailableBackends() {
		if b != keyring.KeyCtlBackend {
			want = append(want, b)
		}
	}
	if got := automatic(); !slices.Equal(got, want) {
		t.Errorf("automatic() = %q, want %q", got, want)
	}
	if !slices.Contains(Backends(), "keyctl") {
		t.Errorf("Backends() = %q, want keyctl among them", Backends())
	}
	// Nothing else usable: the error lists what was tried, and keyctl is not among it.
	passDir := t.TempDir()
	_, err := open(Options{FileDir: t.TempDir(), LookupEnv: env(map[string]string{"PASSWORD_STORE_DIR": passDir})}, testService(t), headless())
	if err == nil {
		t.Fatal("open with no passphrase and no password store: no error")
	}
	if strings.Contains(err.Error(), "keyctl") {
		t.Errorf("open tried keyctl: %v", err)
	}
}

// headless returns automatic() without the OS stores, as on a machine with no desktop
// session, so that tests never touch the user's own stores.
func headless() []keyring.BackendType {
	return slices.DeleteFunc(automatic(), func(b keyring.BackendType) bool {
		return b != keyring.KeyCtlBackend && b != keyring.PassBackend && b != keyring.FileBackend
	})
}
