//go:build unix && !aix

package authprovider_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rolehop/rolehop/internal/authprovider"
	"github.com/rolehop/rolehop/internal/proctest"
)

// helperVar, set to 1, makes the test binary act as rolehop running a provider: see helper.
const helperVar = "AUTHPROVIDER_TEST_HELPER"

// systemPath lets providers find sh and the usual utilities.
const systemPath = "PATH=/usr/bin:/bin"

// timeout bounds every wait in these tests.
const timeout = 15 * time.Second

func TestMain(m *testing.M) {
	if os.Getenv(helperVar) == "1" {
		os.Exit(helper())
	}
	proctest.CatchIgnored(syscall.SIGINT, syscall.SIGHUP)
	os.Exit(m.Run())
}

// helper runs the provider os.Args[2] in the directory os.Args[1] with rolehop's own stdin
// and stderr, as rolehop does, and writes to the file os.Args[3] what Run returned and
// whether rolehop's process group got the terminal back.
func helper() int {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, helperVar+"=") })
	c := authprovider.Command{
		Line: os.Args[2], Dir: os.Args[1], Env: env, Timeout: 5 * time.Second,
		Stdin: os.Stdin, Terminal: true, Stderr: os.Stderr,
	}
	r, err := c.Run(context.Background())
	var report strings.Builder
	if err != nil {
		fmt.Fprintf(&report, "error: %v\n", err)
	} else {
		fmt.Fprintf(&report, "envs: %q\n", r.Envs)
	}
	own, err := unix.Getpgid(0)
	if err != nil {
		return 1
	}
	foreground, err := unix.IoctlGetInt(2, unix.TIOCGPGRP) // stderr: stdin may be elsewhere
	fmt.Fprintf(&report, "rolehop in the foreground: %v (%v)\n", foreground == own, err)
	if err := os.WriteFile(os.Args[3], []byte(report.String()), 0o600); err != nil {
		return 1
	}
	return 0
}

// writeScript writes an executable sh script called name into dir.
func writeScript(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// provider writes body as the script p.sh into a new directory, and returns a command that
// runs it from there.
func provider(t *testing.T, body string) authprovider.Command {
	t.Helper()
	dir := t.TempDir()
	writeScript(t, dir, "p.sh", body)
	return authprovider.Command{Line: "./p.sh", Dir: dir, Env: []string{systemPath}, Timeout: timeout}
}

// run runs c and fails the test unless it succeeds.
func run(t *testing.T, c authprovider.Command) *authprovider.Result {
	t.Helper()
	r, err := c.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return r
}

// runErr runs c and returns its error, failing the test if there is none.
func runErr(t *testing.T, c authprovider.Command) error {
	t.Helper()
	r, err := c.Run(context.Background())
	if err == nil {
		t.Fatalf("Run = %s, want an error", show(r))
	}
	return err
}

// wantEnvs checks that r holds exactly the envs want and nothing else.
func wantEnvs(t *testing.T, r *authprovider.Result, want ...authprovider.Env) {
	t.Helper()
	if !reflect.DeepEqual(r, &authprovider.Result{Envs: want}) {
		t.Errorf("Run = %s, want envs %q", show(r), want)
	}
}

// heredoc returns a script line that prints text exactly as it is.
func heredoc(text string) string {
	return "cat <<'END_OF_OUTPUT'\n" + text + "\nEND_OF_OUTPUT"
}

func TestRunOutputShapes(t *testing.T) {
	for _, tt := range validOutputs {
		t.Run(tt.name, func(t *testing.T) {
			body := heredoc(tt.output)
			if tt.output == "" {
				body = "exit 0"
			}
			got := run(t, provider(t, body))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Run = %s\nwant %s", show(got), show(tt.want))
			}
		})
	}
}

func TestRunWorkingDirectory(t *testing.T) {
	c := provider(t, `printf '{"envs": {"DIR": "%s"}}' "$(pwd -P)"`)
	want, err := filepath.EvalSymlinks(c.Dir)
	if err != nil {
		t.Fatal(err)
	}
	wantEnvs(t, run(t, c), authprovider.Env{Name: "DIR", Value: want})
}

