//go:build unix

package run

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// catchable returns the signals rolehop passes on to the child instead of dying from them.
func catchable() []os.Signal {
	return []os.Signal{
		syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP,
		syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2,
	}
}

// actUncaught does what sig, caught before the child started, would have done uncaught: the
// Go runtime stops a program on SIGINT, SIGTERM and SIGHUP, and on SIGQUIT with a stack dump;
// it does nothing on SIGUSR1 and SIGUSR2.
func actUncaught(sig os.Signal) {
	if sig == syscall.SIGUSR1 || sig == syscall.SIGUSR2 {
		return
	}
	signal.Reset(sig)
	raise(sig.(syscall.Signal))
	// Where raise returns before the signal is handled, and the exit comes first: the status
	// a shell shows for a program sig stopped.
	os.Exit(128 + int(sig.(syscall.Signal)))
}

// deliveredByTerminal reports whether the child has most likely received sig already.
//
// Ctrl-C and Ctrl-\ on a terminal make the kernel send SIGINT or SIGQUIT to every process in
// the terminal's foreground process group, and the child shares rolehop's group. Forwarding
// them too would deliver each twice, and programs such as Terraform take a second interrupt
// as "stop now, even if state is lost". So while rolehop's group is in the foreground these
// two are not forwarded; otherwise (a script ran `kill -INT`, no terminal, a background job)
// they are. A `kill -INT` aimed at a foreground rolehop from elsewhere is the price.
func deliveredByTerminal(sig os.Signal) bool {
	if sig != syscall.SIGINT && sig != syscall.SIGQUIT {
		return false
	}
	tty, err := unix.Open("/dev/tty", unix.O_RDONLY|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false // no controlling terminal
	}
	defer unix.Close(tty)
	foreground, err := unix.IoctlGetInt(tty, unix.TIOCGPGRP)
	return err == nil && foreground == unix.Getpgrp()
}

// exitStatus returns the status a shell would report for the child.
func exitStatus(state *os.ProcessState) int {
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return state.ExitCode()
}
