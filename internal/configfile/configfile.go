// Package configfile finds and reads rolehop.hcl files.
//
// Loading parses every file that applies and checks its structure (unknown
// attributes and blocks, duplicates, both spellings of the role chain), but
// evaluates an expression only when a caller asks for its value, so a value
// that a nearer file overrides is never evaluated. Layering the files against
// flags and environment variables is left to the caller.
package configfile

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/rolehop/rolehop/internal/display"
)

// FileName is the name of the files that Discover looks for.
const FileName = "rolehop.hcl"

// Pos is where a value was written.
type Pos struct {
	// File is the absolute path of the file.
	File string
	// Display is File relative to the working directory (Options.Dir) when
	// that is shorter, else File; it is what errors show.
	Display string
	// Line and Column start at 1.
	Line, Column int
}

// String returns "<display>:<line>", or "" for the zero Pos.
func (p Pos) String() string {
	if p.File == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d", p.Display, p.Line)
}

// Dir returns the directory of the file, against which relative paths written
// in it are resolved.
func (p Pos) Dir() string {
	return filepath.Dir(p.File)
}

// Field is a string value of an assume_role block.
type Field struct {
	Value string
	Pos   Pos
	// Set is false when the attribute is absent or null.
	Set bool
}

// Tag is a session tag of an assume_role block.
type Tag struct {
	Key, Value string
}

// Role is one hop of the role chain. The list and map values are nil and
// their Pos is zero when the attribute is absent or null.
type Role struct {
	// Pos is where the assume_role block or the iam_role attribute starts.
	Pos Pos

	RoleARN, ExternalID, SessionName, Duration, SourceIdentity, Policy, MFASerial Field

	// Tags are sorted by key.
	Tags                 []Tag
	TagsPos              Pos
	TransitiveTagKeys    []string
	TransitiveTagKeysPos Pos
	PolicyARNs           []string
	PolicyARNsPos        Pos
}

// Options is what reading rolehop.hcl files takes from the process that reads them.
type Options struct {
	// Dir is the working directory, an absolute path: relative paths given to Discover and
	// Load are taken from it, and messages show paths relative to it when that is shorter.
	// With "", relative paths are an error and messages show absolute paths.
	Dir string
	// LookupEnv looks up environment variables for get_env; nil means none is set.
	LookupEnv func(string) (string, bool)
}

// Config is the merged view of the files that apply. Its methods may be
// called concurrently.
type Config struct {
	files  []*file // nearest first
	env    func(string) (string, bool)
	dir    string // the working directory, or ""
	schema schema
}

// file is one parsed and checked rolehop.hcl.
type file struct {
	path    string
	display string
	// sum is the SHA-256 of the content parsed.
	sum [sha256.Size]byte
	// attrs are the top-level attributes, iam_role included.
	attrs  map[string]*hclsyntax.Attribute
	blocks []*hclsyntax.Block // assume_role blocks, in source order
}

// Discover loads every FileName from dir up to the filesystem root, nearest
// first, stopping after a file that sets root = true.
func Discover(dir string, o Options) (*Config, error) {
	c := newConfig(o)
	d, err := c.abs(dir)
	if err != nil {
		return nil, fmt.Errorf("find %s files: %w", FileName, err)
	}
	for {
		path := filepath.Join(d, FileName)
		src, err := readFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, c.readError(path, err)
		default:
			f, err := c.parse(path, src)
			if err != nil {
				return nil, err
			}
			c.files = append(c.files, f)
			root, err := c.isRoot(f)
			if err != nil {
				return nil, err
			}
			if root {
				return c, nil
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return c, nil
		}
		d = parent
	}
}

// Nearest returns the path of the first FileName from dir up to the filesystem root, without
// reading it; ok is false when there is none.
func Nearest(dir string) (path string, ok bool, err error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", false, fmt.Errorf("find %s: %w", FileName, err)
	}
	for {
		path := filepath.Join(d, FileName)
		switch _, err := os.Stat(path); {
		case err == nil:
			return path, true, nil
		case !errors.Is(err, fs.ErrNotExist):
			return "", false, fmt.Errorf("find %s: %w", FileName, err)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", false, nil
		}
		d = parent
	}
}

