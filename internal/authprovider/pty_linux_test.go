package authprovider_test

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rolehop/rolehop/internal/ptytest"
)

// startOnTerminal starts the test binary as rolehop running the provider script body from
// a new directory, in a session of its own whose controlling terminal is a new
// pseudo-terminal, as a shell would start it in the foreground. It returns the directory,
// the terminal's control end and a function that waits for the helper and returns its
// report.
func startOnTerminal(t *testing.T, body string) (dir string, control *os.File, report func() string) {
	t.Helper()
	dir = t.TempDir()
	writeScript(t, dir, "p.sh", body)
	control, terminal := ptytest.Open(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	result := filepath.Join(t.TempDir(), "result")
	cmd := exec.Command(self, dir, "./p.sh", result)
	cmd.Env = append(os.Environ(), helperVar+"=1", "READY="+filepath.Join(dir, "ready"))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = terminal, terminal, terminal
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	terminal.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	})
	// Echo and the provider's prompts go to the terminal; someone has to read them. This
	// ends with EIO once every process has closed the terminal.
	go func() { _, _ = io.Copy(io.Discard, control) }()
	return dir, control, func() string {
		t.Helper()
		select {
		case err := <-done:
			done <- err // for the cleanup
			if err != nil {
				t.Fatalf("helper: %v", err)
			}
		case <-time.After(timeout):
			t.Fatalf("helper still running after %v; stopped by SIGTTOU or SIGTTIN?", timeout)
		}
		return readFile(t, result)
	}
}

func TestRunPromptsOnTerminal(t *testing.T) {
	_, control, report := startOnTerminal(t,
		`printf 'MFA code: ' >&2; read -r code; printf '{"envs": {"CODE": "%s"}}' "$code"`)
	// Typed ahead, the line waits in the terminal until the provider reads it. Were the
	// provider not in the foreground, reading would stop it, and the helper would time out.
	if _, err := control.Write([]byte("123456\n")); err != nil {
		t.Fatal(err)
	}
	want := `envs: [{"CODE" "123456"}]` + "\nrolehop in the foreground: true (<nil>)\n"
	if got := report(); got != want {
		t.Errorf("helper reported:\n%s\nwant:\n%s", got, want)
	}
}

func TestRunCtrlCOnTerminalStopsOnlyProvider(t *testing.T) {
	dir, control, report := startOnTerminal(t, `: > "$READY"; read -r code; echo '{}'`)
	awaitFile(t, filepath.Join(dir, "ready"))
	if _, err := control.Write([]byte{0x03}); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	// The helper reporting at all shows that the Ctrl-C did not reach rolehop.
	want := "error: auth provider ./p.sh was interrupted\nrolehop in the foreground: true (<nil>)\n"
	if got := report(); got != want {
		t.Errorf("helper reported:\n%s\nwant:\n%s", got, want)
	}
}
