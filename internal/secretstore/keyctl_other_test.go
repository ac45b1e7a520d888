//go:build !linux

package secretstore

import "testing"

// testService returns the service name for tests; keyctl, whose keyrings need removing after a
// test, exists only on Linux.
func testService(*testing.T) string {
	return "rolehop-test"
}

// openKeyctlStore says that keyctl exists only on Linux.
func openKeyctlStore(*testing.T) (*Store, string) {
	return nil, "keyctl exists only on Linux"
}
