package policy

import (
	"bytes"
	"encoding/json"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
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

// HCL returns the document as a Terraform aws_iam_policy_document data source called name.
func (d Document) HCL(name string) []byte {
	f := hclwrite.NewEmptyFile()
	data := f.Body().AppendNewBlock("data", []string{"aws_iam_policy_document", name}).Body()
	for i, s := range d.Statement {
		if i > 0 {
			data.AppendNewline()
		}
		b := data.AppendNewBlock("statement", nil).Body()
		b.SetAttributeValue("sid", cty.StringVal(s.Sid))
		b.SetAttributeValue("effect", cty.StringVal(s.Effect))
		b.SetAttributeRaw("actions", listTokens(s.Action))
		b.SetAttributeRaw("resources", listTokens(s.Resource))
	}
	return hclwrite.Format(f.Bytes())
}

// listTokens writes a list of strings one element a line once it has more than one, as
// terraform fmt leaves a list written that way.
func listTokens(list []string) hclwrite.Tokens {
	if len(list) == 1 {
		return hclwrite.TokensForValue(cty.ListVal([]cty.Value{cty.StringVal(list[0])}))
	}
	toks := hclwrite.Tokens{
		{Type: hclsyntax.TokenOBrack, Bytes: []byte("[")},
		{Type: hclsyntax.TokenNewline, Bytes: []byte("\n")},
	}
	for _, s := range list {
		toks = append(toks, hclwrite.TokensForValue(cty.StringVal(s))...)
		toks = append(toks,
			&hclwrite.Token{Type: hclsyntax.TokenComma, Bytes: []byte(",")},
			&hclwrite.Token{Type: hclsyntax.TokenNewline, Bytes: []byte("\n")})
	}
	return append(toks, &hclwrite.Token{Type: hclsyntax.TokenCBrack, Bytes: []byte("]")})
}
