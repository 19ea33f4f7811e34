"""Terraform references (cdktf tokens) given to the constructs, as a user composing them in a stack of their own does:
where a value is only passed on (ids, ARNs, a subnet list from ``DataAwsSubnets``), the token is accepted and the
checks that need the literal value are skipped; where the construct computes from it at synth (Network's CIDR and
AZs, counts), it is refused with a problem that says so; every field of the other props (database, edge, cache,
search, node group, alarms, registry, the WAF, a taint, the workloads and the releases with what they nest) is swept
one token at a time against the table of what each refuses.
Also :meth:`EksCluster.irsa_role`'s checks of its inputs and
the region check of Network's AZs, whatever the order of the provider and the Network.

Props-level tests ask nothing of jsii beyond making the tokens; a few small stacks are synthesized (one EKS cluster
on a subnet list token, Networks and their providers in either order, and the releases and a web ACL given the
references they only pass on)."""

from __future__ import annotations

import dataclasses
import json
import math
import re

import pytest
import cdktf
from cdktf import App, Fn, TerraformStack, TerraformVariable, Token

from vtc_constructs import (
    AlarmsProps,
    AlarmTargets,
    AlarmThresholds,
    CiIdentityProps,
    ClusterNetwork,
    ConfigError,
    DatabaseNetwork,
    DatabaseProps,
    EdgeNetwork,
    EdgeProps,
    Certificate,
    EksCluster,
    EksClusterProps,
    Network,
    NetworkProps,
    NodeGroupProps,
    RegistryProps,
    SearchDomainProps,
    SearchNetwork,
)
from tests import test_construct_inputs as inputs
from vtc_constructs.cache import CacheNetwork, CacheProps
from vtc_constructs.eks_props import Taint
from vtc_constructs.errors import Problem, token_kind
from vtc_constructs.releases import ClusterReleases, ClusterReleasesProps, ReleaseRoles, eks_helm_provider
from vtc_constructs.service_props import Resources, ServiceProps
from vtc_constructs._common import Account
from vtc_constructs.waf import WafProps, add_web_acl
from vtc_constructs.workload_images import ImageDigests, ImageTags
from vtc_constructs.workload_inputs import CacheEndpoint, SealedSecretProps, SearchEndpoint
from vtc_constructs.workloads import WorkloadsProps, placement_problems

from cdktf_cdktf_provider_aws.data_aws_availability_zones import DataAwsAvailabilityZones
from cdktf_cdktf_provider_aws.data_aws_subnets import DataAwsSubnets
from cdktf_cdktf_provider_aws.provider import AwsProvider

from .conftest import SEALED_STAND_IN
from .helpers import resources

ROLE = "arn:aws:iam::111122223333:role/platform-admin"
NETWORK = NetworkProps(name="vtc-test", vpc_cidr="10.20.0.0/16", availability_zones=("eu-west-1a", "eu-west-1b"))


class Tokens:
    """The tokens a user's stack hands the constructs: made once, in a stack that is never synthesized."""

    def __init__(self):
        stack = TerraformStack(cdktf.Testing.app(), "tokens")
        self.string = TerraformVariable(stack, "cidr", type="string").string_value
        self.number = TerraformVariable(stack, "bits", type="number").number_value
        self.subnets = DataAwsSubnets(stack, "subnets").ids
        self.azs = DataAwsAvailabilityZones(stack, "azs").names
        self.first_az = Fn.element(self.azs, 0)


@pytest.fixture(scope="module")
def tokens() -> Tokens:
    return Tokens()


def only(problems) -> str:
    assert len(problems) == 1, [str(p) for p in problems]
    return str(problems[0])


# --- the one shared test ----------------------------------------------------------------------------------------------

def test_token_kind_tells_string_list_and_number_tokens_as_cdktf_does(tokens):
    kinds = {"string": tokens.string, "list": tokens.subnets, "number": tokens.number}
    assert {kind: token_kind(value) for kind, value in kinds.items()} == {k: k for k in kinds}
    assert all(Token.is_unresolved(value) for value in kinds.values())
    # As the props hold them: a list becomes a tuple (coerce_fields), an element of a list is a string token.
    assert token_kind(tuple(tokens.subnets)) == "list" and token_kind(tokens.first_az) == "string"
    plain = ["10.0.0.0/16", "", ["subnet-1"], ("a", "b"), [], -1e300, 0.0, -1.0, 3, math.nan, math.inf,
             None, True, {"a": 1}, ["#{TfToken[TOKEN.1]}", "subnet-2"]]
    assert [token_kind(v) for v in plain] == [None] * len(plain)
    assert not any(Token.is_unresolved(list(v) if isinstance(v, tuple) else v) for v in plain[:8])


# --- computed at synth: refused, saying so ----------------------------------------------------------------------------

