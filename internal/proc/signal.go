package proc

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// Interrupted is the cause of a context that CancelOnSignal cancelled: rolehop got Signal.
type Interrupted struct {
	Signal os.Signal
}

func (e *Interrupted) Error() string {
	return "interrupted by " + signalName(e.Signal)
}

// signalName returns the usual name of the signals CancelOnSignal catches, such as "SIGTERM".
func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return sig.String()
}

// stopSignals are the signals a user, a terminal or a supervisor sends to stop a program.
func stopSignals() []os.Signal {
	return []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}
}

// CancelOnSignal returns a copy of parent that is cancelled, with an *Interrupted as its cause,
// when rolehop gets SIGINT, SIGTERM or SIGHUP, so that a program run with it is stopped with
// its group and rolehop can say why it stops. A signal rolehop started with ignored (nohup, a
// background job of a script) stays ignored: catching it would also make the program stop
// ignoring it.
//
// The returned function stops catching the signals and cancels the context. It returns the
// *Interrupted if a signal came meanwhile, even one that came after the program had finished,
// so that the caller stops as it was asked to rather than go on.
func CancelOnSignal(parent context.Context) (context.Context, func() error) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	for _, sig := range stopSignals() {
		if !signal.Ignored(sig) {
			signal.Notify(sigs, sig)
		}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		select {
		case sig := <-sigs:
			cancel(&Interrupted{Signal: sig})
		case <-quit:
		}
	}()
	return ctx, func() error {
		signal.Stop(sigs)
		close(quit)
		<-done
		select {
		case sig := <-sigs: // came as the goroutine was told to quit
			cancel(&Interrupted{Signal: sig})
		default:
		}
		var in *Interrupted
		interrupted := errors.As(context.Cause(ctx), &in)
		cancel(nil)
		if interrupted {
			return in
		}
		return nil
	}
}
