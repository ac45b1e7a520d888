//go:build !linux

package secretstore

// keyctlProbe has nothing to check: keyring has its keyctl backend only on Linux.
func keyctlProbe() error { return nil }

// keyctlPerm is 0, keyring's default, where there is no keyctl.
func keyctlPerm() uint32 { return 0 }

// keyctlHasKeyring is false: there is no kernel keyring.
func keyctlHasKeyring(string) bool { return false }
