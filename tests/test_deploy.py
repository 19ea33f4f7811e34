"""A real deploy: ``cdktf deploy staging`` into a local AWS emulator, offline, then read back from the emulator.

The deploy itself is the session fixture ``deployed`` (tests/conftest.py): the CLI as a user runs it, the stack as
synthesized, plus only the emulator override (tooling/emulator.py: each emulator shortcoming with the attribute it
masks and why). The emulator is thrown away at the end of the session, so nothing is destroyed here (the demo,
scripts/demo.sh, destroys and checks that nothing is left).
"""

from __future__ import annotations

import io
import ipaddress
import json
import os
import re

import pytest

from tooling.emulator import EMULATOR_OUTPUTS, EMULATOR_SETTINGS, EMULATOR_TIMEOUTS, MASKS, OVERRIDE_FILE, SLOW_IN_THE_EMULATOR, UNSUPPORTED

pytestmark = pytest.mark.deploy


# --- the deploy itself: offline, through the CLI, and converged -------------------------------------------------------

def test_the_first_cdktf_deploy_ran_offline_from_the_placed_lock_file(deployed):
    # The lock file main.py places after a synth (environments/provider_lock.py; here `prepare` placed it in the copy
    # of the session's synth): cdktf skipped its registry-only `terraform providers lock` and Terraform installed the
    # provider from the mirror, checking the lock file's hash.
    assert "Could not retrieve providers for locking" not in deployed.deploy_log
    lock = (deployed.stack_dir / ".terraform.lock.hcl").read_text()
    assert 'version     = "5.100.0"' in lock and '"h1:' in lock
    assert list((deployed.stack_dir / ".terraform" / "providers").glob("*/hashicorp/aws/5.100.0/linux_amd64"))
    log = " ".join(deployed.deploy_log.split())
    assert "Reusing previous version of hashicorp/aws from the dependency lock file" in log
    assert "Apply complete!" in log


def test_the_emulator_override_holds_only_the_listed_shortcomings(deployed):
    override = json.loads((deployed.stack_dir / OVERRIDE_FILE).read_text())
    assert set(override) <= {"resource", "output"}
    for name, entry in override.get("output", {}).items():  # only outputs of an attribute moto leaves null
        value = deployed.stack["output"][name]["value"]
        (kind, attribute), (instead, _) = next(((k, a), v) for (k, a), v in EMULATOR_OUTPUTS.items()
                                               if value.startswith(f"${{{k}.") and value.endswith(f".{a}}}"))
        assert entry == {"value": value.replace(f".{attribute}}}", f".{instead}}}")}
    used_masks = set()
    for kind, resources in override["resource"].items():
        for name, entry in resources.items():
            config = deployed.stack["resource"][kind][name]
            for key, value in entry.items():
                if key == "count":
                    assert kind in UNSUPPORTED and value == 0
                elif key == "lifecycle":
                    assert set(value) == {"ignore_changes"}
                    own = config.get("lifecycle", {}).get("ignore_changes", [])
                    masks = [m for m in MASKS if m.resource_type == kind and m.applies_to(config)]
                    assert value["ignore_changes"] == own + [a for m in masks for a in m.attributes if a not in own]
                    used_masks.update(masks)
                elif key == "timeouts":
                    assert value == EMULATOR_TIMEOUTS[kind][0] and "timeouts" not in config, (kind, key)
                elif key in EMULATOR_SETTINGS.get(kind, {}):
                    assert value == EMULATOR_SETTINGS[kind][key][0] != config[key], (kind, key)
                else:
                    assert key in SLOW_IN_THE_EMULATOR.get(kind, {}) and value is None, (kind, key)
    assert used_masks == set(MASKS), "a mask that matches nothing in the stack: remove it from MASKS"
    # The stack itself keeps what the emulator leaves out.
    (db,) = deployed.stack["resource"]["aws_db_instance"].values()
    assert db["ca_cert_identifier"].startswith("rds-ca-")


def _vpc(deployed):
    ec2 = deployed.aws.client("ec2", deployed.env.region)
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": [deployed.env.network.vpc_cidr]}])["Vpcs"]
    return ec2, vpc


