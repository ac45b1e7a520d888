package authprovider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/kballard/go-shellquote"
	"github.com/rolehop/rolehop/internal/display"
	"github.com/rolehop/rolehop/internal/proc"
)

// DefaultTimeout is how long an auth provider may run when Command.Timeout is not set.
const DefaultTimeout = 5 * time.Minute

// maxStdout is the most an auth provider may print on stdout: far more than any credentials
// need, and little enough that a runaway provider cannot exhaust memory.
const maxStdout = 1 << 20

// stderrLines is how many of the last lines of an auth provider's stderr an error repeats.
const stderrLines = 5

// waitDelay is how long to wait, once the provider has exited, for processes it left
// behind to close its stdout and stderr. A provider may start something that outlives it (a
// browser for an SSO login, an agent) and that keeps them open.
const waitDelay = 2 * time.Second

// Command is an auth provider command to run.
//
// A Stdin or Stderr that is not an *os.File is copied through a pipe, as os/exec does it;
// Run then returns only once a Read from Stdin has returned.
type Command struct {
	Line     string        // the command line, split into words like a shell would (quotes respected, nothing expanded), then run directly with no shell
	Dir      string        // working directory (rolehop's own); a relative program path is relative to it
	Env      []string      // environment (rolehop's own); nil means os.Environ(); rolehop's own secret inputs (awsenv.SecretInputs) are always left out
	Timeout  time.Duration // 0 or less means DefaultTimeout
	Stdin    io.Reader     // the user's terminal normally (so the script can prompt, e.g. for SSO); nil reads as empty
	Terminal bool          // the provider may take the terminal's foreground while it runs (see proc.Program); not while a running command owns the terminal
	Stderr   io.Writer     // the user's terminal normally; also keep the last few lines for error messages
}

// Run runs the command and parses what it printed on stdout with Parse.
//
// The program is found with proc.Find: on the PATH in Env, as a shell would, unless it holds a
// path separator. On Unix it runs in a process group of its own, which is killed whole, with
// whatever it started, when the timeout passes, when ctx is done, or when rolehop gets SIGINT,
// SIGTERM or SIGHUP while it runs; and with Terminal set, when rolehop runs in the foreground
// of its terminal, the program's group takes over the terminal while it runs, so that it can
// prompt and a Ctrl-C reaches it rather than rolehop, and rolehop then takes it back. See
// proc.Program.
//
// Errors are one line and name the program by its first word only, since the arguments may
// hold something sensitive: it was not found, it failed (with its exit status and the last
// lines of its stderr), it was interrupted, it timed out, it printed more than 1 MiB, or its
// output did not parse.
func (c Command) Run(ctx context.Context) (*Result, error) {
	argv, err := c.words()
	if err != nil {
		return nil, err
	}
	prog := displayName(argv[0])
	env := c.Env
	if env == nil {
		env = os.Environ()
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	stderr := tailWriter{live: c.Stderr}
	out, err := proc.Program{
		Argv: argv, Dir: c.Dir, Env: env,
		Stdin: c.Stdin, Terminal: c.Terminal, Stderr: &stderr,
		Timeout: timeout, MaxOutput: maxStdout, WaitDelay: waitDelay,
	}.Run(ctx)
	if err != nil {
		return nil, failure(prog, timeout, err, stderr.String())
	}
	r, err := Parse(out)
	if err != nil {
		return nil, fmt.Errorf("auth provider %s: %w", prog, err)
	}
	return r, nil
}

// words splits the command line into the program and its arguments.
func (c Command) words() ([]string, error) {
	argv, err := shellquote.Split(c.Line)
	switch {
	case errors.Is(err, shellquote.UnterminatedEscapeError):
		return nil, errors.New("auth provider command ends with an unfinished backslash escape")
	case err != nil:
		return nil, errors.New("auth provider command has an unterminated quote")
	case len(argv) == 0 || argv[0] == "":
		return nil, errors.New("auth provider command is empty")
	}
	return argv, nil
}

// failure is the error for a provider that did not run to success, with tail, the last
// lines of its stderr.
func failure(prog string, timeout time.Duration, err error, tail string) error {
	var startErr *proc.StartError
	var stopped *proc.Stopped
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &startErr):
		return fmt.Errorf("auth provider %s: %s", prog, startErr.Reason())
	case errors.As(err, &stopped):
		return fmt.Errorf("auth provider %s was stopped: %w", prog, stopped.Cause)
	case errors.Is(err, proc.ErrTimeout):
		return fmt.Errorf("auth provider %s did not finish within %s and was stopped; raise --auth-provider-timeout if it needs longer",
			prog, display.Duration(timeout))
	case errors.Is(err, proc.ErrTooMuchOutput):
		return fmt.Errorf("auth provider %s wrote more than 1 MiB to stdout; it must print one JSON object", prog)
	case errors.As(err, &exitErr):
		return exitFailure(prog, exitErr.ProcessState, tail)
	}
	return fmt.Errorf("auth provider %s: %w", prog, err)
}

