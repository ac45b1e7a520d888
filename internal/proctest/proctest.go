// Package proctest follows the processes that tests of the programs rolehop runs start: test
// scripts write their process IDs or a "ready" mark into files, and the tests wait on those.
// It is test support: only tests import it.
package proctest

import (
	"os"
	"os/signal"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Limit bounds every wait: long enough for a loaded machine, short enough to fail a hung test.
const Limit = 15 * time.Second

// AwaitFile polls until the file at path exists, and fails the test if it does not appear
// within Limit.
func AwaitFile(t testing.TB, path string) {
	t.Helper()
	for deadline := time.Now().Add(Limit); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s did not appear within %v", path, Limit)
			return
		}
	}
}

// ReadPid returns the process ID in the file at path.
func ReadPid(t testing.TB, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// CatchIgnored catches those of sigs that the test binary was started with ignored (by nohup,
// say, or as a background job of a script), which ignores them all the same. Code under test
// rightly leaves an ignored signal alone, and a program it starts inherits the disposition, so
// the tests that send one would fail; a caught signal is handled by the code under test, and
// reset to the default in the programs it starts.
func CatchIgnored(sigs ...os.Signal) {
	for _, sig := range sigs {
		if signal.Ignored(sig) {
			signal.Notify(make(chan os.Signal, 1), sig)
		}
	}
}
