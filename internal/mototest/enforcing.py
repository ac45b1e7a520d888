# moto_server with IAM enforcement (INITIAL_NO_AUTH_ACTION_COUNT) that Terraform's S3 backend
# can run against. Two changes, nothing else:
#
# 1. S3 signatures are not checked. moto recomputes the SigV4 signature of S3 requests whose
#    query has '/' or ':' in a value (ListObjectsV2 with prefix=env:/, which the backend sends
#    at every init) differently from every client and answers SignatureDoesNotMatch. The
#    access key is still looked up (it must be one moto issued) and the caller's policies are
#    still evaluated against the bucket or object ARN. Other services keep their checks.
# 2. DynamoDB calls are authorised against the table's ARN. moto checks them against "*",
#    which no policy scoped to a table matches.
import sys

from moto.dynamodb.responses import DynamoHandler
from moto.iam.access_control import S3IAMRequest
from moto.server import main


def _skip_s3_signature(self):
    return None


def _table_arn(self):
    body = self.body if isinstance(self.body, dict) else {}
    name = body.get("TableName")
    if not name:
        return "*"
    return f"arn:aws:dynamodb:{self.region}:{self.current_account}:table/{name}"


S3IAMRequest.check_signature = _skip_s3_signature
DynamoHandler._determine_resource = _table_arn

main(sys.argv[1:])
