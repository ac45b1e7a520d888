//go:build unix && !linux

package run_test

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// signalSelf sends sig to the process; another thread may handle it after signalSelf returns.
func signalSelf(sig syscall.Signal) {
	_ = unix.Kill(unix.Getpid(), sig)
}
