package chain

import (
	"context"
	"strings"
	"testing"
	"unicode"

	"github.com/rolehop/rolehop/internal/mototest"
	"github.com/rolehop/rolehop/internal/plan"
)

// fixedCode is an MFA device that always shows the same code.
type fixedCode string

func (c fixedCode) Code(context.Context, string) (string, error) { return string(c), nil }
func (c fixedCode) String() string                               { return "a fixed code" }

// TestErrorsHideWhatSTSEchoes points the chain at an STS that repeats every secret of the
// request in its error message, with control characters and padding: the error line holds
// none of the secrets, no control character, and stays short.
func TestErrorsHideWhatSTSEchoes(t *testing.T) {
	const (
		webToken     = "eyJhbGciOiJSUzI1NiJ9.echo-web-identity-token.c2ln"
		code         = "918273"
		baseSecret   = "base-secret-for-the-echo-test"
		baseSession  = "base-session-token-for-the-echo-test"
		serial       = "arn:aws:iam::111111111111:mfa/jane"
		maxLineBytes = 800
	)
	secrets := []string{webToken, code, baseSecret, baseSession, mototest.EchoSecretAccessKey, mototest.EchoSessionToken}
	hub, deploy := mustHop(t, "arn:aws:iam::222222222222:role/hub"), mustHop(t, "arn:aws:iam::111111111111:role/deploy")
	web := webIdentityHop(t, "arn:aws:iam::222222222222:role/hub", webToken+"\n")
	withMFA := deploy
	withMFA.MFASerial = serial

	tests := []struct {
		name string
		pad  int
		// session is the base credentials' session token, "" for long-term keys.
		session string
		plan    plan.Plan
		// identity calls GetCallerIdentity once the chain has its credentials.
		identity bool
		// echoed is whether the message is short enough for STS's answer to be read.
		echoed bool
	}{
		{name: "web identity token", plan: plan.Plan{Hops: []plan.Hop{web}}, echoed: true},
		{name: "MFA session code and base session token", session: baseSession, echoed: true,
			plan: plan.Plan{MFA: &plan.MFA{Serial: serial, SessionDuration: 3600e9}, Codes: fixedCode(code)}},
		{name: "code on AssumeRole", plan: plan.Plan{Hops: []plan.Hop{withMFA}, Codes: fixedCode(code)}, echoed: true},
		{name: "base session token", session: baseSession, plan: plan.Plan{Hops: []plan.Hop{deploy}}, echoed: true},
		{name: "second hop signed with the first hop's session", plan: plan.Plan{Hops: []plan.Hop{hub, deploy}}, echoed: true},
		{name: "GetCallerIdentity", plan: plan.Plan{Hops: []plan.Hop{hub}}, identity: true, echoed: true},
		{name: "long message", pad: 100 << 10, plan: plan.Plan{Hops: []plan.Hop{web}}, echoed: true},
		{name: "8 MiB message", pad: 8 << 20, plan: plan.Plan{Hops: []plan.Hop{web}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			echo := mototest.NewEchoSTS(tt.pad)
			t.Cleanup(echo.Close)
			awsEnv(t, echo.URL, "AKIABASEKEYEXAMPLE01", baseSecret)
			if tt.session != "" {
				t.Setenv("AWS_SESSION_TOKEN", tt.session)
			}
			ch, err := retrieve(t, &tt.plan)
			if tt.identity {
				if err != nil {
					t.Fatalf("Retrieve: %v", err)
				}
				_, err = ch.Identity(context.Background())
			}
			if err == nil {
				t.Fatal("no error from an STS that refuses every call")
			}
			msg := err.Error()
			for _, s := range secrets {
				if strings.Contains(msg, s) {
					t.Errorf("error shows secret %q: %.2000q", s, msg)
				}
			}
			if i := strings.IndexFunc(msg, func(r rune) bool { return !unicode.IsPrint(r) }); i >= 0 {
				t.Errorf("error holds a control or invisible character at byte %d: %.2000q", i, msg)
			}
			if len(msg) > maxLineBytes {
				t.Errorf("error is %d bytes long, want at most %d: %.2000q", len(msg), maxLineBytes, msg)
			}
			if got := strings.Contains(msg, "echo:"); got != tt.echoed {
				t.Errorf("error shows the echo: %v, want %v: %q", got, tt.echoed, msg)
			}
			if tt.echoed && !strings.Contains(msg, redacted) {
				t.Errorf("error does not mark what it hid: %q", msg)
			}
		})
	}
}
