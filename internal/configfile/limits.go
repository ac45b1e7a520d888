package configfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

const (
	// maxFileSize bounds a rolehop.hcl: it holds a few settings, and a mistaken path
	// (/dev/zero, a log file) must not be read into memory and parsed for seconds.
	maxFileSize = 1 << 20
	// maxNesting bounds how deeply an expression nests. hcl parses and evaluates
	// expressions recursively, and a file of 100,000 brackets or ! exhausts the stack, which
	// Go cannot recover from; real settings nest a handful of levels.
	maxNesting = 100
)

// readFile reads the rolehop.hcl at path, failing without reading further once it is larger
// than maxFileSize.
func readFile(path string) ([]byte, error) {
	return readLimited(path, maxFileSize, fmt.Sprintf("larger than %d MiB; a %s holds a few settings, so check that this is the file you meant", maxFileSize>>20, FileName))
}

// readLimited reads the file at path, failing with the message tooLarge, without reading
// further, once it is larger than limit bytes.
func readLimited(path string, limit int, tooLarge string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, errors.New(tooLarge)
	}
	return b, nil
}

// nesting is how deeply an expression nests at some point of a file, counted from its
// tokens without parsing it: each open bracket, brace, parenthesis, interpolation and template
// directive is a level, and so is each operator (unary, binary, conditional, traversal or
// index; a conditional counts once, at its ?) since the last separator at that level, as each
// adds a node above the others.
type nesting struct {
	levels []level
	depth  int // the sum of the levels' depths
}

type level struct {
	// newlines says whether a line break ends an expression here: in a body or an object,
	// not inside brackets, parentheses or an interpolation.
	newlines bool
	ops      int
}

// tooDeep returns where src first nests deeper than max levels, and ok false if it never does.
// Lexical errors are left to the parser.
func tooDeep(src []byte, max int) (at hcl.Pos, ok bool) {
	tokens, _ := hclsyntax.LexConfig(src, "", hcl.InitialPos)
	n := nesting{levels: []level{{newlines: true}}}
	directive := 0 // +1 after %{ if or %{ for, -1 after %{ endif or %{ endfor
	prev := hclsyntax.TokenNil
	for _, tok := range tokens {
		switch tok.Type {
		case hclsyntax.TokenOBrack:
			if endsExpression(prev) {
				n.op() // an index or a splat
			}
			n.push(false)
		case hclsyntax.TokenOParen, hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl:
			n.push(false)
		case hclsyntax.TokenOBrace:
			n.push(true)
		case hclsyntax.TokenCBrack, hclsyntax.TokenCParen, hclsyntax.TokenCBrace:
			n.pop()
		case hclsyntax.TokenTemplateSeqEnd:
			n.pop()
			// A directive's body nests inside it until its end directive.
			switch {
			case directive > 0:
				n.push(false)
			case directive < 0:
				n.pop()
			}
			directive = 0
		case hclsyntax.TokenIdent:
			if prev == hclsyntax.TokenTemplateControl {
				directive = directiveNesting(tok.Bytes)
			}
		case hclsyntax.TokenComma:
			n.separate(false)
		case hclsyntax.TokenNewline:
			n.separate(true)
		case hclsyntax.TokenComment:
			if bytes.HasSuffix(tok.Bytes, []byte("\n")) {
				n.separate(true)
			}
		default:
			if isOperator(tok.Type) {
				n.op()
			}
		}
		if n.depth > max {
			return tok.Range.Start, true
		}
		prev = tok.Type
	}
	return hcl.Pos{}, false
}

func (n *nesting) push(newlines bool) {
	n.levels = append(n.levels, level{newlines: newlines})
	n.depth++
}

func (n *nesting) pop() {
	if len(n.levels) == 1 {
		return // unbalanced: the parser reports it
	}
	top := n.levels[len(n.levels)-1]
	n.levels = n.levels[:len(n.levels)-1]
	n.depth -= 1 + top.ops
}

func (n *nesting) op() {
	n.levels[len(n.levels)-1].ops++
	n.depth++
}

// separate ends the expression of the innermost level at a comma, or at a line break where
// line breaks end one.
func (n *nesting) separate(newline bool) {
	top := &n.levels[len(n.levels)-1]
	if newline && !top.newlines {
		return
	}
	n.depth -= top.ops
	top.ops = 0
}

func directiveNesting(keyword []byte) int {
	switch string(keyword) {
	case "if", "for":
		return 1
	case "endif", "endfor":
		return -1
	}
	return 0
}

// endsExpression reports whether a token of type t can end an expression, so that a [ after
// it indexes that expression.
func endsExpression(t hclsyntax.TokenType) bool {
	switch t {
	case hclsyntax.TokenIdent, hclsyntax.TokenNumberLit, hclsyntax.TokenCQuote, hclsyntax.TokenCHeredoc,
		hclsyntax.TokenCBrack, hclsyntax.TokenCParen, hclsyntax.TokenCBrace:
		return true
	}
	return false
}

func isOperator(t hclsyntax.TokenType) bool {
	switch t {
	case hclsyntax.TokenStar, hclsyntax.TokenSlash, hclsyntax.TokenPlus, hclsyntax.TokenMinus, hclsyntax.TokenPercent,
		hclsyntax.TokenEqualOp, hclsyntax.TokenNotEqual, hclsyntax.TokenLessThan, hclsyntax.TokenLessThanEq,
		hclsyntax.TokenGreaterThan, hclsyntax.TokenGreaterThanEq, hclsyntax.TokenAnd, hclsyntax.TokenOr,
		hclsyntax.TokenBang, hclsyntax.TokenDot, hclsyntax.TokenQuestion:
		return true
	}
	return false
}
