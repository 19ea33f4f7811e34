"""Fine-grained assertions on the Network construct and every branch of its validation."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from tests.helpers import by_path, ref, resources, synth, synth_outputs
from vtc_constructs import ConfigError, NatStrategy, Network, NetworkProps, plan_subnets

AZS = ("eu-west-1a", "eu-west-1b", "eu-west-1c")
PROPS = NetworkProps(name="vtc-test", vpc_cidr="10.20.0.0/16", availability_zones=AZS)


@pytest.fixture(scope="module")
def per_az():
    return synth(lambda s: Network(s, "network", PROPS))


@pytest.fixture(scope="module")
def single():
    return synth(lambda s: Network(s, "network", dataclasses.replace(PROPS, nat_strategy=NatStrategy.SINGLE)))


# --- subnet plan ------------------------------------------------------------------------------------------------

def test_subnets_are_carved_deterministically_by_tier():
    plan = plan_subnets(PROPS)
    assert plan.private == ("10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19")
    assert plan.public == ("10.20.96.0/23", "10.20.98.0/23", "10.20.100.0/23")
    assert plan.database == ("10.20.102.0/23", "10.20.104.0/23", "10.20.106.0/23")


def test_adding_an_az_moves_no_existing_subnet_of_the_first_tier():
    four = plan_subnets(dataclasses.replace(PROPS, availability_zones=AZS + ("eu-west-1d",)))
    assert four.private[:3] == plan_subnets(PROPS).private


def test_subnet_sizes_follow_new_bits_in_a_small_vpc():
    plan = plan_subnets(dataclasses.replace(PROPS, vpc_cidr="10.0.0.0/22", private_subnet_new_bits=2,
                                            public_subnet_new_bits=5, database_subnet_new_bits=5))
    assert plan.private == ("10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24")
    assert plan.public == ("10.0.3.0/27", "10.0.3.32/27", "10.0.3.64/27")
    assert plan.database == ("10.0.3.96/27", "10.0.3.128/27", "10.0.3.160/27")


def test_synthesized_subnets_match_the_plan(per_az):
    plan = plan_subnets(PROPS)
    for tier in ("public", "private", "database"):
        for i, az in enumerate(AZS):
            subnet = by_path(per_az, "aws_subnet", f"{tier}-{i}")
            assert subnet["cidr_block"] == getattr(plan, tier)[i]
            assert subnet["availability_zone"] == az
            assert subnet["vpc_id"] == ref(per_az, "aws_vpc", "vpc")


# --- VPC and tiers ----------------------------------------------------------------------------------------------

def test_vpc_has_dns_support_and_hostnames(per_az):
    vpc = by_path(per_az, "aws_vpc", "vpc")
    assert vpc["cidr_block"] == "10.20.0.0/16"
    assert vpc["enable_dns_support"] is True and vpc["enable_dns_hostnames"] is True
    assert vpc["tags"]["Name"] == "vtc-test-vpc"


def test_nine_subnets_three_tiers(per_az):
    assert len(resources(per_az, "aws_subnet")) == 9


def test_public_subnets_give_no_public_ip_and_are_tagged_for_internet_facing_load_balancers(per_az):
    for i in range(3):
        subnet = by_path(per_az, "aws_subnet", f"public-{i}")
        assert subnet["map_public_ip_on_launch"] is False
        assert subnet["tags"]["kubernetes.io/role/elb"] == "1"
        assert "kubernetes.io/role/internal-elb" not in subnet["tags"]


def test_private_subnets_are_tagged_for_internal_load_balancers(per_az):
    for i in range(3):
        tags = by_path(per_az, "aws_subnet", f"private-{i}")["tags"]
        assert tags["kubernetes.io/role/internal-elb"] == "1"
        assert "kubernetes.io/role/elb" not in tags


def test_cluster_discovery_tag_only_when_asked(per_az):
    assert not any(k.startswith("kubernetes.io/cluster/") for r in resources(per_az, "aws_subnet").values()
                   for k in r["tags"])
    tagged = synth(lambda s: Network(s, "network", dataclasses.replace(PROPS, eks_cluster_name="vtc-test")))
    for tier in ("public", "private"):
        assert by_path(tagged, "aws_subnet", f"{tier}-0")["tags"]["kubernetes.io/cluster/vtc-test"] == "shared"
    assert "kubernetes.io/cluster/vtc-test" not in by_path(tagged, "aws_subnet", "database-0")["tags"]


def test_public_route_goes_to_the_internet_gateway(per_az):
    route = by_path(per_az, "aws_route", "public-default-route")
    assert route["destination_cidr_block"] == "0.0.0.0/0"
    assert route["gateway_id"] == ref(per_az, "aws_internet_gateway", "igw")
    for i in range(3):
        assoc = by_path(per_az, "aws_route_table_association", f"public-rta-{i}")
        assert assoc["route_table_id"] == ref(per_az, "aws_route_table", "public-rt")
        assert assoc["subnet_id"] == ref(per_az, "aws_subnet", f"public-{i}")


def test_database_tier_has_no_route_out(per_az):
    table = ref(per_az, "aws_route_table", "database-rt")
    assert not [r for r in resources(per_az, "aws_route").values() if r["route_table_id"] == table]
    assert "route" not in by_path(per_az, "aws_route_table", "database-rt")
    for i in range(3):
        assert by_path(per_az, "aws_route_table_association", f"database-rta-{i}")["route_table_id"] == table


# --- NAT --------------------------------------------------------------------------------------------------------

def test_one_nat_per_az_each_private_table_routes_to_its_own(per_az):
    assert len(resources(per_az, "aws_nat_gateway")) == 3
    assert len(resources(per_az, "aws_eip")) == 3
    for i in range(3):
        nat = by_path(per_az, "aws_nat_gateway", f"nat-{i}")
        assert nat["subnet_id"] == ref(per_az, "aws_subnet", f"public-{i}")
        assert nat["allocation_id"] == ref(per_az, "aws_eip", f"nat-eip-{i}")
        assert by_path(per_az, "aws_eip", f"nat-eip-{i}")["domain"] == "vpc"
        route = by_path(per_az, "aws_route", f"private-default-route-{i}")
        assert route["route_table_id"] == ref(per_az, "aws_route_table", f"private-rt-{i}")
        assert route["nat_gateway_id"] == ref(per_az, "aws_nat_gateway", f"nat-{i}")


def test_single_nat_serves_every_private_table(single):
    assert len(resources(single, "aws_nat_gateway")) == 1
    assert len(resources(single, "aws_eip")) == 1
    nat = ref(single, "aws_nat_gateway", "nat-0")
    for i in range(3):
        assert by_path(single, "aws_route", f"private-default-route-{i}")["nat_gateway_id"] == nat


def test_private_route_tables_are_per_az_whatever_the_nat_strategy(per_az, single):
    # Switching strategy then replaces no route table (construct IDs and addresses stay).
    assert set(resources(per_az, "aws_route_table")) == set(resources(single, "aws_route_table"))
    assert len(resources(single, "aws_route_table")) == 5


# --- security and logging -----------------------------------------------------------------------------------------

def test_default_security_group_is_managed_with_no_rules(per_az):
    group = by_path(per_az, "aws_default_security_group", "default-sg")
    assert group["vpc_id"] == ref(per_az, "aws_vpc", "vpc")
    assert "ingress" not in group and "egress" not in group


def test_flow_logs_capture_all_traffic_into_an_encrypted_log_group(per_az):
    flow = by_path(per_az, "aws_flow_log", "flow-log")
    assert flow["traffic_type"] == "ALL"
    assert flow["vpc_id"] == ref(per_az, "aws_vpc", "vpc")
    assert flow["log_destination_type"] == "cloud-watch-logs"
    assert flow["log_destination"] == ref(per_az, "aws_cloudwatch_log_group", "flow-log-group", "arn")
    assert flow["iam_role_arn"] == ref(per_az, "aws_iam_role", "flow-log-role", "arn")
    group = by_path(per_az, "aws_cloudwatch_log_group", "flow-log-group")
    assert group["name"] == "/vtc/vtc-test/vpc-flow-logs"
    assert group["retention_in_days"] == 365
    assert group["kms_key_id"] == ref(per_az, "aws_kms_key", "flow-log-key", "arn")
    key = by_path(per_az, "aws_kms_key", "flow-log-key")
    assert key["enable_key_rotation"] is True
    assert key["policy"] == ref(per_az, "aws_iam_policy_document", "flow-log-key-policy", "json", data=True)


def test_flow_log_key_lets_cloudwatch_logs_use_it_for_this_log_group_only(per_az):
    docs = per_az["data"]["aws_iam_policy_document"]
    policy = next(d for d in docs.values() if d["//"]["metadata"]["path"].endswith("/flow-log-key-policy"))
    logs = next(s for s in policy["statement"] if s.get("sid") == "CloudWatchLogsThisLogGroup")
    condition = logs["condition"][0]
    assert condition["variable"] == "kms:EncryptionContext:aws:logs:arn"
    assert condition["values"][0].endswith(":log-group:/vtc/vtc-test/vpc-flow-logs")
    assert "kms:*" not in logs["actions"]


def test_flow_log_role_is_scoped_to_its_log_group_and_account(per_az):
    docs = per_az["data"]["aws_iam_policy_document"]
    write = next(d for d in docs.values() if d["//"]["metadata"]["path"].endswith("/flow-log-write"))
    assert write["statement"][0]["resources"] == [
        ref(per_az, "aws_cloudwatch_log_group", "flow-log-group", "arn") + ":*"]
    assume = next(d for d in docs.values() if d["//"]["metadata"]["path"].endswith("/flow-log-assume"))
    assert assume["statement"][0]["condition"][0]["variable"] == "aws:SourceAccount"


def test_retention_follows_props():
    tf = synth(lambda s: Network(s, "network", dataclasses.replace(PROPS, flow_log_retention_days=90)))
    assert by_path(tf, "aws_cloudwatch_log_group", "flow-log-group")["retention_in_days"] == 90


def test_s3_gateway_endpoint_serves_private_and_database_tables(per_az):
    endpoint = by_path(per_az, "aws_vpc_endpoint", "s3-endpoint")
    assert endpoint["vpc_endpoint_type"] == "Gateway"
    assert endpoint["service_name"].startswith("com.amazonaws.${data.aws_region.")
    assert endpoint["service_name"].endswith(".s3")
    expected = [ref(per_az, "aws_route_table", f"private-rt-{i}") for i in range(3)]
    expected.append(ref(per_az, "aws_route_table", "database-rt"))
    assert endpoint["route_table_ids"] == expected


def test_interface_endpoints_have_private_dns_in_every_private_subnet_behind_one_vpc_only_group(per_az):
    from vtc_constructs.aws_api_callers import DEFAULT_INTERFACE_ENDPOINTS

    group = ref(per_az, "aws_security_group", "endpoints-sg")
    for service in DEFAULT_INTERFACE_ENDPOINTS:
        endpoint = by_path(per_az, "aws_vpc_endpoint", f"endpoint-{service.replace('.', '-')}")
        assert endpoint["service_name"].endswith(f"}}.{service}") and endpoint["vpc_endpoint_type"] == "Interface"
        assert endpoint["private_dns_enabled"] is True and endpoint["security_group_ids"] == [group]
        assert endpoint["subnet_ids"] == [ref(per_az, "aws_subnet", f"private-{i}") for i in range(3)]
    rule = by_path(per_az, "aws_vpc_security_group_ingress_rule", "endpoints-sg-https-from-vpc")
    assert (rule["cidr_ipv4"], rule["from_port"], rule["to_port"], rule["ip_protocol"]) == \
        (PROPS.vpc_cidr, 443, 443, "tcp")
    assert "aws_vpc_security_group_egress_rule" not in per_az["resource"]


def test_fewer_zones_or_no_interface_endpoints_at_all():
    tf = synth(lambda s: [Network(s, "one", dataclasses.replace(PROPS, name="vtc-one", interface_endpoint_zones=1,
                                                              interface_endpoints=("sts",))),
                          Network(s, "none", dataclasses.replace(PROPS, name="vtc-none", vpc_cidr="10.30.0.0/16",
                                                               interface_endpoints=()))])
    endpoint = by_path(tf, "aws_vpc_endpoint", "one/endpoint-sts")
    assert endpoint["subnet_ids"] == [ref(tf, "aws_subnet", "one/private-0")]
    interface = [e for e in tf["resource"]["aws_vpc_endpoint"].values() if e["vpc_endpoint_type"] == "Interface"]
    assert interface == [endpoint]  # "none" made no endpoint, and no security group for them
    assert [r for r in tf["resource"]["aws_security_group"].values()
            if r["//"]["metadata"]["path"].endswith("none/endpoints-sg")] == []


def test_typed_outputs_resolve_to_the_resources():
    """Each typed output references the right attribute of the right resource (issue 16: ``nat_public_ips`` once
    returned the allocation ids), compared reference by reference."""
    names = ("vpc_id", "vpc_cidr_block", "public_subnet_ids", "private_subnet_ids", "database_subnet_ids",
             "public_route_table_ids", "private_route_table_ids", "database_route_table_ids", "nat_gateway_ids",
             "nat_public_ips", "flow_log_group_name")
    captured = {}

    def build(scope):
        network = captured["network"] = Network(scope, "network", PROPS)
        return {name: getattr(network, name) for name in names}

    tf, out = synth_outputs(build)
    three = range(3)
    assert out == {
        "vpc_id": ref(tf, "aws_vpc", "vpc"),
        "vpc_cidr_block": ref(tf, "aws_vpc", "vpc", "cidr_block"),
        "public_subnet_ids": [ref(tf, "aws_subnet", f"public-{i}") for i in three],
        "private_subnet_ids": [ref(tf, "aws_subnet", f"private-{i}") for i in three],
        "database_subnet_ids": [ref(tf, "aws_subnet", f"database-{i}") for i in three],
        "public_route_table_ids": [ref(tf, "aws_route_table", "public-rt")],
        "private_route_table_ids": [ref(tf, "aws_route_table", f"private-rt-{i}") for i in three],
        "database_route_table_ids": [ref(tf, "aws_route_table", "database-rt")],
        "nat_gateway_ids": [ref(tf, "aws_nat_gateway", f"nat-{i}") for i in three],
        "nat_public_ips": [ref(tf, "aws_eip", f"nat-eip-{i}", "public_ip") for i in three],
        "flow_log_group_name": ref(tf, "aws_cloudwatch_log_group", "flow-log-group", "name"),
    }
    assert captured["network"].availability_zones == AZS


# --- validation: every branch ---------------------------------------------------------------------------------------

def problems_of(**changes) -> list[str]:
    return [str(p) for p in dataclasses.replace(PROPS, **changes).validate()]


def test_valid_props_have_no_problem():
    assert PROPS.validate() == []


@pytest.mark.parametrize("changes, expected", [
    ({"name": "VTC_Staging"}, r"^name: invalid value \(got 'VTC_Staging'\); allowed: 3-32 characters"),
    ({"vpc_cidr": "10.20.0.0/33"}, r"^vpc_cidr: malformed CIDR \(got '10.20.0.0/33'\)"),
    ({"vpc_cidr": "10.20.0.1/16"}, r"^vpc_cidr: malformed CIDR .*has host bits set"),
    ({"vpc_cidr": 1020}, r"^vpc_cidr: malformed CIDR \(got 1020\).*not a string"),
    ({"vpc_cidr": "10.0.0.0/8"}, r"^vpc_cidr: prefix length out of range \(got '10.0.0.0/8'\); allowed: a prefix "
                                 r"length from /16 to /24"),
    ({"vpc_cidr": "10.20.0.0/24"}, r"^vpc_cidr: too small for the subnets \(got '10.20.0.0/24'\); allowed: public "
                                   r"subnets of /28 or larger \(got /31\)"),
    ({"availability_zones": ("eu-west-1a",)}, r"^availability_zones: too few Availability Zones"),
    ({"availability_zones": ("eu-west-1a", "euw1-az2")}, r"^availability_zones\[1\]: not an Availability Zone name"),
    ({"availability_zones": ("eu-west-1a", "eu-west-1a")}, r"^availability_zones: repeated AZ .*remove the repeated "
                                                           r"eu-west-1a"),
    ({"nat_strategy": "two"}, r"^nat_strategy: invalid value \(got 'two'\); allowed: one_per_az, single"),
    ({"flow_log_retention_days": 100}, r"^flow_log_retention_days: invalid value \(got 100\); allowed: one of "),
    ({"private_subnet_new_bits": 0}, r"^private_subnet_new_bits: invalid value \(got 0\); allowed: a whole number"),
    ({"public_subnet_new_bits": True}, r"^public_subnet_new_bits: invalid value \(got True\)"),
    ({"vpc_cidr": "8.8.0.0/16"}, r"^vpc_cidr: not a private range \(got '8\.8\.0\.0/16'\); allowed: a range inside "
                                 r"10\.0\.0\.0/8, 172\.16\.0\.0/12, 192\.168\.0\.0/16 or 100\.64\.0\.0/10; fix: choose a "
                                 r"private range, e\.g\. 10\.20\.0\.0/16$"),
    ({"vpc_cidr": "169.254.0.0/16"}, r"^vpc_cidr: link-local range \(got '169\.254\.0\.0/16'\)"),
    ({"vpc_cidr": "172.32.0.0/16"}, r"^vpc_cidr: not a private range \(got '172\.32\.0\.0/16'\)"),
    ({"availability_zones": ("eu-west-1a", "eu-west-1d")},
     r"^availability_zones\[1\]: no such Availability Zone \(got 'eu-west-1d'\); allowed: an Availability Zone of "
     r"eu-west-1: eu-west-1a, eu-west-1b, eu-west-1c; fix: pick one of eu-west-1a, eu-west-1b, eu-west-1c$"),
    ({"availability_zones": "eu-west-1a"}, r"^availability_zones: not a list \(got 'eu-west-1a'\)"),
    ({"nat_strategy": None}, r"^nat_strategy: missing \(got None\); allowed: one_per_az, single"),
    ({"flow_log_retention_days": True}, r"^flow_log_retention_days: invalid value \(got True\)"),
    ({"interface_endpoints": ("sts", "s3")}, r"^interface_endpoints: unknown endpoint service \(got \['sts', 's3'\]\)"
                                              r".*fix: remove or correct 's3'"),
    ({"interface_endpoints": ("sts", "sts")}, r"^interface_endpoints: repeated service .*remove the repeated sts$"),
    ({"interface_endpoints": "sts"}, r"^interface_endpoints: not a list \(got 'sts'\)"),
    ({"interface_endpoint_zones": 4}, r"^interface_endpoint_zones: invalid value \(got 4\); allowed: a whole number "
                                      r"from 1 to 3"),
    ({"interface_endpoint_zones": 0}, r"^interface_endpoint_zones: invalid value \(got 0\)"),
    ({"eks_cluster_name": "Bad Name"}, r"^eks_cluster_name: invalid value \(got 'Bad Name'\).*fix: give the EKS "
                                       r"cluster's name, or leave it out$"),
])
def test_each_invalid_field_is_reported_with_value_allowed_and_fix(changes, expected):
    problems = problems_of(**changes)
    assert len(problems) == 1, problems
    assert re.search(expected, problems[0]), problems[0]
    assert "; fix: " in problems[0]


@pytest.mark.parametrize("changes", [
    {"vpc_cidr": "172.16.0.0/16"}, {"vpc_cidr": "192.168.0.0/16"}, {"vpc_cidr": "100.64.0.0/16"},
    {"availability_zones": ["eu-west-1b", "eu-west-1c"]}, {"nat_strategy": "single"},
    {"eks_cluster_name": "vtc-test"},
])
def test_private_ranges_real_zones_and_enum_values_are_accepted(changes):
    assert problems_of(**changes) == []


def test_subnets_that_do_not_fit_are_reported_as_too_small():
    problems = problems_of(vpc_cidr="10.20.0.0/20", private_subnet_new_bits=1, availability_zones=AZS)
    assert len(problems) == 1 and problems[0].startswith("vpc_cidr: too small for the subnets"), problems
    assert "room for 3 private /21 subnets" in problems[0]


def test_every_problem_is_reported_at_once_and_the_construct_prefixes_its_id():
    bad = dataclasses.replace(PROPS, name="X", vpc_cidr="nope", availability_zones=("eu-west-1a",),
                              flow_log_retention_days=2)
    with pytest.raises(ConfigError) as raised:
        synth(lambda s: Network(s, "network", bad))
    paths = [p.path for p in raised.value.problems]
    assert paths == ["network.name", "network.vpc_cidr", "network.availability_zones",
                     "network.flow_log_retention_days"]
    assert str(raised.value).startswith("4 configuration problems:\n  - network.name: ")


def test_problem_renders_path_value_allowed_and_fix():
    (problem,) = dataclasses.replace(PROPS, flow_log_retention_days=2).validate()
    assert json.dumps(problem.path) == '"flow_log_retention_days"'
    assert str(problem).startswith("flow_log_retention_days: invalid value (got 2); allowed: one of CloudWatch's")
    assert str(problem).endswith("fix: pick the nearest allowed value (365 keeps a year)")
