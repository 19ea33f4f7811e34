"""A real deploy: the staging stack applied by Terraform into a local AWS emulator, inspected, then destroyed.

The emulator (moto's server) listens on 127.0.0.1 only and is stopped by this module's fixture. The stack under
test is the synthesized one, unchanged; an ``*_override.tf.json`` beside a copy of it points the provider at the
emulator and the state at a local file.
"""

from __future__ import annotations

import ipaddress
import json

import pytest

from tooling import terraform
from tooling.emulator import UNSUPPORTED, MotoServer

pytestmark = pytest.mark.deploy


@pytest.fixture(scope="module")
def deployed(synth_dir, environments, tmp_path_factory):
    env = environments["staging"]
    workdir = terraform.copy_stack(synth_dir / "stacks" / "staging", tmp_path_factory.mktemp("deploy") / "staging")
    stack = json.loads((workdir / "cdk.tf.json").read_text())
    with MotoServer(log_file=workdir.parent / "moto.log") as aws:
        # The company's DNS zone exists outside the stack; the edge validates its certificate in it.
        aws.create_hosted_zone(env.edge.certificate.hosted_zone_name, env.region)
        terraform.write_override(workdir, "emulator", aws.terraform_override(env.region))
        override, skipped = aws.unsupported_override(stack)
        terraform.write_override(workdir, "unsupported", override)
        print(f"not deployable into the emulator, turned off: {skipped}")
        terraform.init(workdir, backend=True)
        terraform.run(["apply", "-auto-approve", "-input=false"], workdir)
        outputs = terraform.run(["output", "-json"], workdir).stdout
        state = terraform.run(["state", "list"], workdir).stdout.split()
        yield {"aws": aws, "env": env, "workdir": workdir, "outputs": outputs, "skipped": skipped,
               "state": state, "stack": stack}
        terraform.run(["destroy", "-auto-approve", "-input=false"], workdir)
        ec2 = aws.client("ec2", env.region)
        remaining = ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": [env.network.vpc_cidr]}])["Vpcs"]
        assert remaining == [], "destroy left the VPC behind"


def _vpc(deployed):
    ec2 = deployed["aws"].client("ec2", deployed["env"].region)
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": [deployed["env"].network.vpc_cidr]}])["Vpcs"]
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
    assert {s["AvailabilityZone"] for s in subnets} == set(deployed["env"].network.availability_zones)
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
    assert nats[0]["NatGatewayAddresses"][0]["PublicIp"] in deployed["outputs"]


def test_flow_log_captures_all_traffic_into_the_log_group(deployed):
    ec2, vpc = _vpc(deployed)
    (flow,) = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}])["FlowLogs"]
    assert flow["TrafficType"] == "ALL"
    assert flow["LogDestinationType"] == "cloud-watch-logs"
    assert flow["LogDestination"].split(":log-group:")[1].rstrip(":*") == "/vtc/vtc-staging/vpc-flow-logs"
    logs = deployed["aws"].client("logs", deployed["env"].region)
    (group,) = logs.describe_log_groups(logGroupNamePrefix="/vtc/vtc-staging/vpc-flow-logs")["logGroups"]
    assert group["retentionInDays"] == 90
    assert group["kmsKeyId"].startswith("arn:aws:kms:")


def test_outputs_carry_the_created_ids(deployed):
    ec2, vpc = _vpc(deployed)
    assert vpc["VpcId"] in deployed["outputs"]


# --- EKS ----------------------------------------------------------------------------------------------------------------

def test_only_what_the_emulator_cannot_serve_was_turned_off_and_everything_else_was_created(deployed):
    skipped_types = {address.split(".")[0] for address in deployed["skipped"]}
    assert skipped_types == set(UNSUPPORTED) & set(deployed["stack"]["resource"])
    expected = {f"{kind}.{name}" for kind, resources in deployed["stack"]["resource"].items()
                for name in resources} - set(deployed["skipped"])
    assert {a for a in deployed["state"] if not a.startswith("data.")} == expected