// exitFailure is the error for a provider that failed, with the tail of its stderr.
func exitFailure(prog string, state *os.ProcessState, tail string) error {
	var msg string
	if sig, ok := proc.KilledBy(state); ok {
		if sig == "SIGINT" {
			// Ctrl-C, most likely: the user knows what happened and saw its stderr.
			return fmt.Errorf("auth provider %s was interrupted", prog)
		}
		msg = fmt.Sprintf("auth provider %s was killed by signal %s", prog, sig)
	} else {
		msg = fmt.Sprintf("auth provider %s exited with status %d", prog, state.ExitCode())
	}
	if tail != "" {
		msg += ": " + tail
	}
	return errors.New(msg)
}

// displayName returns the program name for messages, quoted when it would not read as one
// word on one line.
func displayName(name string) string {
	if strings.ContainsFunc(name, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) }) {
		return strconv.Quote(name)
	}
	return name
}

// tailWriter passes what is written to it on to live, and keeps the last stderrLines lines
// for an error message.
type tailWriter struct {
	live    io.Writer // nil to show nothing
	lines   []string  // the last complete lines that are not blank, tidied
	partial []byte    // the line being written, up to maxLineBytes
}

// maxLineBytes is how much of one line tailWriter keeps.
const maxLineBytes = 1024

// Write never fails, so that a provider never loses its stderr (and dies of SIGPIPE)
// because the user's terminal went away.
func (t *tailWriter) Write(p []byte) (int, error) {
	if t.live != nil {
		_, _ = t.live.Write(p)
	}
	rest := p
	for len(rest) > 0 {
		line, after, complete := bytes.Cut(rest, []byte("\n"))
		t.partial = append(t.partial, line[:min(len(line), maxLineBytes-len(t.partial))]...)
		if !complete {
			break
		}
		t.push(string(t.partial))
		t.partial = t.partial[:0]
		rest = after
	}
	return len(p), nil
}

// push keeps line, tidied, unless it is blank.
func (t *tailWriter) push(line string) {
	if line = tidyLine(line); line != "" {
		t.lines = append(t.lines, line)
		if len(t.lines) > stderrLines {
			t.lines = t.lines[1:]
		}
	}
}

// String returns the last lines kept, joined with " | ".
func (t *tailWriter) String() string {
	lines := t.lines
	if last := tidyLine(string(t.partial)); last != "" {
		lines = append(lines[:len(lines):len(lines)], last)
		lines = lines[max(len(lines)-stderrLines, 0):]
	}
	return strings.Join(lines, " | ")
}

// tidyLine makes a line of output fit into a one-line message: only the text after the last
// carriage return (what a terminal shows of a progress line), no escape sequences or control
// characters, valid UTF-8, at most 200 characters.
func tidyLine(line string) string {
	const limit = 200
	if i := strings.LastIndexByte(strings.TrimRight(line, "\r"), '\r'); i >= 0 {
		line = line[i+1:]
	}
	line = stripEscapes(strings.ToValidUTF8(line, "\uFFFD"))
	line = strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case unicode.IsControl(r) || !unicode.IsPrint(r) && !unicode.IsSpace(r):
			return -1
		}
		return r
	}, line)
	line = display.OneLine(line)
	if runes := []rune(line); len(runes) > limit {
		line = string(runes[:limit]) + "…"
	}
	return line
}

// stripEscapes removes the ANSI escape sequences that colour text or move the cursor: ESC [
// parameters, intermediates, and a final byte from @ to ~.
func stripEscapes(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i+2:]
		end := strings.IndexFunc(s, func(r rune) bool { return r >= '@' && r <= '~' })
		if end < 0 {
			return b.String()
		}
		s = s[end+1:]
	}
}
