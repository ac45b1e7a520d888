package mototest

import (
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// recorderKey is the testscript.Env.Values key under which SetupRecorder
// stores a script's Recorder.
type recorderKey struct{}

// SetupRecorder starts a Recorder in front of target for one script, to be
// called from testscript.Params.Setup. It closes the Recorder when the script
// ends, and ScriptRecorder finds it again. Setting environment variables that
// point at rec.URL is up to the caller.
func SetupRecorder(env *testscript.Env, target string) (*Recorder, error) {
	rec, err := NewRecorder(target)
	if err != nil {
		return nil, err
	}
	env.Values[recorderKey{}] = rec
	env.Defer(func() {
		if err := rec.Close(); err != nil {
			env.T().Log(err)
		}
	})
	return rec, nil
}

// ScriptRecorder returns the Recorder SetupRecorder made for ts, or nil if
// there is none. It is meant as the argument of Commands.
func ScriptRecorder(ts *testscript.TestScript) *Recorder {
	rec, _ := ts.Value(recorderKey{}).(*Recorder)
	return rec
}

// Commands returns the testscript commands stscalls, stscount, stscall,
// stschain, stssigner, stskey, stsreset, stsfault, stslifetime and exits
// described in the package documentation. recorder returns the Recorder of
// the running script, for example ScriptRecorder.
func Commands(recorder func(ts *testscript.TestScript) *Recorder) map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	withCalls := func(name string, check func(ts *testscript.TestScript, calls []Call, args []string)) func(*testscript.TestScript, bool, []string) {
		return func(ts *testscript.TestScript, neg bool, args []string) {
			rejectNeg(ts, neg, name)
			check(ts, scriptRecorder(ts, recorder).Calls(), args)
		}
	}
	withRecorder := func(name string, run func(ts *testscript.TestScript, rec *Recorder, args []string)) func(*testscript.TestScript, bool, []string) {
		return func(ts *testscript.TestScript, neg bool, args []string) {
			rejectNeg(ts, neg, name)
			run(ts, scriptRecorder(ts, recorder), args)
		}
	}
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"stscalls":  withCalls("stscalls", checkCount),
		"stscount":  withCalls("stscount", checkActionCount),
		"stscall":   withCalls("stscall", checkCall),
		"stschain":  withCalls("stschain", checkChain),
		"stssigner": withCalls("stssigner", checkSigner),
		"stskey":    withCalls("stskey", checkKey),
		"stsreset": withRecorder("stsreset", func(ts *testscript.TestScript, rec *Recorder, args []string) {
			if len(args) != 0 {
				ts.Fatalf("usage: stsreset")
			}
			rec.Reset()
		}),
		"stsfault":    withRecorder("stsfault", cmdFault),
		"stslifetime": withRecorder("stslifetime", cmdLifetime),
		"exits":       cmdExits,
	}
}

func scriptRecorder(ts *testscript.TestScript, recorder func(ts *testscript.TestScript) *Recorder) *Recorder {
	rec := recorder(ts)
	if rec == nil {
		ts.Fatalf("no Recorder for this script: start one in Params.Setup with mototest.SetupRecorder")
	}
	return rec
}

func rejectNeg(ts *testscript.TestScript, neg bool, name string) {
	if neg {
		ts.Fatalf("%s cannot be negated; state what is expected instead", name)
	}
}

// checkCount implements "stscalls N".
func checkCount(ts *testscript.TestScript, calls []Call, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: stscalls N")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil || want < 0 {
		ts.Fatalf("stscalls: N must be a number >= 0, not %q", args[0])
	}
	if len(calls) != want {
		ts.Fatalf("stscalls: %d STS calls recorded, want %d; seen: %s", len(calls), want, actions(calls))
	}
}

func actions(calls []Call) string {
	if len(calls) == 0 {
		return "none"
	}
	names := make([]string, len(calls))
	for i, c := range calls {
		names[i] = fmt.Sprintf("%d:%s", i+1, c.Action)
		if c.Fault != NoFault {
			names[i] += "(" + c.Fault.String() + ")"
		}
	}
	return strings.Join(names, " ")
}

// checkActionCount implements "stscount ACTION N".
func checkActionCount(ts *testscript.TestScript, calls []Call, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: stscount ACTION N")
	}
	want, err := strconv.Atoi(args[1])
	if err != nil || want < 0 {
		ts.Fatalf("stscount: N must be a number >= 0, not %q", args[1])
	}
	got := 0
	for _, c := range calls {
		if c.Action == args[0] {
			got++
		}
	}
	if got != want {
		ts.Fatalf("stscount: %d %s calls recorded, want %d; seen: %s", got, args[0], want, actions(calls))
	}
}

