// Package browser opens a URL in the user's web browser: the commands $BROWSER lists, else
// open(1) on macOS, else xdg-open(1) when there is a display.
//
// $BROWSER is read as the convention that Python's webbrowser module, sensible-browser and
// xdg-open follow: commands separated by ":" (";" on Windows), each split into words like a shell would
// (quotes respected), with %s standing for the URL (and %% for a "%") or, without %s, the URL
// added as the last argument. The first command whose program is installed is the one used.
package browser

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/kballard/go-shellquote"
	"github.com/rolehop/rolehop/internal/proc"
)

// Launcher starts one browser command.
type Launcher struct {
	// words is the command; "%s" in a word stands for the URL. Without any, the URL is added.
	words []string
	path  string // the program words[0] names, found
	env   []string
	dir   string
}

// ErrNone is the error of Find when there is no browser to open: no $BROWSER, and neither
// macOS nor a display.
var ErrNone = errors.New("no browser to open")

// Find returns the launcher for the environment env (NAME=VALUE entries, whose PATH finds the
// program) of a process in the directory dir, on the system goos (runtime.GOOS). It looks the
// program up at once, so that a missing browser is known before anything else is done.
func Find(env []string, dir, goos string) (*Launcher, error) {
	var commands [][]string
	list := proc.Getenv(env, "BROWSER")
	if list != "" {
		for _, entry := range strings.Split(list, string(os.PathListSeparator)) {
			words, err := shellquote.Split(entry)
			if err != nil {
				return nil, fmt.Errorf("env BROWSER: %q cannot be split into words: %w", entry, err)
			}
			if len(words) > 0 {
				commands = append(commands, words)
			}
		}
	} else {
		switch {
		case goos == "darwin":
			commands = [][]string{{"open"}}
		case proc.Getenv(env, "DISPLAY") != "" || proc.Getenv(env, "WAYLAND_DISPLAY") != "":
			commands = [][]string{{"xdg-open"}}
		}
	}
	if len(commands) == 0 {
		return nil, ErrNone
	}
	var first error
	for _, words := range commands {
		path, err := proc.Find(words[0], dir, env)
		if err == nil {
			return &Launcher{words: words, path: path, env: env, dir: dir}, nil
		}
		if first == nil {
			first = err
		}
	}
	if list == "" {
		return nil, fmt.Errorf("%w (%v)", ErrNone, first)
	}
	return nil, fmt.Errorf("env BROWSER: %w", first)
}

// Name is the browser command's program, as $BROWSER or the platform names it.
func (l *Launcher) Name() string { return l.words[0] }

// Args returns the arguments the command gets for url.
func (l *Launcher) Args(url string) []string {
	var args []string
	placed := false
	for _, w := range l.words[1:] {
		if strings.Contains(w, "%s") {
			placed = true
		}
		args = append(args, expand(w, url))
	}
	if !placed {
		args = append(args, url)
	}
	return args
}

// expand replaces %s in word by url and %% by %.
func expand(word, url string) string {
	var b strings.Builder
	for i := 0; i < len(word); i++ {
		if word[i] == '%' && i+1 < len(word) {
			switch word[i+1] {
			case 's':
				b.WriteString(url)
				i++
				continue
			case '%':
				b.WriteByte('%')
				i++
				continue
			}
		}
		b.WriteByte(word[i])
	}
	return b.String()
}

// Open starts the browser command with url, without stdin, stdout or stderr, in a process
// group of its own, so that a Ctrl-C meant for rolehop does not stop a browser it started.
// The program keeps running after rolehop exits. The channel gets its exit (nil for status 0)
// once it ends; a browser that stays open never ends, and the channel then stays empty.
func (l *Launcher) Open(url string) (<-chan error, error) {
	cmd := exec.Command(l.path, l.Args(url)...)
	cmd.Args[0] = l.words[0]
	cmd.Env = l.env
	cmd.Dir = l.dir
	detach(cmd)
	if err := proc.Start(cmd); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return done, nil
}
