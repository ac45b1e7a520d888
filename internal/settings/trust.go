package settings

import (
	"fmt"
	"strings"

	"github.com/rolehop/rolehop/internal/configfile"
	"github.com/rolehop/rolehop/internal/display"
	"github.com/rolehop/rolehop/internal/trust"
)

// FileTrust is whether one rolehop.hcl read may set the settings that run a program.
type FileTrust struct {
	// File is the file as shown: relative to the working directory when that is shorter.
	File string
	trust.Verdict
}

// trustFiles gives every file read its verdict. A file named with --config (or ROLEHOP_CONFIG)
// is trusted without asking: the user chose it. A check that fails (a malformed trust list, say)
// leaves the file untrusted, and is an error only once the file would run a program: settings
// that need no trust must not stop working.
func (r *resolver) trustFiles() {
	r.verdicts = map[string]trust.Verdict{}
	r.trustErrs = map[string]error{}
	for _, path := range r.file.Files() {
		v, err := r.verdict(path)
		if err != nil {
			r.trustErrs[path] = err
			v = trust.Verdict{Why: "cannot tell: " + err.Error()}
		}
		r.verdicts[path] = v
		r.res.Trust = append(r.res.Trust, FileTrust{File: display.Path(path, r.in.Dir), Verdict: v})
	}
}

func (r *resolver) verdict(path string) (trust.Verdict, error) {
	switch {
	case r.named.set:
		return trust.Verdict{Trusted: true, Why: "named by " + r.named.src.String()}, nil
	case r.in.Trusted == nil:
		return trust.Verdict{Why: "never trusted"}, nil
	}
	sum, _ := r.file.Sum(path)
	return r.in.Trusted(path, sum)
}

// checkTrusted refuses the value of a setting that runs a program when the file it comes from is
// not trusted: any repository can carry a rolehop.hcl, and discovery reads every one above the
// working directory.
func (r *resolver) checkTrusted(key string, pos configfile.Pos) error {
	if err := r.trustErrs[pos.File]; err != nil {
		return err
	}
	v := r.verdicts[pos.File]
	if v.Trusted {
		return nil
	}
	state := "this file is not trusted"
	if v.Changed {
		state = "this file has changed since it was trusted"
	}
	f := shellWord(pos.Display)
	return fmt.Errorf("%s: %s runs a program, and %s; review it, then run 'rolehop trust %s' (or pass --config %s)",
		r.fileSource(pos), key, state, f, f)
}

// shellWord quotes a path for a command line the user may copy, when it needs quoting.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./+,:@%=") == "" {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`").Replace(s) + `"`
}
