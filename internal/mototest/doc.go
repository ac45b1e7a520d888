// Package mototest lets rolehop's tests talk to a real local AWS emulator,
// moto_server, and see exactly which STS calls went over the wire.
//
// It is test-support code: only tests of other packages import it.
//
// A test package starts one moto_server for all its tests from TestMain:
//
//	var moto *mototest.Server
//
//	func TestMain(m *testing.M) {
//		mototest.Main(m, []string{"aws"}, func(s *mototest.Server) { moto = s })
//	}
//
// Main fails the whole test binary (it never skips) when moto_server or one of
// the listed tools is missing from PATH.
//
// A [Recorder] is a reverse proxy in front of moto that records every STS call
// passing through it; point AWS_ENDPOINT_URL_STS (or --endpoint-url) at its URL.
//
// # Script commands
//
// [Commands] returns commands for github.com/rogpeppe/go-internal/testscript
// scripts. Each script gets its own Recorder, made by [SetupRecorder] from
// Params.Setup and found again by [ScriptRecorder]:
//
//	testscript.Run(t, testscript.Params{
//		Dir: "testdata/script",
//		Setup: func(env *testscript.Env) error {
//			rec, err := mototest.SetupRecorder(env, moto.URL)
//			if err != nil {
//				return err
//			}
//			env.Setenv("AWS_ENDPOINT_URL_STS", rec.URL)
//			return nil
//		},
//		Cmds: mototest.Commands(mototest.ScriptRecorder),
//	})
//
// The commands are:
//
//	stscalls N
//
// Exactly N STS calls have been recorded so far. On failure it lists the
// actions seen.
//
//	stscall I ACTION [NAME=VALUE ...] [!NAME ...]
//
// Call I (counting from 1) has action ACTION, each parameter NAME equals VALUE
// exactly, and each parameter !NAME is absent. Names are the wire names:
// RoleArn, RoleSessionName, DurationSeconds, ExternalId, SourceIdentity,
// Tags.member.1.Key, PolicyArns.member.1.arn, SerialNumber, TokenCode,
// WebIdentityToken, and so on. On failure it logs the call.
//
//	stschain
//
// There are at least two calls, and every call after the first is signed with
// the access key issued by the call before it: a chain of roles used each
// hop's credentials for the next hop.
//
//	stssigner I J
//
// Call I is signed with the access key issued by call J: the command rolehop ran
// used the credentials rolehop fetched.
//
//	stskey I KEY
//
// Call I is signed with access key KEY.
//
//	stsreset
//
// Forget the calls recorded so far.
//
//	exits CODE PROG [ARGS...]
//
// Run PROG like exec (stdout and stderr are kept for the following stdout and
// stderr commands) and require exit status CODE. When CODE is not 0, stderr must
// also be exactly one non-blank line ending in a newline, with no "panic" and no
// "goroutine ": bad input gets one clear line, never a stack trace.
//
// None of these commands can be negated with "!": a negated expectation would
// pass for any of many wrong reasons.
package mototest
