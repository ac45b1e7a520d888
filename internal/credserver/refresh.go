package credserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/rolehop/rolehop/internal/credcheck"
)

// refreshWait bounds how long a request waits for a refresh it triggered. SDKs give the
// container endpoint about a second (botocore 2s, JS v3 1s), and the current credentials
// are still valid, so a request that waits longer is better served with them.
const refreshWait = 500 * time.Millisecond

// maxBackoffRatio keeps RetryMax/RetryMin within what a time.Duration of seconds can hold.
const maxBackoffRatio = 1 << 20

// refresher holds the credentials being served and renews them ahead of their margin.
type refresher struct {
	source   aws.CredentialsProvider
	log      *slog.Logger
	now      func() time.Time
	margin   time.Duration
	retryMin time.Duration
	retryMax time.Duration
	backoff  *retry.ExponentialJitterBackoff
	kick     chan struct{}

	mu       sync.Mutex
	creds    aws.Credentials
	freshTil time.Time     // served credentials keep at least their margin until then
	next     time.Time     // when the next refresh attempt is due
	failures int           // consecutive failed attempts
	lastErr  error         // why the last attempt failed; nil after a success
	done     chan struct{} // closed when the current or next attempt completes
}

func newRefresher(o Options) *refresher {
	ratio := min(float64(o.RetryMax-o.RetryMin)/float64(o.RetryMin), maxBackoffRatio)
	return &refresher{
		source:   o.Credentials,
		log:      o.Log,
		now:      o.Now,
		margin:   o.Margin,
		retryMin: o.RetryMin,
		retryMax: o.RetryMax,
		backoff:  retry.NewExponentialJitterBackoff(time.Duration(ratio * float64(time.Second))),
		kick:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
}

// get returns credentials to serve. Inside the margin it first waits (briefly) for a
// due refresh; it returns an error, the reason of the last failure, only when the
// credentials it holds have expired.
func (r *refresher) get(ctx context.Context) (aws.Credentials, error) {
	r.mu.Lock()
	now := r.now()
	if !r.creds.CanExpire || now.Before(r.freshTil) {
		defer r.mu.Unlock()
		return r.creds, nil
	}
	if !now.Before(r.next) {
		done := r.done
		r.mu.Unlock()
		select {
		case r.kick <- struct{}{}:
		default:
		}
		timer := time.NewTimer(refreshWait)
		select {
		case <-done:
		case <-timer.C:
		case <-ctx.Done():
		}
		timer.Stop()
		r.mu.Lock()
		now = r.now()
	}
	defer r.mu.Unlock()
	if now.Before(r.creds.Expires) {
		return r.creds, nil
	}
	if r.lastErr != nil {
		return aws.Credentials{}, r.lastErr
	}
	return aws.Credentials{}, errors.New("credentials expired before they could be refreshed")
}

// run refreshes whenever an attempt is due, until ctx is done.
func (r *refresher) run(ctx context.Context) {
	for {
		if ctx.Err() != nil {
			// Closed: a refresh attempted now would fail at once and be due again at once.
			return
		}
		r.mu.Lock()
		static := !r.creds.CanExpire
		wait := r.next.Sub(r.now())
		r.mu.Unlock()
		if static {
			return
		}
		if wait > 0 {
			timer := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
			case <-r.kick:
				timer.Stop()
			}
			// A kick or a timer may be stale (for example a kick sent while the last
			// attempt was running), so look at the schedule again.
			continue
		}
		r.refresh(ctx)
	}
}

// refresh makes one attempt and schedules the next.
func (r *refresher) refresh(ctx context.Context) {
	creds, err := r.source.Retrieve(ctx)
	if ctx.Err() != nil {
		return
	}
	now := r.now()

	r.mu.Lock()
	if err == nil {
		err = r.accept(creds, now)
	}
	var delay time.Duration
	if err != nil {
		delay = r.retryDelay(r.failures, err)
		r.failures++
		r.lastErr = err
		r.next = now.Add(delay)
	}
	failures, freshTil, next, validTil := r.failures, r.freshTil, r.next, r.creds.Expires
	close(r.done)
	r.done = make(chan struct{})
	r.mu.Unlock()

	if err != nil {
		r.log.Warn("credential refresh failed", "error", err.Error(), "attempt", failures, "retry_in", delay,
			"served_credentials_expire", validTil.UTC())
		return
	}
	r.log.Debug("credentials refreshed", "expires", creds.Expires.UTC(), "fresh_until", freshTil.UTC(), "next_refresh", next.UTC())
}

// accept checks fetched credentials and, when they are usable, serves them from now on
// and schedules their refresh. r.mu must be held.
func (r *refresher) accept(creds aws.Credentials, now time.Time) error {
	if err := credcheck.Usable(creds, now); err != nil {
		return fmt.Errorf("fetched credentials refused: %w", err)
	}
	if creds.CanExpire && r.creds.CanExpire && !creds.Expires.After(r.creds.Expires) {
		// Accepting them would schedule ever closer refreshes, hammering STS.
		return fmt.Errorf("fetched credentials expire at %s, no later than the ones being served",
			creds.Expires.UTC().Format(time.RFC3339))
	}
	r.creds = creds
	r.failures = 0
	r.lastErr = nil
	if !creds.CanExpire {
		return nil
	}
	life := creds.Expires.Sub(now)
	r.freshTil = creds.Expires.Add(-min(r.margin, life/2))
	// Start ahead of the margin by 5–15% of the lifetime, so the new credentials are in
	// place before the margin is crossed and many rolehops do not call STS in step.
	lead := life/20 + rand.N(life/10+1)
	r.next = r.freshTil.Add(-lead)
	if floor := now.Add(r.retryMin); r.next.Before(floor) {
		r.next = floor
	}
	return nil
}

// retryDelay is the pause after the attempt-th consecutive failure (counting from 0): at
// least retryMin, at most retryMax, growing exponentially with full jitter on top.
func (r *refresher) retryDelay(attempt int, err error) time.Duration {
	if r.retryMax <= r.retryMin {
		return r.retryMin
	}
	// The SDK's backoff counts from a base of one second; read its answer in units of
	// retryMin instead.
	d, berr := r.backoff.BackoffDelay(attempt, err)
	if berr != nil {
		return r.retryMax
	}
	return min(r.retryMin+time.Duration(d.Seconds()*float64(r.retryMin)), r.retryMax)
}
