"""ValkeyCache: fine-grained assertions on its synthesized JSON, every validation branch, its typed outputs and alarm
data, `terraform validate` of a stack holding it, and checkov over that stack (every finding known and reasoned)."""

from __future__ import annotations

import dataclasses
import json
import re

import cdktf
import pytest

from tests.helpers import assert_one_problem, by_path, ref, resources, synth, synth_outputs
from tests.standins import GROUP  # the shared fixture `scans` is in tests/conftest.py
from vtc_constructs import ConfigError, replacement_safety_problems
from vtc_constructs._common import policy_document
from vtc_constructs.cache import (
    CACHE_NODE_TYPES,
    DEFAULT_USER_ACCESS_STRING,
    SERVICES_ACCESS_STRING,
    VALKEY_ENGINE_VERSIONS,
    CacheAlarmSpec,
    CacheNetwork,
    CacheProps,
    ValkeyCache,
    window_problems,
)

NODES, BASTION = "sg-0123456789abcdef0", "sg-0fedcba9876543210"
NETWORK = CacheNetwork(vpc_id="vpc-1", subnet_ids=("subnet-a", "subnet-b", "subnet-c"),
                       client_security_group_ids=(NODES, BASTION))
PROPS = CacheProps(name="vtc-test", engine_version="8.1", network=NETWORK, tags={"team": "platform"})
pytestmark = pytest.mark.xdist_group(GROUP)
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def build(props: CacheProps = PROPS) -> dict:
    return synth(lambda scope: ValkeyCache(scope, "cache", props))


@pytest.fixture(scope="module")
def guarded():
    return build()


@pytest.fixture(scope="module")
def disposable():
    """A staging-like cache: one node, no failover, every guard off, the key given."""
    return build(dataclasses.replace(PROPS, disposable=True, replicas_per_node_group=0, automatic_failover=False,
                                     multi_az=False, node_type="cache.t4g.micro", kms_key_arn=KEY_ARN))


def group(tf):
    return by_path(tf, "aws_elasticache_replication_group", "cache/replication-group")


def address(reference: str) -> str:
    """``${aws_x.id.attr}`` -> ``aws_x.id``."""
    return reference.strip("${}").rsplit(".", 1)[0]


# --- the replication group --------------------------------------------------------------------------------------------

def test_replication_group_is_node_based_valkey_with_failover_across_azs(guarded):
    rg = group(guarded)
    assert rg["replication_group_id"] == "vtc-test-cache"
    assert (rg["engine"], rg["engine_version"], rg["node_type"]) == ("valkey", "8.1", "cache.r7g.large")
    assert rg["cluster_mode"] == "disabled" and rg["num_cache_clusters"] == 2
    assert "replicas_per_node_group" not in rg and "num_node_groups" not in rg
    assert rg["automatic_failover_enabled"] is True and rg["multi_az_enabled"] is True
    assert rg["port"] == 6379
    assert rg["subnet_group_name"] == ref(guarded, "aws_elasticache_subnet_group", "cache/subnet-group", "name")
    assert rg["security_group_ids"] == [ref(guarded, "aws_security_group", "cache/security-group")]


def test_encrypted_at_rest_with_the_key_and_in_transit_with_tls_required(guarded):
    rg = group(guarded)
    assert rg["at_rest_encryption_enabled"] == "true"
    assert rg["kms_key_id"] == ref(guarded, "aws_kms_key", "cache/key", "arn")
    assert rg["transit_encryption_enabled"] is True and rg["transit_encryption_mode"] == "required"


def test_authentication_is_iam_through_the_user_group_and_no_secret_exists(guarded):
    rg = group(guarded)
    assert rg["user_group_ids"] == [ref(guarded, "aws_elasticache_user_group", "cache/user-group", "user_group_id")]
    assert "auth_token" not in rg
    services = by_path(guarded, "aws_elasticache_user", "cache/services-user")
    assert services["user_id"] == services["user_name"] == "vtc-test-cache-services"  # IAM requires them equal
    assert services["authentication_mode"] == {"type": "iam"}
    assert services["engine"] == "redis" and services["access_string"] == SERVICES_ACCESS_STRING
    default = by_path(guarded, "aws_elasticache_user", "cache/default-user")
    assert (default["user_id"], default["user_name"]) == ("vtc-test-cache-default", "default")
    assert default["no_password_required"] is True and default["access_string"] == DEFAULT_USER_ACCESS_STRING
    assert default["access_string"].startswith("off ")  # disabled: unauthenticated connections can run nothing
    user_group = by_path(guarded, "aws_elasticache_user_group", "cache/user-group")
    assert user_group["user_group_id"] == "vtc-test-cache" and user_group["engine"] == "redis"
    assert user_group["user_ids"] == [ref(guarded, "aws_elasticache_user", "cache/default-user", "user_id"),
                                      ref(guarded, "aws_elasticache_user", "cache/services-user", "user_id")]
    text = json.dumps(guarded["resource"])
    assert not re.search(r'"(passwords?|auth_token|passwords_wo)"\s*:', text)
    assert "aws_secretsmanager" not in text and "random_password" not in text


