package secretstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rolehop/rolehop/internal/awsenv"
	"github.com/rolehop/rolehop/internal/run"
	"golang.org/x/sys/unix"
)

// childServiceEnv, when set, makes the test binary act as another rolehop process using the
// keyctl keyring it names (see TestMain).
const childServiceEnv = "SECRETSTORE_TEST_KEYCTL_CHILD"

// readerEnv, when set, makes the test binary act as a command rolehop runs that tries to read
// the cache whose service, file keyring directory and report file it names (see cacheReader).
const readerEnv = "SECRETSTORE_TEST_CACHE_READER"

func TestMain(m *testing.M) {
	if service := os.Getenv(childServiceEnv); service != "" {
		os.Exit(keyctlChild(service))
	}
	if args := os.Getenv(readerEnv); args != "" {
		os.Exit(cacheReader(filepath.SplitList(args)))
	}
	os.Exit(m.Run())
}

// keyctlChild reads cache:parent and writes cache:child, from a session keyring of its own:
// the keyring must be shared by processes of the same user, not only by those of one session.
func keyctlChild(service string) int {
	if _, err := unix.KeyctlJoinSessionKeyring(fmt.Sprintf("%s-child-%d", service, os.Getpid())); err != nil {
		fmt.Fprintln(os.Stderr, "new session keyring:", err)
		return 1
	}
	s, err := open(Options{Backend: "keyctl"}, service, nil)
	if err == nil {
		var data []byte
		if data, err = s.Get("cache:parent"); err == nil {
			os.Stdout.Write(data)
			err = s.Set("cache:child", []byte("from the child"), "child")
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

var testServices atomic.Int32

// testService returns a service name of its own for a test, so that it never sees the user's
// rolehop keyring, and removes the keyctl keyring of that name when the test ends.
func testService(t *testing.T) string {
	t.Helper()
	service := fmt.Sprintf("rolehop-test-%d-%d", os.Getpid(), testServices.Add(1))
	t.Cleanup(func() {
		id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "keyring", service, 0)
		if errors.Is(err, unix.ENOKEY) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.ENOSYS) {
			return
		}
		if err != nil {
			t.Errorf("find keyring %s: %v", service, err)
			return
		}
		if _, err := unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_USER_KEYRING, 0, 0); err != nil {
			t.Errorf("remove keyring %s: %v", service, err)
		}
	})
	return service
}

// openKeyctlStore opens keyctl with a test service, or says why the kernel does not permit it.
func openKeyctlStore(t *testing.T) (*Store, string) {
	t.Helper()
	if _, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, true); err != nil {
		return nil, fmt.Sprintf("the kernel does not permit keyctl here: %v", err)
	}
	s, err := open(Options{Backend: "keyctl"}, testService(t), nil)
	if err != nil {
		t.Fatalf("open(keyctl): %v", err)
	}
	return s, ""
}

func TestKeyctl(t *testing.T) {
	t.Parallel()
	if _, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, true); err != nil {
		t.Logf("keyctl round trip not possible: the kernel does not permit keyctl here (%v); checking that Open says so", err)
		_, openErr := open(Options{Backend: "keyctl"}, testService(t), nil)
		wantErr(t, "open(keyctl)", openErr, "secret store unavailable: keyctl: the kernel does not permit keyctl here: "+err.Error(), ErrUnavailable)
		var errno syscall.Errno
		if !errors.As(openErr, &errno) {
			t.Errorf("the error does not wrap the errno")
		}
		return
	}
	t.Log("the kernel permits keyctl: round trip through the user keyring")
	service := testService(t)
	s, err := open(Options{Backend: "keyctl"}, service, nil)
	if err != nil {
		t.Fatalf("open(keyctl): %v", err)
	}
	if s.Backend() != "keyctl" {
		t.Errorf("Backend() = %q, want keyctl", s.Backend())
	}
	binary := []byte("line\n\x00\xff")
	mustSet(t, s, "cache:b", []byte("secret b"), "role b")
	mustSet(t, s, "cache:a", binary, "")
	wantGet(t, s, "cache:a", binary, "")
	wantGet(t, s, "cache:b", []byte("secret b"), "role b")
	mustSet(t, s, "cache:b", []byte("secret b2"), "role b2")
	wantGet(t, s, "cache:b", []byte("secret b2"), "role b2")
	wantKeys(t, s, "cache:", "cache:a", "cache:b")
	if err := s.Remove("cache:a"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	_, err = s.Get("cache:a")
	wantErr(t, "Get after Remove", err, "secret cache:a not found", ErrNotFound)
	if err := s.Remove("cache:a"); err != nil {
		t.Errorf("Remove of a missing key: %v, want nil", err)
	}

	// Another process, in another session, shares the keyring.
	mustSet(t, s, "cache:parent", []byte("from the parent"), "parent")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childServiceEnv+"="+service)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child process: %v: %s", err, stderr.String())
	}
	if string(out) != "from the parent" {
		t.Errorf("the child read %q, want %q", out, "from the parent")
	}
	wantGet(t, s, "cache:child", []byte("from the child"), "child")

	for _, k := range []string{"cache:b", "cache:parent", "cache:child"} {
		if err := s.Remove(k); err != nil {
			t.Errorf("Remove(%s): %v", k, err)
		}
	}
	wantKeys(t, s, "")
}

