//go:build unix && !aix

package authprovider

import (
	"errors"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// isolate returns the attributes to start the provider with, and a function to call once it
// has exited.
//
// The provider gets a process group of its own so that a timeout or cancellation can kill it
// together with everything it started. On its own, though, that group would be a background
// job of the terminal: the provider would be stopped (SIGTTIN) as soon as it read a prompt's
// answer, and a Ctrl-C would reach rolehop instead of it. So when stdin is the terminal
// rolehop holds in the foreground, the provider's group takes the foreground, as a shell
// gives it to a job, and the returned function takes it back. (Meanwhile rolehop, copying the
// provider's stderr to the terminal, is the one in the background: a terminal set to
// `stty tostop` would stop it for that.)
func isolate(stdin io.Reader) (*syscall.SysProcAttr, func()) {
	attr := &syscall.SysProcAttr{Setpgid: true}
	tty, ok := stdin.(*os.File)
	if !ok {
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

// killGroup kills the process group p leads: the provider and everything it started that
// stayed in its group.
func killGroup(p *os.Process) error {
	err := unix.Kill(-p.Pid, unix.SIGKILL)
	if errors.Is(err, unix.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

// killedBy returns the name of the signal that killed the process, such as "SIGTERM".
func killedBy(state *os.ProcessState) (string, bool) {
	ws, ok := state.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return "", false
	}
	if name := unix.SignalName(ws.Signal()); name != "" {
		return name, true
	}
	return ws.Signal().String(), true
}

// findProgram returns the file to run for name: name itself, relative to dir, when it holds a
// slash, else the first executable file of that name in the directories of the PATH in env.
// Like os/exec, it skips relative PATH entries, which would make the result depend on the
// directory the provider happens to run in.
func findProgram(name, dir string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		path := name
		if dir != "" && !filepath.IsAbs(name) {
			path = filepath.Join(dir, name)
		}
		if _, err := checkExecutable(path); err != nil {
			return "", err
		}
		return path, nil
	}
	var denied error
	for _, d := range filepath.SplitList(getenv(env, "PATH")) {
		if !filepath.IsAbs(d) {
			continue
		}
		path := filepath.Join(d, name)
		isFile, err := checkExecutable(path)
		switch {
		case err == nil:
			return path, nil
		case isFile && denied == nil:
			// As a shell does, report the file that is there if no other is found.
			denied = err
		}
	}
	if denied != nil {
		return "", denied
	}
	return "", errors.New("command not found")
}

// checkExecutable reports whether path is a file rolehop may execute, and whether it is a
// file at all.
func checkExecutable(path string) (isFile bool, err error) {
	info, err := os.Stat(path)
	switch {
	case err != nil:
		return false, errors.New("command not found")
	case info.IsDir():
		return false, errors.New("cannot execute: is a directory")
	case !info.Mode().IsRegular() || unix.Access(path, unix.X_OK) != nil:
		return true, errors.New("cannot execute: permission denied")
	}
	return true, nil
}

// getenv returns the value of key in env; the last entry wins, as it does for a child.
func getenv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}
