// Package secretstore keeps rolehop's secrets, the long-term AWS keys users add and the
// temporary credentials rolehop caches, in a secret store through github.com/99designs/keyring:
// the OS store (macOS keychain, Windows Credential Manager, Secret Service, KWallet), the Linux
// kernel keyring, pass, or keyring's encrypted file backend. No backend writes a secret in
// clear: the file backend encrypts every item (JWE, PBES2 and AES-GCM) with a passphrase.
package secretstore

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/99designs/keyring"
)

// PassphraseEnv is the environment variable holding the file backend's passphrase.
const PassphraseEnv = "ROLEHOP_KEYRING_PASSPHRASE"

// serviceName names rolehop's keyring, collection, wallet folder or pass directory.
const serviceName = "rolehop"

// maxKeyLen bounds keys so that the file backend's file names stay short.
const maxKeyLen = 200

// errOpen stands for the reason a backend failed to open, which keyring drops.
var errOpen = errors.New("it could not be opened")

var (
	// ErrUnavailable is wrapped by Open's error when no backend it tried can be used.
	ErrUnavailable = errors.New("secret store unavailable")
	// ErrNotFound is wrapped by the errors of Get, Label, Credentials and RemoveCredentials for
	// a missing item.
	ErrNotFound = errors.New("not found")
	// ErrWrongPassphrase is wrapped by the file backend's errors when the passphrase does not
	// decrypt the items already stored.
	ErrWrongPassphrase = errors.New("wrong passphrase")
	// ErrNoPassphrase is wrapped by Open's error when the file backend was tried but has no
	// passphrase: PassphraseEnv is unset, and rolehop may not prompt.
	ErrNoPassphrase = errors.New("no passphrase")
)

// order is keyring's order of preference: the OS stores first, then the generic ones.
func order() []keyring.BackendType {
	return []keyring.BackendType{
		keyring.WinCredBackend,
		keyring.KeychainBackend,
		keyring.SecretServiceBackend,
		keyring.KWalletBackend,
		keyring.KeyCtlBackend,
		keyring.PassBackend,
		keyring.FileBackend,
	}
}

// Backends returns the names of all backends, in the order Open tries them when
// Options.Backend is "" (all but keyctl, which is used only when named). Each platform has
// only some of them.
func Backends() []string {
	var names []string
	for _, b := range order() {
		names = append(names, string(b))
	}
	return names
}

// automatic returns the backends Open tries, in order, when Options.Backend is "": this
// platform's, except keyctl. Every process of the user can read the kernel's user keyring,
// whatever the permissions on its keys (any of them can link the user keyring into its own
// session keyring and so possess what is in it), so with keyctl the commands rolehop runs
// could read every cached credential, other roles' and the MFA session too. keyctl is used
// only when named.
func automatic() []keyring.BackendType {
	return slices.DeleteFunc(keyring.AvailableBackends(), func(b keyring.BackendType) bool {
		return b == keyring.KeyCtlBackend
	})
}

// Options configures Open.
type Options struct {
	// Backend is the backend to use, one of Backends(). "" means the first of this platform's
	// backends that opens and works, in the order of Backends(), leaving out keyctl: any
	// process of the user, the commands rolehop runs among them, can read the kernel keyring.
	Backend string
	// FileDir is the file backend's directory. "" means $XDG_DATA_HOME/rolehop/keyring, or
	// ~/.local/share/rolehop/keyring. It is created with mode 0700, or made 0700 if it exists;
	// a link, another user's directory or one others may write is an error, and so is an item
	// file that is not a regular file of the user's (see privfs).
	FileDir string
	// LookupEnv reads the environment (PassphraseEnv, XDG_DATA_HOME, PASSWORD_STORE_DIR);
	// nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Interactive allows rolehop to prompt. When false it never does, and the file backend is
	// unavailable unless PassphraseEnv is set. (An OS store, or gpg for pass, may still show a
	// dialog of its own.)
	Interactive bool
	// Prompt reads a secret without echoing it; it is used only when Interactive is true.
	Prompt func(prompt string) (string, error)
}

// Store is an open secret store. It is safe for use by several goroutines.
type Store struct {
	name string
	// mu serializes calls into the backend: keyring's backends keep state that is not safe for
	// concurrent use.
	mu sync.Mutex
	kr backend
	// skipped says why each backend tried before this one could not be used.
	skipped []error
}

