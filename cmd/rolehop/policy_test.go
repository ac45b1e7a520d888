package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/rolehop/rolehop/internal/mototest"
	"github.com/rolehop/rolehop/internal/policy"
)

// The proof that `rolehop policy` is enough and no more. Against a moto that enforces IAM
// (S3 and DynamoDB included, scoped to resources; see mototest.StartEnforcing), each backend
// shape below runs real terraform init, apply, plan and destroy through `rolehop exec` as a
// role whose only policy is the one rolehop generated for that shape: all steps pass. Then
// each action of each statement is dropped in turn (and each resource of a statement with
// several), and the same run must fail, at the step named in the shape's needs, with an
// access denied. An action moto does not check is not kept silently: it is listed in the
// shape's unchecked, with the reason real AWS needs it, and is left out of the loop.

// proofAccount is moto's account.
const proofAccount = "123456789012"

// A grant is one action of a statement ("Sid action") or, for statements with several
// resources, one of its resources ("Sid resource").
type grant = string

// proofStep is one command of a run.
type proofStep struct {
	name string
	argv []string
}

// proofShape is one backend shape of the proof.
type proofShape struct {
	name string
	// tf is the Terraform configuration the run applies.
	tf string
	// policyArgs are the arguments of `rolehop policy`; files are written to the directory it
	// runs in (none: it runs in the Terraform directory). note, if set, must be on its stderr.
	policyArgs []string
	files      map[string]string
	note       string
	// setup creates as admin what the shape assumes exists.
	setup func(t *testing.T, c *proofCase)
	steps []proofStep
	// needs names, for each grant, the first step that fails without it, and why.
	needs map[grant]string
	// unchecked are the grants real AWS needs but moto does not check, with the reason.
	unchecked map[grant]string
}

var (
	tfInit           = proofStep{"init", []string{"terraform", "init", "-input=false", "-no-color"}}
	tfApply          = proofStep{"apply", []string{"terraform", "apply", "-auto-approve", "-input=false", "-no-color"}}
	tfPlan           = proofStep{"plan", []string{"terraform", "plan", "-input=false", "-no-color", "-detailed-exitcode"}}
	tfDestroy        = proofStep{"destroy", []string{"terraform", "destroy", "-auto-approve", "-input=false", "-no-color"}}
	standardSteps    = []proofStep{tfInit, tfApply, tfPlan, tfDestroy}
	listBucketReason = "without s3:ListBucket, real S3 answers a read of the not yet existing state with 403 instead of 404 " +
		"(GetObject and HeadObject API reference, \"Permissions\"), so the first init fails; moto answers 404, and terraform " +
		"goes on without the workspace listing it is denied"
	kmsReason = "moto does not check KMS permissions for SSE-KMS objects; real S3 needs kms:GenerateDataKey to write and " +
		"kms:Decrypt to read them (S3 User Guide, \"Using server-side encryption with AWS KMS keys\"), and Terraform's S3 " +
		"backend documentation lists kms:Encrypt as well"
)

func lockfileShape() proofShape {
	return proofShape{
		name: "lockfile",
		tf: s3BackendTF(`
bucket       = "{{bucket}}"
key          = "live/app/terraform.tfstate"
region       = "us-east-1"
use_lockfile = true
`),
		// From Terragrunt: the unit includes the root file, whose key is an expression; the
		// Terraform configuration is what Terragrunt would generate for the unit live/app.
		policyArgs: []string{"--from", "live/app"},
		files: map[string]string{
			"root.hcl": `remote_state {
  backend = "s3"
  config = {
    bucket       = "{{bucket}}"
    key          = "${path_relative_to_include()}/terraform.tfstate"
    region       = "us-east-1"
    use_lockfile = true
  }
}
`,
			"live/app/terragrunt.hcl": `include "root" {
  path = find_in_parent_folders("root.hcl")
}
`,
		},
		note:  `key at root.hcl:5 is the expression "${path_relative_to_include()}/terraform.tfstate": the policy covers every value it can take with the pattern "*/terraform.tfstate"`,
		setup: func(t *testing.T, c *proofCase) { c.createBucket(t) },
		steps: standardSteps,
		needs: map[grant]string{
			"ReadWriteState s3:GetObject":      "init",  // init reads the state (HeadObject)
			"ReadWriteState s3:PutObject":      "apply", // apply writes it
			"LockWithLockfile s3:PutObject":    "apply", // the lock is a conditional PutObject of KEY.tflock
			"LockWithLockfile s3:GetObject":    "apply", // unlocking reads the lock file back to check its ID
			"LockWithLockfile s3:DeleteObject": "apply", // and deletes it
		},
		unchecked: map[grant]string{"ListStateBucket s3:ListBucket": listBucketReason},
	}
}

