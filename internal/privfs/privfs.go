// Package privfs opens the files and directories rolehop keeps for itself (cache lock files,
// the encrypted file keyring) so that nobody else can swap them from under it: it never
// follows a symbolic link in a path's last element, never blocks opening a named pipe, and
// insists that directories and files belong to the user and are private to them (0700 and
// 0600).
package privfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Dir makes sure path is a directory of the user's that only the user can use, creating it
// and any missing parents with mode 0700. An existing directory that others may read or
// search is made 0700. A directory that others may write, one owned by another user, a
// symbolic link or anything but a directory is an error that names path and what would fix
// it: rolehop cannot tell what others put there.
func Dir(path string) error {
	if err := os.MkdirAll(path, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		if info, lerr := os.Lstat(path); lerr == nil {
			return kindError(path, info.Mode(), "a directory")
		}
		return fmt.Errorf("create %s: %w", path, err)
	}
	return checkDir(path, os.Geteuid())
}

// OpenFile opens the regular file at path with flag (os.O_RDONLY, os.O_RDWR, with
// os.O_CREATE to create it with mode 0600), without following a symbolic link in its last
// element and without blocking on a named pipe. The file must be the user's; one that others
// may read or write is made 0600.
func OpenFile(path string, flag int) (*os.File, error) {
	return openFile(path, flag, os.Geteuid())
}

// kindError says that path is not what it should be.
func kindError(path string, mode fs.FileMode, want string) error {
	var what string
	switch {
	case mode&fs.ModeSymlink != 0:
		what = "a symbolic link (rolehop does not follow links here)"
	case mode&fs.ModeNamedPipe != 0:
		what = "a named pipe"
	case mode&fs.ModeDevice != 0:
		what = "a device"
	case mode&fs.ModeSocket != 0:
		what = "a socket"
	case mode.IsDir():
		what = "a directory"
	case mode.IsRegular():
		what = "a regular file"
	default:
		return fmt.Errorf("%s is not %s: remove it", path, want)
	}
	return fmt.Errorf("%s is %s, not %s: remove it", path, what, want)
}

// Regular checks, without following a link or blocking, that path is a regular file of the
// user's, for files that a library opens by name itself; one that others may read is made
// 0600. A missing file is an error wrapping fs.ErrNotExist.
func Regular(path string) error {
	f, err := OpenFile(path, os.O_RDONLY)
	if err != nil {
		return err
	}
	return f.Close()
}