// checkCall implements "stscall I ACTION [NAME=VALUE ...] [!NAME ...] [@fault=KIND]".
func checkCall(ts *testscript.TestScript, calls []Call, args []string) {
	const usage = "usage: stscall I ACTION [NAME=VALUE ...] [!NAME ...] [@fault=KIND]"
	if len(args) < 2 {
		ts.Fatalf(usage)
	}
	i, err := strconv.Atoi(args[0])
	if err != nil || i < 1 {
		ts.Fatalf("stscall: I must be a number >= 1, not %q", args[0])
	}
	if i > len(calls) {
		ts.Fatalf("stscall %d: only %d STS calls recorded; seen: %s", i, len(calls), actions(calls))
	}
	call := calls[i-1]
	var problems []string
	if call.Action != args[1] {
		problems = append(problems, fmt.Sprintf("action is %s, want %s", call.Action, args[1]))
	}
	for _, arg := range args[2:] {
		if want, ok := strings.CutPrefix(arg, "@fault="); ok {
			if problem := faultProblem(ts, call, want); problem != "" {
				problems = append(problems, problem)
			}
			continue
		}
		if strings.HasPrefix(arg, "@") {
			ts.Fatalf("stscall: bad expectation %q; the only pseudo-parameter is @fault=KIND; %s", arg, usage)
		}
		if name, ok := strings.CutPrefix(arg, "!"); ok && name != "" {
			if _, present := call.Params[name]; present {
				problems = append(problems, name+" is present, want it absent")
			}
			continue
		}
		name, want, ok := strings.Cut(arg, "=")
		if !ok || name == "" {
			ts.Fatalf("stscall: bad expectation %q; %s", arg, usage)
		}
		if problem := paramProblem(call, name, want); problem != "" {
			problems = append(problems, problem)
		}
	}
	if len(problems) > 0 {
		ts.Logf("call %d: %s", i, call)
		ts.Fatalf("stscall %d: %s", i, strings.Join(problems, "; "))
	}
}

// faultProblem says how the fault of call differs from want, a fault kind or
// "" for none, or returns "" if it is the one wanted.
func faultProblem(ts *testscript.TestScript, call Call, want string) string {
	kind := NoFault
	if want != "" {
		var err error
		if kind, err = parseFaultKind(want); err != nil {
			ts.Fatalf("stscall: @fault=%s: %v, or nothing for none", want, err)
		}
	}
	if call.Fault != kind {
		return fmt.Sprintf("fault is %s, want %s", call.Fault, kind)
	}
	return ""
}

// paramProblem says how parameter name of call differs from want, or ""
// if it equals want.
func paramProblem(call Call, name, want string) string {
	got, present := call.Params[name]
	switch {
	case !present:
		return fmt.Sprintf("%s is absent, want %q", name, want)
	case len(got) != 1:
		return fmt.Sprintf("%s is given %d times, want once", name, len(got))
	case got[0] == want:
		return ""
	case isSecretParam(name):
		return name + " differs from the wanted value"
	default:
		return fmt.Sprintf("%s is %q, want %q", name, got[0], want)
	}
}

// checkChain implements "stschain".
func checkChain(ts *testscript.TestScript, calls []Call, args []string) {
	if len(args) != 0 {
		ts.Fatalf("usage: stschain")
	}
	if len(calls) < 2 {
		ts.Fatalf("stschain: a chain needs at least 2 STS calls, %d recorded", len(calls))
	}
	for i := 1; i < len(calls); i++ {
		prev, call := calls[i-1], calls[i]
		if prev.IssuedAccessKeyID == "" {
			ts.Logf("call %d: %s", i, prev)
			ts.Fatalf("stschain: call %d (%s) issued no credentials, so call %d cannot use them", i, prev.Action, i+1)
		}
		if call.AccessKeyID != prev.IssuedAccessKeyID {
			ts.Logf("call %d: %s", i, prev)
			ts.Logf("call %d: %s", i+1, call)
			ts.Fatalf("stschain: call %d (%s) is signed by %q, not by %q issued by call %d", i+1, call.Action, call.AccessKeyID, prev.IssuedAccessKeyID, i)
		}
	}
}

// checkSigner implements "stssigner I J": call I is signed with the key call J issued.
func checkSigner(ts *testscript.TestScript, calls []Call, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: stssigner I J")
	}
	i, errI := strconv.Atoi(args[0])
	j, errJ := strconv.Atoi(args[1])
	if errI != nil || errJ != nil || i < 1 || j < 1 || i > len(calls) || j > len(calls) {
		ts.Fatalf("stssigner: calls %q and %q must be numbers from 1 to %d", args[0], args[1], len(calls))
	}
	signer, issuer := calls[i-1], calls[j-1]
	if issuer.IssuedAccessKeyID == "" {
		ts.Fatalf("stssigner: call %d (%s) issued no credentials", j, issuer.Action)
	}
	if signer.AccessKeyID != issuer.IssuedAccessKeyID {
		ts.Fatalf("stssigner: call %d (%s) is signed by %q, not by %q issued by call %d", i, signer.Action, signer.AccessKeyID, issuer.IssuedAccessKeyID, j)
	}
}

