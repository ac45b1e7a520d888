package authprovider

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/agext/levenshtein"
	"github.com/rolehop/rolehop/internal/shellenv"
)

// Parse reads the provider's output: one JSON object in the schema Terragrunt documents for
// auth providers. Output that is empty, blank or `null` says nothing, and gives a zero Result.
//
// Keys match whatever their case, as they do for Terragrunt, and awsRole takes its session
// name as sessionName (documented) or roleSessionName (what Terragrunt reads). An object or
// field given as null counts as absent, and so does an empty SESSION_TOKEN, sessionName or
// webIdentityToken. Everything else that is not the schema is an error naming the field: an
// unknown or repeated key, a value of the wrong type, a missing or empty ACCESS_KEY_ID,
// SECRET_ACCESS_KEY or roleARN, a variable name that a shell could not set, a NUL character
// or invalid UTF-8. Errors are one line, and never repeat a value that may be secret.
//
// Parse does not check the role ARN's syntax or the duration's range: that is the caller's.
func Parse(data []byte) (*Result, error) {
	if len(bytes.Trim(data, " \t\r\n")) == 0 {
		return &Result{}, nil
	}
	if err := checkSyntax(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	p := &parser{dec: dec}
	return p.result()
}

// position describes where byte offset at lies in data, as a line and a column counted in
// characters, both from 1.
func position(data []byte, at int) string {
	before := data[:at]
	line := 1 + bytes.Count(before, []byte("\n"))
	column := 1 + utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:])
	return fmt.Sprintf("line %d, column %d", line, column)
}

// parser walks JSON that checkSyntax has accepted.
type parser struct {
	dec *json.Decoder
}

// next returns the next token.
func (p *parser) next() (json.Token, error) {
	tok, err := p.dec.Token()
	if err != nil {
		// Not expected once checkSyntax passed; the decoder's message could quote input.
		return nil, fmt.Errorf("invalid JSON near byte %d", p.dec.InputOffset())
	}
	return tok, nil
}

