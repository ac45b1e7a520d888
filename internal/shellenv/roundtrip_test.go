package shellenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// shell describes how a user of one shell evaluates rolehop's output.
type shell struct {
	name string
	// format is the output the shell evaluates.
	format Format
	// bin is the program to look for on PATH.
	bin string
	// args runs script with the output file, appended to them, as its
	// first argument.
	args func(script string) []string
	// script evaluates the file named by the first argument, then prints
	// the named variables NUL-terminated, then whether gone is still set
	// ("still-set" or ""), and then runs env -0 to show what a child sees.
	script func(names []string, gone string) string
	// fromDebian marks shells that need installing on a bare machine.
	fromDebian bool
}

func shells() []shell {
	posix := func(names []string, gone string) string {
		var s strings.Builder
		s.WriteString(`eval "$(cat "$1")"` + "\nprintf '%s\\0'")
		for _, n := range names {
			fmt.Fprintf(&s, ` "$%s"`, n)
		}
		fmt.Fprintf(&s, ` "${%s+still-set}"`+"\nexec env -0\n", gone)
		return s.String()
	}
	fish := func(names []string, gone string) string {
		var s strings.Builder
		s.WriteString("source $argv[1]\nstring join0 --")
		for _, n := range names {
			fmt.Fprintf(&s, ` "$%s"`, n)
		}
		fmt.Fprintf(&s, "\nif set -q %s; string join0 still-set; else; string join0 ''; end\nexec env -0\n", gone)
		return s.String()
	}
	return []shell{
		{name: "bash", format: SH, bin: "bash", script: posix, args: func(s string) []string { return []string{"-c", s, "bash"} }},
		{name: "bash-posix", format: SH, bin: "bash", script: posix, args: func(s string) []string { return []string{"--posix", "-c", s, "bash"} }},
		{name: "dash", format: SH, bin: "dash", script: posix, args: func(s string) []string { return []string{"-c", s, "dash"} }},
		{name: "zsh", format: SH, bin: "zsh", script: posix, fromDebian: true, args: func(s string) []string { return []string{"-c", s, "zsh"} }},
		// With RC_QUOTES, '' inside single quotes means a literal quote,
		// which would break a quoting scheme that emits ''.
		{name: "zsh-rcquotes", format: SH, bin: "zsh", script: posix, fromDebian: true, args: func(s string) []string { return []string{"-o", "rcquotes", "-c", s, "zsh"} }},
		// fish passes the arguments after the -c command as $argv.
		{name: "fish", format: Fish, bin: "fish", script: fish, fromDebian: true, args: func(s string) []string { return []string{"--no-config", "-c", s} }},
	}
}

// requireShell fails or skips t unless sh's program is installed.
func requireShell(t *testing.T, sh shell) {
	t.Helper()
	_, err := exec.LookPath(sh.bin)
	switch {
	case err == nil:
	case !sh.fromDebian:
		t.Fatalf("%s is part of every supported build machine but was not found: %v", sh.bin, err)
	case os.Getenv("CI") != "":
		t.Fatalf("%s not found and CI is set: install it with apt-get install zsh fish: %v", sh.bin, err)
	default:
		t.Skipf("%s not found; run apt-get install zsh fish to test this shell", sh.bin)
	}
}

