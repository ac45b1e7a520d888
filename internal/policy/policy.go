// Package policy builds the least-privilege IAM policy for an S3 state backend of
// OpenTofu/Terraform: one statement per purpose (reading and writing the state, the lock file,
// the DynamoDB lock table, the KMS key, creating the bucket and table), each with only the
// actions that purpose needs, on only the resources it touches.
package policy

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/rolehop/rolehop/internal/plan"
)

// Version is the IAM policy language version every document states.
const Version = "2012-10-17"

// DefaultWorkspaceKeyPrefix is where the S3 backend keeps the states of workspaces other than
// "default" when workspace_key_prefix is not set.
const DefaultWorkspaceKeyPrefix = "env:"

// Backend is an S3 state backend as far as its permissions go. Bucket, Key, Region, Account
// and DynamoDBTable may hold the IAM wildcard '*' where the configuration could not be known.
type Backend struct {
	Bucket string
	// Key is the state object's key, or a pattern such as "*/terraform.tfstate" that covers
	// every key the configuration can produce.
	Key string
	// Region and Account place the DynamoDB table (and a KMS key given by ID); "" means any.
	Region  string
	Account string
	// Lockfile is use_lockfile = true: S3-native locking with KEY.tflock objects.
	Lockfile bool
	// DynamoDBTable is the older lock table (dynamodb_table), "" when there is none.
	DynamoDBTable string
	// KMSKeyARN is the key that encrypts the state objects (kms_key_id), "" for none.
	KMSKeyARN string
	// Workspaces adds the states of workspaces other than "default", kept under
	// WorkspaceKeyPrefix ("" means DefaultWorkspaceKeyPrefix).
	Workspaces         bool
	WorkspaceKeyPrefix string
}

// Options says what the role does with the backend.
type Options struct {
	// Bootstrap adds what creating the bucket and the lock table needs.
	Bootstrap bool
	// ReadOnly gives only what reading the state needs: `plan -lock=false` and
	// terraform_remote_state readers.
	ReadOnly bool
}

// Document is an IAM policy document.
type Document struct {
	Version   string
	Statement []Statement
}

// Statement is one Allow statement. Action is sorted; Resource is in the order built.
type Statement struct {
	Sid      string
	Effect   string
	Action   []string
	Resource []string
}

// Sids of the statements, one per purpose.
const (
	SidListBucket      = "ListStateBucket"
	SidReadWriteState  = "ReadWriteState"
	SidReadState       = "ReadState"
	SidDeleteWorkspace = "DeleteWorkspaceState"
	SidLockfile        = "LockWithLockfile"
	SidDynamoDBLock    = "LockWithDynamoDB"
	SidKMSReadWrite    = "EncryptState"
	SidKMSRead         = "DecryptState"
	SidCreateBucket    = "CreateStateBucket"
	SidCreateTable     = "CreateLockTable"
)

// Check reports what in b cannot make a policy: the first problem, naming the setting.
func (b Backend) Check(o Options) error {
	switch {
	case b.Bucket == "":
		return errors.New("no bucket")
	case b.Key == "":
		return errors.New("no key")
	case o.Bootstrap && o.ReadOnly:
		return errors.New("bootstrap and read-only exclude each other: a reader creates nothing")
	}
	for _, err := range []error{CheckAccount(b.Account), CheckKMSKeyARN(b.KMSKeyARN), CheckRegion(b.Region), CheckKey(b.Key)} {
		if err != nil {
			return err
		}
	}
	return nil
}

// CheckAccount checks an account ID; "" (any account) passes.
func CheckAccount(s string) error {
	if s != "" && !plan.Digits(s, 12) {
		return fmt.Errorf("%q is not an account ID; an account ID is 12 digits", s)
	}
	return nil
}

// CheckKMSKeyARN checks the ARN of a KMS key; "" (no key) passes.
func CheckKMSKeyARN(s string) error {
	// Compiled here, by the policy command only, not at every start of rolehop.
	kmsKeyRE := regexp.MustCompile(`^arn:[a-z-]+:kms:([a-z0-9-]+|\*):([0-9]{12}|\*):key/[A-Za-z0-9-]+$`)
	if s != "" && !kmsKeyRE.MatchString(s) {
		return fmt.Errorf("%q is not a KMS key ARN; one looks like arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", s)
	}
	return nil
}

// CheckRegion checks a region name; "" and patterns with '*' pass.
func CheckRegion(s string) error {
	if s == "" || strings.Contains(s, "*") {
		return nil
	}
	return plan.CheckRegion(s)
}

// CheckKey checks a state key the way the S3 backend does.
func CheckKey(s string) error {
	if strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") {
		return fmt.Errorf("%q starts or ends with /; the S3 backend rejects such keys", s)
	}
	return nil
}