func TestRunArguments(t *testing.T) {
	c := provider(t, `printf '{"envs": {"ARGS": "%s|%s|%s|%s"}}' "$#" "$1" "$2" "$3"`)
	c.Line = `./p.sh 'two words' "\$HOME and *" plain\ escaped`
	wantEnvs(t, run(t, c), authprovider.Env{Name: "ARGS", Value: "3|two words|$HOME and *|plain escaped"})
}

func TestRunLooksUpPathInEnv(t *testing.T) {
	bin := t.TempDir()
	writeScript(t, bin, "get-creds", `printf '{"envs": {"FOUND": "%s"}}' "$0"`)
	c := authprovider.Command{Line: "get-creds", Dir: t.TempDir(), Env: []string{"PATH=relative:" + bin + ":/usr/bin:/bin"}}
	wantEnvs(t, run(t, c), authprovider.Env{Name: "FOUND", Value: filepath.Join(bin, "get-creds")})
}

func TestRunEnvironment(t *testing.T) {
	t.Setenv("AUTHPROVIDER_TEST_FROM_ROLEHOP", "rolehop's own")
	script := `printf '{"envs": {"GIVEN": "%s", "OWN": "%s"}}' "${GIVEN-unset}" "${AUTHPROVIDER_TEST_FROM_ROLEHOP-unset}"`

	c := provider(t, script)
	c.Env = []string{systemPath, "GIVEN=hello world"}
	wantEnvs(t, run(t, c), authprovider.Env{Name: "GIVEN", Value: "hello world"}, authprovider.Env{Name: "OWN", Value: "unset"})

	c.Env = nil
	wantEnvs(t, run(t, c), authprovider.Env{Name: "GIVEN", Value: "unset"}, authprovider.Env{Name: "OWN", Value: "rolehop's own"})
}

func TestRunWithoutRolehopSecrets(t *testing.T) {
	t.Setenv("ROLEHOP_KEYRING_PASSPHRASE", "keyring passphrase")
	t.Setenv("ROLEHOP_TOKEN_CODE", "123456")
	script := `printf '{"envs": {"SEEN": "%s|%s|%s"}}' "${ROLEHOP_KEYRING_PASSPHRASE+set}" "${ROLEHOP_TOKEN_CODE+set}" "${ROLEHOP_IAM_ROLE-unset}"`

	c := provider(t, script)
	c.Env = []string{systemPath, "ROLEHOP_KEYRING_PASSPHRASE=given", "ROLEHOP_TOKEN_CODE=654321", "ROLEHOP_IAM_ROLE=kept"}
	wantEnvs(t, run(t, c), authprovider.Env{Name: "SEEN", Value: "||kept"})

	c.Env = nil // rolehop's own environment
	wantEnvs(t, run(t, c), authprovider.Env{Name: "SEEN", Value: "||unset"})
}

func TestRunStdin(t *testing.T) {
	c := provider(t, `read -r answer; printf '{"envs": {"ANSWER": "%s"}}' "$answer"`)
	c.Stdin = strings.NewReader("typed in\n")
	wantEnvs(t, run(t, c), authprovider.Env{Name: "ANSWER", Value: "typed in"})

	c.Stdin = nil // reads end of input at once, as from /dev/null
	wantEnvs(t, run(t, c), authprovider.Env{Name: "ANSWER", Value: ""})
}

func TestRunStderr(t *testing.T) {
	var stderr bytes.Buffer
	c := provider(t, `echo "Opening the browser for SSO..." >&2; echo '{}'; printf 'no newline' >&2`)
	c.Stderr = &stderr
	run(t, c)
	if want := "Opening the browser for SSO...\nno newline"; stderr.String() != want {
		t.Errorf("stderr = %q, want %q", stderr.String(), want)
	}
}

