package secretstore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/99designs/keyring"
	"github.com/rolehop/rolehop/internal/privfs"
)

// stagingPrefix starts the names of the directories Set writes new items in. Keys never
// start with '.', so these never show up as keys.
const stagingPrefix = ".staging-"

// stagingMaxAge is how old a staging directory must be before Open removes it: only a
// process killed in the middle of Set leaves one behind.
const stagingMaxAge = time.Hour

// fileBackend is keyring's encrypted file backend, with three changes: Set replaces an item's
// file atomically, nothing is written with a passphrase that does not decrypt the items
// already there, and ':' in keys is stored as '/' (which keyring escapes) because ':' cannot
// be in a file name on Windows.
type fileBackend struct {
	dir        string
	passphrase string
	kr         keyring.Keyring
	// verified is set once the passphrase has decrypted an item, or there was none to try.
	verified bool
}

func openFile(o Options, cfg keyring.Config) (*Store, error) {
	dir, err := fileDir(o)
	if err != nil {
		return nil, err
	}
	// An existing directory is checked before anything is read from it or asked for.
	if _, err := os.Lstat(dir); err == nil {
		if err := privfs.Dir(dir); err != nil {
			return nil, fmt.Errorf("the keyring directory: %w", err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read the keyring directory: %w", err)
	}
	hasItems := slices.ContainsFunc(entries, func(e fs.DirEntry) bool { return e.Type().IsRegular() })
	passphrase, prompted, err := filePassphrase(o, dir, hasItems)
	if err != nil {
		return nil, err
	}
	// Private to the user: items are encrypted, but their file names say which credentials
	// exist, and others must not be able to put files there.
	if err := privfs.Dir(dir); err != nil {
		return nil, fmt.Errorf("the keyring directory: %w", err)
	}
	removeStaleStaging(dir, entries)
	cfg.FileDir = dir
	cfg.FilePasswordFunc = keyring.FixedStringPrompt(passphrase)
	kr, err := keyring.Open(cfg)
	if err != nil {
		return nil, fmt.Errorf("open the keyring in %s: %w", dir, err)
	}
	f := &fileBackend{dir: dir, passphrase: passphrase, kr: kr}
	// A passphrase typed at a prompt is checked at once, while the user is there to retype
	// it; one from the environment is checked by the first read or write, to keep Open cheap.
	if prompted {
		if err := f.verify(); err != nil {
			return nil, err
		}
	}
	return &Store{name: string(keyring.FileBackend), kr: f}, nil
}

// fileDir returns o.FileDir, or the default directory.
func fileDir(o Options) (string, error) {
	if o.FileDir != "" {
		return keyring.ExpandTilde(o.FileDir)
	}
	if data, ok := o.LookupEnv("XDG_DATA_HOME"); ok && filepath.IsAbs(data) {
		return filepath.Join(data, "rolehop", "keyring"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the keyring directory: %w", err)
	}
	return filepath.Join(home, ".local", "share", "rolehop", "keyring"), nil
}

// filePassphrase returns the passphrase from the environment, or else from the prompt, and
// whether it was prompted for. A new keyring's passphrase is asked for twice.
func filePassphrase(o Options, dir string, hasItems bool) (string, bool, error) {
	if p, ok := o.LookupEnv(PassphraseEnv); ok && p != "" {
		return p, false, nil
	}
	if !o.Interactive || o.Prompt == nil {
		return "", false, fmt.Errorf("%w: set %s (rolehop asks for it only when run interactively)", ErrNoPassphrase, PassphraseEnv)
	}
	if hasItems {
		p, err := o.Prompt("Passphrase for the rolehop keyring in " + dir)
		if err != nil {
			return "", false, fmt.Errorf("read the passphrase: %w", err)
		}
		if p == "" {
			return "", false, errors.New("empty passphrase")
		}
		return p, true, nil
	}
	p, err := o.Prompt("New passphrase for the rolehop keyring in " + dir)
	if err != nil {
		return "", false, fmt.Errorf("read the passphrase: %w", err)
	}
	if p == "" {
		return "", false, errors.New("empty passphrase")
	}
	again, err := o.Prompt("Repeat the passphrase")
	if err != nil {
		return "", false, fmt.Errorf("read the passphrase: %w", err)
	}
	if again != p {
		return "", false, errors.New("the passphrases do not match")
	}
	return p, true, nil
}

// removeStaleStaging removes the staging directories of Sets that were killed. Failing to is
// harmless: the directories hold only encrypted items.
func removeStaleStaging(dir string, entries []fs.DirEntry) {
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), stagingPrefix) {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > stagingMaxAge {
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// fileKey is the key keyring's file backend gets for key (see fileBackend).
func fileKey(key string) string {
	return strings.ReplaceAll(key, ":", "/")
}

// fileName is the name keyring's file backend gives the file of key: it percent-encodes '/'
// and '%', and valid keys have no '%'.
func fileName(key string) string {
	return strings.ReplaceAll(fileKey(key), "/", "%2F")
}

// Get reads key's item. keyring opens the file by name, following links and waiting on named
// pipes, so the file is checked first. The item's key is stored encrypted with it, which
// tells an item moved or copied to another key's file.
func (f *fileBackend) Get(key string) (keyring.Item, error) {
	path := filepath.Join(f.dir, fileName(key))
	if err := privfs.Regular(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return keyring.Item{}, err
	}
	item, err := f.kr.Get(fileKey(key))
	var pathErr *fs.PathError
	switch {
	case err == nil && item.Key != fileKey(key):
		f.verified = true
		return keyring.Item{}, fmt.Errorf("%s holds the item %q, not %s: it was moved or copied there; remove it", path, strings.ReplaceAll(item.Key, "/", ":"), key)
	case err == nil:
		f.verified = true
		item.Key = key
		return item, nil
	case errors.Is(err, keyring.ErrKeyNotFound), errors.As(err, &pathErr):
		return keyring.Item{}, err
	case strings.Contains(err.Error(), "integrity check failed"):
		// AES key unwrap fails this way when the key derived from the passphrase is wrong.
		return keyring.Item{}, fmt.Errorf("%w for the keyring in %s", ErrWrongPassphrase, f.dir)
	}
	// Not wrapped: a JSON error about the decrypted item could quote it.
	return keyring.Item{}, errors.New("the item cannot be decrypted: its file is damaged")
}

// version returns the SHA-256 of key's item file, which is encrypted: it names one write of
// the item without saying anything of what it holds.
func (f *fileBackend) version(key string) (string, bool) {
	path := filepath.Join(f.dir, fileName(key))
	if privfs.Regular(path) != nil {
		return "", false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), true
}

// verify checks the passphrase against the items already stored, so that a mistyped one can
// never add or replace an item. A damaged item proves nothing, so the next one is tried.
func (f *fileBackend) verify() error {
	if f.verified {
		return nil
	}
	keys, err := f.Keys()
	if err != nil {
		return err
	}
	for _, k := range keys {
		if validKey(k) != nil {
			continue
		}
		_, err := f.Get(k)
		if err == nil || errors.Is(err, ErrWrongPassphrase) {
			return err
		}
	}
	f.verified = true
	return nil
}

// Set writes the item with keyring into a new staging directory, then renames the file into
// place: readers see the old item or the new one, never a partial file.
func (f *fileBackend) Set(item keyring.Item) error {
	if err := f.verify(); err != nil {
		return err
	}
	stage, err := os.MkdirTemp(f.dir, stagingPrefix)
	if err != nil {
		return fmt.Errorf("create a staging directory: %w", err)
	}
	defer os.RemoveAll(stage)
	kr, err := keyring.Open(keyring.Config{
		AllowedBackends:  []keyring.BackendType{keyring.FileBackend},
		FileDir:          stage,
		FilePasswordFunc: keyring.FixedStringPrompt(f.passphrase),
	})
	if err != nil {
		return fmt.Errorf("open the staging keyring: %w", err)
	}
	item.Key = fileKey(item.Key)
	if err := kr.Set(item); err != nil {
		return err
	}
	// keyring names the file; it is the only one in the staging directory.
	entries, err := os.ReadDir(stage)
	if err != nil {
		return fmt.Errorf("read the staging directory: %w", err)
	}
	if len(entries) != 1 {
		return fmt.Errorf("staging directory holds %d files, want 1", len(entries))
	}
	name := entries[0].Name()
	if err := os.Rename(filepath.Join(stage, name), filepath.Join(f.dir, name)); err != nil {
		return fmt.Errorf("move the item into place: %w", err)
	}
	f.verified = true
	return nil
}

func (f *fileBackend) Remove(key string) error {
	return f.kr.Remove(fileKey(key))
}

func (f *fileBackend) Keys() ([]string, error) {
	names, err := f.kr.Keys()
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = strings.ReplaceAll(n, "/", ":")
	}
	return keys, nil
}
