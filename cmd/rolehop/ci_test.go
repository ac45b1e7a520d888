package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCIRunNamesMissingTool runs .ci/run with a PATH that has the programs it checks for but
// curl, which only the demo uses, and a make that fails saying it ran: .ci/run must stop at its
// check, naming curl, before it runs anything.
func TestCIRunNamesMissingTool(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	for _, tool := range []string{"go", "git", "moto_server", "aws", "terraform", "python3", "sh", "bash", "dash", "setsid",
		"grep", "find", "stat", "touch", "mv", "sleep", "cat", "mktemp", "seq", "dirname", "env", "id", "zsh", "fish"} {
		if path, err := exec.LookPath(tool); err == nil {
			if err := os.Symlink(path, filepath.Join(bin, tool)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(bin, "make"), []byte("#!/bin/sh\necho make ran >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bin, "bash"), filepath.Join(root, ".ci", "run"))
	cmd.Env = []string{"PATH=" + bin, "HOME=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf(".ci/run: %v, want exit status 1", err)
	}
	if !strings.Contains(string(out), "FAIL: .ci/run: curl is not installed") || strings.Contains(string(out), "make ran") {
		t.Errorf(".ci/run said %q; want it to name curl and stop before make", out)
	}
}
