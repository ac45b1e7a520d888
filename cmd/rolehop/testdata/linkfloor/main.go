// Command linkfloor links every package rolehop links and runs `true`, doing nothing else: the
// start-up cost of those packages' init, which BenchmarkStartup shows beside rolehop's own.
package main

import (
	"os"
	"os/exec"

	_ "github.com/rolehop/rolehop/internal/cli"
)

func main() {
	cmd := exec.Command("true")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if cmd.Run() != nil {
		os.Exit(1)
	}
}