// result reads the whole output.
func (p *parser) result() (*Result, error) {
	tok, err := p.next()
	if err != nil {
		return nil, err
	}
	r := &Result{}
	switch tok {
	case nil:
		return r, nil
	case json.Delim('{'):
	default:
		return nil, fmt.Errorf("the output must be a JSON object, not %s", kind(tok))
	}
	err = p.fields("", []string{keyCredentials, keyRole, keyEnvs}, func(name, path string) error {
		var err error
		switch name {
		case keyCredentials:
			r.Credentials, err = p.credentials(path)
		case keyRole:
			r.Role, err = p.role(path)
		case keyEnvs:
			r.Envs, err = p.envs(path)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// credentials reads awsCredentials.
func (p *parser) credentials(path string) (*Credentials, error) {
	if ok, err := p.object(path); !ok || err != nil {
		return nil, err
	}
	var c Credentials
	given := map[string]bool{}
	known := []string{keyAccessKeyID, keySecretAccessKey, keySessionToken}
	err := p.fields(path, known, func(name, path string) error {
		s, ok, err := p.str(path)
		if !ok || err != nil {
			return err
		}
		switch name {
		case keyAccessKeyID:
			c.AccessKeyID = s
		case keySecretAccessKey:
			c.SecretAccessKey = s
		case keySessionToken:
			c.SessionToken = s
			return nil // an empty token is the same as none
		}
		if s == "" {
			return fmt.Errorf("%s: must not be empty", path)
		}
		given[name] = true
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case given[keyAccessKeyID] && !given[keySecretAccessKey]:
		return nil, fmt.Errorf("%s: %s given without %s", path, keyAccessKeyID, keySecretAccessKey)
	case given[keySecretAccessKey] && !given[keyAccessKeyID]:
		return nil, fmt.Errorf("%s: %s given without %s", path, keySecretAccessKey, keyAccessKeyID)
	case !given[keyAccessKeyID] && c.SessionToken != "":
		return nil, fmt.Errorf("%s: %s given without %s and %s", path, keySessionToken, keyAccessKeyID, keySecretAccessKey)
	case !given[keyAccessKeyID]:
		return nil, fmt.Errorf("%s: missing %s and %s", path, keyAccessKeyID, keySecretAccessKey)
	}
	return &c, nil
}

// role reads awsRole.
func (p *parser) role(path string) (*Role, error) {
	if ok, err := p.object(path); !ok || err != nil {
		return nil, err
	}
	var r Role
	hasARN := false
	sessionKey := ""
	known := []string{keyRoleARN, keySessionName, keyRoleSessionName, keyDuration, keyWebIdentity}
	err := p.fields(path, known, func(name, path string) error {
		if name == keyDuration {
			d, err := p.duration(path)
			r.Duration = d
			return err
		}
		s, ok, err := p.str(path)
		if !ok || err != nil {
			return err
		}
		switch name {
		case keyRoleARN:
			if s == "" {
				return fmt.Errorf("%s: must not be empty", path)
			}
			r.ARN, hasARN = s, true
		case keySessionName, keyRoleSessionName:
			if sessionKey != "" {
				return fmt.Errorf("%s: both %s and %s given; give one", path, keySessionName, keyRoleSessionName)
			}
			r.SessionName, sessionKey = s, name
		case keyWebIdentity:
			r.WebIdentityToken = s
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case !hasARN:
		return nil, fmt.Errorf("%s: missing %s", path, keyRoleARN)
	}
	return &r, nil
}

// duration reads a number of seconds.
func (p *parser) duration(path string) (time.Duration, error) {
	tok, err := p.next()
	if err != nil || tok == nil {
		return 0, err
	}
	n, ok := tok.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%s: must be a number of seconds, not %s", path, kind(tok))
	}
	secs, err := wholeSeconds(n.String())
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return time.Duration(secs) * time.Second, nil
}

// maxSeconds is the longest duration a time.Duration holds, in whole seconds.
const maxSeconds = math.MaxInt64 / int64(time.Second)

// wholeSeconds reads a JSON number as a whole, non-negative number of seconds. It works on
// the decimal digits rather than a float64, so that 1e-400 or 3600.000000000000000001 are not
// rounded into whole numbers.
func wholeSeconds(literal string) (int64, error) {
	mantissa, exponent, _ := strings.Cut(strings.ToLower(literal), "e")
	negative := strings.HasPrefix(mantissa, "-")
	whole, fraction, _ := strings.Cut(strings.TrimPrefix(mantissa, "-"), ".")
	digits := whole + fraction
	if strings.Trim(digits, "0") == "" {
		return 0, nil
	}
	if negative {
		return 0, errors.New("must not be negative")
	}
	// point is where the decimal point falls in digits once the exponent is applied.
	point := len(whole)
	if exponent != "" {
		e, err := strconv.Atoi(exponent)
		switch {
		case err == nil && e > -1<<20 && e < 1<<20:
			point += e
		case strings.HasPrefix(exponent, "-"):
			return 0, errors.New("must be a whole number of seconds")
		default:
			return 0, errors.New("too large to be a number of seconds")
		}
	}
	if point < len(digits) && strings.Trim(digits[max(point, 0):], "0") != "" {
		return 0, errors.New("must be a whole number of seconds")
	}
	integer := strings.TrimLeft(digits[:min(point, len(digits))], "0")
	if len(integer)+max(point-len(digits), 0) > len(strconv.FormatInt(maxSeconds, 10)) {
		return 0, errors.New("too large to be a number of seconds")
	}
	n, err := strconv.ParseInt(integer+strings.Repeat("0", max(point-len(digits), 0)), 10, 64)
	if err != nil || n > maxSeconds {
		return 0, errors.New("too large to be a number of seconds")
	}
	return n, nil
}

// envs reads envs.
func (p *parser) envs(path string) ([]Env, error) {
	if ok, err := p.object(path); !ok || err != nil {
		return nil, err
	}
	var envs []Env
	seen := map[string]bool{}
	for p.dec.More() {
		tok, err := p.next()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		path := fieldPath(path, name)
		// Variable names are case-sensitive, so FOO and foo are two variables.
		switch {
		case seen[name]:
			return nil, fmt.Errorf("%s: given twice", path)
		case !shellenv.ValidName(name):
			return nil, fmt.Errorf("%s: not a valid variable name", path)
		}
		seen[name] = true
		value, ok, err := p.str(path)
		if err != nil {
			return nil, err
		}
		if ok {
			envs = append(envs, Env{Name: name, Value: value})
		}
	}
	if _, err := p.next(); err != nil {
		return nil, err
	}
	sortEnvs(envs)
	return envs, nil
}

// object reads the start of an object, or a null that stands for its absence.
func (p *parser) object(path string) (bool, error) {
	tok, err := p.next()
	switch {
	case err != nil || tok == nil:
		return false, err
	case tok != json.Delim('{'):
		return false, fmt.Errorf("%s: must be an object, not %s", path, kind(tok))
	}
	return true, nil
}

// str reads a string, or a null that stands for its absence.
func (p *parser) str(path string) (s string, ok bool, err error) {
	tok, err := p.next()
	if err != nil || tok == nil {
		return "", false, err
	}
	s, ok = tok.(string)
	if !ok {
		return "", false, fmt.Errorf("%s: must be a string, not %s", path, kind(tok))
	}
	if err := checkText(s); err != nil {
		return "", false, fmt.Errorf("%s: %w", path, err)
	}
	return s, true, nil
}

// fields reads the keys and values of an object whose opening brace has been read, up to
// its closing brace. Each key must match one of known, whatever its case, and appear once;
// field reads the value, given the key as known spells it and the path to the key as the
// output spells it.
func (p *parser) fields(path string, known []string, field func(name, path string) error) error {
	given := map[string]string{}
	for p.dec.More() {
		tok, err := p.next()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		keyPath := fieldPath(path, key)
		i := slices.IndexFunc(known, func(k string) bool { return strings.EqualFold(k, key) })
		if i < 0 {
			return unknownKey(keyPath, key, known)
		}
		name := known[i]
		if first, ok := given[name]; ok {
			if first == key {
				return fmt.Errorf("%s: given twice", keyPath)
			}
			return fmt.Errorf("%s: given twice (keys match whatever their case; %q came first)", keyPath, first)
		}
		given[name] = key
		if err := field(name, keyPath); err != nil {
			return err
		}
	}
	_, err := p.next()
	return err
}

// unknownKey is the error for key, found where only known keys may be, suggesting the one
// meant when it is close enough to be a typo.
func unknownKey(path, key string, known []string) error {
	best, bestDistance := "", 0
	if utf8.RuneCountInString(key) <= 64 {
		for _, k := range known {
			d := levenshtein.Distance(strings.ToLower(key), strings.ToLower(k), nil)
			// A third of the key's length, at least 2: catches typos and dropped
			// prefixes ("credentials") without suggesting unrelated names.
			if d <= max(2, len(k)/3) && (best == "" || d < bestDistance) {
				best, bestDistance = k, d
			}
		}
	}
	if best != "" {
		return fmt.Errorf("%s: unknown key; did you mean %q?", path, best)
	}
	return fmt.Errorf("%s: unknown key; valid keys are %s", path, strings.Join(known, ", "))
}

// fieldPath appends key to path, quoted unless it is a plain name, so that a path is always
// one line and says where it starts and ends.
func fieldPath(path, key string) string {
	const limit = 64 // runes of a key shown
	if utf8.RuneCountInString(key) > limit {
		key = string([]rune(key)[:limit]) + "…"
	}
	plain := key != "" && !strings.ContainsFunc(key, func(r rune) bool {
		return !(r == '_' || r == '-' || r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)))
	})
	if !plain {
		key = strconv.Quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// kind names the JSON type of tok, for messages.
func kind(tok json.Token) string {
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	default:
		return "null"
	}
}
