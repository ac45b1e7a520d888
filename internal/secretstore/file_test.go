package secretstore

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// encodings returns s and the parts of its base64 encodings that do not depend on what is
// around it, at each of the 3 alignments: keyring stores item data in JSON as base64.
func encodings(s string) []string {
	out := []string{s}
	for shift := range 3 {
		padded := []byte(strings.Repeat("\x00", shift) + s)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
			e := enc.EncodeToString(padded)
			out = append(out, e[4:len(e)-4])
		}
	}
	return out
}

// readFiles returns the contents of every regular file under root, by path.
func readFiles(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		files[path], err = os.ReadFile(path)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// wantJWE checks that data is a compact JWE encrypted with a passphrase (PBES2) and AES-GCM.
func wantJWE(t *testing.T, path string, data []byte) {
	t.Helper()
	parts := strings.Split(string(data), ".")
	if len(parts) != 5 {
		t.Errorf("%s: %d parts, want the 5 of a compact JWE", path, len(parts))
		return
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Errorf("%s: header: %v", path, err)
		return
	}
	var h struct{ Alg, Enc string }
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Errorf("%s: header: %v", path, err)
	}
	if h.Alg != "PBES2-HS256+A128KW" || h.Enc != "A256GCM" {
		t.Errorf("%s: alg %q enc %q, want PBES2-HS256+A128KW and A256GCM", path, h.Alg, h.Enc)
	}
}

func TestSecretsAtRest(t *testing.T) {
	root := t.TempDir()
	tmp := filepath.Join(root, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp)
	dir := filepath.Join(root, "data", "keyring")
	s := openFileStore(t, dir, "pw")
	const cached = `{"secret_access_key":"TEMPORARYsecretKEYvalue0123456789","session_token":"FwoGZXIvYXdzEXAMPLETOKEN"}`
	if err := s.AddCredentials("prod", devCreds); err != nil {
		t.Fatal(err)
	}
	if err := s.AddCredentials("prod", prodCreds); err != nil {
		t.Fatal(err)
	}
	mustSet(t, s, "cache:x", []byte(cached), "cache x")
	mustSet(t, s, "cache:y", []byte(cached), "cache y")
	if err := s.Remove("cache:y"); err != nil {
		t.Fatal(err)
	}

	var needles []string
	for _, secret := range []string{prodCreds.AccessKeyID, prodCreds.SecretAccessKey, devCreds.AccessKeyID, devCreds.SecretAccessKey,
		"TEMPORARYsecretKEYvalue0123456789", "FwoGZXIvYXdzEXAMPLETOKEN"} {
		needles = append(needles, encodings(secret)...)
	}
	files := readFiles(t, root)
	if len(files) != 2 {
		t.Errorf("%d files under %s, want the 2 items: %q", len(files), root, paths(files))
	}
	for path, data := range files {
		for _, n := range needles {
			if bytes.Contains(data, []byte(n)) {
				t.Errorf("%s holds %q in clear", path, n)
			}
		}
		if filepath.Dir(path) == dir {
			wantJWE(t, path, data)
		}
		if runtime.GOOS == "windows" {
			continue
		}
		if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", path, info.Mode().Perm(), err)
		}
	}
	if runtime.GOOS != "windows" {
		for _, d := range []string{dir, filepath.Dir(dir)} {
			if info, err := os.Stat(d); err != nil || info.Mode().Perm() != 0o700 {
				t.Errorf("%s: mode %v (%v), want 0700", d, info.Mode().Perm(), err)
			}
		}
	}
}

// paths returns the paths of files, for messages.
func paths(files map[string][]byte) []string {
	var paths []string
	for p := range maps.Keys(files) {
		paths = append(paths, p)
	}
	return paths
}

func TestWrongPassphrase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openFileStore(t, dir, "right")
	if err := s.AddCredentials("prod", prodCreds); err != nil {
		t.Fatal(err)
	}
	mustSet(t, s, "cache:x", []byte("data"), "x")
	before := readFiles(t, dir)

	// Open does not decrypt anything when the passphrase comes from the environment: the
	// first read or write finds it wrong.
	wrong := openFileStore(t, dir, "wrong")
	const msg = "wrong passphrase for the keyring in "
	_, err := wrong.Get("credentials:prod")
	wantErr(t, "Get", err, "read credentials:prod: "+msg+dir, ErrWrongPassphrase)
	_, err = wrong.Credentials("prod")
	wantErr(t, "Credentials", err, "read credentials:prod: "+msg+dir, ErrWrongPassphrase)
	_, err = wrong.ListCredentials()
	wantErr(t, "ListCredentials", err, "read credentials:prod: "+msg+dir, ErrWrongPassphrase)
	_, err = wrong.Label("cache:x")
	wantErr(t, "Label", err, "read cache:x: "+msg+dir, ErrWrongPassphrase)

	// Nothing is added or replaced with the wrong passphrase.
	fresh := openFileStore(t, dir, "wrong")
	wantErr(t, "Set of a new key", fresh.Set("cache:new", []byte("data"), "new"), "write cache:new: "+msg+dir, ErrWrongPassphrase)
	wantErr(t, "Set of an existing key", fresh.Set("cache:x", []byte("other"), "x"), "write cache:x: "+msg+dir, ErrWrongPassphrase)
	wantErr(t, "AddCredentials", fresh.AddCredentials("prod", devCreds), "write credentials:prod: "+msg+dir, ErrWrongPassphrase)
	wantErr(t, "AddCredentials", fresh.AddCredentials("dev", devCreds), "write credentials:dev: "+msg+dir, ErrWrongPassphrase)
	if after := readFiles(t, dir); !maps.EqualFunc(before, after, bytes.Equal) {
		t.Errorf("the keyring changed: files before %q, after %q", paths(before), paths(after))
	}

	s = openFileStore(t, dir, "right")
	wantCredentials(t, s, "prod", prodCreds)
	wantGet(t, s, "cache:x", []byte("data"), "x")
}

