package secretstore

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/99designs/keyring"
)

// openKeyctl opens keyring's keyctl backend and checks that the kernel lets this process read
// it: a rolehop keyring made with other permissions than keyctlPerm's may not be readable.
func openKeyctl(cfg keyring.Config) (*Store, error) {
	var kr keyring.Keyring
	open := func() error {
		var err error
		kr, err = keyring.Open(cfg)
		return err
	}
	// Open creates rolehop's keyring when there is none, by way of the session keyring, so
	// then it runs on a thread of its own. Once the keyring exists, as on every run but the
	// first, Open only finds it, and a thread started and ended for it would cost more than
	// the rest of the open.
	var err error
	if keyctlHasKeyring(cfg.ServiceName) {
		err = open()
	} else {
		err = onThrowawayThread(open)
	}
	if err != nil {
		return nil, errOpen
	}
	// One search, whatever the number of items (listing them would describe each): a keyring
	// this process may not search answers EACCES, not ENOKEY.
	if _, err := kr.Get(probeKey); err != nil && !errors.Is(err, keyring.ErrKeyNotFound) {
		return nil, fmt.Errorf("the kernel keyring cannot be read: %w", err)
	}
	return &Store{name: string(keyring.KeyCtlBackend), kr: keyctlBackend{kr}}, nil
}

// probeKey is a key no item has (Set refuses it: keys start with a letter or digit).
const probeKey = ".probe"

// keyctlBackend is keyring's keyctl backend, which creates keys and keyrings with the
// permissions of keyctlPerm by adding them to the session keyring first. Linux keeps the
// session keyring per thread, and creates one for a thread that has none, so those calls run
// on a thread of their own.
type keyctlBackend struct {
	keyring.Keyring
}

func (k keyctlBackend) Set(item keyring.Item) error {
	return onThrowawayThread(func() error { return k.Keyring.Set(item) })
}

// onThrowawayThread runs f on an OS thread that ends with it: f's system calls all see the
// same session keyring, and a session keyring made for the thread is never inherited by the
// commands rolehop starts.
func onThrowawayThread(f func() error) error {
	done := make(chan error, 1)
	go func() {
		// Never unlocked, so that the thread exits with the goroutine.
		runtime.LockOSThread()
		done <- f()
	}()
	return <-done
}
