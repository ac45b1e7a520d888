package proc_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/rolehop/rolehop/internal/ptytest"
)

// rolehopCmd returns a command that runs the test binary as rolehop running the "foreground"
// program with the terminal policy policy, and the file it writes its report to.
func rolehopCmd(t *testing.T, policy string, env ...string) (*exec.Cmd, string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(t.TempDir(), "report")
	cmd := exec.Command(self, policy, report)
	// GORACE too, which may keep a race-enabled helper from pausing at exit.
	cmd.Env = append([]string{helperVar + "=rolehop", "GORACE=" + os.Getenv("GORACE")}, env...)
	return cmd, report
}

func readReport(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestProgramTerminal(t *testing.T) {
	tests := []struct {
		name       string
		policy     string
		background bool
		want       string
	}{
		{"may take it", "terminal", false,
			"program: in the foreground: true\nerror: <nil>\nrolehop in the foreground: true\n"},
		{"may not take it", "no-terminal", false,
			"program: in the foreground: false\nerror: <nil>\nrolehop in the foreground: true\n"},
		{"rolehop does not hold it", "terminal", true,
			"program: in the foreground: false\nerror: <nil>\nrolehop in the foreground: false\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var env []string
			if tt.background {
				env = append(env, backgroundVar+"=1")
			}
			cmd, report := rolehopCmd(t, tt.policy, env...)
			_, wait := ptytest.Start(t, cmd, timeout)
			wait()
			if got := readReport(t, report); got != tt.want {
				t.Errorf("helper reported:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestProgramTerminalWithoutOne(t *testing.T) {
	// A session of its own and no terminal, as under a CI runner or a service.
	cmd, report := rolehopCmd(t, "terminal")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Run(); err != nil {
		t.Fatalf("helper: %v; stderr: %s", err, stderr.String())
	}
	want := "program: no terminal\nerror: <nil>\nrolehop in the foreground: false\n"
	if got := readReport(t, report); got != want {
		t.Errorf("helper reported:\n%s\nwant:\n%s", got, want)
	}
}
