package mototest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"
)

// scriptParams runs scripts in dir against the shared moto, each behind its
// own Recorder: $STS is the recorder, $MOTO is moto itself. Besides the package's
// commands they have sts (see cmdSTS).
func scriptParams(dir string) testscript.Params {
	cmds := Commands(ScriptRecorder)
	cmds["sts"] = cmdSTS
	return testscript.Params{
		Dir:  dir,
		Cmds: cmds,
		Setup: func(env *testscript.Env) error {
			// A script holding a no-recorder file checks what happens
			// when the caller forgot SetupRecorder.
			if _, err := os.Stat(filepath.Join(env.WorkDir, "no-recorder")); err == nil {
				return nil
			}
			rec, err := SetupRecorder(env, moto.URL)
			if err != nil {
				return err
			}
			for _, kv := range [][2]string{
				{"STS", rec.URL},
				{"MOTO", moto.URL},
				{"AWS_ENDPOINT_URL_STS", rec.URL},
				{"AWS_ACCESS_KEY_ID", "AKIDSCRIPTBASE"},
				{"AWS_SECRET_ACCESS_KEY", "not-a-real-secret"},
				{"AWS_DEFAULT_REGION", "us-east-1"},
				{"AWS_REGION", "us-east-1"},
				{"AWS_EC2_METADATA_DISABLED", "true"},
				// The AWS CLI reads .aws/config from the script and caches
				// assumed roles there.
				{"HOME", env.WorkDir},
			} {
				env.Setenv(kv[0], kv[1])
			}
			return nil
		},
	}
}

func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams("testdata/script"))
}

// TestCommandsDetectFailures runs each script in testdata/fail, which must
// fail with a message containing its "want" file.
func TestCommandsDetectFailures(t *testing.T) {
	files, err := filepath.Glob("testdata/fail/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scripts in testdata/fail")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			t.Parallel()
			want := wantFailure(t, file)
			p := scriptParams("")
			p.Files = []string{file}
			if deadline, ok := t.Deadline(); ok {
				p.Deadline = deadline
			}
			st := &scriptT{t: t}
			testscript.RunT(st, p)
			if st.ran != 1 {
				t.Fatalf("%d scripts ran, want 1", st.ran)
			}
			if !st.failed {
				t.Fatalf("script passed, want a failure containing %q; log:\n%s", want, st.log.String())
			}
			if !strings.Contains(st.log.String(), want) {
				t.Errorf("script failed, but its log does not contain %q; log:\n%s", want, st.log.String())
			}
		})
	}
}

// wantFailure returns the "want" file of the txtar archive file.
func wantFailure(t *testing.T, file string) string {
	t.Helper()
	a, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range a.Files {
		if f.Name == "want" {
			return strings.TrimSuffix(string(f.Data), "\n")
		}
	}
	t.Fatalf("%s has no want file", file)
	return ""
}

// scriptT is a testscript.T that notes the failure of a script instead of
// failing the test running it.
type scriptT struct {
	t      *testing.T
	ran    int
	inRun  bool
	failed bool
	log    strings.Builder
}

// stopScript unwinds a script that called FailNow, Fatal or Skip.
type stopScript struct{}

// Run runs the script at once: the test runs one script, so there is nothing
// to run in parallel with.
func (s *scriptT) Run(_ string, f func(testscript.T)) {
	s.ran++
	s.inRun = true
	defer func() {
		s.inRun = false
		if r := recover(); r != nil {
			if _, ok := r.(stopScript); !ok {
				panic(r)
			}
		}
	}()
	f(s)
}

func (s *scriptT) Skip(args ...any) {
	s.failed = true
	fmt.Fprintln(&s.log, append([]any{"SKIP:"}, args...)...)
	panic(stopScript{})
}

func (s *scriptT) Fatal(args ...any) {
	if !s.inRun {
		s.t.Fatal(args...)
	}
	s.failed = true
	fmt.Fprintln(&s.log, args...)
	panic(stopScript{})
}

func (s *scriptT) FailNow() {
	s.failed = true
	panic(stopScript{})
}

func (s *scriptT) Log(args ...any) { fmt.Fprintln(&s.log, args...) }
func (s *scriptT) Parallel()       {}
func (s *scriptT) Verbose() bool   { return testing.Verbose() }