func dynamoDBShape() proofShape {
	return proofShape{
		name: "dynamodb",
		tf: s3BackendTF(`
bucket         = "{{bucket}}"
key            = "app/terraform.tfstate"
region         = "us-east-1"
dynamodb_table = "{{table}}"
encrypt        = true
kms_key_id     = "{{kms}}"
`),
		// From flags only, in a directory that has no configuration.
		policyArgs: []string{"--bucket", "{{bucket}}", "--key", "app/terraform.tfstate", "--region", "us-east-1", "--account", proofAccount,
			"--dynamodb-table", "{{table}}", "--kms-key-arn", "{{kms}}"},
		files: map[string]string{},
		setup: func(t *testing.T, c *proofCase) { c.createBucket(t); c.createTable(t); c.createKMSKey(t) },
		steps: standardSteps,
		needs: map[grant]string{
			"ReadWriteState s3:GetObject":          "init",  // init reads the state
			"ReadWriteState s3:PutObject":          "apply", // apply writes it
			"LockWithDynamoDB dynamodb:GetItem":    "apply", // unlocking reads the lock item back to check its ID
			"LockWithDynamoDB dynamodb:PutItem":    "apply", // the lock item, and the new digest
			"LockWithDynamoDB dynamodb:DeleteItem": "apply", // unlocking deletes the lock item
		},
		unchecked: map[grant]string{
			"ListStateBucket s3:ListBucket":    listBucketReason,
			"EncryptState kms:Decrypt":         kmsReason,
			"EncryptState kms:Encrypt":         kmsReason,
			"EncryptState kms:GenerateDataKey": kmsReason,
		},
	}
}

func workspacesShape() proofShape {
	return proofShape{
		name: "workspaces",
		tf: s3BackendTF(`
bucket               = "{{bucket}}"
key                  = "app/terraform.tfstate"
workspace_key_prefix = "workspaces"
region               = "us-east-1"
use_lockfile         = true
`),
		setup: func(t *testing.T, c *proofCase) { c.createBucket(t) },
		steps: []proofStep{
			tfInit, tfApply,
			{"workspace new", []string{"terraform", "workspace", "new", "-no-color", "dev"}},
			tfApply, tfPlan, tfDestroy,
			{"workspace select", []string{"terraform", "workspace", "select", "-no-color", "default"}},
			{"workspace delete", []string{"terraform", "workspace", "delete", "-no-color", "dev"}},
			tfDestroy,
		},
		needs: map[grant]string{
			"ListStateBucket s3:ListBucket":                                                      "init", // init lists the workspaces under workspace_key_prefix
			"ReadWriteState s3:GetObject":                                                        "init",
			"ReadWriteState s3:PutObject":                                                        "apply",
			"ReadWriteState arn:aws:s3:::{{bucket}}/app/terraform.tfstate":                       "init",
			"ReadWriteState arn:aws:s3:::{{bucket}}/workspaces/*/app/terraform.tfstate":          "workspace new",
			"DeleteWorkspaceState s3:DeleteObject":                                               "workspace delete",
			"LockWithLockfile s3:PutObject":                                                      "apply",
			"LockWithLockfile s3:GetObject":                                                      "apply",
			"LockWithLockfile s3:DeleteObject":                                                   "apply",
			"LockWithLockfile arn:aws:s3:::{{bucket}}/app/terraform.tfstate.tflock":              "apply",
			"LockWithLockfile arn:aws:s3:::{{bucket}}/workspaces/*/app/terraform.tfstate.tflock": "workspace new",
		},
	}
}

