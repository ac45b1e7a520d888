package credcache

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/gofrs/flock"
)

// t0 is the fake clock's time.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

const (
	secretKey    = "secret-key-never-logged"
	sessionToken = "session-token-never-logged"
)

// memStore is a MemStore whose reads and writes can be made to fail.
type memStore struct {
	*MemStore
	getErr error
	setErr error
}

func newMemStore() *memStore { return &memStore{MemStore: NewMemStore()} }

func (s *memStore) Get(key string) ([]byte, bool, error) {
	if s.getErr != nil {
		return nil, false, s.getErr
	}
	return s.MemStore.Get(key)
}

func (s *memStore) Set(key string, data []byte, label string) error {
	if s.setErr != nil {
		return s.setErr
	}
	return s.MemStore.Set(key, data, label)
}

// stored returns the entry under key, failing the test if it is not a valid one.
func (s *memStore) stored(t *testing.T, key string) (entry, bool) {
	t.Helper()
	data, found, err := s.Get(key)
	if err != nil || !found {
		return entry{}, false
	}
	e, ok := decode(data)
	if !ok {
		t.Fatalf("entry %s is corrupted: %s", key, data)
	}
	return e, true
}

// fakeProvider counts its calls and, after waiting delay, returns creds; a "#" ending the
// access key ID is replaced by the number of the call.
type fakeProvider struct {
	creds aws.Credentials
	err   error
	delay time.Duration
	calls atomic.Int32
}

func (p *fakeProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	n := p.calls.Add(1)
	time.Sleep(p.delay)
	if p.err != nil {
		return aws.Credentials{}, p.err
	}
	c := p.creds
	if id, numbered := strings.CutSuffix(c.AccessKeyID, "#"); numbered {
		c.AccessKeyID = id + fmt.Sprint(n)
	}
	return c, nil
}

// temporary returns expiring credentials with the given access key ID.
func temporary(id string, expires time.Time) aws.Credentials {
	return aws.Credentials{
		AccessKeyID: id, SecretAccessKey: secretKey, SessionToken: sessionToken,
		AccountID: "111111111111", Source: "fake", CanExpire: true, Expires: expires,
	}
}

// syncBuffer is a bytes.Buffer safe for several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newCache returns a cache on store with a fake clock at t0, a lock directory of its own, and
// a debug log whose text is returned by the function also returned. At the end of the test
// it checks that no secret reached the log.
func newCache(t *testing.T, store Store, o Options) (*Cache, func() string) {
	t.Helper()
	if o.LockDir == "" {
		o.LockDir = t.TempDir()
	}
	if o.Now == nil {
		o.Now = func() time.Time { return t0 }
	}
	var buf syncBuffer
	o.Log = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		for _, s := range []string{secretKey, sessionToken} {
			if strings.Contains(buf.String(), s) {
				t.Errorf("log holds a secret:\n%s", buf.String())
			}
		}
	})
	return New(store, o), buf.String
}

var testKey = Key{
	Parts:       []string{"role=arn:aws:iam::111111111111:role/deploy", "session_name=rolehop-jane", "duration=1h"},
	Description: "AssumeRole arn:aws:iam::111111111111:role/deploy",
}

