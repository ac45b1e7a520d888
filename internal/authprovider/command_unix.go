//go:build unix && !aix

package authprovider

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

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
