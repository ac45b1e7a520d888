//go:build !unix

package run

import "os"

// catchable returns the signals rolehop outlives while the child runs.
func catchable() []os.Signal {
	return []os.Signal{os.Interrupt}
}

// actUncaught does what a Ctrl-C caught before the child started would have done uncaught:
// Windows ends the program with STATUS_CONTROL_C_EXIT.
func actUncaught(os.Signal) {
	os.Exit(0xC000013A)
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
