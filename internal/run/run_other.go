//go:build !unix

package run

import (
	"os"
	"path/filepath"
	"strings"
)

// catchable returns the signals rolehop outlives while the child runs.
func catchable() []os.Signal {
	return []os.Signal{os.Interrupt}
}

// deliveredByTerminal reports true: a Windows console sends Ctrl-C to every process attached
// to it, the child included, and there is no way to send it to a single process.
func deliveredByTerminal(os.Signal) bool {
	return true
}

// exitStatus returns the child's exit code.
func exitStatus(state *os.ProcessState) int {
	return state.ExitCode()
}

// hasDirectory reports whether name is a path rather than a name to look up on PATH.
func hasDirectory(name string) bool {
	return strings.ContainsAny(name, `/\:`)
}

// probe looks for path itself when it has an extension, then for path with each extension
// listed in PATHEXT, and returns the first regular file found.
func probe(path string, env []string) (string, fileKind) {
	candidates := []string{}
	if filepath.Ext(path) != "" {
		candidates = append(candidates, path)
	}
	exts := getenv(env, "PATHEXT")
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
			return c, isExecutable
		}
	}
	return path, missing
}

// sameEnvKey reports whether two environment variable names are the same variable.
func sameEnvKey(a, b string) bool {
	return strings.EqualFold(a, b)
}