func bootstrapShape() proofShape {
	lock := lockfileShape().needs
	needs := map[grant]string{
		"LockWithDynamoDB dynamodb:GetItem":              "apply",
		"LockWithDynamoDB dynamodb:PutItem":              "apply",
		"LockWithDynamoDB dynamodb:DeleteItem":           "apply",
		"CreateStateBucket s3:CreateBucket":              "bootstrap",
		"CreateStateBucket s3:PutBucketTagging":          "bootstrap",
		"CreateStateBucket s3:PutBucketVersioning":       "bootstrap",
		"CreateStateBucket s3:GetBucketVersioning":       "bootstrap",
		"CreateStateBucket s3:PutLifecycleConfiguration": "bootstrap",
		"CreateLockTable dynamodb:DescribeTable":         "bootstrap",
		"CreateLockTable dynamodb:CreateTable":           "bootstrap",
	}
	maps.Copy(needs, lock)
	return proofShape{
		name: "bootstrap",
		tf: s3BackendTF(`
bucket         = "{{bucket}}"
key            = "app/terraform.tfstate"
region         = "us-east-1"
use_lockfile   = true
dynamodb_table = "{{table}}"
`),
		policyArgs: []string{"--bootstrap", "--account", proofAccount},
		steps: append([]proofStep{{"bootstrap", []string{"python3", "{{testdata}}/bootstrap.py", "{{bucket}}", "{{table}}"}}},
			standardSteps...),
		needs: needs,
		unchecked: map[grant]string{
			"ListStateBucket s3:ListBucket": listBucketReason,
			"CreateStateBucket s3:PutBucketOwnershipControls": "moto checks a CreateBucket with x-amz-object-ownership as s3:CreateBucket " +
				"only; real S3 also needs s3:PutBucketOwnershipControls for it (CreateBucket API reference, \"Permissions\")",
			"CreateStateBucket s3:PutBucketPublicAccessBlock": "moto checks PutPublicAccessBlock as s3:CreateBucket (its action map has no " +
				"entry for ?publicAccessBlock); real S3 needs s3:PutBucketPublicAccessBlock (PutPublicAccessBlock API reference)",
			"CreateStateBucket s3:PutEncryptionConfiguration": "moto checks PutBucketEncryption as s3:CreateBucket (its action map has no " +
				"entry for ?encryption); real S3 needs s3:PutEncryptionConfiguration (PutBucketEncryption API reference)",
		},
	}
}

func readOnlyShape() proofShape {
	return proofShape{
		name: "read-only",
		tf:   dynamoDBShape().tf,
		// The state is there, written by someone else; the reader plans without locking.
		policyArgs: []string{"--read-only", "--account", proofAccount},
		setup: func(t *testing.T, c *proofCase) {
			c.createBucket(t)
			c.createTable(t)
			c.createKMSKey(t)
			c.writeTF(t)
			for _, s := range []proofStep{tfInit, tfApply} {
				if out, err := c.run(t, s, c.admin.Creds); err != nil {
					t.Fatalf("admin terraform %s: %v\n%s", s.name, err, out)
				}
			}
		},
		steps: []proofStep{tfInit, {"plan -lock=false", []string{"terraform", "plan", "-lock=false", "-input=false", "-no-color", "-detailed-exitcode"}}},
		needs: map[grant]string{
			"ReadState s3:GetObject": "init",
		},
		unchecked: map[grant]string{
			"ListStateBucket s3:ListBucket": listBucketReason,
			"DecryptState kms:Decrypt":      kmsReason,
		},
	}
}

