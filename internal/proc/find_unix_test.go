//go:build unix && !aix

package proc_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rolehop/rolehop/internal/proc"
)

func TestFind(t *testing.T) {
	const name = "proc-test-program"
	root := t.TempDir()
	for _, d := range []string{"bin", "work/bin", "work/sub", "denied", "dir-only/" + name} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin, work, denied, dirOnly := filepath.Join(root, "bin"), filepath.Join(root, "work"), filepath.Join(root, "denied"), filepath.Join(root, "dir-only")
	writeScript(t, bin, name, "exit 0")
	writeScript(t, work, name, "exit 0")
	writeScript(t, filepath.Join(work, "bin"), name, "exit 0")
	writeScript(t, filepath.Join(work, "sub"), "tool", "exit 0")
	if err := os.WriteFile(filepath.Join(denied, name), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// rolehop's own PATH has the program; only the PATH of the environment given counts.
	t.Setenv("PATH", bin+":/usr/bin:/bin")

	tests := []struct {
		name    string
		program string
		dir     string
		env     []string
		want    string // the path found, or the error
	}{
		{"on the PATH given", name, "", []string{"PATH=" + bin}, filepath.Join(bin, name)},
		{"not on rolehop's PATH", "sh", "", []string{"PATH=" + bin}, "command not found: sh"},
		{"no PATH given", name, "", []string{"HOME=/"}, "command not found: " + name},
		{"last PATH wins", name, "", []string{"PATH=/nonexistent", "PATH=" + bin}, filepath.Join(bin, name)},
		{"skips a directory and a file it may not execute", name, "", []string{"PATH=" + dirOnly + ":" + denied + ":" + bin}, filepath.Join(bin, name)},
		{"only a file it may not execute", name, "", []string{"PATH=" + dirOnly + ":" + denied}, "cannot execute " + name + ": permission denied"},
		{"only a directory", name, "", []string{"PATH=" + dirOnly}, "command not found: " + name},
		{"relative entry skipped", name, work, []string{"PATH=/nonexistent:bin"}, "command not found: " + name},
		{"empty entry skipped", name, work, []string{"PATH=/nonexistent::" + bin}, filepath.Join(bin, name)},
		{"dot entry skipped", name, work, []string{"PATH=.:" + bin}, filepath.Join(bin, name)},
		{"slash path from dir", "sub/tool", work, nil, filepath.Join(work, "sub", "tool")},
		{"dot slash path from dir", "./sub/tool", work, nil, filepath.Join(work, "sub", "tool")},
		{"absolute path", filepath.Join(bin, name), work, nil, filepath.Join(bin, name)},
		{"slash path never looked up", "bin/" + name, root + "/denied", []string{"PATH=" + bin}, "command not found: bin/" + name},
		{"missing path", "./missing", work, nil, "command not found: ./missing"},
		{"path of a directory", "./sub", work, nil, "cannot execute ./sub: is a directory"},
		{"path of a file it may not execute", "./" + name, denied, nil, "cannot execute ./" + name + ": permission denied"},
		{"path through a file", "./sub/tool/x", work, nil, "cannot execute ./sub/tool/x: not a directory"},
		{"empty name", "", work, []string{"PATH=" + bin}, "command not found: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := proc.Find(tt.program, tt.dir, tt.env)
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Find(%q, %q, %q) = %q, want %q", tt.program, tt.dir, tt.env, got, tt.want)
			}
		})
	}
}

func TestFindWithoutDirIsRelativeToRolehop(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, dir, "tool", "exit 0")
	t.Chdir(dir)
	for _, tt := range []struct {
		program string
		env     []string
		want    string
	}{
		{"./tool", nil, "./tool"},
	} {
		if got, err := proc.Find(tt.program, "", tt.env); err != nil || got != tt.want {
			t.Errorf("Find(%q) = %q, %v; want %q", tt.program, got, err, tt.want)
		}
	}
	// A bare name never finds a program in the working directory, even with "." on the PATH.
	for _, path := range []string{"PATH=/nonexistent:", "PATH=.", "PATH=/nonexistent:./"} {
		if got, err := proc.Find("tool", "", []string{path}); err == nil {
			t.Errorf("Find(tool) with %s = %q, want not found", path, got)
		}
	}
}

func TestStartError(t *testing.T) {
	tests := []struct {
		err    *proc.StartError
		msg    string
		reason string
		status int
	}{
		{&proc.StartError{Name: "terrafrom", Err: proc.ErrNotFound},
			"command not found: terrafrom", "command not found", proc.NotFound},
		{&proc.StartError{Name: "~/bin/keys", Err: proc.ErrNotFound},
			"command not found: ~/bin/keys (~ is not expanded: no shell runs the command; write the path out)",
			"command not found (~ is not expanded: no shell runs the command; write the path out)", proc.NotFound},
		{&proc.StartError{Name: "./plain.txt", Err: os.ErrPermission},
			"cannot execute ./plain.txt: permission denied", "cannot execute: permission denied", proc.CannotExecute},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.msg {
			t.Errorf("Error() = %q, want %q", got, tt.msg)
		}
		if got := tt.err.Reason(); got != tt.reason {
			t.Errorf("Reason() = %q, want %q", got, tt.reason)
		}
		if got := tt.err.Status(); got != tt.status {
			t.Errorf("Status() = %d, want %d", got, tt.status)
		}
	}
	var err error = &proc.StartError{Name: "x", Err: proc.ErrNotFound}
	if !errors.Is(err, proc.ErrNotFound) {
		t.Errorf("%v is not ErrNotFound", err)
	}
}

func TestGetenv(t *testing.T) {
	env := []string{"PATH=/first", "HOME=/home/x", "EMPTY=", "PATH=/last", "NOEQUALS", "EQ=a=b"}
	for _, tt := range []struct{ key, want string }{
		{"PATH", "/last"}, {"HOME", "/home/x"}, {"EMPTY", ""}, {"MISSING", ""}, {"NOEQUALS", ""}, {"EQ", "a=b"}, {"path", ""},
	} {
		if got := proc.Getenv(env, tt.key); got != tt.want {
			t.Errorf("Getenv(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}
