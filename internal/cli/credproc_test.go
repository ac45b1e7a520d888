package cli

import (
	"errors"
	"os/exec"
	"slices"
	"testing"

	"github.com/rolehop/rolehop/internal/plan"
)

// TestCredentialProcessLoop shows how rolehop processes tell each other which profiles they
// are reading: each adds its own for the programs the AWS SDK starts, one that finds its own
// already there stops quietly, and the one that started it reports the loop unless it was
// itself started inside it.
func TestCredentialProcessLoop(t *testing.T) {
	for _, tt := range []struct {
		name    string
		outer   []string
		profile string
		wantEnv string // what loopEnv is set to; "" for not set
		quiet   bool   // a quiet loopError
	}{
		{name: "outermost", profile: "loop", wantEnv: "loop"},
		{name: "another profile further down", outer: []string{"a"}, profile: "b", wantEnv: "a\nb"},
		{name: "the same profile again", outer: []string{"a", "b"}, profile: "a", quiet: true},
		{name: "no profile read", outer: []string{"a"}, profile: ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var set []string
			a := &app{outerProfiles: tt.outer, sys: System{Setenv: func(k, v string) error {
				if k != loopEnv {
					t.Errorf("Setenv(%q)", k)
				}
				set = append(set, v)
				return nil
			}}}
			err := a.enterProfile(tt.profile, plan.Origin{Layer: plan.FromEnv, Name: "AWS_PROFILE"})
			var loop *loopError
			if got := errors.As(err, &loop) && loop.quiet; got != tt.quiet || (err != nil && !tt.quiet) {
				t.Fatalf("error = %v, want a quiet loop error: %v", err, tt.quiet)
			}
			var want []string
			if tt.wantEnv != "" {
				want = []string{tt.wantEnv}
			}
			if !slices.Equal(set, want) {
				t.Errorf("set %q, want %q", set, want)
			}
		})
	}

	exit86 := exec.Command("sh", "-c", "exit 86").Run()
	exit1 := exec.Command("sh", "-c", "exit 1").Run()
	outermost := &app{}
	if err := outermost.loopOr(exit1, "loop", plan.Origin{Layer: plan.FromEnv, Name: "AWS_PROFILE"}); err != exit1 {
		t.Errorf("another failure: %v, want it unchanged", err)
	}
	err := outermost.loopOr(exit86, "loop", plan.Origin{Layer: plan.FromEnv, Name: "AWS_PROFILE"})
	var loop *loopError
	if !errors.As(err, &loop) || loop.quiet {
		t.Fatalf("outermost: %v, want the loop reported", err)
	}
	const want = `profile "loop" (env AWS_PROFILE): its credential_process runs rolehop, which reads profile "loop" again, without end; ` +
		"give rolehop its base credentials another way: --credentials NAME, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --profile with a profile that does not run rolehop"
	if err.Error() != want {
		t.Errorf("message %q\nwant    %q", err, want)
	}
	inner := &app{outerProfiles: []string{"a"}}
	if err := inner.loopOr(exit86, "b", plan.Origin{Layer: plan.FromFlag, Name: "--profile"}); !errors.As(err, &loop) || !loop.quiet {
		t.Errorf("inside the loop: %v, want it passed on quietly", err)
	}
}
