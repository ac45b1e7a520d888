//go:build unix

package proctest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// AwaitGone waits until each process whose ID the file name in dir holds has ended, as
// processes a test script started and wrote their IDs for (echo $$ > self).
func AwaitGone(t testing.TB, dir string, names ...string) {
	t.Helper()
	for _, name := range names {
		AwaitPidGone(t, name, ReadPid(t, filepath.Join(dir, name)))
	}
}

// AwaitPidGone waits until process pid, called what in a failure, has ended, and fails the
// test and kills it if it has not within Limit.
func AwaitPidGone(t testing.TB, what string, pid int) {
	t.Helper()
	for deadline := time.Now().Add(Limit); !Gone(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("%s (pid %d) still running %v later", what, pid, Limit)
			return
		}
	}
}

// Gone reports whether process pid has ended. A zombie has ended: whoever adopted it (the init
// process of a container, say) may take its time to reap it.
func Gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses and may hold spaces.
	fields := bytes.Fields(stat[bytes.LastIndexByte(stat, ')')+1:])
	return len(fields) > 0 && (string(fields[0]) == "Z" || string(fields[0]) == "X")
}