def test_backups_windows_and_minor_upgrades(guarded):
    rg = group(guarded)
    assert rg["snapshot_retention_limit"] == 7 and rg["snapshot_window"] == "01:00-02:00"
    assert rg["maintenance_window"] == "sun:05:00-sun:06:00"
    assert rg["auto_minor_version_upgrade"] == "true"
    assert "apply_immediately" not in rg  # changes ElastiCache applies by modifying wait for the window


def test_guarded_cache_cannot_be_lost(guarded):
    assert group(guarded)["lifecycle"] == {"prevent_destroy": True}
    assert group(guarded)["final_snapshot_identifier"] == "vtc-test-cache-final"
    # The key encrypts the retained backups and the final snapshot: guarded with the cache.
    assert by_path(guarded, "aws_kms_key", "cache/key")["lifecycle"] == {"prevent_destroy": True}


def test_disposable_cache_drops_every_guard_explicitly(disposable):
    rg = group(disposable)
    assert "lifecycle" not in rg and "final_snapshot_identifier" not in rg
    assert rg["num_cache_clusters"] == 1
    assert rg["automatic_failover_enabled"] is False and rg["multi_az_enabled"] is False
    assert rg["snapshot_retention_limit"] == 7  # backups stay on


def test_an_injected_key_encrypts_the_cache_and_its_logs_and_none_is_created(disposable):
    assert "aws_kms_key" not in disposable["resource"] and "aws_kms_alias" not in disposable["resource"]
    assert group(disposable)["kms_key_id"] == KEY_ARN
    for kind in ("slow-log", "engine-log"):
        assert by_path(disposable, "aws_cloudwatch_log_group", f"cache/log-group-{kind}")["kms_key_id"] == KEY_ARN


def test_slow_and_engine_logs_go_to_encrypted_log_groups_made_first(guarded):
    rg = group(guarded)
    key = ref(guarded, "aws_kms_key", "cache/key", "arn")
    deliveries = sorted(rg["log_delivery_configuration"], key=lambda d: d["log_type"])
    assert [d["log_type"] for d in deliveries] == ["engine-log", "slow-log"]
    for delivery in deliveries:
        kind = delivery["log_type"]
        log_group = by_path(guarded, "aws_cloudwatch_log_group", f"cache/log-group-{kind}")
        assert log_group["name"] == f"/aws/elasticache/vtc-test-cache/{kind}"
        assert (log_group["kms_key_id"], log_group["retention_in_days"]) == (key, 365)
        assert delivery == {"destination": ref(guarded, "aws_cloudwatch_log_group", f"cache/log-group-{kind}", "name"),
                            "destination_type": "cloudwatch-logs", "log_format": "json", "log_type": kind}


def test_key_rotates_and_logs_may_use_it_for_the_two_log_groups_only(guarded):
    key = by_path(guarded, "aws_kms_key", "cache/key")
    assert key["enable_key_rotation"] is True and key["deletion_window_in_days"] == 30
    assert by_path(guarded, "aws_kms_alias", "cache/key-alias")["name"] == "alias/vtc-test-cache"
    statements = {s["sid"]: s for s in by_path(guarded, "aws_iam_policy_document", "cache/key-policy", data=True)
                  ["statement"]}
    assert set(statements) == {"AccountAdministration", "CloudWatchLogsThisLogGroup"}
    (condition,) = statements["CloudWatchLogsThisLogGroup"]["condition"]
    assert [value.rsplit(":", 1)[1] for value in condition["values"]] == [
        "/aws/elasticache/vtc-test-cache/slow-log", "/aws/elasticache/vtc-test-cache/engine-log"]


# --- the network ------------------------------------------------------------------------------------------------------

