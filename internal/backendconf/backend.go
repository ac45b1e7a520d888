package backendconf

import (
	"fmt"
	"strings"

	"github.com/rolehop/rolehop/internal/display"
	"github.com/rolehop/rolehop/internal/policy"
)

// Overrides are the settings given on the command line; each one given replaces what the
// files say. The booleans can only turn a setting on.
type Overrides struct {
	Bucket, Key, KeyPrefix, Region, Account, DynamoDBTable, KMSKeyARN string
	Lockfile, Workspaces                                              bool
}

// MissingError reports a setting that neither the files nor the command line give.
type MissingError struct{ msg string }

func (e *MissingError) Error() string { return e.msg }

// setting is one value of the combined configuration and where it came from.
type setting struct {
	String
	flag string // the flag that gave it, "" when it came from a file
}

// Backend combines c with the command line's settings into the backend the policy is for,
// and returns notes on what in it is a pattern or left open. where names what was read
// ("the working directory", a path), for messages.
func (c *Config) Backend(o Overrides, where string) (policy.Backend, []string, error) {
	var notes []string
	pick := func(name, flag, given string, file String) setting {
		if given != "" {
			return setting{String: String{Value: given, Set: true}, flag: flag}
		}
		if file.Pattern {
			notes = append(notes, fmt.Sprintf("%s at %s is the expression %s: the policy covers every value it can take with the pattern %q", name, file.At, display.OneLine(file.Expr), file.Value))
		}
		return setting{String: file}
	}
	var b policy.Backend
	bucket := pick("bucket", "bucket", o.Bucket, c.Bucket)
	if !bucket.Set {
		return b, nil, c.missing("bucket", where, "--bucket")
	}
	key := c.Key
	if o.KeyPrefix != "" {
		key = String{Value: strings.TrimSuffix(o.KeyPrefix, "*") + "*", Set: true}
	}
	k := pick("key", "key", o.Key, key)
	if o.KeyPrefix != "" {
		k.flag = "key-prefix"
	}
	if !k.Set {
		return b, nil, c.missing("key", where, "--key or --key-prefix")
	}
	region := pick("region", "region", o.Region, c.Region)
	table := pick("dynamodb_table", "dynamodb-table", o.DynamoDBTable, c.DynamoDBTable)
	prefix := pick("workspace_key_prefix", "", "", c.WorkspaceKeyPrefix)
	b = policy.Backend{
		Bucket:             bucket.Value,
		Key:                k.Value,
		Region:             region.Value,
		Account:            o.Account,
		Lockfile:           o.Lockfile || c.UseLockfile.Value,
		DynamoDBTable:      table.Value,
		Workspaces:         o.Workspaces || c.WorkspaceKeyPrefix.Set,
		WorkspaceKeyPrefix: prefix.Value,
	}
	checks := []struct {
		s     setting
		name  string
		check func(string) error
	}{
		{k, "key", policy.CheckKey},
		{region, "region", policy.CheckRegion},
		{setting{String: String{Value: o.Account}, flag: "account"}, "", policy.CheckAccount},
	}
	for _, ch := range checks {
		if err := ch.check(ch.s.Value); err != nil {
			return b, nil, fmt.Errorf("%s: %w", origin(ch.s, ch.name), err)
		}
	}
	kms, err := c.kmsKey(o, b)
	if err != nil {
		return b, nil, err
	}
	b.KMSKeyARN = kms
	fromID := kms != "" && o.KMSKeyARN == "" && !strings.HasPrefix(c.KMSKeyID.Value, "arn:")
	notes = append(notes, openEnded(b, fromID)...)
	return b, notes, nil
}

// origin says where a setting came from: its flag, or its name and place in a file.
func origin(s setting, name string) string {
	if s.flag != "" {
		return "flag --" + s.flag
	}
	return name + " at " + s.At.String()
}

// missing reports a setting nothing gives.
func (c *Config) missing(name, where, flags string) error {
	if len(c.Blocks) == 0 {
		return &MissingError{fmt.Sprintf("no %s: %s configures no S3 backend (backend \"s3\" in *.tf, remote_state in %s); give %s, or --from DIR", name, where, TerragruntFile, flags)}
	}
	return &MissingError{fmt.Sprintf("no %s: %s does not set %s (a partial configuration); give %s", name, c.Blocks[len(c.Blocks)-1], name, flags)}
}

// kmsKey returns the ARN of the key that encrypts the state, "" for none.
func (c *Config) kmsKey(o Overrides, b policy.Backend) (string, error) {
	if o.KMSKeyARN != "" {
		if err := policy.CheckKMSKeyARN(o.KMSKeyARN); err != nil {
			return "", fmt.Errorf("flag --kms-key-arn: %w", err)
		}
		return o.KMSKeyARN, nil
	}
	id := c.KMSKeyID
	switch {
	case !id.Set || id.Value == "":
		return "", nil
	case id.Pattern:
		return "", fmt.Errorf("kms_key_id at %s is the expression %s; give --kms-key-arn with the key's ARN", id.At, display.OneLine(id.Expr))
	}
	arn, err := policy.KMSKeyARN(id.Value, b.Region, b.Account)
	if err == nil {
		err = policy.CheckKMSKeyARN(arn)
	}
	if err != nil {
		return "", fmt.Errorf("kms_key_id at %s: %w; give --kms-key-arn with the key's ARN", id.At, err)
	}
	return arn, nil
}

// openEnded notes the parts of ARNs that match any region or account because nothing said
// which. kmsFromID is set when a KMS key ARN was built from a key ID.
func openEnded(b policy.Backend, kmsFromID bool) []string {
	var what []string
	if b.DynamoDBTable != "" {
		what = append(what, "the lock table's")
	}
	if kmsFromID {
		what = append(what, "the KMS key's")
	}
	if len(what) == 0 {
		return nil
	}
	arns := strings.Join(what, " and ") + " ARN"
	var notes []string
	if b.Region == "" {
		notes = append(notes, fmt.Sprintf("no region: %s matches any region; give --region", arns))
	}
	if b.Account == "" {
		notes = append(notes, fmt.Sprintf("no --account: %s matches any account; give --account ID", arns))
	}
	return notes
}
