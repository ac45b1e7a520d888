// Command rolehop gets the right temporary AWS credentials for a command: it assumes IAM roles
// and runs the command with them, or prints them as export lines for eval.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/rolehop/rolehop/internal/cli"
)

// version is set when the binary is linked (make build: -ldflags "-X main.version=$(git
// describe)"); the linker can set only a package-level string.
var version string

func main() {
	os.Exit(run())
}

func run() int {
	dir, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(os.Stderr, "rolehop: cannot read the working directory: %v\n", err)
		return cli.ExitError
	}
	return cli.Main(context.Background(), cli.System{
		Args:      os.Args[1:],
		Stdin:     os.Stdin,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		LookupEnv: os.LookupEnv,
		Environ:   os.Environ(),
		Setenv:    os.Setenv,
		Dir:       dir,
		Version:   version,
	})
}
