//go:build unix

package run_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rolehop/rolehop/internal/proc"
	"github.com/rolehop/rolehop/internal/proctest"
	"github.com/rolehop/rolehop/internal/run"
)

// helperVar, set to 1, makes the test binary act as rolehop: see helper.
const helperVar = "RUN_TEST_HELPER"

// afterVar, set to a signal number, makes the helper send itself that signal once Command has
// returned, as a signal that comes while rolehop exits after its child.
const afterVar = "RUN_TEST_SIGNAL_AFTER"

// beforeVar, set to a signal number, makes the helper catch the signals with run.Catch and,
// once they are caught, send itself that signal and then SIGTERM, and wait to die of one.
const beforeVar = "RUN_TEST_SIGNAL_BEFORE"

// systemPath lets children find sh and the usual utilities.
const systemPath = "PATH=/usr/bin:/bin"

// timeout bounds every wait in these tests.
const timeout = 10 * time.Second

func TestMain(m *testing.M) {
	if os.Getenv(helperVar) == "1" {
		os.Exit(helper())
	}
	proctest.CatchIgnored(syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP)
	os.Exit(m.Run())
}

// helper runs its arguments with run.Command, giving the child its own environment less
// helperVar, prints the error if any, and exits with the status, as `rolehop exec` does.
func helper() int {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, helperVar+"=") || strings.HasPrefix(kv, afterVar+"=") || strings.HasPrefix(kv, beforeVar+"=")
	})
	if sig, err := strconv.Atoi(os.Getenv(beforeVar)); err == nil {
		<-run.Catch().Ready()
		// The runtime hands caught signals on lowest number first: SIGTERM (15) comes after
		// the signal under test, so dying of SIGTERM means that one did nothing.
		run.Raise(syscall.Signal(sig))
		run.Raise(syscall.SIGTERM)
		time.Sleep(timeout)
		return 99
	}
	status, err := run.Command(context.Background(), os.Args[1:], env, run.Stdio{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	if sig, err := strconv.Atoi(os.Getenv(afterVar)); err == nil {
		run.Raise(syscall.Signal(sig))
	}
	return status
}

// helperCmd returns a command that runs the test binary as rolehop running argv, with env
// for the child. It starts in a session of its own, without a controlling terminal, so that
// signals the test sends reach only it and nothing it starts outlives the test.
func helperCmd(t *testing.T, env []string, argv ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, argv...)
	cmd.Env = append([]string{helperVar + "=1"}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd
}

// helperProc is a running helper.
type helperProc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // what Wait returned, set before done is closed
}

// startHelper starts cmd. Cleanup kills the helper's whole process group if the test left it
// running.
func startHelper(t *testing.T, cmd *exec.Cmd) *helperProc {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &helperProc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	})
	return p
}

// exitCode waits for the helper to exit and returns its exit code.
func (p *helperProc) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("helper still running after %v", timeout)
	}
	state := p.cmd.ProcessState
	if state == nil {
		t.Fatalf("wait for helper: %v", p.err)
	}
	if !state.Exited() {
		t.Fatalf("helper did not exit by itself: %v", state)
	}
	return state.ExitCode()
}

