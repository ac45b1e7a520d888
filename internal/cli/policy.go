package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rolehop/rolehop/internal/backendconf"
	"github.com/rolehop/rolehop/internal/display"
	"github.com/rolehop/rolehop/internal/policy"
	"github.com/spf13/cobra"
)

func (a *app) policyCmd() *cobra.Command {
	var in policyInput
	c := &cobra.Command{
		Use:   "policy [--from DIR|FILE] [--bucket B] [--key K | --key-prefix P] [options] [--output json|hcl]",
		Short: "Print the least-privilege IAM policy for an S3 state backend",
		Long: `Print the IAM policy a role needs to run OpenTofu/Terraform against an S3 state backend: only
the actions the backend uses, each on the exact bucket, keys, lock table and KMS key.

The backend is read from the backend "s3" block of the *.tf files in the working directory (or
--from DIR, or one .tf file), and from Terragrunt's remote_state in terragrunt.hcl or the root
file it includes (--from can name a file such as root.hcl). Flags fill in or override what the
files say. A setting written as an expression that only Terragrunt can evaluate, such as
"${path_relative_to_include()}/terraform.tfstate", becomes the narrowest pattern that covers
it ("*/terraform.tfstate"); a note on stderr says so.

--bootstrap adds what creating the bucket and the lock table needs; without it the policy
assumes they exist. --read-only gives what 'plan -lock=false' and terraform_remote_state
readers need.`,
		Example: `  rolehop policy
  rolehop policy --from live/root.hcl --account 111111111111
  rolehop policy --bucket tfstate --key app/terraform.tfstate --lockfile --workspaces
  rolehop policy --bucket tfstate --key-prefix units/ --dynamodb-table tflocks --region eu-west-1 --account 111111111111 --bootstrap
  rolehop policy --read-only --output hcl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.policy(a.out(cmd), in)
		},
	}
	f := c.Flags()
	f.StringVar(&in.from, "from", "", "read the backend from `PATH`: a directory, a .tf file or a Terragrunt file (default: the working directory)")
	f.StringVar(&in.set.Bucket, "bucket", "", "the state `BUCKET`")
	f.StringVar(&in.set.Key, "key", "", "the state object's `KEY`")
	f.StringVar(&in.set.KeyPrefix, "key-prefix", "", "allow every state key starting with `PREFIX`")
	f.StringVar(&in.set.Region, "region", "", "the backend's `REGION` (for the lock table's and a KMS key's ARN)")
	f.StringVar(&in.set.Account, "account", "", "the account `ID` of the lock table and KMS key")
	f.BoolVar(&in.set.Lockfile, "lockfile", false, "lock with a lock file next to the state (use_lockfile = true)")
	f.StringVar(&in.set.DynamoDBTable, "dynamodb-table", "", "lock with the DynamoDB `TABLE` (dynamodb_table)")
	f.StringVar(&in.set.KMSKeyARN, "kms-key-arn", "", "the KMS key `ARN` that encrypts the state (kms_key_id)")
	f.BoolVar(&in.set.Workspaces, "workspaces", false, "allow the states of other workspaces (under workspace_key_prefix, default env:)")
	f.BoolVar(&in.bootstrap, "bootstrap", false, "add what creating the bucket and the lock table needs")
	f.BoolVar(&in.readOnly, "read-only", false, "only what reading the state needs (plan -lock=false, terraform_remote_state)")
	f.StringVarP(&in.output, "output", "o", "json", "output `FORMAT`: json, or hcl (an aws_iam_policy_document data source)")
	f.SortFlags = false
	return c
}

// policyInput is what policy runs with.
type policyInput struct {
	from, output        string
	bootstrap, readOnly bool
	set                 backendconf.Overrides
}

// policy reads the backend, builds its policy and prints it, with notes on stderr.
func (a *app) policy(w io.Writer, in policyInput) error {
	switch {
	case in.output != "json" && in.output != "hcl":
		return &usageError{fmt.Errorf("flag --output: unknown output %q; use json or hcl", in.output)}
	case in.set.Key != "" && in.set.KeyPrefix != "":
		return &usageError{errors.New("--key and --key-prefix exclude each other; give one")}
	case in.bootstrap && in.readOnly:
		return &usageError{errors.New("--bootstrap and --read-only exclude each other: a reader creates nothing")}
	}
	conf, where, err := a.readBackend(in.from)
	if err != nil {
		return err
	}
	b, notes, err := conf.Backend(in.set, where)
	var missing *backendconf.MissingError
	if errors.As(err, &missing) {
		return &usageError{err}
	}
	if err != nil {
		return err
	}
	doc, err := policy.For(b, policy.Options{Bootstrap: in.bootstrap, ReadOnly: in.readOnly})
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintf(a.sys.Stderr, "rolehop: note: %s\n", n)
	}
	if in.output == "hcl" {
		_, err = w.Write(doc.HCL("state_backend"))
		return err
	}
	out, err := doc.JSON()
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// readBackend reads the backend configuration at from (the working directory when ""). It
// returns what it read and the path as the user sees it, for messages.
func (a *app) readBackend(from string) (*backendconf.Config, string, error) {
	path := a.sys.Dir
	if from != "" {
		path = from
		if !filepath.IsAbs(path) {
			path = filepath.Join(a.sys.Dir, path)
		}
	}
	where := display.Path(path, a.sys.Dir)
	if from == "" {
		where = "the working directory"
	}
	if _, err := os.Stat(path); err != nil && from != "" {
		return nil, "", fmt.Errorf("flag --from: %s: %w; name a directory, a .tf file or a Terragrunt file", where, unwrapPath(err))
	}
	conf, err := backendconf.Read(path, a.sys.Dir)
	if err != nil {
		return nil, "", err
	}
	if from != "" && len(conf.Blocks) == 0 {
		return nil, "", fmt.Errorf("flag --from: %s configures no S3 backend (no backend \"s3\" block in *.tf, no remote_state in %s); name the directory or file that does", where, backendconf.TerragruntFile)
	}
	return conf, where, nil
}