def test_subnet_group_holds_the_given_subnets_under_a_fixed_name(guarded):
    subnet_group = by_path(guarded, "aws_elasticache_subnet_group", "cache/subnet-group")
    assert subnet_group["name"] == "vtc-test-cache"
    assert subnet_group["subnet_ids"] == ["subnet-a", "subnet-b", "subnet-c"]
    assert "lifecycle" not in subnet_group  # a fixed name could not be replaced create-before-destroy


def test_only_the_client_groups_reach_the_port_and_the_cache_opens_nothing_outwards(guarded):
    cache_group = ref(guarded, "aws_security_group", "cache/security-group")
    security_group = by_path(guarded, "aws_security_group", "cache/security-group")
    assert "ingress" not in security_group and "egress" not in security_group
    assert security_group["lifecycle"] == {"create_before_destroy": True}
    assert security_group["name_prefix"] == "vtc-test-cache-"
    ingress = sorted((r["security_group_id"], r["referenced_security_group_id"], r["ip_protocol"], r["from_port"],
                      r["to_port"]) for r in resources(guarded, "aws_vpc_security_group_ingress_rule").values())
    assert ingress == sorted((cache_group, client, "tcp", 6379, 6379) for client in (NODES, BASTION))
    egress = sorted((r["security_group_id"], r["referenced_security_group_id"], r["from_port"])
                    for r in resources(guarded, "aws_vpc_security_group_egress_rule").values())
    assert egress == sorted((client, cache_group, 6379) for client in (NODES, BASTION))
    assert not any("cidr_ipv4" in r for kind in ("aws_vpc_security_group_ingress_rule",
                                                 "aws_vpc_security_group_egress_rule")
                   for r in resources(guarded, kind).values())


def test_a_non_default_port_is_the_one_admitted():
    tf = build(dataclasses.replace(PROPS, port=6380))
    assert group(tf)["port"] == 6380
    rules = [*resources(tf, "aws_vpc_security_group_ingress_rule").values(),
             *resources(tf, "aws_vpc_security_group_egress_rule").values()]
    assert {(r["from_port"], r["to_port"]) for r in rules} == {(6380, 6380)}


def test_tags_reach_every_taggable_resource(guarded):
    for kind, items in guarded["resource"].items():
        for item in items.values():
            if kind != "aws_kms_alias":
                assert item["tags"]["team"] == "platform" and item["tags"]["vtc/cache"] == "vtc-test-cache", kind


def test_construct_ids_are_the_contract(guarded):
    paths = sorted(r["//"]["metadata"]["path"].removeprefix("test/cache/")
                   for items in guarded["resource"].values() for r in items.values())
    assert paths == sorted([
        "key", "key-alias", "log-group-slow-log", "log-group-engine-log", "subnet-group", "security-group",
        "from-client-0", "client-0-to-cache", "from-client-1", "client-1-to-cache", "services-user", "default-user",
        "user-group", "replication-group"])


def test_nothing_is_planned_create_before_destroy_under_a_fixed_name(guarded, disposable):
    assert replacement_safety_problems(guarded) == [] and replacement_safety_problems(disposable) == []


# --- typed outputs, IAM and alarms ------------------------------------------------------------------------------------

def test_typed_outputs_resolve_to_the_resources():
    names = ("cache_replication_group_id", "cache_replication_group_arn", "cache_primary_endpoint_address",
             "cache_reader_endpoint_address", "cache_user_group_id", "cache_services_user_name",
             "cache_services_user_arn", "cache_security_group_id", "cache_kms_key_arn", "cache_log_group_names",
             "cache_member_cluster_ids")
    captured = {}

    def build_in(scope):
        cache = captured["cache"] = ValkeyCache(scope, "cache", PROPS)
        return {name: getattr(cache, name) for name in names}

    tf, out = synth_outputs(build_in)
    rg = ref(tf, "aws_elasticache_replication_group", "cache/replication-group", "")[:-1]
    services = ref(tf, "aws_elasticache_user", "cache/services-user", "")[:-1]
    assert out == {
        "cache_replication_group_id": rg + "replication_group_id}",
        "cache_replication_group_arn": rg + "arn}",
        "cache_primary_endpoint_address": rg + "primary_endpoint_address}",
        "cache_reader_endpoint_address": rg + "reader_endpoint_address}",
        "cache_user_group_id": ref(tf, "aws_elasticache_user_group", "cache/user-group", "user_group_id"),
        "cache_services_user_name": services + "user_name}",
        "cache_services_user_arn": services + "arn}",
        "cache_security_group_id": ref(tf, "aws_security_group", "cache/security-group"),
        "cache_kms_key_arn": ref(tf, "aws_kms_key", "cache/key", "arn"),
        "cache_log_group_names": {kind: ref(tf, "aws_cloudwatch_log_group", f"cache/log-group-{kind}", "name")
                                  for kind in ("slow-log", "engine-log")},
        # ElastiCache's member names, waiting for the group (a reference), not literals that exist before it does.
        "cache_member_cluster_ids": [rg + "replication_group_id}-001", rg + "replication_group_id}-002"],
    }
    assert captured["cache"].cache_port == 6379


