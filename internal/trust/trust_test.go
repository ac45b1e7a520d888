package trust

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFile writes content to dir/name, making directories, and returns its canonical path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	real, err := Canonical(path)
	if err != nil {
		t.Fatal(err)
	}
	return real
}

// canonicalDir returns a fresh temporary directory with its symlinks resolved (t.TempDir may sit
// below a symlink, /tmp on macOS).
func canonicalDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestBelow(t *testing.T) {
	tests := []struct {
		dir, path string
		want      bool
	}{
		{"/a/b", "/a/b/rolehop.hcl", true},
		{"/a/b", "/a/b/c/d/rolehop.hcl", true},
		{"/a/b/", "/a/b/rolehop.hcl", true},
		{"/a/b", "/a/bc/rolehop.hcl", false},
		{"/a/b", "/a/b", false},
		{"/a/b", "/a/rolehop.hcl", false},
		{"/a/b/c", "/a/b/rolehop.hcl", false},
		{"/", "/rolehop.hcl", true},
	}
	for _, tt := range tests {
		if got := Below(tt.dir, tt.path); got != tt.want {
			t.Errorf("Below(%q, %q) = %v, want %v", tt.dir, tt.path, got, tt.want)
		}
	}
}

func TestParseDirs(t *testing.T) {
	root := canonicalDir(t)
	real := filepath.Join(root, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		value   string
		want    []string
		wantErr string
	}{
		{name: "empty", value: "", want: nil},
		{name: "empty entries skipped", value: "::" + real + ":", want: []string{real}},
		{name: "cleaned", value: real + "/./", want: []string{real}},
		{name: "symlink resolved", value: link, want: []string{real}},
		{name: "missing kept as written", value: root + "/gone/../nowhere", want: []string{root + "/nowhere"}},
		{name: "relative", value: real + ":ci/repos", wantErr: `env ROLEHOP_TRUSTED_PATHS: "ci/repos" is a relative path; list absolute directories, separated by ":"`},
		{name: "dot", value: ".", wantErr: `env ROLEHOP_TRUSTED_PATHS: "." is a relative path`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDirs(tt.value)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ":") != strings.Join(tt.want, ":") {
				t.Errorf("dirs = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	root := canonicalDir(t)
	const content = `auth_provider_cmd = "./p.sh"`
	sum := sha256.Sum256([]byte(content))
	recorded := writeFile(t, root, "home/repo/rolehop.hcl", content)
	ci := writeFile(t, root, "ci/job/rolehop.hcl", content)
	sibling := writeFile(t, root, "cix/rolehop.hcl", content)
	other := writeFile(t, root, "other/rolehop.hcl", content)
	// A link to the recorded file is the recorded file.
	link := filepath.Join(root, "clone", "rolehop.hcl")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(recorded, link); err != nil {
		t.Fatal(err)
	}
	// So is a path through a linked directory.
	linkedDir := filepath.Join(root, "home-link")
	if err := os.Symlink(filepath.Join(root, "home"), linkedDir); err != nil {
		t.Fatal(err)
	}
	list := &List{path: filepath.Join(root, "trusted")}
	if err := list.Add(recorded, sum); err != nil {
		t.Fatal(err)
	}
	dirs, err := ParseDirs(filepath.Join(root, "ci"))
	if err != nil {
		t.Fatal(err)
	}
	p := Policy{Dirs: dirs, List: list}
	edited := sha256.Sum256([]byte(content + "\n# edited"))
	tests := []struct {
		name string
		path string
		sum  [sha256.Size]byte
		want Verdict
	}{
		{"recorded", recorded, sum, Verdict{Trusted: true, Why: "recorded by 'rolehop trust'"}},
		{"recorded, then edited", recorded, edited, Verdict{Changed: true, Why: "changed since 'rolehop trust'"}},
		{"through a symlinked file", link, sum, Verdict{Trusted: true, Why: "recorded by 'rolehop trust'"}},
		{"through a symlinked directory", filepath.Join(linkedDir, "repo", "rolehop.hcl"), sum, Verdict{Trusted: true, Why: "recorded by 'rolehop trust'"}},
		{"below a trusted directory", ci, edited, Verdict{Trusted: true, Why: "below " + filepath.Join(root, "ci") + " in ROLEHOP_TRUSTED_PATHS"}},
		{"beside a trusted directory, sharing its prefix", sibling, sum, Verdict{Why: "never trusted"}},
		{"never trusted", other, sum, Verdict{Why: "never trusted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Check(tt.path, tt.sum)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Check(%s) = %+v, want %+v", tt.path, got, tt.want)
			}
		})
	}
	if v, err := (Policy{}).Check(recorded, sum); err != nil || v.Trusted {
		t.Errorf("empty policy: %+v, %v; want not trusted", v, err)
	}
	if _, err := p.Check(filepath.Join(root, "gone", "rolehop.hcl"), sum); err == nil {
		t.Error("a file that does not exist: no error")
	}
}

func TestListSaveLoad(t *testing.T) {
	root := canonicalDir(t)
	a := writeFile(t, root, "a/rolehop.hcl", "region = \"eu-west-1\"")
	b := writeFile(t, root, "b with space/rolehop.hcl", "region = \"eu-west-2\"")
	// An existing directory open to others is closed.
	dir := filepath.Join(root, "config", "rolehop")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "trusted")
	l, err := Load(path)
	if err != nil || len(l.Entries()) != 0 {
		t.Fatalf("missing list: %+v, %v; want empty", l, err)
	}
	sumA, sumB := sha256.Sum256([]byte("a")), sha256.Sum256([]byte("b"))
	for _, e := range []Entry{{a, sumB}, {b, sumB}, {a, sumA}} {
		if err := l.Add(e.Path, e.Sum); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Save(); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700 | os.ModeDir} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
	}
	names, err := os.ReadDir(dir)
	if err != nil || len(names) != 1 {
		t.Errorf("directory holds %v (%v); want the list alone, no temporary file", names, err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{{a, sumA}, {b, sumB}}
	if e := got.Entries(); len(e) != 2 || e[0] != want[0] || e[1] != want[1] {
		t.Fatalf("entries = %+v, want %+v (a replaced in place)", e, want)
	}
	if !got.Remove(a) || got.Remove(a) {
		t.Error("Remove: want true once, then false")
	}
	if err := got.Save(); err != nil {
		t.Fatal(err)
	}
	again, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := again.Lookup(a); ok {
		t.Error("a is still trusted after Remove and Save")
	}
	if e, ok := again.Lookup(b); !ok || e.Sum != sumB {
		t.Errorf("b = %+v, %v; want kept", e, ok)
	}
}

func TestAddRefuses(t *testing.T) {
	l := &List{path: filepath.Join(t.TempDir(), "trusted")}
	for _, p := range []string{"rolehop.hcl", "/a/../b/rolehop.hcl", "/a/b\n0000  /etc/rolehop.hcl"} {
		if err := l.Add(p, [sha256.Size]byte{}); err == nil {
			t.Errorf("Add(%q): no error", p)
		}
	}
	if len(l.Entries()) != 0 {
		t.Errorf("entries = %+v, want none", l.Entries())
	}
}

func TestLoadMalformed(t *testing.T) {
	good := strings.Repeat("ab", sha256.Size) + "  /repo/rolehop.hcl"
	tests := []struct {
		name, content, want string
	}{
		{"one space", "# header\n" + strings.Repeat("ab", sha256.Size) + " /repo/rolehop.hcl\n", `:2: not a SHA-256 in hex, two spaces and a path; correct or delete the line`},
		{"short sum", good + "\nabcd  /repo/rolehop.hcl\n", `:2: "abcd" is not a SHA-256 in hex (64 digits); correct or delete the line`},
		{"long sum", strings.Repeat("ab", sha256.Size+1) + "  /r\n", `:1: "` + strings.Repeat("ab", sha256.Size+1) + `" is not a SHA-256 in hex (64 digits)`},
		{"not hex", strings.Repeat("zz", sha256.Size) + "  /r\n", `:1: "` + strings.Repeat("zz", sha256.Size) + `" is not a SHA-256 in hex (64 digits)`},
		{"relative path", "\n\n" + strings.Repeat("ab", sha256.Size) + "  repo/rolehop.hcl\n", `:3: "repo/rolehop.hcl" is not a clean absolute path on one line`},
		{"unclean path", strings.Repeat("ab", sha256.Size) + "  /repo/../rolehop.hcl\n", `:1: "/repo/../rolehop.hcl" is not a clean absolute path on one line`},
		{"carriage return", good + "\r\n", `:1: "/repo/rolehop.hcl\r" is not a clean absolute path on one line`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "trusted")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil || !strings.HasPrefix(err.Error(), path+tt.want) {
				t.Errorf("error = %v, want prefix %q", err, path+tt.want)
			}
		})
	}
}