func TestRunFailure(t *testing.T) {
	var stderr bytes.Buffer
	c := provider(t, `
printf 'line 1\nline 2\n\n   \nline 3 \033[31mred\033[0m\n' >&2
printf 'progress 10%%\rprogress 100%%\n\tline 4\n' >&2
printf 'aws: error: SSO session expired\nlast words' >&2
echo '{"awsCredentials": {"ACCESS_KEY_ID": "AKIDs3cr3t"' # half an answer
exit 3`)
	c.Line = "./p.sh --token s3cr3t"
	c.Stderr = &stderr
	err := runErr(t, c)
	want := "auth provider ./p.sh exited with status 3: line 3 red | progress 100% | line 4 | aws: error: SSO session expired | last words"
	if err.Error() != want {
		t.Errorf("Run error:\n got %q\nwant %q", err, want)
	}
	if !strings.Contains(stderr.String(), "line 1\nline 2\n") {
		t.Errorf("stderr = %q, want all of it", stderr.String())
	}
}

func TestRunKilledBySignal(t *testing.T) {
	tests := []struct {
		script string
		want   string
	}{
		{`echo 'about to go' >&2; kill -TERM $$`, "auth provider ./p.sh was killed by signal SIGTERM: about to go"},
		{`kill -KILL $$`, "auth provider ./p.sh was killed by signal SIGKILL"},
		{`echo 'Enter MFA code:' >&2; kill -INT $$`, "auth provider ./p.sh was interrupted"},
	}
	for _, tt := range tests {
		if err := runErr(t, provider(t, tt.script)); err.Error() != tt.want {
			t.Errorf("Run error:\n got %q\nwant %q", err, tt.want)
		}
	}
}

func TestRunParseError(t *testing.T) {
	err := runErr(t, provider(t, heredoc(`{"awsRole": {"sessionName": "x"}}`)))
	if want := "auth provider ./p.sh: awsRole: missing roleARN"; err.Error() != want {
		t.Errorf("Run error:\n got %q\nwant %q", err, want)
	}
}

