package credcache

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// childVar, set to a directory, makes the test binary act as one rolehop run: see child.
const childVar = "CREDCACHE_TEST_CHILD"

// processWait bounds every wait of the cross-process test.
const processWait = 60 * time.Second

func TestMain(m *testing.M) {
	if dir := os.Getenv(childVar); dir != "" {
		os.Exit(child(dir))
	}
	os.Exit(m.Run())
}

// child is one rolehop run sharing dir with the others: it says it is ready, waits for the
// start signal, retrieves the credentials through a Cache on a store and lock directory in
// dir, and prints their access key ID.
func child(dir string) int {
	ready := filepath.Join(dir, "ready", fmt.Sprint(os.Getpid()))
	if err := os.WriteFile(ready, nil, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := waitFor(func() bool { _, err := os.Stat(filepath.Join(dir, "go")); return err == nil }); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	c := New(fileStore{filepath.Join(dir, "store")}, Options{LockDir: filepath.Join(dir, "locks")})
	creds, err := c.Provider(testKey, fetcher{filepath.Join(dir, "fetches")}).Retrieve(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(creds.AccessKeyID)
	return 0
}

// waitFor polls done until it reports true, or gives up after processWait.
func waitFor(done func() bool) error {
	for end := time.Now().Add(processWait); !done(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			return errors.New("timed out")
		}
	}
	return nil
}

// fetcher stands for an STS call: it records the call as a line in its file, takes a while,
// and returns credentials no other process's call returns.
type fetcher struct{ log string }

func (f fetcher) Retrieve(context.Context) (aws.Credentials, error) {
	id := fmt.Sprintf("ASIAPID%d", os.Getpid())
	file, err := os.OpenFile(f.log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return aws.Credentials{}, err
	}
	_, err = fmt.Fprintln(file, id)
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return aws.Credentials{}, err
	}
	time.Sleep(200 * time.Millisecond)
	return aws.Credentials{
		AccessKeyID: id, SecretAccessKey: secretKey, SessionToken: sessionToken,
		CanExpire: true, Expires: time.Now().Add(time.Hour),
	}, nil
}

// fileStore is a Store shared between processes: one file per key, named by the key in hex,
// holding the data and label as JSON, replaced by renaming so a reader never sees half of it.
type fileStore struct{ dir string }

type fileItem struct {
	Data  []byte `json:"data"`
	Label string `json:"label"`
}

func (s fileStore) path(key string) string {
	return filepath.Join(s.dir, hex.EncodeToString([]byte(key)))
}

func (s fileStore) read(key string) (fileItem, bool, error) {
	raw, err := os.ReadFile(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return fileItem{}, false, nil
	}
	if err != nil {
		return fileItem{}, false, err
	}
	var it fileItem
	if err := json.Unmarshal(raw, &it); err != nil {
		return fileItem{}, false, fmt.Errorf("read %s: %w", key, err)
	}
	return it, true, nil
}

func (s fileStore) Get(key string) ([]byte, bool, error) {
	it, found, err := s.read(key)
	return it.Data, found, err
}

func (s fileStore) Label(key string) (string, error) {
	it, found, err := s.read(key)
	if err == nil && !found {
		err = fmt.Errorf("no item %s", key)
	}
	return it.Label, err
}

func (s fileStore) Set(key string, data []byte, label string) error {
	raw, err := json.Marshal(fileItem{Data: data, Label: label})
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, "tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(raw)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.path(key))
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}

func (s fileStore) Remove(key string) error {
	if err := os.Remove(s.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func (s fileStore) Keys(prefix string) ([]string, error) {
	files, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, f := range files {
		key, err := hex.DecodeString(f.Name())
		if err == nil && strings.HasPrefix(string(key), prefix) {
			keys = append(keys, string(key))
		}
	}
	return keys, nil
}

// startChildren starts n children sharing dir, waits until all are ready, and returns their
// commands with the buffers their output goes to.
func startChildren(t *testing.T, dir string, n int) ([]*exec.Cmd, []*bytes.Buffer) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "ready"), 0o700); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadDir(filepath.Join(dir, "ready"))
	if err != nil {
		t.Fatal(err)
	}
	cmds := make([]*exec.Cmd, n)
	outs := make([]*bytes.Buffer, n)
	for i := range cmds {
		outs[i] = new(bytes.Buffer)
		cmds[i] = exec.Command(self)
		cmds[i].Env = append(os.Environ(), childVar+"="+dir)
		cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
		cmd := cmds[i]
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}
		})
	}
	err = waitFor(func() bool {
		ready, err := os.ReadDir(filepath.Join(dir, "ready"))
		return err == nil && len(ready) == len(before)+n
	})
	if err != nil {
		t.Fatalf("waiting for %d children to be ready: %v", n, err)
	}
	return cmds, outs
}

// TestProviderProcesses is what the cache is for: rolehop runs started at once, with a cold
// cache, make one fetch between them, and all use its credentials.
func TestProviderProcesses(t *testing.T) {
	const n = 20
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "store"), 0o700); err != nil {
		t.Fatal(err)
	}
	cmds, outs := startChildren(t, dir, n)
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("child %d: %v: %s", i, err, outs[i])
		}
	}
	fetches := readLines(t, filepath.Join(dir, "fetches"))
	if len(fetches) != 1 {
		t.Fatalf("%d children fetched credentials, want 1: %q", len(fetches), fetches)
	}
	for i, out := range outs {
		if got := strings.TrimSpace(out.String()); got != fetches[0] {
			t.Errorf("child %d got %q, want the one fetch's %q", i, got, fetches[0])
		}
	}

	// A later run finds the entry too.
	cmds, outs = startChildren(t, dir, 1)
	if err := cmds[0].Wait(); err != nil {
		t.Fatalf("later child: %v: %s", err, outs[0])
	}
	if got := strings.TrimSpace(outs[0].String()); got != fetches[0] {
		t.Errorf("later child got %q, want the cached %q", got, fetches[0])
	}
	if again := readLines(t, filepath.Join(dir, "fetches")); len(again) != 1 {
		t.Errorf("later child fetched again: %q", again)
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(data))
}
