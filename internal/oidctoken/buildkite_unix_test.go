//go:build unix && !aix

package oidctoken

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rolehop/rolehop/internal/proctest"
)

// waitLimit bounds every wait in these tests.
const waitLimit = 10 * time.Second

func TestBuildkiteTimeoutKillsProcessGroup(t *testing.T) {
	dir, _ := fakeAgent(t, `sleep 30 & echo $! > "$(dirname "$0")/child"; echo $$ > "$(dirname "$0")/self"; sleep 30; echo bk.token`)
	s := newSource(t, "buildkite", Options{BuildkiteAgent: filepath.Join(dir, "buildkite-agent"), BuildkiteTimeout: time.Second})
	start := time.Now()
	_, err := s.Token(t.Context())
	checkErr(t, err, "Buildkite: buildkite-agent oidc request-token did not finish within 1s and was stopped")
	if elapsed := time.Since(start); elapsed > waitLimit {
		t.Errorf("Token returned after %v", elapsed)
	}
	proctest.AwaitGone(t, dir, "self", "child")
}

func TestBuildkiteSignalKillsProcessGroup(t *testing.T) {
	dir, _ := fakeAgent(t, `sleep 30 & echo $! > "$(dirname "$0")/child"; echo $$ > "$(dirname "$0")/self"; : > "$(dirname "$0")/ready"; sleep 30`)
	go func() {
		// Sent to rolehop (this test binary) while the agent runs, as by a supervisor.
		ready := filepath.Join(dir, "ready")
		proctest.AwaitFile(t, ready)
		if _, err := os.Stat(ready); err == nil {
			_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
		}
	}()
	_, err := newSource(t, "buildkite", Options{BuildkiteAgent: filepath.Join(dir, "buildkite-agent")}).Token(t.Context())
	checkErr(t, err, "Buildkite: buildkite-agent oidc request-token: interrupted by SIGTERM")
	proctest.AwaitGone(t, dir, "self", "child")
}

func TestBuildkiteOutputLimit(t *testing.T) {
	dir, _ := fakeAgent(t, `yes bk.token`)
	start := time.Now()
	_, err := newSource(t, "buildkite", Options{BuildkiteAgent: filepath.Join(dir, "buildkite-agent")}).Token(t.Context())
	checkErr(t, err, "Buildkite: buildkite-agent oidc request-token printed more than 1 MiB; a token is a few kilobytes")
	if elapsed := time.Since(start); elapsed > waitLimit {
		t.Errorf("Token returned after %v", elapsed)
	}
}

func TestBuildkiteStderrTail(t *testing.T) {
	// Endless stderr neither fills memory nor hides the last line.
	dir, _ := fakeAgent(t, `head -c 3000000 /dev/zero | tr '\0' x >&2; echo >&2; echo 'fatal: 403' >&2; exit 2`)
	_, err := newSource(t, "buildkite", Options{BuildkiteAgent: filepath.Join(dir, "buildkite-agent")}).Token(t.Context())
	checkErr(t, err, "Buildkite: buildkite-agent oidc request-token exited with code 2: fatal: 403")
}

func TestBuildkiteEnvironment(t *testing.T) {
	t.Setenv("ROLEHOP_KEYRING_PASSPHRASE", "keyring passphrase")
	t.Setenv("ROLEHOP_TOKEN_CODE", "123456")
	t.Setenv("BUILDKITE_AGENT_ACCESS_TOKEN", "rolehop's own")
	dir, _ := fakeAgent(t, `echo "${ROLEHOP_KEYRING_PASSPHRASE-unset}|${ROLEHOP_TOKEN_CODE-unset}|${BUILDKITE_AGENT_ACCESS_TOKEN-unset}" > "$(dirname "$0")/seen"; echo bk.token`)
	for _, tt := range []struct {
		name    string
		environ func() []string
		want    string
	}{
		{"rolehop's own", nil, "unset|unset|rolehop's own\n"},
		{"given", func() []string {
			return []string{"PATH=/usr/bin:/bin", "ROLEHOP_TOKEN_CODE=654321", "BUILDKITE_AGENT_ACCESS_TOKEN=given"}
		}, "unset|unset|given\n"},
	} {
		s := newSource(t, "buildkite", Options{BuildkiteAgent: filepath.Join(dir, "buildkite-agent"), Environ: tt.environ})
		if _, err := s.Token(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(filepath.Join(dir, "seen")); err != nil || string(got) != tt.want {
			t.Errorf("%s environment: the agent saw %q (%v), want %q", tt.name, got, err, tt.want)
		}
	}
}

func TestBuildkiteFromEnvironPATH(t *testing.T) {
	dir, _ := fakeAgent(t, "echo path.token")
	// Not on rolehop's own PATH: the PATH of the agent's environment counts.
	environ := func() []string { return []string{"PATH=" + dir + ":/usr/bin:/bin"} }
	tok, err := newSource(t, "buildkite", Options{Environ: environ}).Token(t.Context())
	if err != nil || string(tok) != "path.token" {
		t.Errorf("Token() = %q, %v; want %q", tok, err, "path.token")
	}
}

func TestBuildkiteNotExecutable(t *testing.T) {
	dir, _ := fakeAgent(t, "echo bk.token")
	agent := filepath.Join(dir, "buildkite-agent")
	if err := os.Chmod(agent, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := newSource(t, "buildkite", Options{BuildkiteAgent: agent}).Token(t.Context())
	checkErr(t, err, "Buildkite: "+agent+": cannot execute: permission denied")
}
