//go:build unix

package privfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// within fails the test if f has not returned after a generous while: an open that waits for
// a named pipe's writer would never return.
func within[T any](t *testing.T, f func() T) T {
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

func wantErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func wantMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s has mode %04o, want %04o", path, got, want)
	}
}

// chmod sets a mode the umask might not have let through.
func chmod(t *testing.T, path string, mode fs.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func TestDir(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	other := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	chmod(t, other, 0o755)
	tests := []struct {
		name    string
		prepare func(path string)
		want    string // the error, with PATH for the path; "" for none
		mode    fs.FileMode
	}{
		{name: "created with its parents", prepare: func(string) {}, mode: 0o700},
		{name: "private", prepare: func(p string) { mkdir(t, p, 0o700) }, mode: 0o700},
		{name: "readable by others is made private", prepare: func(p string) { mkdir(t, p, 0o755) }, mode: 0o700},
		{
			name: "writable by others", prepare: func(p string) { mkdir(t, p, 0o777) }, mode: 0o777,
			want: "PATH can be written by other users (mode 0777): check what is in it, then run chmod 700 PATH",
		},
		{
			name: "writable by the group", prepare: func(p string) { mkdir(t, p, 0o770) }, mode: 0o770,
			want: "PATH can be written by other users (mode 0770): check what is in it, then run chmod 700 PATH",
		},
		{
			name: "a link to a directory", prepare: func(p string) { symlink(t, other, p) },
			want: "PATH is a symbolic link (rolehop does not follow links here), not a directory: remove it",
		},
		{
			name: "a dangling link", prepare: func(p string) { symlink(t, filepath.Join(other, "missing"), p) },
			want: "PATH is a symbolic link (rolehop does not follow links here), not a directory: remove it",
		},
		{
			name: "a named pipe", prepare: func(p string) { mkfifo(t, p) },
			want: "PATH is a named pipe, not a directory: remove it",
		},
		{
			name: "a file", prepare: func(p string) { writeFile(t, p, "x", 0o600) },
			want: "PATH is a regular file, not a directory: remove it",
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(root, string(rune('a'+i)), "dir")
			mkdir(t, filepath.Dir(path), 0o700)
			tt.prepare(path)
			err := within(t, func() error { return Dir(path) })
			if tt.want != "" {
				wantErr(t, err, strings.ReplaceAll(tt.want, "PATH", path))
			} else if err != nil {
				t.Fatalf("Dir: %v", err)
			}
			if tt.mode != 0 {
				wantMode(t, path, tt.mode)
			}
			wantMode(t, other, 0o755)
			if _, err := os.Lstat(filepath.Join(other, "missing")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a link's target was created: %v", err)
			}
		})
	}
}

func TestDirOfAnotherUser(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	uid := os.Geteuid()
	wantErr(t, checkDir(dir, uid+1), dir+" belongs to uid "+strconv.Itoa(uid)+", not to you (uid "+strconv.Itoa(uid+1)+"): remove it, or chown it to yourself")
}

func TestOpenFile(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	target := filepath.Join(t.TempDir(), "target")
	writeFile(t, target, "not rolehop's", 0o644)
	tests := []struct {
		name    string
		prepare func(path string)
		want    string
		mode    fs.FileMode
	}{
		{name: "created", prepare: func(string) {}, mode: 0o600},
		{name: "private", prepare: func(p string) { writeFile(t, p, "", 0o600) }, mode: 0o600},
		{name: "readable by others is made private", prepare: func(p string) { writeFile(t, p, "", 0o666) }, mode: 0o600},
		{
			name: "a link to a file", prepare: func(p string) { symlink(t, target, p) },
			want: "PATH is a symbolic link (rolehop does not follow links here), not a regular file: remove it",
		},
		{
			name: "a dangling link", prepare: func(p string) { symlink(t, target+"-missing", p) },
			want: "PATH is a symbolic link (rolehop does not follow links here), not a regular file: remove it",
		},
		{
			name: "a named pipe", prepare: func(p string) { mkfifo(t, p) },
			want: "PATH is a named pipe, not a regular file: remove it",
		},
		{
			name: "a directory", prepare: func(p string) { mkdir(t, p, 0o700) },
			want: "PATH is a directory, not a regular file: remove it",
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(root, string(rune('a'+i)))
			tt.prepare(path)
			err := within(t, func() error {
				f, err := OpenFile(path, os.O_RDONLY|os.O_CREATE)
				if err == nil {
					err = f.Close()
				}
				return err
			})
			if tt.want != "" {
				wantErr(t, err, strings.ReplaceAll(tt.want, "PATH", path))
			} else if err != nil {
				t.Fatalf("OpenFile: %v", err)
			}
			if tt.mode != 0 {
				wantMode(t, path, tt.mode)
			}
			if b, err := os.ReadFile(target); err != nil || string(b) != "not rolehop's" {
				t.Errorf("the link's target now holds %q (%v)", b, err)
			}
			wantMode(t, target, 0o644)
			if _, err := os.Lstat(target + "-missing"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a link's target was created: %v", err)
			}
		})
	}
}

func TestRegular(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	if err := Regular(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Regular of a missing file = %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Lstat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Regular created the file: %v", err)
	}
	pipe := filepath.Join(dir, "pipe")
	mkfifo(t, pipe)
	wantErr(t, within(t, func() error { return Regular(pipe) }), pipe+" is a named pipe, not a regular file: remove it")
}

func TestFileOfAnotherUser(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "f")
	writeFile(t, path, "", 0o600)
	uid := os.Geteuid()
	_, err := openFile(path, os.O_RDONLY, uid+1)
	wantErr(t, err, path+" belongs to uid "+strconv.Itoa(uid)+", not to you (uid "+strconv.Itoa(uid+1)+"): remove it, or chown it to yourself")
}

func mkdir(t *testing.T, path string, mode fs.FileMode) {
	t.Helper()
	if err := os.Mkdir(path, mode); err != nil {
		t.Fatal(err)
	}
	chmod(t, path, mode)
}

func writeFile(t *testing.T, path, data string, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	chmod(t, path, mode)
}

func symlink(t *testing.T, target, path string) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}
