// Package mfa gets multi-factor authentication codes (given, from a command such as
// `ykman oath accounts code`, or typed at the terminal) and MFA sessions from STS
// GetSessionToken.
package mfa

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/kballard/go-shellquote"
	"github.com/rolehop/rolehop/internal/awsenv"
	"github.com/rolehop/rolehop/internal/procgroup"
	"github.com/rolehop/rolehop/internal/tty"
)

var (
	codeRE   = regexp.MustCompile(`^[0-9]{6}$`)
	serialRE = regexp.MustCompile(`^[\w+=/:,.@-]+$`)
)

// CheckCode checks an MFA code: exactly six digits. The message never repeats the code.
func CheckCode(code string) error {
	if !codeRE.MatchString(code) {
		return errors.New("MFA code must be exactly 6 digits")
	}
	return nil
}

// CheckSerial checks an MFA device's serial number: a virtual device's ARN
// (arn:aws:iam::123456789012:mfa/NAME) or a hardware device's serial.
func CheckSerial(serial string) error {
	if len(serial) < 9 || len(serial) > 256 || !serialRE.MatchString(serial) {
		return fmt.Errorf("MFA serial number %q is invalid; use the device's ARN (arn:aws:iam::123456789012:mfa/NAME) or a hardware serial", serial)
	}
	if strings.HasPrefix(serial, "arn:") && !strings.Contains(serial, ":mfa/") && !strings.Contains(serial, ":u2f/") {
		return fmt.Errorf("MFA serial number %q is not an MFA device ARN; one looks like arn:aws:iam::123456789012:mfa/NAME", serial)
	}
	return nil
}

// Static is a code given on the command line or in the environment.
type Static string

// Code returns the code.
func (s Static) Code(context.Context, string) (string, error) { return string(s), nil }

// String describes the source without the code.
func (s Static) String() string { return "given" }

// Command runs a program that prints a code, such as `ykman oath accounts code --single aws`.
type Command struct {
	// Line is split into words like a shell would and run without a shell.
	Line string
	Dir  string
	// Env is the program's environment; nil means rolehop's own. rolehop's own secret inputs
	// (awsenv.SecretInputs) are always left out.
	Env     []string
	Timeout time.Duration
	// Stderr receives the program's stderr (the user's terminal), so it can ask to touch a key.
	Stderr io.Writer
}

// Code runs the command and returns the code it printed.
//
// On Unix the program runs in a process group of its own, which is killed whole, with whatever
// it started, when the timeout passes, when ctx is done, or when rolehop gets SIGINT, SIGTERM
// or SIGHUP while it runs. When rolehop holds its terminal in the foreground, the program's
// group takes the foreground while it runs, so that it can ask for a password on the terminal
// and a Ctrl-C reaches it. See package procgroup.
func (c Command) Code(ctx context.Context, _ string) (string, error) {
	argv, err := shellquote.Split(c.Line)
	if err != nil || len(argv) == 0 {
		return "", errors.New("MFA token command cannot be split into words; check its quotes")
	}
	ctx, release := procgroup.CancelOnSignal(ctx)
	code, err := c.run(ctx, argv)
	if sig := release(); sig != nil {
		return "", fmt.Errorf("MFA token command %s was stopped: %w", argv[0], sig)
	}
	return code, err
}

