//go:build unix && !aix

package mfa

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rolehop/rolehop/internal/proctest"
)

// waitLimit bounds every wait in these tests.
const waitLimit = 10 * time.Second

// helperVar, set to 1, makes the test binary act as rolehop running an MFA token command: see
// helper.
const helperVar = "MFA_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperVar) == "1" {
		os.Exit(helper())
	}
	proctest.CatchIgnored(syscall.SIGHUP)
	os.Exit(m.Run())
}

// helper runs the MFA token command os.Args[2] in the directory os.Args[1], as rolehop does
// (on the terminal, when it holds it), and writes to the file os.Args[3] what Code returned
// and whether rolehop's process group got the terminal back.
func helper() int {
	c := Command{Line: os.Args[2], Dir: os.Args[1], Terminal: true, Stderr: os.Stderr, Timeout: 5 * time.Second}
	code, err := c.Code(context.Background(), "GAHT12345678")
	var report strings.Builder
	if err != nil {
		fmt.Fprintf(&report, "error: %v\n", err)
	} else {
		fmt.Fprintf(&report, "code: %s\n", code)
	}
	foreground, err := unix.IoctlGetInt(2, unix.TIOCGPGRP)
	fmt.Fprintf(&report, "rolehop in the foreground: %v (%v)\n", foreground == unix.Getpgrp(), err)
	if err := os.WriteFile(os.Args[3], []byte(report.String()), 0o600); err != nil {
		return 1
	}
	return 0
}

func TestCommandLooksUpPathInEnv(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "mfa-test-code"), []byte("#!/bin/sh\necho 445566\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Not on rolehop's own PATH: only the PATH of the program's environment counts.
	c := Command{Line: "mfa-test-code --single aws", Env: []string{"PATH=" + bin + ":/usr/bin:/bin"}, Timeout: waitLimit}
	if code, err := c.Code(context.Background(), "GAHT12345678"); err != nil || code != "445566" {
		t.Errorf("Code = %q, %v; want 445566", code, err)
	}
	c.Env = []string{"PATH=/usr/bin:/bin"}
	_, err := c.Code(context.Background(), "GAHT12345678")
	if want := "MFA token command mfa-test-code: command not found"; err == nil || err.Error() != want {
		t.Errorf("Code error = %v, want %q", err, want)
	}
}

func TestCommandStartFailure(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "plain.sh"), []byte("#!/bin/sh\necho 112233\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ line, want string }{
		{"./missing.sh --pin s3cr3t", "MFA token command ./missing.sh: command not found"},
		{"./plain.sh", "MFA token command ./plain.sh: cannot execute: permission denied"},
	} {
		_, err := Command{Line: tt.line, Dir: dir, Env: []string{"PATH=/usr/bin:/bin"}}.Code(context.Background(), "GAHT12345678")
		if err == nil || err.Error() != tt.want {
			t.Errorf("Code(%q) error = %v, want %q", tt.line, err, tt.want)
		}
	}
}

func TestCommandTimeoutKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	line := script(t, `cd "$1"; sleep 30 & echo $! > child; echo $$ > self; sleep 30; echo 112233`) + " " + dir
	start := time.Now()
	_, err := Command{Line: line, Timeout: time.Second}.Code(context.Background(), "GAHT12345678")
	want := "MFA token command " + strings.Fields(line)[0] + " did not finish within 1s"
	if err == nil || err.Error() != want {
		t.Fatalf("Code error = %v, want %q", err, want)
	}
	if elapsed := time.Since(start); elapsed > waitLimit {
		t.Errorf("Code returned after %v", elapsed)
	}
	proctest.AwaitGone(t, dir, "self", "child")
}

func TestCommandOutputLimit(t *testing.T) {
	line := script(t, `yes 123456`)
	start := time.Now()
	_, err := Command{Line: line, Timeout: waitLimit}.Code(context.Background(), "GAHT12345678")
	want := "MFA token command " + line + " printed something else than a code: MFA code must be exactly 6 digits"
	if err == nil || err.Error() != want {
		t.Errorf("Code error = %v, want %q", err, want)
	}
	if elapsed := time.Since(start); elapsed > waitLimit {
		t.Errorf("Code returned after %v", elapsed)
	}
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
		proctest.AwaitFile(t, ready)
		if _, err := os.Stat(ready); err == nil {
			_ = syscall.Kill(os.Getpid(), syscall.SIGHUP)
		}
	}()
	_, err := Command{Line: line, Timeout: 2 * waitLimit}.Code(context.Background(), "GAHT12345678")
	want := "MFA token command " + strings.Fields(line)[0] + " was stopped: interrupted by SIGHUP"
	if err == nil || err.Error() != want {
		t.Fatalf("Code error = %v, want %q", err, want)
	}
	proctest.AwaitGone(t, dir, "self", "child")
}