def test_network_refuses_a_cidr_known_only_at_apply_saying_what_to_pass(tokens):
    assert only(dataclasses.replace(NETWORK, vpc_cidr=tokens.string).validate()) == (
        f"vpc_cidr: a Terraform reference (a string token) known only at apply, but needed at synth (got "
        f"{tokens.string!r}); allowed: a literal CIDR known at synth, e.g. '10.20.0.0/16'; fix: pass the CIDR "
        "itself; Network computes its subnets from it (for a VPC that exists already, pass its subnets to the "
        "cluster, database and edge contracts instead of building a Network)")


def test_a_list_token_spliced_into_a_list_whose_items_each_make_a_resource_is_refused(tokens):
    # (sg.id, *data.ids): Python cannot count the groups, and each gets an ingress rule of its own.
    network = CacheNetwork(vpc_id="vpc-1", subnet_ids=("subnet-a", "subnet-b"),
                           client_security_group_ids=("sg-1", *tokens.subnets))
    problems = [str(p) for p in dataclasses.replace(CacheProps(name="vtc-test", engine_version="8.1"),
                                                    network=network).validate()]
    assert [p.split(":")[0] for p in problems] == ["network.client_security_group_ids"]
    assert "known only at apply" in problems[0] and "(got ['sg-1', '#{TfToken[" in problems[0]


@pytest.mark.parametrize("azs, kind", [("list", "a list token"), ("element", "a string token"),
                                      ("spliced", "a list token")])
def test_network_refuses_azs_known_only_at_apply_once_not_as_misnamed_azs(tokens, azs, kind):
    # ("spliced": a list token put into a literal list, ("eu-west-1a", *azs): its item is the encoded list)
    value = tokens.azs if azs == "list" else (tokens.first_az, "eu-west-1b") if azs == "element" else \
        ("eu-west-1a", *tokens.azs)
    problem = only(dataclasses.replace(NETWORK, availability_zones=value).validate())
    assert problem.startswith(f"availability_zones: a Terraform reference ({kind}) known only at apply")
    assert "allowed: a literal list of AZ names known at synth" in problem and "one subnet per tier in each AZ" \
        in problem and "not its id" not in problem


def test_network_refuses_number_tokens_it_computes_from_and_passes_retention_on(tokens):
    props = dataclasses.replace(NETWORK, public_subnet_new_bits=tokens.number, interface_endpoint_zones=tokens.number,
                                flow_log_retention_days=tokens.number)
    assert [p.path for p in props.validate()] == ["public_subnet_new_bits", "interface_endpoint_zones"]
    assert "(a number token) known only at apply" in str(props.validate()[0])


def test_lists_the_construct_makes_one_resource_per_item_of_refuse_a_list_token_but_take_references_in_them(tokens):
    eks = EksClusterProps(name="vtc-test", kubernetes_version="1.33", node_groups=(NodeGroupProps(name="general"),),
                          network=ClusterNetwork(vpc_id="vpc-1", subnet_ids=("subnet-a", "subnet-b"),
                                                 dns_support=True, dns_hostnames=True, subnets_have_nat_route=True))
    assert dataclasses.replace(eks, admin_principal_arns=(tokens.string, ROLE)).validate() == []
    assert only(dataclasses.replace(eks, admin_principal_arns=tokens.subnets).validate()).startswith(
        "admin_principal_arns: a Terraform reference (a list token) known only at apply")
    problem = only(dataclasses.replace(eks, endpoint_public_access_cidrs=(tokens.string,)).validate())
    assert problem.startswith("endpoint_public_access_cidrs: a Terraform reference (a string token)") and \
        "not opened to the internet" in problem
    network = dataclasses.replace(eks.network, interface_endpoints=tokens.subnets)
    assert only(dataclasses.replace(eks, network=network).validate()).startswith(
        "network.interface_endpoints: a Terraform reference (a list token)")
    search = SearchDomainProps(name="vtc-test", engine_version="OpenSearch_2.19", master_user_role_arn=ROLE,
                               network=SearchNetwork(vpc_id=tokens.string, subnet_ids=tokens.subnets,
                                                     client_security_group_ids=(tokens.string,)))
    problem = only(search.validate())
    assert problem.startswith("network.subnet_ids: a Terraform reference (a list token)") and "zone awareness" \
        in problem
    ports = EdgeNetwork(vpc_id="vpc-1", public_subnet_ids=("subnet-a", "subnet-b"), target_security_group_id="sg-1",
                        target_admitted_ports=(8080, tokens.number))
    assert only(ports.type_problems()).startswith("target_admitted_ports: a Terraform reference (a number token)")
    cache = CacheProps(name="vtc-test", engine_version="8.1",
                       network=CacheNetwork(vpc_id="vpc-1", subnet_ids=tokens.subnets,
                                            client_security_group_ids=tokens.subnets))
    assert only(cache.validate()).startswith("network.client_security_group_ids: a Terraform reference (a list token)")


