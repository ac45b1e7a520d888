// Package tty asks the user things on the controlling terminal, whatever rolehop's stdin and
// stdout are (in eval "$(rolehop env)" both are pipes).
package tty

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"
)

// ErrNoTerminal is returned when there is no terminal to ask on.
var ErrNoTerminal = errors.New("no terminal to ask on")

// Device is the controlling terminal.
const Device = "/dev/tty"

// AskHidden writes prompt to the terminal at path (Device when empty) and reads a line without
// echoing it.
func AskHidden(path, prompt string) (string, error) {
	f, err := open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fmt.Fprint(f, prompt)
	defer fmt.Fprintln(f)
	if term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		if err != nil {
			return "", fmt.Errorf("read from the terminal: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return readLine(f)
}

// Ask writes prompt to the terminal at path (Device when empty) and reads a line, shown as it is
// typed: an answer, not a secret.
func Ask(path, prompt string) (string, error) {
	f, err := open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fmt.Fprint(f, prompt)
	return readLine(f)
}

// readLine reads a line from f, without its surrounding blanks; a last line without a newline
// is still an answer.
func readLine(f *os.File) (string, error) {
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read from the terminal: %w", err)
	}
	return strings.TrimSpace(line), nil
}

// open opens the terminal at path (Device when empty) to ask on.
func open(path string) (*os.File, error) {
	if path == "" {
		path = Device
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, ErrNoTerminal
	}
	return f, nil
}

// Interactive reports whether there is a controlling terminal to ask on.
func Interactive() bool {
	f, err := open("")
	if err != nil {
		return false
	}
	f.Close()
	return true
}
