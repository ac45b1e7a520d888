package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rolehop/rolehop/internal/mototest"
	"github.com/rolehop/rolehop/internal/plan"
)

// moto is the emulator every script in this package talks to, started once by TestMain.
var moto *mototest.Server

// withMoto runs the tests with moto_server up, failing (never skipping) when it or a client
// the scripts use is missing.
type withMoto struct{ m *testing.M }

func (w withMoto) Run() int {
	runStoriesSideBySide()
	return mototest.Run(w.m, []string{"aws", "terraform", "sh", "bash", "zsh", "fish", "curl"}, func(s *mototest.Server) { moto = s })
}

// storiesAtOnce is how many stories run at the same time unless -parallel says otherwise.
const storiesAtOnce = 8

// runStoriesSideBySide raises the default of -parallel (GOMAXPROCS, 2 on a small CI machine) to
// storiesAtOnce. The long stories spend their time waiting, not computing: on sleeps that
// outlast credential lifetimes, on backoff between retries, on stalled calls. Two at a time,
// the package took as long as their waits added up.
func runStoriesSideBySide() {
	if !flag.Parsed() {
		flag.Parse()
	}
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given && runtime.GOMAXPROCS(0) < storiesAtOnce {
		if err := flag.Set("test.parallel", strconv.Itoa(storiesAtOnce)); err != nil {
			panic(err) // the testing package defines test.parallel
		}
	}
}

func TestMain(m *testing.M) {
	testscript.Main(withMoto{m}, map[string]func(){"rolehop": func() { os.Exit(run()) }})
}

// TestScripts runs the command-line stories in testdata/script: each one is a short, readable
// account of what rolehop does with a given input.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup:               setupScript,
		Cmds:                commands(),
	})
}

// setupScript gives each script its own STS recorder in front of moto and an environment with
// base credentials, no instance metadata and no user configuration.
func setupScript(env *testscript.Env) error {
	rec, err := mototest.SetupRecorder(env, moto.URL)
	if err != nil {
		return err
	}
	env.Values[ssoKey{}] = &ssoHolder{}
	home := filepath.Join(env.WorkDir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(home, "terraformrc"), nil, 0o600); err != nil {
		return err
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_STS":        rec.URL,
		"MOTO":                        moto.URL,
		"AWS_ACCESS_KEY_ID":           "AKIABASEKEYEXAMPLE01",
		"AWS_SECRET_ACCESS_KEY":       "base-secret-key-example",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"HOME":                        home,
		"AWS_CONFIG_FILE":             filepath.Join(home, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "aws-credentials"),
		"SESSION":                     plan.DefaultSessionName(),
		"TF_IN_AUTOMATION":            "1",
		// Each script has its own encrypted file keyring under its own HOME. The cache is off
		// unless a script turns it on, so that call counts elsewhere mean what they say.
		"ROLEHOP_KEYRING_BACKEND":    "file",
		"ROLEHOP_KEYRING_PASSPHRASE": "script-keyring-passphrase",
		"ROLEHOP_NO_CACHE":           "1",
		"CHECKPOINT_DISABLE":         "1",
		// The list of trusted rolehop.hcl files is the script's own, under its HOME, and no
		// directory is trusted wholesale unless a script says so.
		"XDG_CONFIG_HOME":       "",
		"ROLEHOP_TRUSTED_PATHS": "",
	} {
		env.Setenv(k, v)
	}
	return nil
}

func commands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	cmds := mototest.Commands(mototest.ScriptRecorder)
	cmds["nosecrets"] = noSecrets
	cmds["waitfile"] = waitFile
	cmds["github-oidc"] = githubOIDC
	cmds["noplaintext"] = noPlaintext
	cmds["stsatleast"] = stsAtLeast
	cmds["stshas"] = stsHas
	cmds["stssignedby"] = stsSignedBy
	cmds["echosts"] = echoSTS
	cmds["ecsendpoint"] = ecsEndpoint
	cmds["imds"] = imdsStandIn
	ssoCommands(cmds)
	consoleCommands(cmds)
	return cmds
}

// echoSTS [PAD] points AWS_ENDPOINT_URL_STS at a stand-in for STS that repeats each request's
// secrets in its error messages, followed by control characters and PAD bytes of padding
// (mototest.EchoSTS). It sets ECHO_SECRET_KEY and ECHO_SESSION_TOKEN to the credentials it
// issues for a first hop.
func echoSTS(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 1 {
		ts.Fatalf("usage: echosts [PAD]")
	}
	pad := 0
	if len(args) == 1 {
		var err error
		if pad, err = strconv.Atoi(args[0]); err != nil || pad < 0 {
			ts.Fatalf("echosts: PAD must be a number of bytes, not %q", args[0])
		}
	}
	echo := mototest.NewEchoSTS(pad)
	ts.Defer(echo.Close)
	ts.Setenv("AWS_ENDPOINT_URL_STS", echo.URL)
	ts.Setenv("ECHO_SECRET_KEY", mototest.EchoSecretAccessKey)
	ts.Setenv("ECHO_SESSION_TOKEN", mototest.EchoSessionToken)
}