// backend is the part of keyring.Keyring that Store uses.
type backend interface {
	Get(key string) (keyring.Item, error)
	Set(item keyring.Item) error
	Remove(key string) error
	Keys() ([]string, error)
}

// Open opens the backend that o names, or when o.Backend is "" the first one that works.
// When none can be used its error wraps ErrUnavailable and says why for each backend tried.
func Open(o Options) (*Store, error) {
	return open(o, serviceName, nil)
}

// open is Open with the service name, and the backends to try when o.Backend is "" (nil means
// automatic()), given by the caller so that tests stay apart from real items.
func open(o Options, service string, candidates []keyring.BackendType) (*Store, error) {
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if o.Backend != "" {
		b := keyring.BackendType(o.Backend)
		if !slices.Contains(order(), b) {
			return nil, fmt.Errorf("unknown secret store backend %q (valid: %s)", o.Backend, strings.Join(Backends(), ", "))
		}
		candidates = []keyring.BackendType{b}
	} else if candidates == nil {
		candidates = automatic()
	}
	unavailable := &unavailableError{}
	for _, b := range candidates {
		s, err := openBackend(o, service, b)
		if err == nil {
			s.skipped = unavailable.reasons
			return s, nil
		}
		unavailable.reasons = append(unavailable.reasons, fmt.Errorf("%s: %w", b, err))
	}
	return nil, unavailable
}

// unavailableError says why each backend tried could not be used.
type unavailableError struct {
	reasons []error
}

func (e *unavailableError) Error() string {
	var msgs []string
	for _, r := range e.reasons {
		msgs = append(msgs, r.Error())
	}
	return ErrUnavailable.Error() + ": " + strings.Join(msgs, "; ")
}

func (e *unavailableError) Unwrap() []error {
	return append([]error{ErrUnavailable}, e.reasons...)
}

func openBackend(o Options, service string, b keyring.BackendType) (*Store, error) {
	if !slices.Contains(keyring.AvailableBackends(), b) {
		return nil, errors.New(unsupportedReason(b))
	}
	cfg := keyring.Config{
		AllowedBackends:                []keyring.BackendType{b},
		ServiceName:                    service,
		KeychainTrustApplication:       true,
		KeychainAccessibleWhenUnlocked: true,
		KeychainPasswordFunc:           promptFunc(o),
		// The user keyring is shared by every process of the user and outlives each of
		// them, as a cache must. "session" would split it by login session, and "process"
		// and "thread" would lose it at exit.
		KeyCtlScope:             "user",
		KeyCtlPerm:              keyctlPerm(),
		LibSecretCollectionName: service,
		KWalletAppID:            service,
		KWalletFolder:           service,
		PassPrefix:              service,
	}
	switch b {
	case keyring.FileBackend:
		return openFile(o, cfg)
	case keyring.KeyCtlBackend:
		if err := keyctlProbe(); err != nil {
			return nil, err
		}
		return openKeyctl(cfg)
	case keyring.PassBackend:
		dir, err := passReady(o)
		if err != nil {
			return nil, err
		}
		cfg.PassDir = dir
	}
	kr, err := keyring.Open(cfg)
	if err != nil {
		return nil, errOpen
	}
	return &Store{name: string(b), kr: kr}, nil
}

// unsupportedReason says why keyring has no backend b here.
func unsupportedReason(b keyring.BackendType) string {
	switch {
	case runtime.GOOS == "linux" && b == keyring.SecretServiceBackend:
		return "no D-Bus session bus"
	case runtime.GOOS == "linux" && b == keyring.KWalletBackend:
		return "no D-Bus session bus, or DISABLE_KWALLET=1"
	case runtime.GOOS == "darwin" && b == keyring.KeychainBackend:
		return "this rolehop was built without cgo, which the keychain needs"
	}
	return "not supported on " + runtime.GOOS
}

// promptFunc returns o's prompt, or when o may not prompt a function that refuses to.
func promptFunc(o Options) keyring.PromptFunc {
	if o.Interactive && o.Prompt != nil {
		return o.Prompt
	}
	return func(string) (string, error) {
		return "", errors.New("rolehop does not prompt when not run interactively")
	}
}

// passReady returns the password store's directory if pass can be used, as keyring's pass
// backend only checks that the program exists.
func passReady(o Options) (string, error) {
	if _, err := exec.LookPath("pass"); err != nil {
		return "", errors.New("pass is not installed")
	}
	dir, ok := o.LookupEnv("PASSWORD_STORE_DIR")
	if !ok || dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find the password store: %w", err)
		}
		dir = filepath.Join(home, ".password-store")
	}
	if _, err := os.Stat(filepath.Join(dir, ".gpg-id")); err != nil {
		return "", fmt.Errorf("the password store %s is not initialized (run: pass init GPG-ID)", dir)
	}
	return dir, nil
}

