"""The state's bootstrap (environments/state_bootstrap.py): the bucket and key policies the runbook applies, rendered
from the environment files (issue 26: state per account, a bucket policy per deploy role and prefix)."""

from __future__ import annotations

import dataclasses
import json

from environments.state_bootstrap import main, state_bucket_policy, state_key_policy
from tooling.paths import REPO

STAGING_BUCKET = "arn:aws:s3:::vtc-terraform-state-111111111111-eu-west-1"


def by_sid(policy: dict) -> dict[str, dict]:
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(sids) == len(set(sids)), sids
    return {s["Sid"]: s for s in policy["Statement"]}


def test_the_state_bucket_lets_each_deploy_role_touch_only_its_own_state_objects(environments):
    envs = list(environments.values())
    policy = by_sid(state_bucket_policy(environments["staging"], envs))
    # Production's state is in production's account: its roles are not named in staging's bucket at all.
    assert set(policy) == {"TlsOnly", "KmsEncryptionOnly", "StagingDeployRoleOnlyItsStateObjects",
                           "StagingDeployRoleNeverTheBucketsSettings", "StagingTrafficRoleNoState"}
    assert policy["TlsOnly"] == {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                 "Resource": [STAGING_BUCKET, f"{STAGING_BUCKET}/*"],
                                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    assert policy["KmsEncryptionOnly"]["Condition"] == {
        "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}}
    deploy = {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111111111111:role/vtc-staging-ci-deploy"}}
    objects = policy["StagingDeployRoleOnlyItsStateObjects"]
    # Written out: every object action denied outside exactly the two state objects and their lock files.
    assert (objects["Effect"], objects["Principal"], objects["Condition"]) == ("Deny", "*", deploy)
    assert objects["Action"] == ["s3:GetObject*", "s3:PutObject*", "s3:DeleteObject*", "s3:RestoreObject",
                                 "s3:ReplicateObject"]
    assert objects["NotResource"] == [f"{STAGING_BUCKET}/vtc/staging/{name}" for name in (
        "terraform.tfstate", "terraform.tfstate.tflock", "terraform-workloads.tfstate",
        "terraform-workloads.tfstate.tflock")]
    settings = policy["StagingDeployRoleNeverTheBucketsSettings"]
    assert (settings["Effect"], settings["Resource"], settings["Condition"]) == ("Deny", STAGING_BUCKET, deploy)
    assert {"s3:PutBucketPolicy", "s3:DeleteBucket", "s3:PutEncryptionConfiguration"} <= set(settings["Action"])
    traffic = policy["StagingTrafficRoleNoState"]
    assert (traffic["Effect"], traffic["Action"], traffic["Condition"]) == ("Deny", "s3:*", {"ArnEquals": {
        "aws:PrincipalArn": "arn:aws:iam::111111111111:role/vtc-staging-ci-traffic"}})
    # Nothing is allowed here: use is the roles' own (CiIdentity); the bucket policy only takes away.
    assert {s["Effect"] for s in policy.values()} == {"Deny"}


def test_environments_of_one_account_share_its_bucket_each_under_its_own_keys_and_key(environments):
    staging = environments["staging"]
    production = dataclasses.replace(environments["production"], account_id=staging.account_id,
                                     state=dataclasses.replace(environments["production"].state,
                                                               bucket=staging.state.bucket))
    envs = [staging, production]
    policy = by_sid(state_bucket_policy(staging, envs))
    assert policy == by_sid(state_bucket_policy(production, envs))  # one bucket, one policy
    assert {f"{s}DeployRoleOnlyItsStateObjects" for s in ("Staging", "Production")} <= set(policy)
    assert all("vtc/production/" in arn for arn in policy["ProductionDeployRoleOnlyItsStateObjects"]["NotResource"])
    # Each environment's key: the account administers it, the other environment's CI roles may not use it.
    key = by_sid(state_key_policy(staging, envs))
    assert key["AccountAdministration"]["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}
    assert key["NotTheOtherEnvironmentsCiRoles"]["Condition"] == {"ArnEquals": {"aws:PrincipalArn": [
        "arn:aws:iam::111111111111:role/vtc-production-ci-deploy",
        "arn:aws:iam::111111111111:role/vtc-production-ci-traffic"]}}
    assert "kms:Decrypt" in key["NotTheOtherEnvironmentsCiRoles"]["Action"]
    # In accounts of their own, nobody else is there to refuse.
    assert set(by_sid(state_key_policy(staging, list(environments.values())))) == {"AccountAdministration"}


def test_the_runbook_applies_what_the_code_renders(capsys, environments):
    assert main(["variables", "staging"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "ACCOUNT=111111111111", "REGION=eu-west-1", "BUCKET=vtc-terraform-state-111111111111-eu-west-1",
        "KMS_ALIAS=alias/vtc-staging-terraform-state"]
    assert main(["bucket-policy", "staging"]) == 0
    assert json.loads(capsys.readouterr().out) == state_bucket_policy(environments["staging"],
                                                                      list(environments.values()))
    runbook = (REPO / "docs" / "runbooks" / "bootstrap.md").read_text(encoding="utf-8")
    for command in ("python -m environments.state_bootstrap variables", "python -m environments.state_bootstrap "
                    "bucket-policy", "python -m environments.state_bootstrap key-policy", "--policy file://",
                    "terraform init -migrate-state", 'create-alias --region "$REGION" --alias-name "$KMS_ALIAS"'):
        assert command in runbook, command


def test_the_bucket_policy_and_the_deploy_roles_own_policy_name_the_same_state_objects(environments, stacks):
    """Both sides of the deploy role's state access agree: what its IAM policy allows (CiIdentity, synthesized) is
    exactly what the bucket policy leaves it, for every environment."""
    envs = list(environments.values())
    for name, env in environments.items():
        [allowed] = [s["resources"] for d in stacks[name]["data"]["aws_iam_policy_document"].values()
                     for s in d.get("statement", []) if s.get("sid") == "ThisEnvironmentsStateObjects"]
        allowed = [arn.replace("${data.aws_partition.account-partition.partition}", "aws") for arn in allowed]
        policy = by_sid(state_bucket_policy(env, envs))
        assert policy[f"{name.capitalize()}DeployRoleOnlyItsStateObjects"]["NotResource"] == allowed, name


def test_a_usage_error_exits_1_as_for_the_other_commands_and_the_help_says_so(capsys):
    assert main([]) == 1 and "required: what, environment" in capsys.readouterr().err
    assert main(["variables", "nowhere"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "no environment named 'nowhere' (known: production, staging)" in captured.err
    assert main(["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "so that the runbook's commands and the tests read the same thing" in text
    assert "Exit status: 0 printed; 1 usage error" in text


def test_an_environment_file_with_problems_is_listed_and_exit_1(monkeypatch, capsys):
    import environments.state_bootstrap as bootstrap
    from vtc_constructs.errors import ConfigError, Problem

    def load_environments():
        raise ConfigError([Problem("staging.account_id", "12345", "12 digits", "give the account's ID")])

    monkeypatch.setattr(bootstrap, "load_environments", load_environments)
    assert main(["variables", "staging"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "staging.account_id" in captured.err and "Traceback" not in captured.err
