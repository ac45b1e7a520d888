// Package trust decides which rolehop.hcl files may set the settings that run a program
// (auth_provider_cmd, mfa_token_cmd). Any repository can carry a rolehop.hcl, and rolehop reads
// every one from the working directory up, so a file found that way is trusted only when the
// user said so: by recording it with 'rolehop trust' (its path and the SHA-256 of its content,
// so an edited file is untrusted again), or by listing a directory above it in
// ROLEHOP_TRUSTED_PATHS. A file the user names with --config needs no trust; the caller knows
// that case.
package trust

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"strings"
)

// PathsEnv lists directories below which every file is trusted, separated as in PATH.
const PathsEnv = "ROLEHOP_TRUSTED_PATHS"

// Verdict is whether one file is trusted, and why.
type Verdict struct {
	Trusted bool
	// Changed is set for a file trusted once whose content has changed since.
	Changed bool
	// Why says how the verdict was reached, as 'rolehop config' shows it after "trusted" or
	// "not trusted".
	Why string
}

// Policy decides which files are trusted.
type Policy struct {
	// Dirs are absolute directories, symlinks resolved, below which every file is trusted.
	Dirs []string
	// List holds the files trusted one by one; nil means none.
	List *List
	// listErr is why the list could not be read. It matters only for a file that no directory
	// trusts: CI may list its directories and have no home directory.
	listErr error
}

// FromEnv reads the policy of the environment: the directories in ROLEHOP_TRUSTED_PATHS and the
// trust list at ListPath.
func FromEnv(lookupEnv func(string) (string, bool)) (Policy, error) {
	v, _ := lookupEnv(PathsEnv)
	dirs, err := ParseDirs(v)
	if err != nil {
		return Policy{}, err
	}
	p := Policy{Dirs: dirs}
	path, err := ListPath(lookupEnv)
	if err == nil {
		p.List, err = Load(path)
	}
	p.listErr = err
	return p, nil
}

// Check says whether the file at path, whose content as read has the SHA-256 sum, is trusted.
// Comparing the sum of what the caller read, rather than reading the file again, leaves no gap
// in which the file could change between the check and its use.
func (p Policy) Check(path string, sum [sha256.Size]byte) (Verdict, error) {
	real, err := Canonical(path)
	if err != nil {
		return Verdict{}, fmt.Errorf("check whether %s is trusted: %w", path, err)
	}
	for _, d := range p.Dirs {
		if Below(d, real) {
			return Verdict{Trusted: true, Why: "below " + d + " in " + PathsEnv}, nil
		}
	}
	if p.listErr != nil {
		return Verdict{}, p.listErr
	}
	if p.List != nil {
		if e, ok := p.List.Lookup(real); ok {
			if e.Sum == sum {
				return Verdict{Trusted: true, Why: "recorded by 'rolehop trust'"}, nil
			}
			return Verdict{Changed: true, Why: "changed since 'rolehop trust'"}, nil
		}
	}
	return Verdict{Why: "never trusted"}, nil
}

// ParseDirs reads a ROLEHOP_TRUSTED_PATHS value: absolute directories separated as in PATH.
// Empty entries are skipped. Each is cleaned and its symlinks resolved, as file paths are, so
// the two compare; a directory that does not exist is kept as written, and nothing is below it.
func ParseDirs(list string) ([]string, error) {
	var dirs []string
	for _, d := range filepath.SplitList(list) {
		if d == "" {
			continue
		}
		if !filepath.IsAbs(d) {
			return nil, fmt.Errorf("env %s: %q is a relative path; list absolute directories, separated by %q", PathsEnv, d, string(filepath.ListSeparator))
		}
		real, err := filepath.EvalSymlinks(d)
		if err != nil {
			real = filepath.Clean(d)
		}
		dirs = append(dirs, real)
	}
	return dirs, nil
}

// Below says whether path lies inside dir: dir must be a prefix of path ending at a separator,
// so /a/b holds /a/b/rolehop.hcl but not /a/bc/rolehop.hcl. Both must be clean.
func Below(dir, path string) bool {
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		dir += string(filepath.Separator)
	}
	return strings.HasPrefix(path, dir)
}

// Canonical returns the absolute path, clean, with every symlink resolved, under which a file is
// recorded and compared.
func Canonical(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}