// For returns the policy b needs under o. b must pass Check.
func For(b Backend, o Options) (Document, error) {
	if err := b.Check(o); err != nil {
		return Document{}, err
	}
	var st []Statement
	add := func(sid string, actions []string, resources ...string) {
		actions = slices.Clone(actions)
		slices.Sort(actions)
		st = append(st, Statement{Sid: sid, Effect: "Allow", Action: actions, Resource: uncovered(resources)})
	}
	bucket := b.s3ARN("")
	states := b.stateKeys()
	// Without s3:ListBucket, S3 answers a read of a missing object with 403 instead of 404,
	// and the backend cannot tell a first run (no state yet) from a denied one.
	add(SidListBucket, []string{"s3:ListBucket"}, bucket)
	if o.ReadOnly {
		add(SidReadState, []string{"s3:GetObject"}, b.s3ARNs(states, "")...)
	} else {
		add(SidReadWriteState, []string{"s3:GetObject", "s3:PutObject"}, b.s3ARNs(states, "")...)
		if b.Workspaces {
			add(SidDeleteWorkspace, []string{"s3:DeleteObject"}, b.s3ARN(b.workspaceKey()))
		}
		if b.Lockfile {
			add(SidLockfile, []string{"s3:DeleteObject", "s3:GetObject", "s3:PutObject"}, b.s3ARNs(states, ".tflock")...)
		}
	}
	// A reader needs nothing of the lock table: the backend's check of the state against
	// the digest it keeps there only logs a warning when the digest cannot be read.
	if b.DynamoDBTable != "" && !o.ReadOnly {
		add(SidDynamoDBLock, []string{"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"}, b.tableARN())
	}
	if b.KMSKeyARN != "" {
		if o.ReadOnly {
			add(SidKMSRead, []string{"kms:Decrypt"}, b.KMSKeyARN)
		} else {
			add(SidKMSReadWrite, []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}, b.KMSKeyARN)
		}
	}
	if o.Bootstrap {
		add(SidCreateBucket, bootstrapBucketActions, bucket)
		if b.DynamoDBTable != "" {
			add(SidCreateTable, []string{"dynamodb:CreateTable", "dynamodb:DescribeTable"}, b.tableARN())
		}
	}
	return Document{Version: Version, Statement: st}, nil
}

// bootstrapBucketActions create the bucket and give it versioning, default encryption, a
// public access block, ownership controls, a lifecycle rule and tags, then read its
// versioning back.
var bootstrapBucketActions = []string{
	"s3:CreateBucket",
	"s3:GetBucketVersioning",
	"s3:PutBucketOwnershipControls",
	"s3:PutBucketPublicAccessBlock",
	"s3:PutBucketTagging",
	"s3:PutBucketVersioning",
	"s3:PutEncryptionConfiguration",
	"s3:PutLifecycleConfiguration",
}

// stateKeys are the keys of the states: the default workspace's, then the other workspaces'.
func (b Backend) stateKeys() []string {
	keys := []string{b.Key}
	if b.Workspaces {
		keys = append(keys, b.workspaceKey())
	}
	return keys
}

// workspaceKey is the pattern of the other workspaces' state keys: PREFIX/WORKSPACE/KEY.
func (b Backend) workspaceKey() string {
	prefix := b.WorkspaceKeyPrefix
	if prefix == "" {
		prefix = DefaultWorkspaceKeyPrefix
	}
	return prefix + "/*/" + b.Key
}

// s3ARN is the ARN of the bucket ("" key) or of an object in it.
func (b Backend) s3ARN(key string) string {
	arn := "arn:" + plan.RegionPartition(b.Region) + ":s3:::" + b.Bucket
	if key != "" {
		arn += "/" + key
	}
	return arn
}

func (b Backend) s3ARNs(keys []string, suffix string) []string {
	arns := make([]string, len(keys))
	for i, k := range keys {
		arns[i] = b.s3ARN(k + suffix)
	}
	return arns
}

func (b Backend) tableARN() string {
	return "arn:" + plan.RegionPartition(b.Region) + ":dynamodb:" + orAny(b.Region) + ":" + orAny(b.Account) + ":table/" + b.DynamoDBTable
}

// KMSKeyARN returns the ARN of the key kms_key_id names, when it is an ARN or a key ID; an
// alias cannot be turned into the key it points at without asking KMS.
func KMSKeyARN(id, region, account string) (string, error) {
	switch {
	case strings.HasPrefix(id, "arn:") && strings.Contains(id, ":alias/"), strings.HasPrefix(id, "alias/"):
		return "", fmt.Errorf("%q is a KMS alias; an IAM policy names the key itself", id)
	case strings.HasPrefix(id, "arn:"):
		return id, nil
	}
	return "arn:" + plan.RegionPartition(region) + ":kms:" + orAny(region) + ":" + orAny(account) + ":key/" + id, nil
}

func orAny(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

// uncovered drops the resources that another one of the list already matches: a key pattern
// such as "*/terraform.tfstate" matches the workspaces' keys too.
func uncovered(resources []string) []string {
	var out []string
	for i, r := range resources {
		covered := false
		for j, other := range resources {
			if i != j && other != r && matches(other, r) {
				covered = true
			}
		}
		if !covered {
			out = append(out, r)
		}
	}
	return out
}

// matches reports whether the IAM pattern p ('*' matches any run of characters) matches s,
// reading a '*' in s as a character. Then p matches whatever s matches: each '*' of s is
// taken up by a '*' of p, which takes up anything in its place.
func matches(p, s string) bool {
	star, next := -1, 0 // the last '*' of p seen, and where in s it started
	i, j := 0, 0
	for j < len(s) {
		switch {
		case i < len(p) && p[i] == '*':
			star, next = i, j
			i++
		case i < len(p) && p[i] == s[j]:
			i++
			j++
		case star >= 0:
			next++
			i, j = star+1, next
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}
