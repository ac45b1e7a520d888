// Package cli is rolehop's command line: flags, help, output and exit codes. The work itself is
// done by the packages it calls (settings, chain, awsenv, shellenv, run).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/rolehop/rolehop/internal/display"
	"github.com/rolehop/rolehop/internal/settings"
)

// Exit statuses rolehop's own commands return. exec also passes on the command's status and
// uses 125, 126 and 127 as env(1) does.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
	// ExitExecFailure is exec's status when rolehop itself fails, so it cannot be confused with
	// the command's own status.
	ExitExecFailure = 125
)

// System is what rolehop needs from the process it runs in; tests give their own.
type System struct {
	Args      []string
	Stdin     io.Reader
	Stdout    io.Writer
	Stderr    io.Writer
	LookupEnv func(string) (string, bool)
	Environ   []string
	// Setenv sets a variable in rolehop's own environment, which the programs the AWS SDK runs
	// (a profile's credential_process) inherit; nil leaves the environment alone.
	Setenv func(key, value string) error
	// Dir is the working directory.
	Dir string
	// Version is the version the build linked in (make build gives git describe); empty means
	// the one the go command recorded.
	Version string
}

// app carries the System and per-run state to the commands.
type app struct {
	sys   System
	debug bool
	log   *slog.Logger
	// debugLog is set when debug lines are logged (--debug or ROLEHOP_LOG=debug).
	debugLog bool
	// outerProfiles are the profiles rolehop processes further up are loading (see loopEnv), as
	// rolehop found them when it started.
	outerProfiles []string
}

// exitError carries the status a failure should exit with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks a mistake on the command line itself.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// childStatus is the exit status of the command exec ran, passed on as rolehop's own.
type childStatus int

func (s childStatus) Error() string { return fmt.Sprintf("command exited with status %d", int(s)) }

// Main runs rolehop with sys and returns the process's exit status.
func Main(ctx context.Context, sys System) int {
	undumpable()
	a := &app{sys: sys}
	root := a.root()
	root.SetArgs(sys.Args)
	root.SetIn(sys.Stdin)
	root.SetOut(sys.Stdout)
	root.SetErr(sys.Stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	var status childStatus
	if errors.As(err, &status) {
		return int(status)
	}
	var loop *loopError
	if errors.As(err, &loop) && loop.quiet {
		return loopStatus
	}
	code := ExitError
	var ue *usageError
	var settingsUsage *settings.UsageError
	if errors.As(err, &ue) || errors.As(err, &settingsUsage) {
		code = ExitUsage
		err = fmt.Errorf("%w; see '%s --help'", err, cmd.CommandPath())
	}
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case cmd.Name() == "exec":
		code = ExitExecFailure
	}
	fmt.Fprintf(sys.Stderr, "rolehop: %s\n", display.OneLine(err.Error()))
	return code
}

// checkOutput checks the value of an --output flag that takes text or json.
func checkOutput(output string) error {
	if output != "text" && output != "json" {
		return &usageError{fmt.Errorf("flag --output: unknown output %q; use text or json", output)}
	}
	return nil
}
