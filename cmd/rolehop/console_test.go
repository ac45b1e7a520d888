package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rolehop/rolehop/internal/mototest"
)

// standInToken is the sign-in token the federation stand-in hands out unless told otherwise.
const standInToken = "StandInSigninToken-7Hq2VxK9pL4mN8rT"

func consoleCommands(cmds map[string]func(ts *testscript.TestScript, neg bool, args []string)) {
	cmds["signinstandin"] = signinStandIn
}

// signinStandIn [status=CODE] [token=TOKEN] [creds=FILE] starts a stand-in for the AWS
// federation endpoint on 127.0.0.1 and points ROLEHOP_SIGNIN_ENDPOINT (and SIGNIN_URL) at it;
// SIGNIN_TOKEN is the token it hands out (token= sets another; empty, an answer without one).
//
// It checks each getSigninToken request: a GET with Action and Session (and SessionDuration, 900
// to 43200, if any) and nothing else; Session is JSON with exactly sessionId, sessionKey and
// sessionToken, all set; sessionId is an access key an STS call of the script issued (through
// the recorder in front of moto); and with creds=FILE, the output of rolehop env --format json,
// the three are that file's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. It
// answers a request that fails a check with 400, and one that passes them with status=CODE
// (default 200; any other status with a body that repeats the Session it got, as an endpoint
// that echoes its request would). Each request adds a line to $WORK/signin-requests, without
// secrets: "getSigninToken key=ID SessionDuration=N" (or "none"), or "refused: WHY".
func signinStandIn(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: signinstandin [status=CODE] [token=TOKEN] [creds=FILE]")
	}
	status, token, creds := http.StatusOK, standInToken, ""
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		switch k {
		case "status":
			var err error
			if status, err = strconv.Atoi(v); err != nil {
				ts.Fatalf("signinstandin: status %q is not a number", v)
			}
		case "token":
			token = v
		case "creds":
			creds = ts.MkAbs(v)
		default:
			ts.Fatalf("usage: signinstandin [status=CODE] [token=TOKEN] [creds=FILE]")
		}
	}
	log := ts.MkAbs("signin-requests")
	rec := mototest.ScriptRecorder(ts)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		line, session, err := checkSignin(r, rec, creds)
		if err != nil {
			line = "refused: " + err.Error()
		}
		f, ferr := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if ferr == nil {
			fmt.Fprintln(f, line)
			f.Close()
		}
		switch {
		case err != nil:
			http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		case status != http.StatusOK:
			http.Error(w, "refused, with Session="+session, status)
		case token == "":
			fmt.Fprint(w, `{}`)
		default:
			json.NewEncoder(w).Encode(map[string]string{"SigninToken": token})
		}
	}))
	ts.Defer(srv.Close)
	ts.Setenv("ROLEHOP_SIGNIN_ENDPOINT", srv.URL+"/federation")
	ts.Setenv("SIGNIN_URL", srv.URL+"/federation")
	ts.Setenv("SIGNIN_TOKEN", token)
}

// checkSignin checks a getSigninToken request, and returns its log line and its Session.
func checkSignin(r *http.Request, rec *mototest.Recorder, credsFile string) (string, string, error) {
	q := r.URL.Query()
	if r.Method != http.MethodGet || r.URL.Path != "/federation" || q.Get("Action") != "getSigninToken" {
		return "", "", fmt.Errorf("%s %s Action=%q is not a getSigninToken GET on /federation", r.Method, r.URL.Path, q.Get("Action"))
	}
	for name := range q {
		if name != "Action" && name != "Session" && name != "SessionDuration" {
			return "", "", fmt.Errorf("unexpected parameter %s", name)
		}
	}
	duration := "none"
	if d := q.Get("SessionDuration"); q.Has("SessionDuration") {
		if n, err := strconv.Atoi(d); err != nil || n < 900 || n > 43200 {
			return "", "", fmt.Errorf("SessionDuration %q is not 900 to 43200", d)
		}
		duration = d
	}
	var s struct {
		ID    *string `json:"sessionId"`
		Key   *string `json:"sessionKey"`
		Token *string `json:"sessionToken"`
	}
	dec := json.NewDecoder(strings.NewReader(q.Get("Session")))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil || s.ID == nil || s.Key == nil || s.Token == nil || *s.ID == "" || *s.Key == "" || *s.Token == "" {
		return "", "", fmt.Errorf("Session is not JSON with sessionId, sessionKey and sessionToken, all set (%v)", err)
	}
	issued := false
	for _, c := range rec.Calls() {
		issued = issued || (c.IssuedAccessKeyID != "" && c.IssuedAccessKeyID == *s.ID)
	}
	if !issued {
		return "", "", fmt.Errorf("sessionId %s was not issued by an STS call of this script", *s.ID)
	}
	if credsFile != "" {
		b, err := os.ReadFile(credsFile)
		var want map[string]string
		if err != nil || json.NewDecoder(bytes.NewReader(b)).Decode(&want) != nil {
			return "", "", fmt.Errorf("cannot read %s as rolehop env --format json (%v)", credsFile, err)
		}
		switch {
		case want["AWS_ACCESS_KEY_ID"] != *s.ID:
			return "", "", fmt.Errorf("sessionId %s is not the AWS_ACCESS_KEY_ID of %s", *s.ID, credsFile)
		case want["AWS_SECRET_ACCESS_KEY"] != *s.Key:
			return "", "", fmt.Errorf("sessionKey is not the AWS_SECRET_ACCESS_KEY of %s", credsFile)
		case want["AWS_SESSION_TOKEN"] != *s.Token:
			return "", "", fmt.Errorf("sessionToken is not the AWS_SESSION_TOKEN of %s", credsFile)
		}
	}
	return fmt.Sprintf("getSigninToken key=%s SessionDuration=%s", *s.ID, duration), q.Get("Session"), nil
}