def test_ci_identity_refuses_a_state_bucket_it_must_check_and_takes_the_ids_it_refers_to(tokens):
    ci = CiIdentityProps(name="vtc-test", github_repository="vision-to-code/vtc-infra", github_environment="staging",
                         https_listener_arn=tokens.string, cluster_security_group_id=tokens.string,
                         vpc_id=tokens.string, state_bucket="vtc-terraform-state",
                         state_keys=("vtc/test/terraform.tfstate",))
    assert ci.validate() == []
    assert only(dataclasses.replace(ci, state_bucket=tokens.string).validate()).startswith(
        "state_bucket: a Terraform reference (a string token) known only at apply, but needed at synth")


# --- only passed on: accepted -----------------------------------------------------------------------------------------

def test_subnet_lists_known_only_at_apply_pass_where_they_are_only_passed_on(tokens):
    cluster = ClusterNetwork(vpc_id=tokens.string, subnet_ids=tokens.subnets, dns_support=True, dns_hostnames=True,
                             subnets_have_nat_route=True)
    assert EksClusterProps(name="vtc-test", kubernetes_version="1.33", network=cluster,
                           node_groups=(NodeGroupProps(name="general"),)).validate() == []
    database = DatabaseNetwork(vpc_id=tokens.string, subnet_ids=tokens.subnets, bootstrap_subnet_ids=tokens.subnets,
                               client_security_group_id=tokens.string)
    assert DatabaseProps(name="vtc-test", engine_version="16.8", network=database).validate() == []
    edge = EdgeNetwork(vpc_id=tokens.string, public_subnet_ids=tokens.subnets, target_security_group_id=tokens.string)
    assert EdgeProps(name="vtc-test", network=edge, certificate=Certificate(
        domain_name="app.example.com", hosted_zone_name="example.com")).validate() == []
    cache = CacheNetwork(vpc_id=tokens.string, subnet_ids=tokens.subnets, client_security_group_ids=(tokens.string,))
    assert CacheProps(name="vtc-test", engine_version="8.1", network=cache).validate() == []
    # What can still be checked is: one literal subnet is still one too few.
    one = dataclasses.replace(cluster, subnet_ids=(tokens.string,))
    assert only(EksClusterProps(name="vtc-test", kubernetes_version="1.33", network=one,
                                node_groups=(NodeGroupProps(name="general"),)).validate()).startswith(
        "network.subnet_ids: too few subnets")


# --- every field of the remaining props, one token at a time ------------------------------------------------------

TWO_SUBNETS = ("subnet-a", "subnet-b")
TARGETS = AlarmTargets(alb_arn_suffix="app/vtc-test/1", target_group_arn_suffixes={"blue": "targetgroup/b/1"},
                       db_instance_id="vtc-test-postgres", db_instance_class="db.r6g.large",
                       db_allocated_storage_gib=100, cluster_name="vtc-test")
WORKLOADS = WorkloadsProps(image_repository="111122223333.dkr.ecr.eu-west-1.amazonaws.com/vtc",
                           image_tags=ImageTags(blue="1.4.2", green="1.5.0"), aws_api_cidrs=("10.20.0.0/16",))
#: The releases props of tests/test_construct_inputs.py, with the fields a token sweep needs given too.
RELEASES = dataclasses.replace(
    inputs.RELEASES, workloads=WORKLOADS, cache_member_cluster_ids=("vtc-test-cache-001",), interface_endpoints=("sts",))