// s3BackendTF is a Terraform configuration with an S3 backend of settings (one "name = value"
// a line) that talks to moto, and a resource that needs no provider to download.
func s3BackendTF(settings string) string {
	var b strings.Builder
	b.WriteString("terraform {\n  backend \"s3\" {\n")
	for line := range strings.Lines(strings.TrimSpace(settings) + "\n") {
		b.WriteString("    " + line)
	}
	b.WriteString(`    use_path_style = true
    endpoints      = { s3 = "{{moto}}", sts = "{{moto}}", dynamodb = "{{moto}}" }
  }
}

resource "terraform_data" "app" {
  input = "managed under a generated policy"
}
`)
	return b.String()
}

// proof is what the shapes share: the enforcing moto, its admin and the user whose keys
// rolehop starts from.
type proof struct {
	moto   *mototest.Server
	admin  *mototest.Client
	runner aws.Credentials
	n      atomic.Int64
}

func TestPolicyProof(t *testing.T) {
	srv, err := mototest.StartEnforcing(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	ctx := t.Context()
	admin, err := mototest.NewAdmin(ctx, srv)
	if err != nil {
		t.Fatal(err)
	}
	p := &proof{moto: srv, admin: admin}
	// The runner may only assume the roles the cases make.
	mustIAM(t, admin, "CreateUser", "UserName", "runner")
	mustIAM(t, admin, "PutUserPolicy", "UserName", "runner", "PolicyName", "assume", "PolicyDocument",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::`+proofAccount+`:role/state-*"}]}`)
	if p.runner, err = admin.CreateAccessKey(ctx, "runner"); err != nil {
		t.Fatal(err)
	}
	for _, shape := range []proofShape{lockfileShape(), dynamoDBShape(), workspacesShape(), bootstrapShape(), readOnlyShape()} {
		t.Run(shape.name, func(t *testing.T) {
			t.Parallel()
			p.prove(t, shape)
		})
	}
}

// prove runs the shape under its full policy, then once without each grant.
func (p *proof) prove(t *testing.T, shape proofShape) {
	full := p.newCase(t, shape)
	doc := full.policy(t)
	grants := grantsOf(doc)
	claimed := map[grant]bool{}
	for g := range shape.needs {
		claimed[full.expand(g)] = true
	}
	for g, why := range shape.unchecked {
		if shape.needs[g] != "" {
			t.Errorf("%s is both needed and unchecked", g)
		}
		if why == "" {
			t.Errorf("unchecked %s has no reason", g)
		}
		claimed[full.expand(g)] = true
	}
	for _, g := range grants {
		if !claimed[g] {
			t.Errorf("the policy grants %q, which no run of this shape claims to need", g)
		}
		delete(claimed, g)
	}
	for g := range claimed {
		t.Errorf("the shape claims %q, which the policy does not grant", g)
	}
	if t.Failed() {
		t.Fatalf("policy:\n%s", mustJSON(t, doc))
	}
	t.Run("full policy", func(t *testing.T) {
		t.Parallel()
		if step, out := full.runAll(t, doc); step != "" {
			t.Fatalf("under the full policy, step %s failed:\n%s", step, out)
		}
	})
	for g, want := range shape.needs {
		t.Run("without "+g, func(t *testing.T) {
			t.Parallel()
			c := p.newCase(t, shape)
			cut, ok := without(c.policy(t), c.expand(g))
			if !ok {
				t.Fatalf("%s is not in the policy", g)
			}
			step, out := c.runAll(t, cut)
			switch {
			case step == "":
				t.Fatalf("without %s every step passed; the shape says %s needs it", g, want)
			case step != want:
				t.Fatalf("without %s the run failed at %s, not at %s:\n%s", g, step, want, out)
			case !accessDenied.MatchString(out):
				t.Fatalf("without %s, %s failed, but not for lack of permission:\n%s", g, step, out)
			}
		})
	}
}

var accessDenied = regexp.MustCompile(`AccessDenied|403`)

// grantsOf lists the grants of doc: each action of each statement, and each resource of the
// statements with several.
func grantsOf(doc policy.Document) []grant {
	var gs []grant
	for _, s := range doc.Statement {
		for _, a := range s.Action {
			gs = append(gs, s.Sid+" "+a)
		}
		if len(s.Resource) > 1 {
			for _, r := range s.Resource {
				gs = append(gs, s.Sid+" "+r)
			}
		}
	}
	return gs
}

// without returns doc without grant g.
func without(doc policy.Document, g grant) (policy.Document, bool) {
	sid, item, _ := strings.Cut(g, " ")
	found := false
	var out policy.Document
	out.Version = doc.Version
	for _, s := range doc.Statement {
		if s.Sid == sid {
			n := len(s.Action) + len(s.Resource)
			s.Action = slices.DeleteFunc(slices.Clone(s.Action), func(a string) bool { return a == item })
			s.Resource = slices.DeleteFunc(slices.Clone(s.Resource), func(r string) bool { return r == item })
			found = len(s.Action)+len(s.Resource) < n
			if len(s.Action) == 0 || len(s.Resource) == 0 {
				continue
			}
		}
		out.Statement = append(out.Statement, s)
	}
	return out, found
}

// proofCase is one run of a shape: its own bucket, table, key and role, so runs do not meet.
type proofCase struct {
	*proof
	shape                 proofShape
	id                    string
	tfDir, srcDir, home   string
	bucket, table, kmsARN string
}

func (p *proof) newCase(t *testing.T, shape proofShape) *proofCase {
	n := p.n.Add(1)
	c := &proofCase{
		proof: p, shape: shape,
		id:     fmt.Sprintf("%s-%d", shape.name, n),
		tfDir:  t.TempDir(),
		home:   t.TempDir(),
		bucket: fmt.Sprintf("tfstate-%s-%d", shape.name, n),
		table:  fmt.Sprintf("tflocks-%s-%d", shape.name, n),
	}
	c.srcDir = c.tfDir
	if shape.files != nil {
		c.srcDir = t.TempDir()
	}
	if shape.setup != nil {
		shape.setup(t, c)
	}
	return c
}

// expand fills in the case's names.
func (c *proofCase) expand(s string) string {
	testdata, _ := filepath.Abs("testdata/policy")
	return strings.NewReplacer("{{bucket}}", c.bucket, "{{table}}", c.table, "{{kms}}", c.kmsARN, "{{moto}}", c.moto.URL, "{{testdata}}", testdata).Replace(s)
}

func (c *proofCase) writeTF(t *testing.T) {
	t.Helper()
	writeFile(t, filepath.Join(c.tfDir, "main.tf"), c.expand(c.shape.tf))
}

// policy runs `rolehop policy` for the case and returns what it printed.
func (c *proofCase) policy(t *testing.T) policy.Document {
	t.Helper()
	for name, content := range c.shape.files {
		writeFile(t, filepath.Join(c.srcDir, name), c.expand(content))
	}
	c.writeTF(t)
	args := make([]string, len(c.shape.policyArgs))
	for i, a := range c.shape.policyArgs {
		args[i] = c.expand(a)
	}
	cmd := exec.CommandContext(t.Context(), "rolehop", append([]string{"policy"}, args...)...)
	cmd.Dir = c.srcDir
	cmd.Env = c.env(aws.Credentials{})
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rolehop policy %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if c.shape.note != "" && !strings.Contains(stderr.String(), "rolehop: note: "+c.expand(c.shape.note)) {
		t.Errorf("rolehop policy did not note %q; stderr:\n%s", c.shape.note, stderr.String())
	}
	var doc policy.Document
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("rolehop policy printed no JSON policy: %v\n%s", err, stdout.String())
	}
	return doc
}

// runAll makes the case's role with doc as its only policy and runs the steps as that role
// through rolehop exec. It returns the step that failed ("" when none did) and its output.
func (c *proofCase) runAll(t *testing.T, doc policy.Document) (string, string) {
	t.Helper()
	role := "state-" + c.id
	mustIAM(t, c.admin, "CreateRole", "RoleName", role, "AssumeRolePolicyDocument",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+proofAccount+`:user/runner"},"Action":"sts:AssumeRole"}]}`)
	mustIAM(t, c.admin, "PutRolePolicy", "RoleName", role, "PolicyName", "state-backend", "PolicyDocument", mustJSON(t, doc))
	arn := "arn:aws:iam::" + proofAccount + ":role/" + role
	for _, s := range c.shape.steps {
		s.argv = append([]string{"rolehop", "exec", "--iam-role", arn, "--"}, s.argv...)
		if out, err := c.run(t, s, c.runner); err != nil {
			return s.name, fmt.Sprintf("%v\n%s", err, out)
		}
	}
	return "", ""
}

// run runs one step in the Terraform directory with creds as the base credentials.
func (c *proofCase) run(t *testing.T, s proofStep, creds aws.Credentials) (string, error) {
	argv := make([]string, len(s.argv))
	for i, a := range s.argv {
		argv[i] = c.expand(a)
	}
	cmd := exec.CommandContext(t.Context(), argv[0], argv[1:]...)
	cmd.Dir = c.tfDir
	cmd.Env = c.env(creds)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// env is a clean environment: creds, moto's endpoints, no user configuration.
func (c *proofCase) env(creds aws.Credentials) []string {
	rc := filepath.Join(c.home, "terraformrc")
	if _, err := os.Stat(rc); err != nil {
		_ = os.WriteFile(rc, nil, 0o600)
	}
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + c.home,
		"TMPDIR=" + os.TempDir(),
		"XDG_CONFIG_HOME=" + filepath.Join(c.home, "config"),
		"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey,
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_ENDPOINT_URL=" + c.moto.URL,
		"AWS_ENDPOINT_URL_STS=" + c.moto.URL,
		"AWS_CONFIG_FILE=" + filepath.Join(c.home, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(c.home, "aws-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"ROLEHOP_NO_CACHE=1",
		"ROLEHOP_TRUSTED_PATHS=",
		"TF_CLI_CONFIG_FILE=" + rc,
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
		"PYTHONDONTWRITEBYTECODE=1",
	}
}

func (c *proofCase) createBucket(t *testing.T) {
	t.Helper()
	if _, err := c.admin.Do(t.Context(), "s3", "PUT", "/"+c.bucket, nil); err != nil {
		t.Fatal(err)
	}
}

func (c *proofCase) createTable(t *testing.T) {
	t.Helper()
	_, err := c.admin.JSON(t.Context(), "dynamodb", "1.0", "DynamoDB_20120810.CreateTable", map[string]any{
		"TableName":            c.table,
		"AttributeDefinitions": []map[string]string{{"AttributeName": "LockID", "AttributeType": "S"}},
		"KeySchema":            []map[string]string{{"AttributeName": "LockID", "KeyType": "HASH"}},
		"BillingMode":          "PAY_PER_REQUEST",
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (c *proofCase) createKMSKey(t *testing.T) {
	t.Helper()
	out, err := c.admin.JSON(t.Context(), "kms", "1.1", "TrentService.CreateKey", map[string]any{"Description": "state of " + c.id})
	if err != nil {
		t.Fatal(err)
	}
	var key struct{ KeyMetadata struct{ Arn string } }
	if err := json.Unmarshal(out, &key); err != nil || key.KeyMetadata.Arn == "" {
		t.Fatalf("CreateKey: unexpected answer %.200q", out)
	}
	c.kmsARN = key.KeyMetadata.Arn
}

func mustIAM(t *testing.T, admin *mototest.Client, action string, params ...string) {
	t.Helper()
	if _, err := admin.IAM(context.WithoutCancel(t.Context()), action, params...); err != nil {
		t.Fatal(err)
	}
}

func mustJSON(t *testing.T, doc policy.Document) string {
	t.Helper()
	out, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
