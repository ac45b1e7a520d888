package authprovider_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rolehop/rolehop/internal/proctest"
	"github.com/rolehop/rolehop/internal/ptytest"
)

// startOnTerminal starts the test binary as rolehop running the provider script body from
// a new directory, in a session of its own whose controlling terminal is a new
// pseudo-terminal, as a shell would start it in the foreground; with stdin, when given, as its
// stdin instead of the terminal. It returns the directory, the terminal's control end and a
// function that waits for the helper and returns its report.
func startOnTerminal(t *testing.T, body string, stdin ...*os.File) (dir string, control *os.File, report func() string) {
	t.Helper()
	dir = t.TempDir()
	writeScript(t, dir, "p.sh", body)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	result := filepath.Join(t.TempDir(), "result")
	cmd := exec.Command(self, dir, "./p.sh", result)
	cmd.Env = append(os.Environ(), helperVar+"=1", "READY="+filepath.Join(dir, "ready"))
	if len(stdin) > 0 {
		cmd.Stdin = stdin[0]
	}
	control, wait := ptytest.Start(t, cmd, timeout)
	return dir, control, func() string {
		t.Helper()
		wait()
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
	proctest.AwaitFile(t, filepath.Join(dir, "ready"))
	if _, err := control.Write([]byte{0x03}); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	// The helper reporting at all shows that the Ctrl-C did not reach rolehop.
	want := "error: auth provider ./p.sh was interrupted\nrolehop in the foreground: true (<nil>)\n"
	if got := report(); got != want {
		t.Errorf("helper reported:\n%s\nwant:\n%s", got, want)
	}
}

func TestRunPromptsOnTerminalWithStdinElsewhere(t *testing.T) {
	// rolehop's stdin is not the terminal (a pipe, say), but rolehop runs in the terminal's
	// foreground, and the provider asks on the terminal itself, as password managers do. Were
	// the provider's group not given the foreground, reading would stop it until the timeout.
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	_, control, report := startOnTerminal(t,
		`printf 'Password: ' >/dev/tty; read -r pw </dev/tty; printf '{"envs": {"PW": "%s"}}' "$pw"`, devNull)
	if _, err := control.Write([]byte("hunter2\n")); err != nil {
		t.Fatal(err)
	}
	want := `envs: [{"PW" "hunter2"}]` + "\nrolehop in the foreground: true (<nil>)\n"
	if got := report(); got != want {
		t.Errorf("helper reported:\n%s\nwant:\n%s", got, want)
	}
}

// readFile returns what the file at path holds.
func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
