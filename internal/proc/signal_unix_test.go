//go:build unix && !aix

package proc_test

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/rolehop/rolehop/internal/proc"
)

func TestCancelOnSignal(t *testing.T) {
	for _, tt := range []struct {
		sig  syscall.Signal
		want string
	}{
		{syscall.SIGINT, "interrupted by SIGINT"},
		{syscall.SIGTERM, "interrupted by SIGTERM"},
		{syscall.SIGHUP, "interrupted by SIGHUP"},
	} {
		t.Run(tt.want, func(t *testing.T) {
			ctx, release := proc.CancelOnSignal(context.Background())
			if err := syscall.Kill(os.Getpid(), tt.sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(timeout):
				t.Fatalf("context not cancelled %v after the signal", timeout)
			}
			var in *proc.Interrupted
			if cause := context.Cause(ctx); !errors.As(cause, &in) || in.Signal != tt.sig || cause.Error() != tt.want {
				t.Errorf("cause = %v, want %q", cause, tt.want)
			}
			if err := release(); err == nil || err.Error() != tt.want {
				t.Errorf("release() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestCancelOnSignalReleasedWithoutSignal(t *testing.T) {
	ctx, release := proc.CancelOnSignal(context.Background())
	if ctx.Err() != nil {
		t.Fatalf("context done before release: %v", context.Cause(ctx))
	}
	if err := release(); err != nil {
		t.Errorf("release() = %v, want nil", err)
	}
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("after release, ctx.Err() = %v, want context.Canceled", ctx.Err())
	}
}

func TestCancelOnSignalLeavesIgnoredSignalsIgnored(t *testing.T) {
	signal.Ignore(syscall.SIGHUP)
	t.Cleanup(func() {
		// Catching it is what ends ignoring it (Reset would not), for the tests after this one.
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGHUP)
		signal.Stop(c)
	})
	_, release := proc.CancelOnSignal(context.Background())
	defer release()
	// Catching it would make it not ignored, for rolehop and for the program it starts.
	if !signal.Ignored(syscall.SIGHUP) {
		t.Error("SIGHUP, ignored before, is caught")
	}
}