def test_vpc_created_with_dns_and_tags(deployed):
    ec2, vpc = _vpc(deployed)
    tags = {t["Key"]: t["Value"] for t in vpc.get("Tags", [])}
    assert tags["Name"] == "vtc-staging-vpc"
    assert tags["environment"] == "staging" and tags["managed-by"] == "cdktf"  # provider default tags
    for attribute in ("enableDnsSupport", "enableDnsHostnames"):
        key = attribute[0].upper() + attribute[1:]
        assert ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute=attribute)[key]["Value"] is True


def test_nine_subnets_across_three_azs_inside_the_vpc(deployed):
    ec2, vpc = _vpc(deployed)
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    assert len(subnets) == 9
    assert {s["AvailabilityZone"] for s in subnets} == set(deployed.env.network.availability_zones)
    network = ipaddress.IPv4Network(vpc["CidrBlock"])
    assert all(ipaddress.IPv4Network(s["CidrBlock"]).subnet_of(network) for s in subnets)
    tiers = {}
    for subnet in subnets:
        tags = {t["Key"]: t["Value"] for t in subnet.get("Tags", [])}
        tiers.setdefault(tags["vtc/tier"], []).append(subnet)
    assert {tier: len(items) for tier, items in tiers.items()} == {"public": 3, "private": 3, "database": 3}


def test_staging_has_one_nat_gateway_in_a_public_subnet(deployed):
    ec2, vpc = _vpc(deployed)
    nats = [n for n in ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["NatGateways"]
            if n["State"] != "deleted"]
    assert len(nats) == 1
    (subnet,) = ec2.describe_subnets(SubnetIds=[nats[0]["SubnetId"]])["Subnets"]
    assert {"Key": "vtc/tier", "Value": "public"} in subnet["Tags"]
    assert nats[0]["NatGatewayAddresses"][0]["PublicIp"] in deployed.outputs


def test_flow_log_captures_all_traffic_into_the_log_group(deployed):
    ec2, vpc = _vpc(deployed)
    (flow,) = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}])["FlowLogs"]
    assert flow["TrafficType"] == "ALL"
    assert flow["LogDestinationType"] == "cloud-watch-logs"
    assert flow["LogDestination"].split(":log-group:")[1].rstrip(":*") == "/vtc/vtc-staging/vpc-flow-logs"
    logs = deployed.aws.client("logs", deployed.env.region)
    (group,) = logs.describe_log_groups(logGroupNamePrefix="/vtc/vtc-staging/vpc-flow-logs")["logGroups"]
    assert group["retentionInDays"] == 90
    assert group["kmsKeyId"].startswith("arn:aws:kms:")


def test_outputs_carry_the_created_ids(deployed):
    ec2, vpc = _vpc(deployed)
    assert vpc["VpcId"] in deployed.outputs


# --- EKS ----------------------------------------------------------------------------------------------------------------

def test_only_what_the_emulator_cannot_serve_was_turned_off_and_everything_else_was_created(deployed):
    skipped_types = {address.split(".")[0] for address in deployed.skipped}
    assert skipped_types == set(UNSUPPORTED) & set(deployed.stack["resource"])
    expected = {f"{kind}.{name}" for kind, resources in deployed.stack["resource"].items()
                for name in resources} - set(deployed.skipped)
    assert set(deployed.resources()) == expected


