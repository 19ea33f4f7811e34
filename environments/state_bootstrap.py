"""What the bootstrap makes by hand for an environment's Terraform state, rendered from the environment files so that
the runbook's commands and the tests read the same thing (docs/runbooks/bootstrap.md, step 2).

The state bucket and its KMS key exist before the first deploy (they hold what it creates), so no stack makes them.
What they must say is code here:

- :func:`state_bucket_policy`: the bucket policy. TLS only; no object encrypted other than with KMS; per environment
  whose state is in the bucket, its deploy role may touch no object but its own state objects (the AWS stack's and
  the workloads stack's keys, each with its ``.tflock``) and never the bucket's settings, its traffic role nothing
  in the bucket at all. The roles are named by ``aws:PrincipalArn`` conditions, not as principals: a bucket policy
  that names a principal which does not exist yet is refused by S3, and the roles are made by the first deploy,
  after the bucket. The denies hold whatever the roles' own policies say (``CiIdentity`` scopes those alike).
- :func:`state_key_policy`: the policy of the environment's state key (``alias/vtc-<E>-terraform-state``). The
  account keeps administration (IAM policies grant its use); the CI roles of every other environment may not use it.
- :func:`bootstrap_variables`: the bucket, region, key alias and account the runbook's shell commands use.

Usage (the runbook's commands)::

    eval "$(python -m environments.state_bootstrap variables staging)"   # ACCOUNT REGION BUCKET KMS_ALIAS
    python -m environments.state_bootstrap bucket-policy staging > bucket-policy.json
    python -m environments.state_bootstrap key-policy staging > key-policy.json
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import Sequence

from vtc_constructs.aws_rules import partition_of
from vtc_constructs.ci_identity import (
    OBJECT_ACTIONS,
    STATE_BUCKET_SETTINGS,
    deploy_role_name,
    state_object_arns,
    traffic_role_name,
)
from vtc_constructs.errors import ConfigError

from .cli import parsed
from .model import EnvironmentConfig, load_environments

#: What an environment's CI roles may not do with another environment's state key.
STATE_KEY_USE_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:CreateGrant")


def _partition(env: EnvironmentConfig) -> str:
    return partition_of(env.state.region) or "aws"


def _role_arn(env: EnvironmentConfig, role: str) -> str:
    return f"arn:{_partition(env)}:iam::{env.account_id}:role/{role}"


def sharing_the_bucket(env: EnvironmentConfig, envs: Sequence[EnvironmentConfig]) -> list[EnvironmentConfig]:
    """Every environment of ``envs`` whose state is in ``env``'s bucket (``env`` included), by name: environments of
    one account may share its bucket, each under its own keys."""
    return sorted((e for e in envs if e.state.bucket == env.state.bucket), key=lambda e: e.name)


def state_bucket_policy(env: EnvironmentConfig, envs: Sequence[EnvironmentConfig]) -> dict:
    """The bucket policy of ``env``'s state bucket, for every environment of ``envs`` whose state it holds."""
    partition, bucket = _partition(env), env.state.bucket
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    statements: list[dict] = [
        {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [bucket_arn, f"{bucket_arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        # An object written with another algorithm (AES256, DSSE) is refused; without the header the bucket's
        # default (the KMS key) applies. Ref: https://docs.aws.amazon.com/AmazonS3/latest/userguide/
        # specifying-kms-encryption.html
        {"Sid": "KmsEncryptionOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": f"{bucket_arn}/*",
         "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
    ]
    for other in sharing_the_bucket(env, envs):
        name, label = other.resource_prefix, "".join(part.capitalize() for part in other.name.split("-"))
        deploy = {"ArnEquals": {"aws:PrincipalArn": _role_arn(other, deploy_role_name(name))}}
        statements += [
            {"Sid": f"{label}DeployRoleOnlyItsStateObjects", "Effect": "Deny", "Principal": "*",
             "Action": list(OBJECT_ACTIONS),
             "NotResource": state_object_arns(partition, bucket, (other.state.key, other.workloads_state_key)),
             "Condition": deploy},
            {"Sid": f"{label}DeployRoleNeverTheBucketsSettings", "Effect": "Deny", "Principal": "*",
             "Action": list(STATE_BUCKET_SETTINGS), "Resource": bucket_arn, "Condition": deploy},
            {"Sid": f"{label}TrafficRoleNoState", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [bucket_arn, f"{bucket_arn}/*"],
             "Condition": {"ArnEquals": {"aws:PrincipalArn": _role_arn(other, traffic_role_name(name))}}},
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def state_key_policy(env: EnvironmentConfig, envs: Sequence[EnvironmentConfig]) -> dict:
    """The key policy of ``env``'s state key: the account administers it (IAM policies grant its use, as the deploy
    role's does); the CI roles of the other environments of the account may not use it."""
    partition = _partition(env)
    others = sorted(_role_arn(e, role(e.resource_prefix)) for e in envs
                    if e.account_id == env.account_id and e.name != env.name
                    for role in (deploy_role_name, traffic_role_name))
    statements: list[dict] = [
        # Ref: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
        {"Sid": "AccountAdministration", "Effect": "Allow",
         "Principal": {"AWS": f"arn:{partition}:iam::{env.account_id}:root"}, "Action": "kms:*", "Resource": "*"},
    ]
    if others:
        statements.append({"Sid": "NotTheOtherEnvironmentsCiRoles", "Effect": "Deny", "Principal": "*",
                           "Action": list(STATE_KEY_USE_ACTIONS), "Resource": "*",
                           "Condition": {"ArnEquals": {"aws:PrincipalArn": others}}})
    return {"Version": "2012-10-17", "Statement": statements}


def bootstrap_variables(env: EnvironmentConfig) -> dict[str, str]:
    """The shell variables of the runbook's commands for ``env``."""
    return {"ACCOUNT": env.account_id, "REGION": env.state.region, "BUCKET": env.state.bucket,
            "KMS_ALIAS": env.state.kms_key_id}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m environments.state_bootstrap", description=__doc__.split("\n\n")[0],
        epilog="Exit status: 0 printed; 1 usage error (an unknown environment) or an environment file with problems "
               "(each listed), nothing printed on standard output.")
    parser.add_argument("what", choices=("variables", "bucket-policy", "key-policy"),
                        help="the runbook's shell variables (ACCOUNT REGION BUCKET KMS_ALIAS), or a policy as JSON")
    parser.add_argument("environment", help="the environment (environments/<environment>.toml)")
    args = parsed(parser, argv)
    if isinstance(args, int):
        return args
    try:
        envs = load_environments()
    except ConfigError as error:
        print(f"state_bootstrap: {error}", file=sys.stderr)
        return 1
    by_name = {e.name: e for e in envs}
    if args.environment not in by_name:
        print(f"{parser.prog}: error: no environment named {args.environment!r} (known: "
              f"{', '.join(sorted(by_name))})", file=sys.stderr)
        return 1
    env = by_name[args.environment]
    if args.what == "variables":
        print("\n".join(f"{k}={shlex.quote(v)}" for k, v in bootstrap_variables(env).items()))
    else:
        render = state_bucket_policy if args.what == "bucket-policy" else state_key_policy
        print(json.dumps(render(env, envs), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