def test_the_connect_statement_names_the_group_and_the_services_user():
    def build_in(scope):
        cache = ValkeyCache(scope, "cache", PROPS)
        policy_document(scope, "services-policy", cache.cache_connect_statement())

    tf = synth(build_in)
    (statement,) = by_path(tf, "aws_iam_policy_document", "services-policy", data=True)["statement"]
    assert statement["actions"] == ["elasticache:Connect"]
    assert statement["resources"] == [ref(tf, "aws_elasticache_replication_group", "cache/replication-group", "arn"),
                                      ref(tf, "aws_elasticache_user", "cache/services-user", "arn")]


def _specs_and_panel(props: CacheProps):
    """The alarm specs and the dashboard panel, and what their dimensions resolve to in the synthesized JSON."""
    captured = {}

    def build_in(scope):
        cache = ValkeyCache(scope, "cache", props)
        specs, panel = captured["specs"], captured["panel"] = cache.cache_alarm_specs(), cache.cache_dashboard_metrics()
        captured["custom"] = cache.cache_alarm_specs(hit_rate_percent=95, memory_percent=70)
        metrics = [m for s in specs for m in [s.metric, *s.queries.values()] if m] + [
            m for series in panel.values() for m in series]
        return {"dimensions": [m.dimensions["CacheClusterId"] for m in metrics]}

    tf, out = synth_outputs(build_in)
    group_id = ref(tf, "aws_elasticache_replication_group", "cache/replication-group", "replication_group_id")
    return captured, out["dimensions"], group_id


def test_alarm_specs_cover_hit_rate_evictions_memory_and_cpu_per_node():
    captured, dimensions, group_id = _specs_and_panel(dataclasses.replace(PROPS, replicas_per_node_group=2))
    specs: list[CacheAlarmSpec] = captured["specs"]
    assert [s.key for s in specs] == [f"{kind}-{n:03d}" for n in (1, 2, 3)
                                      for kind in ("hit-rate", "evictions", "memory", "engine-cpu")]
    # Each node's metrics carry that node's ID, a reference to the group (they wait for it): hits, misses, evictions,
    # memory, CPU of node 1, then of node 2, ...; then the panel's four series of every node.
    assert dimensions[:15] == [f"{group_id}-{n:03d}" for n in (1, 2, 3) for _ in range(5)]
    assert dimensions[15:] == [f"{group_id}-{n:03d}" for _ in range(4) for n in (1, 2, 3)]
    by_key = {s.key: s for s in specs}
    hit_rate = by_key["hit-rate-002"]
    assert hit_rate.metric is None
    assert [(q, m.metric_name, m.statistic) for q, m in hit_rate.queries.items()] == [
        ("hits", "CacheHits", "Sum"), ("misses", "CacheMisses", "Sum")]
    assert hit_rate.expression == "IF(hits + misses >= 100, 100 * hits / (hits + misses), 100)"
    assert (hit_rate.threshold, hit_rate.comparison, hit_rate.treat_missing_data, hit_rate.topic) == (
        80.0, "LessThanThreshold", "notBreaching", "notify")
    expected = {"evictions": ("Evictions", "Sum", 0, "GreaterThanThreshold", "notBreaching", "notify"),
                "memory": ("DatabaseMemoryUsagePercentage", "Maximum", 80.0, "GreaterThanThreshold", "breaching",
                           "page"),
                "engine-cpu": ("EngineCPUUtilization", "Average", 90.0, "GreaterThanThreshold", "breaching", "page")}
    for kind, (metric, statistic, threshold, comparison, missing, topic) in expected.items():
        spec = by_key[f"{kind}-002"]
        assert (spec.metric.metric_name, spec.metric.statistic, spec.threshold, spec.comparison,
                spec.treat_missing_data, spec.topic, spec.expression) == (metric, statistic, threshold, comparison,
                                                                          missing, topic, None)
    assert all(s.description and "Look at" in s.description for s in specs)
    assert all(m.namespace == "AWS/ElastiCache" for s in specs for m in [s.metric, *s.queries.values()] if m)
    custom = {s.key: s for s in captured["custom"]}
    assert (custom["hit-rate-001"].threshold, custom["memory-001"].threshold) == (95, 70)


