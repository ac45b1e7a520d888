package secretstore

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// childServiceEnv, when set, makes the test binary act as another rolehop process using the
// keyctl keyring it names (see TestMain).
const childServiceEnv = "SECRETSTORE_TEST_KEYCTL_CHILD"

func TestMain(m *testing.M) {
	if service := os.Getenv(childServiceEnv); service != "" {
		os.Exit(keyctlChild(service))
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
