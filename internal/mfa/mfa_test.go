package mfa

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/rolehop/rolehop/internal/plan"
)

func TestCheckCode(t *testing.T) {
	for _, ok := range []string{"123456", "000000"} {
		if err := CheckCode(ok); err != nil {
			t.Errorf("CheckCode(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "12345a", " 123456", "１２３４５６"} {
		err := CheckCode(bad)
		if err == nil || err.Error() != "MFA code must be exactly 6 digits" {
			t.Errorf("CheckCode(%q) = %v", bad, err)
		}
	}
}

func TestCheckSerial(t *testing.T) {
	for _, ok := range []string{"arn:aws:iam::123456789012:mfa/jondoe", "GAHT12345678", "arn:aws-us-gov:iam::123456789012:mfa/a.b@c"} {
		if err := CheckSerial(ok); err != nil {
			t.Errorf("CheckSerial(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "short", "arn:aws:iam::123456789012:user/jondoe", "has spaces in it"} {
		if err := CheckSerial(bad); err == nil {
			t.Errorf("CheckSerial(%q): no error", bad)
		}
	}
}

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "code.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCommand(t *testing.T) {
	tests := []struct {
		body, args, want, wantErr string
	}{
		{body: `echo "  654321 "`, want: "654321"},
		{body: `[ "$1" = "--single" ] && [ "$2" = "aws account" ] && echo 111222`, args: ` --single "aws account"`, want: "111222"},
		{body: `echo "touch your key"`, wantErr: "printed something else than a code: MFA code must be exactly 6 digits"},
		{body: `exit 4`, wantErr: "exit status 4"},
		{body: `sleep 5`, wantErr: "did not finish within 200ms"},
	}
	for _, tt := range tests {
		// Only the program that hangs waits out the short timeout; on a busy machine the
		// others may take longer than that just to start.
		timeout := 10 * time.Second
		if strings.HasPrefix(tt.body, "sleep") {
			timeout = 200 * time.Millisecond
		}
		c := Command{Line: script(t, tt.body) + tt.args, Timeout: timeout}
		got, err := c.Code(context.Background(), "GAHT12345678")
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: error %v, want %q", tt.body, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: %q, %v", tt.body, got, err)
		}
	}
	if _, err := (Command{Line: `"unterminated`}).Code(context.Background(), ""); err == nil {
		t.Error("unterminated quote: no error")
	}
}

func TestPromptWithoutTerminal(t *testing.T) {
	_, err := Prompt{TTY: filepath.Join(t.TempDir(), "no-tty")}.Code(context.Background(), "GAHT12345678")
	if !errors.Is(err, ErrNoTerminal) || err.Error() != "no terminal to ask for the MFA code on; give --token-code or --mfa-token-cmd" {
		t.Fatalf("error = %v", err)
	}
}

func TestPromptRetriesUntilAValidCode(t *testing.T) {
	// A plain file stands in for the terminal: lines are read without the echo control a real
	// terminal gets (the pty case is covered by the command-line scripts).
	tty := filepath.Join(t.TempDir(), "tty")
	if err := os.WriteFile(tty, []byte("12\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := (Prompt{TTY: tty}).Code(context.Background(), "GAHT12345678"); err == nil {
		t.Fatal("a short code was accepted")
	}
}

type fakeSTS struct {
	in  *sts.GetSessionTokenInput
	err error
}

func (f *fakeSTS) GetSessionToken(_ context.Context, in *sts.GetSessionTokenInput, _ ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error) {
	f.in = in
	if f.err != nil {
		return nil, f.err
	}
	exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	return &sts.GetSessionTokenOutput{Credentials: &types.Credentials{
		AccessKeyId: aws.String("ASIAMFA"), SecretAccessKey: aws.String("s"), SessionToken: aws.String("t"), Expiration: &exp,
	}}, nil
}

func TestSession(t *testing.T) {
	f := &fakeSTS{}
	s := &Session{Client: f, Serial: "arn:aws:iam::123456789012:mfa/jondoe", Duration: 12 * time.Hour, Codes: Static("123456")}
	creds, err := s.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "ASIAMFA" || !creds.CanExpire || creds.Expires.Year() != 2030 {
		t.Errorf("creds = %+v", creds)
	}
	if aws.ToString(f.in.SerialNumber) != s.Serial || aws.ToString(f.in.TokenCode) != "123456" || aws.ToInt32(f.in.DurationSeconds) != 43200 {
		t.Errorf("input = %+v", f.in)
	}

	bad := &Session{Client: &fakeSTS{}, Serial: s.Serial, Duration: time.Hour, Codes: Static("12")}
	if _, err := bad.Retrieve(context.Background()); err == nil || err.Error() != "MFA code must be exactly 6 digits" {
		t.Errorf("bad code: %v", err)
	}
}

func TestBackground(t *testing.T) {
	cmd := plan.InBackground(Command{Line: "ykman oath accounts code", Terminal: true})
	if c, ok := cmd.(Command); !ok || c.Terminal || c.Line != "ykman oath accounts code" {
		t.Errorf("a command in the background is %#v, want the same command without the terminal", cmd)
	}
	_, err := plan.InBackground(Prompt{}).Code(t.Context(), "arn:aws:iam::123456789012:mfa/jane")
	if err == nil || !strings.Contains(err.Error(), "the running command owns the terminal") {
		t.Errorf("a prompt in the background gave %v, want an error saying the terminal is taken", err)
	}
	if got := plan.InBackground(Static("123456")); got != Static("123456") {
		t.Errorf("a code given stays as it is in the background, got %#v", got)
	}
}
