package oidctoken

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/rolehop/rolehop/internal/proc"
)

const buildkiteDisplay = "Buildkite"

// The bounds of a buildkite-agent run: long enough for the agent's own retries, and far more
// output than a token (a few kilobytes) needs.
const (
	defaultBuildkiteTimeout = 2 * time.Minute
	buildkiteWaitDelay      = 5 * time.Second
	maxBuildkiteStderr      = 64 << 10
)

// buildkiteSource asks the Buildkite agent for a token; the agent authenticates with the job's
// own credentials, which it finds in the environment rolehop inherited.
type buildkiteSource struct {
	audience string
	program  string
	environ  func() []string
	timeout  time.Duration
}

func (s *buildkiteSource) String() string {
	return buildkiteDisplay + " OIDC token from buildkite-agent (audience " + s.audience + ")"
}

func (s *buildkiteSource) Token(ctx context.Context) ([]byte, error) {
	const what = "buildkite-agent oidc request-token"
	stderr := &tailBuffer{max: maxBuildkiteStderr}
	out, err := proc.Program{
		Argv:   []string{s.program, "oidc", "request-token", "--audience", s.audience},
		Env:    s.environ(),
		Stderr: stderr,
		// A child the agent leaves behind could hold the pipes open after it is done.
		WaitDelay: buildkiteWaitDelay,
		Timeout:   s.timeout,
		MaxOutput: maxResponse,
	}.Run(ctx)
	var startErr *proc.StartError
	var stopped *proc.Stopped
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &startErr) && errors.Is(err, proc.ErrNotFound):
		return nil, fmt.Errorf("%s: %s is not installed (not found); is this a Buildkite job?", buildkiteDisplay, s.program)
	case errors.As(err, &startErr):
		return nil, fmt.Errorf("%s: %s: %s", buildkiteDisplay, s.program, startErr.Reason())
	case errors.As(err, &stopped):
		return nil, fmt.Errorf("%s: %s: %w", buildkiteDisplay, what, stopped.Cause)
	case errors.Is(err, proc.ErrTimeout):
		return nil, fmt.Errorf("%s: %s did not finish within %s and was stopped", buildkiteDisplay, what, s.timeout)
	case errors.Is(err, proc.ErrTooMuchOutput):
		return nil, fmt.Errorf("%s: %s printed more than 1 MiB; a token is a few kilobytes", buildkiteDisplay, what)
	case errors.As(err, &exitErr):
		msg := fmt.Sprintf("%s: %s failed: %s", buildkiteDisplay, what, exitErr.ProcessState)
		if code := exitErr.ExitCode(); code >= 0 {
			msg = fmt.Sprintf("%s: %s exited with code %d", buildkiteDisplay, what, code)
		}
		if line := lastLine(string(stderr.b)); line != "" {
			msg += ": " + line
		}
		return nil, errors.New(msg)
	case err != nil:
		return nil, fmt.Errorf("%s: %s: %w", buildkiteDisplay, what, err)
	}
	tok := bytes.TrimSpace(out)
	if len(tok) == 0 {
		return nil, fmt.Errorf("%s: %s printed no token", buildkiteDisplay, what)
	}
	return tok, nil
}

// tailBuffer keeps the last max bytes written to it, where a program puts its final error.
type tailBuffer struct {
	b   []byte
	max int
}

// Write never fails, so that the agent never dies of SIGPIPE for writing too much to stderr.
func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p[max(len(p)-t.max, 0):]...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

// lastLine returns the last non-blank line of s, where a program puts its final error.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	line := strings.TrimSpace(lines[len(lines)-1])
	if r := []rune(line); len(r) > maxSnippet {
		line = string(r[:maxSnippet]) + "..."
	}
	return line
}