func TestListPath(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{"XDG_CONFIG_HOME", map[string]string{"XDG_CONFIG_HOME": "/x/config", "HOME": "/home/jane"}, "/x/config/rolehop/trusted", ""},
		{"HOME", map[string]string{"HOME": "/home/jane"}, "/home/jane/.config/rolehop/trusted", ""},
		{"empty XDG_CONFIG_HOME", map[string]string{"XDG_CONFIG_HOME": "", "HOME": "/home/jane"}, "/home/jane/.config/rolehop/trusted", ""},
		{"relative XDG_CONFIG_HOME", map[string]string{"XDG_CONFIG_HOME": "config", "HOME": "/home/jane"}, "", `env XDG_CONFIG_HOME: "config" is a relative path`},
		{"relative HOME", map[string]string{"HOME": "jane"}, "", `env HOME: "jane" is a relative path`},
		{"neither", nil, "", "neither XDG_CONFIG_HOME nor HOME is set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ListPath(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ListPath = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestEntryState(t *testing.T) {
	root := canonicalDir(t)
	path := writeFile(t, root, "rolehop.hcl", "a")
	tests := []struct {
		name string
		e    Entry
		want State
	}{
		{"unchanged", Entry{path, sha256.Sum256([]byte("a"))}, Unchanged},
		{"changed", Entry{path, sha256.Sum256([]byte("b"))}, Changed},
		{"missing", Entry{filepath.Join(root, "gone.hcl"), sha256.Sum256([]byte("a"))}, Missing},
	}
	for _, tt := range tests {
		got, err := tt.e.State()
		if err != nil || got != tt.want {
			t.Errorf("%s: State = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

func TestFromEnv(t *testing.T) {
	root := canonicalDir(t)
	file := writeFile(t, root, "ci/rolehop.hcl", "a")
	env := map[string]string{"HOME": root, PathsEnv: filepath.Join(root, "ci")}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	p, err := FromEnv(lookup)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := p.Check(file, sha256.Sum256([]byte("other"))); err != nil || !v.Trusted {
		t.Errorf("file below %s: %+v, %v; want trusted", PathsEnv, v, err)
	}
	if p.List == nil || p.List.Path() != filepath.Join(root, ".config", "rolehop", "trusted") {
		t.Errorf("list = %+v", p.List)
	}
	env[PathsEnv] = "ci"
	if _, err := FromEnv(lookup); err == nil || !strings.Contains(err.Error(), "env ROLEHOP_TRUSTED_PATHS") {
		t.Errorf("relative entry: %v; want an error naming the variable", err)
	}
	// Without a home there is no list, but the directories still count.
	env[PathsEnv] = filepath.Join(root, "ci")
	delete(env, "HOME")
	if p, err = FromEnv(lookup); err != nil {
		t.Fatal(err)
	}
	if v, err := p.Check(file, [sha256.Size]byte{}); err != nil || !v.Trusted {
		t.Errorf("no HOME, file below %s: %+v, %v; want trusted", PathsEnv, v, err)
	}
	env[PathsEnv] = ""
	if p, err = FromEnv(lookup); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Check(file, [sha256.Size]byte{}); err == nil || !strings.HasPrefix(err.Error(), "neither XDG_CONFIG_HOME nor HOME is set") {
		t.Errorf("no HOME, no directories: %v; want an error saying so", err)
	}
	env["HOME"] = root
	list := filepath.Join(root, ".config", "rolehop", "trusted")
	if err := os.MkdirAll(filepath.Dir(list), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(list, []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if p, err = FromEnv(lookup); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Check(file, [sha256.Size]byte{}); err == nil || !strings.HasPrefix(err.Error(), list+":1: ") {
		t.Errorf("malformed list: %v; want an error naming %s:1", err, list)
	}
}
