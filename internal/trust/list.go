package trust

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ListPath returns where the trust list is kept: $XDG_CONFIG_HOME/rolehop/trusted, with
// XDG_CONFIG_HOME defaulting to $HOME/.config.
func ListPath(lookupEnv func(string) (string, bool)) (string, error) {
	if dir, ok := lookupEnv("XDG_CONFIG_HOME"); ok && dir != "" {
		if !filepath.IsAbs(dir) {
			return "", fmt.Errorf("env XDG_CONFIG_HOME: %q is a relative path; set it to an absolute directory, or unset it to use $HOME/.config", dir)
		}
		return filepath.Join(dir, "rolehop", "trusted"), nil
	}
	home, _ := lookupEnv("HOME")
	if home == "" {
		return "", errors.New("neither XDG_CONFIG_HOME nor HOME is set, so there is no config directory for the list of trusted files; set HOME")
	}
	if !filepath.IsAbs(home) {
		return "", fmt.Errorf("env HOME: %q is a relative path; set it to an absolute directory", home)
	}
	return filepath.Join(home, ".config", "rolehop", "trusted"), nil
}

// Entry is one trusted file.
type Entry struct {
	// Path is absolute and clean, symlinks resolved (see Canonical).
	Path string
	// Sum is the SHA-256 of the content that was trusted.
	Sum [sha256.Size]byte
}

// State is what became of a trusted file.
type State int

// The states of a trusted file.
const (
	// Unchanged: the file still has the content that was trusted.
	Unchanged State = iota
	// Changed: the file's content is no longer what was trusted.
	Changed
	// Missing: no file is at the path any more.
	Missing
)

// String names the state as 'rolehop trust --list' shows it.
func (s State) String() string {
	switch s {
	case Unchanged:
		return "trusted"
	case Changed:
		return "changed since trusted (not trusted)"
	}
	return "no longer exists"
}

// State reads the file again and says whether it still has the content that was trusted.
func (e Entry) State() (State, error) {
	b, err := os.ReadFile(e.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Missing, nil
	case err != nil:
		return 0, err
	case sha256.Sum256(b) == e.Sum:
		return Unchanged, nil
	}
	return Changed, nil
}

// List is the list of files trusted one by one, kept in a text file: a line per file, the
// SHA-256 of its content in hex, two spaces and its path (the format of sha256sum). Blank lines
// and lines starting with # are ignored.
type List struct {
	path    string
	entries []Entry
}

// header starts the file, for whoever opens it.
const header = "# rolehop.hcl files trusted to run the programs they name; see 'rolehop trust --help'.\n"

// Load reads the list kept at path; a missing file is an empty list. A malformed line is an
// error naming the file and the line.
func Load(path string) (*List, error) {
	l := &List{path: path}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the list of trusted files: %w", err)
	}
	for i, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w; correct or delete the line", path, i+1, err)
		}
		l.put(e)
	}
	return l, nil
}

func parseLine(line string) (Entry, error) {
	sum, path, ok := strings.Cut(line, "  ")
	if !ok {
		return Entry{}, errors.New("not a SHA-256 in hex, two spaces and a path")
	}
	var e Entry
	// Length first: hex.Decode writes past a destination too short for its input.
	if len(sum) != hex.EncodedLen(sha256.Size) {
		return Entry{}, fmt.Errorf("%q is not a SHA-256 in hex (64 digits)", sum)
	}
	if _, err := hex.Decode(e.Sum[:], []byte(sum)); err != nil {
		return Entry{}, fmt.Errorf("%q is not a SHA-256 in hex (64 digits)", sum)
	}
	if !recordable(path) {
		return Entry{}, fmt.Errorf("%q is not a clean absolute path on one line", path)
	}
	e.Path = path
	return e, nil
}

// recordable says whether path can be written on a line of the list and read back as itself.
func recordable(path string) bool {
	return filepath.IsAbs(path) && filepath.Clean(path) == path && !strings.ContainsAny(path, "\n\r")
}

// Path returns where the list is kept.
func (l *List) Path() string { return l.path }

// Entries returns the trusted files, in the order they were added.
func (l *List) Entries() []Entry { return slices.Clone(l.entries) }

// Lookup returns the entry for path, which must be canonical.
func (l *List) Lookup(path string) (Entry, bool) {
	i := l.index(path)
	if i < 0 {
		return Entry{}, false
	}
	return l.entries[i], true
}

// Add trusts the file at path, canonical, with the content whose SHA-256 is sum, in place of
// any earlier entry for it. Call Save to keep the change.
func (l *List) Add(path string, sum [sha256.Size]byte) error {
	if !recordable(path) {
		return fmt.Errorf("trust %q: only a clean absolute path without line breaks can be recorded", path)
	}
	l.put(Entry{Path: path, Sum: sum})
	return nil
}

// Remove stops trusting the file at path and says whether it was trusted. Call Save to keep the
// change.
func (l *List) Remove(path string) bool {
	i := l.index(path)
	if i < 0 {
		return false
	}
	l.entries = slices.Delete(l.entries, i, i+1)
	return true
}

// Save writes the list: to a new file in the same directory, made readable by the user alone,
// then renamed over the old one, so a reader never sees half a list. The directory is made
// (and kept) accessible to the user alone.
func (l *List) Save() error {
	dir := filepath.Dir(l.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save the list of trusted files: %w", err)
	}
	// MkdirAll leaves an existing directory's mode as it was.
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("save the list of trusted files: %w", err)
	}
	var buf bytes.Buffer
	buf.WriteString(header)
	for _, e := range l.entries {
		fmt.Fprintf(&buf, "%s  %s\n", hex.EncodeToString(e.Sum[:]), e.Path)
	}
	if err := writeAtomic(l.path, buf.Bytes()); err != nil {
		return fmt.Errorf("save the list of trusted files: %w", err)
	}
	return nil
}

// writeAtomic replaces the file at path with data through a temporary file (created mode 0600)
// renamed over it.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// put adds e, replacing an entry with the same path.
func (l *List) put(e Entry) {
	if i := l.index(e.Path); i >= 0 {
		l.entries[i] = e
		return
	}
	l.entries = append(l.entries, e)
}

func (l *List) index(path string) int {
	return slices.IndexFunc(l.entries, func(e Entry) bool { return e.Path == path })
}