def test_the_dashboard_panel_shows_each_node_s_hit_rate_evictions_memory_and_cpu():
    captured, _, _ = _specs_and_panel(PROPS)
    panel = captured["panel"]
    assert list(panel) == ["CacheHitRate", "Evictions", "DatabaseMemoryUsagePercentage", "EngineCPUUtilization"]
    assert [len(series) for series in panel.values()] == [2, 2, 2, 2]
    assert [m.statistic for m in panel["CacheHitRate"]] == ["Average", "Average"]


# --- validation: every branch -----------------------------------------------------------------------------------------

def test_valid_props_have_no_problem():
    assert PROPS.validate() == []


@pytest.mark.parametrize("changes, expected", [
    ({"name": "VTC"}, r"^name: invalid value \(got 'VTC'\); allowed: 3-32 characters"),
    ({"name": "vtc--test"}, r"^name: invalid value \(got 'vtc--test'\).*no '--'"),
    ({"name": "v" * 33}, r"^name: invalid value"),
    ({"name": None}, r"^name: missing \(got None\)"),
    ({"engine_version": "8"}, r"^engine_version: engine version not <major>\.<minor> \(got '8'\).*fix: give "
                              r"<major>\.<minor>, e\.g\. '8\.1'"),
    ({"engine_version": "7.2.6"}, r"^engine_version: engine version not <major>\.<minor>"),
    ({"engine_version": "12.0"}, r"^engine_version: unknown Valkey version \(got '12\.0'\); allowed: a Valkey version "
                                 r"ElastiCache offers: 7\.2, 8\.0.*fix: use 9\.1 or another listed version \(or add "
                                 r"12\.0 to vtc_constructs\.cache\.VALKEY_ENGINE_VERSIONS"),
    ({"engine_version": 8.1}, r"^engine_version: engine version not <major>\.<minor> \(got 8\.1\)"),
    ({"node_type": "cache.r7g.huge"}, r"^node_type: unknown node type \(got 'cache\.r7g\.huge'\).*add it to "
                                      r"vtc_constructs\.cache\.CACHE_NODE_TYPES"),
    ({"node_type": "r7g.large"}, r"^node_type: unknown node type \(got 'r7g\.large'\).*fix: correct the type$"),
    ({"node_type": "cache.t2.micro"}, r"^node_type: unknown node type"),
    ({"network": None}, r"^network: not a CacheNetwork \(got None\)"),
    ({"network": dataclasses.replace(NETWORK, subnet_ids=("subnet-a",))}, r"^network\.subnet_ids: too few subnets"),
    ({"network": dataclasses.replace(NETWORK, subnet_ids="subnet-a")},
     r"^network\.subnet_ids: not a list \(got 'subnet-a'\).*fix: wrap it in a list"),
    ({"network": dataclasses.replace(NETWORK, subnet_ids=("subnet-a", "subnet-a"))},
     r"^network\.subnet_ids: repeated id .*fix: remove the repeats of subnet-a"),
    ({"network": dataclasses.replace(NETWORK, subnet_ids=("subnet-a", ""))}, r"^network\.subnet_ids\[1\]: invalid"),
    ({"network": dataclasses.replace(NETWORK, client_security_group_ids=())},
     r"^network\.client_security_group_ids: no client \(got \[\]\)"),
    ({"network": dataclasses.replace(NETWORK, client_security_group_ids=(NODES, NODES))},
     r"^network\.client_security_group_ids: repeated id"),
    ({"network": dataclasses.replace(NETWORK, vpc_id="")}, r"^network\.vpc_id: invalid value \(got ''\)"),
    ({"replicas_per_node_group": 6}, r"^replicas_per_node_group: invalid value \(got 6\); allowed: a whole number "
                                     r"from 0 to 5"),
    ({"replicas_per_node_group": 1.0}, r"^replicas_per_node_group: invalid value \(got 1\.0\)"),
    ({"replicas_per_node_group": 0}, r"^automatic_failover: nothing to fail over to \(got True\).*fix: add a replica"),
    ({"automatic_failover": False}, r"^multi_az: Multi-AZ without automatic failover \(got True\)"),
    ({"automatic_failover": "yes"}, r"^automatic_failover: invalid value \(got 'yes'\); allowed: true or false"),
    ({"multi_az": 1}, r"^multi_az: invalid value \(got 1\); allowed: true or false"),
    ({"disposable": "no"}, r"^disposable: invalid value \(got 'no'\)"),
    ({"port": 80}, r"^port: invalid value \(got 80\); allowed: 1024 to 65535; fix: use 6379"),
    ({"port": "6379"}, r"^port: invalid value \(got '6379'\)"),
    ({"snapshot_retention_days": 0}, r"^snapshot_retention_days: invalid value \(got 0\); allowed: 1 to 35 days"),
    ({"snapshot_retention_days": 36}, r"^snapshot_retention_days: invalid value \(got 36\)"),
    ({"snapshot_window": "1am"}, r"^snapshot_window: malformed window \(got '1am'\); allowed: hh:mm-hh:mm in UTC"),
    ({"snapshot_window": "01:00-01:30"}, r"^snapshot_window: window too short \(got '01:00-01:30'\); allowed: at "
                                         r"least 60 minutes"),
    ({"maintenance_window": "sunday"}, r"^maintenance_window: malformed window \(got 'sunday'\)"),
    ({"maintenance_window": "sun:05:00-sun:05:30"}, r"^maintenance_window: window too short"),
    ({"snapshot_window": "05:30-06:30"},
     r"^snapshot_window: snapshot window overlaps the maintenance window \(got '05:30-06:30'\); allowed: a daily "
     r"window that does not overlap the maintenance window sun:05:00-sun:06:00; fix: move the snapshot window"),
    ({"snapshot_window": "23:30-00:30", "maintenance_window": "mon:00:00-mon:01:00"},
     r"^snapshot_window: snapshot window overlaps the maintenance window"),
    ({"log_retention_days": 2}, r"^log_retention_days: invalid value \(got 2\); allowed: one of CloudWatch's"),
    ({"kms_key_arn": "alias/mine"}, r"^kms_key_arn: invalid value \(got 'alias/mine'\).*fix: give the key's ARN"),
    ({"kms_key_arn": "arn:aws:kms:eu-west-1:111122223333:alias/mine"}, r"^kms_key_arn: invalid value"),
    ({"tags": {"aws:owner": "me"}}, r"^tags\.aws:owner: reserved tag prefix"),
    ({"tags": "team=platform"}, r"^tags: not a table"),
])
def test_each_invalid_field_is_reported(changes, expected):
    assert_one_problem(dataclasses.replace(PROPS, **changes).validate(), expected)


