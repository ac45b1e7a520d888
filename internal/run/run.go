// Package run runs the user's command as a child process, the way `rolehop exec` needs it:
// with a given environment, inherited standard streams, forwarded signals, and the child's
// exit status passed back.
package run

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
)

// Exit statuses for failures to start the command, as env(1) and timeout(1) use them.
const (
	// CannotExecute is the status when the command was found but could not be executed
	// (permission denied, a directory, exec format error, missing interpreter).
	CannotExecute = 126
	// NotFound is the status when the command was not found.
	NotFound = 127
)

// Command runs argv with exactly the environment env (a complete environment, as os.Environ
// returns), stdin, stdout and stderr inherited from rolehop, and waits for it.
//
// When argv[0] contains no path separator it is looked up on the PATH found in env, not on
// rolehop's own PATH. While the child runs, the signals a user or supervisor sends to stop
// or poke a program (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2) are caught and
// passed on to the child instead of stopping rolehop, except SIGINT and SIGQUIT while
// rolehop is in its terminal's foreground, when the terminal has sent them to the child
// already, and signals rolehop started with ignored, which stay ignored. When ctx is done
// the child is killed.
//
// Command returns the child's exit status: its exit code, or 128+N when signal N killed it.
// err is non-nil only when the child could not be started, with status CannotExecute or
// NotFound and a one-line message such as "command not found: terrafrom", or, which should
// not happen, when waiting for the child failed, with status 1.
func Command(ctx context.Context, argv []string, env []string) (status int, err error) {
	if len(argv) == 0 || argv[0] == "" {
		return NotFound, errors.New("no command to run")
	}
	path, err := lookPath(argv[0], env)
	if err != nil {
		return NotFound, err
	}
	if env == nil {
		// A nil Env would make os/exec hand the child rolehop's own environment.
		env = []string{}
	}
	cmd := &exec.Cmd{
		Path:   path,
		Args:   argv,
		Env:    env,
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
	}

	// Catch signals before starting, so that one arriving just after the child starts
	// cannot stop rolehop and orphan the child.
	sigs := make(chan os.Signal, 16)
	for _, sig := range catchable() {
		// A signal ignored on entry (nohup, a background job of a script) must stay ignored:
		// catching it would also make the child stop ignoring it.
		if !signal.Ignored(sig) {
			signal.Notify(sigs, sig)
		}
	}
	defer signal.Stop(sigs)

	if err := cmd.Start(); err != nil {
		return startFailure(argv[0], path, err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	done := ctx.Done()
	for {
		select {
		case sig := <-sigs:
			if !deliveredByTerminal(sig) {
				// An error means the child has just exited; Wait reports its status next.
				_ = cmd.Process.Signal(sig)
			}
		case <-done:
			_ = cmd.Process.Kill()
			done = nil
		case err := <-waited:
			if cmd.ProcessState == nil {
				return 1, fmt.Errorf("wait for %s: %w", argv[0], err)
			}
			return exitStatus(cmd.ProcessState), nil
		}
	}
}

// lookPath finds the file to execute for name. Like execvp(3), it skips PATH entries where
// name is missing, a directory or not executable, but when no executable one exists it
// returns a non-executable one it saw, so that starting it reports "permission denied".
func lookPath(name string, env []string) (string, error) {
	if hasDirectory(name) {
		return name, nil
	}
	denied := ""
	for _, dir := range filepath.SplitList(getenv(env, "PATH")) {
		if dir == "" {
			dir = "." // an empty PATH entry means the current directory
		}
		path, kind := probe(dir+string(filepath.Separator)+name, env)
		switch {
		case kind == isExecutable:
			return path, nil
		case kind == notExecutable && denied == "":
			denied = path
		}
	}
	if denied != "" {
		return denied, nil
	}
	return "", fmt.Errorf("command not found: %s", name)
}

// fileKind is what probe found at a path.
type fileKind int

const (
	missing fileKind = iota
	notExecutable
	isExecutable
)

// getenv returns the value of key in env. The last entry wins, as it does for the child:
// os/exec drops earlier duplicates.
func getenv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		k, v, ok := strings.Cut(env[i], "=")
		if ok && sameEnvKey(k, key) {
			return v
		}
	}
	return ""
}

// startFailure turns the error of starting path into a status and a message naming the
// command as the user typed it.
func startFailure(name, path string, err error) (int, error) {
	info, statErr := os.Stat(path)
	switch {
	case errors.Is(statErr, fs.ErrNotExist):
		return NotFound, fmt.Errorf("command not found: %s", name)
	case statErr == nil && info.IsDir():
		return CannotExecute, fmt.Errorf("cannot execute %s: is a directory", name)
	case statErr == nil && errors.Is(err, fs.ErrNotExist):
		// The file exists, so what is missing is the program that should run it.
		if interp := interpreter(path); interp != "" {
			return CannotExecute, fmt.Errorf("cannot execute %s: bad interpreter %s: no such file or directory", name, interp)
		}
		return CannotExecute, fmt.Errorf("cannot execute %s: its interpreter or dynamic loader was not found", name)
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		err = pathErr.Err
	}
	return CannotExecute, fmt.Errorf("cannot execute %s: %w", name, err)
}

// interpreter returns the program named on the #! line of the file at path, or "".
func interpreter(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	rest, ok := strings.CutPrefix(line, "#!")
	if !ok {
		return ""
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return ""
	}
	return fields[0]
}
