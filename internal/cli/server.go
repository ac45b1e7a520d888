package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/rolehop/rolehop/internal/awsenv"
	"github.com/rolehop/rolehop/internal/awsfiles"
	"github.com/rolehop/rolehop/internal/credserver"
	"github.com/rolehop/rolehop/internal/run"
)

// execServer runs the command with a local credential endpoint that refreshes the credentials
// ahead of their expiry from the run's credential source, so a run may outlast any one set.
// The source was resolved once: nothing the command does to rolehop.hcl changes its identity.
func (a *app) execServer(ctx context.Context, s *session, argv []string) error {
	srv, err := credserver.Start(ctx, credserver.Options{Credentials: s.src, Initial: &s.creds, Log: a.serverLog()})
	if err != nil {
		return err
	}
	defer srv.Close()
	e := awsenv.ForServer(srv.URL(), srv.Token(), s.src.Region())
	e.Extend(s.src.Envs())
	e.SetIdentity(s.src.IdentityName())
	files, cleanup, err := a.sharedFilesWithoutIdentity()
	if err != nil {
		return err
	}
	defer cleanup()
	e.UseSharedFiles(files.Config, files.Credentials)
	status, err := s.forwarding().Command(ctx, argv, e.ForCommand().Apply(a.sys.Environ), run.Stdio{Stdin: a.sys.Stdin, Stdout: a.sys.Stdout, Stderr: a.sys.Stderr})
	if err != nil {
		return &exitError{code: status, err: err}
	}
	return childStatus(status)
}

// sharedFilesWithoutIdentity writes copies of the AWS shared files without their identity
// settings into a private directory, for the command of exec --server: every SDK reads the
// shared files' profile before the endpoint, so a [default] with keys, a role, SSO or a
// credential_process would outrank it. The copies hold no secret; cleanup removes them.
func (a *app) sharedFilesWithoutIdentity() (awsfiles.Files, func(), error) {
	dir, err := os.MkdirTemp("", "rolehop-server-")
	if err != nil {
		return awsfiles.Files{}, nil, fmt.Errorf("exec --server: %w", err)
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	files, err := awsfiles.WithoutIdentity(awsfiles.Locate(a.sys.LookupEnv), dir)
	if err != nil {
		cleanup()
		return awsfiles.Files{}, nil, fmt.Errorf("exec --server: AWS shared files for the command: %w", err)
	}
	return files, cleanup, nil
}

// serverLog reports refresh failures on stderr even without --debug: a long run should say why
// its credentials are getting old.
func (a *app) serverLog() *slog.Logger {
	if a.debugLog {
		return a.log
	}
	return slog.New(slog.NewTextHandler(a.sys.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
