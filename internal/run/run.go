// Package run runs the user's command as a child process, the way `rolehop exec` needs it:
// with a given environment, the standard streams its caller gives, forwarded signals, and the
// child's exit status passed back.
package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"

	"github.com/rolehop/rolehop/internal/proc"
)

// Stdio is the command's stdin, stdout and stderr: rolehop's own, normally. A nil one is the
// null device; one that is not an *os.File is copied through a pipe, as os/exec does it.
type Stdio struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// Command runs argv with exactly the environment env (a complete environment, as os.Environ
// returns) less rolehop's own secret inputs, with the streams stdio, and waits for it.
//
// argv[0] is found with proc.Find: when it contains no path separator it is looked up on the
// PATH found in env, not on rolehop's own PATH. While the child runs, the signals a user or
// supervisor sends to stop or poke a program (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,
// SIGUSR2) are caught and passed on to the child instead of stopping rolehop, except SIGINT
// and SIGQUIT while rolehop is in its terminal's foreground, when the terminal has sent them
// to the child already, and signals rolehop started with ignored, which stay ignored. When
// ctx is done the child is killed. The signals stay caught once Command has returned, for
// rolehop exits then: see the end of Command. Command catches them itself, as it starts;
// Signals.Command runs the child with signals caught earlier.
//
// Command returns the child's exit status: its exit code, or 128+N when signal N killed it.
// err is non-nil only when the child could not be started, with status proc.CannotExecute
// or proc.NotFound and a one-line message such as "command not found: terrafrom", or, which
// should not happen, when waiting for the child failed, with status 1.
func Command(ctx context.Context, argv []string, env []string, stdio Stdio) (status int, err error) {
	return Catch().Command(ctx, argv, env, stdio)
}

// Command is run.Command, with the signals s has caught since Catch. It is called at most once
// for s: from then on the signals are its own.
func (s *Signals) Command(ctx context.Context, argv []string, env []string, stdio Stdio) (status int, err error) {
	if len(argv) == 0 || argv[0] == "" {
		return proc.NotFound, errors.New("no command to run")
	}
	path, err := proc.Find(argv[0], "", env)
	if err != nil {
		return startStatus(err), err
	}
	cmd := &exec.Cmd{
		Path:   path,
		Args:   argv,
		Env:    proc.Environ(env),
		Stdin:  stdio.Stdin,
		Stdout: stdio.Stdout,
		Stderr: stdio.Stderr,
	}

	// Every signal is caught before the child starts, so that one arriving just after it
	// cannot stop rolehop and orphan the child. They are not let go: rolehop exits with the
	// child's status as soon as the child has exited, and a signal that comes in between (the
	// child's own Ctrl-C, a supervisor's SIGTERM sent as it stopped) must not kill rolehop and
	// replace that status. Letting go would also cost a round trip to the Go runtime's signal
	// thread for each signal: about a millisecond on a small virtual machine.
	sigs := s.take()

	if err := proc.Start(cmd); err != nil {
		return startStatus(err), err
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

// startStatus returns the exit status for err, why the command did not start.
func startStatus(err error) int {
	var startErr *proc.StartError
	if errors.As(err, &startErr) {
		return startErr.Status()
	}
	return proc.CannotExecute
}
