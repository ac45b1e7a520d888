//go:build unix

package proc

import (
	"errors"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// hasDirectory reports whether name is a path rather than a name to look up on PATH.
func hasDirectory(name string) bool {
	return strings.Contains(name, "/")
}

// resolve checks the program at path, given as a path: there, executable, not a directory.
func resolve(path string, _ []string) (string, error) {
	info, err := os.Stat(path)
	var pathErr *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", ErrNotFound
	case errors.As(err, &pathErr):
		return "", pathErr.Err // not a directory, permission denied on the way, ...
	case err != nil:
		return "", err
	case info.IsDir():
		return "", errIsDirectory
	case !executable(path, info):
		return "", fs.ErrPermission
	}
	return path, nil
}

// probe checks path, a candidate from a PATH entry: ErrNotFound when nothing is there or a
// directory, which the lookup skips; fs.ErrPermission for a file rolehop may not execute.
func probe(path string, _ []string) (string, error) {
	info, err := os.Stat(path)
	switch {
	case err != nil || info.IsDir():
		return "", ErrNotFound
	case !executable(path, info):
		return "", fs.ErrPermission
	}
	return path, nil
}

// executable reports whether the file at path, described by info, is one rolehop may execute.
func executable(path string, info os.FileInfo) bool {
	return info.Mode().IsRegular() && unix.Access(path, unix.X_OK) == nil
}

// sameEnvKey reports whether two environment variable names are the same variable.
func sameEnvKey(a, b string) bool {
	return a == b
}
