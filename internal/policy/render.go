package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
)

// JSON returns the document as IAM reads it, indented, with a final newline. Fields come in a
// fixed order and every Action and Resource is a list, so equal documents are equal bytes.
func (d Document) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// HCL returns the document as a Terraform aws_iam_policy_document data source called name,
// laid out as terraform fmt leaves it (a test holds it to hclwrite.Format).
//
// It is written here rather than with hclwrite: hclwrite links go-cmp, whose package init
// compiles regular expressions at every start of rolehop, for every command.
func (d Document) HCL(name string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "data %s %s {\n", quoteHCL("aws_iam_policy_document"), quoteHCL(name))
	for i, s := range d.Statement {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("  statement {\n")
		writeAttributes(&b, "    ", []attribute{
			{"sid", []string{s.Sid}, false},
			{"effect", []string{s.Effect}, false},
			{"actions", s.Action, true},
			{"resources", s.Resource, true},
		})
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

// attribute is one attribute of a block: a string, or a list of strings.
type attribute struct {
	name   string
	values []string
	list   bool
}

// multiLine reports whether the attribute is a list written one element a line, as terraform
// fmt leaves a list of more than one written that way.
func (a attribute) multiLine() bool { return a.list && len(a.values) > 1 }

// writeAttributes writes attrs as terraform fmt aligns them: the "=" of consecutive one-line
// attributes in a column, a multi-line one unaligned, ending the run.
func writeAttributes(b *strings.Builder, indent string, attrs []attribute) {
	for start := 0; start < len(attrs); {
		end, width := start, 0
		for end < len(attrs) && !attrs[end].multiLine() {
			width = max(width, len(attrs[end].name))
			end++
		}
		for _, a := range attrs[start:end] {
			value := quoteHCL(a.values[0])
			if a.list {
				value = "[" + value + "]"
			}
			fmt.Fprintf(b, "%s%-*s = %s\n", indent, width, a.name, value)
		}
		if end < len(attrs) {
			a := attrs[end]
			fmt.Fprintf(b, "%s%s = [\n", indent, a.name)
			for _, v := range a.values {
				fmt.Fprintf(b, "%s  %s,\n", indent, quoteHCL(v))
			}
			fmt.Fprintf(b, "%s]\n", indent)
			end++
		}
		start = end
	}
}

// quoteHCL writes s as an HCL quoted string that evaluates to s: the escapes of HCL's
// grammar, and "${" and "%{" doubled so that they are not template sequences.
func quoteHCL(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case (r == '$' || r == '%') && strings.HasPrefix(s[i+1:], "{"):
			b.WriteRune(r)
			b.WriteRune(r)
		case !unicode.IsPrint(r) && r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		case !unicode.IsPrint(r):
			fmt.Fprintf(&b, `\U%08x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
