// Package shellenv formats environment-variable assignments for a shell to
// evaluate (as in eval "$(rolehop env)") or for other programs to read.
//
// Values are usually secrets and may contain anything, so every value is
// quoted in the target syntax's most literal form: no byte of a value can end
// the quoting early, expand a variable, or run a command.
package shellenv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Format names an output syntax.
type Format string

// The supported formats.
const (
	// SH is POSIX sh, bash, zsh and dash: export NAME='value' and unset NAME.
	SH Format = "sh"
	// Fish is the fish shell: set -gx NAME 'value' and set -e NAME.
	Fish Format = "fish"
	// PowerShell is Windows PowerShell and pwsh: $Env:NAME = 'value' and
	// Remove-Item Env:NAME -ErrorAction SilentlyContinue.
	PowerShell Format = "powershell"
	// Dotenv is a .env file: NAME='value', or NAME="escaped value" when the
	// value holds a single quote or a line break. A .env file cannot
	// express an unset, so unsets are omitted.
	Dotenv Format = "dotenv"
	// JSON is one JSON object mapping names to values, in the order given,
	// indented by two spaces and ending in a newline. Unsets are omitted.
	JSON Format = "json"
)

// Formats returns the names of all formats: sh, fish, powershell, dotenv
// and json, in that order.
func Formats() []string {
	return []string{string(SH), string(Fish), string(PowerShell), string(Dotenv), string(JSON)}
}

// ParseFormat returns the Format named s.
func ParseFormat(s string) (Format, error) {
	for _, name := range Formats() {
		if s == name {
			return Format(name), nil
		}
	}
	return "", fmt.Errorf("unknown format %q; use one of %s", s, strings.Join(Formats(), ", "))
}

// Var is one variable to set.
type Var struct {
	Name  string
	Value string
}

// Write writes, in format f, lines that first unset each name in unset and
// then set each variable in set, in order.
//
// Names must match ^[A-Za-z_][A-Za-z0-9_]*$ and may appear in set only
// once; values must be valid UTF-8 without NUL bytes. Everything is checked
// before anything is written, so a bad name or value never leaves half a
// script behind for a shell to evaluate. Errors name the offending variable
// but never include a value, since values are usually secrets.
func Write(w io.Writer, f Format, set []Var, unset []string) error {
	if _, err := ParseFormat(string(f)); err != nil {
		return err
	}
	if err := check(set, unset); err != nil {
		return err
	}
	var b bytes.Buffer
	if f == JSON {
		if err := writeJSON(&b, set); err != nil {
			return err
		}
	} else {
		writeLines(&b, f, set, unset)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write %s variables: %w", f, err)
	}
	return nil
}

func check(set []Var, unset []string) error {
	for _, name := range unset {
		if err := checkName(name); err != nil {
			return err
		}
	}
	seen := make(map[string]bool, len(set))
	for _, v := range set {
		if err := checkName(v.Name); err != nil {
			return err
		}
		// A repeated name would be ambiguous in JSON and almost surely a
		// caller bug elsewhere, so reject it in every format alike.
		if seen[v.Name] {
			return fmt.Errorf("variable %s is set more than once", v.Name)
		}
		seen[v.Name] = true
		if strings.IndexByte(v.Value, 0) >= 0 {
			return fmt.Errorf("value of %s contains a NUL byte, which no environment can hold", v.Name)
		}
		if !utf8.ValidString(v.Value) {
			return fmt.Errorf("value of %s is not valid UTF-8", v.Name)
		}
	}
	return nil
}

func checkName(name string) error {
	if name == "" {
		return errors.New("invalid variable name \"\": names must not be empty")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		letter := c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
		digit := c >= '0' && c <= '9'
		if !letter && (!digit || i == 0) {
			return fmt.Errorf("invalid variable name %q: use letters, digits and _, not starting with a digit", name)
		}
	}
	return nil
}

func writeLines(b *bytes.Buffer, f Format, set []Var, unset []string) {
	for _, name := range unset {
		switch f {
		case SH:
			fmt.Fprintf(b, "unset %s\n", name)
		case Fish:
			fmt.Fprintf(b, "set -e %s\n", name)
		case PowerShell:
			fmt.Fprintf(b, "Remove-Item Env:%s -ErrorAction SilentlyContinue\n", name)
		}
	}
	for _, v := range set {
		switch f {
		case SH:
			fmt.Fprintf(b, "export %s=%s\n", v.Name, quoteSH(v.Value))
		case Fish:
			fmt.Fprintf(b, "set -gx %s %s\n", v.Name, quoteFish(v.Value))
		case PowerShell:
			fmt.Fprintf(b, "$Env:%s = %s\n", v.Name, quotePowerShell(v.Value))
		case Dotenv:
			fmt.Fprintf(b, "%s=%s\n", v.Name, quoteDotenv(v.Value))
		}
	}
}

// quoteSH single-quotes s. Inside POSIX single quotes every byte is literal
// and nothing can be escaped, so each ' closes the quotes, adds an escaped
// quote and reopens them.
func quoteSH(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// quoteFish single-quotes s. Inside fish single quotes only \\ and \' are
// escapes; a lone backslash before anything else stays literal, but escaping
// every backslash keeps a value ending in \ from swallowing the closing quote.
func quoteFish(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// quotePowerShell single-quotes s. PowerShell ends a single-quoted string at
// any of ' ‘ ’ ‚ ‛ and reads two of them in a row as one literal quote (the
// second), so each of them is doubled.
func quotePowerShell(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		if isPowerShellQuote(r) {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

func isPowerShellQuote(r rune) bool {
	switch r {
	case '\'', '\u2018', '\u2019', '\u201a', '\u201b':
		return true
	}
	return false
}

// quoteDotenv quotes s for a .env file. There is no .env standard; the
// common readers (docker compose, godotenv) read single-quoted values
// literally, so that form is used whenever it can hold s. A value with a quote
// or line break needs the double-quoted form, where those readers decode
// \\ \" \n \r and \$, and would expand an unescaped $.
func quoteDotenv(s string) string {
	if !strings.ContainsAny(s, "'\n\r") {
		return "'" + s + "'"
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, `$`, `\$`)
	return `"` + r.Replace(s) + `"`
}

func writeJSON(b *bytes.Buffer, set []Var) error {
	if len(set) == 0 {
		b.WriteString("{}\n")
		return nil
	}
	b.WriteString("{\n")
	for i, v := range set {
		value, err := jsonString(v.Value)
		if err != nil {
			return fmt.Errorf("encode value of %s as JSON: %w", v.Name, err)
		}
		// Names are plain ASCII identifiers (check ensures it), so they
		// need no escaping.
		fmt.Fprintf(b, "  \"%s\": %s", v.Name, value)
		if i < len(set)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("}\n")
	return nil
}

// jsonString encodes s as a JSON string, leaving <, > and & readable.
func jsonString(s string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
