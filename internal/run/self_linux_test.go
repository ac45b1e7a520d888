package run_test

import (
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// signalSelf sends sig to the calling thread: by the time it returns the signal has either
// killed the process or been caught.
func signalSelf(sig syscall.Signal) {
	runtime.LockOSThread()
	_ = unix.Tgkill(unix.Getpid(), unix.Gettid(), sig)
}