#: One valid props of each kind (validate() == []), each field of which gets a token in turn.
PROPS = {
    "database": DatabaseProps(name="vtc-test", engine_version="16.8", network=DatabaseNetwork(
        vpc_id="vpc-1", subnet_ids=TWO_SUBNETS, bootstrap_subnet_ids=("subnet-a",), client_security_group_id="sg-1")),
    "edge": EdgeProps(name="vtc-test", certificate=Certificate(domain_name="app.example.com",
                                                               hosted_zone_name="example.com"),
                      network=EdgeNetwork(vpc_id="vpc-1", public_subnet_ids=TWO_SUBNETS,
                                          target_security_group_id="sg-1")),
    "cache": CacheProps(name="vtc-test", engine_version="8.1", network=CacheNetwork(
        vpc_id="vpc-1", subnet_ids=TWO_SUBNETS, client_security_group_ids=("sg-1",))),
    "search": SearchDomainProps(name="vtc-test", engine_version="OpenSearch_2.19", master_user_role_arn=ROLE,
                                network=SearchNetwork(vpc_id="vpc-1", subnet_ids=TWO_SUBNETS,
                                                      client_security_group_ids=("sg-1",))),
    "node_group": NodeGroupProps(name="general"),
    "thresholds": AlarmThresholds(),
    "targets": TARGETS,
    "alarms": AlarmsProps(name="vtc-test", targets=TARGETS, page_email_endpoints=("oncall@example.com",)),
    "registry": RegistryProps(name="vtc-test", node_role_arn=ROLE, github_repositories=("vision-to-code/vtc-services",),
                              github_environment="staging",
                              oidc_provider_arn="arn:aws:iam::111122223333:oidc-provider/"
                                                "token.actions.githubusercontent.com"),
    "waf": WafProps(count_only_groups=("AWSManagedRulesAnonymousIpList",)),
    "taint": Taint(key="dedicated", value="api"),
    "workloads": WORKLOADS,
    "service": ServiceProps(min_replicas=2, max_replicas=4, path="/core"),
    "resources": Resources(),
    "image_tags": WORKLOADS.image_tags,
    "cache_endpoint": CacheEndpoint(host="master.vtc-test-cache.abc123.euw1.cache.amazonaws.com",
                                    reader_host="replica.vtc-test-cache.abc123.euw1.cache.amazonaws.com",
                                    user="vtc-test-cache-services", replication_group_id="vtc-test-cache",
                                    cidrs=("10.20.0.0/19",)),
    "sealed_secret": SealedSecretProps(namespace="monitoring", encrypted_data={"routing-key": SEALED_STAND_IN}),
    "search_endpoint": SearchEndpoint(endpoint="vpc-vtc-test-abc.eu-west-1.es.amazonaws.com", region="eu-west-1",
                                      admin_role_arn=f"{ROLE}-admin", fluent_bit_role_arn=f"{ROLE}-fluent-bit",
                                      jaeger_role_arn=f"{ROLE}-jaeger", reader_role_arns=(f"{ROLE}-reader",)),
    "releases": RELEASES,
    "release_roles": RELEASES.roles,
}
#: What each props refuses a token in (the rest of its fields given a token of their kind accept it). A field that
#: only passes its value on to a resource accepts one; one the construct names things after, counts, compares or
#: checks at synth refuses it. ("list" / "item": a list token / a list with a string token in it.)
REFUSED = {
    "database": {"name", "engine_version", "instance_class", "allocated_storage_gib", "max_allocated_storage_gib",
                 "backup_window", "maintenance_window", "database_name", "app_role", "app_schema"},
    "edge": {"name", "target_port", "health_check_port", "ingress_cidrs:list", "ingress_cidrs:item", "tls_policy",
             "target_group_binding_cluster"},
    "cache": {"name", "engine_version", "node_type", "replicas_per_node_group", "port", "snapshot_window",
              "maintenance_window"},
    "search": {"name", "engine_version", "instance_type", "instance_count", "dedicated_master_type", "volume_gib",
               "volume_iops", "volume_throughput_mibps", "index_hot_days", "index_retention_days",
               "writer_role_arns:list", "reader_role_arns:list", "reader_cidrs:list"},
    "node_group": {"name", "instance_types:list", "instance_types:item", "capacity_type", "min_size", "desired_size",
                   "max_size", "desired_size_owner", "release_version", "taints:list", "taints:item"},
    "thresholds": {f.name for f in dataclasses.fields(AlarmThresholds)},
    "targets": {"db_instance_class", "db_max_allocated_storage_gib"},
    "alarms": {"name", "page_email_endpoints:list", "page_https_endpoints:list", "page_https_endpoints:item",
               "notify_email_endpoints:list", "pagerduty_url_secret_names:list", "pagerduty_url_secret_names:item"},
    "registry": {"name", "github_repositories:list", "github_repositories:item", "github_environment",
                 "repository_prefix", "untagged_expiry_days"},
    # (An upload path prefix is passed on as the statement's search string; the list of them, and the groups, not.)
    "waf": {"upload_path_prefixes:list", "count_only_groups:list", "count_only_groups:item"},
    "taint": {"effect"},
    # The names and namespaces, the objectives, the counts and sizes (numbers in a values document); not the
    # repository or the releases' timeout (a helm_release attribute), nor a range in aws_api_cidrs.
    "workloads": {"namespace", "gateway_namespace", "collector_namespace", "collector_release", "monitoring_namespace",
                  "monitoring_release", "aws_api_cidrs:list", "slo_p99_latency_ms", "slo_error_rate_percent",
                  "alertmanager_pagerduty_secret", "ingress_replicas", "prometheus_replicas",
                  "prometheus_retention_days", "prometheus_storage_gib"},
    "service": {"min_replicas", "max_replicas", "target_cpu_percent", "max_unavailable", "path"},
    "resources": {"cpu_request", "memory_request", "cpu_limit", "memory_limit"},
    "image_tags": {"blue", "green"},
    "cache_endpoint": {"cidrs:list", "port"},
    "sealed_secret": {"namespace"},
    "search_endpoint": {"index_hot_days", "log_retention_days", "trace_retention_days", "replicas",
                        "reader_role_arns:list"},
    "releases": {"environment", "kubernetes_version", "database_cidrs:list", "grafana_admin_secret_name",
                 "load_balancer_cidrs:list", "cache_member_cluster_ids:list", "charts_dir", "secrets_prefix",
                 "interface_endpoints:list", "interface_endpoints:item"},
}
#: Fields of a kind no token fits (booleans, tables, nested props) or refused whatever they hold (removed).
NOT_TOKENS = {"network", "certificate", "waf", "targets", "thresholds", "tags", "labels", "multi_az", "disposable",
              "automatic_failover", "deletion_protection", "pagerduty_ssm_parameter_names", "pagerduty_secret_names",
              "target_group_arn_suffixes", "cache", "search"}


