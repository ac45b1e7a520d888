package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rolehop/rolehop/internal/awsenv"
	"github.com/rolehop/rolehop/internal/awsfiles"
	"github.com/rolehop/rolehop/internal/credserver"
	"github.com/rolehop/rolehop/internal/run"
	"github.com/spf13/pflag"
)

// execServer runs the command with a local credential endpoint that refreshes the credentials
// ahead of their expiry by running the whole chain again (re-reading token files, re-running
// the auth provider, reusing the cached MFA session), so a run may outlast any one set.
func (a *app) execServer(ctx context.Context, flags *pflag.FlagSet, first *session, argv []string) error {
	var once sync.Once
	fetch := func(ctx context.Context) (aws.Credentials, error) {
		var creds aws.Credentials
		used := false
		once.Do(func() { creds, used = first.creds, true })
		if used {
			return creds, nil
		}
		s, err := a.credentials(ctx, flags)
		if err != nil {
			return aws.Credentials{}, err
		}
		return s.creds, nil
	}
	// From here on the command owns the terminal's input: an auth provider run again to
	// refresh gets none.
	a.background = true
	srv, err := credserver.Start(ctx, credserver.Options{Fetch: fetch, Log: a.serverLog()})
	if err != nil {
		return err
	}
	defer srv.Close()
	e := awsenv.ForServer(srv.URL(), srv.Token(), first.chain.Region())
	e.Extend(first.envs)
	files, cleanup, err := a.sharedFilesWithoutIdentity()
	if err != nil {
		return err
	}
	defer cleanup()
	e.UseSharedFiles(files.Config, files.Credentials)
	status, err := run.Command(ctx, argv, e.ForCommand().Apply(a.sys.Environ), run.Stdio{Stdin: a.sys.Stdin, Stdout: a.sys.Stdout, Stderr: a.sys.Stderr})
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
	if a.debug {
		return a.log
	}
	return slog.New(slog.NewTextHandler(a.sys.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
