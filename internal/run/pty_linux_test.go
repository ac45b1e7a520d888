package run_test

import (
	"bytes"
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

// openPTY returns the two ends of a new pseudo-terminal.
func openPTY(t *testing.T) (control, terminal *os.File) {
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

func TestCommandCtrlCReachesChildOnce(t *testing.T) {
	control, terminal := openPTY(t)
	var screen bytes.Buffer
	child := startTrapChild(t, func(cmd *exec.Cmd) {
		// rolehop leads a session whose controlling terminal is the pty, so its process
		// group, which the child shares, is the terminal's foreground group.
		cmd.Stdin, cmd.Stdout, cmd.Stderr = terminal, terminal, terminal
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	})
	terminal.Close()
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		// Ends with EIO once every process has closed the terminal.
		_, _ = io.Copy(&screen, control)
	}()

	if _, err := control.Write([]byte{0x03}); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	child.finish(t, "INT")
	select {
	case <-copied:
		t.Logf("terminal output: %q", screen.String())
	case <-time.After(timeout):
		t.Errorf("terminal still open %v after rolehop exited", timeout)
	}
}
