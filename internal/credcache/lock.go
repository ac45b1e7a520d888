package credcache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// retryDelay is how often a waiting process tries the lock again: short next to an STS call,
// long enough that twenty waiting processes cost nothing.
const retryDelay = 25 * time.Millisecond

// lock takes the lock file of the entry whose hash is given, waiting up to LockTimeout for
// another process to let go of it, and returns the function that releases it.
//
// The lock is flock(2) on an open file, so the kernel releases it when its holder dies, and
// goroutines of one process exclude each other as processes do (each opens the file anew).
func (c *Cache) lock(ctx context.Context, hash, desc string) (func(), error) {
	f, err := c.lockFile(hash)
	if err != nil {
		return nil, err
	}
	wait, cancel := context.WithTimeout(ctx, c.lockTimeout)
	defer cancel()
	ok, err := f.TryLockContext(wait, retryDelay)
	switch {
	case ok:
		return func() { c.unlock(f, desc) }, nil
	case ctx.Err() != nil:
		return nil, fmt.Errorf("wait for the cache lock for %s: %w", desc, context.Cause(ctx))
	case err != nil && !errors.Is(err, context.DeadlineExceeded):
		return nil, fmt.Errorf("lock %s: %w", f.Path(), err)
	}
	return nil, fmt.Errorf("another rolehop process has held the lock for %s for %s; if none is running, remove %s", desc, c.lockTimeout, f.Path())
}

// lockFile returns the (unlocked) lock file for hash, creating the lock directory if need be.
func (c *Cache) lockFile(hash string) (*flock.Flock, error) {
	dir := c.lockDir
	if dir == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if !filepath.IsAbs(base) {
			// The XDG spec says a relative path is to be ignored.
			home, err := os.UserHomeDir()
			if err != nil {
				return nil, fmt.Errorf("find the cache lock directory: %w", err)
			}
			base = filepath.Join(home, ".cache")
		}
		dir = filepath.Join(base, "rolehop", "locks")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the cache lock directory: %w", err)
	}
	return flock.New(filepath.Join(dir, hash)), nil
}

// unlock releases f and closes its file.
func (c *Cache) unlock(f *flock.Flock, desc string) {
	if err := f.Unlock(); err != nil {
		c.log.Debug("cache unlock failed", "entry", desc, "lock", f.Path(), "err", err)
	}
}