@pytest.mark.parametrize("changes", [
    {"engine_version": version} for version in VALKEY_ENGINE_VERSIONS] + [
    {"node_type": "cache.t4g.micro"}, {"node_type": "cache.m7g.16xlarge"}, {"node_type": "cache.r5.24xlarge"},
    {"replicas_per_node_group": 5}, {"replicas_per_node_group": 0, "automatic_failover": False, "multi_az": False},
    {"replicas_per_node_group": 2, "multi_az": False},  # failover within an AZ set is the caller's choice
    {"snapshot_window": "22:00-23:00", "maintenance_window": "sat:23:00-sun:00:30"},
    {"snapshot_retention_days": 35, "log_retention_days": 3653, "port": 6380, "kms_key_arn": KEY_ARN},
    {"network": CacheNetwork(vpc_id="vpc-1", subnet_ids=["subnet-a", "subnet-b"], client_security_group_ids=[NODES])},
])
def test_valid_variants_have_no_problem(changes):
    assert dataclasses.replace(PROPS, **changes).validate() == []


def test_references_pass_where_literal_checks_cannot_apply():
    def build_in(scope):
        from cdktf_cdktf_provider_aws.kms_key import KmsKey

        key = KmsKey(scope, "own-key", enable_key_rotation=True)
        props = dataclasses.replace(PROPS, kms_key_arn=key.arn, network=CacheNetwork(
            vpc_id="vpc-1", subnet_ids=("subnet-a", "subnet-b"), client_security_group_ids=(key.id, key.id)))
        assert props.validate() == []  # two references may be equal at apply; only literals are compared
        ValkeyCache(scope, "cache", dataclasses.replace(props, network=NETWORK))

    assert group(synth(build_in))["kms_key_id"].endswith(".arn}")