def test_cluster_is_active_private_and_encrypted(deployed):
    eks = deployed.aws.client("eks", deployed.env.region)
    cluster = eks.describe_cluster(name="vtc-staging")["cluster"]
    assert cluster["status"] == "ACTIVE"
    assert cluster["version"] == deployed.env.eks.kubernetes_version
    assert cluster["resourcesVpcConfig"]["endpointPublicAccess"] is False
    assert cluster["resourcesVpcConfig"]["endpointPrivateAccess"] is True
    assert cluster["encryptionConfig"][0]["resources"] == ["secrets"]
    assert sorted(cluster["logging"]["clusterLogging"][0]["types"]) == sorted(
        deployed.env.eks.control_plane_log_types)
    issuer = cluster["identity"]["oidc"]["issuer"]
    iam = deployed.aws.client("iam", deployed.env.region)
    urls = [iam.get_open_id_connect_provider(OpenIDConnectProviderArn=p["Arn"])["Url"]
            for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert issuer.removeprefix("https://") in urls


def test_node_group_runs_in_private_subnets_from_an_imdsv2_launch_template(deployed):
    aws, env = deployed.aws, deployed.env
    eks = aws.client("eks", env.region)
    (name,) = eks.list_nodegroups(clusterName="vtc-staging")["nodegroups"]
    group = eks.describe_nodegroup(clusterName="vtc-staging", nodegroupName=name)["nodegroup"]
    general = env.eks.node_groups[0]
    assert group["scalingConfig"] == {"minSize": general.min_size, "maxSize": general.max_size,
                                      "desiredSize": general.desired_size}
    assert group["capacityType"] == general.capacity_type.value
    ec2 = aws.client("ec2", env.region)
    tiers = {s["SubnetId"]: {t["Key"]: t["Value"] for t in s["Tags"]}["vtc/tier"]
             for s in ec2.describe_subnets(SubnetIds=group["subnets"])["Subnets"]}
    assert set(tiers.values()) == {"private"}
    template = ec2.describe_launch_template_versions(LaunchTemplateId=group["launchTemplate"]["id"])
    data = template["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True


# --- database -----------------------------------------------------------------------------------------------------------

def test_database_is_encrypted_private_and_its_password_never_reaches_the_state(deployed):
    aws, env = deployed.aws, deployed.env
    (db,) = aws.client("rds", env.region).describe_db_instances(
        DBInstanceIdentifier="vtc-staging-postgres")["DBInstances"]
    assert (db["Engine"], db["EngineVersion"]) == ("postgres", env.database.engine_version)
    assert db["StorageEncrypted"] is True and db["PubliclyAccessible"] is False
    assert db["MultiAZ"] is env.database.multi_az
    assert db["IAMDatabaseAuthenticationEnabled"] is True
    secret_arn = db["MasterUserSecret"]["SecretArn"]
    assert secret_arn in deployed.outputs
    secret = json.loads(aws.client("secretsmanager", env.region).get_secret_value(SecretId=secret_arn)["SecretString"])
    state = json.dumps(deployed.pull_state())  # as the backend stores it (S3, in the emulator)
    assert "vtc-staging-postgres" in state
    assert secret["password"] and secret["password"] not in state


#: Keys of a JSON secret that name where or who, not a secret: the state may hold them (the database's master user
#: name, its host and port are resource attributes).
NOT_SECRET_KEYS = frozenset({"username", "user", "engine", "host", "port", "dbname", "dbInstanceIdentifier"})


def _secret_values(text: str) -> list[str]:
    """The secret parts of a secret's value: each string or number of a JSON object but those of
    :data:`NOT_SECRET_KEYS`, or the whole value when it is not a JSON object."""
    try:
        document = json.loads(text)
    except ValueError:
        return [text]
    if not isinstance(document, dict):
        return [text]
    return [str(v) for k, v in document.items() if k not in NOT_SECRET_KEYS and isinstance(v, (str, int, float))
            and not isinstance(v, bool)] + [text]


def _leaks(state: dict, values) -> list[str]:
    """Which of ``values`` the state holds anywhere (as JSON: every attribute, output and dependency), not repeated."""
    text = json.dumps(state)
    return [f"<{len(v)} characters>" for v in values if v and v in text]


def test_no_secret_value_the_deploy_created_is_anywhere_in_the_state(deployed):
    """Issue 26: every secret value in the emulator after the deploy (each Secrets Manager secret's current value,
    each SSM SecureString) is absent from the state as the backend stores it. Grafana's admin secret exists with no
    value at all (the cluster generates it and pushes it there: charts/vtc-cluster-config), and nothing in the state
    reads or generates a secret (no secret version, no random password, no parameter or secret data source: the
    PagerDuty URL is subscribed by environments/paging.py)."""
    aws, env = deployed.aws, deployed.env
    state = deployed.pull_state()
    assert _leaks({"x": "a-canary-value"}, ["a-canary-value"]) == ["<14 characters>"]  # the scan can fail
    secretsmanager, ssm = aws.client("secretsmanager", env.region), aws.client("ssm", env.region)
    values, names, empty = [], [], []
    for page in secretsmanager.get_paginator("list_secrets").paginate():
        for secret in page["SecretList"]:
            names.append(secret["Name"])
            try:
                current = secretsmanager.get_secret_value(SecretId=secret["ARN"])
            except secretsmanager.exceptions.ResourceNotFoundException:  # no version: nothing to leak
                empty.append(secret["Name"])
                continue
            values += _secret_values(current.get("SecretString") or current["SecretBinary"].decode("latin-1"))
    for page in ssm.get_paginator("describe_parameters").paginate(
            ParameterFilters=[{"Key": "Type", "Values": ["SecureString"]}]):
        for parameter in page["Parameters"]:
            values.append(ssm.get_parameter(Name=parameter["Name"], WithDecryption=True)["Parameter"]["Value"])
    assert len(values) >= 2, names  # at least the database's master password (and its JSON)
    assert _leaks(state, values) == []
    grafana = f"vtc-{env.name}/grafana-admin"
    assert grafana in names and grafana in empty, "Terraform writes no value into Grafana's secret"
    tags = secretsmanager.describe_secret(SecretId=grafana)["Tags"]
    assert {"Key": "managed-by", "Value": "external-secrets"} in tags  # so the cluster's PushSecret may write it
    kinds = {(r["mode"], r["type"]) for r in state["resources"]}
    assert not kinds & {("managed", "aws_secretsmanager_secret_version"),
                        ("data", "aws_secretsmanager_random_password"),
                        ("data", "aws_secretsmanager_secret_version"), ("data", "aws_ssm_parameter")}, kinds


def test_bootstrap_function_exists_in_the_vpc_and_only_its_invocation_was_skipped(deployed):
    aws, env = deployed.aws, deployed.env
    function = aws.client("lambda", env.region).get_function(FunctionName="vtc-staging-pgvector-bootstrap")
    assert function["Configuration"]["VpcConfig"]["SubnetIds"]
    assert [a for a in deployed.skipped if a.startswith("aws_lambda_")] == [
        a for a in deployed.skipped if a.startswith("aws_lambda_invocation.")]


# --- cache ------------------------------------------------------------------------------------------------------------

def test_cache_is_valkey_in_the_private_subnets_with_tls_and_its_users_sign_in_with_iam_only(deployed):
    aws, env = deployed.aws, deployed.env
    elasticache = aws.client("elasticache", env.region)
    (group,) = elasticache.describe_replication_groups(ReplicationGroupId="vtc-staging-cache")["ReplicationGroups"]
    assert group["Status"] == "available" and group["TransitEncryptionEnabled"] is True
    assert group["CacheNodeType"] == env.cache.node_type == "cache.t4g.medium"
    assert group["SnapshotRetentionLimit"] == env.cache.snapshot_retention_days
    # moto reports neither the KMS key nor at-rest encryption (MASKS): the state keeps the key the apply sent.
    (applied,) = [r for r in deployed.state["resources"] if r["type"] == "aws_elasticache_replication_group"]
    assert applied["instances"][0]["attributes"]["kms_key_id"].startswith("arn:aws:kms:")
    ec2, vpc = _vpc(deployed)
    (subnet_group,) = elasticache.describe_cache_subnet_groups(CacheSubnetGroupName="vtc-staging-cache")[
        "CacheSubnetGroups"]
    subnet_ids = [s["SubnetIdentifier"] for s in subnet_group["Subnets"]]
    tiers = {{t["Key"]: t["Value"] for t in s["Tags"]}["vtc/tier"]
             for s in ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]}
    assert subnet_group["VpcId"] == vpc["VpcId"] and tiers == {"private"} and len(subnet_ids) == 3
    users = {u["UserName"]: u for u in elasticache.describe_users()["Users"] if u["UserId"].startswith("vtc-staging")}
    assert users["default"]["AccessString"] == "off -@all"
    assert users["vtc-staging-cache-services"]["Authentication"]["Type"] == "iam"
    logs = aws.client("logs", env.region)
    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/elasticache/vtc-staging-cache/")["logGroups"]
    assert {g["retentionInDays"] for g in groups} == {90} and all(g.get("kmsKeyId") for g in groups)


# --- search -----------------------------------------------------------------------------------------------------------

def test_search_domain_is_private_encrypted_https_only_and_iam_only(deployed):
    aws, env = deployed.aws, deployed.env
    opensearch = aws.client("opensearch", env.region)
    domain = opensearch.describe_domain(DomainName="vtc-staging-search")["DomainStatus"]
    assert domain["EngineVersion"] == env.search.engine_version
    assert domain["ClusterConfig"]["InstanceCount"] == 1 and domain["ClusterConfig"]["ZoneAwarenessEnabled"] is False
    assert domain["EncryptionAtRestOptions"]["Enabled"] is True
    assert domain["EncryptionAtRestOptions"]["KmsKeyId"].startswith("arn:aws:kms:")
    assert domain["NodeToNodeEncryptionOptions"]["Enabled"] is True
    assert domain["DomainEndpointOptions"]["EnforceHTTPS"] is True
    assert domain["DomainEndpointOptions"]["TLSSecurityPolicy"] == "Policy-Min-TLS-1-2-PFS-2023-10"
    security = domain["AdvancedSecurityOptions"]
    assert security["Enabled"] is True and security["InternalUserDatabaseEnabled"] is False
    ec2, vpc = _vpc(deployed)
    (subnet,) = ec2.describe_subnets(SubnetIds=domain["VPCOptions"]["SubnetIds"])["Subnets"]
    assert subnet["VpcId"] == vpc["VpcId"] and {"Key": "vtc/tier", "Value": "private"} in subnet["Tags"]
    # The access policy admits exactly the master (the setup Job's), Fluent Bit's and Jaeger's roles.
    policy = json.loads(domain["AccessPolicies"])
    principals = {p for statement in policy["Statement"] for p in statement["Principal"]["AWS"]}
    iam = aws.client("iam", env.region)
    roles = {r["Arn"]: r["RoleName"] for r in iam.list_roles()["Roles"]}
    # (name_prefix: Terraform adds a 26-character unique suffix)
    assert sorted(re.sub(r"-[0-9a-f]{26}$", "", roles[p]) for p in principals) == [
        "vtc-staging-fluent-bit-role", "vtc-staging-jaeger-role", "vtc-staging-search-admin-role"]


# --- registry -----------------------------------------------------------------------------------------------------------

def test_registry_has_a_repository_per_service_immutable_scanned_kms_and_its_policies(deployed):
    aws, env = deployed.aws, deployed.env
    ecr = aws.client("ecr", env.region)
    prefix = env.workloads.image_repository.split("/", 1)[1]
    repositories = {r["repositoryName"]: r for r in ecr.describe_repositories()["repositories"]}
    assert sorted(repositories) == sorted(f"{prefix}/{s}" for s in ("business", "core", "swarm", "development"))
    for name, repository in repositories.items():
        assert repository["imageTagMutability"] == "IMMUTABLE"
        assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repository["encryptionConfiguration"]["encryptionType"] == "KMS"
        assert repository["encryptionConfiguration"]["kmsKey"].startswith(f"arn:aws:kms:{env.region}:")
        [rule] = json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])["rules"]
        assert rule["selection"]["tagStatus"] == "untagged"
        statements = json.loads(ecr.get_repository_policy(repositoryName=name)["policyText"])["Statement"]
        assert {(s["Sid"], s["Effect"]) for s in statements} == {("PullsByTheNodesOnly", "Deny"),
                                                                 ("PushesByTheImageBuildRoleOnly", "Deny")}
    outputs = json.loads(deployed.outputs)
    role = outputs["registry_push_role_arn"]["value"]
    assert role.endswith(":role/vtc-staging-image-push")
    assert sorted(outputs["registry_repository_urls"]["value"].values()) == sorted(
        f"{env.account_id}.dkr.ecr.{env.region}.amazonaws.com/{name}" for name in repositories)