// awaitFile polls until the file at path exists and is not empty, and returns its content.
func awaitFile(t *testing.T, path string) []byte {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		data, err := os.ReadFile(path)
		if err == nil && len(data) > 0 {
			return data
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %v", path, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func TestCommandExitStatus(t *testing.T) {
	tests := []struct {
		script string
		want   int
	}{
		{"exit 0", 0},
		{"exit 1", 1},
		{"exit 3", 3},
		{"exit 255", 255},
		{"kill -KILL $$", 128 + int(syscall.SIGKILL)},
		{"kill -TERM $$", 128 + int(syscall.SIGTERM)},
	}
	for _, tt := range tests {
		t.Run(tt.script, func(t *testing.T) {
			status, err := run.Command(t.Context(), []string{"sh", "-c", tt.script}, []string{systemPath}, run.Stdio{})
			if err != nil {
				t.Fatalf("Command: %v", err)
			}
			if status != tt.want {
				t.Errorf("status = %d, want %d", status, tt.want)
			}
		})
	}
}

func TestCommandStartFailure(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFile(t, "plain.txt", "echo hi\n", 0o644)
	writeFile(t, "no-shebang", "echo hi\n", 0o755)
	writeFile(t, "bad-interpreter", "#!/rolehop-test/no-such-interpreter -x\n", 0o755)
	if err := os.Mkdir("subdir", 0o755); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		argv    []string
		status  int
		message string
	}{
		{"not on PATH", []string{"rolehop-test-no-such-command"}, proc.NotFound,
			"command not found: rolehop-test-no-such-command"},
		{"missing relative path", []string{"./missing", "arg"}, proc.NotFound,
			"command not found: ./missing"},
		{"missing absolute path", []string{filepath.Join(dir, "missing")}, proc.NotFound,
			"command not found: " + filepath.Join(dir, "missing")},
		{"not executable", []string{"./plain.txt"}, proc.CannotExecute,
			"cannot execute ./plain.txt: permission denied"},
		{"directory", []string{"./subdir"}, proc.CannotExecute,
			"cannot execute ./subdir: is a directory"},
		{"absolute directory", []string{dir}, proc.CannotExecute,
			"cannot execute " + dir + ": is a directory"},
		{"no #! line", []string{"./no-shebang"}, proc.CannotExecute,
			"cannot execute ./no-shebang: exec format error"},
		{"missing interpreter", []string{"./bad-interpreter"}, proc.CannotExecute,
			"cannot execute ./bad-interpreter: bad interpreter /rolehop-test/no-such-interpreter: no such file or directory"},
		{"no arguments", nil, proc.NotFound, "no command to run"},
		{"empty name", []string{""}, proc.NotFound, "no command to run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, err := run.Command(t.Context(), tt.argv, []string{systemPath}, run.Stdio{})
			if status != tt.status {
				t.Errorf("status = %d, want %d", status, tt.status)
			}
			if err == nil || err.Error() != tt.message {
				t.Errorf("err = %v, want %q", err, tt.message)
			}
		})
	}
}

func TestCommandRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("bin", 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, "bin/script", "#!/bin/sh\nexit 7\n", 0o755)

	for _, name := range []string{"./bin/script", "bin/script"} {
		t.Run(name, func(t *testing.T) {
			// No PATH: a name with a slash is never looked up.
			status, err := run.Command(t.Context(), []string{name}, []string{}, run.Stdio{})
			if err != nil || status != 7 {
				t.Errorf("Command = %d, %v; want 7, nil", status, err)
			}
		})
	}
}

func TestCommandLooksUpPathFromEnv(t *testing.T) {
	const name = "rolehop-test-command"
	root := t.TempDir()
	good := filepath.Join(root, "good")
	denied := filepath.Join(root, "denied")
	dirOnly := filepath.Join(root, "dir-only")
	for _, d := range []string{good, denied, filepath.Join(dirOnly, name)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(good, name), "#!/bin/sh\nexit 42\n", 0o755)
	writeFile(t, filepath.Join(denied, name), "#!/bin/sh\nexit 1\n", 0o644)

	tests := []struct {
		name    string
		argv    []string
		env     []string
		chdir   string
		status  int
		message string
	}{
		{"found", []string{name}, []string{"PATH=" + good}, "", 42, ""},
		{"skips non-executable", []string{name}, []string{"PATH=" + denied + ":" + good}, "", 42, ""},
		{"skips directory", []string{name}, []string{"PATH=" + dirOnly + ":" + good}, "", 42, ""},
		{"last PATH wins", []string{name}, []string{"PATH=/nonexistent", "HOME=/", "PATH=" + good}, "", 42, ""},
		{"empty entry skipped", []string{name}, []string{"PATH=/nonexistent::/bin"}, good, proc.NotFound, "command not found: " + name},
		{"only non-executable", []string{name}, []string{"PATH=" + denied}, "", proc.CannotExecute,
			"cannot execute " + name + ": permission denied"},
		{"only directory", []string{name}, []string{"PATH=" + dirOnly}, "", proc.NotFound,
			"command not found: " + name},
		// rolehop's own PATH has sh; the child's does not.
		{"no PATH", []string{"sh", "-c", "exit 0"}, []string{"HOME=/"}, "", proc.NotFound,
			"command not found: sh"},
		{"empty PATH", []string{"sh", "-c", "exit 0"}, []string{"PATH="}, "", proc.NotFound,
			"command not found: sh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.chdir != "" {
				t.Chdir(tt.chdir)
			}
			status, err := run.Command(t.Context(), tt.argv, tt.env, run.Stdio{})
			if status != tt.status {
				t.Errorf("status = %d, want %d", status, tt.status)
			}
			switch {
			case tt.message == "" && err != nil:
				t.Errorf("err = %v, want nil", err)
			case tt.message != "" && (err == nil || err.Error() != tt.message):
				t.Errorf("err = %v, want %q", err, tt.message)
			}
		})
	}
}