def test_validation_never_raises_whatever_the_fields_hold():
    junk = CacheProps(name=[], engine_version=[], network=CacheNetwork(vpc_id=None, subnet_ids=5,
                                                                       client_security_group_ids={"a": 1}),
                      node_type=["cache.r7g.large"], replicas_per_node_group=None, automatic_failover=None,
                      multi_az=None, port=None, disposable=None, snapshot_retention_days=[], snapshot_window=None,
                      maintenance_window=3, log_retention_days=None, kms_key_arn=7, tags=None)
    paths = [p.path for p in junk.validate()]
    assert {"name", "engine_version", "network.vpc_id", "network.subnet_ids", "network.client_security_group_ids",
            "node_type", "replicas_per_node_group", "automatic_failover", "multi_az", "disposable", "port",
            "snapshot_retention_days", "snapshot_window", "maintenance_window", "log_retention_days", "kms_key_arn",
            "tags"} == set(paths)


def test_windows_are_checked_on_their_own():
    assert window_problems("01:00-02:00", "sun:05:00-sun:06:00") == []
    assert [p.what for p in window_problems("bad", "worse")] == ["malformed window", "malformed window"]


def test_the_node_type_table_holds_only_current_generation_types():
    assert all(re.fullmatch(r"cache\.(t3|t4g|m5|m6g|m7g|r5|r6g|r7g)\.[0-9a-z]+", t) for t in CACHE_NODE_TYPES)
    assert len(CACHE_NODE_TYPES) == 2 * 3 + 4 * 7 + 2 * 6


def test_every_problem_at_once_with_the_construct_id_in_front():
    bad = dataclasses.replace(PROPS, engine_version="6.2", replicas_per_node_group=0, port=22)
    with pytest.raises(ConfigError) as raised:
        build(bad)
    assert [p.path for p in raised.value.problems] == ["cache.engine_version", "cache.automatic_failover",
                                                       "cache.port"]


def test_props_of_the_wrong_type_are_refused_with_an_example():
    with pytest.raises(TypeError, match=r"^ValkeyCache\(scope, id, props\): props must be a vtc_constructs\.CacheProps "
                                        r"\(got dict\); build it from the dict: CacheProps\(\*\*your_dict\)"):
        synth(lambda scope: ValkeyCache(scope, "cache", {"name": "vtc-test"}))


def test_two_caches_of_one_name_in_a_stack_are_refused_naming_both():
    def build_in(scope):
        ValkeyCache(scope, "cache", PROPS)
        ValkeyCache(scope, "other-cache", PROPS)

    with pytest.raises(ConfigError) as raised:
        synth(build_in)
    assert raised.value.problems[0].path == "other-cache.name"
    assert "test/cache" in raised.value.problems[0].fix and "test/other-cache" in raised.value.problems[0].fix


# --- real tools: terraform validate and checkov -----------------------------------------------------------------------

#: Two stacks as an environment would build them: production-like (the defaults) and staging-like (one node, no
#: failover, disposable, logs kept 90 days).
STAGING_LIKE = dataclasses.replace(PROPS, disposable=True, replicas_per_node_group=0, automatic_failover=False,
                                   multi_az=False, node_type="cache.t4g.micro", log_retention_days=90)


STANDIN_STACKS = ("production-like", "staging-like")


def cache_standin_stacks() -> dict[str, dict]:
    """The two stacks, by name, for tests/standins.py (validated and scanned with every other stack)."""
    return {"production-like": build(), "staging-like": build(STAGING_LIKE)}


def test_terraform_validate_accepts_both_stacks(scans):
    assert scans.diagnostics(STANDIN_STACKS) == [], json.dumps(scans.validate["diagnostics"], indent=2)
    assert all((scans.stacks / name / "cdk.tf.json").is_file() for name in STANDIN_STACKS)  # both were in the run


