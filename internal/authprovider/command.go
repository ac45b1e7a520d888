package authprovider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/kballard/go-shellquote"
	"github.com/rolehop/rolehop/internal/awsenv"
	"github.com/rolehop/rolehop/internal/display"
	"github.com/rolehop/rolehop/internal/procgroup"
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
	Line    string        // the command line, split into words like a shell would (quotes respected, nothing expanded), then run directly with no shell
	Dir     string        // working directory (rolehop's own); a relative program path is relative to it
	Env     []string      // environment (rolehop's own); nil means os.Environ(); rolehop's own secret inputs (awsenv.SecretInputs) are always left out
	Timeout time.Duration // 0 or less means DefaultTimeout
	Stdin   io.Reader     // the user's terminal normally (so the script can prompt, e.g. for SSO); nil reads as empty
	Stderr  io.Writer     // the user's terminal normally; also keep the last few lines for error messages
}

// Run runs the command and parses what it printed on stdout with Parse.
//
// The program is looked up on the PATH in Env unless it holds a path separator. On Unix it
// runs in a process group of its own, which is killed whole, with whatever it started, when
// the timeout passes, when ctx is done, or when rolehop gets SIGINT, SIGTERM or SIGHUP while
// it runs; and when Stdin is the terminal rolehop runs in the foreground of, the program's
// group takes over the terminal while it runs, so that it can prompt and a Ctrl-C reaches it
// rather than rolehop, and rolehop then takes it back. See package procgroup.
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
	ctx, release := procgroup.CancelOnSignal(ctx)
	r, err := c.run(ctx, argv, prog)
	if sig := release(); sig != nil {
		return nil, fmt.Errorf("auth provider %s was stopped: %w", prog, sig)
	}
	return r, err
}

// run runs the program argv and parses its output.
func (c Command) run(ctx context.Context, argv []string, prog string) (*Result, error) {
	env := c.Env
	if env == nil {
		env = os.Environ()
	}
	// rolehop's own secret inputs are for rolehop; a provider has no use for them.
	env = awsenv.WithoutSecretInputs(env)
	path, err := findProgram(argv[0], c.Dir, env)
	if err != nil {
		return nil, fmt.Errorf("auth provider %s: %w", prog, err)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var stdout limitedBuffer
	stderr := tailWriter{live: c.Stderr}
	cmd := exec.CommandContext(runCtx, path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Dir = c.Dir
	cmd.Env = env
	cmd.Stdin = c.Stdin
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	restore := procgroup.Isolate(cmd, c.Stdin)
	// Also after a failed start: the child may have taken the terminal before exec failed.
	defer restore()
	cmd.WaitDelay = waitDelay

	if err := cmd.Start(); err != nil {
		if runCtx.Err() != nil {
			return nil, stopped(ctx, prog, timeout)
		}
		return nil, fmt.Errorf("auth provider %s: %w", prog, startFailure(path, err))
	}
	err = cmd.Wait()
	var exitErr *exec.ExitError
	switch {
	case stdout.overflow:
		return nil, fmt.Errorf("auth provider %s wrote more than 1 MiB to stdout; it must print one JSON object", prog)
	case err != nil && runCtx.Err() != nil:
		return nil, stopped(ctx, prog, timeout)
	case errors.As(err, &exitErr):
		return nil, exitFailure(prog, exitErr.ProcessState, stderr.String())
	case err != nil && !errors.Is(err, exec.ErrWaitDelay):
		return nil, fmt.Errorf("auth provider %s: %w", prog, err)
	}
	// With ErrWaitDelay the provider itself succeeded; what it printed is all there is.
	r, err := Parse(stdout.buf.Bytes())
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

// stopped is the error for a provider that was stopped before it finished: by ctx, or by its
// own timeout.
func stopped(ctx context.Context, prog string, timeout time.Duration) error {
	if ctx.Err() != nil {
		return fmt.Errorf("auth provider %s was stopped: %w", prog, context.Cause(ctx))
	}
	return fmt.Errorf("auth provider %s did not finish within %s and was stopped; raise --auth-provider-timeout if it needs longer",
		prog, display.Duration(timeout))
}

// exitFailure is the error for a provider that failed, with the tail of its stderr.
func exitFailure(prog string, state *os.ProcessState, tail string) error {
	var msg string
	if sig, ok := killedBy(state); ok {
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

// startFailure explains why the program at path, which findProgram found, did not start.
func startFailure(path string, err error) error {
	if errors.Is(err, exec.ErrNotFound) {
		return errors.New("command not found")
	}
	if errors.Is(err, fs.ErrNotExist) {
		if _, statErr := os.Stat(path); statErr == nil {
			// The file is there, so what is missing is the program that should run it.
			return errors.New("cannot execute: its interpreter or dynamic loader was not found")
		}
		return errors.New("command not found")
	}
	var execErr *exec.Error
	if errors.As(err, &execErr) {
		err = execErr.Err
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		err = pathErr.Err
	}
	return fmt.Errorf("cannot execute: %w", err)
}

// displayName returns the program name for messages, quoted when it would not read as one
// word on one line.
func displayName(name string) string {
	if strings.ContainsFunc(name, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) }) {
		return strconv.Quote(name)
	}
	return name
}

// limitedBuffer keeps what is written to it, up to maxStdout bytes. It does not embed its
// buffer: io.Copy would then use the buffer's ReadFrom, and read without limit.
type limitedBuffer struct {
	buf      bytes.Buffer
	overflow bool
}

// Write fails once the buffer would hold more than maxStdout bytes; os/exec then closes the
// pipe, so a provider that goes on writing gets EPIPE or SIGPIPE instead of running on.
func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > maxStdout {
		b.overflow = true
		return 0, errors.New("too much output")
	}
	return b.buf.Write(p)
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
