package browser

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// install writes executable scripts called names into a new directory, and returns the
// directory.
func install(t *testing.T, script string, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFind(t *testing.T) {
	bin := install(t, "#!/bin/sh\n", "firefox", "xdg-open", "open")
	for _, tc := range []struct {
		name string
		env  []string
		goos string
		want string // the program found; "" for an error
		args []string
	}{
		{"a program", []string{"BROWSER=firefox"}, "linux", "firefox", []string{"URL"}},
		{"a command with %s", []string{"BROWSER=firefox --new-window '%s' --x=%%s"}, "linux", "firefox", []string{"--new-window", "URL", "--x=%s"}},
		{"the first installed of a list", []string{"BROWSER=w3m:firefox %s:lynx"}, "linux", "firefox", []string{"URL"}},
		{"$BROWSER over the platform's", []string{"BROWSER=firefox", "DISPLAY=:0"}, "darwin", "firefox", []string{"URL"}},
		{"xdg-open with a display", []string{"DISPLAY=:0"}, "linux", "xdg-open", []string{"URL"}},
		{"xdg-open with Wayland", []string{"WAYLAND_DISPLAY=wayland-0"}, "freebsd", "xdg-open", []string{"URL"}},
		{"open on macOS", nil, "darwin", "open", []string{"URL"}},
	} {
		l, err := Find(append(tc.env, "PATH="+bin), "", tc.goos)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if l.Name() != tc.want || !slices.Equal(l.Args("URL"), tc.args) {
			t.Errorf("%s: %s %q, want %s %q", tc.name, l.Name(), l.Args("URL"), tc.want, tc.args)
		}
	}
}

func TestFindNone(t *testing.T) {
	bin := install(t, "#!/bin/sh\n", "firefox")
	for _, tc := range []struct {
		name string
		env  []string
		none bool
		want string
	}{
		{"no display", nil, true, "no browser to open"},
		{"an empty list", []string{"BROWSER=:"}, true, "no browser to open"},
		{"xdg-open not installed", []string{"DISPLAY=:0"}, true, "no browser to open (command not found: xdg-open)"},
		{"no program of the list installed", []string{"BROWSER=w3m:lynx"}, false, "env BROWSER: command not found: w3m"},
		{"unbalanced quotes", []string{"BROWSER=firefox 'x"}, false, "env BROWSER: \"firefox 'x\" cannot be split into words"},
	} {
		_, err := Find(append(tc.env, "PATH="+bin), "", "linux")
		if err == nil || errors.Is(err, ErrNone) != tc.none || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q (ErrNone %v)", tc.name, err, tc.want, tc.none)
		}
	}
}

func TestOpen(t *testing.T) {
	out := filepath.Join(t.TempDir(), "args")
	bin := install(t, "#!/bin/sh\nprintf '%s\\n' \"$0\" \"$@\" > \"$OUT\"\nexit 3\n", "browse")
	l, err := Find([]string{"BROWSER=browse --new-tab %s", "PATH=" + bin, "OUT=" + out}, "", "linux")
	if err != nil {
		t.Fatal(err)
	}
	exited, err := l.Open("http://127.0.0.1:1/x")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err == nil || err.Error() != "exit status 3" {
			t.Errorf("exit %v, want status 3", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the browser command did not end")
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(bin, "browse") + "\n--new-tab\nhttp://127.0.0.1:1/x\n"; string(b) != want {
		t.Errorf("the browser got %q, want %q", b, want)
	}
}
