"""SearchDomain (vtc_constructs/search.py): the synthesized domain, its key, logs, network and access policy; every
validation branch; the index lifecycle and alarm data; `terraform validate` and checkov over a stack that holds it.

The construct is not yet part of the environments' stacks: the last two layers build a small stack of their own (the
construct plus a VPC, subnets, a client security group and roles standing in for the platform's)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from cdktf import App, TerraformStack, TerraformVariable

from tests.helpers import assert_one_problem, by_path, ref, resources, synth, synth_outputs
from tests.standins import GROUP  # the shared fixture `scans` is in tests/conftest.py
from tooling import checkov
from vtc_constructs import ConfigError
from vtc_constructs.search import (
    OPENSEARCH_ENGINE_VERSIONS,
    TLS_SECURITY_POLICY,
    SearchDomain,
    SearchDomainProps,
    SearchNetwork,
    ism_policy,
    search_alarms,
    writer_security_role,
)

pytestmark = pytest.mark.xdist_group(GROUP)
ACCOUNT = "111122223333"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/search-admin"
FLUENT_BIT = f"arn:aws:iam::{ACCOUNT}:role/vtc-staging-fluent-bit"
JAEGER = f"arn:aws:iam::{ACCOUNT}:role/vtc-staging-jaeger"
ENGINEERS = f"arn:aws:iam::{ACCOUNT}:role/engineers"
NETWORK = SearchNetwork(vpc_id="vpc-1", subnet_ids=("subnet-a", "subnet-b", "subnet-c"),
                        client_security_group_ids=("sg-nodes",), reader_cidrs=("10.99.0.0/24",))
PROPS = SearchDomainProps(name="vtc-production", engine_version="OpenSearch_2.19", network=NETWORK,
                          instance_count=3, dedicated_master_type="m6g.large.search", volume_gib=200,
                          master_user_role_arn=ADMIN, writer_role_arns=(FLUENT_BIT, JAEGER),
                          reader_role_arns=(ENGINEERS,))
#: What a single-AZ staging domain looks like (one subnet, one burstable node, disposable).
STAGING = dataclasses.replace(PROPS, name="vtc-staging", network=dataclasses.replace(NETWORK, subnet_ids=("subnet-a",),
                                                                                      reader_cidrs=()),
                              instance_type="t3.medium.search", instance_count=None, dedicated_master_type=None,
                              volume_gib=20, disposable=True, reader_role_arns=())


def _synth(props: SearchDomainProps = PROPS) -> dict:
    return synth(lambda scope: SearchDomain(scope, "search", props))


@pytest.fixture(scope="module")
def tf() -> dict:
    return _synth()


@pytest.fixture(scope="module")
def staging() -> dict:
    return _synth(STAGING)


def _domain(tf: dict) -> dict:
    return by_path(tf, "aws_opensearch_domain", "search/domain")


def _statements(tf: dict, path: str) -> list[dict]:
    return by_path(tf, "aws_iam_policy_document", path, data=True)["statement"]


# --- the domain ------------------------------------------------------------------------------------------------------

def test_the_domain_is_encrypted_https_only_and_iam_only(tf):
    domain = _domain(tf)
    assert domain["domain_name"] == "vtc-production" and domain["engine_version"] == "OpenSearch_2.19"
    assert domain["encrypt_at_rest"] == {"enabled": True, "kms_key_id": ref(tf, "aws_kms_key", "search/key", "arn")}
    assert domain["node_to_node_encryption"] == {"enabled": True}
    assert domain["domain_endpoint_options"] == {"enforce_https": True,
                                                 "tls_security_policy": "Policy-Min-TLS-1-2-PFS-2023-10"}
    assert domain["advanced_security_options"] == {
        "enabled": True, "anonymous_auth_enabled": False, "internal_user_database_enabled": False,
        "master_user_options": {"master_user_arn": ADMIN}}
    # No password, no access policy inline (the domain policy resource owns it), nothing public.
    assert "master_user_password" not in json.dumps(domain) and "access_policies" not in domain
    assert domain["vpc_options"] == {"subnet_ids": ["subnet-a", "subnet-b", "subnet-c"],
                                     "security_group_ids": [ref(tf, "aws_security_group", "search/security-group")]}


def test_production_sizing_zone_awareness_dedicated_masters_and_gp3(tf):
    domain = _domain(tf)
    assert domain["cluster_config"] == {
        "instance_type": "r6g.large.search", "instance_count": 3, "zone_awareness_enabled": True,
        "zone_awareness_config": {"availability_zone_count": 3}, "dedicated_master_enabled": True,
        "dedicated_master_type": "m6g.large.search", "dedicated_master_count": 3,
        "multi_az_with_standby_enabled": False}
    assert domain["ebs_options"] == {"ebs_enabled": True, "volume_type": "gp3", "volume_size": 200, "iops": 3000,
                                     "throughput": 125}


def test_maintenance_happens_off_peak_and_updates_are_automatic(tf, staging):
    domain = _domain(tf)
    assert domain["off_peak_window_options"] == {"enabled": True}
    assert domain["software_update_options"] == {"auto_software_update_enabled": True}
    assert domain["auto_tune_options"] == {"desired_state": "ENABLED", "use_off_peak_window": True,
                                           "rollback_on_disable": "NO_ROLLBACK"}
    # T3 types do not support Auto-Tune.
    assert _domain(staging)["auto_tune_options"]["desired_state"] == "DISABLED"
    # Hourly automated snapshots are not a setting for OpenSearch engines (the start hour is Elasticsearch < 5.3's).
    assert "snapshot_options" not in domain


def test_a_single_subnet_is_a_single_az_domain_of_one_node_per_subnet(staging):
    config = _domain(staging)["cluster_config"]
    assert config["zone_awareness_enabled"] is False and "zone_awareness_config" not in config
    assert config["instance_count"] == 1 and config["dedicated_master_enabled"] is False
    assert "dedicated_master_count" not in config and "dedicated_master_type" not in config


def test_the_default_is_one_data_node_per_subnet():
    tf = _synth(dataclasses.replace(PROPS, instance_count=None))
    assert _domain(tf)["cluster_config"]["instance_count"] == 3


def test_the_domain_and_its_key_are_guarded_unless_disposable(tf, staging):
    assert _domain(tf)["lifecycle"] == {"prevent_destroy": True}
    assert by_path(tf, "aws_kms_key", "search/key")["lifecycle"] == {"prevent_destroy": True}
    assert "lifecycle" not in _domain(staging) and "lifecycle" not in by_path(staging, "aws_kms_key", "search/key")


# --- key and logs ----------------------------------------------------------------------------------------------------

def test_four_log_types_go_to_encrypted_log_groups_made_first(tf):
    domain = _domain(tf)
    key = ref(tf, "aws_kms_key", "search/key", "arn")
    published = {o["log_type"]: o["cloudwatch_log_group_arn"] for o in domain["log_publishing_options"]}
    assert set(published) == {"INDEX_SLOW_LOGS", "SEARCH_SLOW_LOGS", "ES_APPLICATION_LOGS", "AUDIT_LOGS"}
    assert all(o["enabled"] is True for o in domain["log_publishing_options"])
    groups = resources(tf, "aws_cloudwatch_log_group")
    assert len(groups) == 4
    for group in groups.values():
        assert group["kms_key_id"] == key and group["retention_in_days"] == 365
        assert group["name"].startswith("/aws/OpenSearchService/domains/vtc-production/")
    for arn in published.values():
        assert arn.startswith("${aws_cloudwatch_log_group.") and arn.endswith(".arn}")
        assert f"aws_cloudwatch_log_group.{arn[2:].split('.')[1]}" in domain["depends_on"]
    policy = ref(tf, "aws_cloudwatch_log_resource_policy", "search/log-resource-policy", "")[2:-2]
    assert policy in domain["depends_on"]


def test_only_opensearch_for_this_domain_and_account_may_write_the_log_groups(tf):
    (statement,) = _statements(tf, "search/log-resource-policy-document")
    assert statement["principals"] == [{"type": "Service", "identifiers": ["es.amazonaws.com"]}]
    assert statement["actions"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert len(statement["resources"]) == 4 and all(r.endswith(".arn}:*") for r in statement["resources"])
    conditions = {(c["test"], c["variable"]): c["values"] for c in statement["condition"]}
    account = "${data.aws_caller_identity.account-caller.account_id}"
    assert conditions[("StringEquals", "aws:SourceAccount")] == [account]
    assert conditions[("ArnLike", "aws:SourceArn")] == [
        "arn:${data.aws_partition.account-partition.partition}:es:${data.aws_region.account-region.name}:"
        "${data.aws_caller_identity.account-caller.account_id}:domain/vtc-production"]
    policy = by_path(tf, "aws_cloudwatch_log_resource_policy", "search/log-resource-policy")
    assert policy["policy_name"] == "vtc-production-opensearch-logs"
    assert policy["policy_document"].startswith("${data.aws_iam_policy_document.")


def test_the_key_rotates_and_cloudwatch_logs_may_use_it_for_these_groups_only(tf):
    key = by_path(tf, "aws_kms_key", "search/key")
    assert key["enable_key_rotation"] is True
    assert by_path(tf, "aws_kms_alias", "search/key-alias")["name"] == "alias/vtc-production-opensearch"
    logs = next(s for s in _statements(tf, "search/key-policy") if s.get("sid") == "CloudWatchLogsThisLogGroup")
    (condition,) = logs["condition"]
    assert len(condition["values"]) == 4
    assert all(":log-group:/aws/OpenSearchService/domains/vtc-production/" in v for v in condition["values"])


def test_a_key_given_replaces_the_constructs_own():
    given = "arn:aws:kms:eu-west-1:111122223333:key/0123abcd-0123-4567-89ab-0123456789ab"
    tf = _synth(dataclasses.replace(PROPS, kms_key_arn=given))
    assert not resources(tf, "aws_kms_key") and not resources(tf, "aws_kms_alias")
    assert _domain(tf)["encrypt_at_rest"]["kms_key_id"] == given
    assert {g["kms_key_id"] for g in resources(tf, "aws_cloudwatch_log_group").values()} == {given}


# --- network and access ----------------------------------------------------------------------------------------------

def test_https_only_from_the_clients_and_the_reader_ranges_and_no_egress(tf):
    group = ref(tf, "aws_security_group", "search/security-group")
    sg = by_path(tf, "aws_security_group", "search/security-group")
    assert sg["vpc_id"] == "vpc-1" and sg["lifecycle"] == {"create_before_destroy": True} and "egress" not in sg
    ingress = resources(tf, "aws_vpc_security_group_ingress_rule")
    assert {(r.get("referenced_security_group_id"), r.get("cidr_ipv4"), r["from_port"], r["to_port"], r["ip_protocol"])
            for r in ingress.values()} == {("sg-nodes", None, 443, 443, "tcp"), (None, "10.99.0.0/24", 443, 443, "tcp")}
    assert {r["security_group_id"] for r in ingress.values()} == {group}
    # The domain's group has no egress rule; the client's group gets one to the domain on 443.
    (egress,) = resources(tf, "aws_vpc_security_group_egress_rule").values()
    assert (egress["security_group_id"], egress["referenced_security_group_id"], egress["from_port"]) == (
        "sg-nodes", group, 443)


def test_the_access_policy_admits_exactly_the_roles_to_this_domain(tf):
    (statement,) = _statements(tf, "search/access-policy-document")
    assert statement["actions"] == ["es:ESHttp*"]
    assert statement["principals"] == [{"type": "AWS", "identifiers": [ADMIN, FLUENT_BIT, JAEGER, ENGINEERS]}]
    assert statement["resources"] == [ref(tf, "aws_opensearch_domain", "search/domain", "arn") + "/*"]
    policy = by_path(tf, "aws_opensearch_domain_policy", "search/access-policy")
    assert policy["domain_name"] == ref(tf, "aws_opensearch_domain", "search/domain", "domain_name")
    assert policy["access_policies"].startswith("${data.aws_iam_policy_document.")


def test_a_role_named_twice_is_one_principal():
    tf = _synth(dataclasses.replace(PROPS, reader_role_arns=(ADMIN,)))
    (statement,) = _statements(tf, "search/access-policy-document")
    assert statement["principals"][0]["identifiers"] == [ADMIN, FLUENT_BIT, JAEGER]


def test_references_known_only_at_apply_are_accepted():
    def build(scope):
        role = TerraformVariable(scope, "writer", type="string").string_value
        subnet = TerraformVariable(scope, "subnet", type="string").string_value
        props = dataclasses.replace(PROPS, writer_role_arns=(role,), network=dataclasses.replace(
            NETWORK, subnet_ids=(subnet, "subnet-b", "subnet-c")))
        assert props.validate() == []
        SearchDomain(scope, "search", props)

    tf = synth(build)
    (statement,) = _statements(tf, "search/access-policy-document")
    assert "${var.writer}" in statement["principals"][0]["identifiers"]


def test_two_domains_of_one_name_in_a_stack_are_refused_naming_both():
    def build(scope):
        SearchDomain(scope, "search", PROPS)
        SearchDomain(scope, "search-2", PROPS)

    with pytest.raises(ConfigError, match=r"search-2\.name: OpenSearch domain already claimed by test/search "):
        synth(build)


# --- typed outputs ---------------------------------------------------------------------------------------------------

def test_typed_outputs_resolve_to_the_resources():
    captured = {}
    names = ("search_domain_arn", "search_domain_endpoint", "search_dashboards_endpoint", "search_security_group_id",
             "search_kms_key_arn")

    def build(scope):
        search = captured["search"] = SearchDomain(scope, "search", PROPS)
        return {**{name: getattr(search, name) for name in names}, "bulk": search.search_http_arn("_bulk")}

    tf, out = synth_outputs(build)
    domain = ref(tf, "aws_opensearch_domain", "search/domain", "")[:-1]
    assert out == {"search_domain_arn": domain + "arn}", "search_domain_endpoint": domain + "endpoint}",
                   "search_dashboards_endpoint": domain + "dashboard_endpoint}",
                   "search_security_group_id": ref(tf, "aws_security_group", "search/security-group"),
                   "search_kms_key_arn": ref(tf, "aws_kms_key", "search/key", "arn"), "bulk": domain + "arn}/_bulk"}
    search = captured["search"]
    assert search.search_domain_name == "vtc-production"
    assert search.search_log_group_names == {
        kind: group["name"] for kind, group in zip(
            ("INDEX_SLOW_LOGS", "SEARCH_SLOW_LOGS", "ES_APPLICATION_LOGS", "AUDIT_LOGS"),
            (by_path(tf, "aws_cloudwatch_log_group", f"search/log-group-{k}") for k in (
                "index-slow-logs", "search-slow-logs", "application-logs", "audit-logs")))}


# --- alarms as data --------------------------------------------------------------------------------------------------

def test_the_recommended_alarms_as_data(tf):
    alarms = {a.key: a for a in search_alarms("vtc-production", "111122223333", 200)}
    assert set(alarms) == {"search-cluster-red", "search-cluster-yellow", "search-free-storage",
                           "search-jvm-memory-pressure", "search-snapshot-failure"}
    table = {key: (a.metric, a.statistic, a.comparison, a.threshold, a.period, a.evaluation_periods, a.datapoints)
             for key, a in alarms.items()}
    assert table == {
        "search-cluster-red": ("ClusterStatus.red", "Maximum", "GreaterThanOrEqualToThreshold", 1, 60, 1, 1),
        "search-cluster-yellow": ("ClusterStatus.yellow", "Maximum", "GreaterThanOrEqualToThreshold", 1, 60, 5, 5),
        # A quarter of a 200 GiB volume, in MiB.
        "search-free-storage": ("FreeStorageSpace", "Minimum", "LessThanOrEqualToThreshold", 51200, 60, 1, 1),
        "search-jvm-memory-pressure": ("JVMMemoryPressure", "Maximum", "GreaterThanThreshold", 80, 300, 3, 3),
        "search-snapshot-failure": ("AutomatedSnapshotFailure", "Maximum", "GreaterThanOrEqualToThreshold", 1, 60, 1,
                                    1),
    }
    assert all(a.namespace == "AWS/ES" and a.dimensions == {"DomainName": "vtc-production",
                                                            "ClientId": "111122223333"} for a in alarms.values())
    assert {a.topic for a in alarms.values()} == {"page", "notify"}


def test_the_constructs_alarms_name_its_domain_and_account_and_make_real_alarms():
    from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm

    def build(scope):
        search = SearchDomain(scope, "search", PROPS)
        for alarm in search.search_alarms:
            CloudwatchMetricAlarm(scope, alarm.key, **alarm.metric_alarm_arguments(f"vtc-production-{alarm.key}"))

    tf = synth(build)
    made = resources(tf, "aws_cloudwatch_metric_alarm")
    assert len(made) == 5
    for alarm in made.values():
        assert alarm["dimensions"] == {"DomainName": "vtc-production",
                                       "ClientId": "${data.aws_caller_identity.account-caller.account_id}"}
    storage = next(a for a in made.values() if a["metric_name"] == "FreeStorageSpace")
    assert storage["threshold"] == 51200 and storage["treat_missing_data"] == "missing"


def test_the_alarm_arguments_fit_the_alarms_constructs_own_helper():
    import inspect

    from vtc_constructs.alarms import Alarms

    accepted = set(inspect.signature(Alarms._alarm).parameters) - {"self", "key"}
    for alarm in search_alarms("vtc-production", "111122223333", 200):
        assert set(alarm.alarm_arguments()) <= accepted
        assert alarm.alarm_arguments()["topic"] in ("page", "notify")


# --- index lifecycle and security-plugin roles as data --------------------------------------------------------------

def test_the_ism_policy_keeps_indices_hot_then_read_only_then_deletes_them():
    policy = ism_policy("vtc-logs", ["logs-*"], hot_days=7, retention_days=30)["policy"]
    assert policy["default_state"] == "hot"
    assert [(s["name"], s["actions"], s["transitions"]) for s in policy["states"]] == [
        ("hot", [], [{"state_name": "read_only", "conditions": {"min_index_age": "7d"}}]),
        ("read_only", [{"read_only": {}}, {"force_merge": {"max_num_segments": 1}}],
         [{"state_name": "delete", "conditions": {"min_index_age": "30d"}}]),
        ("delete", [{"delete": {}}], [])]
    assert policy["ism_template"] == [{"index_patterns": ["logs-*"], "priority": 100}]
    json.dumps(policy)  # plain data, ready to PUT


def test_an_ism_policy_without_a_read_only_period_and_with_no_replicas():
    policy = ism_policy("jaeger", ["jaeger-span-*", "jaeger-service-*"], hot_days=3, retention_days=3,
                        replicas=0)["policy"]
    assert [s["name"] for s in policy["states"]] == ["hot", "delete"]
    assert policy["states"][0]["actions"] == [{"replica_count": {"number_of_replicas": 0}}]
    assert policy["states"][0]["transitions"] == [{"state_name": "delete", "conditions": {"min_index_age": "3d"}}]


def test_the_constructs_ism_policy_uses_its_props_and_no_replicas_on_one_node():
    captured = {}
    synth(lambda scope: captured.update(prod=SearchDomain(scope, "search", PROPS),
                                        staging=SearchDomain(scope, "staging", STAGING)))
    prod = captured["prod"].search_ism_policy("vtc-logs", ["logs-*"])["policy"]
    assert prod["states"][0]["actions"] == [] and prod["states"][1]["transitions"][0]["conditions"] == {
        "min_index_age": "30d"}
    single = captured["staging"].search_ism_policy("vtc-logs", ["logs-*"])["policy"]
    assert single["states"][0]["actions"] == [{"replica_count": {"number_of_replicas": 0}}]


def test_every_problem_of_an_ism_policy_at_once():
    with pytest.raises(ConfigError) as raised:
        ism_policy("Bad Id", [".kibana", "logs-*"], hot_days=10, retention_days=5, replicas=-1)
    assert [p.path for p in raised.value.problems] == ["retention_days", "policy_id", "index_patterns[0]", "replicas"]
    assert "retention shorter than the hot period (got 5)" in str(raised.value)


def test_the_writer_role_is_confined_to_its_index_patterns():
    role = writer_security_role(["logs-*"])
    assert role["index_permissions"] == [{"index_patterns": ["logs-*"], "allowed_actions": [
        "crud", "create_index", "indices:admin/mapping/put", "indices:admin/get"]}]
    assert "cluster_all" not in role["cluster_permissions"] and "*" not in json.dumps(role).replace("logs-*", "")
    with pytest.raises(ConfigError, match=r"index_patterns: invalid value"):
        writer_security_role([])


# --- validation: every branch ----------------------------------------------------------------------------------------

def test_valid_props_have_no_problem():
    assert PROPS.validate() == [] and STAGING.validate() == []


@pytest.mark.parametrize("changes, expected", [
    ({"name": "VTC"}, r"^name: invalid value \(got 'VTC'\); allowed: 3-28 characters"),
    ({"name": "vtc-production-search-domain-x"}, r"^name: invalid value \(got 'vtc-production-search-domain-x'\)"),
    ({"name": None}, r"^name: missing \(got None\)"),
    ({"engine_version": "OpenSearch_2.9"}, r"^engine_version: standard support ended 2025-11-07 \(got "
                                           r"'OpenSearch_2\.9'\); allowed: OpenSearch_2\.11, .*; fix: use "
                                           r"OpenSearch_3\.5"),
    ({"engine_version": "Elasticsearch_7.10"}, r"^engine_version: legacy Elasticsearch engine"),
    ({"engine_version": "OpenSearch_3.7"}, r"^engine_version: engine version not offered \(got 'OpenSearch_3\.7'\).*"
                                           r"add it to vtc_constructs\.search\.OPENSEARCH_ENGINE_VERSIONS"),
    ({"engine_version": "OpenSearch_1.3"}, r"^engine_version: OpenSearch 1\.x engine \(got 'OpenSearch_1\.3'\)"),
    ({"engine_version": "2.19"}, r"^engine_version: malformed engine version \(got '2\.19'\)"),
    ({"network": None}, r"^network: not a SearchNetwork \(got None\)"),
    ({"network": dataclasses.replace(NETWORK, vpc_id="")}, r"^network\.vpc_id: invalid value"),
    ({"network": dataclasses.replace(NETWORK, subnet_ids="subnet-a")},
     r"^network\.subnet_ids: not a list \(got 'subnet-a'\).*fix: wrap it in a list"),
    ({"network": dataclasses.replace(NETWORK, subnet_ids=("a", "b", "c", "d")), "instance_count": 4},
     r"^network\.subnet_ids: wrong number of subnets"),
    ({"network": dataclasses.replace(NETWORK, subnet_ids=("a", "a", "b"))}, r"^network\.subnet_ids: repeated subnet"),
    ({"network": dataclasses.replace(NETWORK, client_security_group_ids=())},
     r"^network\.client_security_group_ids: no client may reach the domain"),
    ({"network": dataclasses.replace(NETWORK, reader_cidrs=("0.0.0.0/0",))},
     r"^network\.reader_cidrs\[0\]: public range \(got '0\.0\.0\.0/0'\)"),
    ({"network": dataclasses.replace(NETWORK, reader_cidrs=("10.99.0.1/24",))},
     r"^network\.reader_cidrs\[0\]: not a CIDR"),
    ({"reader_cidrs": ("10.98.0.0/24", "8.8.8.0/24")}, r"^reader_cidrs\[1\]: public range \(got '8\.8\.8\.0/24'\)"),
    ({"reader_cidrs": "10.98.0.0/24"}, r"^reader_cidrs: not a list"),
    ({"instance_type": "r6g.large"}, r"^instance_type: unknown instance type \(got 'r6g\.large'\).*"
                                     r"INSTANCE_TYPE_GP3_MAX_GIB\)$"),
    ({"instance_count": 4}, r"^instance_count: data nodes not spread evenly over the AZs \(got 4\); allowed: a "
                            r"multiple of 3, the number of subnets \(zone awareness across 3 AZs\); "
                            r"fix: use 6 \(or 3\)"),
    ({"instance_count": 0}, r"^instance_count: invalid value \(got 0\); allowed: a whole number from 1 to 80"),
    ({"instance_count": 3.0}, r"^instance_count: invalid value \(got 3\.0\)"),
    ({"dedicated_master_type": "t3.medium.search"}, r"^dedicated_master_type: burstable master nodes"),
    ({"dedicated_master_type": "m6g.huge.search"}, r"^dedicated_master_type: unknown instance type"),
    ({"volume_gib": 5}, r"^volume_gib: volume size out of range \(got 5\); allowed: 10 to 2048 GiB on "
                        r"r6g\.large\.search"),
    ({"volume_gib": 4096}, r"^volume_gib: volume size out of range \(got 4096\)"),
    ({"volume_iops": 2000}, r"^volume_iops: invalid value \(got 2000\); allowed: 3000 to 16000"),
    ({"volume_throughput_mibps": 2000}, r"^volume_throughput_mibps: invalid value \(got 2000\)"),
    ({"volume_throughput_mibps": 1000}, r"^volume_throughput_mibps: throughput above what the IOPS allow \(got "
                                        r"1000\); allowed: at most volume_iops / 4 \(750\); fix: raise volume_iops "
                                        r"to at least 4000"),
    ({"master_user_role_arn": None}, r"^master_user_role_arn: no master user"),
    ({"master_user_role_arn": "admin"}, r"^master_user_role_arn: not an IAM principal ARN \(got 'admin'\)"),
    ({"master_user_role_arn": f"arn:aws:iam::{ACCOUNT}:user/alice"}, r"^master_user_role_arn: IAM user"),
    ({"writer_role_arns": FLUENT_BIT}, r"^writer_role_arns: not a list .*fix: wrap it in a list"),
    ({"writer_role_arns": (FLUENT_BIT, FLUENT_BIT)}, r"^writer_role_arns\[1\]: repeated role .*fix: remove the "
                                                     r"repeat of writer_role_arns\[0\]"),
    ({"reader_role_arns": (f"arn:aws:sts::{ACCOUNT}:assumed-role/engineers/alice",)},
     r"^reader_role_arns\[0\]: assumed-role session ARN"),
    ({"reader_role_arns": (3,)}, r"^reader_role_arns\[0\]: not a string"),
    ({"log_retention_days": 10}, r"^log_retention_days: invalid value \(got 10\)"),
    ({"index_hot_days": 0}, r"^index_hot_days: invalid value \(got 0\)"),
    ({"index_retention_days": 5}, r"^index_retention_days: retention shorter than the hot period \(got 5\); allowed: "
                                  r"a whole number of days, from index_hot_days \(7\)"),
    ({"disposable": "no"}, r"^disposable: invalid value \(got 'no'\); allowed: true or false"),
    ({"kms_key_arn": "alias/mine"}, r"^kms_key_arn: not a KMS key ARN \(got 'alias/mine'\)"),
    ({"tags": {"aws:owner": "me"}}, r"^tags\.aws:owner: reserved tag prefix"),
])
def test_each_invalid_field_is_reported(changes, expected):
    assert_one_problem(dataclasses.replace(PROPS, **changes).validate(), expected)


@pytest.mark.parametrize("changes", [
    {"engine_version": version} for version in OPENSEARCH_ENGINE_VERSIONS] + [
    {"instance_type": "r7g.xlarge.search", "volume_gib": 3072}, {"instance_type": "c6g.large.search"},
    {"instance_count": 6}, {"dedicated_master_type": None},
    {"network": dataclasses.replace(NETWORK, subnet_ids=("a", "b")), "instance_count": 2},
    {"network": dataclasses.replace(NETWORK, subnet_ids=("a",)), "instance_count": 2},
    {"volume_iops": 6000, "volume_throughput_mibps": 1000}, {"index_hot_days": 30, "index_retention_days": 30},
    {"kms_key_arn": "arn:aws:kms:eu-west-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef"},
    {"network": dataclasses.replace(NETWORK, reader_cidrs=("100.64.8.0/22", "192.168.4.0/24"))},
])
def test_valid_variants_have_no_problem(changes):
    assert dataclasses.replace(PROPS, **changes).validate() == []


def test_every_problem_at_once_with_the_construct_id_in_front():
    bad = dataclasses.replace(PROPS, name="X", engine_version="OpenSearch_2.3", instance_count=4, volume_gib=1,
                              master_user_role_arn=None, index_retention_days=1,
                              network=dataclasses.replace(NETWORK, reader_cidrs=("8.8.8.0/24",)))
    with pytest.raises(ConfigError) as raised:
        synth(lambda s: SearchDomain(s, "search", bad))
    assert [p.path for p in raised.value.problems] == [
        "search.name", "search.engine_version", "search.network.reader_cidrs[0]", "search.instance_count",
        "search.volume_gib", "search.master_user_role_arn", "search.index_retention_days"]
    assert all("; fix: " in str(p) for p in raised.value.problems)


def test_props_of_another_type_say_what_to_pass():
    with pytest.raises(TypeError, match=r"props must be a vtc_constructs\.SearchDomainProps \(got dict\); build it "
                                        r"from the dict"):
        synth(lambda s: SearchDomain(s, "search", {"name": "x"}))


# --- a stack holding the construct: terraform validate and checkov --------------------------------------------------

#: checkov 3.3.30's findings on the construct's own resources, by stand-in stack: each a deliberate choice or a false
#: positive (the integrator moves them into tests/policy/checkov_suppressions.toml, with these reasons, when the
#: construct joins the environments' stacks). Anything else failing fails the test, and so does an entry that no
#: longer matches a finding.
KEY_POLICY_FINDINGS = {
    ("CKV_AWS_109", "data.search_key-policy_EC3B8C93"): "key policy: kms:* for the account root on this key only is "
                                                        "AWS's default key policy",
    ("CKV_AWS_111", "data.search_key-policy_EC3B8C93"): "key policy: Resource '*' in a key policy means this key",
    ("CKV_AWS_356", "data.search_key-policy_EC3B8C93"): "key policy: Resource '*' in a key policy means this key",
}
ACCEPTED_FINDINGS = {
    "search-production": KEY_POLICY_FINDINGS,
    "search-staging": {
        **KEY_POLICY_FINDINGS,
        ("CKV_AWS_318", "resource.search_domain_662C30ED"): "a single-node staging domain has no dedicated masters; "
                                                            "production sets dedicated_master_type and passes",
        ("CKV2_AWS_59", "aws_opensearch_domain.search_domain_662C30ED"): "the same: no dedicated masters on one node",
    },
}
#: The two shapes of domain the environments will have: production (3 AZs, 3 data nodes, 3 dedicated masters, guarded)
#: and staging (one AZ, one burstable node, disposable).
STANDIN_SHAPES = {
    "search-production": dict(engine_version="OpenSearch_3.3", instance_type="r6g.large.search", instance_count=3,
                              dedicated_master_type="m6g.large.search", volume_gib=20, azs="abc"),
    "search-staging": dict(engine_version="OpenSearch_2.19", instance_type="t3.medium.search", volume_gib=10,
                           disposable=True, azs="a"),
}


def standin_stacks(outdir) -> None:
    """The construct in stacks of its own, one per shape, each with the VPC, subnets, client group and roles it would
    get from the platform: what `terraform validate`, checkov and the emulator deploy run on."""
    from cdktf_cdktf_provider_aws.iam_role import IamRole
    from cdktf_cdktf_provider_aws.provider import AwsProvider
    from cdktf_cdktf_provider_aws.security_group import SecurityGroup
    from cdktf_cdktf_provider_aws.subnet import Subnet
    from cdktf_cdktf_provider_aws.vpc import Vpc

    app = App(outdir=str(outdir))
    for stack_name, shape in STANDIN_SHAPES.items():
        shape = dict(shape)
        azs = shape.pop("azs")
        stack = TerraformStack(app, stack_name)
        AwsProvider(stack, "aws", region="eu-west-1")
        vpc = Vpc(stack, "standin-vpc", cidr_block="10.60.0.0/16", enable_dns_support=True,
                  enable_dns_hostnames=True)
        subnets = [Subnet(stack, f"standin-subnet-{az}", vpc_id=vpc.id, cidr_block=f"10.60.{i}.0/24",
                          availability_zone=f"eu-west-1{az}") for i, az in enumerate(azs)]
        nodes = SecurityGroup(stack, "standin-nodes", name=f"{stack_name}-nodes", description="EKS nodes stand-in",
                              vpc_id=vpc.id)
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                    "Principal": {"Service": "ec2.amazonaws.com"}}]})
        admin, writer = (IamRole(stack, f"standin-{n}", name=f"{stack_name}-{n}", assume_role_policy=trust)
                         for n in ("admin", "writer"))
        SearchDomain(stack, "search", SearchDomainProps(
            name=stack_name.replace("search", "vtc"), **shape,
            network=SearchNetwork(vpc_id=vpc.id, subnet_ids=tuple(s.id for s in subnets),
                                  client_security_group_ids=(nodes.id,), reader_cidrs=("10.99.0.0/24",)),
            master_user_role_arn=admin.arn, writer_role_arns=(writer.arn,)))
    app.synth()


def test_stacks_holding_the_construct_are_valid_terraform(scans):
    errors = scans.diagnostics(STANDIN_SHAPES)
    assert errors == [], json.dumps(errors, indent=1)
    # The TLS policy is one the provider accepts (it checks the value against the AWS SDK's list of policies).
    assert TLS_SECURITY_POLICY in (scans.stacks / "search-staging" / "cdk.tf.json").read_text()


def test_checkov_finds_nothing_in_the_construct_but_the_accepted_findings(scans):
    report = checkov.sort(scans.checkov_of(STANDIN_SHAPES), suppressions=[])
    assert report.parsing_errors == [] and report.passed > 50
    assert report.stacks_scanned >= set(STANDIN_SHAPES)
    ours = {(f.stack, f.check, f.resource) for f in report.failed if f.stack in STANDIN_SHAPES
            and f.resource.split(".", 1)[1].startswith("search_")}
    accepted = {(stack, check, resource) for stack, findings in ACCEPTED_FINDINGS.items()
                for check, resource in findings}
    assert ours - accepted == set(), "unexpected findings"
    assert accepted - ours == set(), "accepted findings that no longer occur: remove them"


def test_the_props_reader_ranges_are_admitted_beside_the_networks_each_once():
    """What the platform's callers give (they cannot give the network, which the platform wires)."""
    from tests.helpers import synth

    props = dataclasses.replace(PROPS, reader_cidrs=("10.98.0.0/24", "10.99.0.0/24"))  # the second is the network's too
    tf = synth(lambda stack: SearchDomain(stack, "search", props))
    readers = [r["cidr_ipv4"] for r in tf["resource"]["aws_vpc_security_group_ingress_rule"].values()
               if r["description"] == "OpenSearch HTTPS from a reader range (VPN, bastion)"]
    assert readers == ["10.99.0.0/24", "10.98.0.0/24"]
