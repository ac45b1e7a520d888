//go:build !unix

package browser

import "os/exec"

// detach leaves cmd as it is: a Windows console sends Ctrl-C to the programs attached to it,
// and a browser is not one of them.
func detach(*exec.Cmd) {}