func TestRunStartFailure(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, dir, "p.sh", "echo '{}'")
	if err := os.WriteFile(filepath.Join(dir, "bad-interpreter.sh"), []byte("#!/no/such/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plain.sh"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		line string
		want string
	}{
		{"./missing.sh --token=s3cr3t", "auth provider ./missing.sh: command not found"},
		{"no-such-provider --token=s3cr3t", "auth provider no-such-provider: command not found"},
		{"sh", "auth provider sh: command not found"}, // PATH has only relative entries
		{"./plain.sh", "auth provider ./plain.sh: cannot execute: permission denied"},
		{"./sub", "auth provider ./sub: cannot execute: is a directory"},
		{"./bad-interpreter.sh", "auth provider ./bad-interpreter.sh: cannot execute: its interpreter or dynamic loader was not found"},
		{"'./my provider.sh'", `auth provider "./my provider.sh": command not found`},
		{"", "auth provider command is empty"},
		{"  \t ", "auth provider command is empty"},
		{"''", "auth provider command is empty"},
		{"./p.sh --token 's3cr3t", "auth provider command has an unterminated quote"},
		{`./p.sh --token "s3cr3t`, "auth provider command has an unterminated quote"},
		{`./p.sh s3cr3t\`, "auth provider command ends with an unfinished backslash escape"},
	}
	for _, tt := range tests {
		c := authprovider.Command{Line: tt.line, Dir: dir, Env: []string{"PATH=bin:."}}
		if err := runErr(t, c); err.Error() != tt.want {
			t.Errorf("Run(%q) error:\n got %q\nwant %q", tt.line, err, tt.want)
		}
	}
}

func TestRunTimeoutKillsProcessGroup(t *testing.T) {
	c := provider(t, `sleep 30 & echo $! > child; echo $$ > self; sleep 30; echo '{}'`)
	c.Line = "./p.sh --password s3cr3t"
	c.Timeout = time.Second
	start := time.Now()
	err := runErr(t, c)
	want := "auth provider ./p.sh did not finish within 1s and was stopped; raise --auth-provider-timeout if it needs longer"
	if err.Error() != want {
		t.Errorf("Run error:\n got %q\nwant %q", err, want)
	}
	if elapsed := time.Since(start); elapsed > timeout {
		t.Errorf("Run returned after %v", elapsed)
	}
	proctest.AwaitGone(t, c.Dir, "self", "child")
}

func TestRunExpiredContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	_, err := provider(t, "echo '{}'").Run(ctx)
	if want := "auth provider ./p.sh was stopped: context deadline exceeded"; err == nil || err.Error() != want {
		t.Errorf("Run error = %v, want %q", err, want)
	}
}

func TestRunCancel(t *testing.T) {
	c := provider(t, `sleep 30 & echo $! > child; : > ready; sleep 30; echo '{}'`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		proctest.AwaitFile(t, filepath.Join(c.Dir, "ready"))
		cancel()
	}()
	_, err := c.Run(ctx)
	if want := "auth provider ./p.sh was stopped: context canceled"; err == nil || err.Error() != want {
		t.Fatalf("Run error = %v, want %q", err, want)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run error %v is not context.Canceled", err)
	}
	proctest.AwaitGone(t, c.Dir, "child")
}

func TestRunSignalKillsProcessGroup(t *testing.T) {
	for _, sig := range []unix.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP} {
		name := unix.SignalName(sig)
		t.Run(name, func(t *testing.T) {
			c := provider(t, `sleep 30 & echo $! > child; echo $$ > self; : > ready; sleep 30; echo '{}'`)
			go func() {
				// Sent to rolehop (this test binary) while the provider runs, as by a
				// supervisor, or by a terminal when the provider's stdin is not the terminal.
				ready := filepath.Join(c.Dir, "ready")
				proctest.AwaitFile(t, ready)
				if _, err := os.Stat(ready); err == nil {
					_ = unix.Kill(os.Getpid(), sig)
				}
			}()
			err := runErr(t, c)
			if want := "auth provider ./p.sh was stopped: interrupted by " + name; err.Error() != want {
				t.Errorf("Run error:\n got %q\nwant %q", err, want)
			}
			proctest.AwaitGone(t, c.Dir, "self", "child")
		})
	}
}

func TestRunOutputLimit(t *testing.T) {
	tooMuch := "auth provider ./p.sh wrote more than 1 MiB to stdout; it must print one JSON object"
	tests := []struct {
		name   string
		script string
		want   string // the error, or "" for none
	}{
		{"exactly 1 MiB", `printf '{}'; head -c 1048574 /dev/zero | tr '\0' ' '`, ""},
		{"1 MiB and a byte", `printf '{}'; head -c 1048575 /dev/zero | tr '\0' ' '`, tooMuch},
		{"endless", `yes '{}'`, tooMuch},
		{"endless, ignoring SIGPIPE", `trap '' PIPE; yes '{}'; exit 0`, tooMuch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := provider(t, tt.script).Run(context.Background())
			if got := fmt.Sprint(err); tt.want == "" && err != nil || tt.want != "" && got != tt.want {
				t.Errorf("Run error = %v, want %q", err, tt.want)
			}
			if elapsed := time.Since(start); elapsed > timeout {
				t.Errorf("Run returned after %v", elapsed)
			}
		})
	}
}

func TestRunLeftoverChildKeepsStdoutOpen(t *testing.T) {
	// Something the provider started and left running, a browser, say, holds its stdout.
	c := provider(t, `sleep 30 & echo $! > child; echo '{"envs": {"DONE": "yes"}}'`)
	t.Cleanup(func() { _ = unix.Kill(proctest.ReadPid(t, filepath.Join(c.Dir, "child")), unix.SIGKILL) })
	start := time.Now()
	wantEnvs(t, run(t, c), authprovider.Env{Name: "DONE", Value: "yes"})
	if elapsed := time.Since(start); elapsed > timeout {
		t.Errorf("Run returned after %v", elapsed)
	}
}
