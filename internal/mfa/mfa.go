// Package mfa gets multi-factor authentication codes (given, from a command such as
// `ykman oath accounts code`, or typed at the terminal) and MFA sessions from STS
// GetSessionToken.
package mfa

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/kballard/go-shellquote"
	"github.com/rolehop/rolehop/internal/plan"
	"github.com/rolehop/rolehop/internal/proc"
	"github.com/rolehop/rolehop/internal/tty"
)

// errNotACode is CheckCode's error. It never repeats the code.
var errNotACode = errors.New("MFA code must be exactly 6 digits")

// maxOutput is the most an MFA token command may print: a code is six digits, and a program
// that goes on printing must not exhaust memory.
const maxOutput = 4 << 10

// CheckCode checks an MFA code: exactly six digits. The message never repeats the code.
func CheckCode(code string) error {
	if !plan.Digits(code, 6) {
		return errNotACode
	}
	return nil
}

// CheckSerial checks an MFA device's serial number: a virtual device's ARN
// (arn:aws:iam::123456789012:mfa/NAME) or a hardware device's serial.
func CheckSerial(serial string) error {
	if len(serial) < 9 || len(serial) > 256 || !plan.WordOr(serial, "+=/:,.@-") {
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
	// Dir is the working directory; a relative program path is relative to it.
	Dir string
	// Env is the program's environment; nil means rolehop's own. rolehop's own secret inputs
	// (awsenv.SecretInputs) are always left out. The program is looked up on its PATH.
	Env     []string
	Timeout time.Duration
	// Terminal lets the program take the terminal's foreground while it runs (see
	// proc.Program), so that it can ask for a password or PIN there and a Ctrl-C reaches it.
	Terminal bool
	// Stderr receives the program's stderr (the user's terminal), so it can ask to touch a key.
	Stderr io.Writer
}

// Code runs the command and returns the code it printed.
//
// The program is found with proc.Find: on the PATH in Env, as a shell would, unless it holds a
// path separator. Its stdin is empty: rolehop's belongs to the command rolehop runs. On Unix
// the program runs in a process group of its own, which is killed whole, with whatever it
// started, when the timeout passes, when ctx is done, or when rolehop gets SIGINT, SIGTERM or
// SIGHUP while it runs. With Terminal set, when rolehop holds its terminal in the foreground,
// the program's group takes the foreground while it runs. See proc.Program.
func (c Command) Code(ctx context.Context, _ string) (string, error) {
	argv, err := shellquote.Split(c.Line)
	if err != nil || len(argv) == 0 {
		return "", errors.New("MFA token command cannot be split into words; check its quotes")
	}
	env := c.Env
	if env == nil {
		env = os.Environ()
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	out, err := proc.Program{
		Argv: argv, Dir: c.Dir, Env: env, Terminal: c.Terminal, Stderr: c.Stderr,
		Timeout: timeout, MaxOutput: maxOutput,
		// A child left holding stdout must not keep rolehop waiting.
		WaitDelay: time.Second,
	}.Run(ctx)
	if err != nil {
		return "", failure(argv[0], timeout, err)
	}
	code := strings.TrimSpace(string(out))
	if err := CheckCode(code); err != nil {
		return "", fmt.Errorf("MFA token command %s printed something else than a code: %w", argv[0], err)
	}
	return code, nil
}

// failure is the error for the program prog that did not run to success.
func failure(prog string, timeout time.Duration, err error) error {
	var startErr *proc.StartError
	var stopped *proc.Stopped
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &startErr):
		return fmt.Errorf("MFA token command %s: %s", prog, startErr.Reason())
	case errors.As(err, &stopped):
		return fmt.Errorf("MFA token command %s was stopped: %w", prog, stopped.Cause)
	case errors.Is(err, proc.ErrTimeout):
		return fmt.Errorf("MFA token command %s did not finish within %s", prog, timeout)
	case errors.Is(err, proc.ErrTooMuchOutput):
		return fmt.Errorf("MFA token command %s printed something else than a code: %w", prog, errNotACode)
	case errors.As(err, &exitErr):
		if sig, ok := proc.KilledBy(exitErr.ProcessState); ok {
			if sig == "SIGINT" {
				// Ctrl-C, most likely: the user knows what happened.
				return fmt.Errorf("MFA token command %s was interrupted", prog)
			}
			return fmt.Errorf("MFA token command %s was killed by signal %s", prog, sig)
		}
	}
	return fmt.Errorf("MFA token command %s: %w", prog, err)
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

// Background returns the command as it runs behind a command that owns the terminal (a
// refresh of exec --server): it may not take the terminal then.
func (c Command) Background() plan.CodeSource {
	c.Terminal = false
	return c
}

// Background returns a source that asks nobody: behind a command that owns the terminal (a
// refresh of exec --server), a prompt would fight it for the keyboard. A refresh that needs a
// new MFA session fails with this error instead, and the endpoint goes on serving what it has.
func (Prompt) Background() plan.CodeSource { return noPrompt{} }

type noPrompt struct{}

func (noPrompt) Code(context.Context, string) (string, error) {
	return "", errors.New("a new MFA session needs a code, and the running command owns the terminal; give the code with --mfa-token-cmd for runs longer than the MFA session, or a longer --mfa-session-duration")
}

func (noPrompt) String() string { return "not asked while a command runs" }