# --- edge: blue/green ---------------------------------------------------------------------------------------------------

def _listener_address(deployed) -> str:
    (name,) = [name for name, config in deployed.stack["resource"]["aws_lb_listener"].items() if config["port"] == 443]
    return f"aws_lb_listener.{name}"


def _weights_in_state(listener: dict) -> dict[str, int]:
    """``{target group ARN: weight}`` of a listener's forward action, as Terraform recorded it."""
    groups = listener["default_action"][0]["forward"][0]["target_group"]
    return {group["arn"]: group["weight"] for group in groups}


def _colour_arns(deployed) -> dict[str, str]:
    initial = deployed.resources()
    return {initial[f"aws_lb_target_group.{name}"]["tags"]["vtc/colour"]: initial[f"aws_lb_target_group.{name}"]["arn"]
            for name in deployed.stack["resource"]["aws_lb_target_group"]}


def _weights(deployed) -> dict[str, int]:
    """``{colour: weight}`` as the emulator's listener forwards now."""
    arns = {arn: colour for colour, arn in _colour_arns(deployed).items()}
    listener_arn = deployed.resources()[_listener_address(deployed)]["arn"]
    elb = deployed.aws.client("elbv2", deployed.env.region)
    (listener,) = elb.describe_listeners(ListenerArns=[listener_arn])["Listeners"]
    return {arns[g["TargetGroupArn"]]: g["Weight"] for g in listener["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]}


def _rollout(deployed, *args: str, background: bool = False):
    from tests.conftest import run_rollout

    result = run_rollout(deployed.terraform_env, *args, background=background)
    if not background:
        print(result.stdout + result.stderr)
    return result


def _all_on(deployed, colour: str) -> None:
    """Each test starts from a known place: all traffic on ``colour``, no release unfinished: a rollback, called in
    this process (the command line itself is what the tests then run)."""
    from environments.rollout import main

    clients = {name: deployed.aws.client(name, deployed.env.region) for name in ("cloudwatch", "elbv2", "ssm", "sts")}
    assert main(["rollback", "staging", "--to", colour, "--reason", "test set-up"], clients=clients,
                out=io.StringIO()) == 0
    assert _weights(deployed) == {colour: 100, "blue" if colour == "green" else "green": 0}


def _record(deployed) -> dict:
    ssm = deployed.aws.client("ssm", deployed.env.region)
    return json.loads(ssm.get_parameter(Name="/vtc/staging/release")["Parameter"]["Value"])


def test_a_traffic_step_with_an_unrelated_change_in_the_checkout_changes_only_the_listener(deployed):
    # An unrelated change waiting in the checkout (a tag on the VPC, in the synthesized stack a deploy would apply):
    # the step moves traffic and nothing else; Terraform's state is not even read (its serial is unchanged).
    _all_on(deployed, "blue")
    stack_file = deployed.stack_dir / "cdk.tf.json"
    original = stack_file.read_text()
    changed = json.loads(original)
    (vpc,) = changed["resource"]["aws_vpc"].values()
    vpc["tags"] = {**vpc.get("tags", {}), "unrelated": "change"}
    stack_file.write_text(json.dumps(changed))
    try:
        before = deployed.pull_state()
        step = _rollout(deployed, "step", "staging", "--to", "green", "--percent", "10", "--soak", "0",
                        "--min-requests", "0", "--release", "unrelated-change")
        assert step.returncode == 0
        assert _weights(deployed) == {"blue": 90, "green": 10}
        after = deployed.pull_state()
        assert after["serial"] == before["serial"] and deployed.resources(after) == deployed.resources(before)
        ec2, vpc_now = _vpc(deployed)
        assert "unrelated" not in {t["Key"] for t in vpc_now.get("Tags", [])}
    finally:
        stack_file.write_text(original)


def test_a_rollback_while_a_state_lock_is_held_succeeds_in_well_under_a_second_of_api_time(deployed):
    # A state lock held (here by a live Terraform process, then left behind by a killed one): the rollback needs no
    # lock, no plan and no provider; the listener call itself is what the command times.
    import signal
    import subprocess
    import time

    from tooling import terraform
    from tooling.paths import tool_env

    s3 = deployed.aws.client("s3", deployed.env.region)
    backend = deployed.stack["terraform"]["backend"]["s3"]
    lock_key = backend["key"] + ".tflock"
    # The lock holder starts first (it takes seconds to load): the traffic step below needs no lock either way.
    holder = subprocess.Popen([terraform.terraform_binary(), "console"], cwd=deployed.stack_dir,
                              env=tool_env(**deployed.terraform_env), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _all_on(deployed, "blue")
        assert _rollout(deployed, "step", "staging", "--to", "green", "--percent", "10", "--soak", "0",
                        "--min-requests", "0", "--release", "locked-out").returncode == 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if s3.list_objects_v2(Bucket=backend["bucket"], Prefix=lock_key).get("KeyCount"):
                break
            time.sleep(0.2)
        else:
            pytest.fail("terraform console never took the state lock")
        started = time.monotonic()
        rollback = _rollout(deployed, "rollback", "staging")  # to the record's previous colour: blue
        wall = time.monotonic() - started
        assert rollback.returncode == 0 and _weights(deployed) == {"blue": 100, "green": 0}
        took = float(re.search(r"the listener call took (\d+\.\d+) s", rollback.stdout).group(1))
        print(f"MEASURED: rollback with the state lock held: listener call {took:.2f} s, command {wall:.1f} s "
              "(a fresh Python process with boto3, the account check and the listener lookup)")
        assert took < 1
        os.killpg(holder.pid, signal.SIGKILL)  # cut short: its lock stays behind, as a killed apply's would
        holder.wait(timeout=10)
        assert s3.list_objects_v2(Bucket=backend["bucket"], Prefix=lock_key).get("KeyCount")
        assert _rollout(deployed, "rollback", "staging", "--to", "green").returncode == 0
        assert _weights(deployed) == {"blue": 0, "green": 100}
    finally:
        if holder.poll() is None:
            os.killpg(holder.pid, signal.SIGKILL)
            holder.wait(timeout=10)
        s3.delete_object(Bucket=backend["bucket"], Key=lock_key)  # the later tests plan nothing, but leave it clean


def test_a_rollout_interrupted_by_sigterm_ends_on_the_previous_colour_and_a_second_one_is_refused_meanwhile(deployed):
    import signal
    import time

    _all_on(deployed, "blue")
    first = _rollout(deployed, "rollout", "staging", "--to", "green", "--steps", "10,50,100", "--soak", "120",
                     "--poll", "0.5", "--min-requests", "0", "--release", "interrupted", background=True)
    try:
        deadline = time.monotonic() + 60
        while _weights(deployed) != {"blue": 90, "green": 10}:
            assert time.monotonic() < deadline and first.poll() is None, "the canary step never happened"
            time.sleep(0.2)
        second = _rollout(deployed, "rollout", "staging", "--to", "green", "--soak", "0", "--min-requests", "0")
        assert second.returncode == 4 and "REFUSED" in second.stderr
        assert _weights(deployed) == {"blue": 90, "green": 10}
        first.send_signal(signal.SIGTERM)
        out, _ = first.communicate(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    print(out)
    assert first.returncode == 3, out
    assert "ROLLBACK: all traffic to blue (blue 100 / green 0) - interrupted by SIGTERM" in out
    assert _weights(deployed) == {"blue": 100, "green": 0}
    assert _record(deployed)["state"] == "rolled-back"


def test_a_wrong_environment_file_or_wrong_credentials_touch_nothing(deployed):
    # The emulator answers as staging's account: naming production (another account in its file) is refused before
    # anything is read or changed, with what is wrong; so is an environment with no file.
    before = _weights(deployed)
    wrong = _rollout(deployed, "rollback", "production", "--to", "blue")
    assert wrong.returncode == 1
    assert (f"the credentials are for account {deployed.env.account_id}, but environments/production.toml says"
            in wrong.stderr)
    missing = _rollout(deployed, "rollback", "stagin", "--to", "blue")
    assert missing.returncode == 1 and "no environment 'stagin'" in missing.stderr and "known: " in missing.stderr
    assert _weights(deployed) == before


def test_a_green_answering_10_percent_errors_at_a_10_percent_canary_is_rolled_back(deployed):
    import threading
    import time
    from datetime import datetime, timezone

    _all_on(deployed, "blue")
    elb = deployed.aws.client("elbv2", deployed.env.region)
    cloudwatch = deployed.aws.client("cloudwatch", deployed.env.region)
    green = _colour_arns(deployed)["green"]
    (balancer,) = elb.describe_load_balancers(Names=["vtc-staging"])["LoadBalancers"]
    dimensions = [{"Name": "LoadBalancer", "Value": balancer["LoadBalancerArn"].split(":loadbalancer/")[1]},
                  {"Name": "TargetGroup", "Value": "targetgroup/" + green.split(":targetgroup/")[1]}]

    def green_fails_one_request_in_ten():  # what the ALB publishes once green takes its 10 %
        while _weights(deployed)["green"] != 10:
            time.sleep(0.1)
        stamp = datetime.now(timezone.utc)
        cloudwatch.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[
            {"MetricName": "RequestCount", "Dimensions": dimensions, "Value": 400, "Timestamp": stamp},
            {"MetricName": "HTTPCode_Target_5XX_Count", "Dimensions": dimensions, "Value": 40, "Timestamp": stamp}])

    traffic = threading.Thread(target=green_fails_one_request_in_ten, daemon=True)
    traffic.start()
    result = _rollout(deployed, "rollout", "staging", "--to", "green", "--soak", "30", "--poll", "0.5",
                      "--min-requests", "100", "--release", "ten-percent-errors")
    traffic.join(timeout=30)
    assert result.returncode == 3
    assert "during the 10 % soak: green answered 40 of 400 requests with 5xx (10.0 % > 5 %)" in result.stdout
    assert _weights(deployed) == {"blue": 100, "green": 0} and _record(deployed)["state"] == "rolled-back"


def test_alb_serves_https_with_tls13_and_redirects_http(deployed):
    aws, env = deployed.aws, deployed.env
    elb = aws.client("elbv2", env.region)
    (alb,) = [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"] == "vtc-staging"]
    assert alb["Type"] == "application"
    listeners = {l["Port"]: l for l in elb.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]}
    assert listeners[443]["Protocol"] == "HTTPS" and listeners[443]["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    assert listeners[80]["DefaultActions"][0]["Type"] == "redirect"
    forward = listeners[443]["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
    colours = {g["TargetGroupArn"]: {t["Key"]: t["Value"] for t in tags["Tags"]}["vtc/colour"]
               for g in forward for tags in elb.describe_tags(ResourceArns=[g["TargetGroupArn"]])["TagDescriptions"]}
    assert set(colours.values()) == {"blue", "green"}  # (the weights: the release tests above)
    waf = aws.client("wafv2", env.region)
    acl = waf.get_web_acl_for_resource(ResourceArn=alb["LoadBalancerArn"])["WebACL"]
    assert {r["Name"] for r in acl["Rules"]} >= {"AWSManagedRulesCommonRuleSet", "RateLimitPerIp"}


# --- alarms ------------------------------------------------------------------------------------------------------------

def test_alarms_and_encrypted_topics_exist(deployed):
    aws, env = deployed.aws, deployed.env
    cloudwatch = aws.client("cloudwatch", env.region)
    found = cloudwatch.describe_alarms(AlarmNamePrefix="vtc-staging-", AlarmTypes=["MetricAlarm", "CompositeAlarm"],
                                       MaxRecords=100)
    expected = len(deployed.stack["resource"]["aws_cloudwatch_metric_alarm"])
    assert len(found["MetricAlarms"]) == expected
    sns = aws.client("sns", env.region)
    for kind in ("page", "notify"):
        arn = f"arn:aws:sns:{env.region}:{env.account_id}:vtc-staging-{kind}"
        assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["KmsMasterKeyId"].startswith("arn:aws:kms:")
    assert cloudwatch.get_dashboard(DashboardName="vtc-staging")["DashboardBody"].startswith('{"widgets"')


# --- the re-plan: last, since it runs beside the tests above (see the `deployed` fixture) -----------------------------

def test_a_plan_right_after_the_deploy_is_empty(deployed):
    # `terraform plan -detailed-exitcode`: 0 = no changes, 2 = changes. With only the emulator's listed shortcomings
    # masked, any change here is a perpetual diff in the configuration itself.
    if deployed.replan.returncode != 0:
        from tooling import terraform

        plan = json.loads(terraform.run(["show", "-json", "replan.plan"], deployed.replan_dir, env=dict(
            deployed.terraform_env, TF_DATA_DIR=str(deployed.stack_dir / ".terraform"))).stdout)
        changes = {c["address"]: c["change"]["actions"] for c in plan["resource_changes"]
                   if c["change"]["actions"] not in (["no-op"], ["read"])}
        pytest.fail(f"the re-plan after the deploy is not empty: {changes}\n{deployed.replan.stdout[-6000:]}")
    assert "No changes." in deployed.replan.stdout


def test_after_a_rollout_to_green_a_plain_deploy_leaves_the_listener_at_0_100(deployed):
    # The fixture released green on the listener (python -m environments.rollout rollout staging --to green), then
    # planned the stack as `cdktf deploy staging` would: no change at all (test above), so the deploy leaves the
    # weights where the release put them, whatever the environment file says (blue 100). Terraform's state still
    # holds the weights it created the listener with: it ignores them since.
    assert deployed.rollout.returncode == 0, deployed.rollout.stdout + deployed.rollout.stderr
    assert "summary: SUCCESS: all traffic on green; steps completed: 10 %, 100 %" in deployed.rollout.stdout
    assert deployed.replan.returncode == 0 and "No changes." in deployed.replan.stdout
    arns = _colour_arns(deployed)
    listener = deployed.resources(deployed.pull_state())[_listener_address(deployed)]
    assert _weights_in_state(listener) == {arns["blue"]: deployed.env.edge.blue_weight,
                                           arns["green"]: deployed.env.edge.green_weight} == {arns["blue"]: 100,
                                                                                               arns["green"]: 0}
    if _record(deployed)["release"] == "deploy-test":  # (unless the tests above moved traffic on)
        assert _weights(deployed) == {"blue": 0, "green": 100}
