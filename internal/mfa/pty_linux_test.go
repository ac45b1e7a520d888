package mfa

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rolehop/rolehop/internal/proctest"
	"github.com/rolehop/rolehop/internal/ptytest"
)

// startOnTerminal starts the test binary as rolehop running the MFA token command script body
// from a new directory, in a session of its own whose controlling terminal is a new
// pseudo-terminal, as a shell would start it in the foreground. It returns the directory, the
// terminal's control end and a function that waits for the helper and returns its report.
func startOnTerminal(t *testing.T, body string) (dir string, control *os.File, report func() string) {
	t.Helper()
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "code.sh"), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	result := filepath.Join(t.TempDir(), "result")
	cmd := exec.Command(self, dir, "./code.sh", result)
	cmd.Env = append(os.Environ(), helperVar+"=1", "READY="+filepath.Join(dir, "ready"))
	control, wait := ptytest.Start(t, cmd, waitLimit)
	return dir, control, func() string {
		t.Helper()
		wait()
		b, err := os.ReadFile(result)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
}

func TestCommandAsksOnTerminal(t *testing.T) {
	// As ykman asks for the OATH password: on the terminal, since stdin is not it. Were the
	// program's group not in the foreground, reading would stop it until the timeout.
	_, control, report := startOnTerminal(t,
		`printf 'Enter your password: ' >/dev/tty; read -r pw </dev/tty; [ "$pw" = hunter2 ] && echo 123456`)
	if _, err := control.Write([]byte("hunter2\n")); err != nil { // typed ahead
		t.Fatal(err)
	}
	want := "code: 123456\nrolehop in the foreground: true (<nil>)\n"
	if got := report(); got != want {
		t.Errorf("helper reported:\n%s\nwant:\n%s", got, want)
	}
}

func TestCommandCtrlCOnTerminalStopsOnlyTheCommand(t *testing.T) {
	dir, control, report := startOnTerminal(t, `: > "$READY"; read -r pw </dev/tty; echo 123456`)
	proctest.AwaitFile(t, filepath.Join(dir, "ready"))
	if _, err := control.Write([]byte{0x03}); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	// The helper reporting at all shows that the Ctrl-C did not reach rolehop.
	want := "error: MFA token command ./code.sh was interrupted\nrolehop in the foreground: true (<nil>)\n"
	if got := report(); got != want {
		t.Errorf("helper reported:\n%s\nwant:\n%s", got, want)
	}
}
