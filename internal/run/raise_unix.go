//go:build unix && !linux

package run

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// raise sends sig to rolehop, which may handle it on another thread after raise returns.
func raise(sig syscall.Signal) {
	_ = unix.Kill(unix.Getpid(), sig)
}