// stsAtLeast ACTION N: at least N calls with that action were recorded (refreshes in a long run
// happen on a clock, so their exact number is not fixed).
func stsAtLeast(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: stsatleast ACTION N")
	}
	want, err := strconv.Atoi(args[1])
	if err != nil {
		ts.Fatalf("stsatleast: N must be a number, not %q", args[1])
	}
	n := 0
	for _, c := range mototest.ScriptRecorder(ts).Calls() {
		if c.Action == args[0] {
			n++
		}
	}
	if n < want {
		ts.Fatalf("stsatleast: %d %s calls recorded, want at least %d", n, args[0], want)
	}
	ts.Logf("%d %s calls", n, args[0])
}

// stsSignedBy I FILE: call I is signed with the AWS_ACCESS_KEY_ID of FILE, the JSON output of
// `rolehop env --format json`: the credentials a run handed over signed the next step.
func stsSignedBy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: stssignedby I FILE")
	}
	i, err := strconv.Atoi(args[0])
	calls := mototest.ScriptRecorder(ts).Calls()
	if err != nil || i < 1 || i > len(calls) {
		ts.Fatalf("stssignedby: call %q must be a number from 1 to %d", args[0], len(calls))
	}
	var vars map[string]string
	if err := json.Unmarshal([]byte(ts.ReadFile(args[1])), &vars); err != nil || vars["AWS_ACCESS_KEY_ID"] == "" {
		ts.Fatalf("stssignedby: %s holds no AWS_ACCESS_KEY_ID in JSON (%v)", args[1], err)
	}
	if got := calls[i-1].AccessKeyID; got != vars["AWS_ACCESS_KEY_ID"] {
		ts.Fatalf("stssignedby: call %d is signed by %q, not by %q from %s", i, got, vars["AWS_ACCESS_KEY_ID"], args[1])
	}
}

// stsHas ACTION NAME=VALUE...: some recorded call with that action has those parameters.
func stsHas(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: stshas ACTION NAME=VALUE...")
	}
	for _, c := range mototest.ScriptRecorder(ts).Calls() {
		if c.Action != args[0] {
			continue
		}
		match := true
		for _, kv := range args[1:] {
			k, v, _ := strings.Cut(kv, "=")
			match = match && c.Params.Get(k) == v
		}
		if match {
			return
		}
	}
	ts.Fatalf("stshas: no %s call with %s", args[0], strings.Join(args[1:], " "))
}

// noPlaintext DIR SECRETFILE... fails if any file under DIR holds the content of a SECRETFILE:
// secrets at rest must be encrypted.
func noPlaintext(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: noplaintext DIR SECRETFILE...")
	}
	var secrets [][]byte
	for _, f := range args[1:] {
		s := bytes.TrimSpace([]byte(ts.ReadFile(f)))
		if len(s) < 8 {
			ts.Fatalf("%s holds no plausible secret (%d bytes)", f, len(s))
		}
		secrets = append(secrets, s)
	}
	files := 0
	err := filepath.WalkDir(ts.MkAbs(args[0]), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for i, s := range secrets {
			if bytes.Contains(b, s) {
				ts.Fatalf("%s holds the content of %s in plaintext", path, args[i+1])
			}
		}
		return nil
	})
	if err != nil {
		ts.Fatalf("noplaintext: %v", err)
	}
	ts.Logf("noplaintext: %d files under %s, none holds a secret", files, args[0])
}

// githubOIDC TOKEN starts a stand-in for GitHub Actions' OIDC token endpoint on 127.0.0.1
// that hands out TOKEN, and sets the variables a GitHub Actions job has. Each request's
// audience is appended to $WORK/github-audiences.
func githubOIDC(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: github-oidc TOKEN")
	}
	const requestToken = "request-token-for-the-job"
	log := ts.MkAbs("github-audiences")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "bearer "+requestToken {
			http.Error(w, "bad request token", http.StatusUnauthorized)
			return
		}
		f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err == nil {
			fmt.Fprintln(f, r.URL.Query().Get("audience"))
			f.Close()
		}
		json.NewEncoder(w).Encode(map[string]string{"value": args[0]})
	}))
	ts.Defer(srv.Close)
	ts.Setenv("GITHUB_ACTIONS", "true")
	ts.Setenv("ACTIONS_ID_TOKEN_REQUEST_URL", srv.URL+"/token?api-version=2.0")
	ts.Setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", requestToken)
}

