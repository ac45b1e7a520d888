package run_test

import (
	"bytes"
	"io"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/rolehop/rolehop/internal/ptytest"
)

func TestCommandCtrlCReachesChildOnce(t *testing.T) {
	control, terminal := ptytest.Open(t)
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
