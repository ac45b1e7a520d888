//go:build unix && !aix

package procgroup

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// Isolate makes cmd, made with exec.CommandContext, start in a process group of its own that is
// killed whole, with whatever the program started and left in it, when the context is done. It
// returns a function to call once the program has exited, also when it failed to start.
//
// On its own, though, that group would be a background job of the terminal: the program would
// be stopped (SIGTTIN) as soon as it read a prompt's answer, and a Ctrl-C would reach rolehop
// instead of it. So when terminal (the program's stdin, or the terminal it may open) is the
// terminal rolehop holds in the foreground, the program's group takes the foreground, as a
// shell gives it to a job, and the returned function takes it back. (Meanwhile rolehop,
// copying the program's stderr to the terminal, is the one in the background: a terminal set
// to `stty tostop` would stop it for that.)
func Isolate(cmd *exec.Cmd, terminal io.Reader) func() {
	attr, restore := isolate(terminal)
	cmd.SysProcAttr = attr
	cmd.Cancel = func() error { return kill(cmd.Process) }
	return restore
}

func isolate(terminal io.Reader) (*syscall.SysProcAttr, func()) {
	attr := &syscall.SysProcAttr{Setpgid: true}
	tty, ok := terminal.(*os.File)
	if !ok || tty == nil {
		return attr, func() {}
	}
	fd := int(tty.Fd())
	own, err := unix.Getpgid(0)
	if err != nil {
		return attr, func() {}
	}
	// Fails unless fd is rolehop's controlling terminal; so does a pipe or a file.
	foreground, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if err != nil || foreground != own {
		return attr, func() {}
	}
	attr.Foreground = true
	attr.Ctty = fd // for Foreground, a descriptor of rolehop's
	return attr, func() { takeForeground(fd, own) }
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
