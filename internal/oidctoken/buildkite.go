package oidctoken

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strings"
	"time"
)

const buildkiteDisplay = "Buildkite"

// buildkiteSource asks the Buildkite agent for a token; the agent authenticates with the job's
// own credentials, which it finds in the environment rolehop inherited.
type buildkiteSource struct {
	audience string
	program  string
}

func (s *buildkiteSource) String() string {
	return buildkiteDisplay + " OIDC token from buildkite-agent (audience " + s.audience + ")"
}

func (s *buildkiteSource) Token(ctx context.Context) ([]byte, error) {
	const what = "buildkite-agent oidc request-token"
	cmd := exec.CommandContext(ctx, s.program, "oidc", "request-token", "--audience", s.audience)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	// A child the agent leaves behind could hold the pipes open after ctx is done.
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s: %s: %w", buildkiteDisplay, what, ctx.Err())
	}
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %s is not installed (not found); is this a Buildkite job?", buildkiteDisplay, s.program)
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		msg := fmt.Sprintf("%s: %s failed: %s", buildkiteDisplay, what, exitErr.ProcessState)
		if code := exitErr.ExitCode(); code >= 0 {
			msg = fmt.Sprintf("%s: %s exited with code %d", buildkiteDisplay, what, code)
		}
		if line := lastLine(stderr.String()); line != "" {
			msg += ": " + line
		}
		return nil, errors.New(msg)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", buildkiteDisplay, what, err)
	}
	tok := bytes.TrimSpace(stdout.Bytes())
	if len(tok) == 0 {
		return nil, fmt.Errorf("%s: %s printed no token", buildkiteDisplay, what)
	}
	return tok, nil
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