// Load loads exactly the file at path, whatever its name, and no other; root
// is not evaluated.
func Load(path string, o Options) (*Config, error) {
	c := newConfig(o)
	abs, err := c.abs(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	src, err := readFile(abs)
	if err != nil {
		return nil, c.readError(abs, err)
	}
	f, err := c.parse(abs, src)
	if err != nil {
		return nil, err
	}
	c.files = []*file{f}
	return c, nil
}

func newConfig(o Options) *Config {
	env := o.LookupEnv
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	return &Config{env: env, dir: o.Dir, schema: newSchema()}
}

// abs returns path made absolute against the working directory.
func (c *Config) abs(path string) (string, error) {
	switch {
	case filepath.IsAbs(path):
		return filepath.Clean(path), nil
	case !filepath.IsAbs(c.dir):
		return "", fmt.Errorf("%s is a relative path, and the working directory is not known", path)
	}
	return filepath.Join(c.dir, path), nil
}

// Files returns the absolute paths of the files read, nearest first.
func (c *Config) Files() []string {
	paths := make([]string, len(c.files))
	for i, f := range c.files {
		paths[i] = f.path
	}
	return paths
}

// Sum returns the SHA-256 of the content read from the file at path, one of Files; ok is false
// for any other path.
func (c *Config) Sum(path string) (sum [sha256.Size]byte, ok bool) {
	for _, f := range c.files {
		if f.path == path {
			return f.sum, true
		}
	}
	return sum, false
}

// String evaluates the top-level attribute name, which must be of string or
// duration kind, from the nearest file that sets it to a non-null value. A
// duration written as a number is returned as its decimal string; one written
// as a string is returned unparsed. ok is false when no file sets it.
func (c *Config) String(name string) (value string, pos Pos, ok bool, err error) {
	attr, known := c.schema.attrs[name]
	if !known || name == attrRoot {
		return "", Pos{}, false, fmt.Errorf("%q is not a string setting of %s", name, FileName)
	}
	for _, f := range c.files {
		a, ok := f.attrs[name]
		if !ok {
			continue
		}
		v, err := c.value(f, a, attr)
		if err != nil {
			return "", Pos{}, false, err
		}
		if v.set {
			if attr.kind == kindBool {
				v.str = strconv.FormatBool(v.b)
			}
			return v.str, v.pos, true, nil
		}
	}
	return "", Pos{}, false, nil
}

// Roles evaluates the role chain of the nearest file that sets iam_role to a
// non-null value or has assume_role blocks. An iam_role gives one Role with
// only RoleARN set. ok is false when no file sets the chain.
func (c *Config) Roles() (roles []Role, ok bool, err error) {
	for _, f := range c.files {
		if len(f.blocks) > 0 {
			roles, err := c.blockRoles(f)
			if err != nil {
				return nil, false, err
			}
			return roles, true, nil
		}
		a, ok := f.attrs[attrIAMRole]
		if !ok {
			continue
		}
		v, err := c.value(f, a, attrSpec{attrIAMRole, kindString})
		if err != nil {
			return nil, false, err
		}
		if v.set {
			return []Role{{Pos: v.pos, RoleARN: v.field()}}, true, nil
		}
	}
	return nil, false, nil
}

func (c *Config) blockRoles(f *file) ([]Role, error) {
	roles := make([]Role, 0, len(f.blocks))
	for _, b := range f.blocks {
		r := Role{Pos: f.pos(b.TypeRange.Start)}
		for _, s := range roleAttrs() {
			a, ok := b.Body.Attributes[s.name]
			if !ok {
				continue
			}
			v, err := c.value(f, a, s.attrSpec)
			if err != nil {
				return nil, err
			}
			if !v.set {
				if s.required {
					return nil, f.errorAt(a.Expr.Range().Start, s.name+" must not be null")
				}
				continue
			}
			s.set(&r, v)
		}
		roles = append(roles, r)
	}
	return roles, nil
}

func (c *Config) isRoot(f *file) (bool, error) {
	a, ok := f.attrs[attrRoot]
	if !ok {
		return false, nil
	}
	v, err := c.value(f, a, attrSpec{attrRoot, kindBool})
	if err != nil {
		return false, err
	}
	return v.set && v.b, nil
}

// parse parses and checks one file without evaluating any expression.
func (c *Config) parse(path string, src []byte) (*file, error) {
	f := &file{path: path, display: display.Path(path, c.dir), sum: sha256.Sum256(src)}
	if at, deep := tooDeep(src, maxNesting); deep {
		return nil, f.errorAt(at, fmt.Sprintf("expression nested more than %d levels deep (brackets, braces, parentheses, interpolations and operators); write it more simply", maxNesting))
	}
	// hcl quotes the file name in some messages, so give it the display path.
	hf, diags := hclsyntax.ParseConfig(src, f.display, hcl.InitialPos)
	if d := firstError(diags); d != nil {
		at := hcl.InitialPos
		if d.Subject != nil {
			at = d.Subject.Start
		}
		return nil, f.errorAt(at, diagMessage(d, nil)+unquotedHint(src, at))
	}
	// hclsyntax always produces its own body type.
	body := hf.Body.(*hclsyntax.Body)
	if p := check(body, c.schema); p != nil {
		return nil, f.errorAt(p.pos, p.msg)
	}
	f.attrs = body.Attributes
	for _, b := range body.Blocks {
		if b.Type == blockAssumeRole {
			f.blocks = append(f.blocks, b)
		}
	}
	return f, nil
}

// unquotedHint returns a hint to append to a syntax error on a line that holds an unquoted
// ARN: how to write it.
func unquotedHint(src []byte, at hcl.Pos) string {
	lines := bytes.Split(src, []byte("\n"))
	if at.Line < 1 || at.Line > len(lines) {
		return ""
	}
	// An attribute whose value is an ARN written without quotes, which HCL reads as an
	// expression and stops at its first colon ("missing newline after argument"). Compiled
	// here, on the error path only, not at every start.
	bareARN := regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(arn:[^\s"#]+)\s*(?:(?:#|//).*)?$`)
	m := bareARN.FindSubmatch(bytes.TrimSuffix(lines[at.Line-1], []byte("\r")))
	if m == nil {
		return ""
	}
	return fmt.Sprintf("; a string value is written in double quotes: %s = %q", m[1], m[2])
}

// readError reports a failure to read a config file, naming it.
func (c *Config) readError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s: %w", display.Path(path, c.dir), err)
}

func (f *file) pos(p hcl.Pos) Pos {
	return Pos{File: f.path, Display: f.display, Line: p.Line, Column: p.Column}
}

// errorAt returns the one-line error "<file>:<line>:<column>: <msg>".
func (f *file) errorAt(p hcl.Pos, msg string) error {
	return fmt.Errorf("%s:%d:%d: %s", f.display, p.Line, p.Column, display.OneLine(msg))
}
