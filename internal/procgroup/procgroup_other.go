//go:build !unix || aix

// The plain version, for Windows. AIX gets it too, since x/sys/unix cannot pass its terminal
// ioctl numbers; rolehop is not built for AIX, this only keeps it compiling.

package procgroup

import (
	"io"
	"os/exec"
)

// Isolate leaves cmd as it is: when the context is done, os/exec kills the program, and what it
// started is left running, since on Windows finding it would need a job object.
func Isolate(*exec.Cmd, io.Reader) func() {
	return func() {}
}
