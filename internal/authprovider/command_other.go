//go:build !unix || aix

// The plain version, for Windows. AIX gets it too, since x/sys/unix cannot pass its terminal
// ioctl numbers; rolehop is not built for AIX, this only keeps it compiling.

package authprovider

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// killedBy reports false: on Windows no signal kills a process.
func killedBy(*os.ProcessState) (string, bool) {
	return "", false
}

// findProgram returns the file to run for name: name itself, relative to dir, when it holds a
// path separator, else what os/exec finds on rolehop's own PATH.
func findProgram(name, dir string, _ []string) (string, error) {
	if strings.ContainsAny(name, `/\:`) && dir != "" && !filepath.IsAbs(name) {
		name = filepath.Join(dir, name)
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", startFailure(name, err)
	}
	return path, nil
}
