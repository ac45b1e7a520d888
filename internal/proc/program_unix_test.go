//go:build unix && !aix

package proc_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rolehop/rolehop/internal/proc"
	"github.com/rolehop/rolehop/internal/proctest"
)

// program writes body as the script p.sh into a new directory, and returns a Program that runs
// it from there.
func program(t *testing.T, body string) proc.Program {
	t.Helper()
	dir := t.TempDir()
	writeScript(t, dir, "p.sh", body)
	return proc.Program{Argv: []string{"./p.sh"}, Dir: dir, Env: []string{systemPath}, Timeout: timeout, MaxOutput: 1 << 20}
}

// output runs p and returns what it printed, failing the test unless it succeeds.
func output(t *testing.T, p proc.Program) string {
	t.Helper()
	out, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return string(out)
}

func TestProgramArgsDirAndStreams(t *testing.T) {
	p := program(t, `read -r line; printf '%s|%s|%s|%s' "$0" "$1" "$(pwd -P)" "$line"; echo oops >&2`)
	p.Argv = append(p.Argv, "two words")
	p.Stdin = strings.NewReader("typed in\n")
	var stderr bytes.Buffer
	p.Stderr = &stderr
	dir, err := filepath.EvalSymlinks(p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	// $0 is the file the kernel ran, found in Dir.
	if got, want := output(t, p), filepath.Join(p.Dir, "p.sh")+"|two words|"+dir+"|typed in"; got != want {
		t.Errorf("Run = %q, want %q", got, want)
	}
	if stderr.String() != "oops\n" {
		t.Errorf("stderr = %q, want %q", stderr.String(), "oops\n")
	}
}

func TestProgramEnvironment(t *testing.T) {
	t.Setenv("PROC_TEST_FROM_ROLEHOP", "rolehop's own")
	p := program(t, `printf '%s|%s|%s|%s|%s' "${GIVEN-unset}" "${PROC_TEST_FROM_ROLEHOP-unset}" "${ROLEHOP_KEYRING_PASSPHRASE-unset}" "${ROLEHOP_TOKEN_CODE-unset}" "${ROLEHOP_IAM_ROLE-unset}"`)
	p.Env = []string{systemPath, "GIVEN=hello world", "ROLEHOP_KEYRING_PASSPHRASE=passphrase", "ROLEHOP_TOKEN_CODE=123456", "ROLEHOP_IAM_ROLE=kept"}
	// Exactly the environment given, less rolehop's own secret inputs.
	if got, want := output(t, p), "hello world|unset|unset|unset|kept"; got != want {
		t.Errorf("the program saw %q, want %q", got, want)
	}
	p.Env = nil // an empty environment, not rolehop's: no PATH, so ./p.sh must run sh by its path
	writeScript(t, p.Dir, "p.sh", `echo "${PROC_TEST_FROM_ROLEHOP-unset}"`)
	if got := output(t, p); got != "unset\n" {
		t.Errorf("with no Env the program saw %q, want %q", got, "unset\n")
	}
}

func TestProgramStartFailure(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad-interpreter"), []byte("#!/proc-test/no-such-sh -x\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "no-shebang"), []byte("echo hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plain.txt"), []byte("echo hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		argv   []string
		msg    string
		reason string
		status int
	}{
		{[]string{"no-such-program"}, "command not found: no-such-program", "command not found", proc.NotFound},
		{nil, "command not found: ", "command not found", proc.NotFound},
		{[]string{"./plain.txt"}, "cannot execute ./plain.txt: permission denied", "cannot execute: permission denied", proc.CannotExecute},
		{[]string{"./no-shebang"}, "cannot execute ./no-shebang: exec format error", "cannot execute: exec format error", proc.CannotExecute},
		{[]string{"./bad-interpreter"}, "cannot execute ./bad-interpreter: bad interpreter /proc-test/no-such-sh: no such file or directory",
			"cannot execute: its interpreter or dynamic loader was not found", proc.CannotExecute},
	}
	for _, tt := range tests {
		p := proc.Program{Argv: tt.argv, Dir: dir, Env: []string{systemPath}, Timeout: timeout, MaxOutput: 1}
		_, err := p.Run(context.Background())
		var startErr *proc.StartError
		if !errors.As(err, &startErr) {
			t.Errorf("Run(%q) = %v, want a *StartError", tt.argv, err)
			continue
		}
		if startErr.Error() != tt.msg || startErr.Reason() != tt.reason || startErr.Status() != tt.status {
			t.Errorf("Run(%q) = %q, %q, %d; want %q, %q, %d", tt.argv,
				startErr.Error(), startErr.Reason(), startErr.Status(), tt.msg, tt.reason, tt.status)
		}
	}
}

