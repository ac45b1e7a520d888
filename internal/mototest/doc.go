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
// It can also fail STS calls the way STS and networks do ([Recorder.AddFault]:
// throttling, 500s, stalls, dropped connections), so tests see clients retry,
// and make issued credentials expire within seconds ([Recorder.SetLifetime]),
// so tests see long runs outlive many credential lifetimes. Faulted calls are
// recorded too, each with its [Call.Fault], so every attempt is counted.
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
// Exactly N STS calls have been recorded so far, faulted ones included. On
// failure it lists the actions seen, each faulted one followed by its fault,
// as in "1:AssumeRole(throttle) 2:AssumeRole".
//
//	stscount ACTION N
//
// Exactly N of the recorded calls have action ACTION, whatever other calls
// came between them (the AWS CLI's own GetCallerIdentity calls, say).
//
//	stscall I ACTION [NAME=VALUE ...] [!NAME ...] [@fault=KIND]
//
// Call I (counting from 1, in the order the calls arrived) has action ACTION,
// each parameter NAME equals VALUE exactly, and each parameter !NAME is absent.
// Names are the wire names: RoleArn, RoleSessionName, DurationSeconds,
// ExternalId, SourceIdentity, Tags.member.1.Key, PolicyArns.member.1.arn,
// SerialNumber, TokenCode, WebIdentityToken, and so on. The pseudo-parameter
// @fault=KIND requires that the call got that fault (see stsfault), and
// @fault= with nothing after it that the call got none. On failure it logs
// the call.
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
// Forget the calls recorded so far and the faults still pending. The lifetime stays.
//
//	stsfault KIND COUNT [ACTION] [DELAY]
//
// The next COUNT STS calls with action ACTION (any STS call if ACTION is left
// out) get a fault of kind KIND instead of moto's answer:
//
//   - throttle: HTTP 400 with the STS Throttling error, "Rate exceeded";
//   - 500: HTTP 500 with the STS InternalFailure error;
//   - stall: the call is held for DELAY, then forwarded; if the client gives
//     up first, it gets nothing. Without DELAY the call is held until the
//     client gives up, which tests an overall timeout;
//   - reset: the connection is closed with a TCP reset and no answer;
//   - nokey, nosecret, noexpiration, expired: the call is forwarded and
//     moto's answer reaches the client with HTTP 200 but an empty
//     AccessKeyId, no SecretAccessKey, no Expiration, or an Expiration an
//     hour ago;
//   - otheraccount, otherrole: the same, with an AssumedRoleUser.Arn in
//     account 999999999999, or of the role "intruder".
//
// For example "stsfault throttle 2 AssumeRole", "stsfault 500 3",
// "stsfault stall 1 AssumeRole 10s", "stsfault reset 1". Faults added by
// several stsfault commands queue up; a call gets the first pending one that
// matches it.
//
//	stslifetime DURATION [ACTION]
//
// From now on, credentials issued by STS calls expire DURATION after the
// answer (Credentials.Expiration is rewritten), for example "stslifetime 6s";
// "stslifetime 0" turns this off. moto itself honours DurationSeconds, but
// rolehop cannot ask for less than STS's minimum of 900 seconds. With ACTION,
// only calls with that action get DURATION, whatever the others get (0: their
// Expiration is left alone): "stslifetime 6s AssumeRole" makes roles expire
// within seconds while an MFA session (GetSessionToken) keeps its 12 hours.
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