def token_cases(props, tokens):
    """``(field[:list|:item], token)`` for each field of ``props`` with a token of its kind: a string token for a
    string, a number token for a number, a list token and a list holding a string token for a list."""
    for field in dataclasses.fields(props):
        value, hint = getattr(props, field.name), str(field.type)
        if field.name in NOT_TOKENS:
            continue
        if isinstance(value, tuple):
            yield f"{field.name}:list", tokens.subnets
            yield f"{field.name}:item", (tokens.string,)
        elif isinstance(value, str) or value is None and "str" in hint:
            yield field.name, tokens.string
        elif isinstance(value, (int, float)) or value is None and "int" in hint:
            yield field.name, tokens.number


def test_each_field_of_the_remaining_props_accepts_a_token_or_refuses_it_as_known_only_at_apply(tokens):
    refused, other = {}, []
    for kind, props in PROPS.items():
        assert props.validate() == [], kind
        for case, token in token_cases(props, tokens):
            field = case.split(":")[0]
            problems = [str(p) for p in dataclasses.replace(props, **{field: token}).validate()]
            if problems:
                refused.setdefault(kind, set()).add(case)
                # One problem, at the field, saying why (never the old "malformed", "invalid value"...).
                if len(problems) != 1 or not problems[0].startswith(f"{field}: a Terraform reference (") or \
                        "known only at apply, but needed at synth" not in problems[0]:
                    other.append((kind, case, problems))
    assert other == []
    assert refused == REFUSED
    # A token of another kind than the field's (a number where a string belongs...) is a problem, never an exception.
    for props in PROPS.values():
        for field in dataclasses.fields(props):
            for token in (tokens.string, tokens.number, tokens.subnets, (tokens.first_az, *tokens.azs)):
                assert all(isinstance(p, Problem) for p in dataclasses.replace(props, **{field.name: token}).validate())


def test_nested_props_say_which_reference_they_refuse_and_pass_the_others_on(tokens):
    edge = PROPS["edge"]
    by_arn = dataclasses.replace(edge, certificate=Certificate(certificate_arn=tokens.string))
    assert by_arn.validate() == []  # AcmCertificate.arn, say: passed on to the listener
    zone = dataclasses.replace(edge, certificate=Certificate(domain_name="app.example.com",
                                                             hosted_zone_name=tokens.string))
    assert only(zone.validate()).startswith("certificate.hosted_zone_name: a Terraform reference (a string token) "
                                            "known only at apply")
    eks = EksClusterProps(name="vtc-test", kubernetes_version="1.33", network=ClusterNetwork(
        vpc_id="vpc-1", subnet_ids=TWO_SUBNETS, dns_support=True, dns_hostnames=True, subnets_have_nat_route=True),
        node_groups=(NodeGroupProps(name="general", desired_size=tokens.number, disk_size_gib=tokens.number),))
    problem = only(eks.validate())
    assert problem.startswith("node_groups.general.desired_size: a Terraform reference (a number token)") and \
        "min_size <= desired_size <= max_size" in problem
    # What the platform passes from the other resources stays accepted; what the alarms compute from does not.
    targets = dataclasses.replace(TARGETS, alb_arn_suffix=tokens.string, db_instance_id=tokens.string,
                                  cluster_name=tokens.string, db_allocated_storage_gib=tokens.number,
                                  target_group_arn_suffixes={"blue": tokens.string, "green": tokens.string})
    alarms = dataclasses.replace(PROPS["alarms"], targets=targets, notify_email_endpoints=(tokens.string,),
                                 rollback_hint=tokens.string)
    assert alarms.validate() == []
    ceiling = dataclasses.replace(targets, db_max_allocated_storage_gib=tokens.number)
    refused = dataclasses.replace(alarms, targets=ceiling,
                                  thresholds=AlarmThresholds(rds_free_storage_percent=tokens.number),
                                  page_email_endpoints=("oncall@example.com", *tokens.subnets))
    assert [p.path for p in refused.validate()] == ["page_email_endpoints", "thresholds.rds_free_storage_percent",
                                                    "targets.db_max_allocated_storage_gib"]
    assert all("known only at apply, but needed at synth" in str(p) for p in refused.validate())


