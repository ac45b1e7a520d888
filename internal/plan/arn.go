package plan

import (
	"fmt"
	"strings"
)

// RoleARN is a parsed IAM role ARN: arn:PARTITION:iam::ACCOUNT:role/PATH/NAME.
type RoleARN struct {
	Partition string
	Account   string
	// Path is the role's path, "/" when it has none.
	Path string
	Name string
}

// String returns the ARN in its canonical form.
func (a RoleARN) String() string {
	return "arn:" + a.Partition + ":iam::" + a.Account + ":role" + a.Path + a.Name
}

// partitions maps each AWS partition to the region used when none is configured.
var partitions = map[string]string{
	"aws":        "us-east-1",
	"aws-cn":     "cn-north-1",
	"aws-us-gov": "us-gov-west-1",
	"aws-iso":    "us-iso-east-1",
	"aws-iso-b":  "us-isob-east-1",
	"aws-iso-e":  "eu-isoe-west-1",
	"aws-iso-f":  "us-isof-south-1",
	"aws-eusc":   "eusc-de-east-1",
}

// regionPrefixes maps region name prefixes to their partition; any other region is in "aws".
var regionPrefixes = []struct{ prefix, partition string }{
	{"us-gov-", "aws-us-gov"},
	{"cn-", "aws-cn"},
	{"us-isob-", "aws-iso-b"},
	{"us-isof-", "aws-iso-f"},
	{"us-iso-", "aws-iso"},
	{"eu-isoe-", "aws-iso-e"},
	{"eusc-", "aws-eusc"},
}

const roleARNShape = "arn:aws:iam::123456789012:role/NAME"

// ParseRoleARN parses and checks an IAM role ARN. Errors say what is wrong and show the
// expected shape; they never guess a replacement.
func ParseRoleARN(s string) (RoleARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return RoleARN{}, fmt.Errorf("%q is not an ARN; an IAM role ARN looks like %s", s, roleARNShape)
	}
	partition, service, region, account, resource := parts[1], parts[2], parts[3], parts[4], parts[5]
	if _, ok := partitions[partition]; !ok {
		return RoleARN{}, fmt.Errorf("%q has unknown partition %q; use aws, aws-cn or aws-us-gov (%s)", s, partition, roleARNShape)
	}
	if service == "sts" && strings.HasPrefix(resource, "assumed-role/") {
		name, _, _ := strings.Cut(strings.TrimPrefix(resource, "assumed-role/"), "/")
		return RoleARN{}, fmt.Errorf("%q is a role session, not a role; use the role's ARN, arn:%s:iam::%s:role/%s", s, partition, account, name)
	}
	if service != "iam" {
		return RoleARN{}, fmt.Errorf("%q is not an IAM ARN (service %q); an IAM role ARN looks like %s", s, service, roleARNShape)
	}
	if region != "" {
		return RoleARN{}, fmt.Errorf("%q has region %q, but IAM ARNs have none; an IAM role ARN looks like %s", s, region, roleARNShape)
	}
	if !isAccount(account) {
		return RoleARN{}, fmt.Errorf("%q has account ID %q; an account ID is 12 digits", s, account)
	}
	kind, rest, found := strings.Cut(resource, "/")
	if !found {
		return RoleARN{}, fmt.Errorf("%q does not name a role (role/NAME after the account ID); an IAM role ARN looks like %s", s, roleARNShape)
	}
	if kind != "role" {
		return RoleARN{}, fmt.Errorf("%q names an IAM %s, not a role; an IAM role ARN looks like %s", s, kind, roleARNShape)
	}
	cut := strings.LastIndex(rest, "/") + 1
	path, name := "/"+rest[:cut], rest[cut:]
	if !WordOr(name, "+=,.@-") || len(name) > 64 {
		return RoleARN{}, fmt.Errorf("%q has role name %q; a role name is 1 to 64 letters, digits or +=,.@_-", s, name)
	}
	if !isRolePath(path) || len(path) > 512 {
		return RoleARN{}, fmt.Errorf("%q has role path %q; a path is up to 512 printable ASCII characters between slashes", s, path)
	}
	return RoleARN{Partition: partition, Account: account, Path: path, Name: name}, nil
}

// CheckPolicyARN checks the ARN of a managed policy passed as a session policy.
func CheckPolicyARN(s string) error {
	if !isPolicyARN(s) {
		return fmt.Errorf("%q is not a managed policy ARN; one looks like arn:aws:iam::aws:policy/ReadOnlyAccess", s)
	}
	return nil
}

// CheckRegion checks the shape of a region name such as eu-west-1.
func CheckRegion(s string) error {
	if !isRegionName(s) {
		return fmt.Errorf("%q is not a region name; one looks like us-east-1 or eu-west-1", s)
	}
	return nil
}

// RegionPartition returns the partition a region belongs to.
func RegionPartition(region string) string {
	for _, p := range regionPrefixes {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}

// DefaultRegion returns the region rolehop calls STS in for a partition when none is configured.
func DefaultRegion(partition string) string {
	if r, ok := partitions[partition]; ok {
		return r
	}
	return partitions["aws"]
}
