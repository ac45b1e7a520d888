//go:build unix && !aix

package mfa

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitLimit bounds every wait in these tests.
const waitLimit = 10 * time.Second

func TestMain(m *testing.M) {
	// Started with SIGHUP ignored (nohup), the test binary would rightly leave it alone and
	// the test sending it fail. Catching it here ignores it all the same.
	if signal.Ignored(syscall.SIGHUP) {
		signal.Notify(make(chan os.Signal, 1), syscall.SIGHUP)
	}
	os.Exit(m.Run())
}

func TestCommandWithoutRolehopSecrets(t *testing.T) {
	t.Setenv("ROLEHOP_KEYRING_PASSPHRASE", "keyring passphrase")
	t.Setenv("ROLEHOP_TOKEN_CODE", "123456")
	out := filepath.Join(t.TempDir(), "seen")
	line := script(t, `echo "${ROLEHOP_KEYRING_PASSPHRASE+set}|${ROLEHOP_TOKEN_CODE+set}|${KEPT-unset}" > "$1"; echo 112233`) + " " + out
	for _, env := range [][]string{
		nil, // rolehop's own
		{"PATH=/usr/bin:/bin", "ROLEHOP_KEYRING_PASSPHRASE=given", "ROLEHOP_TOKEN_CODE=654321", "KEPT=kept"},
	} {
		if _, err := (Command{Line: line, Env: env}).Code(context.Background(), "GAHT12345678"); err != nil {
			t.Fatal(err)
		}
		want := "||unset\n"
		if env != nil {
			want = "||kept\n"
		}
		if got, err := os.ReadFile(out); err != nil || string(got) != want {
			t.Errorf("with env %q the program saw %q (%v), want %q", env, got, err, want)
		}
	}
}

func TestCommandSignalKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	line := script(t, `cd "$1"; sleep 30 & echo $! > child; echo $$ > self; : > ready; sleep 30; echo 112233`) + " " + dir
	go func() {
		// Sent to rolehop (this test binary) while the program runs, as by a supervisor.
		ready := filepath.Join(dir, "ready")
		for deadline := time.Now().Add(waitLimit); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if _, err := os.Stat(ready); err == nil {
				_ = syscall.Kill(os.Getpid(), syscall.SIGHUP)
				return
			}
		}
	}()
	_, err := Command{Line: line, Timeout: 2 * waitLimit}.Code(context.Background(), "GAHT12345678")
	want := "MFA token command " + strings.Fields(line)[0] + " was stopped: interrupted by SIGHUP"
	if err == nil || err.Error() != want {
		t.Fatalf("Code error = %v, want %q", err, want)
	}
	for _, name := range []string{"self", "child"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		awaitGone(t, name, pid)
	}
}

// awaitGone waits until process pid has ended, and kills it if it has not. A zombie has ended:
// whoever adopted it may take its time to reap it.
func awaitGone(t *testing.T, what string, pid int) {
	t.Helper()
	for deadline := time.Now().Add(waitLimit); ; time.Sleep(10 * time.Millisecond) {
		err := syscall.Kill(pid, 0)
		status, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if errors.Is(err, syscall.ESRCH) || strings.Contains(string(status), "\nState:\tZ") {
			return
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("%s (pid %d) still running %v after Code returned", what, pid, waitLimit)
			return
		}
	}
}
