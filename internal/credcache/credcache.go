// Package credcache keeps temporary credentials in a secret store between rolehop runs, so that
// a run makes no STS call while cached credentials are good, MFA is asked once per MFA
// session, and processes started together with a cold cache make one STS call between them.
//
// Every lookup, and the fetch and store that follow a miss, happen under a lock file kept for
// that entry alone (see [Cache.Provider]), so one process fetches while the others wait for it
// and then read what it stored.
package credcache

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Store is the secret store entries live in; secretstore.Store satisfies it. It must be safe
// for use by several goroutines and processes at once, and Set must replace an entry whole: a
// reader sees the old data or the new, never a mix.
type Store interface {
	// Get returns the data stored under key. When there is none it returns found false and a
	// nil error: any error means the store could not be read.
	Get(key string) (data []byte, found bool, err error)
	// Set stores data under key, replacing what was there, with a label people may see (in
	// `rolehop cache list`, or a keyring's own UI).
	Set(key string, data []byte, label string) error
	// Remove deletes key. Removing a key that is not there is not an error.
	Remove(key string) error
	// Keys returns every key that starts with prefix.
	Keys(prefix string) ([]string, error)
	// Label returns the label key was stored with.
	Label(key string) (string, error)
}

// Options configures a Cache. The zero value gives the defaults, but for the lock directory,
// which needs LockDir or LookupEnv.
type Options struct {
	// LockDir is the directory for lock files, which hold no secrets. "" means
	// $XDG_CACHE_HOME/rolehop/locks, or ~/.cache/rolehop/locks. It is created with mode 0700;
	// a lock directory or file that is a link, a named pipe, another user's, or a directory
	// others may write is an error (see privfs).
	LockDir string
	// LookupEnv reads XDG_CACHE_HOME and HOME for the default LockDir; nil means neither is
	// set.
	LookupEnv func(string) (string, bool)
	// MinTTL is how long cached credentials must still be good for to be used; 0 means
	// DefaultMinTTL.
	MinTTL time.Duration
	// LockTimeout is how long to wait for another process fetching the same entry; 0 means 2m.
	LockTimeout time.Duration
	// Log receives debug lines, which never hold secrets; nil discards them.
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultMinTTL is how long cached credentials must still be good for when Options.MinTTL is 0.
const DefaultMinTTL = 5 * time.Minute

const (
	defaultLockTimeout = 2 * time.Minute
	// keyPrefix starts the name of every entry in the store, so entries can be told from the
	// store's other secrets.
	keyPrefix = "cache:"
	// entryVersion is the format of the stored data; entries of another version count as
	// corrupted and are replaced. Version 2 added Key.
	entryVersion = 2
)

// Cache serves credentials from a Store. It is safe for use by several goroutines.
type Cache struct {
	store       Store
	lockDir     string
	lookupEnv   func(string) (string, bool)
	minTTL      time.Duration
	lockTimeout time.Duration
	log         *slog.Logger
	now         func() time.Time
}

// New returns a Cache keeping its entries in store.
func New(store Store, o Options) *Cache {
	c := &Cache{
		store:       store,
		lockDir:     o.LockDir,
		lookupEnv:   o.LookupEnv,
		minTTL:      o.MinTTL,
		lockTimeout: o.LockTimeout,
		log:         o.Log,
		now:         o.Now,
	}
	if c.minTTL <= 0 {
		c.minTTL = DefaultMinTTL
	}
	if c.lockTimeout <= 0 {
		c.lockTimeout = defaultLockTimeout
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.lookupEnv == nil {
		c.lookupEnv = func(string) (string, bool) { return "", false }
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// Key names a cache entry.
type Key struct {
	// Parts are everything that changes the cached result, as name=value strings, in an order
	// the caller keeps stable: order matters. They are hashed into the entry's name, so none
	// of them is stored in clear; still, never put a secret in them (use a key ID, not a
	// secret key). A hop's Parts must include the Parts of every hop before it, as they must
	// anyway for the cached result to be right.
	Parts []string
	// Description is a summary for people, with no secrets: it labels the entry in the store
	// and in `rolehop cache list`, and names it in logs and errors.
	Description string
	// Base names, for people, the identity the chain starts from (a profile, stored
	// credentials' name, the last 4 characters of an access key ID), with no secrets: two
	// entries of the same Description from different identities are told apart by it in
	// `rolehop cache list`. Parts already cover the identity, so it is no part of the name.
	Base string
}

// hash is the hex SHA-256 of the parts, each prefixed with its length so that no two lists of
// parts hash the same input.
func (k Key) hash() string {
	h := sha256.New()
	for _, p := range k.Parts {
		h.Write([]byte(strconv.Itoa(len(p)) + ":" + p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// entry is the data stored for one set of credentials.
type entry struct {
	Version int `json:"version"`
	// Key is the hash of the Key the entry was stored under. The store encrypts it with the
	// credentials, but may not tie them to the entry's name (the file keyring's file names,
	// pass's): an entry moved or copied to another key's name must not be served as that key.
	Key             string    `json:"key_sha256"`
	AccessKeyID     string    `json:"access_key_id"`
	SecretAccessKey string    `json:"secret_access_key"`
	SessionToken    string    `json:"session_token,omitempty"`
	AccountID       string    `json:"account_id,omitempty"`
	Source          string    `json:"source,omitempty"`
	Expires         time.Time `json:"expires"`
	// Base is Key.Base, kept with the credentials rather than in the label so that no
	// keyring's own UI shows more than the description.
	Base string `json:"base,omitempty"`
}

// decode parses stored data, reporting false for anything that is not a whole entry.
func decode(data []byte) (entry, bool) {
	var e entry
	if err := json.Unmarshal(data, &e); err != nil {
		return entry{}, false
	}
	ok := e.Version == entryVersion && e.Key != "" && e.AccessKeyID != "" && e.SecretAccessKey != "" && !e.Expires.IsZero()
	return e, ok
}

func (e entry) credentials() aws.Credentials {
	return aws.Credentials{
		AccessKeyID:     e.AccessKeyID,
		SecretAccessKey: e.SecretAccessKey,
		SessionToken:    e.SessionToken,
		AccountID:       e.AccountID,
		Source:          e.Source,
		CanExpire:       true,
		Expires:         e.Expires,
	}
}

// Provider returns a provider that serves inner's credentials from the cache while they are
// good for longer than MinTTL, and otherwise fetches them with inner and stores them.
//
// Each Retrieve holds the entry's lock file while it looks in the cache, fetches and stores,
// so processes asking for the same entry at once wait for the first and then use what it
// stored. When inner is itself such a provider (a cached hop signed by a cached hop before
// it), the outer lock is held while the inner one is taken. Callers must always nest providers
// in chain order, each hop's Key including the Keys before it; then locks are always taken
// from the longer chain to the shorter, and no two Retrieves can deadlock waiting for each
// other's lock.
func (c *Cache) Provider(key Key, inner aws.CredentialsProvider) aws.CredentialsProvider {
	hash := key.hash()
	desc := key.Description
	if desc == "" {
		desc = keyPrefix + hash
	}
	return &provider{cache: c, inner: inner, name: keyPrefix + hash, hash: hash, desc: desc, base: key.Base}
}

type provider struct {
	cache *Cache
	inner aws.CredentialsProvider
	name  string // the entry's key in the store
	hash  string // the entry's lock file name
	desc  string
	base  string
}

// Retrieve returns the cached credentials, or fetches and caches them. inner's errors are
// returned as they are.
func (p *provider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c := p.cache
	unlock, err := c.lock(ctx, p.hash, p.desc)
	if err != nil {
		return aws.Credentials{}, err
	}
	defer unlock()
	if creds, ok := c.load(p.name, p.hash, p.desc); ok {
		return creds, nil
	}
	creds, err := p.inner.Retrieve(ctx)
	if err != nil {
		return creds, err
	}
	c.save(p, creds)
	return creds, nil
}

// load returns the credentials stored under name if they are the key hash's and good for
// longer than MinTTL, removing the entry if it is expired, corrupted or another key's. A
// store that cannot be read counts as a miss: the cache only saves calls, it must not make a
// fetch fail.
func (c *Cache) load(name, hash, desc string) (aws.Credentials, bool) {
	data, found, err := c.store.Get(name)
	if err != nil {
		c.log.Debug("cache miss", "entry", desc, "reason", "store read failed", "err", err)
		return aws.Credentials{}, false
	}
	if !found {
		c.log.Debug("cache miss", "entry", desc, "reason", "no entry")
		return aws.Credentials{}, false
	}
	e, ok := decode(data)
	if !ok {
		// The parse error is not logged: it may quote the data.
		c.log.Debug("cache miss", "entry", desc, "reason", "corrupted entry, replacing it")
		c.remove(name, desc)
		return aws.Credentials{}, false
	}
	if e.Key != hash {
		c.log.Debug("cache miss", "entry", desc, "reason", "the entry was stored under another key, removing it")
		c.remove(name, desc)
		return aws.Credentials{}, false
	}
	expires := formatTime(e.Expires)
	switch left := e.Expires.Sub(c.now()); {
	case left <= 0:
		c.log.Debug("cache miss", "entry", desc, "reason", "expired", "expires", expires)
		c.remove(name, desc)
		return aws.Credentials{}, false
	case left <= c.minTTL:
		c.log.Debug("cache miss", "entry", desc, "reason", "expires within "+c.minTTL.String(), "expires", expires)
		return aws.Credentials{}, false
	}
	c.log.Debug("cache hit", "entry", desc, "expires", expires)
	return e.credentials(), true
}

// save stores creds under p's name, tied to its key hash, if they expire, and not within
// MinTTL. Failures are logged only: the credentials are good whether or not they could be
// cached.
func (c *Cache) save(p *provider, creds aws.Credentials) {
	desc := p.desc
	if !creds.CanExpire {
		c.log.Debug("cache skip", "entry", desc, "reason", "credentials do not expire")
		return
	}
	expires := formatTime(creds.Expires)
	if creds.Expires.Sub(c.now()) <= c.minTTL {
		c.log.Debug("cache skip", "entry", desc, "reason", "credentials expire within "+c.minTTL.String(), "expires", expires)
		return
	}
	data, err := json.Marshal(entry{
		Version:         entryVersion,
		Key:             p.hash,
		AccessKeyID:     creds.AccessKeyID,
		SecretAccessKey: creds.SecretAccessKey,
		SessionToken:    creds.SessionToken,
		AccountID:       creds.AccountID,
		Source:          creds.Source,
		Expires:         creds.Expires,
		Base:            p.base,
	})
	if err != nil {
		c.log.Debug("cache skip", "entry", desc, "reason", "cannot encode the expiry", "expires", expires)
		return
	}
	if err := c.store.Set(p.name, data, desc); err != nil {
		c.log.Debug("cache store failed", "entry", desc, "err", err)
		return
	}
	c.log.Debug("cache store", "entry", desc, "expires", expires)
}

func (c *Cache) remove(name, desc string) {
	if err := c.store.Remove(name); err != nil {
		c.log.Debug("cache remove failed", "entry", desc, "err", err)
	}
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Entry describes one cached set of credentials.
type Entry struct {
	Name        string // the key in the store
	Description string
	// Base is the Key.Base the entry was stored with; "" for entries stored without one.
	Base    string
	Expires time.Time
}

// List returns the entries in the cache, sorted by description, then base. It removes the expired,
// corrupted and misplaced entries it sees, unless a process is fetching them at that moment.
func (c *Cache) List() ([]Entry, error) {
	names, err := c.store.Keys(keyPrefix)
	if err != nil {
		return nil, fmt.Errorf("list cache entries: %w", err)
	}
	var out []Entry
	for _, name := range names {
		data, found, err := c.store.Get(name)
		if err != nil {
			return nil, fmt.Errorf("read cache entry %s: %w", name, err)
		}
		if !found {
			continue
		}
		e, ok := c.current(name, data)
		if !ok {
			c.removeStale(name)
			continue
		}
		label, err := c.store.Label(name)
		if err != nil {
			return nil, fmt.Errorf("read the label of cache entry %s: %w", name, err)
		}
		out = append(out, Entry{Name: name, Description: label, Base: e.Base, Expires: e.Expires})
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(strings.Compare(a.Description, b.Description), strings.Compare(a.Base, b.Base), strings.Compare(a.Name, b.Name))
	})
	return out, nil
}

// removeStale removes the entry name if it is still expired, corrupted or misplaced once its
// lock is held. If another process holds the lock, that process is replacing the entry: leave it.
func (c *Cache) removeStale(name string) {
	f, checked, err := c.lockFile(strings.TrimPrefix(name, keyPrefix))
	if err != nil {
		c.log.Debug("cache remove skipped", "entry", name, "err", err)
		return
	}
	if ok, err := f.TryLock(); !ok || err != nil {
		c.log.Debug("cache remove skipped", "entry", name, "reason", "entry is locked", "err", err)
		return
	}
	defer c.unlock(f, name)
	if err := sameFile(f, checked); err != nil {
		c.log.Debug("cache remove skipped", "entry", name, "err", err)
		return
	}
	data, found, err := c.store.Get(name)
	if err != nil || !found {
		return
	}
	if _, ok := c.current(name, data); !ok {
		c.log.Debug("cache remove", "entry", name, "reason", "expired, corrupted or stored under another key")
		c.remove(name, name)
	}
}

// current decodes the data stored under name, reporting whether it is a whole entry of that
// name that has not expired.
func (c *Cache) current(name string, data []byte) (entry, bool) {
	e, ok := decode(data)
	return e, ok && keyPrefix+e.Key == name && e.Expires.After(c.now())
}

// Clear removes every entry from the cache and returns how many it removed. Lock files are
// left in place: removing one while a process waits on it would let a second process lock a
// new file of the same name.
func (c *Cache) Clear() (int, error) {
	names, err := c.store.Keys(keyPrefix)
	if err != nil {
		return 0, fmt.Errorf("list cache entries: %w", err)
	}
	for i, name := range names {
		if err := c.store.Remove(name); err != nil {
			return i, fmt.Errorf("remove cache entry %s: %w", name, err)
		}
	}
	return len(names), nil
}

// Expires returns when the credentials cached under key expire, and whether the cache holds
// ones it would use (good for longer than MinTTL). It neither locks nor fetches; an entry that
// has expired is removed, as Retrieve would.
func (c *Cache) Expires(key Key) (time.Time, bool) {
	hash := key.hash()
	creds, ok := c.load(keyPrefix+hash, hash, key.Description)
	return creds.Expires, ok
}
