package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rolehop/rolehop/internal/ssotest"
)

// ssoKey finds a script's IAM Identity Center stand-in among its testscript values.
type ssoKey struct{}

// ssoHolder holds the stand-in ssostandin started, if any.
type ssoHolder struct{ srv *ssotest.Server }

func ssoCommands(cmds map[string]func(ts *testscript.TestScript, neg bool, args []string)) {
	cmds["ssostandin"] = ssoStandIn
	cmds["ssocalls"] = ssoCalls
	cmds["ssoexpire"] = func(ts *testscript.TestScript, neg bool, args []string) { ssoServer(ts).ExpireTokens() }
	cmds["ssosecrets"] = ssoSecrets
	cmds["ssotoken"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: ssotoken TOKEN")
		}
		ssoServer(ts).AddToken(args[0], time.Now().Add(time.Hour))
	}
}

func ssoServer(ts *testscript.TestScript) *ssotest.Server {
	h, _ := ts.Value(ssoKey{}).(*ssoHolder)
	if h == nil || h.srv == nil {
		ts.Fatalf("run ssostandin first")
	}
	return h.srv
}

// ssoStandIn [pending=N] [slowdown=N] [lifetime=DURATION] [page=N] ACCOUNT:NAME:ROLE... starts a
// stand-in for IAM Identity Center (ssotest) that grants each listed role, and points
// AWS_ENDPOINT_URL_SSO_OIDC and AWS_ENDPOINT_URL_SSO at it. A device is approved after N
// polls answered authorization_pending (0 unless pending= says).
func ssoStandIn(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: ssostandin [pending=N] [slowdown=N] [lifetime=DURATION] [page=N] ACCOUNT:NAME:ROLE...")
	}
	var o ssotest.Options
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		var err error
		switch k {
		case "pending":
			o.Pending, err = strconv.Atoi(v)
		case "slowdown":
			o.SlowDown, err = strconv.Atoi(v)
		case "page":
			o.PageSize, err = strconv.Atoi(v)
		case "lifetime":
			o.TokenLifetime, err = time.ParseDuration(v)
		default:
			parts := strings.Split(a, ":")
			if len(parts) != 3 {
				ts.Fatalf("ssostandin: %q is not ACCOUNT:NAME:ROLE", a)
			}
			o.Assignments = append(o.Assignments, ssotest.Assignment{AccountID: parts[0], AccountName: parts[1], RoleName: parts[2]})
		}
		ts.Check(err)
	}
	srv := ssotest.Start(o)
	ts.Defer(srv.Close)
	ts.Value(ssoKey{}).(*ssoHolder).srv = srv
	ts.Setenv("AWS_ENDPOINT_URL_SSO_OIDC", srv.URL)
	ts.Setenv("AWS_ENDPOINT_URL_SSO", srv.URL)
	ts.Setenv("SSO_URL", srv.URL)
}

// ssoCalls OP N checks that the stand-in got exactly N calls of OP, such as
// GetRoleCredentials or CreateToken(refresh_token).
func ssoCalls(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: ssocalls OP N")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	srv := ssoServer(ts)
	if got := srv.Count(args[0]); got != want {
		ts.Fatalf("%d %s calls, want %d; calls: %s", got, args[0], want, strings.Join(srv.Calls(), " "))
	}
}

// ssoSecrets DIR writes each secret the stand-in issued (client secrets, tokens, secret keys)
// to a file of its own in DIR, for noplaintext.
func ssoSecrets(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: ssosecrets DIR")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o700))
	for i, s := range ssoServer(ts).Issued() {
		ts.Check(os.WriteFile(filepath.Join(dir, fmt.Sprintf("secret-%d", i)), []byte(s), 0o600))
	}
}
