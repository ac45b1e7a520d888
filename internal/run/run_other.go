//go:build !unix

package run

import "os"

// catchable returns the signals rolehop outlives while the child runs.
func catchable() []os.Signal {
	return []os.Signal{os.Interrupt}
}

// deliveredByTerminal reports true: a Windows console sends Ctrl-C to every process attached
// to it, the child included, and there is no way to send it to a single process.
func deliveredByTerminal(os.Signal) bool {
	return true
}

// exitStatus returns the child's exit code.
func exitStatus(state *os.ProcessState) int {
	return state.ExitCode()
}
