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
	// Fish is the fish shell: set -gx NAME 'value', and if set -q NAME; set -e NAME; end to
	// unset. fish's set -e fails (status 4) for a variable that is not set, and its
	// assignments pass on the status they find, so a bare set -e would leave the sourcing
	// failed: `rolehop env --format fish | source; and terraform plan` would skip terraform.
	// Guarded, every unset leaves $status 0.
	Fish Format = "fish"
	// PowerShell is Windows PowerShell and pwsh: $Env:NAME = 'value' and
	// Remove-Item Env:NAME -ErrorAction SilentlyContinue.
	PowerShell Format = "powershell"
	// Dotenv is a .env file that `set -a; . ./file` in a POSIX shell and
	// python-dotenv both read back exactly: NAME='value', or NAME="value"
	// with \ and \" escaped when the value holds ' or \. Values that no
	// single form keeps literal for both are refused (see Write). A .env
	// file cannot express an unset, so unsets are omitted.
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
// once; values must be valid UTF-8 without NUL bytes. A dotenv value must
// also hold no carriage return and no ${, not both one of ' \ and one of
// $ `, and not end in \: sh and python-dotenv would read those back
// differently whatever the quoting. Everything is checked
// before anything is written, so a bad name or value never leaves half a
// script behind for a shell to evaluate. Errors name the offending variable
// but never include a value, since values are usually secrets.
func Write(w io.Writer, f Format, set []Var, unset []string) error {
	if _, err := ParseFormat(string(f)); err != nil {
		return err
	}
	if err := check(f, set, unset); err != nil {
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

func check(f Format, set []Var, unset []string) error {
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
		if f != Dotenv {
			continue
		}
		if why := dotenvProblem(v.Value); why != "" {
			return fmt.Errorf("value of %s cannot be written as dotenv: %s; use another format, such as sh or json", v.Name, why)
		}
	}
	return nil
}

// checkName says why name cannot be set as a variable, if it cannot.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("invalid variable name \"\": names must not be empty")
	case !ValidName(name):
		return fmt.Errorf("invalid variable name %q: use letters, digits and _, not starting with a digit", name)
	}
	return nil
}

// ValidName reports whether name is a variable name every shell can set: a letter or
// underscore, then letters, digits and underscores.
func ValidName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		letter := c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
		digit := c >= '0' && c <= '9'
		if !letter && (!digit || i == 0) {
			return false
		}
	}
	return name != ""
}

func writeLines(b *bytes.Buffer, f Format, set []Var, unset []string) {
	for _, name := range unset {
		switch f {
		case SH:
			fmt.Fprintf(b, "unset %s\n", name)
		case Fish:
			fmt.Fprintf(b, "if set -q %s; set -e %s; end\n", name, name)
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

// quoteDotenv quotes s, which dotenvProblem accepted, for a .env file that
// POSIX shells source and python-dotenv parses. Neither reader joins quoted
// strings the way a shell word does, so each value is one quoted string in
// the form both read alike: single quotes keep every byte literal in sh, and
// in python-dotenv all but \\ and \', so they hold any value without ' or \.
// Otherwise double quotes, inside which both readers decode \\ and \" alike;
// sh would expand $ and `, which python-dotenv cannot unescape, so those
// values never get here.
func quoteDotenv(s string) string {
	if !strings.ContainsAny(s, `'\`) {
		return "'" + s + "'"
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// dotenvProblem says why s cannot be written as a dotenv value that sh and
// python-dotenv read back exactly, or returns "".
func dotenvProblem(s string) string {
	switch {
	case strings.ContainsRune(s, '\r'):
		// python-dotenv reads the file in text mode, where \r and \r\n
		// become \n.
		return "python-dotenv reads a carriage return as a line break"
	case strings.Contains(s, "${"):
		return "python-dotenv expands ${...} whatever the quotes"
	case strings.ContainsAny(s, `'\`) && strings.ContainsAny(s, "$`"):
		return "no quoting keeps both ' or \\ and $ or ` literal for sh and python-dotenv alike"
	case strings.HasSuffix(s, `\`):
		// Its pattern for a double-quoted value takes the escaped \ and the
		// closing " for an escaped quote, and runs on into the next line.
		return "python-dotenv misreads a double-quoted value that ends in \\"
	}
	return ""
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
