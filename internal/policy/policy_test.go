package policy

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func st(sid string, actions []string, resources ...string) Statement {
	return Statement{Sid: sid, Effect: "Allow", Action: actions, Resource: resources}
}

func TestFor(t *testing.T) {
	const (
		bucket = "arn:aws:s3:::tfstate"
		state  = "arn:aws:s3:::tfstate/app/terraform.tfstate"
		table  = "arn:aws:dynamodb:eu-west-1:111111111111:table/locks"
		key    = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	)
	base := Backend{Bucket: "tfstate", Key: "app/terraform.tfstate", Region: "eu-west-1", Account: "111111111111"}
	list := st(SidListBucket, []string{"s3:ListBucket"}, bucket)
	with := func(f func(*Backend)) Backend { b := base; f(&b); return b }
	tests := []struct {
		name string
		b    Backend
		o    Options
		want []Statement
	}{
		{"state only", base, Options{}, []Statement{list, st(SidReadWriteState, []string{"s3:GetObject", "s3:PutObject"}, state)}},
		{"lock file", with(func(b *Backend) { b.Lockfile = true }), Options{}, []Statement{
			list,
			st(SidReadWriteState, []string{"s3:GetObject", "s3:PutObject"}, state),
			st(SidLockfile, []string{"s3:DeleteObject", "s3:GetObject", "s3:PutObject"}, state+".tflock"),
		}},
		{"dynamodb and kms", with(func(b *Backend) { b.DynamoDBTable = "locks"; b.KMSKeyARN = key }), Options{}, []Statement{
			list,
			st(SidReadWriteState, []string{"s3:GetObject", "s3:PutObject"}, state),
			st(SidDynamoDBLock, []string{"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"}, table),
			st(SidKMSReadWrite, []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}, key),
		}},
		{"workspaces under env:", with(func(b *Backend) { b.Workspaces = true; b.Lockfile = true }), Options{}, []Statement{
			list,
			st(SidReadWriteState, []string{"s3:GetObject", "s3:PutObject"}, state, "arn:aws:s3:::tfstate/env:/*/app/terraform.tfstate"),
			st(SidDeleteWorkspace, []string{"s3:DeleteObject"}, "arn:aws:s3:::tfstate/env:/*/app/terraform.tfstate"),
			st(SidLockfile, []string{"s3:DeleteObject", "s3:GetObject", "s3:PutObject"}, state+".tflock", "arn:aws:s3:::tfstate/env:/*/app/terraform.tfstate.tflock"),
		}},
		{"workspaces under a prefix, key pattern covering them", with(func(b *Backend) {
			b.Workspaces, b.WorkspaceKeyPrefix, b.Key = true, "ws", "*/terraform.tfstate"
		}), Options{}, []Statement{
			list,
			st(SidReadWriteState, []string{"s3:GetObject", "s3:PutObject"}, "arn:aws:s3:::tfstate/*/terraform.tfstate"),
			st(SidDeleteWorkspace, []string{"s3:DeleteObject"}, "arn:aws:s3:::tfstate/ws/*/*/terraform.tfstate"),
		}},
		{"read-only needs no lock nor table", with(func(b *Backend) { b.Lockfile = true; b.DynamoDBTable = "locks"; b.KMSKeyARN = key }), Options{ReadOnly: true}, []Statement{
			list,
			st(SidReadState, []string{"s3:GetObject"}, state),
			st(SidKMSRead, []string{"kms:Decrypt"}, key),
		}},
		{"bootstrap", with(func(b *Backend) { b.DynamoDBTable = "locks" }), Options{Bootstrap: true}, []Statement{
			list,
			st(SidReadWriteState, []string{"s3:GetObject", "s3:PutObject"}, state),
			st(SidDynamoDBLock, []string{"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"}, table),
			st(SidCreateBucket, bootstrapBucketActions, bucket),
			st(SidCreateTable, []string{"dynamodb:CreateTable", "dynamodb:DescribeTable"}, table),
		}},
		{"China region, any account", Backend{Bucket: "b", Key: "k", Region: "cn-north-1", DynamoDBTable: "t"}, Options{}, []Statement{
			st(SidListBucket, []string{"s3:ListBucket"}, "arn:aws-cn:s3:::b"),
			st(SidReadWriteState, []string{"s3:GetObject", "s3:PutObject"}, "arn:aws-cn:s3:::b/k"),
			st(SidDynamoDBLock, []string{"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"}, "arn:aws-cn:dynamodb:cn-north-1:*:table/t"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := For(tt.b, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if doc.Version != Version {
				t.Errorf("version %q", doc.Version)
			}
			got, _ := json.MarshalIndent(doc.Statement, "", " ")
			want, _ := json.MarshalIndent(tt.want, "", " ")
			if string(got) != string(want) {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			for _, s := range doc.Statement {
				if !slices.IsSorted(s.Action) {
					t.Errorf("%s: actions not sorted: %v", s.Sid, s.Action)
				}
			}
		})
	}
}

func TestCheck(t *testing.T) {
	ok := Backend{Bucket: "b", Key: "k"}
	tests := []struct {
		name string
		b    Backend
		o    Options
		want string
	}{
		{"no bucket", Backend{Key: "k"}, Options{}, "no bucket"},
		{"no key", Backend{Bucket: "b"}, Options{}, "no key"},
		{"both modes", ok, Options{Bootstrap: true, ReadOnly: true}, "exclude each other"},
		{"short account", Backend{Bucket: "b", Key: "k", Account: "1234"}, Options{}, `"1234" is not an account ID`},
		{"alias as key ARN", Backend{Bucket: "b", Key: "k", KMSKeyARN: "arn:aws:kms:us-east-1:111111111111:alias/state"}, Options{}, "is not a KMS key ARN"},
		{"bad region", Backend{Bucket: "b", Key: "k", Region: "moon-1a"}, Options{}, "is not a region name"},
		{"key with leading slash", Backend{Bucket: "b", Key: "/k"}, Options{}, "rejects such keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.b.Check(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
	if err := (Backend{Bucket: "b", Key: "k", Region: "*", Account: "111111111111"}).Check(Options{}); err != nil {
		t.Errorf("a wildcard region: %v", err)
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"*/terraform.tfstate", "ws/*/*/terraform.tfstate", true},
		{"*/terraform.tfstate", "terraform.tfstate", false},
		{"app/terraform.tfstate", "env:/*/app/terraform.tfstate", false},
		{"a*c", "abbbc", true},
		{"a*c", "abbb", false},
		{"*", "", true},
		{"a", "*", false},
		{"a*", "a*", true},
	}
	for _, tt := range tests {
		if got := matches(tt.p, tt.s); got != tt.want {
			t.Errorf("matches(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}

func TestKMSKeyARN(t *testing.T) {
	tests := []struct {
		id, region, account, want, err string
	}{
		{"1234abcd-12ab", "eu-west-1", "111111111111", "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab", ""},
		{"1234abcd-12ab", "", "", "arn:aws:kms:*:*:key/1234abcd-12ab", ""},
		{"arn:aws:kms:eu-west-1:111111111111:key/k", "us-east-1", "", "arn:aws:kms:eu-west-1:111111111111:key/k", ""},
		{"alias/state", "eu-west-1", "", "", "is a KMS alias"},
		{"arn:aws:kms:eu-west-1:111111111111:alias/state", "", "", "", "is a KMS alias"},
	}
	for _, tt := range tests {
		got, err := KMSKeyARN(tt.id, tt.region, tt.account)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("KMSKeyARN(%q): got %v, want an error with %q", tt.id, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("KMSKeyARN(%q) = %q, %v; want %q", tt.id, got, err, tt.want)
		}
	}
}

func TestRender(t *testing.T) {
	doc, err := For(Backend{Bucket: "tfstate", Key: "app/${x}", Workspaces: true}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := doc.JSON()
	if string(out) != string(again) || !strings.HasSuffix(string(out), "}\n") {
		t.Errorf("JSON not stable or without final newline:\n%s", out)
	}
	if !strings.HasPrefix(string(out), "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Sid\": \"ListStateBucket\",\n      \"Effect\": \"Allow\",\n      \"Action\": [") {
		t.Errorf("JSON fields out of order:\n%s", out)
	}
	var back Document
	if err := json.Unmarshal(out, &back); err != nil || len(back.Statement) != len(doc.Statement) {
		t.Errorf("JSON does not read back: %v", err)
	}

	h := doc.HCL("state_backend")
	f, diags := hclsyntax.ParseConfig(h, "policy.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("HCL does not parse: %s\n%s", diags.Error(), h)
	}
	blocks := f.Body.(*hclsyntax.Body).Blocks
	if len(blocks) != 1 || blocks[0].Type != "data" || strings.Join(blocks[0].Labels, " ") != "aws_iam_policy_document state_backend" {
		t.Fatalf("HCL is not one aws_iam_policy_document data source:\n%s", h)
	}
	statements := blocks[0].Body.Blocks
	if len(statements) != len(doc.Statement) {
		t.Fatalf("HCL has %d statements, want %d", len(statements), len(doc.Statement))
	}
	// Resources evaluate back to the same strings: "${" is escaped.
	v, diags := statements[1].Body.Attributes["resources"].Expr.Value(nil)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	var got []string
	for _, e := range v.AsValueSlice() {
		got = append(got, e.AsString())
	}
	if !slices.Equal(got, doc.Statement[1].Resource) {
		t.Errorf("HCL resources %q, want %q", got, doc.Statement[1].Resource)
	}
}

// TestSeeds compares rolehop's policies with the three in Terragrunt's "Required
// Permissions", kept as printed there; the README's comparison says the same.
func TestSeeds(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	actions := func(src []byte) []string {
		var doc struct {
			Statement []struct{ Action any }
		}
		if err := json.Unmarshal(src, &doc); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range doc.Statement {
			switch a := s.Action.(type) {
			case string:
				out = append(out, a)
			case []any:
				for _, x := range a {
					out = append(out, x.(string))
				}
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	ours := func(b Backend, o Options) []string {
		doc, err := For(b, o)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range doc.Statement {
			out = append(out, s.Action...)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	diff := func(a, b []string) []string {
		return slices.DeleteFunc(slices.Clone(a), func(x string) bool { return slices.Contains(b, x) })
	}
	table := Backend{Bucket: "b", Key: "k", DynamoDBTable: "t"}

	var v any
	if err := json.Unmarshal(read("seed-existing-bucket.json"), &v); err == nil {
		t.Error("the seed's third policy reads as JSON; it has a trailing comma as printed")
	}
	if err := json.Unmarshal(read("seed-broad.json"), &v); err != nil {
		t.Errorf("the seed's first policy: %v", err)
	}

	tests := []struct {
		seed         string
		fix          func([]byte) []byte
		b            Backend
		o            Options
		added, extra []string // in rolehop's and not the seed's; in the seed's and not rolehop's
	}{
		{
			seed: "seed-create-bucket.json", b: table, o: Options{Bootstrap: true},
			added: nil,
			extra: []string{"s3:GetBucketAcl", "s3:GetBucketLogging", "s3:GetBucketPolicy", "s3:GetBucketPublicAccessBlock",
				"s3:GetEncryptionConfiguration", "s3:PutBucketAcl", "s3:PutBucketLogging", "s3:PutBucketPolicy"},
		},
		{
			seed: "seed-existing-bucket.json", b: table,
			// The trailing comma removed, the policy is what the seed means.
			fix: func(b []byte) []byte {
				return []byte(strings.Replace(string(b), `"dynamodb:DeleteItem",`, `"dynamodb:DeleteItem"`, 1))
			},
			extra: []string{"dynamodb:DescribeTable", "s3:DeleteObject", "s3:GetBucketLocation", "s3:List*"},
		},
	}
	for _, tt := range tests {
		src := read(tt.seed)
		if tt.fix != nil {
			src = tt.fix(src)
		}
		seed, mine := actions(src), ours(tt.b, tt.o)
		if got := diff(mine, seed); !slices.Equal(got, tt.added) {
			t.Errorf("%s: rolehop adds %q, want %q", tt.seed, got, tt.added)
		}
		if got := diff(seed, mine); !slices.Equal(got, tt.extra) {
			t.Errorf("%s: rolehop leaves out %q, want %q", tt.seed, got, tt.extra)
		}
	}
}