// checkKey implements "stskey I KEY": call I is signed with access key KEY.
func checkKey(ts *testscript.TestScript, calls []Call, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: stskey I KEY")
	}
	i, err := strconv.Atoi(args[0])
	if err != nil || i < 1 || i > len(calls) {
		ts.Fatalf("stskey: call %q must be a number from 1 to %d", args[0], len(calls))
	}
	if got := calls[i-1].AccessKeyID; got != args[1] {
		ts.Fatalf("stskey: call %d (%s) is signed by %q, not %q", i, calls[i-1].Action, got, args[1])
	}
}

// cmdFault implements "stsfault KIND COUNT [ACTION] [DELAY]".
func cmdFault(ts *testscript.TestScript, rec *Recorder, args []string) {
	const usage = "usage: stsfault KIND COUNT [ACTION] [DELAY]"
	if len(args) < 2 || len(args) > 4 {
		ts.Fatalf(usage)
	}
	kind, err := parseFaultKind(args[0])
	if err != nil {
		ts.Fatalf("stsfault: %v", err)
	}
	count, err := strconv.Atoi(args[1])
	if err != nil || count < 1 {
		ts.Fatalf("stsfault: COUNT must be a number >= 1, not %q", args[1])
	}
	f := Fault{Kind: kind, Count: count}
	rest := args[2:]
	if len(rest) > 0 && !isDuration(rest[0]) {
		if !isActionName(rest[0]) {
			ts.Fatalf("stsfault: %q is neither an STS action name such as AssumeRole nor a DELAY such as 10s", rest[0])
		}
		f.Action, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		if kind != Stall {
			ts.Fatalf("stsfault: only stall takes a DELAY, not %s; %s", kind, usage)
		}
		delay, err := time.ParseDuration(rest[0])
		if err != nil || delay <= 0 {
			ts.Fatalf("stsfault: DELAY must be a positive duration such as 10s, not %q", rest[0])
		}
		f.Delay, rest = delay, rest[1:]
	}
	if len(rest) > 0 {
		ts.Fatalf(usage)
	}
	rec.AddFault(f)
}

func isDuration(s string) bool {
	_, err := time.ParseDuration(s)
	return err == nil
}

// isActionName reports whether s looks like an STS action: ASCII letters,
// starting with a capital. It catches CLI spellings such as assume-role.
func isActionName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	return strings.IndexFunc(s, func(c rune) bool {
		return (c < 'a' || c > 'z') && (c < 'A' || c > 'Z')
	}) < 0
}

// cmdLifetime implements "stslifetime DURATION [ACTION]".
func cmdLifetime(ts *testscript.TestScript, rec *Recorder, args []string) {
	if len(args) != 1 && len(args) != 2 {
		ts.Fatalf("usage: stslifetime DURATION [ACTION]")
	}
	d, err := time.ParseDuration(args[0])
	if err != nil {
		ts.Fatalf("stslifetime: DURATION must be a duration such as 6s, or 0 for off, not %q", args[0])
	}
	if len(args) == 2 {
		rec.SetActionLifetime(args[1], d)
		return
	}
	rec.SetLifetime(d)
}

// cmdExits implements "exits CODE PROG [ARGS...]".
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	rejectNeg(ts, neg, "exits")
	if len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil || want < 0 || want > 255 {
		ts.Fatalf("exits: CODE must be a number from 0 to 255, not %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) || exitErr.ExitCode() < 0 {
			ts.Fatalf("exits: %s did not exit normally: %v", args[1], err)
		}
		got = exitErr.ExitCode()
	}
	if got != want {
		ts.Fatalf("exits: %s exited with status %d, want %d", args[1], got, want)
	}
	if want == 0 {
		return
	}
	if problem := stderrProblem(ts.ReadFile("stderr")); problem != "" {
		ts.Fatalf("exits: %s failed with status %d but %s", args[1], got, problem)
	}
}

// stderrProblem says why stderr is not one clear error line, or "" if it is.
func stderrProblem(stderr string) string {
	switch {
	case strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine "):
		return "its stderr shows a panic or stack trace"
	case stderr == "":
		return "its stderr is empty"
	case !strings.HasSuffix(stderr, "\n"):
		return "its stderr does not end in a newline"
	case strings.Count(stderr, "\n") != 1:
		return fmt.Sprintf("its stderr has %d lines, want exactly 1", strings.Count(stderr, "\n"))
	case strings.TrimSpace(stderr) == "":
		return "its stderr is a blank line"
	default:
		return ""
	}
}
