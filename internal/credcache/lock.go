package credcache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/gofrs/flock"
	"github.com/rolehop/rolehop/internal/privfs"
)

// retryDelay is how often a waiting process tries the lock again: short next to an STS call,
// long enough that twenty waiting processes cost nothing.
const retryDelay = 25 * time.Millisecond

// LockError is a failure to take an entry's lock file: the lock directory or file is not
// safe to use, or another process held the lock for too long. Its message says what to do.
type LockError struct{ Err error }

func (e *LockError) Error() string { return e.Err.Error() }
func (e *LockError) Unwrap() error { return e.Err }

// lock takes the lock file of the entry whose hash is given, waiting up to LockTimeout for
// another process to let go of it, and returns the function that releases it. Its errors are
// LockErrors.
func (c *Cache) lock(ctx context.Context, hash, desc string) (func(), error) {
	unlock, err := c.tryLock(ctx, hash, desc)
	if err != nil {
		return nil, &LockError{err}
	}
	return unlock, nil
}

// tryLock is lock without the error type.
//
// The lock is flock(2) on an open file, so the kernel releases it when its holder dies, and
// goroutines of one process exclude each other as processes do (each opens the file anew).
func (c *Cache) tryLock(ctx context.Context, hash, desc string) (func(), error) {
	f, checked, err := c.lockFile(hash)
	if err != nil {
		return nil, err
	}
	wait, cancel := context.WithTimeout(ctx, c.lockTimeout)
	defer cancel()
	ok, err := f.TryLockContext(wait, retryDelay)
	switch {
	case ok:
		if err := sameFile(f, checked); err != nil {
			c.unlock(f, desc)
			return nil, err
		}
		return func() { c.unlock(f, desc) }, nil
	case ctx.Err() != nil:
		return nil, fmt.Errorf("wait for the cache lock for %s: %w", desc, context.Cause(ctx))
	case err != nil && !errors.Is(err, context.DeadlineExceeded):
		return nil, fmt.Errorf("lock %s: %w", f.Path(), err)
	}
	return nil, fmt.Errorf("another rolehop process has held the lock for %s for %s; if none is running, remove %s", desc, c.lockTimeout, f.Path())
}

// lockFile returns the (unlocked) lock file for hash, and what it was when checked: a private
// regular file in a private lock directory, both created if need be. flock opens the file
// again by name, without following a link or blocking; sameFile then makes sure it locked
// the file that was checked.
func (c *Cache) lockFile(hash string) (*flock.Flock, fs.FileInfo, error) {
	dir := c.lockDir
	if dir == "" {
		var err error
		if dir, err = defaultLockDir(c.lookupEnv); err != nil {
			return nil, nil, err
		}
	}
	if err := privfs.Dir(dir); err != nil {
		return nil, nil, fmt.Errorf("the cache lock directory: %w", err)
	}
	path := filepath.Join(dir, hash)
	checked, err := privfs.OpenFile(path, os.O_RDONLY|os.O_CREATE)
	if err != nil {
		return nil, nil, fmt.Errorf("the cache lock file: %w", err)
	}
	defer checked.Close()
	info, err := checked.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("the cache lock file: %w", err)
	}
	// Read-write, as flock needs on some systems (and on NFS) to lock exclusively.
	return flock.New(path, flock.SetFlag(os.O_RDWR|os.O_CREATE|privfs.OpenFlags)), info, nil
}

// defaultLockDir is $XDG_CACHE_HOME/rolehop/locks, else ~/.cache/rolehop/locks, with the
// variables as lookupEnv gives them.
func defaultLockDir(lookupEnv func(string) (string, bool)) (string, error) {
	base, _ := lookupEnv("XDG_CACHE_HOME")
	if !filepath.IsAbs(base) {
		// The XDG spec says a relative path is to be ignored.
		name := "HOME"
		if runtime.GOOS == "windows" {
			name = "USERPROFILE" // where os.UserHomeDir looks there
		}
		home, _ := lookupEnv(name)
		if home == "" {
			return "", fmt.Errorf("find the cache lock directory: $%s is not defined", name)
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "rolehop", "locks"), nil
}

// sameFile reports an error unless the locked file f is the one checked.
func sameFile(f *flock.Flock, checked fs.FileInfo) error {
	locked, err := f.Stat()
	if err != nil {
		return fmt.Errorf("the cache lock file: %w", err)
	}
	if !os.SameFile(locked, checked) {
		return fmt.Errorf("the cache lock file %s was replaced while rolehop opened it: remove it if no rolehop is running", f.Path())
	}
	return nil
}

// unlock releases f and closes its file.
func (c *Cache) unlock(f *flock.Flock, desc string) {
	if err := f.Unlock(); err != nil {
		c.log.Debug("cache unlock failed", "entry", desc, "lock", f.Path(), "err", err)
	}
}
