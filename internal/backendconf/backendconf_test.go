package backendconf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolehop/rolehop/internal/policy"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const rootHCL = `locals {
  region = "eu-west-1"
  bucket = "tfstate-${local.region}"
}
remote_state {
  backend = "s3"
  config = {
    bucket         = local.bucket
    key            = "units/${path_relative_to_include()}/terraform.tfstate"
    region         = local.region
    dynamodb_table = get_env("TABLE", "locks")
    use_lockfile   = true
    s3_bucket_tags = { owner = "platform" }
  }
}
`

// rootWant is what rootHCL gives.
const rootWant = `bucket=tfstate-eu-west-1@root.hcl:8 key=units/*/terraform.tfstate@root.hcl:9(pattern "units/${path_relative_to_include()}/terraform.tfstate") ` +
	`region=eu-west-1@root.hcl:10 table=*@root.hcl:11(pattern get_env("TABLE", "locks")) lockfile=true@root.hcl:12 blocks=root.hcl:5`

func TestRead(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		from  string // below the directory; "" for the directory itself
		want  string // the settings read, as summary() writes them
		err   string
	}{
		{
			name: "backend block",
			files: map[string]string{"main.tf": `terraform {
  required_version = ">= 1.10"
  backend "s3" {
    bucket       = "tfstate"
    key          = "app/terraform.tfstate"
    region       = "eu-west-1"
    use_lockfile = true
    kms_key_id   = "arn:aws:kms:eu-west-1:111111111111:key/k"
    endpoints    = { s3 = "http://127.0.0.1:1" }
  }
}
resource "terraform_data" "x" {}
`},
			want: "bucket=tfstate@main.tf:4 key=app/terraform.tfstate@main.tf:5 region=eu-west-1@main.tf:6 kms=arn:aws:kms:eu-west-1:111111111111:key/k@main.tf:8 lockfile=true@main.tf:7 blocks=main.tf:3",
		},
		{
			name: "override file last",
			files: map[string]string{
				"a_override.tf": "terraform {\n  backend \"s3\" {\n    key = \"other.tfstate\"\n  }\n}\n",
				"b.tf":          "terraform {\n  backend \"s3\" {\n    bucket = \"b\"\n    key    = \"k\"\n  }\n}\n",
			},
			want: "bucket=b@b.tf:3 key=other.tfstate@a_override.tf:3 blocks=b.tf:2,a_override.tf:2",
		},
		{
			name: "partial configuration",
			files: map[string]string{"backend.tf": `terraform {
  backend "s3" {}
}`},
			want: "blocks=backend.tf:2",
		},
		{name: "no backend", files: map[string]string{"main.tf": `resource "terraform_data" "x" {}`}, want: "blocks="},
		{
			name: "two backends",
			files: map[string]string{
				"a.tf": "terraform {\n  backend \"s3\" {}\n}\n",
				"b.tf": "terraform {\n  backend \"s3\" {}\n}\n",
			},
			err: "a.tf:2 and b.tf:2 both configure the backend; Terraform allows one",
		},
		{
			// Terraform's override files are override.tf and *_override.tf; this is not one.
			name: "two backends, one in a file whose name only ends in override.tf",
			files: map[string]string{
				"a.tf":          "terraform {\n  backend \"s3\" {}\n}\n",
				"nooverride.tf": "terraform {\n  backend \"s3\" {}\n}\n",
			},
			err: "a.tf:2 and nooverride.tf:2 both configure the backend; Terraform allows one",
		},
		{name: "another backend", files: map[string]string{"main.tf": "terraform {\n  backend \"gcs\" {}\n}\n"}, err: `main.tf:2 configures the "gcs" backend; rolehop policy knows the S3 backend only`},
		{name: "cloud", files: map[string]string{"main.tf": "terraform {\n  cloud {}\n}"}, err: "main.tf:2 configures HCP Terraform (a cloud block), not an S3 backend"},
		{name: "syntax error", files: map[string]string{"main.tf": `terraform {`}, err: "main.tf:1"},
		{
			name:  "lock file flag not a literal",
			files: map[string]string{"main.tf": "terraform {\n  backend \"s3\" {\n    use_lockfile = var.lock\n  }\n}\n"},
			err:   "use_lockfile at main.tf:3 is not a literal true or false; set it to one, or use --lockfile",
		},
		{
			name: "terragrunt unit including its root",
			files: map[string]string{
				"root.hcl":                rootHCL,
				"live/app/terragrunt.hcl": "include \"root\" {\n  path = find_in_parent_folders(\"root.hcl\")\n}\n",
			},
			from: "live/app",
			want: rootWant,
		},
		{
			name: "old style include of the parent terragrunt.hcl",
			files: map[string]string{
				"terragrunt.hcl":     "remote_state {\n  backend = \"s3\"\n  config = { bucket = \"b\", key = \"${path_relative_to_include()}/tf.tfstate\", lock_table = \"locks\" }\n}\n",
				"app/terragrunt.hcl": "include {\n  path = find_in_parent_folders()\n}\n",
			},
			from: "app",
			want: `bucket=b@terragrunt.hcl:3 key=*/tf.tfstate@terragrunt.hcl:3(pattern "${path_relative_to_include()}/tf.tfstate") table=locks@terragrunt.hcl:3 blocks=terragrunt.hcl:1`,
		},
		{
			name: "include by a path from get_terragrunt_dir",
			files: map[string]string{
				"common/state.hcl":   "remote_state {\n  backend = \"s3\"\n  config = { bucket = \"b\", key = \"k\" }\n}\n",
				"app/terragrunt.hcl": `include { path = "${get_terragrunt_dir()}/../common/state.hcl" }`,
			},
			from: "app",
			want: "bucket=b@common/state.hcl:3 key=k@common/state.hcl:3 blocks=common/state.hcl:1",
		},
		{
			name: "a unit's own remote_state replaces the included one",
			files: map[string]string{
				"root.hcl":           "remote_state {\n  backend = \"s3\"\n  config = { bucket = \"root\", key = \"k\" }\n}\n",
				"app/terragrunt.hcl": "include { path = find_in_parent_folders(\"root.hcl\") }\nremote_state {\n  backend = \"s3\"\n  config = { bucket = \"own\", key = \"k\" }\n}\n",
			},
			from: "app",
			want: "bucket=own@app/terragrunt.hcl:4 key=k@app/terragrunt.hcl:4 blocks=app/terragrunt.hcl:2",
		},
		{
			name: "terragrunt fills in the partial backend block",
			files: map[string]string{
				"main.tf":        "terraform {\n  backend \"s3\" {\n    region = \"eu-west-1\"\n  }\n}\n",
				"terragrunt.hcl": "remote_state {\n  backend = \"s3\"\n  config = { bucket = \"b\", key = \"k\" }\n}\n",
			},
			want: "bucket=b@terragrunt.hcl:3 key=k@terragrunt.hcl:3 region=eu-west-1@main.tf:3 blocks=main.tf:2,terragrunt.hcl:1",
		},
		{
			name:  "terragrunt file named directly",
			files: map[string]string{"root.hcl": rootHCL},
			from:  "root.hcl",
			want:  rootWant,
		},
		{
			name:  "remote_state with another backend",
			files: map[string]string{"terragrunt.hcl": "remote_state {\n  backend = \"gcs\"\n  config  = {}\n}\n"},
			err:   `terragrunt.hcl:2: remote_state uses the "gcs" backend; rolehop policy knows the S3 backend only`,
		},
		{
			name:  "config that is not written out",
			files: map[string]string{"terragrunt.hcl": "remote_state {\n  backend = \"s3\"\n  config  = local.state\n}\n"},
			err:   "terragrunt.hcl:3: remote_state config is not written out as { bucket = ..., key = ... }",
		},
		{
			name:  "include of a missing root",
			files: map[string]string{"app/terragrunt.hcl": `include { path = find_in_parent_folders("root.hcl") }`},
			from:  "app",
			err:   "app/terragrunt.hcl:1: include path: Call to function \"find_in_parent_folders\" failed: no root.hcl in any parent folder.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			c, err := Read(filepath.Join(dir, tt.from), dir)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(c); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// summary writes the settings c holds, each with where it is written.
func summary(c *Config) string {
	var parts []string
	for _, f := range []struct {
		name string
		s    String
	}{{"bucket", c.Bucket}, {"key", c.Key}, {"region", c.Region}, {"table", c.DynamoDBTable}, {"kms", c.KMSKeyID}, {"prefix", c.WorkspaceKeyPrefix}} {
		if !f.s.Set {
			continue
		}
		p := f.name + "=" + f.s.Value + "@" + f.s.At.String()
		if f.s.Pattern {
			p += fmt.Sprintf("(pattern %s)", f.s.Expr)
		}
		parts = append(parts, p)
	}
	if c.UseLockfile.Set {
		parts = append(parts, "lockfile=true@"+c.UseLockfile.At.String())
	}
	var blocks []string
	for _, b := range c.Blocks {
		blocks = append(blocks, b.String())
	}
	return strings.Join(append(parts, "blocks="+strings.Join(blocks, ",")), " ")
}

func TestBackend(t *testing.T) {
	file := func(v string, line int) String {
		return String{Value: v, Set: true, At: Origin{File: "main.tf", Line: line}}
	}
	read := &Config{
		Bucket:        file("tfstate", 2),
		Key:           String{Value: "*/terraform.tfstate", Pattern: true, Expr: `"${path_relative_to_include()}/terraform.tfstate"`, Set: true, At: Origin{File: "root.hcl", Line: 5}},
		DynamoDBTable: file("locks", 4),
		KMSKeyID:      file("1234abcd", 6),
		UseLockfile:   Bool{Value: true, Set: true},
		Blocks:        []Origin{{File: "main.tf", Line: 1}},
	}
	tests := []struct {
		name  string
		c     *Config
		o     Overrides
		want  policy.Backend
		notes []string
		err   string
		usage bool
	}{
		{
			name: "files, with notes on what they leave open",
			c:    read,
			want: policy.Backend{Bucket: "tfstate", Key: "*/terraform.tfstate", Lockfile: true, DynamoDBTable: "locks", KMSKeyARN: "arn:aws:kms:*:*:key/1234abcd"},
			notes: []string{
				`key at root.hcl:5 is the expression "${path_relative_to_include()}/terraform.tfstate": the policy covers every value it can take with the pattern "*/terraform.tfstate"`,
				"no region: the lock table's and the KMS key's ARN matches any region; give --region",
				"no --account: the lock table's and the KMS key's ARN matches any account; give --account ID",
			},
		},
		{
			name: "flags override",
			c:    read,
			o:    Overrides{Bucket: "other", KeyPrefix: "units/", Region: "eu-west-1", Account: "111111111111", DynamoDBTable: "t2", Workspaces: true},
			want: policy.Backend{Bucket: "other", Key: "units/*", Region: "eu-west-1", Account: "111111111111", Lockfile: true, DynamoDBTable: "t2",
				KMSKeyARN: "arn:aws:kms:eu-west-1:111111111111:key/1234abcd", Workspaces: true},
		},
		{
			name: "a key ARN in the file leaves nothing open",
			c:    &Config{Bucket: file("b", 1), Key: file("k", 2), KMSKeyID: file("arn:aws:kms:eu-west-1:111111111111:key/k", 3)},
			want: policy.Backend{Bucket: "b", Key: "k", KMSKeyARN: "arn:aws:kms:eu-west-1:111111111111:key/k"},
		},
		{
			name: "flags only",
			c:    &Config{},
			o:    Overrides{Bucket: "b", Key: "k", Lockfile: true, KMSKeyARN: "arn:aws:kms:eu-west-1:111111111111:key/k"},
			want: policy.Backend{Bucket: "b", Key: "k", Lockfile: true, KMSKeyARN: "arn:aws:kms:eu-west-1:111111111111:key/k"},
		},
		{
			name: "workspace_key_prefix turns workspaces on",
			c:    &Config{Bucket: file("b", 1), Key: file("k", 2), WorkspaceKeyPrefix: file("ws", 3)},
			want: policy.Backend{Bucket: "b", Key: "k", Workspaces: true, WorkspaceKeyPrefix: "ws"},
		},
		{name: "nothing at all", c: &Config{}, usage: true,
			err: `no bucket: the working directory configures no S3 backend (backend "s3" in *.tf, remote_state in terragrunt.hcl); give --bucket, or --from DIR`},
		{name: "partial configuration", c: &Config{Bucket: file("b", 2), Blocks: []Origin{{File: "main.tf", Line: 1}}}, usage: true,
			err: "no key: main.tf:1 does not set key (a partial configuration); give --key or --key-prefix"},
		{name: "bad region in a file", c: &Config{Bucket: file("b", 1), Key: file("k", 2), Region: file("moon", 3)},
			err: `region at main.tf:3: "moon" is not a region name`},
		{name: "bad account flag", c: &Config{}, o: Overrides{Bucket: "b", Key: "k", Account: "12"},
			err: `flag --account: "12" is not an account ID; an account ID is 12 digits`},
		{name: "bad key flag", c: &Config{}, o: Overrides{Bucket: "b", Key: "/k"}, err: `flag --key: "/k" starts or ends with /`},
		{name: "KMS alias", c: &Config{Bucket: file("b", 1), Key: file("k", 2), KMSKeyID: file("alias/state", 3)},
			err: `kms_key_id at main.tf:3: "alias/state" is a KMS alias; an IAM policy names the key itself; give --kms-key-arn with the key's ARN`},
		{name: "KMS key expression", c: &Config{Bucket: file("b", 1), Key: file("k", 2), KMSKeyID: String{Value: "*", Pattern: true, Expr: "local.key", Set: true, At: Origin{File: "root.hcl", Line: 3}}},
			err: "kms_key_id at root.hcl:3 is the expression local.key; give --kms-key-arn with the key's ARN"},
		{name: "bad KMS flag", c: &Config{}, o: Overrides{Bucket: "b", Key: "k", KMSKeyARN: "alias/x"}, err: `flag --kms-key-arn: "alias/x" is not a KMS key ARN`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, notes, err := tt.c.Backend(tt.o, "the working directory")
			if tt.err != "" {
				var missing *MissingError
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error with %q", err, tt.err)
				}
				if isMissing := errors.As(err, &missing); isMissing != tt.usage {
					t.Errorf("MissingError: %v, want %v", isMissing, tt.usage)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b != tt.want {
				t.Errorf("got  %+v\nwant %+v", b, tt.want)
			}
			if strings.Join(notes, "\n") != strings.Join(tt.notes, "\n") {
				t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(tt.notes, "\n"))
			}
		})
	}
}
