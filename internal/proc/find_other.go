//go:build !unix

package proc

import (
	"os"
	"path/filepath"
	"strings"
)

// hasDirectory reports whether name is a path rather than a name to look up on PATH.
func hasDirectory(name string) bool {
	return strings.ContainsAny(name, `/\:`)
}

// resolve finds the program at path, given as a path, as probe does; a directory there
// cannot be executed.
func resolve(path string, env []string) (string, error) {
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return "", errIsDirectory
	}
	return probe(path, env)
}

// probe looks for path itself when it has an extension, then for path with each extension
// listed in PATHEXT, and returns the first regular file found, or ErrNotFound.
func probe(path string, env []string) (string, error) {
	candidates := []string{}
	if filepath.Ext(path) != "" {
		candidates = append(candidates, path)
	}
	exts := Getenv(env, "PATHEXT")
	if exts == "" {
		exts = ".com;.exe;.bat;.cmd"
	}
	for _, ext := range filepath.SplitList(exts) {
		if ext != "" {
			candidates = append(candidates, path+ext)
		}
	}
	for _, c := range candidates {
		if info, err := os.Stat(c); err == nil && info.Mode().IsRegular() {
			return c, nil
		}
	}
	return "", ErrNotFound
}

// sameEnvKey reports whether two environment variable names are the same variable.
func sameEnvKey(a, b string) bool {
	return strings.EqualFold(a, b)
}