func TestDamagedItem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		damage func(data []byte) []byte
	}{
		{"truncated", func(data []byte) []byte { return data[:len(data)/2] }},
		{"empty", func([]byte) []byte { return nil }},
		{"ciphertext changed", func(data []byte) []byte {
			parts := bytes.Split(data, []byte("."))
			if ct := parts[3]; ct[0] == 'A' {
				ct[0] = 'B'
			} else {
				ct[0] = 'A'
			}
			return bytes.Join(parts, []byte("."))
		}},
		// Two billion PBKDF2 rounds would keep every run busy for hours before the
		// ciphertext's check could fail: the count is refused first.
		{"a key derivation count in the billions", func(data []byte) []byte {
			parts := bytes.Split(data, []byte("."))
			header, err := base64.RawURLEncoding.DecodeString(string(parts[0]))
			if err != nil {
				panic(err)
			}
			var fields map[string]any
			if err := json.Unmarshal(header, &fields); err != nil {
				panic(err)
			}
			fields["p2c"] = 2_000_000_000
			if header, err = json.Marshal(fields); err != nil {
				panic(err)
			}
			parts[0] = []byte(base64.RawURLEncoding.EncodeToString(header))
			return bytes.Join(parts, []byte("."))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openFileStore(t, dir, "pw")
			mustSet(t, s, "cache:a", []byte("data a"), "a")
			mustSet(t, s, "cache:b", []byte("data b"), "b")
			path := filepath.Join(dir, "cache%2Fa")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tt.damage(data), 0o600); err != nil {
				t.Fatal(err)
			}
			s = openFileStore(t, dir, "pw")
			_, err = s.Get("cache:a")
			wantErr(t, "Get", err, "read cache:a: the item cannot be decrypted: its file is damaged")
			if errors.Is(err, ErrWrongPassphrase) {
				t.Errorf("a damaged item is reported as a wrong passphrase")
			}
			// The damaged item does not stop writes: the passphrase is checked on the next one.
			mustSet(t, s, "cache:c", []byte("data c"), "c")
			wantGet(t, s, "cache:b", []byte("data b"), "b")
			mustSet(t, s, "cache:a", []byte("data a2"), "a")
			wantGet(t, s, "cache:a", []byte("data a2"), "a")
		})
	}
}

func TestFileDir(t *testing.T) {
	t.Run("XDG_DATA_HOME", func(t *testing.T) {
		data := t.TempDir()
		s, err := Open(Options{Backend: "file", LookupEnv: env(map[string]string{"XDG_DATA_HOME": data, PassphraseEnv: "pw"})})
		if err != nil {
			t.Fatal(err)
		}
		mustSet(t, s, "cache:x", []byte("d"), "x")
		if _, err := os.Stat(filepath.Join(data, "rolehop", "keyring", "cache%2Fx")); err != nil {
			t.Errorf("the item is not in $XDG_DATA_HOME/rolehop/keyring: %v", err)
		}
	})
	t.Run("home", func(t *testing.T) {
		home := t.TempDir()
		t.Setenv("HOME", home)
		t.Setenv("USERPROFILE", home)
		// A relative XDG_DATA_HOME is invalid and ignored.
		s, err := Open(Options{Backend: "file", LookupEnv: env(map[string]string{"XDG_DATA_HOME": "rel", PassphraseEnv: "pw"})})
		if err != nil {
			t.Fatal(err)
		}
		mustSet(t, s, "cache:x", []byte("d"), "x")
		if _, err := os.Stat(filepath.Join(home, ".local", "share", "rolehop", "keyring", "cache%2Fx")); err != nil {
			t.Errorf("the item is not in ~/.local/share/rolehop/keyring: %v", err)
		}
	})
	if runtime.GOOS == "windows" {
		return
	}
	t.Run("made private", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		openFileStore(t, dir, "pw")
		if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
			t.Errorf("mode %v (%v), want 0700", info.Mode().Perm(), err)
		}
	})
}

// BenchmarkFileOpenGet is what a rolehop run pays to read one cached item from the file
// backend: mostly the passphrase's key derivation (PBKDF2, 8192 rounds).
func BenchmarkFileOpenGet(b *testing.B) {
	dir := b.TempDir()
	lookup := env(map[string]string{PassphraseEnv: "pw"})
	s, err := Open(Options{Backend: "file", FileDir: dir, LookupEnv: lookup})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Set("cache:x", []byte("data"), "x"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		s, err := Open(Options{Backend: "file", FileDir: dir, LookupEnv: lookup})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Get("cache:x"); err != nil {
			b.Fatal(err)
		}
	}
}
