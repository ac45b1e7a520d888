package chain

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rolehop/rolehop/internal/mototest"
	"github.com/rolehop/rolehop/internal/plan"
)

func TestFederationToken(t *testing.T) {
	rec := recorder(t)
	awsEnv(t, rec.URL, "AKIABASEKEYEXAMPLE01", "base-secret")
	ch, err := retrieve(t, &plan.Plan{})
	if err != nil {
		t.Fatal(err)
	}
	creds, err := ch.FederationToken(context.Background(), "rolehop-jane", 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" || creds.SessionToken == "" || !creds.CanExpire || time.Until(creds.Expires) < time.Hour {
		t.Errorf("credentials %+v", creds)
	}
	calls := rec.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls, want 1", len(calls))
	}
	c := calls[0]
	if c.Action != "GetFederationToken" || c.AccessKeyID != "AKIABASEKEYEXAMPLE01" || c.Params.Get("Name") != "rolehop-jane" ||
		c.Params.Get("DurationSeconds") != "7200" || c.Params.Get("Policy") != allowAll {
		t.Errorf("call %s", c)
	}
}

func TestFederationTokenDenied(t *testing.T) {
	// The stand-in answers AccessDenied with everything the request carried, the signing secret too.
	sts := mototest.NewEchoSTS(0)
	t.Cleanup(sts.Close)
	awsEnv(t, sts.URL, mototest.EchoAccessKeyID, mototest.EchoSecretAccessKey)
	ch, err := retrieve(t, &plan.Plan{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ch.FederationToken(context.Background(), "rolehop-jane", time.Hour)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "console sign-in as federated user rolehop-jane: GetFederationToken: AccessDenied: echo:") ||
		!strings.HasSuffix(msg, "; the IAM user needs permission for sts:GetFederationToken to sign in to the console with its long-term keys, or sign in as a role with --iam-role") {
		t.Errorf("message %q", msg)
	}
	if strings.Contains(msg, mototest.EchoSecretAccessKey) || strings.Contains(msg, "trust policy") || strings.ContainsAny(msg, "\n\x1b") {
		t.Errorf("message shows the secret, the AssumeRole advice or control characters: %q", msg)
	}
}
