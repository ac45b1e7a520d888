//go:build unix && !aix

package proc

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/rolehop/rolehop/internal/tty"
)

// isolate makes cmd, made with exec.CommandContext, start in a process group of its own that
// is killed whole, with whatever the program started and left in it, when the context is done.
// It returns a function to call once the program has exited, also when it failed to start.
//
// On its own, though, that group would be a background job of the terminal: the program would
// be stopped (SIGTTIN) as soon as it read a prompt's answer there, and a Ctrl-C would reach
// rolehop instead of it. So with terminal set, when rolehop's group is the foreground group
// of its controlling terminal, the program's group takes the foreground, and the returned
// function takes it back.
func isolate(cmd *exec.Cmd, terminal bool) func() {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return kill(cmd.Process) }
	if !terminal {
		return func() {}
	}
	// Fails when rolehop has no controlling terminal.
	f, err := os.OpenFile(tty.Device, os.O_RDONLY|syscall.O_NOCTTY, 0)
	if err != nil {
		return func() {}
	}
	fd := int(f.Fd())
	own, err := unix.Getpgid(0)
	if err != nil {
		f.Close()
		return func() {}
	}
	foreground, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if err != nil || foreground != own {
		f.Close() // rolehop is a background job, or the terminal is gone
		return func() {}
	}
	cmd.SysProcAttr.Foreground = true
	cmd.SysProcAttr.Ctty = fd // for Foreground, a descriptor of rolehop's, open until Start
	return func() {
		takeForeground(fd, own)
		f.Close()
	}
}

// takeForeground makes pgrp, rolehop's group, the foreground group of the terminal fd again.
//
// rolehop is a background process of the terminal at this point, and the kernel answers a
// background process's attempt with SIGTTOU, which stops it, unless that signal is ignored;
// shells ignore it for the same reason. Only for this moment: a disposition of "ignore" is
// inherited by every program started meanwhile.
func takeForeground(fd, pgrp int) {
	ignored := signal.Ignored(syscall.SIGTTOU)
	signal.Ignore(syscall.SIGTTOU)
	// Failing means the terminal is gone, and with it anything to give back.
	_ = unix.IoctlSetPointerInt(fd, unix.TIOCSPGRP, pgrp)
	if !ignored {
		signal.Reset(syscall.SIGTTOU)
	}
}

// kill kills the process group p leads: the program and everything it started that stayed in
// its group.
func kill(p *os.Process) error {
	err := unix.Kill(-p.Pid, unix.SIGKILL)
	if errors.Is(err, unix.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

// KilledBy returns the name of the signal that killed the process, such as "SIGTERM", and
// whether one did.
func KilledBy(state *os.ProcessState) (string, bool) {
	ws, ok := state.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return "", false
	}
	if name := unix.SignalName(ws.Signal()); name != "" {
		return name, true
	}
	return ws.Signal().String(), true
}
