//go:build !unix

package privfs

import (
	"fmt"
	"os"
)

// OpenFlags is 0 where there are no O_NOFOLLOW and O_NONBLOCK: the checks by Lstat stand in.
const OpenFlags = 0

// checkDir checks that path is a directory and not a link. Ownership and modes are left to
// the system's access control lists.
func checkDir(path string, _ int) error {
	info, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	if !info.IsDir() || info.Mode()&os.ModeSymlink != 0 {
		return kindError(path, info.Mode(), "a directory")
	}
	return nil
}

func openFile(path string, flag, _ int) (*os.File, error) {
	if info, err := os.Lstat(path); err == nil && !info.Mode().IsRegular() {
		return nil, kindError(path, info.Mode(), "a regular file")
	}
	return os.OpenFile(path, flag, 0o600)
}
