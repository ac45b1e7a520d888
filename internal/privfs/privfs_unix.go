//go:build unix

package privfs

import (
	"fmt"
	"io/fs"
	"os"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"
)

// OpenFlags are the flags every open of a private file adds: they keep an open from
// following a symbolic link or waiting for a named pipe's writer. Code that opens such a
// file through a library (gofrs/flock) passes them on.
const OpenFlags = unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC

// checkDir checks the directory at path, opened without following a link, against uid, and
// makes it 0700 through the descriptor it checked, so that no rename in between can make
// it change another directory's mode.
func checkDir(path string, uid int) error {
	f, err := open(path, unix.O_RDONLY|unix.O_DIRECTORY, "a directory")
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := owned(f, path, uid)
	if err != nil {
		return err
	}
	switch perm := info.Mode().Perm(); {
	case perm&0o022 != 0:
		return fmt.Errorf("%s can be written by other users (mode %04o): check what is in it, then run chmod 700 %s", path, perm, path)
	case perm != 0o700:
		if err := f.Chmod(0o700); err != nil {
			return fmt.Errorf("make %s private (mode 0700): %w", path, err)
		}
	}
	return nil
}

func openFile(path string, flag, uid int) (*os.File, error) {
	f, err := open(path, flag, "a regular file")
	if err != nil {
		return nil, err
	}
	if err := checkFile(f, path, uid); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// checkFile checks the open file f against uid and makes it 0600 through f.
func checkFile(f *os.File, path string, uid int) error {
	info, err := owned(f, path, uid)
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return kindError(path, info.Mode(), "a regular file")
	}
	if info.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return fmt.Errorf("make %s private (mode 0600): %w", path, err)
		}
	}
	return nil
}

// open opens path with OpenFlags added. O_NOFOLLOW fails with ELOOP on a link, O_DIRECTORY
// with ENOTDIR on anything but a directory, O_CREATE with EISDIR on a directory, and
// O_NONBLOCK with ENXIO on a named pipe opened for writing with no reader: those errors say
// what is there instead.
func open(path string, flag int, want string) (*os.File, error) {
	fd, err := unix.Open(path, flag|OpenFlags, 0o600)
	if err != nil {
		if slices.Contains([]error{unix.ELOOP, unix.ENOTDIR, unix.EISDIR, unix.ENXIO}, err) {
			if info, lerr := os.Lstat(path); lerr == nil {
				return nil, kindError(path, info.Mode(), want)
			}
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// owned returns what f is, if it belongs to uid.
func owned(f *os.File, path string, uid int) (fs.FileInfo, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", path, err)
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != uid {
		return nil, fmt.Errorf("%s belongs to uid %d, not to you (uid %d): remove it, or chown it to yourself", path, st.Uid, uid)
	}
	return info, nil
}