func TestRoundTrip(t *testing.T) {
	values := hostileValues()
	set := make([]Var, len(values))
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = fmt.Sprintf("RH_V%d", i)
		set[i] = Var{Name: names[i], Value: v}
	}
	// A lower-case name and one that starts with _ are valid too.
	set = append(set, Var{Name: "rh_lower", Value: "lower'case"}, Var{Name: "_RH_UNDERSCORE", Value: "under`score`"})
	names = append(names, "rh_lower", "_RH_UNDERSCORE")
	const gone = "RH_GONE"
	unset := []string{gone, "RH_NEVER_SET"}

	for _, sh := range shells() {
		for _, locale := range []string{"C", "C.UTF-8"} {
			t.Run(sh.name+"/"+locale, func(t *testing.T) {
				requireShell(t, sh)
				dir := t.TempDir()
				file := filepath.Join(dir, "rolehop.env")
				var out bytes.Buffer
				if err := Write(&out, sh.format, set, unset); err != nil {
					t.Fatalf("Write: %v", err)
				}
				if err := os.WriteFile(file, out.Bytes(), 0o600); err != nil {
					t.Fatal(err)
				}

				ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
				t.Cleanup(cancel)
				args := append(sh.args(sh.script(names, gone)), file)
				cmd := exec.CommandContext(ctx, sh.bin, args...)
				cmd.Dir = dir
				cmd.Env = []string{
					"PATH=" + os.Getenv("PATH"),
					"HOME=" + t.TempDir(),
					"LC_ALL=" + locale,
					gone + "=present",
					// An old value must be replaced, not appended to.
					"RH_V2=stale",
				}
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					t.Fatalf("%s: %v\nstderr:\n%s", sh.name, err, stderr.String())
				}
				if stderr.Len() != 0 {
					t.Errorf("%s wrote to stderr:\n%s", sh.name, stderr.String())
				}

				fields := strings.Split(stdout.String(), "\x00")
				if len(fields) < len(names)+1 {
					t.Fatalf("%s printed %d fields, want at least %d: %q", sh.name, len(fields), len(names)+1, stdout.String())
				}
				for i, name := range names {
					if got := fields[i]; got != set[i].Value {
						t.Errorf("%s: $%s = %q, want %q", sh.name, name, got, set[i].Value)
					}
				}
				if got := fields[len(names)]; got != "" {
					t.Errorf("%s: %s still set after unset", sh.name, gone)
				}

				childEnv := map[string]string{}
				for _, kv := range fields[len(names)+1:] {
					if k, v, ok := strings.Cut(kv, "="); ok {
						childEnv[k] = v
					}
				}
				for _, v := range set {
					if got, ok := childEnv[v.Name]; !ok || got != v.Value {
						t.Errorf("%s: child process sees %s = %q (present %v), want %q", sh.name, v.Name, got, ok, v.Value)
					}
				}
				if got, ok := childEnv[gone]; ok {
					t.Errorf("%s: child process still sees %s = %q after unset", sh.name, gone, got)
				}

				entries, err := os.ReadDir(dir)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range entries {
					if e.Name() != filepath.Base(file) {
						t.Errorf("%s: evaluating the output created %q in the working directory", sh.name, e.Name())
					}
				}
			})
		}
	}
}

// dotenvReader reads a .env file the way one of its users does and prints what it got.
type dotenvReader struct {
	name string
	// bin and args run the reader on the file, appended to args.
	bin  string
	args func(names []string) []string
	// json is true when the reader prints a JSON object, false for the values NUL-terminated
	// in the order of names followed by env -0.
	json bool
	// fromDebian marks readers that need installing on a bare machine.
	fromDebian bool
	// missing, when set, says that the reader is not installed and how to install it.
	missing string
}

func dotenvReaders() []dotenvReader {
	source := func(names []string) string {
		var s strings.Builder
		s.WriteString("set -a\n. \"$1\"\nset +a\nprintf '%s\\0'")
		for _, n := range names {
			fmt.Fprintf(&s, ` "$%s"`, n)
		}
		s.WriteString("\nexec env -0\n")
		return s.String()
	}
	sh := func(bin string, flags ...string) func([]string) []string {
		return func(names []string) []string { return append(append(flags, "-c", source(names)), bin) }
	}
	readers := []dotenvReader{
		{name: "bash", bin: "bash", args: sh("bash")},
		{name: "bash-posix", bin: "bash", args: sh("bash", "--posix")},
		{name: "dash", bin: "dash", args: sh("dash")},
		{name: "zsh", bin: "zsh", args: sh("zsh"), fromDebian: true},
	}
	// python3 on PATH may not be the system's, and either may have python-dotenv.
	const python = "import json, sys\nfrom dotenv import dotenv_values\njson.dump(dotenv_values(sys.argv[1]), sys.stdout)\n"
	seen := map[string]bool{}
	for _, bin := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(bin)
		if err != nil || seen[path] || exec.Command(path, "-c", "import dotenv").Run() != nil {
			continue
		}
		seen[path] = true
		readers = append(readers, dotenvReader{name: "python-dotenv " + bin, bin: path, json: true,
			args: func([]string) []string { return []string{"-c", python} }})
	}
	if len(seen) == 0 {
		readers = append(readers, dotenvReader{name: "python-dotenv",
			missing: "neither python3 nor /usr/bin/python3 can import dotenv; run apt-get install python3-dotenv"})
	}
	return readers
}

