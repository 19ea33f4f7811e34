"""The wrong-account refusal, exercised (issue 16): credentials that answer as another account make ``terraform apply``
with the staging stack's provider and backend fail before any resource is created (the provider's
``allowed_account_ids``).

Independent of the deploy group: an emulator of its own (moto on another loopback port) answering as an account that
is neither staging's nor production's (``MOTO_ACCOUNT_ID``), and a copy of the session's synth. The copy keeps the
stack's ``terraform`` and ``provider`` blocks byte for byte and one resource of its own: Terraform configures the
provider (where the account check is) before it plans any resource or reads any data source, so the other ~430 would
only cost the run the time to decode and validate them (about 5 CPU-seconds), not change where it stops."""

from __future__ import annotations

import json

from tests.conftest import DEPLOYED
from tooling import terraform
from tooling.emulator import MotoServer

OTHER_ACCOUNT = "999999999999"


def test_apply_with_another_accounts_credentials_fails_before_anything_is_created(synth_dir, environments,
                                                                                   tmp_path):
    env = environments[DEPLOYED]
    assert OTHER_ACCOUNT not in {e.account_id for e in environments.values()}
    stack_dir = terraform.copy_stack(synth_dir / "stacks" / DEPLOYED, tmp_path / DEPLOYED)
    stack = json.loads((stack_dir / "cdk.tf.json").read_text())
    assert stack["provider"]["aws"][0]["allowed_account_ids"] == [env.account_id]
    vpc = next(iter(stack["resource"]["aws_vpc"].values()))
    (stack_dir / "cdk.tf.json").write_text(json.dumps({
        "terraform": stack["terraform"], "provider": stack["provider"],
        "resource": {"aws_vpc": {"probe": {"cidr_block": vpc["cidr_block"], "tags": vpc["tags"]}}}}))
    with MotoServer(log_file=tmp_path / "moto.log", account_id=OTHER_ACCOUNT) as aws:
        aws.prepare(stack_dir, env.region)  # the state bucket, its key and the DNS zone exist, as in that account
        bootstrap_keys = aws.client("kms", env.region).list_keys()["Keys"]  # the state's key (the bootstrap's)
        tf_env = dict(aws.environment(), TF_CLI_CONFIG_FILE=str(terraform.mirror_cli_config(tmp_path / "cli.tfrc")))
        assert aws.client("sts", env.region).get_caller_identity()["Account"] == OTHER_ACCOUNT
        terraform.run(["init", "-input=false"], stack_dir, env=tf_env)
        result = terraform.run(["apply", "-input=false", "-auto-approve"], stack_dir, env=tf_env, ok=(1,))
        output = result.stdout + result.stderr
        assert f"AWS account ID not allowed: {OTHER_ACCOUNT}" in output, output[-3000:]
        assert "Creating..." not in output and "Creation complete" not in output

        # Nothing exists in the emulator but what the test put there and what every region has by default.
        ec2 = aws.client("ec2", env.region)
        assert [v["IsDefault"] for v in ec2.describe_vpcs()["Vpcs"]] == [True]
        assert aws.client("kms", env.region).list_keys()["Keys"] == bootstrap_keys
        assert aws.client("eks", env.region).list_clusters()["clusters"] == []
        assert aws.client("rds", env.region).describe_db_instances()["DBInstances"] == []
        assert aws.client("sns", env.region).list_topics()["Topics"] == []
        assert not [r for r in aws.client("iam", env.region).list_roles()["Roles"] if not r["Path"].startswith("/aws-")]
        # ... and the state, if Terraform wrote one at all, holds no resource.
        backend = stack["terraform"]["backend"]["s3"]
        s3 = aws.client("s3", env.region)
        objects = s3.list_objects_v2(Bucket=backend["bucket"]).get("Contents", [])
        for item in objects:
            if item["Key"] == backend["key"]:
                state = json.loads(s3.get_object(Bucket=backend["bucket"], Key=item["Key"])["Body"].read())
                assert state.get("resources", []) == [], state