def test_what_the_workloads_and_the_waf_props_compute_from_refuses_a_reference_inside_its_tables(tokens):
    actions = WafProps(rule_actions={"AWSManagedRulesAnonymousIpList": {"HostingProviderIPList": tokens.string}})
    assert only(actions.validate()).startswith("rule_actions.AWSManagedRulesAnonymousIpList.HostingProviderIPList: "
                                               "a Terraform reference (a string token) known only at apply")
    sealed = SealedSecretProps(namespace="monitoring", encrypted_data={"routing-key": tokens.string})
    problem = only(sealed.validate())
    assert problem.startswith("encrypted_data.routing-key: a Terraform reference (a string token)") and \
        "never a plain secret" in problem
    # Neither a digest nor the service it pins may be a reference: a data source's digest is read again at every
    # plan (as a tag's would be: ImageTags refuses those), so no review would see which build runs.
    assert only(ImageDigests(green={"core": tokens.string}).validate()).startswith(
        "green.core: a Terraform reference (a string token) known only at apply")
    assert only(ImageDigests(green={tokens.string: "sha256:" + "0" * 64}).validate()).startswith(
        "green: a Terraform reference (a string token) known only at apply")
    # Nested: the path says where.
    services = dataclasses.replace(WORKLOADS, services=dataclasses.replace(
        WORKLOADS.services, core=ServiceProps(min_replicas=2, max_replicas=4,
                                              resources=Resources(cpu_limit=tokens.string))))
    assert only(services.validate()).startswith("services.core.resources.cpu_limit: a Terraform reference")
    releases = dataclasses.replace(RELEASES, workloads=dataclasses.replace(WORKLOADS, ingress_replicas=tokens.number),
                                   roles=dataclasses.replace(RELEASES.roles, grafana=tokens.number))
    assert [p.path for p in releases.validate()] == ["roles.grafana", "workloads.ingress_replicas"]
    # The services' chart's own arguments (WorkloadsProps.chart_values) as ClusterReleasesProps' fields.
    placement = placement_problems(environment=tokens.string, region=tokens.string, database_host=tokens.string,
                                   database_cidrs=tokens.subnets, database_name=tokens.string, database_user="vtc_app",
                                   database_schema="vtc", host=tokens.string)
    assert [p.path for p in placement] == ["environment", "database_cidrs"]
    assert all("known only at apply, but needed at synth" in str(p) for p in placement)


