package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rolehop/rolehop/internal/ptytest"
)

// storeEnv is an environment with its own encrypted file keyring, and long-term keys for
// `credentials add --from-env`.
func storeEnv(t *testing.T, keyID string) []string {
	t.Helper()
	home := t.TempDir()
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=", "XDG_CACHE_HOME=",
		"ROLEHOP_KEYRING_BACKEND=file", "ROLEHOP_KEYRING_PASSPHRASE=terminal-test-passphrase",
		"AWS_ACCESS_KEY_ID=" + keyID, "AWS_SECRET_ACCESS_KEY=terminal-test-secret"}
}

// onTerminal runs rolehop with args in a session of its own whose controlling terminal is a new
// pseudo-terminal, with typed already typed, and returns what the terminal showed and how
// rolehop exited.
func onTerminal(t *testing.T, env []string, typed string, args ...string) (screen string, status int) {
	t.Helper()
	control, terminal := ptytest.Open(t)
	if _, err := control.Write([]byte(typed)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("rolehop", args...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = terminal, terminal, terminal
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	terminal.Close()
	var out bytes.Buffer
	read := make(chan error, 1)
	// The terminal's output is read while rolehop runs, so that it never blocks writing; the
	// read ends with EIO once rolehop has closed the terminal.
	go func() { _, err := io.Copy(&out, control); read <- err }()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("rolehop %s still running after 30s", strings.Join(args, " "))
	}
	<-read
	return out.String(), cmd.ProcessState.ExitCode()
}

func listed(t *testing.T, env []string) string {
	t.Helper()
	cmd := exec.Command("rolehop", "credentials", "list")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("rolehop credentials list: %v\n%s", err, out)
	}
	return string(out)
}

// TestCredentialsAddAsksBeforeReplacing adds keys under a name that is already stored, on a
// terminal: rolehop asks first, replaces them on "y" and keeps them otherwise.
func TestCredentialsAddAsksBeforeReplacing(t *testing.T) {
	env := storeEnv(t, "AKIAFIRSTKEY00000001")
	first := exec.Command("rolehop", "credentials", "add", "work", "--from-env")
	first.Env = env
	if out, err := first.CombinedOutput(); err != nil {
		t.Fatalf("first add: %v\n%s", err, out)
	}
	const prompt = `credentials "work" are already stored (****0001); replace them? [y/N] `
	for _, tt := range []struct {
		typed, keyID string
		status       int
		wantEnd      string
		listed       string
	}{
		{"n\n", "AKIASECONDKEY0000002", 1, `rolehop: credentials "work" not replaced`, "****0001"},
		{"\n", "AKIASECONDKEY0000002", 1, `rolehop: credentials "work" not replaced`, "****0001"},
		{"y\n", "AKIASECONDKEY0000002", 0, `stored "work" (****0002) in the file secret store`, "****0002"},
	} {
		env := append(env[:len(env):len(env)], "AWS_ACCESS_KEY_ID="+tt.keyID)
		screen, status := onTerminal(t, env, tt.typed, "credentials", "add", "work", "--from-env")
		if status != tt.status || !strings.Contains(screen, prompt) || !strings.HasSuffix(strings.TrimSpace(screen), tt.wantEnd) {
			t.Errorf("typed %q: exit %d, terminal showed:\n%s\nwant exit %d, the prompt %q, and at the end %q", tt.typed, status, screen, tt.status, prompt, tt.wantEnd)
		}
		if got := listed(t, env); !strings.Contains(got, "work  "+tt.listed) {
			t.Errorf("typed %q: credentials list shows\n%s\nwant work with %s", tt.typed, got, tt.listed)
		}
	}
	// --force replaces them without asking.
	env = append(env[:len(env):len(env)], "AWS_ACCESS_KEY_ID=AKIATHIRDKEY00000003")
	screen, status := onTerminal(t, env, "", "credentials", "add", "work", "--from-env", "--force")
	if status != 0 || strings.Contains(screen, "replace them?") {
		t.Errorf("--force: exit %d, terminal showed:\n%s", status, screen)
	}
	if got := listed(t, env); !strings.Contains(got, "****0003") {
		t.Errorf("after --force, credentials list shows\n%s", got)
	}
}
