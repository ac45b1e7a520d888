package policy

import (
	"bytes"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// The HCL is laid out exactly as hclwrite (and terraform fmt) lays it out, and every string
// reads back as itself, whatever it holds.
func TestHCLAsTerraformFmtLeavesIt(t *testing.T) {
	tricky := []string{`a"b`, `back\slash`, "new\nline", "tab\tcr\r", "${var.x}", "%{if x}", "$$", "100%", "é ü ☃", "\x01\u200b\U0001F600", "$", "%"}
	docs := map[string]Document{
		"tricky": {Version: "2012-10-17", Statement: []Statement{
			{Sid: "One", Effect: "Allow", Action: []string{"s3:GetObject"}, Resource: tricky[:1]},
			{Sid: "Many", Effect: "Allow", Action: tricky, Resource: tricky},
			{Sid: "LongerSidThanResources", Effect: "Allow", Action: []string{"a"}, Resource: []string{"b", "c"}},
		}},
	}
	for name, c := range map[string]struct {
		b Backend
		o Options
	}{
		"lockfile":   {Backend{Bucket: "tfstate", Key: "app/terraform.tfstate", Lockfile: true}, Options{}},
		"workspaces": {Backend{Bucket: "tfstate", Key: "app/${x}", Workspaces: true, DynamoDBTable: "locks", Region: "eu-west-1"}, Options{}},
		"bootstrap":  {Backend{Bucket: "tfstate", Key: "units/*", DynamoDBTable: "locks", Region: "us-gov-west-1", KMSKeyARN: "arn:aws-us-gov:kms:us-gov-west-1:111111111111:key/k"}, Options{Bootstrap: true}},
		"read-only":  {Backend{Bucket: "tfstate", Key: "a/terraform.tfstate"}, Options{ReadOnly: true}},
	} {
		doc, err := For(c.b, c.o)
		if err != nil {
			t.Fatal(name, err)
		}
		docs[name] = doc
	}
	for name, doc := range docs {
		out := doc.HCL("state_backend")
		if formatted := hclwrite.Format(out); !bytes.Equal(formatted, out) {
			t.Errorf("%s: not as terraform fmt leaves it:\n%s\nwant:\n%s", name, out, formatted)
		}
		f, diags := hclsyntax.ParseConfig(out, "policy.tf", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%s: %s\n%s", name, diags.Error(), out)
		}
		statements := f.Body.(*hclsyntax.Body).Blocks[0].Body.Blocks
		for i, s := range doc.Statement {
			for attr, want := range map[string][]string{"actions": s.Action, "resources": s.Resource} {
				v, diags := statements[i].Body.Attributes[attr].Expr.Value(nil)
				if diags.HasErrors() {
					t.Fatalf("%s: %s: %s", name, attr, diags.Error())
				}
				for j, e := range v.AsValueSlice() {
					if e.AsString() != want[j] {
						t.Errorf("%s: statement %d %s[%d] reads back as %q, want %q", name, i, attr, j, e.AsString(), want[j])
					}
				}
			}
		}
	}
}
