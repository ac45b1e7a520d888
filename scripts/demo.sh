#!/usr/bin/env bash
# The main job end to end against a local moto_server: who am I before and after, terraform
# apply as a role with its state in S3, and eval "$(rolehop env ...)". Talks only to 127.0.0.1.
set -euo pipefail

rolehop=$(cd "$(dirname "${1:-bin/rolehop}")" && pwd)/$(basename "${1:-bin/rolehop}")
for tool in moto_server aws terraform python3; do
  command -v "$tool" >/dev/null || { echo "demo: $tool is not installed" >&2; exit 1; }
done

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
cleanup() { kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 && break
  sleep 0.1
done

# A clean, local-only AWS environment: base keys for the "security" account, moto for STS and S3.
export AWS_ACCESS_KEY_ID=AKIADEMOBASEKEY00001 AWS_SECRET_ACCESS_KEY=demo-base-secret
export AWS_ENDPOINT_URL_STS="http://127.0.0.1:$port" AWS_ENDPOINT_URL_S3="http://127.0.0.1:$port"
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE="$work/aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/aws-credentials"
# rolehop's cache lives in an encrypted file keyring inside the demo's own HOME.
export HOME="$work/home" ROLEHOP_KEYRING_BACKEND=file ROLEHOP_KEYRING_PASSPHRASE=demo-passphrase
mkdir -p "$HOME"
# Its list of trusted rolehop.hcl files, too (none: the demo's file only names a role).
unset XDG_CONFIG_HOME ROLEHOP_TRUSTED_PATHS
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_CLI_CONFIG_FILE="$work/terraformrc"
: >"$TF_CLI_CONFIG_FILE"
role=arn:aws:iam::111111111111:role/deploy

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step aws s3 mb s3://rolehop-demo-state
aws s3 mb s3://rolehop-demo-state

cd "$work"
cat > main.tf <<'TF'
terraform {
  backend "s3" {
    bucket         = "rolehop-demo-state"
    key            = "app/terraform.tfstate"
    region         = "us-east-1"
    use_path_style = true
    use_lockfile   = true
  }
}

resource "terraform_data" "app" {
  input = "deployed through rolehop"
}
TF
step rolehop whoami   "# before: the base identity"
"$rolehop" whoami

cat > rolehop.hcl <<HCL
iam_role                 = "$role"
iam_assume_role_duration = "2h"
HCL


step cat rolehop.hcl
cat rolehop.hcl

step rolehop config
"$rolehop" config

step rolehop whoami   "# after: the role from rolehop.hcl"
"$rolehop" whoami

step rolehop exec -- terraform init
"$rolehop" exec -- terraform init -input=false -no-color | grep -E 'backend|initialized'

step rolehop exec --iam-role "$role" -- terraform apply -auto-approve
"$rolehop" exec --iam-role "$role" -- terraform apply -auto-approve -input=false -no-color | tail -n 3

step aws s3 ls s3://rolehop-demo-state/app/
aws s3 ls s3://rolehop-demo-state/app/

step 'eval "$(rolehop env --iam-role '"$role"' --duration 2h)" && aws sts get-caller-identity'
eval "$("$rolehop" env --iam-role "$role" --duration 2h)"
aws sts get-caller-identity --output text --query Arn
echo "credentials expire at $AWS_SESSION_EXPIRATION"

step 'rolehop cache list   # one AssumeRole served every run above'
"$rolehop" cache list

step 'rolehop exec --server -- aws sts get-caller-identity   # a refreshing local credential endpoint'
"$rolehop" exec --server --iam-role "$role" -- sh -c 'echo "endpoint: $AWS_CONTAINER_CREDENTIALS_FULL_URI"; aws sts get-caller-identity --output text --query Arn'

printf '\ndemo: done\n'
