//go:build !unix || aix

// The plain version, for Windows. AIX gets it too, since x/sys/unix cannot pass its terminal
// ioctl numbers; rolehop is not built for AIX, this only keeps it compiling.

package proc

import (
	"os"
	"os/exec"
)

// isolate leaves cmd as it is: when the context is done, os/exec kills the program, and what
// it started is left running, since on Windows finding it would need a job object. A console
// has no foreground to hand over.
func isolate(*exec.Cmd, bool) func() {
	return func() {}
}

// KilledBy reports false: on Windows no signal kills a process.
func KilledBy(*os.ProcessState) (string, bool) {
	return "", false
}