#: Every checkov finding on the cache, each a deliberate choice (the integrator's suppression file carries them, per
#: stack and logical id): (stack, check, construct path) -> reason.
KEY_POLICY = {
    "CKV_AWS_109": "Key policy of the cache key: kms:* for the account root on this key only is AWS's default key "
                   "policy; without it the key could become unmanageable.",
    "CKV_AWS_111": "Key policy of the cache key: write actions are constrained to this key, since Resource '*' in a "
                   "key policy means the key itself.",
    "CKV_AWS_356": "Key policy of the cache key: Resource '*' in a key policy is the key itself; a key policy cannot "
                   "name its own ARN before the key exists.",
}
ACCEPTED_FINDINGS = {
    **{(stack, check, "cache/key-policy"): reason for stack in ("production-like", "staging-like")
       for check, reason in KEY_POLICY.items()},
    **{("staging-like", "CKV_AWS_338", f"cache/log-group-{kind}"):
       "Staging keeps the cache's slow and engine logs 90 days: no customer data, no audit obligation; production "
       "keeps them 365 days and passes." for kind in ("slow-log", "engine-log")},
    ("staging-like", "CKV2_AWS_50", "cache/replication-group"):
        "Staging runs one cache node (no replica, so no automatic failover or Multi-AZ): a disposable cache whose "
        "loss costs a cold start; production has a replica in another AZ with both on and passes.",
}


@pytest.fixture(scope="module")
def checkov_findings(scans):
    """checkov over both stacks: (passed (stack, check id), {(stack, check id, construct path) failed}, parsing
    errors)."""
    from pathlib import Path

    paths = {}  # checkov's addresses: resource.<id> / data.<id> (attribute checks), <type>.<id> (graph checks)
    for folder in (scans.stacks / name for name in STANDIN_STACKS):
        stack = json.loads((folder / "cdk.tf.json").read_text())
        for section, prefix in (("resource", "resource."), ("data", "data.")):
            for kind, items in stack.get(section, {}).items():
                for logical, item in items.items():
                    path = item["//"]["metadata"]["path"].removeprefix("test/")
                    paths[(folder.name, f"{prefix}{logical}")] = paths[(folder.name, f"{kind}.{logical}")] = path
    passed, failed, errors = set(), set(), []
    for report in scans.checkov_of(STANDIN_STACKS):
        if report.get("check_type") not in (None, "terraform_json"):
            continue
        results = report.get("results", {})
        errors += results.get("parsing_errors", [])
        for check in results.get("passed_checks", []):
            passed.add((Path(check["file_abs_path"]).parent.name, check["check_id"]))
        for check in results.get("failed_checks", []):
            stack = Path(check["file_abs_path"]).parent.name
            if stack in STANDIN_STACKS:
                failed.add((stack, check["check_id"], paths.get((stack, check["resource"]), check["resource"])))
    return passed, failed, errors


def test_checkov_parses_both_stacks_and_the_encryption_checks_pass(checkov_findings):
    passed, _, errors = checkov_findings
    assert errors == []
    # At rest, in transit, with a customer-managed key; the key rotates; log groups encrypted; descriptions on every
    # rule; the security group attached.
    for stack in ("production-like", "staging-like"):
        assert {(stack, check) for check in ("CKV_AWS_29", "CKV_AWS_30", "CKV_AWS_31", "CKV_AWS_191", "CKV_AWS_7",
                                             "CKV_AWS_158", "CKV_AWS_23", "CKV2_AWS_5")} <= passed
    assert {("production-like", "CKV2_AWS_50"), ("production-like", "CKV_AWS_338")} <= passed


def test_checkov_finds_nothing_but_the_accepted_choices(checkov_findings):
    _, failed, _ = checkov_findings
    assert failed == set(ACCEPTED_FINDINGS), sorted(failed ^ set(ACCEPTED_FINDINGS))
    assert all(len(reason.split()) >= 8 for reason in ACCEPTED_FINDINGS.values())  # as the suppression file demands


def test_a_network_gives_the_cache_its_private_subnets_and_the_admitted_groups():
    # As Network.cluster_network / database_network / edge_network do for the other constructs.
    from cdktf import TerraformStack
    from vtc_constructs import Network, NetworkProps

    stack = TerraformStack(cdktf.Testing.app(), "test")
    network = Network(stack, "network", NetworkProps(name="vtc-test", vpc_cidr="10.20.0.0/16",
                                                     availability_zones=("eu-west-1a", "eu-west-1b")))
    cache_network = network.cache_network(["sg-nodes"])
    assert isinstance(cache_network, CacheNetwork)
    assert (cache_network.vpc_id, cache_network.subnet_ids, cache_network.client_security_group_ids) == \
        (network.vpc_id, tuple(network.private_subnet_ids), ("sg-nodes",))
    assert dataclasses.replace(PROPS, network=cache_network).validate() == []
    # One group given as a string is "not a list", not a list of its characters.
    problems = dataclasses.replace(PROPS, network=network.cache_network("sg-nodes")).validate()
    assert [(p.path, p.what) for p in problems] == [("network.client_security_group_ids", "not a list")]
