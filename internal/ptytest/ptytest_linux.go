// Package ptytest opens pseudo-terminals for tests of what rolehop does on a terminal (Ctrl-C,
// prompts, handing the terminal to a child). It is test support: only tests import it.
package ptytest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Open returns the two ends of a new pseudo-terminal, closed when the test ends: control is
// what a terminal emulator holds (write keystrokes, read the screen), terminal is the device a
// program uses as its terminal.
func Open(t testing.TB) (control, terminal *os.File) {
	t.Helper()
	control, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { control.Close() })
	raw, err := control.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n uint32
	var ioctlErr error
	err = raw.Control(func(fd uintptr) {
		if ioctlErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ioctlErr == nil {
			n, ioctlErr = unix.IoctlGetUint32(int(fd), unix.TIOCGPTN)
		}
	})
	if err = errors.Join(err, ioctlErr); err != nil {
		t.Fatalf("set up pseudo-terminal: %v", err)
	}
	terminal, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { terminal.Close() })
	return control, terminal
}

// Start starts cmd in a session of its own whose controlling terminal is a new pseudo-terminal,
// as a shell starts a job in the foreground of a terminal: the terminal is its stdout and
// stderr, and its stdin unless cmd.Stdin is set. It returns the terminal's control end, where
// the test types (what the terminal shows is read and dropped), and a function that waits for
// cmd to exit, failing the test if it failed or still runs after timeout (stopped by SIGTTOU
// or SIGTTIN, say). Cleanup kills cmd's process group if the test left it running.
func Start(t testing.TB, cmd *exec.Cmd, timeout time.Duration) (control *os.File, wait func()) {
	t.Helper()
	control, terminal := Open(t)
	if cmd.Stdin == nil {
		cmd.Stdin = terminal
	}
	cmd.Stdout, cmd.Stderr = terminal, terminal
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 1}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	terminal.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	})
	// Echo and the programs' prompts go to the terminal; someone has to read them. This ends
	// with EIO once every process has closed the terminal.
	go func() { _, _ = io.Copy(io.Discard, control) }()
	return control, func() {
		t.Helper()
		select {
		case err := <-done:
			done <- err // for the cleanup
			if err != nil {
				t.Fatalf("%s: %v", cmd.Path, err)
			}
		case <-time.After(timeout):
			t.Fatalf("%s still running after %v; stopped by SIGTTOU or SIGTTIN?", cmd.Path, timeout)
		}
	}
}