// run runs the program argv and returns the code it printed.
func (c Command) run(ctx context.Context, argv []string) (string, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, argv[0], argv[1:]...)
	cmd.Dir = c.Dir
	env := c.Env
	if env == nil {
		env = os.Environ()
	}
	// rolehop's own secret inputs are for rolehop; the program has no use for them.
	cmd.Env = awsenv.WithoutSecretInputs(env)
	if c.Stderr != nil {
		cmd.Stderr = c.Stderr
	}
	// A child left holding stdout must not keep rolehop waiting after the timeout.
	cmd.WaitDelay = time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	// Its stdin is not the terminal (it may be the command's input), but it may open the
	// terminal to ask for a password.
	var terminal io.Reader
	if f, err := os.OpenFile(tty.Device, os.O_RDWR, 0); err == nil {
		defer f.Close()
		terminal = f
	}
	restore := procgroup.Isolate(cmd, terminal)
	// Also after a failed start: the child may have taken the terminal before exec failed.
	defer restore()
	if err := cmd.Run(); err != nil {
		switch {
		case ctx.Err() != nil:
			return "", fmt.Errorf("MFA token command %s was stopped: %w", argv[0], context.Cause(ctx))
		case runCtx.Err() != nil:
			return "", fmt.Errorf("MFA token command %s did not finish within %s", argv[0], timeout)
		}
		return "", fmt.Errorf("MFA token command %s: %w", argv[0], err)
	}
	code := strings.TrimSpace(out.String())
	if err := CheckCode(code); err != nil {
		return "", fmt.Errorf("MFA token command %s printed something else than a code: %w", argv[0], err)
	}
	return code, nil
}

// String names the program.
func (c Command) String() string {
	if argv, err := shellquote.Split(c.Line); err == nil && len(argv) > 0 {
		return "from command " + argv[0]
	}
	return "command"
}

// Prompt asks for the code on the controlling terminal, whatever stdin and stdout are (they may
// be pipes, as in eval "$(rolehop env)").
type Prompt struct {
	// TTY is the terminal device; empty means /dev/tty.
	TTY string
}

// ErrNoTerminal is returned by Prompt when there is no terminal to ask on.
var ErrNoTerminal = errors.New("no terminal to ask for the MFA code on")

// Code asks for the code, without echoing it, until a valid one is typed (three tries).
func (p Prompt) Code(_ context.Context, serial string) (string, error) {
	for try := 0; try < 3; try++ {
		code, err := tty.AskHidden(p.TTY, fmt.Sprintf("MFA code for %s: ", serial))
		if errors.Is(err, tty.ErrNoTerminal) {
			return "", fmt.Errorf("%w; give --token-code or --mfa-token-cmd", ErrNoTerminal)
		}
		if err != nil {
			return "", err
		}
		if CheckCode(code) == nil {
			return code, nil
		}
	}
	return "", errors.New("no valid MFA code after three tries (an MFA code is 6 digits)")
}

// String describes the source.
func (Prompt) String() string { return "asked on the terminal" }

// CodeSource gives MFA codes.
type CodeSource interface {
	Code(ctx context.Context, serial string) (string, error)
}

// SessionAPI is the STS call a Session makes.
type SessionAPI interface {
	GetSessionToken(ctx context.Context, in *sts.GetSessionTokenInput, opts ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error)
}

// Session is a credentials provider for an MFA session: STS GetSessionToken with the device's
// serial number and a code. The SDK has no provider for it.
type Session struct {
	Client   SessionAPI
	Serial   string
	Duration time.Duration
	Codes    CodeSource
}

// Retrieve asks for a code and gets the session.
func (s *Session) Retrieve(ctx context.Context) (aws.Credentials, error) {
	code, err := s.Codes.Code(ctx, s.Serial)
	if err != nil {
		return aws.Credentials{}, err
	}
	if err := CheckCode(code); err != nil {
		return aws.Credentials{}, err
	}
	out, err := s.Client.GetSessionToken(ctx, &sts.GetSessionTokenInput{
		SerialNumber:    aws.String(s.Serial),
		TokenCode:       aws.String(code),
		DurationSeconds: aws.Int32(int32(s.Duration / time.Second)),
	})
	if err != nil {
		return aws.Credentials{}, err
	}
	c := out.Credentials
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil {
		return aws.Credentials{}, errors.New("GetSessionToken answered without credentials")
	}
	return aws.Credentials{
		AccessKeyID:     aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken:    aws.ToString(c.SessionToken),
		CanExpire:       true,
		Expires:         aws.ToTime(c.Expiration),
		Source:          "MFASession",
	}, nil
}
