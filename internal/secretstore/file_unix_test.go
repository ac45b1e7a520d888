//go:build unix

package secretstore

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// returns fails the test if f has not returned after a generous while: reading a named pipe
// waits for a writer that never comes.
func returns[T any](t *testing.T, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("still blocked after 10s")
		panic("unreachable")
	}
}

func chmod(t *testing.T, path string, mode fs.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func wantMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	if info, err := os.Lstat(path); err != nil || info.Mode() != want {
		t.Errorf("%s has mode %v (%v), want %v", path, info.Mode(), err, want)
	}
}

// TestFileDirNotFollowed puts something other than a private directory where the keyring
// directory should be: Open must fail naming it and what to do, without blocking and
// without changing anything the path leads to.
func TestFileDirNotFollowed(t *testing.T) {
	t.Parallel()
	elsewhere := t.TempDir()
	chmod(t, elsewhere, 0o755)
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string)
		want    string // with DIR for the keyring directory
	}{
		{
			name:    "a link to a directory",
			prepare: func(t *testing.T, dir string) { must(t, os.Symlink(elsewhere, dir)) },
			want:    "secret store unavailable: file: the keyring directory: DIR is a symbolic link (rolehop does not follow links here), not a directory: remove it",
		},
		{
			name: "writable by others",
			prepare: func(t *testing.T, dir string) {
				must(t, os.Mkdir(dir, 0o700))
				chmod(t, dir, 0o777)
			},
			want: "secret store unavailable: file: the keyring directory: DIR can be written by other users (mode 0777): check what is in it, then run chmod 700 DIR",
		},
		{
			name:    "a named pipe",
			prepare: func(t *testing.T, dir string) { must(t, unix.Mkfifo(dir, 0o600)) },
			want:    "secret store unavailable: file: the keyring directory: DIR is a named pipe, not a directory: remove it",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "keyring")
			tt.prepare(t, dir)
			before, err := os.Lstat(dir)
			if err != nil {
				t.Fatal(err)
			}
			err = returns(t, func() error {
				_, err := Open(Options{Backend: "file", FileDir: dir, LookupEnv: env(map[string]string{PassphraseEnv: "pw"})})
				return err
			})
			wantErr(t, "Open", err, strings.ReplaceAll(tt.want, "DIR", dir), ErrUnavailable)
			wantMode(t, dir, before.Mode())
			wantMode(t, elsewhere, fs.ModeDir|0o755)
			if entries, err := os.ReadDir(elsewhere); err != nil || len(entries) != 0 {
				t.Errorf("the linked directory holds %v (%v), want nothing", entries, err)
			}
		})
	}
}

// TestFileItemsNotFollowed replaces an item's file with a link, a named pipe, or another
// item's file: Get must refuse each, never block, and never return another item's data.
func TestFileItemsNotFollowed(t *testing.T) {
	t.Parallel()
	// An item for cache:b, made in a keyring elsewhere with the same passphrase: what a link
	// would lead to.
	other := t.TempDir()
	mustSet(t, openFileStore(t, other, "pw"), "cache:b", []byte("data b from elsewhere"), "b")
	outside := filepath.Join(other, fileName("cache:b"))
	tests := []struct {
		name    string
		prepare func(t *testing.T, a, b string) // the paths of cache:a's and cache:b's files
		want    string                          // with A and B for those paths
	}{
		{
			name: "a link to an item elsewhere",
			prepare: func(t *testing.T, _, b string) {
				must(t, os.Remove(b))
				must(t, os.Symlink(outside, b))
			},
			want: "read cache:b: B is a symbolic link (rolehop does not follow links here), not a regular file: remove it",
		},
		{
			name: "a named pipe",
			prepare: func(t *testing.T, _, b string) {
				must(t, os.Remove(b))
				must(t, unix.Mkfifo(b, 0o600))
			},
			want: "read cache:b: B is a named pipe, not a regular file: remove it",
		},
		{
			name:    "another item's file",
			prepare: func(t *testing.T, a, b string) { must(t, os.Rename(a, b)) },
			want:    `read cache:b: B holds the item "cache:a", not cache:b: it was moved or copied there; remove it`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openFileStore(t, dir, "pw")
			mustSet(t, s, "cache:a", []byte("data a"), "a")
			mustSet(t, s, "cache:b", []byte("data b"), "b")
			a, b := filepath.Join(dir, fileName("cache:a")), filepath.Join(dir, fileName("cache:b"))
			tt.prepare(t, a, b)
			var got []byte
			err := returns(t, func() (err error) {
				got, err = openFileStore(t, dir, "pw").Get("cache:b")
				return err
			})
			wantErr(t, "Get(cache:b)", err, strings.NewReplacer("A", a, "B", b).Replace(tt.want))
			if got != nil {
				t.Errorf("Get(cache:b) returned %q", got)
			}
			// What is there can be replaced.
			mustSet(t, s, "cache:b", []byte("data b2"), "b2")
			wantGet(t, s, "cache:b", []byte("data b2"), "b2")
		})
	}
	wantGet(t, openFileStore(t, other, "pw"), "cache:b", []byte("data b from elsewhere"), "b")
}

// TestFileItemMadePrivate checks that an item file others may read is made 0600 when read.
func TestFileItemMadePrivate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openFileStore(t, dir, "pw")
	mustSet(t, s, "cache:a", []byte("data a"), "a")
	path := filepath.Join(dir, fileName("cache:a"))
	chmod(t, path, 0o644)
	wantGet(t, s, "cache:a", []byte("data a"), "a")
	wantMode(t, path, 0o600)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
