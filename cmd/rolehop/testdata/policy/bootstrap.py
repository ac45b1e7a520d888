# Creates a state bucket and lock table the way Terragrunt's remote_state does on a first run,
# with the settings `rolehop policy --bootstrap` allows: ownership controls (bucket owner
# enforced), a public access block, tags, versioning (read back), default encryption and a
# lifecycle rule; then the lock table, waiting until it is active.
#
# Usage: bootstrap.py BUCKET [TABLE]. The endpoint, region and keys come from the environment.
import sys
import time

import boto3
from botocore.config import Config

bucket = sys.argv[1]
table = sys.argv[2] if len(sys.argv) > 2 else ""
config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})

s3 = boto3.client("s3", config=config)
s3.create_bucket(Bucket=bucket, ObjectOwnership="BucketOwnerEnforced")
s3.put_public_access_block(
    Bucket=bucket,
    PublicAccessBlockConfiguration={
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    },
)
s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "purpose", "Value": "terraform-state"}]})
s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
s3.put_bucket_encryption(
    Bucket=bucket,
    ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
)
s3.put_bucket_lifecycle_configuration(
    Bucket=bucket,
    LifecycleConfiguration={
        "Rules": [
            {
                "ID": "expire-old-state-versions",
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
            }
        ]
    },
)
if s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
    sys.exit("bootstrap: versioning of %s is not enabled" % bucket)

if table:
    dynamodb = boto3.client("dynamodb", config=config)
    try:
        dynamodb.describe_table(TableName=table)
    except dynamodb.exceptions.ResourceNotFoundException:
        dynamodb.create_table(
            TableName=table,
            AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    for _ in range(30):
        if dynamodb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE":
            break
        time.sleep(1)
    else:
        sys.exit("bootstrap: table %s did not become active" % table)
print("bootstrapped", bucket, table)