// standInCredentials is the JSON a container credentials endpoint and instance metadata answer
// with: KEYID SECRET TOKEN of a stand-in's arguments, valid for an hour.
func standInCredentials(w http.ResponseWriter, args []string) {
	json.NewEncoder(w).Encode(map[string]string{
		"Code":            "Success",
		"Type":            "AWS-HMAC",
		"AccessKeyId":     args[0],
		"SecretAccessKey": args[1],
		"Token":           args[2],
		"Expiration":      time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
	})
}

// logRequest appends "METHOD PATH" of r to the file log, so a script can count the requests.
func logRequest(log string, r *http.Request) {
	f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err == nil {
		fmt.Fprintln(f, r.Method, r.URL.Path)
		f.Close()
	}
}

// ecsEndpoint KEYID SECRET TOKEN starts a stand-in for the container credentials endpoint on
// 127.0.0.1 that hands out those credentials to requests whose Authorization header is the
// value $AWS_CONTAINER_AUTHORIZATION_TOKEN has now, and sets AWS_CONTAINER_CREDENTIALS_FULL_URI
// to it. Each request is appended to $WORK/ecs-requests.
func ecsEndpoint(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: ecsendpoint KEYID SECRET TOKEN")
	}
	auth := ts.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
	if auth == "" {
		ts.Fatalf("ecsendpoint: set AWS_CONTAINER_AUTHORIZATION_TOKEN first")
	}
	log := ts.MkAbs("ecs-requests")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logRequest(log, r)
		if r.Header.Get("Authorization") != auth {
			http.Error(w, `{"code":"AccessDenied","message":"bad authorization token"}`, http.StatusUnauthorized)
			return
		}
		standInCredentials(w, args)
	}))
	ts.Defer(srv.Close)
	ts.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.URL+"/v2/credentials/task")
}

// imdsRole is the instance profile role the instance metadata stand-in lists.
const imdsRole = "standin-instance-role"

// imdsStandIn KEYID SECRET TOKEN starts a stand-in for EC2 instance metadata (IMDSv2) on
// 127.0.0.1 that hands out those credentials for the instance's role, only to requests that
// carry a session token from PUT /latest/api/token, and sets AWS_EC2_METADATA_SERVICE_ENDPOINT
// to it. Each request is appended to $WORK/imds-requests.
func imdsStandIn(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: imds KEYID SECRET TOKEN")
	}
	const session = "imds-session-token-of-the-stand-in"
	const creds = "/latest/meta-data/iam/security-credentials/"
	log := ts.MkAbs("imds-requests")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logRequest(log, r)
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			ttl := r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds")
			if ttl == "" {
				http.Error(w, "no token TTL", http.StatusBadRequest)
				return
			}
			w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", ttl)
			fmt.Fprint(w, session)
		case r.Header.Get("X-Aws-Ec2-Metadata-Token") != session:
			http.Error(w, "no session token", http.StatusUnauthorized)
		case r.Method == http.MethodGet && r.URL.Path == creds:
			fmt.Fprintln(w, imdsRole)
		case r.Method == http.MethodGet && r.URL.Path == creds+imdsRole:
			standInCredentials(w, args)
		default:
			http.NotFound(w, r)
		}
	}))
	ts.Defer(srv.Close)
	ts.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.URL)
}

// waitFileLimit bounds waitfile. It only matters when something is broken, so it is generous
// enough for the busiest machine.
const waitFileLimit = time.Minute

// waitFile FILE waits, for at most a minute, until FILE exists: a background command's child
// says it is ready by creating it.
func waitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile FILE")
	}
	deadline := time.Now().Add(waitFileLimit)
	for {
		if _, err := os.Stat(ts.MkAbs(args[0])); err == nil {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitfile: %s did not appear within %v", args[0], waitFileLimit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// noSecrets FILE... fails if the previous command's stdout or stderr contains the content of
// any FILE: it shows that values a child saw never reached rolehop's own output.
func noSecrets(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: nosecrets FILE...")
	}
	out := ts.ReadFile("stdout") + ts.ReadFile("stderr")
	for _, f := range args {
		secret := strings.TrimSpace(ts.ReadFile(f))
		if len(secret) < 8 {
			ts.Fatalf("%s holds no plausible secret (%d bytes)", f, len(secret))
		}
		if strings.Contains(out, secret) {
			ts.Fatalf("the content of %s appears in the output", f)
		}
	}
}
