"""The library API with careless input: no traceback, whatever a field holds; a clear TypeError for the wrong props;
enum values as strings; two constructs that would claim one AWS name refused, naming both.

Every props class, every field (nested props included), a set of values of the wrong type: ``validate()`` returns
Problems and never raises, and a value of no sensible type is reported at that field's path.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import cdktf
from cdktf import TerraformStack

from vtc_constructs import (
    Alarms,
    AlarmsProps,
    AlarmTargets,
    AlarmThresholds,
    CapacityType,
    Certificate,
    CiIdentity,
    CiIdentityProps,
    ClusterNetwork,
    ConfigError,
    DatabaseNetwork,
    DatabaseProps,
    DesiredSizeOwner,
    Edge,
    EdgeNetwork,
    EdgeProps,
    EksCluster,
    EksClusterProps,
    NatStrategy,
    Network,
    NetworkProps,
    NodeGroupProps,
    PgvectorDatabase,
    Problem,
    Taint,
    TaintEffect,
)
from vtc_constructs.platform import PlatformProps
from vtc_constructs.releases import ClusterReleasesProps, ReleaseRoles
from vtc_constructs.workloads import ImageTags, Resources, ServiceProps, Services, WorkloadsProps

NETWORK = NetworkProps(name="vtc-test", vpc_cidr="10.20.0.0/16",
                       availability_zones=("eu-west-1a", "eu-west-1b", "eu-west-1c"))
TAINT = Taint(key="dedicated", value="api")
GROUP = NodeGroupProps(name="general", labels={"workload": "api"}, taints=(TAINT,))
CLUSTER_NETWORK = ClusterNetwork(vpc_id="vpc-1", subnet_ids=("subnet-a", "subnet-b"), dns_support=True,
                                 dns_hostnames=True, subnets_have_nat_route=True)
EKS = EksClusterProps(name="vtc-test", kubernetes_version="1.33", network=CLUSTER_NETWORK, node_groups=(GROUP,),
                      admin_principal_arns=("arn:aws:iam::111122223333:role/platform-admin",),
                      endpoint_public_access_cidrs=("52.94.76.0/22",),
                      addon_versions={"kube-proxy": "v1.33.0-eksbuild.2"})
DATABASE_NETWORK = DatabaseNetwork(vpc_id="vpc-1", subnet_ids=("subnet-a", "subnet-b"),
                                   bootstrap_subnet_ids=("subnet-c",), client_security_group_id="sg-1")
DATABASE = DatabaseProps(name="vtc-test", engine_version="16.8", network=DATABASE_NETWORK)
CERTIFICATE = Certificate(domain_name="app.example.com", hosted_zone_name="example.com")
CERTIFICATE_ARN = Certificate(
    certificate_arn="arn:aws:acm:eu-west-1:111122223333:certificate/12345678-1234-1234-1234-123456789012")
EDGE_NETWORK = EdgeNetwork(vpc_id="vpc-1", public_subnet_ids=("subnet-a", "subnet-b"),
                           target_security_group_id="sg-1")
EDGE = EdgeProps(name="vtc-test", network=EDGE_NETWORK, certificate=CERTIFICATE)
TARGETS = AlarmTargets(alb_arn_suffix="app/x/1", target_group_arn_suffixes={"blue": "b", "green": "g"},
                       db_instance_id="vtc-test-postgres",
                       db_instance_class="db.r6g.large", db_allocated_storage_gib=100, cluster_name="vtc-test")
ALARMS = AlarmsProps(name="vtc-test", targets=TARGETS, page_email_endpoints=("oncall@example.com",))
CI = CiIdentityProps(name="vtc-test", github_repository="vision-to-code/vtc-infra", github_environment="staging",
                     https_listener_arn="arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/vtc-test/"
                                        "0123456789abcdef/0123456789abcdef",
                     cluster_security_group_id="sg-0123456789abcdef0", vpc_id="vpc-0123456789abcdef0",
                     state_bucket="vtc-terraform-state", state_keys=("vtc/test/terraform.tfstate",))

# The composed API: the platform (its parts as a user gives them: no names, no wiring), and what runs on its cluster.
PLATFORM = PlatformProps(
    name="vtc-test", network=dataclasses.replace(NETWORK, name=None),
    eks=dataclasses.replace(EKS, name=None, network=None),
    database=dataclasses.replace(DATABASE, name=None, network=None),
    edge=dataclasses.replace(EDGE, name=None, network=None),
    alarms=AlarmsProps(page_email_endpoints=("oncall@example.com",)))
IMAGE_TAGS = ImageTags(blue="1.4.2", green="1.5.0")
RESOURCES = Resources(cpu_request="250m", memory_request="512Mi", cpu_limit="1", memory_limit="1Gi")
SERVICE = ServiceProps(min_replicas=2, max_replicas=4, resources=RESOURCES)
WORKLOADS = WorkloadsProps(image_repository="111122223333.dkr.ecr.eu-west-1.amazonaws.com/vtc", image_tags=IMAGE_TAGS)
ROLES = ReleaseRoles(**{f.name: f"arn:aws:iam::111122223333:role/{f.name}" for f in dataclasses.fields(ReleaseRoles)})
RELEASES = ClusterReleasesProps(
    environment="test", region="eu-west-1", cluster_name="vtc-test", vpc_id="vpc-1", vpc_cidr="10.20.0.0/16",
    kubernetes_version="1.36", workloads=WORKLOADS, roles=ROLES,
    target_group_arns={"blue": "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/b/0123456789abcdef",
                       "green": "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/g/fedcba9876543210"},
    database_host="vtc-test.c0abc.eu-west-1.rds.amazonaws.com", database_cidrs=("10.20.96.0/23",),
    container_log_groups={"application": "/aws/containerinsights/vtc-test/application",
                          "add-ons": "/aws/containerinsights/vtc-test/add-ons"},
    page_topic_arn="arn:aws:sns:eu-west-1:111122223333:page", notify_topic_arn="arn:aws:sns:eu-west-1:111122223333:n",
    heartbeat_topic_arn="arn:aws:sns:eu-west-1:111122223333:h", grafana_admin_secret_name="vtc-test/grafana-admin",
    host="app.example.com", secrets_prefix="vtc-test/", load_balancer_cidrs=("10.20.0.0/24", "10.20.1.0/24"))

# (label, the valid nested value, how to put a changed one into the top-level props)
NESTED = [
    ("NetworkProps", NETWORK, lambda v: v),
    ("NodeGroupProps", GROUP, lambda v: dataclasses.replace(EKS, node_groups=(v,))),
    ("Taint", TAINT, lambda v: dataclasses.replace(EKS, node_groups=(dataclasses.replace(GROUP, taints=(v,)),))),
    ("ClusterNetwork", CLUSTER_NETWORK, lambda v: dataclasses.replace(EKS, network=v)),
    ("EksClusterProps", EKS, lambda v: v),
    ("DatabaseNetwork", DATABASE_NETWORK, lambda v: dataclasses.replace(DATABASE, network=v)),
    ("DatabaseProps", DATABASE, lambda v: v),
    ("Certificate", CERTIFICATE, lambda v: dataclasses.replace(EDGE, certificate=v)),
    ("Certificate(arn)", CERTIFICATE_ARN, lambda v: dataclasses.replace(EDGE, certificate=v)),
    ("EdgeNetwork", EDGE_NETWORK, lambda v: dataclasses.replace(EDGE, network=v)),
    ("EdgeProps", EDGE, lambda v: v),
    ("AlarmThresholds", AlarmThresholds(), lambda v: dataclasses.replace(ALARMS, thresholds=v)),
    ("AlarmTargets", TARGETS, lambda v: dataclasses.replace(ALARMS, targets=v)),
    ("AlarmsProps", ALARMS, lambda v: v),
    ("CiIdentityProps", CI, lambda v: v),
    ("PlatformProps", PLATFORM, lambda v: v),
    ("ImageTags", IMAGE_TAGS, lambda v: dataclasses.replace(WORKLOADS, image_tags=v)),
    ("Resources", RESOURCES, lambda v: dataclasses.replace(
        WORKLOADS, services=Services(core=dataclasses.replace(SERVICE, resources=v)))),
    ("ServiceProps", SERVICE, lambda v: dataclasses.replace(WORKLOADS, services=Services(swarm=v))),
    ("WorkloadsProps", WORKLOADS, lambda v: v),
    ("ReleaseRoles", ROLES, lambda v: dataclasses.replace(RELEASES, roles=v)),
    ("ClusterReleasesProps", RELEASES, lambda v: v),
]


class Opaque:
    """A value of no type any field accepts."""

    def __repr__(self) -> str:
        return "<opaque>"


WRONG = [None, {}, {"x": 1}, [], ["x"], [1, None], "x", "", True, False, 1.5, math.nan, math.inf, -math.inf, -1, 0,
         10 ** 30, Opaque()]

CASES = [pytest.param(valid, wrap, field.name, id=f"{label}.{field.name}")
         for label, valid, wrap in NESTED for field in dataclasses.fields(valid)]
# A certificate given both ways is reported as such, at "certificate" (tested in test_edge.py).
BOTH_WAYS = {"Certificate.certificate_arn", "Certificate(arn).domain_name", "Certificate(arn).hosted_zone_name"}


def test_every_valid_fixture_is_valid():
    for label, valid, wrap in NESTED:
        assert wrap(valid).validate() == [], label


@pytest.mark.parametrize("valid, wrap, field", CASES)
def test_no_value_of_any_type_in_any_field_raises(valid, wrap, field):
    for value in WRONG:
        props = wrap(dataclasses.replace(valid, **{field: value}))
        problems = props.validate()
        assert isinstance(problems, list) and all(isinstance(p, Problem) for p in problems), (field, value)
        for problem in problems:
            str(problem)  # renders without raising


@pytest.mark.parametrize("valid, wrap, field", [c for c in CASES if c.id not in BOTH_WAYS])
def test_a_value_of_no_sensible_type_is_reported_at_its_field(valid, wrap, field):
    problems = wrap(dataclasses.replace(valid, **{field: Opaque()})).validate()
    paths = [p.path for p in problems]
    assert any(path.split(".")[-1].split("[")[0] == field or f".{field}" in f".{path}" for path in paths), paths
    assert all("; fix: " in str(p) for p in problems)


@pytest.mark.parametrize("valid, wrap, field", [c for c in CASES if c.id in BOTH_WAYS])
def test_a_second_certificate_of_no_sensible_type_is_reported_as_two_certificates(valid, wrap, field):
    # Setting the field the fixture leaves empty gives the certificate both an ARN and a domain: that is reported
    # once, at 'certificate', whatever the value's type.
    problems = wrap(dataclasses.replace(valid, **{field: Opaque()})).validate()
    assert [p.what for p in problems if p.path.endswith("certificate")] == ["two certificates"], problems


@pytest.mark.parametrize("value", [True, 60.0, math.nan, math.inf])
def test_booleans_fractions_and_non_finite_numbers_are_not_whole_numbers(value):
    problems = dataclasses.replace(NETWORK, private_subnet_new_bits=value).validate()
    assert [p.path for p in problems] == ["private_subnet_new_bits"]
    problems = AlarmThresholds(evaluation_periods=value).validate()
    assert [(p.path, p.what) for p in problems] == [("evaluation_periods", "not a whole number")]


@pytest.mark.parametrize("value", [True, math.nan, math.inf])
def test_thresholds_must_be_finite_numbers_not_booleans(value):
    problems = AlarmThresholds(rds_cpu_percent=value).validate()
    assert [str(p) for p in problems] == [f"rds_cpu_percent: invalid value (got {value!r}); allowed: a finite number; "
                                          "fix: set rds_cpu_percent to a number"]


def test_a_string_where_a_list_of_strings_is_expected_says_to_wrap_it():
    (problem,) = dataclasses.replace(EKS, admin_principal_arns="arn:aws:iam::111122223333:role/a").validate()
    assert str(problem) == ("admin_principal_arns: not a list (got 'arn:aws:iam::111122223333:role/a'); allowed: a "
                            "list of IAM role or user ARNs; fix: wrap it in a list: "
                            "['arn:aws:iam::111122223333:role/a']")
    (problem,) = dataclasses.replace(GROUP, instance_types="m6i.large").validate()
    assert (problem.path, problem.got, problem.fix) == ("instance_types", "m6i.large", "wrap it in a list: ['m6i.large']")


def test_lists_are_accepted_where_tuples_are_documented():
    props = NetworkProps(name="vtc-test", vpc_cidr="10.20.0.0/16", availability_zones=["eu-west-1a", "eu-west-1b"])
    assert props.availability_zones == ("eu-west-1a", "eu-west-1b") and props.validate() == []
    assert NodeGroupProps(name="general", instance_types=["m6i.large"]).instance_types == ("m6i.large",)


# --- enum values as strings -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("build, attribute, member", [
    (lambda: dataclasses.replace(NETWORK, nat_strategy="single"), "nat_strategy", NatStrategy.SINGLE),
    (lambda: NodeGroupProps(name="general", capacity_type="SPOT"), "capacity_type", CapacityType.SPOT),
    (lambda: NodeGroupProps(name="general", desired_size_owner="autoscaler"), "desired_size_owner",
     DesiredSizeOwner.AUTOSCALER),
    (lambda: Taint(key="dedicated", effect="NO_EXECUTE"), "effect", TaintEffect.NO_EXECUTE),
])
def test_an_enum_members_value_is_accepted_as_the_member(build, attribute, member):
    props = build()
    assert getattr(props, attribute) is member
    assert props.validate() == []


@pytest.mark.parametrize("build, expected", [
    (lambda: dataclasses.replace(NETWORK, nat_strategy="Single"),
     "nat_strategy: invalid value (got 'Single'); allowed: one_per_az, single; fix: pick one of the allowed strategies; "
     "did you mean 'single'? (the values are case-sensitive)"),
    (lambda: dataclasses.replace(NETWORK, nat_strategy="singel"),
     "nat_strategy: invalid value (got 'singel'); allowed: one_per_az, single; fix: pick one of the allowed strategies; "
     "did you mean 'single'?"),
    (lambda: NodeGroupProps(name="general", capacity_type="spot"),
     "capacity_type: invalid value (got 'spot'); allowed: ON_DEMAND, SPOT; fix: pick one of the allowed capacity types; "
     "did you mean 'SPOT'? (the values are case-sensitive)"),
    (lambda: NodeGroupProps(name="general", capacity_type="reserved"),
     "capacity_type: invalid value (got 'reserved'); allowed: ON_DEMAND, SPOT; fix: pick one of the allowed capacity "
     "types"),  # nothing close: no guess
    (lambda: Taint(key="dedicated", effect="NoExecute"),
     "effect: invalid value (got 'NoExecute'); allowed: NO_SCHEDULE, NO_EXECUTE, PREFER_NO_SCHEDULE; fix: pick one "
     "of the taint effects; did you mean 'NO_EXECUTE'?"),
])
def test_an_unknown_enum_string_is_reported_and_never_listed_as_allowed(build, expected):
    (problem,) = build().validate()
    assert str(problem) == expected
    assert repr(problem.got).strip("'") not in problem.allowed.split(", ")


def test_a_field_left_out_is_reported_as_missing_not_invalid():
    problems = dataclasses.replace(NETWORK, name=None).validate()
    assert [str(p) for p in problems] == [
        "name: missing (got None); allowed: 3-32 characters of a-z, 0-9 and '-', "
        "starting with a letter; fix: use a short lower-case name such as 'vtc-staging'"]


# --- the wrong props --------------------------------------------------------------------------------------------------

def stack() -> TerraformStack:
    return TerraformStack(cdktf.Testing.app(), "test")


CONSTRUCTS = [(Network, "NetworkProps"), (EksCluster, "EksClusterProps"), (PgvectorDatabase, "DatabaseProps"),
              (Edge, "EdgeProps"), (Alarms, "AlarmsProps"), (CiIdentity, "CiIdentityProps")]


@pytest.mark.parametrize("construct, expected", CONSTRUCTS)
@pytest.mark.parametrize("props, got, how", [
    ({"name": "vtc-test"}, "dict", r"build it from the dict: \w+\(\*\*your_dict\)$"),
    (None, "NoneType", r"build one: \w+\(name='my-service', "),
    (AlarmThresholds(), "AlarmThresholds", r"build one: \w+\(name='my-service', "),
])
def test_anything_but_its_props_class_is_a_type_error_that_says_how_to_build_it(construct, expected, props, got, how):
    with pytest.raises(TypeError) as raised:
        construct(stack(), "x", props)
    message = str(raised.value)
    assert message.startswith(f"{construct.__name__}(scope, id, props): props must be a vtc_constructs.")
    assert f".{expected} (got {got}); " in message
    import re
    assert re.search(how, message), message


def test_another_constructs_props_are_named_as_such():
    with pytest.raises(TypeError, match=r"^Network\(scope, id, props\): props must be a vtc_constructs\."
                                        r"NetworkProps \(got DatabaseProps\); DatabaseProps is the input of another "
                                        r"construct; build a NetworkProps: NetworkProps\(name='my-service'"):
        Network(stack(), "network", DATABASE)


# --- one AWS name, one construct --------------------------------------------------------------------------------------

def test_two_networks_with_one_name_in_a_stack_are_refused_naming_both():
    scope = stack()
    Network(scope, "network", NETWORK)
    with pytest.raises(ConfigError) as raised:
        Network(scope, "network-2", NETWORK)
    assert [str(p) for p in raised.value.problems] == [
        "network-2.name: CloudWatch log group already claimed by test/network (got '/vtc/vtc-test/vpc-flow-logs'); "
        "allowed: a name that gives no other construct's CloudWatch log group; fix: rename test/network-2 or "
        "test/network: both would create the CloudWatch log group '/vtc/vtc-test/vpc-flow-logs'",
        "network-2.name: KMS alias already claimed by test/network (got 'alias/vtc-test-vpc-flow-logs'); allowed: a "
        "name that gives no other construct's KMS alias; fix: rename test/network-2 or test/network: both would "
        "create the KMS alias 'alias/vtc-test-vpc-flow-logs'",
    ]


def test_the_same_names_in_two_stacks_are_fine():
    app = cdktf.Testing.app()
    Network(TerraformStack(app, "one"), "network", NETWORK)
    Network(TerraformStack(app, "two"), "network", NETWORK)


def test_two_clusters_with_one_name_are_refused():
    scope = stack()
    network = Network(scope, "network", NETWORK)
    props = dataclasses.replace(EKS, network=network.cluster_network())
    EksCluster(scope, "eks", props)
    with pytest.raises(ConfigError) as raised:
        EksCluster(scope, "eks-2", props)
    first = raised.value.problems[0]
    assert (first.path, first.got, first.what) == ("eks-2.name", "vtc-test", "EKS cluster already claimed by test/eks")
    assert first.fix == "rename test/eks-2 or test/eks: both would create the EKS cluster 'vtc-test'"


def test_two_databases_with_one_identifier_are_refused():
    scope = stack()
    PgvectorDatabase(scope, "database", DATABASE)
    with pytest.raises(ConfigError) as raised:
        PgvectorDatabase(scope, "database-2", DATABASE)
    first = raised.value.problems[0]
    assert (first.path, first.got, first.what) == ("database-2.name", "vtc-test-postgres",
                                                   "RDS instance already claimed by test/database")


def test_two_load_balancers_with_one_name_are_refused():
    scope = stack()
    Edge(scope, "edge", EDGE)
    with pytest.raises(ConfigError) as raised:
        Edge(scope, "edge-2", EDGE)
    first = raised.value.problems[0]
    assert (first.path, first.got, first.what) == ("edge-2.name", "vtc-test", "load balancer already claimed by "
                                                                              "test/edge")
    assert first.fix == "rename test/edge-2 or test/edge: both would create the load balancer 'vtc-test'"


def test_two_alarm_sets_with_one_name_are_refused():
    scope = stack()
    Alarms(scope, "alarms", ALARMS)
    with pytest.raises(ConfigError) as raised:
        Alarms(scope, "alarms-2", ALARMS)
    assert [p.got for p in raised.value.problems] == ["vtc-test-page", "vtc-test-notify", "vtc-test-heartbeat",
                                                      "vtc-test", "alias/vtc-test-alarms"]


@pytest.mark.parametrize("change, path", [
    ({"container_log_groups": {"application": None, "add-ons": 3}}, "container_log_groups.application"),
    ({"target_group_arns": {"blue": None, "green": ""}}, "target_group_arns.blue"),
    ({"grafana_admin_secret_name": "elsewhere/grafana-admin"}, "grafana_admin_secret_name"),
])
def test_release_props_report_their_values_in_the_first_round(change, path):
    # What the cluster config would refuse later is reported by ClusterReleasesProps.validate(), with the rest.
    problems = dataclasses.replace(RELEASES, **change).validate()
    assert path in [p.path for p in problems], [str(p) for p in problems]


def test_a_required_field_given_none_is_reported_once_as_missing_with_what_it_allows():
    """Each required field (no default) of each props class, given None: one problem at that field, "missing", with
    what the field allows; never "malformed CIDR (got None)", "not a list" or
    "unsupported Kubernetes version" for a value that was simply not given."""
    from tests.test_tokens import PROPS

    cases = {**PROPS, "network": NETWORK, "eks": EKS, "ci": CI}
    checked, wrong = 0, []
    for kind, props in cases.items():
        assert props.validate() == [], kind
        for field in dataclasses.fields(props):
            if field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING:
                continue
            found = [p for p in dataclasses.replace(props, **{field.name: None}).validate() if p.path == field.name]
            checked += 1
            if len(found) != 1 or not str(found[0]).startswith(f"{field.name}: missing (got None); allowed: "):
                wrong.append((kind, field.name, [str(p) for p in found]))
    assert wrong == [] and checked >= 50