func TestProgramFailure(t *testing.T) {
	_, err := program(t, "echo half; exit 3").Run(context.Background())
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		t.Fatalf("Run = %v, want exit status 3", err)
	}
	_, err = program(t, "kill -TERM $$").Run(context.Background())
	if !errors.As(err, &exitErr) {
		t.Fatalf("Run = %v, want an *exec.ExitError", err)
	}
	if sig, ok := proc.KilledBy(exitErr.ProcessState); !ok || sig != "SIGTERM" {
		t.Errorf("KilledBy = %q, %v; want SIGTERM, true", sig, ok)
	}
}

func TestProgramOutputLimit(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		wantErr error
	}{
		{"exactly the limit", `head -c 1024 /dev/zero`, nil},
		{"a byte more", `head -c 1025 /dev/zero`, proc.ErrTooMuchOutput},
		{"endless", `yes`, proc.ErrTooMuchOutput},
		{"endless, ignoring SIGPIPE", `trap '' PIPE; yes; exit 0`, proc.ErrTooMuchOutput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := program(t, tt.script)
			p.MaxOutput = 1024
			start := time.Now()
			out, err := p.Run(context.Background())
			if !errors.Is(err, tt.wantErr) || err == nil && len(out) != 1024 {
				t.Errorf("Run = %d bytes, %v; want %v", len(out), err, tt.wantErr)
			}
			if elapsed := time.Since(start); elapsed > timeout {
				t.Errorf("Run returned after %v", elapsed)
			}
		})
	}
}

func TestProgramTimeoutKillsProcessGroup(t *testing.T) {
	p := program(t, `sleep 30 & echo $! > child; echo $$ > self; sleep 30`)
	p.Timeout = time.Second
	start := time.Now()
	_, err := p.Run(context.Background())
	if !errors.Is(err, proc.ErrTimeout) {
		t.Errorf("Run = %v, want ErrTimeout", err)
	}
	if elapsed := time.Since(start); elapsed > timeout {
		t.Errorf("Run returned after %v", elapsed)
	}
	proctest.AwaitGone(t, p.Dir, "self", "child")
}

func TestProgramContextDone(t *testing.T) {
	p := program(t, `sleep 30 & echo $! > child; : > ready; sleep 30`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		proctest.AwaitFile(t, filepath.Join(p.Dir, "ready"))
		cancel()
	}()
	_, err := p.Run(ctx)
	var stopped *proc.Stopped
	if !errors.As(err, &stopped) || !errors.Is(err, context.Canceled) || err.Error() != "stopped: context canceled" {
		t.Fatalf("Run = %v, want a *Stopped by context.Canceled", err)
	}
	proctest.AwaitGone(t, p.Dir, "child")

	expired, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	if _, err := program(t, "exit 0").Run(expired); !errors.As(err, &stopped) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run with an expired context = %v, want a *Stopped by context.DeadlineExceeded", err)
	}
}

func TestProgramSignalKillsProcessGroup(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		name := unix.SignalName(sig)
		t.Run(name, func(t *testing.T) {
			p := program(t, `sleep 30 & echo $! > child; echo $$ > self; : > ready; sleep 30`)
			go func() {
				// Sent to rolehop (this test binary) while the program runs, as by a supervisor.
				ready := filepath.Join(p.Dir, "ready")
				proctest.AwaitFile(t, ready)
				if _, err := os.Stat(ready); err == nil {
					_ = syscall.Kill(os.Getpid(), sig)
				}
			}()
			_, err := p.Run(context.Background())
			var in *proc.Interrupted
			if !errors.As(err, &in) || in.Signal != sig || err.Error() != "stopped: interrupted by "+name {
				t.Errorf("Run = %v, want stopped: interrupted by %s", err, name)
			}
			proctest.AwaitGone(t, p.Dir, "self", "child")
		})
	}
}

func TestProgramLeftoverChildKeepsStdoutOpen(t *testing.T) {
	// Something the program started and left running, a browser, say, holds its stdout.
	p := program(t, `sleep 30 & echo $! > child; echo done`)
	p.WaitDelay = 100 * time.Millisecond
	t.Cleanup(func() { _ = unix.Kill(proctest.ReadPid(t, filepath.Join(p.Dir, "child")), unix.SIGKILL) })
	start := time.Now()
	if got := output(t, p); got != "done\n" {
		t.Errorf("Run = %q, want %q", got, "done\n")
	}
	if elapsed := time.Since(start); elapsed > timeout {
		t.Errorf("Run returned after %v", elapsed)
	}
}