// TestDotenvRoundTrip writes every value the dotenv format accepts to a file and reads it back
// with `set -a; . FILE` in each POSIX shell and with python-dotenv: each must read exactly what
// was written, and nothing may run.
func TestDotenvRoundTrip(t *testing.T) {
	var set []Var
	var names []string
	for i, v := range append(hostileValues(), everyByteValues()...) {
		name := fmt.Sprintf("RH_V%d", i)
		if rejection(Dotenv, name, v) != "" {
			continue
		}
		set = append(set, Var{Name: name, Value: v})
		names = append(names, name)
	}
	if len(set) < 150 {
		t.Fatalf("only %d values to test; the dotenv format should accept most of them", len(set))
	}
	for _, r := range dotenvReaders() {
		for _, locale := range []string{"C", "C.UTF-8"} {
			t.Run(r.name+"/"+locale, func(t *testing.T) {
				switch {
				case r.missing != "" && os.Getenv("CI") != "":
					t.Fatalf("CI is set: %s", r.missing)
				case r.missing != "":
					t.Skip(r.missing)
				}
				requireShell(t, shell{bin: r.bin, fromDebian: r.fromDebian})
				dir := t.TempDir()
				file := filepath.Join(dir, "rolehop.env")
				var out bytes.Buffer
				if err := Write(&out, Dotenv, set, nil); err != nil {
					t.Fatalf("Write: %v", err)
				}
				if err := os.WriteFile(file, out.Bytes(), 0o600); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
				t.Cleanup(cancel)
				cmd := exec.CommandContext(ctx, r.bin, append(r.args(names), file)...)
				cmd.Dir = dir
				// An old value must be replaced; a variable named in a value must not leak in.
				cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "LC_ALL=" + locale, "RH_V2=stale", "x=expanded"}
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil {
					t.Fatalf("%s: %v\nstderr:\n%s", r.name, err, stderr.String())
				}
				if stderr.Len() != 0 {
					t.Errorf("%s wrote to stderr:\n%s", r.name, stderr.String())
				}
				got := map[string]string{}
				if r.json {
					if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
						t.Fatalf("%s printed %q: %v", r.name, stdout.String(), err)
					}
					if len(got) != len(set) {
						t.Errorf("%s read %d variables, want %d", r.name, len(got), len(set))
					}
				} else {
					fields := strings.Split(stdout.String(), "\x00")
					if len(fields) < len(names) {
						t.Fatalf("%s printed %d fields, want at least %d", r.name, len(fields), len(names))
					}
					for i, name := range names {
						got[name] = fields[i]
					}
					// What a child process sees, exported by set -a.
					for _, kv := range fields[len(names):] {
						if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "RH_V") && v != got[k] {
							t.Errorf("%s: child process sees %s = %q, want %q", r.name, k, v, got[k])
						}
					}
				}
				for _, v := range set {
					if g, ok := got[v.Name]; !ok || g != v.Value {
						t.Errorf("%s: %s = %q (present %v), want %q", r.name, v.Name, g, ok, v.Value)
					}
				}
				entries, err := os.ReadDir(dir)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range entries {
					if e.Name() != filepath.Base(file) {
						t.Errorf("%s: reading the file created %q in the working directory", r.name, e.Name())
					}
				}
			})
		}
	}
}

// TestFishStatus sources fish output after a failing command and checks that $status is 0
// afterwards, whether the variables to erase were set or not: `rolehop env --format fish |
// source; and terraform plan` must run terraform. (fish's set -e fails with 4 for a variable
// that is not set, and its assignments pass on the status they find.)
func TestFishStatus(t *testing.T) {
	sh := shells()[len(shells())-1]
	if sh.format != Fish {
		t.Fatalf("the last shell is %s, want fish", sh.name)
	}
	for _, tc := range []struct {
		name  string
		env   []string
		set   []Var
		unset []string
	}{
		{name: "erase what is not set", unset: []string{"RH_NEVER_SET"}, set: []Var{{Name: "RH_A", Value: "a"}}},
		{name: "erase what is set", env: []string{"RH_GONE=present"}, unset: []string{"RH_GONE"}, set: []Var{{Name: "RH_A", Value: "a"}}},
		{name: "erase both", env: []string{"RH_GONE=present"}, unset: []string{"RH_GONE", "RH_NEVER_SET"}},
		{name: "set after erasing what is not set", unset: []string{"RH_NEVER_SET", "AWS_PROFILE"},
			set: []Var{{Name: "AWS_ACCESS_KEY_ID", Value: "AKIAEXAMPLE"}, {Name: "AWS_REGION", Value: "eu-west-1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireShell(t, sh)
			dir := t.TempDir()
			file := filepath.Join(dir, "rolehop.fish")
			var out bytes.Buffer
			if err := Write(&out, Fish, tc.set, tc.unset); err != nil {
				t.Fatalf("Write: %v", err)
			}
			if err := os.WriteFile(file, out.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			t.Cleanup(cancel)
			// The output is piped to source, as users run it, after a command that failed.
			script := `false; cat $argv[1] | source; and echo ran; or echo "skipped: status $status"`
			cmd := exec.CommandContext(ctx, sh.bin, append(sh.args(script), file)...)
			cmd.Dir = dir
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, tc.env...)
			got, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("fish: %v\n%s", err, got)
			}
			if want := "ran\n"; string(got) != want {
				t.Errorf("fish printed %q after sourcing\n%s\nwant %q", got, out.String(), want)
			}
		})
	}
}
