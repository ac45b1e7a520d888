//go:build unix

package credcache

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestLockPathsAreNotFollowed puts something other than a private lock file or directory
// where the cache takes its lock: Retrieve must fail with an error naming the path and what
// to do, touch nothing elsewhere, never block, and fetch nothing.
func TestLockPathsAreNotFollowed(t *testing.T) {
	elsewhere := t.TempDir()
	target := filepath.Join(elsewhere, "target")
	if err := os.WriteFile(target, []byte("not a lock"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(target, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(elsewhere, "missing")
	elsewhereInfo, err := os.Stat(elsewhere)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		// prepare gets the lock directory and the lock file's path in it.
		prepare func(t *testing.T, dir, lock string)
		want    string // the error, with DIR and LOCK for the paths
	}{
		{
			name:    "lock file is a link to a file",
			prepare: func(t *testing.T, _, lock string) { must(t, os.Symlink(target, lock)) },
			want:    "the cache lock file: LOCK is a symbolic link (rolehop does not follow links here), not a regular file: remove it",
		},
		{
			name:    "lock file is a dangling link",
			prepare: func(t *testing.T, _, lock string) { must(t, os.Symlink(missing, lock)) },
			want:    "the cache lock file: LOCK is a symbolic link (rolehop does not follow links here), not a regular file: remove it",
		},
		{
			name:    "lock file is a named pipe",
			prepare: func(t *testing.T, _, lock string) { must(t, unix.Mkfifo(lock, 0o600)) },
			want:    "the cache lock file: LOCK is a named pipe, not a regular file: remove it",
		},
		{
			name:    "lock directory is writable by others",
			prepare: func(t *testing.T, dir, _ string) { must(t, os.Chmod(dir, 0o777)) },
			want:    "the cache lock directory: DIR can be written by other users (mode 0777): check what is in it, then run chmod 700 DIR",
		},
		{
			name: "lock directory is a link",
			prepare: func(t *testing.T, dir, _ string) {
				must(t, os.Remove(dir))
				must(t, os.Symlink(elsewhere, dir))
			},
			want: "the cache lock directory: DIR is a symbolic link (rolehop does not follow links here), not a directory: remove it",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "locks")
			must(t, os.Mkdir(dir, 0o700))
			lock := filepath.Join(dir, testKey.hash())
			tt.prepare(t, dir, lock)
			c, _ := newCache(t, newMemStore(), Options{LockDir: dir, LockTimeout: time.Second})
			inner := &fakeProvider{creds: temporary("NEW", t0.Add(time.Hour))}

			done := make(chan error, 1)
			go func() {
				_, err := c.Provider(testKey, inner).Retrieve(context.Background())
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Retrieve still blocked after 10s")
			}

			want := strings.NewReplacer("DIR", dir, "LOCK", lock).Replace(tt.want)
			if err == nil || err.Error() != want {
				t.Errorf("Retrieve error = %v\nwant %s", err, want)
			}
			if n := inner.calls.Load(); n != 0 {
				t.Errorf("inner provider called %d times", n)
			}
			if b, err := os.ReadFile(target); err != nil || string(b) != "not a lock" {
				t.Errorf("the link's target now holds %q (%v)", b, err)
			}
			if info, err := os.Stat(target); err != nil || info.Mode().Perm() != 0o644 {
				t.Errorf("the link's target has mode %v (%v), want 0644", info.Mode().Perm(), err)
			}
			if _, err := os.Lstat(missing); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the dangling link's target was created: %v", err)
			}
			if info, err := os.Stat(elsewhere); err != nil || info.Mode() != elsewhereInfo.Mode() {
				t.Errorf("the directory a link points to has mode %v (%v), want %v still", info.Mode(), err, elsewhereInfo.Mode())
			}
			if entries, err := os.ReadDir(elsewhere); err != nil || len(entries) != 1 {
				t.Errorf("the directory a link points to holds %v (%v), want only its own file", entries, err)
			}
		})
	}
}

// TestLockFileMadePrivate checks that a lock directory and file others may read are made
// 0700 and 0600 before use.
func TestLockFileMadePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	must(t, os.Mkdir(dir, 0o755))
	must(t, os.Chmod(dir, 0o755))
	lock := filepath.Join(dir, testKey.hash())
	must(t, os.WriteFile(lock, nil, 0o644))
	must(t, os.Chmod(lock, 0o644))
	c, _ := newCache(t, newMemStore(), Options{LockDir: dir})
	if _, err := c.Provider(testKey, &fakeProvider{creds: temporary("NEW", t0.Add(time.Hour))}).Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]fs.FileMode{dir: 0o700, lock: 0o600} {
		if info, err := os.Stat(path); err != nil || info.Mode().Perm() != want {
			t.Errorf("%s has mode %v (%v), want %v", path, info.Mode().Perm(), err, want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
