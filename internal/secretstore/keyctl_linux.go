package secretstore

import (
	"fmt"

	"github.com/99designs/keyring"
	"golang.org/x/sys/unix"
)

// keyctlProbe reports whether the kernel lets this process use keyrings: container runtimes
// often forbid keyctl (Docker's default seccomp profile does).
func keyctlProbe() error {
	if _, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, true); err != nil {
		return fmt.Errorf("the kernel does not permit keyctl here: %w", err)
	}
	return nil
}

// keyctlHasKeyring reports whether the user keyring holds a keyring named name.
func keyctlHasKeyring(name string) bool {
	_, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "keyring", name, 0)
	return err == nil
}

// keyctlPerm gives the user's processes, not only those that possess the rolehop keyring,
// the use of it and its keys. With keyring's default (possessor only), a process whose
// session keyring does not link the user keyring (a systemd service, a new session) could not
// use the rolehop keyring that another process of the same user created.
func keyctlPerm() uint32 {
	user := keyring.KEYCTL_PERM_VIEW | keyring.KEYCTL_PERM_READ | keyring.KEYCTL_PERM_WRITE |
		keyring.KEYCTL_PERM_SEARCH | keyring.KEYCTL_PERM_LINK
	return keyring.GetPermissions(keyring.KEYCTL_PERM_ALL, user, 0, 0)
}
