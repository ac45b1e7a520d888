package mototest

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rolehop/rolehop/internal/proctest"
)

// httpStatus does an unsigned request against moto (which accepts those) and
// returns the status.
func httpStatus(t *testing.T, method, url string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestServerReset(t *testing.T) {
	bucket := moto.URL + "/reset-test"
	if got := httpStatus(t, http.MethodPut, bucket); got != http.StatusOK {
		t.Fatalf("create bucket: status %d", got)
	}
	if got := httpStatus(t, http.MethodHead, bucket); got != http.StatusOK {
		t.Fatalf("bucket before reset: status %d, want 200", got)
	}
	if err := moto.Reset(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := httpStatus(t, http.MethodHead, bucket); got != http.StatusNotFound {
		t.Fatalf("bucket after reset: status %d, want 404", got)
	}
}

func TestStartPassesEnvAndCloseStops(t *testing.T) {
	// With no free unauthenticated calls, moto rejects keys it did not issue,
	// which only happens if the environment reached it.
	s, err := Start(t.Context(), "INITIAL_NO_AUTH_ACTION_COUNT=0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Errorf("URL = %q, want http://127.0.0.1:PORT", s.URL)
	}
	if got := httpStatus(t, http.MethodGet, s.URL+"/moto-api/"); got != http.StatusOK {
		t.Fatalf("GET /moto-api/: status %d", got)
	}
	rec := newTestRecorder(t, s.URL)
	if _, err := stsClient(rec.URL, "AKIDNOTISSUEDBYMOTO").GetCallerIdentity(t.Context(), nil); err == nil {
		t.Error("GetCallerIdentity with a key moto did not issue succeeded; INITIAL_NO_AUTH_ACTION_COUNT did not reach moto")
	}
	if calls := rec.Calls(); len(calls) != 1 || calls[0].Status != http.StatusForbidden {
		t.Errorf("recorded %v, want one call answered 403", calls)
	}

	pid := s.cmd.Process.Pid
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group %d after Close: kill 0 = %v, want ESRCH", pid, err)
	}
	if answers(t, s.URL+"/moto-api/") {
		t.Error("moto still answers after Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// answers reports whether anything answers GET url.
func answers(t *testing.T, url string) bool {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// fakeMoto puts an executable moto_server script with the given body first
// on PATH.
func fakeMoto(t *testing.T, body string) {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(dir, "moto_server"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestStartFailures(t *testing.T) {
	tests := []struct {
		name    string
		path    bool // replace PATH by an empty directory
		moto    string
		started bool // Start's deadline passes once moto creates $MOTO_STARTED
		want    []string
	}{
		{
			name: "not on PATH",
			path: true,
			want: []string{"moto_server not found on PATH", "pip install 'moto[server]'"},
		},
		{
			name: "dies at once",
			moto: `echo "OSError: [Errno 98] Address already in use"; exit 1`,
			want: []string{"attempt 3 of 3", "exited before answering", "exit status 1", "Address already in use"},
		},
		{
			name:    "never answers",
			moto:    `echo "still starting"; : > "$MOTO_STARTED"; exec sleep 60`,
			started: true,
			want:    []string{"did not answer", "deadline exceeded", "still starting"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.path {
				t.Setenv("PATH", t.TempDir())
			} else {
				fakeMoto(t, tt.moto)
			}
			ctx := t.Context()
			var env []string
			if tt.started {
				started := filepath.Join(t.TempDir(), "started")
				ctx = deadlineOnFile(t, started)
				env = append(env, "MOTO_STARTED="+started)
			}
			s, err := Start(ctx, env...)
			if err == nil {
				s.Close()
				t.Fatal("Start succeeded")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

// fileDeadline is a context whose deadline passes once a file exists.
type fileDeadline struct {
	context.Context
	done chan struct{}
}

// deadlineOnFile returns a context whose deadline passes once path exists. A test of a
// timeout then waits for the moment it needs (the process has started and written its
// output) rather than for a number of seconds that a busy machine might not honour.
func deadlineOnFile(t *testing.T, path string) context.Context {
	t.Helper()
	ctx := fileDeadline{Context: t.Context(), done: make(chan struct{})}
	go func() {
		for {
			if _, err := os.Stat(path); err == nil {
				close(ctx.done)
				return
			}
			select {
			case <-t.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return ctx
}

func (c fileDeadline) Done() <-chan struct{} { return c.done }

func (c fileDeadline) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// fakeAnsweringMoto puts a moto_server on PATH that answers like moto
// (python serves /moto-api/ as a directory listing) from a child process
// whose pid it writes to the returned file, while the shell itself waits.
func fakeAnsweringMoto(t *testing.T) (pidFile string) {
	t.Helper()
	pidFile = filepath.Join(t.TempDir(), "child.pid")
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "moto-api"), 0o755); err != nil {
		t.Fatal(err)
	}
	fakeMoto(t, `cd `+dir+` && python3 -m http.server --bind 127.0.0.1 "$4" & echo $! > `+pidFile+`; wait`)
	return pidFile
}

func TestCloseKillsChildren(t *testing.T) {
	pidFile := fakeAnsweringMoto(t)
	s, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	child := proctest.ReadPid(t, pidFile)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	proctest.AwaitPidGone(t, "child of moto_server", child)
}

func TestCloseReportsEarlyExit(t *testing.T) {
	fakeAnsweringMoto(t)
	s, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done
	err = s.Close()
	if err == nil || !strings.Contains(err.Error(), "had already exited") {
		t.Errorf("Close after moto died = %v, want an error saying it had already exited", err)
	}
}

// fakeM stands in for *testing.M.
type fakeM struct {
	ran  bool
	code int
	run  func()
}

func (m *fakeM) Run() int {
	m.ran = true
	if m.run != nil {
		m.run()
	}
	return m.code
}

func TestRunFailsWithoutTools(t *testing.T) {
	tests := []struct {
		name  string
		tools []string
		path  bool // replace PATH by an empty directory
		want  []string
	}{
		{
			name:  "missing tools",
			tools: []string{"sh", "rolehop-no-such-tool", "terraform-no-such"},
			want:  []string{"FAIL: mototest: rolehop-no-such-tool not found on PATH", "FAIL: mototest: terraform-no-such not found on PATH"},
		},
		{
			name: "missing moto",
			path: true,
			want: []string{"FAIL: mototest: moto_server not found on PATH; install it with: pip install 'moto[server]'"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.path {
				t.Setenv("PATH", t.TempDir())
			}
			m := &fakeM{}
			var stderr strings.Builder
			used := false
			code := run(m, tt.tools, func(*Server) { used = true }, &stderr)
			if code == 0 {
				t.Error("exit code 0, want non-zero")
			}
			if m.ran || used {
				t.Error("tests ran although a requirement is missing")
			}
			for _, want := range tt.want {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr %q does not contain %q", stderr.String(), want)
				}
			}
		})
	}
}

func TestRunStartsMotoForTheTests(t *testing.T) {
	// A stand-in answers as moto does: starting the real one is the work of TestMain and
	// TestStartPassesEnvAndCloseStops, and costs seconds of CPU.
	fakeAnsweringMoto(t)
	var s *Server
	m := &fakeM{code: 3}
	m.run = func() {
		// No t.Fatal here: run must go on to stop moto.
		if s == nil {
			t.Error("tests ran before use got the server")
			return
		}
		if got := httpStatus(t, http.MethodGet, s.URL+"/moto-api/"); got != http.StatusOK {
			t.Errorf("moto during the tests: status %d", got)
		}
	}
	var stderr strings.Builder
	code := run(m, []string{"sh"}, func(srv *Server) { s = srv }, &stderr)
	if code != 3 {
		t.Errorf("exit code %d, want the tests' 3", code)
	}
	if !m.ran {
		t.Error("tests did not run")
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr = %q, want nothing", stderr.String())
	}
	if s == nil {
		t.Fatal("use was not called")
	}
	if answers(t, s.URL+"/moto-api/") {
		t.Error("moto still answers after run returned")
	}
}