// Backend returns the name of the backend in use.
func (s *Store) Backend() string {
	return s.name
}

// Skipped says why each backend Open tried before this one could not be used, in the order
// tried, as "backend: reason"; none when the backend was named or the first worked.
func (s *Store) Skipped() []string {
	var out []string
	for _, err := range s.skipped {
		out = append(out, err.Error())
	}
	return out
}

// Get returns the data stored under key. For a missing key its error wraps ErrNotFound.
func (s *Store) Get(key string) ([]byte, error) {
	_, data, err := s.get(key)
	return data, err
}

// Label returns the label key was stored with. For a missing key its error wraps ErrNotFound.
func (s *Store) Label(key string) (string, error) {
	label, _, err := s.get(key)
	return label, err
}

func (s *Store) get(key string) (label string, data []byte, err error) {
	if err := validKey(key); err != nil {
		return "", nil, err
	}
	s.mu.Lock()
	item, err := s.kr.Get(key)
	s.mu.Unlock()
	if errors.Is(err, keyring.ErrKeyNotFound) {
		return "", nil, fmt.Errorf("secret %s %w", key, ErrNotFound)
	}
	if err != nil {
		return "", nil, fmt.Errorf("read %s: %w", key, err)
	}
	label, data, err = unseal(item.Data)
	if err != nil {
		return "", nil, fmt.Errorf("read %s: %w", key, err)
	}
	return label, data, nil
}

// Set stores data under key, replacing what was there. label describes the item for people
// (in list commands and the OS store's own UI); it must hold no secret.
func (s *Store) Set(key string, data []byte, label string) error {
	if err := validKey(key); err != nil {
		return err
	}
	sealed, err := seal(label, data)
	if err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	s.mu.Lock()
	err = s.kr.Set(keyring.Item{Key: key, Data: sealed, Label: cmp.Or(label, key)})
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

// Remove deletes key. Removing a missing key is not an error.
func (s *Store) Remove(key string) error {
	if err := validKey(key); err != nil {
		return err
	}
	s.mu.Lock()
	err := s.kr.Remove(key)
	s.mu.Unlock()
	if err != nil && !errors.Is(err, keyring.ErrKeyNotFound) && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", key, err)
	}
	return nil
}

// Keys returns the keys that start with prefix, sorted.
func (s *Store) Keys(prefix string) ([]string, error) {
	s.mu.Lock()
	all, err := s.kr.Keys()
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	var keys []string
	for _, k := range all {
		// Keys that Set refuses are not rolehop's.
		if strings.HasPrefix(k, prefix) && validKey(k) == nil {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys), nil
}

// validKey accepts 1 to maxKeyLen of [A-Za-z0-9._:@=+,-], starting with a letter or digit.
// The set is safe as a file name on every platform once the file backend has replaced ':'.
func validKey(key string) error {
	ok := key != "" && len(key) <= maxKeyLen && isAlnum(key[0])
	for i := 0; ok && i < len(key); i++ {
		ok = isAlnum(key[i]) || strings.IndexByte("._:@=+,-", key[i]) >= 0
	}
	if !ok {
		return fmt.Errorf("invalid secret key %q: use 1 to %d letters, digits and ._:@=+,- starting with a letter or digit", key, maxKeyLen)
	}
	return nil
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// header is the first line of every item's stored data. The label travels with the data
// because keyctl and pass keep no label of their own.
type header struct {
	Version int    `json:"v"`
	Label   string `json:"label"`
}

const headerVersion = 1

func seal(label string, data []byte) ([]byte, error) {
	h, err := json.Marshal(header{Version: headerVersion, Label: label})
	if err != nil {
		return nil, err
	}
	return slices.Concat(h, []byte{'\n'}, data), nil
}

// unseal splits stored data into the label and the data. Its errors never quote the data.
func unseal(stored []byte) (string, []byte, error) {
	line, data, ok := bytes.Cut(stored, []byte{'\n'})
	var h header
	if !ok || json.Unmarshal(line, &h) != nil || h.Version != headerVersion {
		return "", nil, errors.New("the item was not stored by this version of rolehop")
	}
	return h.Label, data, nil
}
