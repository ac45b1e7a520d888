package chain

import (
	"context"
	"errors"
	"net"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"
)

// attempts keeps, for one timed STS call, the last error one of its attempts got that was not
// a timeout. When the call runs out of time, the SDK's retryer returns only the context's error
// (it was waiting to try again, or the last attempt was cut short), and the refusals or
// throttling that used the time up would go unsaid.
type attempts struct {
	mu   sync.Mutex
	last error
}

type attemptsKey struct{}

// withAttempts returns a context whose STS calls record their attempts' errors in the
// returned attempts.
func withAttempts(ctx context.Context) (context.Context, *attempts) {
	a := &attempts{}
	return context.WithValue(ctx, attemptsKey{}, a), a
}

func (a *attempts) failed(err error) {
	if noAnswer(err) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.last = err
}

// lastError returns the last error an attempt got that was not a timeout, or nil.
func (a *attempts) lastError() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

// noAnswer reports whether err only says that an attempt got no answer in time.
func noAnswer(err error) bool {
	var canceled *aws.RequestCanceledError
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.As(err, &canceled) || (errors.As(err, &ne) && ne.Timeout())
}

// recordAttempts is an API option of the STS clients: a middleware at the end of the finalize
// step, inside the retryer's loop, that tells the call's attempts (see withAttempts) what each
// attempt got. Calls without them, such as the SDK's own, are left alone.
func recordAttempts(stack *middleware.Stack) error {
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("rolehop.RecordAttempt",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleFinalize(ctx, in)
			if a, ok := ctx.Value(attemptsKey{}).(*attempts); ok && err != nil {
				a.failed(err)
			}
			return out, md, err
		}), middleware.After)
}