def test_references_the_releases_only_pass_on_reach_helm_as_set_entries_and_the_waf_as_a_search_string():
    # One synth: what is accepted above reaches Terraform as the reference, outside the JSON values documents.
    app = cdktf.Testing.app()
    stack = TerraformStack(app, "workloads")
    eks_helm_provider(stack, "helm", cluster_name="vtc-test", endpoint="https://eks.example",
                      certificate_authority_data="Y2E=", region="eu-west-1")

    def ref(name):
        return TerraformVariable(stack, name, type="string").string_value
    workloads = dataclasses.replace(WORKLOADS, image_repository=ref("repository"), aws_api_cidrs=(ref("api_cidr"),),
                                    image_digests=ImageDigests(green={"core": "sha256:" + "0" * 64}),
                                    release_timeout_seconds=TerraformVariable(stack, "timeout",
                                                                              type="number").number_value)
    cache = CacheEndpoint(host=ref("cache_host"), reader_host=ref("cache_reader"), user=ref("cache_user"),
                          replication_group_id=ref("cache_group"), cidrs=(ref("cache_cidr"), "10.20.32.0/19"))
    props = dataclasses.replace(RELEASES, workloads=workloads, region=ref("region"), vpc_cidr=ref("vpc_cidr"),
                                database_cidrs=(ref("database_cidr"),), load_balancer_cidrs=(ref("lb_cidr"),),
                                roles=dataclasses.replace(RELEASES.roles, services=ref("services_role")),
                                cache=cache, cache_member_cluster_ids=(ref("cache_node"),))
    assert props.validate() == []
    ClusterReleases(stack, "releases", props)
    edge = TerraformStack(app, "edge")
    prefix = TerraformVariable(edge, "upload_prefix", type="string").string_value
    add_web_acl(edge, name="vtc-test", waf=WafProps(upload_path_prefixes=(prefix,)), rate_limit_per_5_minutes=2000,
                log_retention_days=30, resource_arn="arn:aws:elasticloadbalancing:eu-west-1:111122223333:"
                "loadbalancer/app/vtc-test/0123456789abcdef", account=Account.of(edge), tags={})
    tf = json.loads(json.dumps(stack.to_terraform()))
    assert "TfToken" not in json.dumps(tf)
    releases = {r["name"]: r for r in tf["resource"]["helm_release"].values()}
    sets = {(name, s["name"]): s["value"] for name, r in releases.items() for s in r.get("set", [])}
    assert {sets[key] for key in [("vtc-green", "image.repository"),
                                  ("vtc-blue", "aws.apiCidrs[0]"), ("vtc-blue", "database.cidrs[0]"),
                                  ("vtc-blue", "cache.cidrs[0]"), ("vtc-blue", "cache.host"),
                                  ("vtc-blue", "serviceAccount.roleArn"), ("aws-load-balancer-controller", "region"),
                                  ("ngf-blue", "nginx.config.rewriteClientIP.trustedAddresses[0].value"),
                                  ("vtc-cluster-config", "dashboards.cacheClusterIds[0]")]} == {
        "${var.repository}", "${var.api_cidr}", "${var.database_cidr}", "${var.cache_cidr}",
        "${var.cache_host}", "${var.services_role}", "${var.region}", "${var.lb_cidr}", "${var.cache_node}"}
    # Every reference is a set entry (never inside a values document, where it would be a literal string), and the
    # timeout is the helm_release's own attribute.
    used = {m for value in sets.values() for m in re.findall(r"\$\{var\.([a-z_]+)\}", value)}
    assert used == set(tf["variable"]) - {"timeout"}
    assert not [name for name, r in releases.items() if "${var." in "".join(r["values"])]
    assert {r["timeout"] for r in releases.values()} == {"${var.timeout}"}
    (acl,) = resources(json.loads(json.dumps(edge.to_terraform())), "aws_wafv2_web_acl").values()
    (large,) = [rule for rule in acl["rule"] if rule["name"] == "LargeBodiesOutsideUploadPaths"]
    match = large["statement"]["and_statement"]["statement"][1]["not_statement"]["statement"][0]
    assert match["byte_match_statement"]["search_string"] == "${var.upload_prefix}"


# --- one small stack: a cluster on an existing VPC's subnets, and irsa_role's checks ---------------------------------

@pytest.fixture(scope="module")
def cluster_stack():
    stack = TerraformStack(cdktf.Testing.app(), "test")
    AwsProvider(stack, "aws", region="eu-west-1")
    subnets = DataAwsSubnets(stack, "existing-subnets")
    taint = Taint(key=TerraformVariable(stack, "taint_key", type="string").string_value,
                  value=TerraformVariable(stack, "taint_value", type="string").string_value)
    eks = EksCluster(stack, "eks", EksClusterProps(
        name="vtc-test", kubernetes_version="1.33", node_groups=(NodeGroupProps(name="general", taints=(taint,)),),
        network=ClusterNetwork(vpc_id="vpc-0123456789abcdef0", subnet_ids=subnets.ids, dns_support=True,
                               dns_hostnames=True, subnets_have_nat_route=True)))
    eks.irsa_role("s3-role", "my-ns", "reader", managed=["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"])
    eks.irsa_role("named-role", "my-ns", "writer", managed=["AmazonS3FullAccess"])  # any AWS managed policy by name
    return eks, json.loads(json.dumps(stack.to_terraform()))


def test_a_cluster_takes_an_existing_vpcs_subnet_list_as_it_is(cluster_stack):
    _, tf = cluster_stack
    (cluster,) = resources(tf, "aws_eks_cluster").values()
    (group,) = resources(tf, "aws_eks_node_group").values()
    ids = "${data.aws_subnets.existing-subnets.ids}"
    assert cluster["vpc_config"]["subnet_ids"] == ids and group["subnet_ids"] == ids
    # A taint's key and value are only passed on: references reach the node group as they are.
    assert group["taint"] == [{"key": "${var.taint_key}", "value": "${var.taint_value}", "effect": "NO_SCHEDULE"}]


def test_irsa_role_attaches_a_managed_policy_given_by_arn_as_given_and_by_name_in_the_partition(cluster_stack):
    _, tf = cluster_stack

    def attached(role):
        return [r["policy_arn"] for r in resources(tf, "aws_iam_role_policy_attachment").values()
                if f"/eks/{role}-" in r["//"]["metadata"]["path"]]
    assert attached("s3-role") == ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
    (named,) = attached("named-role")
    assert named.startswith("arn:${data.aws_partition.") and named.endswith(":iam::aws:policy/AmazonS3FullAccess")