func TestCommandEnvironmentIsExact(t *testing.T) {
	env := []string{
		systemPath,
		"ROLEHOP_TEST_PLAIN=1",
		"ROLEHOP_TEST_SPACES=a b  c",
		"ROLEHOP_TEST_EQUALS=x=y",
		"ROLEHOP_TEST_EMPTY=",
	}
	cmd := helperCmd(t, env, "env")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if status := startHelper(t, cmd).exitCode(t); status != 0 {
		t.Fatalf("status = %d, stderr: %s", status, stderr.String())
	}
	got := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	slices.Sort(got)
	want := slices.Sorted(slices.Values(env))
	if !slices.Equal(got, want) {
		t.Errorf("child environment:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCommandNilEnvIsEmpty(t *testing.T) {
	t.Setenv("ROLEHOP_TEST_MARK", "1")
	// Exits 0 only when the child did not inherit the test's environment.
	script := `[ -z "${ROLEHOP_TEST_MARK+set}" ]`
	status, err := run.Command(t.Context(), []string{"/bin/sh", "-c", script}, nil, run.Stdio{})
	if err != nil || status != 0 {
		t.Errorf("Command = %d, %v; want 0, nil", status, err)
	}
}

func TestCommandStdio(t *testing.T) {
	big := make([]byte, 1<<20)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		argv       []string
		stdin      []byte
		wantStdout []byte
		wantStderr string
	}{
		{"line", []string{"sh", "-c", `read line; echo "out:$line"; echo "err:$line" >&2`},
			[]byte("hello\n"), []byte("out:hello\n"), "err:hello\n"},
		{"binary", []string{"cat"}, big, big, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := helperCmd(t, []string{systemPath}, tt.argv...)
			var stdout, stderr bytes.Buffer
			cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(tt.stdin), &stdout, &stderr
			if status := startHelper(t, cmd).exitCode(t); status != 0 {
				t.Fatalf("status = %d, stderr: %s", status, stderr.String())
			}
			if !bytes.Equal(stdout.Bytes(), tt.wantStdout) {
				t.Errorf("stdout: got %d bytes, want %d bytes equal to the input", stdout.Len(), len(tt.wantStdout))
			}
			if stderr.String() != tt.wantStderr {
				t.Errorf("stderr = %q, want %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

func TestCommandStreamsFromCaller(t *testing.T) {
	var stdout, stderr bytes.Buffer
	stdio := run.Stdio{Stdin: strings.NewReader("hello\n"), Stdout: &stdout, Stderr: &stderr}
	argv := []string{"sh", "-c", `read line; echo "out:$line"; echo "err:$line" >&2`}
	status, err := run.Command(t.Context(), argv, []string{systemPath}, stdio)
	if err != nil || status != 0 {
		t.Fatalf("Command = %d, %v; want 0, nil", status, err)
	}
	if stdout.String() != "out:hello\n" || stderr.String() != "err:hello\n" {
		t.Errorf("stdout = %q, stderr = %q; want %q and %q", stdout.String(), stderr.String(), "out:hello\n", "err:hello\n")
	}
}

func TestCommandWithoutSecretInputs(t *testing.T) {
	env := []string{systemPath, "ROLEHOP_KEYRING_PASSPHRASE=passphrase", "ROLEHOP_TOKEN_CODE=123456", "ROLEHOP_IAM_ROLE=kept"}
	var stdout bytes.Buffer
	script := `echo "${ROLEHOP_KEYRING_PASSPHRASE-unset}|${ROLEHOP_TOKEN_CODE-unset}|${ROLEHOP_IAM_ROLE-unset}"`
	status, err := run.Command(t.Context(), []string{"sh", "-c", script}, env, run.Stdio{Stdout: &stdout})
	if err != nil || status != 0 {
		t.Fatalf("Command = %d, %v; want 0, nil", status, err)
	}
	if want := "unset|unset|kept\n"; stdout.String() != want {
		t.Errorf("the command saw %q, want %q", stdout.String(), want)
	}
}

// trapScript is a child that logs each forwarded signal it gets to $RUN_TEST_DIR/log and
// writes its pid to $RUN_TEST_DIR/ready once its traps are set. On SIGALRM, which the test
// sends to it directly once the signal under test has been logged, it exits with 40 plus the
// number of signals it got, so 41 means exactly one.
const trapScript = `
n=0
got() { n=$((n+1)); echo "$1" >> "$RUN_TEST_DIR/log"; }
for s in INT TERM HUP QUIT USR1 USR2; do trap "got $s" $s; done
sleep 60 </dev/null >/dev/null 2>&1 &
pid=$!
trap 'kill $pid; exit $((40 + n))' ALRM
echo $$ > "$RUN_TEST_DIR/ready.tmp" && mv "$RUN_TEST_DIR/ready.tmp" "$RUN_TEST_DIR/ready"
while kill -0 $pid 2>/dev/null; do wait $pid; done
exit 99
`

// trapChild is a helper running trapScript.
type trapChild struct {
	*helperProc
	dir      string
	childPid int
}

// startTrapChild starts the helper running trapScript and returns once the child is ready.
func startTrapChild(t *testing.T, configure func(*exec.Cmd)) *trapChild {
	t.Helper()
	dir := t.TempDir()
	cmd := helperCmd(t, []string{systemPath, "RUN_TEST_DIR=" + dir}, "sh", "-c", trapScript)
	configure(cmd)
	p := startHelper(t, cmd)
	pid, err := strconv.Atoi(strings.TrimSpace(string(awaitFile(t, filepath.Join(dir, "ready")))))
	if err != nil {
		t.Fatal(err)
	}
	return &trapChild{helperProc: p, dir: dir, childPid: pid}
}

// finish waits until the child has logged a signal, stops it, and checks that it got
// exactly want, once, and that rolehop passed on its exit status.
func (c *trapChild) finish(t *testing.T, want string) {
	t.Helper()
	awaitFile(t, filepath.Join(c.dir, "log"))
	if err := syscall.Kill(c.childPid, syscall.SIGALRM); err != nil {
		t.Fatal(err)
	}
	status := c.exitCode(t)
	log, err := os.ReadFile(filepath.Join(c.dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	if string(log) != want+"\n" || status != 41 {
		t.Errorf("child logged %q and rolehop exited %d; want %q once and 41", log, status, want)
	}
}

func TestCommandForwardsSignals(t *testing.T) {
	tests := []struct {
		sig  syscall.Signal
		name string
	}{
		{syscall.SIGTERM, "TERM"},
		{syscall.SIGHUP, "HUP"},
		{syscall.SIGINT, "INT"},
		{syscall.SIGQUIT, "QUIT"},
		{syscall.SIGUSR1, "USR1"},
		{syscall.SIGUSR2, "USR2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			child := startTrapChild(t, func(cmd *exec.Cmd) { cmd.Stderr = &stderr })
			if err := syscall.Kill(child.cmd.Process.Pid, tt.sig); err != nil {
				t.Fatal(err)
			}
			child.finish(t, tt.name)
			if stderr.Len() > 0 {
				t.Errorf("stderr: %s", stderr.String())
			}
		})
	}
}

func TestCommandKeepsIgnoredSignalIgnored(t *testing.T) {
	// As under nohup: rolehop starts with SIGHUP ignored, so its child must too. The child
	// survives its own SIGHUP only if so.
	cmd := helperCmd(t, []string{systemPath}, "sh", "-c", "kill -HUP $$; exit 5")
	cmd.Args = append([]string{"sh", "-c", `trap "" HUP; exec "$0" "$@"`, cmd.Path}, cmd.Args[1:]...)
	cmd.Path = "/bin/sh"
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if status := startHelper(t, cmd).exitCode(t); status != 5 {
		t.Errorf("status = %d, want 5 (child survived SIGHUP); stderr: %s", status, stderr.String())
	}
}

func TestSignalAfterCommandKeepsItsStatus(t *testing.T) {
	// rolehop exits with the child's status as soon as the child has exited. A signal that
	// comes in between (the child's own Ctrl-C, a supervisor's SIGTERM sent as it stopped)
	// must not kill rolehop and replace that status. (A Go program ignores SIGUSR1 and
	// SIGUSR2 of itself; these four would kill it.)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
		t.Run(unix.SignalName(sig), func(t *testing.T) {
			t.Parallel()
			cmd := helperCmd(t, []string{systemPath, afterVar + "=" + strconv.Itoa(int(sig))}, "sh", "-c", "exit 5")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if status := startHelper(t, cmd).exitCode(t); status != 5 {
				t.Errorf("status = %d, want the child's 5; stderr: %s", status, stderr.String())
			}
		})
	}
}

func TestSignalCaughtBeforeTheChildActsUncaught(t *testing.T) {
	// Signals caught early (run.Catch) do, until the child starts, what they would have done
	// uncaught: the Go runtime's defaults.
	tests := []struct {
		sig    syscall.Signal
		killed syscall.Signal // what rolehop dies of, if anything
		status int            // else its exit status
	}{
		{syscall.SIGINT, syscall.SIGINT, 0},
		{syscall.SIGTERM, syscall.SIGTERM, 0},
		{syscall.SIGHUP, syscall.SIGHUP, 0},
		{syscall.SIGQUIT, 0, 2}, // with a stack dump
		{syscall.SIGUSR1, syscall.SIGTERM, 0},
		{syscall.SIGUSR2, syscall.SIGTERM, 0},
	}
	for _, tt := range tests {
		t.Run(unix.SignalName(tt.sig), func(t *testing.T) {
			t.Parallel()
			cmd := helperCmd(t, []string{systemPath, beforeVar + "=" + strconv.Itoa(int(tt.sig))}, "true")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			p := startHelper(t, cmd)
			select {
			case <-p.done:
			case <-time.After(2 * timeout):
				t.Fatalf("helper still running after %v", 2*timeout)
			}
			ws, _ := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
			switch {
			case tt.killed != 0 && !(ws.Signaled() && ws.Signal() == tt.killed):
				t.Errorf("helper ended with %v, want killed by %v; stderr: %s", p.cmd.ProcessState, tt.killed, stderr.String())
			case tt.killed == 0 && (!ws.Exited() || ws.ExitStatus() != tt.status):
				t.Errorf("helper ended with %v, want exit status %d", p.cmd.ProcessState, tt.status)
			}
			if tt.sig == syscall.SIGQUIT && !strings.Contains(stderr.String(), "SIGQUIT: quit") {
				t.Errorf("no stack dump on stderr: %s", stderr.String())
			}
		})
	}
}

func TestCommandContextKillsChild(t *testing.T) {
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	expiring, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	t.Cleanup(cancel)

	tests := []struct {
		name string
		ctx  context.Context
	}{
		{"already canceled", canceled},
		{"deadline", expiring},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			status, err := run.Command(tt.ctx, []string{"sleep", "60"}, []string{systemPath}, run.Stdio{})
			if err != nil || status != 128+int(syscall.SIGKILL) {
				t.Errorf("Command = %d, %v; want %d, nil", status, err, 128+int(syscall.SIGKILL))
			}
			if elapsed := time.Since(start); elapsed > timeout {
				t.Errorf("Command returned after %v", elapsed)
			}
		})
	}
}