// encode returns e as stored, for testKey unless e names another key.
func encode(t *testing.T, e entry) []byte {
	t.Helper()
	e.Version = entryVersion
	if e.Key == "" {
		e.Key = testKey.hash()
	}
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// requireUnlocked fails the test unless the lock file of key is free.
func requireUnlocked(t *testing.T, lockDir string, key Key) {
	t.Helper()
	f := flock.New(filepath.Join(lockDir, key.hash()))
	ok, err := f.TryLock()
	if err != nil || !ok {
		t.Fatalf("lock of %q still held after Retrieve (err %v)", key.Description, err)
	}
	if err := f.Unlock(); err != nil {
		t.Fatal(err)
	}
}

func TestProviderRetrieve(t *testing.T) {
	name := keyPrefix + testKey.hash()
	errSTS := errors.New("sts says no")
	tests := []struct {
		name      string
		stored    []byte // what the store holds under the key before Retrieve
		getErr    error
		setErr    error
		inner     aws.Credentials
		innerErr  error
		wantCalls int32
		wantID    string // access key ID returned
		wantErr   error
		wantEntry string // access key ID stored afterwards; "" for no entry
		wantLog   string // a log line that must appear exactly once
	}{
		{
			name:      "cold cache",
			inner:     temporary("NEW", t0.Add(time.Hour)),
			wantCalls: 1, wantID: "NEW", wantEntry: "NEW",
			wantLog: `msg="cache store" entry="AssumeRole arn:aws:iam::111111111111:role/deploy" expires=2030-01-02T04:04:05Z`,
		},
		{
			name:      "good entry",
			stored:    encode(t, entry{AccessKeyID: "OLD", SecretAccessKey: secretKey, Expires: t0.Add(time.Hour)}),
			inner:     temporary("NEW", t0.Add(time.Hour)),
			wantCalls: 0, wantID: "OLD", wantEntry: "OLD",
			wantLog: `msg="cache hit" entry="AssumeRole arn:aws:iam::111111111111:role/deploy" expires=2030-01-02T04:04:05Z`,
		},
		{
			name:      "entry just outside MinTTL",
			stored:    encode(t, entry{AccessKeyID: "OLD", SecretAccessKey: secretKey, Expires: t0.Add(5*time.Minute + time.Second)}),
			inner:     temporary("NEW", t0.Add(time.Hour)),
			wantCalls: 0, wantID: "OLD", wantEntry: "OLD",
			wantLog: `msg="cache hit"`,
		},
		{
			name:      "entry within MinTTL",
			stored:    encode(t, entry{AccessKeyID: "OLD", SecretAccessKey: secretKey, Expires: t0.Add(4 * time.Minute)}),
			inner:     temporary("NEW", t0.Add(time.Hour)),
			wantCalls: 1, wantID: "NEW", wantEntry: "NEW",
			wantLog: `reason="expires within 5m0s" expires=2030-01-02T03:08:05Z`,
		},
		{
			name:      "expired entry",
			stored:    encode(t, entry{AccessKeyID: "OLD", SecretAccessKey: secretKey, Expires: t0.Add(-time.Minute)}),
			inner:     temporary("NEW", t0.Add(time.Hour)),
			wantCalls: 1, wantID: "NEW", wantEntry: "NEW",
			wantLog: `reason=expired`,
		},
		{
			name:      "expired entry is removed even when the new credentials are not cached",
			stored:    encode(t, entry{AccessKeyID: "OLD", SecretAccessKey: secretKey, Expires: t0.Add(-time.Minute)}),
			inner:     aws.Credentials{AccessKeyID: "AKIALONGTERM", SecretAccessKey: secretKey},
			wantCalls: 1, wantID: "AKIALONGTERM", wantEntry: "",
			wantLog: `reason=expired`,
		},
		{
			name:      "corrupted JSON",
			stored:    []byte(`{"version":1,"access_key_id":"OLD",`),
			inner:     temporary("NEW", t0.Add(time.Hour)),
			wantCalls: 1, wantID: "NEW", wantEntry: "NEW",
			wantLog: `corrupted`,
		},
		{
			name:      "entry missing its secret",
			stored:    []byte(`{"version":1,"access_key_id":"OLD","expires":"2030-01-02T05:00:00Z"}`),
			inner:     temporary("NEW", t0.Add(time.Hour)),
			wantCalls: 1, wantID: "NEW", wantEntry: "NEW",
			wantLog: `corrupted`,
		},
		{
			name:      "entry missing its expiry",
			stored:    []byte(`{"version":1,"access_key_id":"OLD","secret_access_key":"x"}`),
			inner:     temporary("NEW", t0.Add(time.Hour)),
			wantCalls: 1, wantID: "NEW", wantEntry: "NEW",
			wantLog: `corrupted`,
		},
		{
			name:      "entry of another format version",
			stored:    []byte(`{"version":1,"access_key_id":"OLD","secret_access_key":"x","expires":"2030-01-02T05:00:00Z"}`),
			inner:     temporary("NEW", t0.Add(time.Hour)),
			wantCalls: 1, wantID: "NEW", wantEntry: "NEW",
			wantLog: `corrupted`,
		},
		{
			name:      "entry stored under another key",
			stored:    encode(t, entry{Key: Key{Parts: []string{"role=arn:aws:iam::111111111111:role/other"}}.hash(), AccessKeyID: "OLD", SecretAccessKey: secretKey, Expires: t0.Add(time.Hour)}),
			inner:     temporary("NEW", t0.Add(time.Hour)),
			wantCalls: 1, wantID: "NEW", wantEntry: "NEW",
			wantLog: `msg="cache miss" entry="AssumeRole arn:aws:iam::111111111111:role/deploy" reason="the entry was stored under another key, removing it"`,
		},
		{
			name:      "entry missing its key",
			stored:    []byte(`{"version":2,"access_key_id":"OLD","secret_access_key":"x","expires":"2030-01-02T05:00:00Z"}`),
			inner:     temporary("NEW", t0.Add(time.Hour)),
			wantCalls: 1, wantID: "NEW", wantEntry: "NEW",
			wantLog: `corrupted`,
		},
		{
			name:      "long-term keys are not cached",
			inner:     aws.Credentials{AccessKeyID: "AKIALONGTERM", SecretAccessKey: secretKey, Source: "fake"},
			wantCalls: 1, wantID: "AKIALONGTERM", wantEntry: "",
			wantLog: `reason="credentials do not expire"`,
		},
		{
			name:      "credentials inside MinTTL are not stored",
			inner:     temporary("NEW", t0.Add(5*time.Minute)),
			wantCalls: 1, wantID: "NEW", wantEntry: "",
			wantLog: `reason="credentials expire within 5m0s"`,
		},
		{
			name:      "store write fails",
			setErr:    errors.New("keyring locked"),
			inner:     temporary("NEW", t0.Add(time.Hour)),
			wantCalls: 1, wantID: "NEW", wantEntry: "",
			wantLog: `msg="cache store failed" entry="AssumeRole arn:aws:iam::111111111111:role/deploy" err="keyring locked"`,
		},
		{
			name:      "store read fails",
			getErr:    errors.New("keyring locked"),
			inner:     temporary("NEW", t0.Add(time.Hour)),
			wantCalls: 1, wantID: "NEW", wantEntry: "NEW",
			wantLog: `reason="store read failed" err="keyring locked"`,
		},
		{
			name:      "fetch fails",
			innerErr:  errSTS,
			wantCalls: 1, wantErr: errSTS, wantEntry: "",
			wantLog: `reason="no entry"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newMemStore()
			if tt.stored != nil {
				store.items[name] = memItem{data: tt.stored, label: testKey.Description}
			}
			store.getErr, store.setErr = tt.getErr, tt.setErr
			lockDir := t.TempDir()
			c, logText := newCache(t, store, Options{LockDir: lockDir})
			inner := &fakeProvider{creds: tt.inner, err: tt.innerErr}

			got, err := c.Provider(testKey, inner).Retrieve(context.Background())

			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("Retrieve error = %v, want %v", err, tt.wantErr)
			}
			if got.AccessKeyID != tt.wantID {
				t.Errorf("Retrieve gave access key %q, want %q", got.AccessKeyID, tt.wantID)
			}
			if n := inner.calls.Load(); n != tt.wantCalls {
				t.Errorf("inner provider called %d times, want %d", n, tt.wantCalls)
			}
			store.getErr = nil
			e, ok := store.stored(t, name)
			if e.AccessKeyID != tt.wantEntry || ok != (tt.wantEntry != "") {
				t.Errorf("stored entry has access key %q (present %v), want %q", e.AccessKeyID, ok, tt.wantEntry)
			}
			if n := strings.Count(logText(), tt.wantLog); n != 1 {
				t.Errorf("log has %q %d times, want once:\n%s", tt.wantLog, n, logText())
			}
			requireUnlocked(t, lockDir, testKey)
		})
	}
}

func TestProviderSecondRunIsServedFromStore(t *testing.T) {
	store := newMemStore()
	lockDir := t.TempDir()
	want := temporary("ASIAFIRST", t0.Add(time.Hour))

	first, _ := newCache(t, store, Options{LockDir: lockDir})
	inner := &fakeProvider{creds: want}
	if _, err := first.Provider(testKey, inner).Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	second, _ := newCache(t, store, Options{LockDir: lockDir})
	again := &fakeProvider{creds: temporary("ASIASECOND", t0.Add(time.Hour))}
	got, err := second.Provider(testKey, again).Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := inner.calls.Load() + again.calls.Load(); n != 1 {
		t.Errorf("inner providers called %d times, want 1", n)
	}
	if !got.Expires.Equal(want.Expires) {
		t.Errorf("cached credentials expire at %v, want %v", got.Expires, want.Expires)
	}
	got.Expires = want.Expires
	if got != want {
		t.Errorf("cached credentials = %+v, want %+v", got, want)
	}
	if label, _ := store.Label(keyPrefix + testKey.hash()); label != testKey.Description {
		t.Errorf("entry label = %q, want %q", label, testKey.Description)
	}
}

func TestKeyParts(t *testing.T) {
	base := []string{"role=arn:aws:iam::111111111111:role/deploy", "session_name=rolehop-jane", "duration=1h", "source=AKIAEXAMPLE"}
	variants := map[string][]string{
		"role":           {"role=arn:aws:iam::111111111111:role/other", "session_name=rolehop-jane", "duration=1h", "source=AKIAEXAMPLE"},
		"session name":   {"role=arn:aws:iam::111111111111:role/deploy", "session_name=rolehop-joe", "duration=1h", "source=AKIAEXAMPLE"},
		"duration":       {"role=arn:aws:iam::111111111111:role/deploy", "session_name=rolehop-jane", "duration=2h", "source=AKIAEXAMPLE"},
		"source key":     {"role=arn:aws:iam::111111111111:role/deploy", "session_name=rolehop-jane", "duration=1h", "source=AKIAOTHER"},
		"extra part":     {"role=arn:aws:iam::111111111111:role/deploy", "session_name=rolehop-jane", "duration=1h", "source=AKIAEXAMPLE", "external_id=x"},
		"empty part":     {"role=arn:aws:iam::111111111111:role/deploy", "session_name=rolehop-jane", "duration=1h", "source=AKIAEXAMPLE", ""},
		"missing part":   {"role=arn:aws:iam::111111111111:role/deploy", "session_name=rolehop-jane", "duration=1h"},
		"order":          {"session_name=rolehop-jane", "role=arn:aws:iam::111111111111:role/deploy", "duration=1h", "source=AKIAEXAMPLE"},
		"moved boundary": {"role=arn:aws:iam::111111111111:role/deploy", "session_name=rolehop-jane", "duration=1hs", "ource=AKIAEXAMPLE"},
		"joined parts":   {"role=arn:aws:iam::111111111111:role/deploy", "session_name=rolehop-jane", "duration=1hsource=AKIAEXAMPLE"},
	}
	store := newMemStore()
	lockDir := t.TempDir()
	c, _ := newCache(t, store, Options{LockDir: lockDir})
	inner := &fakeProvider{creds: temporary("ASIA#", t0.Add(time.Hour))}
	if _, err := c.Provider(Key{Parts: base, Description: "base"}, inner).Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`^cache:[0-9a-f]{64}$`)
	seen := map[string]string{Key{Parts: base}.hash(): "base"}
	for what, parts := range variants {
		t.Run(what, func(t *testing.T) {
			before := inner.calls.Load()
			if _, err := c.Provider(Key{Parts: parts, Description: what}, inner).Retrieve(context.Background()); err != nil {
				t.Fatal(err)
			}
			if inner.calls.Load() != before+1 {
				t.Errorf("changing the %s was a cache hit", what)
			}
			h := Key{Parts: parts}.hash()
			if other, dup := seen[h]; dup {
				t.Errorf("parts for %q and %q hash the same", what, other)
			}
			seen[h] = what
		})
	}
	before := inner.calls.Load()
	if _, err := c.Provider(Key{Parts: slices.Clone(base), Description: "base"}, inner).Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	if inner.calls.Load() != before {
		t.Error("the same parts again were a cache miss")
	}
	keys, _ := store.Keys("")
	for _, k := range keys {
		if !name.MatchString(k) {
			t.Errorf("store key %q is not cache: and a hex SHA-256", k)
		}
	}
	if len(keys) != len(variants)+1 {
		t.Errorf("store has %d entries, want %d", len(keys), len(variants)+1)
	}
}

// TestProviderGoroutines checks that concurrent Retrieves within one process, each through a
// Cache of its own as separate rolehop runs would have, make one fetch between them.
func TestProviderGoroutines(t *testing.T) {
	const n = 20
	store := newMemStore()
	lockDir := t.TempDir()
	inner := &fakeProvider{creds: temporary("ASIA#", t0.Add(time.Hour)), delay: 200 * time.Millisecond}
	ids := make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		c, _ := newCache(t, store, Options{LockDir: lockDir})
		p := c.Provider(testKey, inner)
		wg.Go(func() {
			<-start
			creds, err := p.Retrieve(context.Background())
			ids[i], errs[i] = creds.AccessKeyID, err
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if got := inner.calls.Load(); got != 1 {
		t.Errorf("inner provider called %d times, want 1", got)
	}
	for i, id := range ids {
		if id != "ASIA1" {
			t.Errorf("goroutine %d got access key %q, want ASIA1", i, id)
		}
	}
}

func TestProviderLockTimeout(t *testing.T) {
	lockDir := t.TempDir()
	held := flock.New(filepath.Join(lockDir, testKey.hash()))
	if err := held.Lock(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = held.Unlock() })
	c, _ := newCache(t, newMemStore(), Options{LockDir: lockDir, LockTimeout: 200 * time.Millisecond})
	inner := &fakeProvider{creds: temporary("NEW", t0.Add(time.Hour))}

	start := time.Now()
	_, err := c.Provider(testKey, inner).Retrieve(context.Background())

	want := "another rolehop process has held the lock for AssumeRole arn:aws:iam::111111111111:role/deploy for 200ms; if none is running, remove " +
		filepath.Join(lockDir, testKey.hash())
	if err == nil || err.Error() != want {
		t.Fatalf("Retrieve error = %v, want %s", err, want)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond || waited > 5*time.Second {
		t.Errorf("Retrieve gave up after %v, want about 200ms", waited)
	}
	if n := inner.calls.Load(); n != 0 {
		t.Errorf("inner provider called %d times while the lock was held", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	slow, _ := newCache(t, newMemStore(), Options{LockDir: lockDir, LockTimeout: time.Hour})
	_, err = slow.Provider(testKey, inner).Retrieve(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "wait for the cache lock for AssumeRole ") {
		t.Errorf("Retrieve with a cancelled context: error = %v, want the context's", err)
	}

	if err := held.Unlock(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Provider(testKey, inner).Retrieve(context.Background()); err != nil {
		t.Errorf("Retrieve once the lock is free: %v", err)
	}
}

// chained is a hop signed with the credentials of the provider before it, as chain's steps are.
type chained struct {
	source aws.CredentialsProvider
	fakeProvider
}

func (c *chained) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if _, err := c.source.Retrieve(ctx); err != nil {
		return aws.Credentials{}, err
	}
	return c.fakeProvider.Retrieve(ctx)
}

func TestProviderNested(t *testing.T) {
	store := newMemStore()
	lockDir := t.TempDir()
	hop1 := Key{Parts: []string{"role=arn:aws:iam::111111111111:role/a"}, Description: "hop 1"}
	hop2 := Key{Parts: []string{"role=arn:aws:iam::111111111111:role/a", "role=arn:aws:iam::222222222222:role/b"}, Description: "hop 2"}
	var calls1, calls2 int32
	for run := range 3 {
		c, _ := newCache(t, store, Options{LockDir: lockDir})
		first := &fakeProvider{creds: temporary("ASIAHOP1", t0.Add(time.Hour))}
		second := &chained{source: c.Provider(hop1, first), fakeProvider: fakeProvider{creds: temporary("ASIAHOP2", t0.Add(time.Hour))}}
		got, err := c.Provider(hop2, second).Retrieve(context.Background())
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if got.AccessKeyID != "ASIAHOP2" {
			t.Errorf("run %d: got %q, want ASIAHOP2", run, got.AccessKeyID)
		}
		calls1 += first.calls.Load()
		calls2 += second.calls.Load()
	}
	if calls1 != 1 || calls2 != 1 {
		t.Errorf("three runs made %d calls for hop 1 and %d for hop 2, want 1 each", calls1, calls2)
	}
	requireUnlocked(t, lockDir, hop1)
	requireUnlocked(t, lockDir, hop2)
}

// TestDefaultLockDir checks where lock files go without Options.LockDir: under the
// XDG_CACHE_HOME or HOME that Options.LookupEnv gives, never the process's own.
func TestDefaultLockDir(t *testing.T) {
	home := t.TempDir()
	xdg := t.TempDir()
	process := t.TempDir()
	t.Setenv("HOME", process)
	t.Setenv("XDG_CACHE_HOME", process)
	tests := []struct {
		name string
		xdg  string
		want string
	}{
		{name: "XDG_CACHE_HOME", xdg: xdg, want: filepath.Join(xdg, "rolehop", "locks")},
		{name: "no XDG_CACHE_HOME", xdg: "", want: filepath.Join(home, ".cache", "rolehop", "locks")},
		{name: "relative XDG_CACHE_HOME is ignored", xdg: "relative", want: filepath.Join(home, ".cache", "rolehop", "locks")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"HOME": home, "XDG_CACHE_HOME": tt.xdg}
			lookupEnv := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
			c := New(newMemStore(), Options{LookupEnv: lookupEnv, Now: func() time.Time { return t0 }})
			inner := &fakeProvider{creds: temporary("NEW", t0.Add(time.Hour))}
			if _, err := c.Provider(testKey, inner).Retrieve(context.Background()); err != nil {
				t.Fatal(err)
			}
			if entries, err := os.ReadDir(process); err != nil || len(entries) != 0 {
				t.Errorf("the process's own XDG_CACHE_HOME and HOME hold %v (%v), want nothing", entries, err)
			}
			info, err := os.Stat(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if perm := info.Mode().Perm(); perm != 0o700 {
				t.Errorf("lock directory mode = %v, want 0700", perm)
			}
			lock, err := os.Stat(filepath.Join(tt.want, testKey.hash()))
			if err != nil {
				t.Fatal(err)
			}
			if lock.Size() != 0 {
				t.Errorf("lock file holds %d bytes, want none", lock.Size())
			}
		})
	}
}

// TestNoLockDir checks that a cache with neither a LockDir nor a HOME to put one in says so,
// and does not fall back on the process's environment.
func TestNoLockDir(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	c := New(newMemStore(), Options{Now: func() time.Time { return t0 }})
	inner := &fakeProvider{creds: temporary("NEW", t0.Add(time.Hour))}
	_, err := c.Provider(testKey, inner).Retrieve(context.Background())
	if want := "find the cache lock directory: $HOME is not defined"; err == nil || err.Error() != want {
		t.Errorf("Retrieve error = %v, want %s", err, want)
	}
	if n := inner.calls.Load(); n != 0 {
		t.Errorf("the provider was called %d times without a lock, want none", n)
	}
}

func TestListAndClear(t *testing.T) {
	store := newMemStore()
	lockDir := t.TempDir()
	c, _ := newCache(t, store, Options{LockDir: lockDir})
	key := func(desc string) Key { return Key{Parts: []string{"desc=" + desc}} }
	put := func(desc string, data []byte) string {
		name := keyPrefix + key(desc).hash()
		if err := store.Set(name, data, desc); err != nil {
			t.Fatal(err)
		}
		return name
	}
	// good is an entry for the key of desc.
	good := func(desc, id string, expires time.Time) []byte {
		return encode(t, entry{Key: key(desc).hash(), AccessKeyID: id, SecretAccessKey: secretKey, Expires: expires})
	}
	b := put("hop 2: AssumeRole b", good("hop 2: AssumeRole b", "B", t0.Add(2*time.Hour)))
	a := put("hop 1: AssumeRole a", good("hop 1: AssumeRole a", "A", t0.Add(time.Hour)))
	soon := put("hop 3: AssumeRole c", good("hop 3: AssumeRole c", "C", t0.Add(time.Minute)))
	expired := put("expired", good("expired", "X", t0.Add(-time.Second)))
	corrupted := put("corrupted", []byte("not json"))
	misplaced := put("misplaced", good("hop 1: AssumeRole a", "A", t0.Add(time.Hour)))
	lockedExpired := put("expired, being refreshed", good("expired, being refreshed", "Y", t0.Add(-time.Hour)))
	if err := store.Set("other:secret", []byte("not ours"), "other"); err != nil {
		t.Fatal(err)
	}
	held := flock.New(filepath.Join(lockDir, strings.TrimPrefix(lockedExpired, keyPrefix)))
	if err := held.Lock(); err != nil {
		t.Fatal(err)
	}

	got, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Name: a, Description: "hop 1: AssumeRole a", Expires: t0.Add(time.Hour)},
		{Name: b, Description: "hop 2: AssumeRole b", Expires: t0.Add(2 * time.Hour)},
		{Name: soon, Description: "hop 3: AssumeRole c", Expires: t0.Add(time.Minute)},
	}
	if !slices.EqualFunc(got, want, func(x, y Entry) bool {
		return x.Name == y.Name && x.Description == y.Description && x.Expires.Equal(y.Expires)
	}) {
		t.Errorf("List() = %+v\nwant %+v", got, want)
	}
	for _, name := range []string{expired, corrupted, misplaced} {
		if _, found, _ := store.Get(name); found {
			t.Errorf("List left stale entry %s in the store", name)
		}
	}
	if _, found, _ := store.Get(lockedExpired); !found {
		t.Error("List removed an entry another process held the lock of")
	}
	if err := held.Unlock(); err != nil {
		t.Fatal(err)
	}

	n, err := c.Clear()
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("Clear() = %d, want 4", n)
	}
	keys, _ := store.Keys("")
	if !slices.Equal(keys, []string{"other:secret"}) {
		t.Errorf("after Clear the store holds %q, want only other:secret", keys)
	}
	if got, err := c.List(); err != nil || len(got) != 0 {
		t.Errorf("List() after Clear = %v, %v; want nothing", got, err)
	}
	if n, err := c.Clear(); err != nil || n != 0 {
		t.Errorf("Clear() of an empty cache = %d, %v; want 0", n, err)
	}
}

// TestListNamesTheBase stores the same step from two base identities: List returns both, each
// with the Base it was stored with (which is no part of the label a keyring shows), sorted by
// it, and an entry stored without one has none.
func TestListNamesTheBase(t *testing.T) {
	store := newMemStore()
	c, _ := newCache(t, store, Options{})
	const desc = "AssumeRole arn:aws:iam::111111111111:role/deploy"
	keys := []Key{
		{Parts: []string{"access_key_id=AKIAEXAMPLE0002", "role=deploy"}, Description: desc, Base: "env AWS_ACCESS_KEY_ID ****0002"},
		{Parts: []string{"access_key_id=AKIAEXAMPLE0001", "role=deploy"}, Description: desc, Base: "env AWS_ACCESS_KEY_ID ****0001"},
		{Parts: []string{"base=unnamed", "role=deploy"}, Description: desc},
	}
	for _, k := range keys {
		if _, err := c.Provider(k, &fakeProvider{creds: temporary("ASIA#", t0.Add(time.Hour))}).Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
		if label, err := store.Label(keyPrefix + k.hash()); err != nil || label != desc {
			t.Errorf("label of the entry from %q = %q, %v; want %q", k.Base, label, err, desc)
		}
	}
	got, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	var bases []string
	for _, e := range got {
		bases = append(bases, e.Base)
	}
	if want := []string{"", keys[1].Base, keys[0].Base}; !slices.Equal(bases, want) {
		t.Errorf("List() bases = %q, want %q", bases, want)
	}
}

// TestEntryOfAnotherKey copies the entry of one key to another key's name, as swapping the
// file keyring's files does: reading the second key must be a miss that fetches its own
// credentials, never the first key's.
func TestEntryOfAnotherKey(t *testing.T) {
	store := newMemStore()
	c, logText := newCache(t, store, Options{})
	keyA := Key{Parts: []string{"role=arn:aws:iam::111111111111:role/a"}, Description: "role a"}
	keyB := Key{Parts: []string{"role=arn:aws:iam::111111111111:role/b"}, Description: "role b"}
	if _, err := c.Provider(keyA, &fakeProvider{creds: temporary("ASIAROLEA", t0.Add(time.Hour))}).Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	store.items[keyPrefix+keyB.hash()] = store.items[keyPrefix+keyA.hash()]

	innerB := &fakeProvider{creds: temporary("ASIAROLEB", t0.Add(time.Hour))}
	got, err := c.Provider(keyB, innerB).Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessKeyID != "ASIAROLEB" || innerB.calls.Load() != 1 {
		t.Errorf("Retrieve(b) = %q after %d fetches, want ASIAROLEB after 1", got.AccessKeyID, innerB.calls.Load())
	}
	const line = `msg="cache miss" entry="role b" reason="the entry was stored under another key, removing it"`
	if !strings.Contains(logText(), line) {
		t.Errorf("log lacks %s:\n%s", line, logText())
	}
	if e, ok := store.stored(t, keyPrefix+keyB.hash()); !ok || e.AccessKeyID != "ASIAROLEB" || e.Key != keyB.hash() {
		t.Errorf("b's entry is %+v (present %v), want b's own", e, ok)
	}
	if e, ok := store.stored(t, keyPrefix+keyA.hash()); !ok || e.AccessKeyID != "ASIAROLEA" {
		t.Errorf("a's entry is %+v (present %v), want it untouched", e, ok)
	}
}

func TestListStoreErrors(t *testing.T) {
	store := newMemStore()
	c, _ := newCache(t, store, Options{})
	if _, err := c.Provider(testKey, &fakeProvider{creds: temporary("A", t0.Add(time.Hour))}).Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	store.getErr = errors.New("keyring locked")
	if _, err := c.List(); err == nil || !strings.Contains(err.Error(), "keyring locked") {
		t.Errorf("List() with an unreadable store: error = %v, want the store's", err)
	}
}

func TestExpires(t *testing.T) {
	store := newMemStore()
	c, _ := newCache(t, store, Options{})
	keyA := Key{Parts: []string{"role=arn:aws:iam::111111111111:role/a"}}
	keyB := Key{Parts: []string{"role=arn:aws:iam::111111111111:role/b"}}
	if _, ok := c.Expires(keyA); ok {
		t.Error("an empty cache holds credentials for a")
	}
	inner := &fakeProvider{creds: temporary("ASIAROLEA", t0.Add(time.Hour))}
	if _, err := c.Provider(keyA, inner).Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	if until, ok := c.Expires(keyA); !ok || !until.Equal(t0.Add(time.Hour)) {
		t.Errorf("Expires(a) = %v, %v; want %v, true", until, ok, t0.Add(time.Hour))
	}
	if _, ok := c.Expires(keyB); ok {
		t.Error("the cache holds credentials for b, which were never fetched")
	}
	if inner.calls.Load() != 1 {
		t.Errorf("%d fetches, want 1: Expires fetches nothing", inner.calls.Load())
	}
}
