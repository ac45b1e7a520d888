// Package proc finds and starts the programs rolehop runs: the user's command (package run
// adds what exec needs around it), an auth provider, an MFA token command, buildkite-agent. A
// program is found by one rule, a shell's (Find); why one did not start is one error
// (StartError); and none gets rolehop's own secret inputs.
//
// The programs rolehop runs on its own behalf to get a secret (Program) end with everything
// they started: each runs in a process group of its own, which is killed whole when it times
// out or its context is done, and the signals that ask rolehop to stop cancel that context
// rather than end rolehop alone and leave the group running.
package proc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"time"

	"github.com/rolehop/rolehop/internal/awsenv"
)

// ErrTimeout is the error of a Program that ran longer than its Timeout and was killed.
var ErrTimeout = errors.New("did not finish in time")

// ErrTooMuchOutput is the error of a Program that printed more than its MaxOutput on stdout.
var ErrTooMuchOutput = errors.New("too much output")

// Stopped is the error of a Program stopped before it finished because its context was done or
// rolehop got a signal to stop; Cause says which (an *Interrupted for a signal).
type Stopped struct {
	Cause error
}

func (e *Stopped) Error() string {
	return "stopped: " + e.Cause.Error()
}

func (e *Stopped) Unwrap() error {
	return e.Cause
}

// Program is a program rolehop runs on its own behalf and reads the output of.
type Program struct {
	// Argv is the program, found with Find, and its arguments.
	Argv []string
	// Dir is the working directory; empty means rolehop's own.
	Dir string
	// Env is the program's whole environment, less rolehop's own secret inputs
	// (awsenv.SecretInputs), which are always left out. Its PATH is where the program is found.
	Env []string
	// Stdin is the program's stdin; nil reads as empty. One that is not an *os.File is copied
	// through a pipe, and Run then returns only once a Read from it has returned.
	Stdin io.Reader
	// Terminal lets the program take the foreground of rolehop's controlling terminal while it
	// runs, when rolehop holds it, so that it can prompt there and a Ctrl-C reaches it.
	// Without, its group is a background job: it is stopped if it reads the terminal.
	Terminal bool
	// Stderr receives the program's stderr; nil discards it.
	Stderr io.Writer
	// Timeout bounds how long the program runs.
	Timeout time.Duration
	// MaxOutput is the most the program may print on stdout.
	MaxOutput int
	// WaitDelay is how long to wait, once the program has exited or been killed, for what it
	// left behind (a browser for an SSO login, an agent) to close its stdout and stderr.
	WaitDelay time.Duration
}

// Run runs the program and returns what it printed on stdout.
//
// On Unix the program runs in a process group of its own, which is killed whole, with
// whatever it started and left in it, when the timeout passes, when ctx is done, or when
// rolehop gets SIGINT, SIGTERM or SIGHUP while it runs (see CancelOnSignal). With Terminal
// set, and rolehop's process group in the foreground of its controlling terminal, the
// program's group takes the foreground while it runs, as a shell gives it to a job, and
// rolehop takes it back after. (Meanwhile rolehop is the one in the background: a terminal set
// to `stty tostop` would stop it if it wrote there.)
//
// The error is a *StartError when the program could not be started; a *Stopped when ctx was
// done or a signal came, even one that came after the program had finished, so that the
// caller stops as it was asked to; ErrTimeout; ErrTooMuchOutput; or the *exec.ExitError of a
// program that failed. A program that succeeded but left something holding its stdout
// succeeded: what it printed is all there is.
func (p Program) Run(ctx context.Context) ([]byte, error) {
	if len(p.Argv) == 0 {
		return nil, &StartError{Err: ErrNotFound}
	}
	path, err := Find(p.Argv[0], p.Dir, p.Env)
	if err != nil {
		return nil, err
	}
	ctx, release := CancelOnSignal(ctx)
	out, err := p.run(ctx, path)
	if sig := release(); sig != nil {
		return nil, &Stopped{Cause: sig}
	}
	return out, err
}

// run runs the program, found at path.
func (p Program) run(ctx context.Context, path string) ([]byte, error) {
	runCtx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	stdout := &limitedBuffer{max: p.MaxOutput}
	cmd := exec.CommandContext(runCtx, path, p.Argv[1:]...)
	cmd.Args[0] = p.Argv[0]
	cmd.Dir = p.Dir
	cmd.Env = Environ(p.Env)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = p.Stdin, stdout, p.Stderr
	cmd.WaitDelay = p.WaitDelay
	restore := isolate(cmd, p.Terminal)
	// Also after a failed start: the child may have taken the terminal before exec failed.
	defer restore()

	if err := Start(cmd); err != nil {
		if runCtx.Err() != nil {
			return nil, stopped(ctx)
		}
		return nil, err
	}
	err := cmd.Wait()
	switch {
	case stdout.overflow:
		return nil, ErrTooMuchOutput
	case err != nil && runCtx.Err() != nil:
		return nil, stopped(ctx)
	case err != nil && !errors.Is(err, exec.ErrWaitDelay):
		return nil, err
	}
	return stdout.buf.Bytes(), nil
}

// stopped is the error for a program killed before it finished: by ctx, or by its timeout.
func stopped(ctx context.Context) error {
	if ctx.Err() != nil {
		return &Stopped{Cause: context.Cause(ctx)}
	}
	return ErrTimeout
}

// Environ returns env as a program rolehop starts gets it: without rolehop's own secret inputs,
// and never nil, which would make os/exec hand over rolehop's own environment.
func Environ(env []string) []string {
	return awsenv.WithoutSecretInputs(env)
}

// limitedBuffer keeps what is written to it, up to max bytes. It does not embed its buffer:
// io.Copy would then use the buffer's ReadFrom, and read without limit.
type limitedBuffer struct {
	buf      bytes.Buffer
	max      int
	overflow bool
}

// Write fails once the buffer would hold more than max bytes; os/exec then closes the pipe,
// so a program that goes on writing gets EPIPE or SIGPIPE instead of running on.
func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > b.max {
		b.overflow = true
		return 0, ErrTooMuchOutput
	}
	return b.buf.Write(p)
}
