package oidctoken

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fakeAgent writes a buildkite-agent script into a new directory: it records its arguments, one
// a line, in the returned args file, then runs body. The tests that use it do not run in
// parallel, because a fork elsewhere while the script is open for writing makes running it fail
// with "text file busy".
func fakeAgent(t *testing.T, body string) (dir, args string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake buildkite-agent is a shell script")
	}
	dir = t.TempDir()
	args = filepath.Join(dir, "args")
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" > '" + args + "'\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(dir, "buildkite-agent"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, args
}

func TestBuildkite(t *testing.T) {
	const what = "Buildkite: buildkite-agent oidc request-token "
	tests := []struct {
		name     string
		audience string
		body     string
		want     string
		wantErr  string
	}{
		{name: "success", body: "echo '  bk.token  '", want: "bk.token"},
		{name: "custom audience", audience: "https://example.com/x y", body: "echo bk.token", want: "bk.token"},
		{
			name:    "non-zero exit",
			body:    "echo 'bk.token' ; echo 'starting' >&2; echo 'fatal: failed to get OIDC token: 403' >&2; echo >&2; exit 3",
			wantErr: what + "exited with code 3: fatal: failed to get OIDC token: 403",
		},
		{name: "non-zero exit, silent", body: "exit 1", wantErr: what + "exited with code 1"},
		{name: "killed", body: "kill -9 $$", wantErr: what + "failed: signal: killed"},
		{name: "no token", body: "echo ' '", wantErr: what + "printed no token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, args := fakeAgent(t, tt.body)
			s := newSource(t, "buildkite", Options{
				Audience:       tt.audience,
				BuildkiteAgent: filepath.Join(dir, "buildkite-agent"),
			})
			tok, err := s.Token(t.Context())
			if tt.wantErr != "" {
				checkErr(t, err, tt.wantErr, "bk.token")
			} else if err != nil {
				t.Fatal(err)
			} else if string(tok) != tt.want {
				t.Errorf("Token() = %q, want %q", tok, tt.want)
			}
			audience := tt.audience
			if audience == "" {
				audience = DefaultAudience
			}
			got, err := os.ReadFile(args)
			if err != nil {
				t.Fatal(err)
			}
			if want := "oidc\nrequest-token\n--audience\n" + audience + "\n"; string(got) != want {
				t.Errorf("buildkite-agent arguments = %q, want %q", got, want)
			}
		})
	}
}

func TestBuildkiteFromPATH(t *testing.T) {
	dir, _ := fakeAgent(t, "echo path.token")
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	s := newSource(t, "buildkite", Options{})
	for range 2 {
		tok, err := s.Token(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if string(tok) != "path.token" {
			t.Errorf("Token() = %q, want %q", tok, "path.token")
		}
	}
}

func TestBuildkiteNotInstalled(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	missing := filepath.Join(t.TempDir(), "buildkite-agent")
	for _, program := range []string{"", missing} {
		name := program
		if name == "" {
			name = "buildkite-agent"
		}
		_, err := newSource(t, "buildkite", Options{BuildkiteAgent: program}).Token(t.Context())
		checkErr(t, err, "Buildkite: "+name+" is not installed (not found); is this a Buildkite job?")
		if err != nil && strings.Contains(err.Error(), "exited") {
			t.Errorf("error %q suggests the agent ran", err)
		}
	}
}
