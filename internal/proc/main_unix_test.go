//go:build unix && !aix

package proc_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rolehop/rolehop/internal/proc"
	"github.com/rolehop/rolehop/internal/proctest"
	"github.com/rolehop/rolehop/internal/tty"
)

// helperVar makes the test binary act as rolehop running a Program ("rolehop"), or as the
// program, which tells whether it holds the terminal ("foreground"): see rolehop and
// foreground.
const helperVar = "PROC_TEST_HELPER"

// backgroundVar, set to 1, makes the "rolehop" helper run as a background job of its
// terminal.
const backgroundVar = "PROC_TEST_BACKGROUND"

// systemPath lets programs find sh and the usual utilities.
const systemPath = "PATH=/usr/bin:/bin"

// timeout bounds every wait in these tests.
const timeout = 10 * time.Second

func TestMain(m *testing.M) {
	switch os.Getenv(helperVar) {
	case "rolehop":
		os.Exit(rolehop())
	case "foreground":
		os.Exit(foreground())
	}
	proctest.CatchIgnored(syscall.SIGINT, syscall.SIGHUP)
	os.Exit(m.Run())
}

// rolehop runs the test binary as the "foreground" program, with Terminal set when os.Args[1]
// is "terminal", and writes to the file os.Args[2] what the program printed, what Run returned
// and whether rolehop's group holds the terminal (its stderr) afterwards. With backgroundVar
// set it first moves into a process group of its own, a background job of the terminal.
func rolehop() int {
	self, err := os.Executable()
	if err != nil {
		return 1
	}
	if os.Getenv(backgroundVar) == "1" {
		job := exec.Command(self, os.Args[1:]...)
		job.Env = []string{helperVar + "=rolehop", "GORACE=" + os.Getenv("GORACE")}
		job.Stdin, job.Stdout, job.Stderr = os.Stdin, os.Stdout, os.Stderr
		job.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if job.Run() != nil {
			return 1
		}
		return 0
	}
	out, err := proc.Program{
		Argv: []string{self}, Env: []string{helperVar + "=foreground", "GORACE=" + os.Getenv("GORACE")},
		Terminal: os.Args[1] == "terminal", Stderr: os.Stderr,
		Timeout: timeout, MaxOutput: 1 << 10,
	}.Run(context.Background())
	report := fmt.Sprintf("program: %serror: %v\nrolehop in the foreground: %v\n", out, err, holdsTerminal(2))
	if os.WriteFile(os.Args[2], []byte(report), 0o600) != nil {
		return 1
	}
	return 0
}

// foreground prints whether this process's group is the foreground group of its controlling
// terminal.
func foreground() int {
	f, err := os.Open(tty.Device)
	if err != nil {
		fmt.Println("no terminal")
		return 0
	}
	defer f.Close()
	fmt.Printf("in the foreground: %v\n", holdsTerminal(int(f.Fd())))
	return 0
}

// holdsTerminal reports whether this process's group is the foreground group of the terminal
// fd.
func holdsTerminal(fd int) bool {
	pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

// writeScript writes an executable sh script called name into dir and returns its path.
func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}
