package run

import (
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// raise sends sig to the calling thread, so that it is handled before raise returns.
func raise(sig syscall.Signal) {
	runtime.LockOSThread()
	_ = unix.Tgkill(unix.Getpid(), unix.Gettid(), sig)
}
