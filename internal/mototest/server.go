package mototest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// startTimeout bounds how long Start waits for moto_server to answer;
	// it normally takes one to two seconds.
	startTimeout = 30 * time.Second
	// startAttempts is how often Start tries a new port when moto_server
	// dies before answering, because another process may take the free
	// port between choosing it and moto binding it.
	startAttempts = 3
	// stopTimeout is how long Close waits after SIGTERM before SIGKILL.
	stopTimeout = 5 * time.Second
	// logTailLines is how much of moto's output start errors include.
	logTailLines = 20
)

// errExited reports that moto_server ended before it answered.
var errExited = errors.New("moto_server exited before answering")

// Server is a moto_server process on a loopback port.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL string

	cmd     *exec.Cmd
	logPath string
	client  *http.Client

	done    chan struct{} // closed once the process has been waited for
	waitErr error         // valid after done is closed

	closeOnce sync.Once
	closeErr  error
}

// Start starts moto_server on a free 127.0.0.1 port and waits until it
// answers, for at most 30 seconds or until ctx ends. Each env entry
// ("NAME=VALUE", for example "INITIAL_NO_AUTH_ACTION_COUNT=5") is added to
// the process environment. The caller must Close the server.
func Start(ctx context.Context, env ...string) (*Server, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, errors.New("moto_server not found on PATH; install it with: pip install 'moto[server]'")
	}
	return startCommand(ctx, []string{bin}, env)
}

// startCommand starts argv followed by moto_server's host and port options, as Start does.
func startCommand(ctx context.Context, argv []string, env []string) (*Server, error) {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		s, err := start(ctx, argv, env)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errExited) || attempt == startAttempts || ctx.Err() != nil {
			return nil, fmt.Errorf("start moto_server (attempt %d of %d): %w", attempt, startAttempts, err)
		}
	}
}

func start(ctx context.Context, argv []string, env []string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.CreateTemp("", "moto-server-*.log")
	if err != nil {
		return nil, fmt.Errorf("create log file: %w", err)
	}
	// The process is not tied to ctx: ctx bounds only the start-up.
	args := append(slices.Clone(argv[1:]), "-H", "127.0.0.1", "-p", port)
	cmd := exec.Command(argv[0], args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr()
	err = cmd.Start()
	// The child has its own copy of the descriptor.
	logFile.Close()
	if err != nil {
		os.Remove(logFile.Name())
		return nil, fmt.Errorf("run %s: %w", argv[0], err)
	}
	s := &Server{
		URL:     "http://127.0.0.1:" + port,
		cmd:     cmd,
		logPath: logFile.Name(),
		client:  &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second},
		done:    make(chan struct{}),
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ctx); err != nil {
		tail := s.logTail()
		s.Close()
		return nil, fmt.Errorf("%w; last lines of its output:\n%s", err, tail)
	}
	return s, nil
}

// freePort returns a port that was free on 127.0.0.1 a moment ago.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}

func (s *Server) waitReady(ctx context.Context) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.ping(ctx) == nil {
			// Whoever answered, it is not our moto if ours has died.
			select {
			case <-s.done:
				return fmt.Errorf("%w (%v)", errExited, s.waitErr)
			default:
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("%w (%v)", errExited, s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("moto_server did not answer on %s: %w", s.URL, ctx.Err())
		case <-tick.C:
		}
	}
}

func (s *Server) ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/moto-api/", nil)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /moto-api/: %s", resp.Status)
	}
	return nil
}

// logTail returns the last lines moto_server wrote.
func (s *Server) logTail() string {
	data, err := os.ReadFile(s.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read moto_server output: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > logTailLines {
		lines = lines[len(lines)-logTailLines:]
	}
	return strings.Join(lines, "\n")
}

// Reset clears all of moto's state (roles, buckets, keys, ...).
func (s *Server) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/moto-api/reset", nil)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: %s", resp.Status)
	}
	return nil
}

// Close stops moto_server and every process it started, and removes its
// log. It reports an error if moto_server had died on its own. Calling Close
// again returns the first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.stop() })
	return s.closeErr
}

func (s *Server) stop() error {
	defer os.Remove(s.logPath)
	defer s.client.CloseIdleConnections()
	// moto_server leads its own process group (see sysProcAttr).
	group := -s.cmd.Process.Pid
	var err error
	select {
	case <-s.done:
		err = fmt.Errorf("moto_server on %s had already exited (%v); last lines of its output:\n%s", s.URL, s.waitErr, s.logTail())
	default:
		_ = syscall.Kill(group, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(stopTimeout):
			_ = syscall.Kill(group, syscall.SIGKILL)
			<-s.done
		}
	}
	// Children may outlive the leader; ESRCH here just means there are none.
	_ = syscall.Kill(group, syscall.SIGKILL)
	return err
}

// Main is a helper for TestMain. It checks that every tool in tools (for
// example "aws" or "terraform") is on PATH, starts moto_server, hands it to
// use, runs the tests, stops moto_server and exits with the tests' status.
// If a tool or moto_server is missing or moto does not start, it prints why
// and exits with status 1 without running any test: the suite fails, it never
// silently skips.
func Main(m *testing.M, tools []string, use func(s *Server)) {
	os.Exit(Run(m, tools, use))
}

// Run is Main without the exit: it returns the status to exit with, for a TestMain that wraps
// the tests in something else (such as testscript.Main).
func Run(m Runner, tools []string, use func(s *Server)) int {
	return run(m, tools, use, os.Stderr)
}

// Runner is the part of *testing.M that Main and Run need.
type Runner interface {
	Run() int
}

func run(m Runner, tools []string, use func(s *Server), stderr io.Writer) int {
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, fmt.Sprintf("FAIL: mototest: %s not found on PATH; %s\n", tool, installHint(tool)))
		}
	}
	if len(missing) > 0 {
		fmt.Fprint(stderr, strings.Join(missing, ""))
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	s, err := Start(ctx)
	cancel()
	if err != nil {
		fmt.Fprintf(stderr, "FAIL: mototest: %v\n", err)
		return 1
	}
	use(s)
	code := m.Run()
	if err := s.Close(); err != nil {
		fmt.Fprintf(stderr, "FAIL: mototest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

func installHint(tool string) string {
	switch tool {
	case "aws":
		return "install the AWS CLI (pip install awscli)"
	case "terraform":
		return "install Terraform (https://developer.hashicorp.com/terraform/install)"
	case "moto_server":
		return "install it with: pip install 'moto[server]'"
	default:
		return "install it to run these tests"
	}
}