def test_cluster_is_active_private_and_encrypted(deployed):
    eks = deployed["aws"].client("eks", deployed["env"].region)
    cluster = eks.describe_cluster(name="vtc-staging")["cluster"]
    assert cluster["status"] == "ACTIVE"
    assert cluster["version"] == deployed["env"].eks.kubernetes_version
    assert cluster["resourcesVpcConfig"]["endpointPublicAccess"] is False
    assert cluster["resourcesVpcConfig"]["endpointPrivateAccess"] is True
    assert cluster["encryptionConfig"][0]["resources"] == ["secrets"]
    assert sorted(cluster["logging"]["clusterLogging"][0]["types"]) == sorted(
        deployed["env"].eks.control_plane_log_types)
    issuer = cluster["identity"]["oidc"]["issuer"]
    iam = deployed["aws"].client("iam", deployed["env"].region)
    urls = [iam.get_open_id_connect_provider(OpenIDConnectProviderArn=p["Arn"])["Url"]
            for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert issuer.removeprefix("https://") in urls


def test_node_group_runs_in_private_subnets_from_an_imdsv2_launch_template(deployed):
    aws, env = deployed["aws"], deployed["env"]
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
    aws, env = deployed["aws"], deployed["env"]
    (db,) = aws.client("rds", env.region).describe_db_instances(
        DBInstanceIdentifier="vtc-staging-postgres")["DBInstances"]
    assert (db["Engine"], db["EngineVersion"]) == ("postgres", env.database.engine_version)
    assert db["StorageEncrypted"] is True and db["PubliclyAccessible"] is False
    assert db["MultiAZ"] is env.database.multi_az
    assert db["IAMDatabaseAuthenticationEnabled"] is True
    secret_arn = db["MasterUserSecret"]["SecretArn"]
    assert secret_arn in deployed["outputs"]
    secret = json.loads(aws.client("secretsmanager", env.region).get_secret_value(SecretId=secret_arn)["SecretString"])
    state = (deployed["workdir"] / "terraform.tfstate").read_text()
    assert secret["password"] and secret["password"] not in state


def test_bootstrap_function_exists_in_the_vpc_and_only_its_invocation_was_skipped(deployed):
    aws, env = deployed["aws"], deployed["env"]
    function = aws.client("lambda", env.region).get_function(FunctionName="vtc-staging-pgvector-bootstrap")
    assert function["Configuration"]["VpcConfig"]["SubnetIds"]
    assert [a for a in deployed["skipped"] if a.startswith("aws_lambda_")] == [
        a for a in deployed["skipped"] if a.startswith("aws_lambda_invocation.")]


# --- edge: blue/green ---------------------------------------------------------------------------------------------------

def _plan(deployed, name: str, blue: int, green: int) -> dict:
    """A saved plan against the deployed state (no refresh: the emulator's read-backs are not AWS's), as JSON."""
    workdir = deployed["workdir"]
    terraform.run(["plan", "-refresh=false", "-input=false", f"-var=blue_weight={blue}", f"-var=green_weight={green}",
                   f"-out={name}.plan"], workdir)
    return json.loads(terraform.run(["show", "-json", f"{name}.plan"], workdir).stdout)


def _differences(a: dict, b: dict) -> dict[str, dict]:
    """Resources whose planned result differs between two plans, with the differing top-level attributes."""
    after_a = {c["address"]: (c["change"]["actions"], c["change"]["after"]) for c in a["resource_changes"]}
    after_b = {c["address"]: (c["change"]["actions"], c["change"]["after"]) for c in b["resource_changes"]}
    assert set(after_a) == set(after_b)
    out = {}
    for address in after_a:
        (actions_a, values_a), (actions_b, values_b) = after_a[address], after_b[address]
        if (actions_a, values_a) != (actions_b, values_b):
            keys = {k for k in set(values_a or {}) | set(values_b or {})
                    if (values_a or {}).get(k) != (values_b or {}).get(k)}
            out[address] = {"actions": (actions_a, actions_b), "keys": keys, "a": values_a, "b": values_b}
    return out


def _weights(values: dict) -> dict[str, int]:
    groups = values["default_action"][0]["forward"][0]["target_group"]
    return sorted(group["weight"] for group in groups)


def test_shifting_and_rolling_back_traffic_changes_only_the_listener_weights(deployed):
    steps = [("live", 100, 0), ("canary", 90, 10), ("half", 50, 50), ("green", 0, 100), ("rollback", 100, 0)]
    plans = {name: _plan(deployed, name, blue, green) for name, blue, green in steps}
    for (before, *_), (after, blue, green) in zip(steps, steps[1:]):
        changed = _differences(plans[before], plans[after])
        (address,) = changed  # exactly one resource differs
        assert address.startswith("aws_lb_listener.edge_https-listener_"), address
        assert changed[address]["keys"] == {"default_action"}
        assert _weights(changed[address]["b"]) == sorted([blue, green])
        listener_actions = {c["address"]: c["change"]["actions"] for c in plans[after]["resource_changes"]}[address]
        assert listener_actions in (["update"], ["no-op"])  # in place: the listener is never replaced
    assert _differences(plans["live"], plans["rollback"]) == {}


@pytest.mark.parametrize("blue, green, message", [
    (0, 0, "green_weight and blue_weight cannot both be 0"),
    (100, 101, "green_weight must be a whole number from 0 to 100"),
    (-1, 100, "blue_weight must be a whole number from 0 to 100"),
    (50, 12.5, "green_weight must be a whole number from 0 to 100"),
])
def test_terraform_refuses_bad_weights_before_planning(deployed, blue, green, message):
    with pytest.raises(terraform.TerraformError) as raised:
        terraform.run(["plan", "-refresh=false", "-input=false", f"-var=blue_weight={blue}",
                       f"-var=green_weight={green}"], deployed["workdir"])
    assert message in " ".join(str(raised.value).split())


def test_alb_serves_https_with_tls13_and_redirects_http(deployed):
    aws, env = deployed["aws"], deployed["env"]
    elb = aws.client("elbv2", env.region)
    (alb,) = [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"] == "vtc-staging"]
    assert alb["Type"] == "application"
    listeners = {l["Port"]: l for l in elb.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]}
    assert listeners[443]["Protocol"] == "HTTPS" and listeners[443]["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    assert listeners[80]["DefaultActions"][0]["Type"] == "redirect"
    forward = listeners[443]["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
    names = {elb.describe_target_groups(TargetGroupArns=[g["TargetGroupArn"]])["TargetGroups"][0]["TargetGroupName"]:
             g["Weight"] for g in forward}
    assert names == {"vtc-staging-blue": env.edge.blue_weight, "vtc-staging-green": env.edge.green_weight}
    waf = aws.client("wafv2", env.region)
    acl = waf.get_web_acl_for_resource(ResourceArn=alb["LoadBalancerArn"])["WebACL"]
    assert {r["Name"] for r in acl["Rules"]} >= {"AWSManagedRulesCommonRuleSet", "RateLimitPerIp"}


# --- alarms ------------------------------------------------------------------------------------------------------------

def test_alarms_and_encrypted_topics_exist(deployed):
    aws, env = deployed["aws"], deployed["env"]
    cloudwatch = aws.client("cloudwatch", env.region)
    found = cloudwatch.describe_alarms(AlarmNamePrefix="vtc-staging-", AlarmTypes=["MetricAlarm", "CompositeAlarm"],
                                       MaxRecords=100)
    expected = len(deployed["stack"]["resource"]["aws_cloudwatch_metric_alarm"])
    assert len(found["MetricAlarms"]) == expected
    assert any(a.startswith("aws_cloudwatch_composite_alarm.") for a in deployed["skipped"])  # see UNSUPPORTED
    sns = aws.client("sns", env.region)
    for kind in ("page", "notify"):
        arn = f"arn:aws:sns:{env.region}:123456789012:vtc-staging-{kind}"
        assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["KmsMasterKeyId"].startswith("arn:aws:kms:")
    assert cloudwatch.get_dashboard(DashboardName="vtc-staging")["DashboardBody"].startswith('{"widgets"')
