package authprovider

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxDepth is how deeply arrays and objects may nest, as encoding/json allows.
const maxDepth = 10000

// checkSyntax checks that data is well-formed JSON holding one value, and says where it is
// not. encoding/json decides whether it is; where and why are rolehop's own, found by walking
// the bytes, because the library's messages quote the offending character (a byte of a
// secret, perhaps), and differ from one version of the library to the next.
func checkSyntax(data []byte) error {
	if !utf8.Valid(data) {
		at := 0
		for at < len(data) {
			r, size := utf8.DecodeRune(data[at:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			at += size
		}
		return fmt.Errorf("invalid JSON at %s: not valid UTF-8", position(data, at))
	}
	if json.Valid(data) {
		return nil
	}
	s := &scanner{data: data}
	if err := s.value(); err != nil {
		return err
	}
	if s.space(); s.at < len(data) {
		return fmt.Errorf("unexpected data after the JSON object at %s", position(data, s.at))
	}
	// Not reached while rolehop and encoding/json agree on what JSON is.
	return errors.New("invalid JSON")
}

// scanner finds the first byte of JSON text that does not fit the grammar. Its messages name
// the byte's position and what was expected there, never the byte itself.
type scanner struct {
	data  []byte
	at    int // offset of the next byte to read
	depth int // arrays and objects open
}

// fault is the error for the byte at s.at, with context saying what was being read ("looking
// for beginning of value"), or for the end of input, which needs none.
func (s *scanner) fault(context string) error {
	if s.at >= len(s.data) {
		return fmt.Errorf("invalid JSON at %s: unexpected end of input", position(s.data, len(s.data)))
	}
	return fmt.Errorf("invalid JSON at %s: unexpected character %s", position(s.data, s.at), context)
}

// faultIn is fault inside a token that the end of input cuts short ("in literal null
// (expecting 'l')"), which then says what it was reading.
func (s *scanner) faultIn(context string) error {
	if s.at >= len(s.data) {
		return fmt.Errorf("invalid JSON at %s: unexpected end of input %s", position(s.data, len(s.data)), context)
	}
	return s.fault(context)
}

// next reports whether the byte at s.at is one of set, and if so reads it.
func (s *scanner) next(set string) bool {
	if s.at < len(s.data) && strings.IndexByte(set, s.data[s.at]) >= 0 {
		s.at++
		return true
	}
	return false
}

// space reads white space.
func (s *scanner) space() {
	for s.next(" \t\r\n") {
	}
}

// value reads one value and the white space before it.
func (s *scanner) value() error {
	s.space()
	if s.at >= len(s.data) {
		return s.fault("looking for beginning of value")
	}
	switch c := s.data[s.at]; {
	case c == '{':
		return s.object()
	case c == '[':
		return s.array()
	case c == '"':
		return s.str()
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return s.fault("looking for beginning of value")
}

// object reads an object, from its opening brace.
func (s *scanner) object() error {
	return s.members("}", s.member, "after object key:value pair")
}

// member reads a key, its colon and its value.
func (s *scanner) member() error {
	s.space()
	if s.at >= len(s.data) || s.data[s.at] != '"' {
		return s.fault("looking for beginning of object key string")
	}
	if err := s.str(); err != nil {
		return err
	}
	if s.space(); !s.next(":") {
		return s.fault("after object key")
	}
	return s.value()
}

// array reads an array, from its opening bracket.
func (s *scanner) array() error {
	return s.members("]", s.value, "after array element")
}

// members reads an array or object from its opening bracket or brace to its closing one,
// end: members separated by commas, each read by member. after says what was being read
// when neither a comma nor end follows a member.
func (s *scanner) members(end string, member func() error, after string) error {
	if s.depth++; s.depth > maxDepth {
		return fmt.Errorf("invalid JSON at %s: nested too deeply", position(s.data, s.at))
	}
	s.at++
	if s.space(); s.next(end) {
		s.depth--
		return nil
	}
	for {
		if err := member(); err != nil {
			return err
		}
		s.space()
		switch {
		case s.next(end):
			s.depth--
			return nil
		case !s.next(","):
			return s.fault(after)
		}
	}
}

// str reads a string, from its opening quote. UTF-8 is checked before.
func (s *scanner) str() error {
	s.at++
	for s.at < len(s.data) {
		switch c := s.data[s.at]; {
		case c == '"':
			s.at++
			return nil
		case c == '\\':
			s.at++
			if err := s.escape(); err != nil {
				return err
			}
		case c < 0x20:
			return s.fault("in string literal")
		default:
			s.at++
		}
	}
	return s.fault("in string literal")
}

// escape reads what follows a backslash in a string.
func (s *scanner) escape() error {
	if s.next(`"\/bfnrt`) {
		return nil
	}
	if !s.next("u") {
		return s.faultIn("in string escape code")
	}
	for range 4 {
		if !s.next("0123456789abcdefABCDEF") {
			return s.faultIn(`in \u hexadecimal character escape`)
		}
	}
	return nil
}

// number reads a number: an optional minus, 0 or digits not starting with 0, then an optional
// fraction and exponent.
func (s *scanner) number() error {
	const digits = "0123456789"
	s.next("-")
	switch {
	case s.next("0"):
	case s.next(digits[1:]):
		s.digits()
	default:
		return s.faultIn("in numeric literal")
	}
	if s.next(".") {
		if !s.next(digits) {
			return s.faultIn("after decimal point in numeric literal")
		}
		s.digits()
	}
	if s.next("eE") {
		s.next("+-")
		if !s.next(digits) {
			return s.faultIn("in exponent of numeric literal")
		}
		s.digits()
	}
	return nil
}

// digits reads decimal digits.
func (s *scanner) digits() {
	for s.next("0123456789") {
	}
}

// literal reads word (true, false or null), whose first letter has been seen.
func (s *scanner) literal(word string) error {
	s.at++
	for i := 1; i < len(word); i++ {
		if !s.next(word[i : i+1]) {
			return s.faultIn(fmt.Sprintf("in literal %s (expecting '%c')", word, word[i]))
		}
	}
	return nil
}
