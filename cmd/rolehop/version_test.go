package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMakeBuildVersion builds rolehop as `make build` does and checks that `rolehop version`
// says the checkout's git describe, not "(devel)". It needs make, git and a git checkout, as
// .ci/run does.
func TestMakeBuildVersion(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	describe, err := exec.Command("git", "-C", root, "describe", "--tags", "--always", "--dirty").Output()
	if err != nil {
		t.Fatalf("git describe in %s: %v; this test needs git and a git checkout", root, err)
	}
	bin := filepath.Join(t.TempDir(), "rolehop")
	if out, err := exec.Command("make", "-C", root, "build", "BIN="+bin).CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	got, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("rolehop version: %v", err)
	}
	if want := "rolehop " + strings.TrimSpace(string(describe)) + " ("; !strings.HasPrefix(string(got), want) {
		t.Errorf("rolehop version = %q, want it to start %q", got, want)
	}
}