// TestKeyctlConcurrent opens and writes from many goroutines at once, which Go runs on
// several threads: keyring's keyctl calls must each see one thread's session keyring.
func TestKeyctlConcurrent(t *testing.T) {
	t.Parallel()
	if _, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, true); err != nil {
		t.Logf("not possible: the kernel does not permit keyctl here (%v); TestKeyctl checks what Open says", err)
		return
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := range 32 {
		service := testService(t)
		wg.Go(func() {
			s, err := open(Options{Backend: "keyctl"}, service, nil)
			if err != nil {
				errs <- err
				return
			}
			for i := range 20 {
				key := fmt.Sprintf("cache:%d-%d", g, i)
				if err := s.Set(key, []byte(key), ""); err != nil {
					errs <- err
				} else if got, err := s.Get(key); err != nil || string(got) != key {
					errs <- fmt.Errorf("Get(%s) = %q, %v", key, got, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// cacheReader tries every way a command rolehop runs has to read the cached item
// cache:other-role of the service: through the kernel keyring, after linking the user keyring
// into its own session keyring to possess what is in it, and through the store opened as
// rolehop opens it. It writes one line per way to the report file.
func cacheReader(args []string) int {
	service, dir, report := args[0], args[1], args[2]
	var lines []string
	if _, err := unix.KeyctlInt(unix.KEYCTL_LINK, unix.KEY_SPEC_USER_KEYRING, unix.KEY_SPEC_SESSION_KEYRING, 0, 0); err != nil {
		lines = append(lines, "link the user keyring: "+err.Error())
	}
	if data, err := keyctlRead(service, "cache:other-role"); err != nil {
		lines = append(lines, "keyctl: "+err.Error())
	} else {
		lines = append(lines, "keyctl read: "+string(data))
	}
	s, err := open(Options{FileDir: dir}, service, headless())
	if err == nil {
		var data []byte
		if data, err = s.Get("cache:other-role"); err == nil {
			lines = append(lines, "store read: "+string(data))
		}
	}
	if err != nil {
		lines = append(lines, "store: "+err.Error())
	}
	if err := os.WriteFile(report, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// keyctlRead reads the key named key in the keyring named service in the user keyring.
func keyctlRead(service, key string) ([]byte, error) {
	ring, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "keyring", service, 0)
	if err != nil {
		return nil, fmt.Errorf("find keyring %s: %w", service, err)
	}
	id, err := unix.KeyctlSearch(ring, "user", key, 0)
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", key, err)
	}
	buf := make([]byte, 4096)
	n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return buf[:min(n, len(buf))], nil
}

// TestCommandCannotReadCache caches another role's credentials in the store Open picks by
// itself on a machine with no desktop session, then runs a command as rolehop exec does (its
// environment made by awsenv, started by run.Command) that tries to read them.
func TestCommandCannotReadCache(t *testing.T) {
	t.Parallel()
	const secret = "the other role's secret access key"
	service := testService(t)
	dir := t.TempDir()
	report := filepath.Join(t.TempDir(), "report")
	// rolehop's own environment holds the passphrase, as it does when the cache uses the
	// encrypted file; an empty password store keeps pass out of the way.
	environ := append(os.Environ(), PassphraseEnv+"=the passphrase", "PASSWORD_STORE_DIR="+t.TempDir(),
		readerEnv+"="+strings.Join([]string{service, dir, report}, string(os.PathListSeparator)))
	lookup := func(name string) (string, bool) {
		for _, kv := range slices.Backward(environ) {
			if k, v, _ := strings.Cut(kv, "="); k == name {
				return v, true
			}
		}
		return "", false
	}
	s, err := open(Options{FileDir: dir, LookupEnv: lookup}, service, headless())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Logf("the cache is in %s", s.Backend())
	mustSet(t, s, "cache:other-role", []byte(secret), "AssumeRole other")

	e := awsenv.For(aws.Credentials{AccessKeyID: "ASIATHISROLE", SecretAccessKey: "this role's", CanExpire: false}, "").ForCommand()
	status, err := run.Command(context.Background(), []string{os.Args[0], "-test.run=^$"}, e.Apply(environ), run.Stdio{Stdout: os.Stdout, Stderr: os.Stderr})
	if err != nil || status != 0 {
		t.Fatalf("the command: status %d, %v", status, err)
	}
	got, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the command reports:\n%s", got)
	if strings.Contains(string(got), secret) {
		t.Errorf("the command read the other role's credentials")
	}
	lines := strings.Split(string(got), "\n")
	for _, want := range []struct{ prefix, has string }{
		{"keyctl: find keyring " + service + ": ", ""},
		{"store: secret store unavailable: ", "file: no passphrase: set ROLEHOP_KEYRING_PASSPHRASE"},
	} {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, want.prefix) && strings.Contains(l, want.has) }) {
			t.Errorf("the report lacks a line %q...%q", want.prefix, want.has)
		}
	}
}