def test_irsa_role_reports_every_bad_input_at_once(cluster_stack):
    eks, _ = cluster_stack
    with pytest.raises(ConfigError) as error:
        eks.irsa_role("bad-role", "My_NS", ("app", "App_1"), managed=[
            "AmazonEKS_CNI_Polcy", "AmazonEBSCSIDriverPolicy", "arn:aws:iam::111122223333:policy/mine",
            "Amazon S3", "AmazonEKSWorkerNodePolicy", "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"])
    problems = [str(p) for p in error.value.problems]
    prefix = "eks.irsa_role('bad-role')."
    assert [p.split(":")[0] for p in problems] == [prefix + path for path in (
        "namespace", "service_account[1]", "managed[0]", "managed[1]", "managed[2]", "managed[3]", "managed[5]")]
    assert "not a namespace name (got 'My_NS'); allowed: a Kubernetes namespace name: a DNS-1123 label" in problems[0]
    assert "not a service account name (got 'App_1')" in problems[1]
    assert "looks like a mistake for 'AmazonEKS_CNI_Policy' (got 'AmazonEKS_CNI_Polcy')" in problems[2]
    assert "fix: use 'service-role/AmazonEBSCSIDriverPolicy'" in problems[3]  # the path left out
    assert "not an AWS managed policy ARN" in problems[4] and "statements=" in problems[4]
    assert "not an AWS managed policy name (got 'Amazon S3')" in problems[5]
    assert "the same policy as managed[4]" in problems[6]  # by name, then by ARN: one attachment ID
    with pytest.raises(ConfigError) as error:
        eks.irsa_role("case-role", "apps", "app", managed=[
            "amazoneks_cni_policy", "arn:aws:iam::aws:policy/AmazonEBSCSIDriverPolicy",
            "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy", "AmazonEKSWorkerNodeMinimalPolicy"])
    problems = [str(p) for p in error.value.problems]
    assert [p.split(":")[0] for p in problems] == ["eks.irsa_role('case-role').managed[0]",
                                                  "eks.irsa_role('case-role').managed[1]"]
    assert "use 'AmazonEKS_CNI_Policy'" in problems[0]  # the case: IAM names are case-sensitive
    assert "use 'arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy'" in problems[1]  # its path
    with pytest.raises(ConfigError, match=r"managed: not a list .*wrap it in a list"):
        eks.irsa_role("str-role", "apps", "app", managed="AmazonEKS_CNI_Policy")
    with pytest.raises(ConfigError, match=r"managed\[0\]: a Terraform reference \(a string token\)"):
        eks.irsa_role("token-role", "apps", "app", managed=[Fn.lower("AmazonEKS_CNI_Policy")])


# --- the AZs against the provider's region, whichever comes first -----------------------------------------------------

US_AZS = dataclasses.replace(NETWORK, availability_zones=("us-east-1a", "us-east-1b"))


def test_azs_outside_the_providers_region_are_refused_when_the_provider_comes_first():
    stack = TerraformStack(cdktf.Testing.app(), "test")
    AwsProvider(stack, "aws", region="eu-west-1")
    with pytest.raises(ConfigError, match=r"network\.availability_zones\[0\]: AZ outside the region \(got "
                                          r"'us-east-1a'\); allowed: an AZ of eu-west-1"):
        Network(stack, "network", US_AZS)


def test_azs_outside_the_providers_region_stop_the_synth_when_the_provider_comes_after(tmp_path):
    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "test")
    Network(stack, "network", US_AZS)
    AwsProvider(stack, "aws", region="eu-west-1")
    with pytest.raises(Exception, match=r"Validation failed[\s\S]*network\.availability_zones\[0\]: AZ outside the "
                                        r"region \(got 'us-east-1a'\)[\s\S]*network\.availability_zones\[1\]"):
        app.synth()
    assert not list(tmp_path.rglob("cdk.tf.json"))


@pytest.mark.parametrize("alias_first", [True, False])
def test_an_aliased_provider_is_not_the_region_the_network_is_checked_against(tmp_path, alias_first):
    # A us-east-1 alias (ACM for CloudFront, WAF) beside the default provider, declared before or after it: the AZs
    # are checked against the default provider's region, the one the Network's resources use.
    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "test")
    if alias_first:
        AwsProvider(stack, "us-east-1", region="us-east-1", alias="us_east_1")
    AwsProvider(stack, "aws", region="eu-west-1")
    if not alias_first:
        AwsProvider(stack, "us-east-1", region="us-east-1", alias="us_east_1")
    Network(stack, "network", NETWORK)  # eu-west-1a and eu-west-1b
    app.synth()
    assert list(tmp_path.rglob("cdk.tf.json"))
