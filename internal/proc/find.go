package proc

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Exit statuses for a program that could not be started, as a shell, env(1) and timeout(1)
// report them.
const (
	// CannotExecute is the status when the program was found but could not be executed
	// (permission denied, a directory, exec format error, missing interpreter).
	CannotExecute = 126
	// NotFound is the status when the program was not found.
	NotFound = 127
)

// ErrNotFound is the Err of a StartError for a program that was not found.
var ErrNotFound = errors.New("command not found")

// errIsDirectory is the Err of a StartError for a program that is a directory.
var errIsDirectory = errors.New("is a directory")

// StartError says why a program could not be started: it was not found (Err is ErrNotFound),
// or what was found cannot be executed, and why.
type StartError struct {
	Name string // the program as it was given
	Err  error
}

// Error names the program, as a shell does: "command not found: NAME", "cannot execute NAME:
// permission denied".
func (e *StartError) Error() string {
	if errors.Is(e.Err, ErrNotFound) {
		return "command not found: " + e.Name + e.tildeHint()
	}
	return "cannot execute " + e.Name + ": " + e.Err.Error()
}

func (e *StartError) Unwrap() error {
	return e.Err
}

// Reason says what is wrong without naming the program, for a message that names it its own
// way: "command not found", "cannot execute: permission denied". It does not repeat what the
// program's file says either, such as the interpreter its #! line names.
func (e *StartError) Reason() string {
	var interp *missingInterpreter
	switch {
	case errors.Is(e.Err, ErrNotFound):
		return ErrNotFound.Error() + e.tildeHint()
	case errors.As(e.Err, &interp):
		return "cannot execute: its interpreter or dynamic loader was not found"
	}
	return "cannot execute: " + e.Err.Error()
}

// tildeHint explains a program not found whose name starts with ~: a shell would have expanded
// it to a home directory, and rolehop runs programs without one.
func (e *StartError) tildeHint() string {
	if !strings.HasPrefix(e.Name, "~") {
		return ""
	}
	return " (~ is not expanded: no shell runs the command; write the path out)"
}

// Status returns the exit status a shell reports for the failure: NotFound or CannotExecute.
func (e *StartError) Status() int {
	if errors.Is(e.Err, ErrNotFound) {
		return NotFound
	}
	return CannotExecute
}

// missingInterpreter is the Err of a StartError for a file that exists but whose interpreter
// (its #! line), or dynamic loader, does not.
type missingInterpreter struct {
	interpreter string // from the #! line; empty when there is none (the loader, then)
}

func (e *missingInterpreter) Error() string {
	if e.interpreter == "" {
		return "its interpreter or dynamic loader was not found"
	}
	return "bad interpreter " + e.interpreter + ": no such file or directory"
}

// Find returns the file to run for the program name, in the working directory dir (empty for
// rolehop's own) with the environment env, the way a shell finds it: name itself, taken from
// dir, when it holds a path separator; else the first executable file of that name in the
// absolute directories of the PATH in env (not rolehop's own PATH). Empty and relative entries
// ("." and the like) are skipped, as os/exec does: a bare name must never find a program in
// the working directory, which may be a repository just cloned. A directory counts as missing
// and a file that is not
// executable is skipped, but reported when no executable one is found, as execvp(3) does. A
// path returned is absolute when dir is set, so that it holds in dir and in rolehop's.
//
// The error is a *StartError.
func Find(name, dir string, env []string) (string, error) {
	if name == "" {
		return "", &StartError{Name: name, Err: ErrNotFound}
	}
	if hasDirectory(name) {
		path, err := resolve(inDir(dir, name), env)
		if err != nil {
			return "", &StartError{Name: name, Err: err}
		}
		return path, nil
	}
	var denied error
	for _, d := range filepath.SplitList(Getenv(env, "PATH")) {
		if !filepath.IsAbs(d) {
			continue
		}
		// Not filepath.Join: "./name" must keep its directory, or os/exec would look it up.
		path, err := probe(inDir(dir, d+string(filepath.Separator)+name), env)
		switch {
		case err == nil:
			return path, nil
		case !errors.Is(err, ErrNotFound) && denied == nil:
			denied = err
		}
	}
	if denied != nil {
		return "", &StartError{Name: name, Err: denied}
	}
	return "", &StartError{Name: name, Err: ErrNotFound}
}

// inDir returns path taken from the directory dir: made absolute when dir is set, since
// os/exec takes a relative path from the program's working directory, and rolehop's own
// os.Stat from rolehop's.
func inDir(dir, path string) string {
	if dir == "" || filepath.IsAbs(path) {
		return path
	}
	joined := filepath.Join(dir, path)
	if abs, err := filepath.Abs(joined); err == nil {
		return abs
	}
	return joined
}

// Start starts cmd, whose Path Find returned, and explains a failure as a *StartError naming
// cmd.Args[0]. The error of a context that was done before the start is returned as it is.
func Start(cmd *exec.Cmd) error {
	err := cmd.Start()
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	name := cmd.Path
	if len(cmd.Args) > 0 {
		name = cmd.Args[0]
	}
	return &StartError{Name: name, Err: startFailure(cmd.Path, err)}
}

// startFailure explains why the program at path, which Find found, did not start.
func startFailure(path string, err error) error {
	info, statErr := os.Stat(path)
	switch {
	case errors.Is(err, exec.ErrNotFound), errors.Is(statErr, fs.ErrNotExist):
		return ErrNotFound
	case statErr == nil && info.IsDir():
		return errIsDirectory
	case statErr == nil && errors.Is(err, fs.ErrNotExist):
		// The file is there, so what is missing is the program that should run it.
		return &missingInterpreter{interpreter: interpreter(path)}
	}
	var execErr *exec.Error
	if errors.As(err, &execErr) {
		err = execErr.Err
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		err = pathErr.Err
	}
	return err
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

// Getenv returns the value of key in env, an environment as os.Environ gives it. The last
// entry wins, as it does for a child: os/exec drops earlier duplicates.
func Getenv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		k, v, ok := strings.Cut(env[i], "=")
		if ok && sameEnvKey(k, key) {
			return v
		}
	}
	return ""
}
