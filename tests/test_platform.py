"""VisionToCodePlatform: the whole platform from one props object, in a stack that is not this repository's."""

from __future__ import annotations

import dataclasses
import re

import pytest

from tests.helpers import by_path, ref, resources, synth, synth_outputs
from vtc_constructs import ConfigError
from vtc_constructs.alarms import AlarmsProps
from vtc_constructs.database import DatabaseProps
from vtc_constructs.edge import Certificate, EdgeProps
from vtc_constructs.eks import EksClusterProps, NodeGroupProps
from vtc_constructs.search import SearchDomainProps
from vtc_constructs.network import NetworkProps
from vtc_constructs.platform import PlatformProps, VisionToCodePlatform


def props(**changes) -> PlatformProps:
    """A platform in another region, range and name than this repository's environments."""
    base = PlatformProps(
        name="acme-prod",
        network=NetworkProps(vpc_cidr="10.40.0.0/16", availability_zones=("eu-west-1a", "eu-west-1b", "eu-west-1c")),
        eks=EksClusterProps(kubernetes_version="1.33", node_groups=(NodeGroupProps(name="general"),),
                            admin_principal_arns=("arn:aws:iam::123456789012:role/admin",)),
        database=DatabaseProps(engine_version="16.8", instance_class="db.r6g.large"),
        edge=EdgeProps(certificate=Certificate(domain_name="app.acme.io", hosted_zone_name="acme.io"),
                       blue_weight=80, green_weight=20),
        alarms=AlarmsProps(page_email_endpoints=("oncall@acme.io",)),
    )
    return dataclasses.replace(base, **changes)


SEARCH = SearchDomainProps(engine_version="OpenSearch_2.19", instance_count=3, dedicated_master_type="m6g.large.search")


@pytest.fixture(scope="module")
def tf() -> dict:
    """The platform with every optional part (the cache, the search domain), synthesized once for the module."""
    from vtc_constructs.cache import CacheProps

    return synth(lambda stack: VisionToCodePlatform(stack, "platform", props(
        cache=CacheProps(engine_version="8.1"), search=SEARCH)))


def test_every_part_is_named_after_the_platform(tf):
    assert by_path(tf, "aws_eks_cluster", "platform/eks/cluster")["name"] == "acme-prod"
    assert by_path(tf, "aws_db_instance", "platform/database/instance")["identifier"] == "acme-prod-postgres"
    assert by_path(tf, "aws_lb", "platform/edge/alb")["name"] == "acme-prod"
    assert by_path(tf, "aws_vpc", "platform/network/vpc")["cidr_block"] == "10.40.0.0/16"


def test_the_parts_are_wired_to_each_other(tf):
    node_sg = ref(tf, "aws_security_group", "platform/eks/node-sg")
    from_nodes = [r for r in resources(tf, "aws_vpc_security_group_ingress_rule").values()
                  if r["//"]["metadata"]["path"].startswith("test/platform/database/")
                  and r["description"] == "PostgreSQL from EKS nodes"]
    assert [r["referenced_security_group_id"] for r in from_nodes] == [node_sg]
    to_targets = [r for r in resources(tf, "aws_vpc_security_group_ingress_rule").values()
                  if r["//"]["metadata"]["path"].startswith("test/platform/edge/")
                  and r.get("security_group_id") == node_sg]
    assert to_targets, "the edge admits nothing into the nodes' security group"
    private = {ref(tf, "aws_subnet", f"platform/network/private-{i}") for i in range(3)}
    assert set(by_path(tf, "aws_eks_cluster", "platform/eks/cluster")["vpc_config"]["subnet_ids"]) == private
    alb_suffix = ref(tf, "aws_lb", "platform/edge/alb", "arn_suffix")
    latency = by_path(tf, "aws_cloudwatch_metric_alarm", "platform/alarms/alb-p99-latency")
    assert latency["dimensions"]["LoadBalancer"] == alb_suffix
    unhealthy = by_path(tf, "aws_cloudwatch_metric_alarm", "platform/alarms/alb-unhealthy-green")
    assert unhealthy["dimensions"]["TargetGroup"] == ref(tf, "aws_lb_target_group", "platform/edge/green-target-group",
                                                         "arn_suffix")


def test_the_edge_weights_are_the_listeners_first_weights_and_no_deploy_sets_them_again(tf):
    # Until issue 21 they were Terraform variables that every deploy applied (a plain deploy moved traffic back to
    # what the files said); now the listener is created with them and owns them after that.
    assert "variable" not in tf
    (listener,) = [c for c in resources(tf, "aws_lb_listener").values() if c["port"] == 443]
    assert [g["weight"] for g in listener["default_action"][0]["forward"]["target_group"]] == [80, 20]
    assert listener["lifecycle"]["ignore_changes"] == ["default_action"]


def test_under_the_id_default_the_addresses_are_those_of_parts_made_directly_in_the_stack():
    from vtc_constructs.network import Network

    platform = synth(lambda stack: VisionToCodePlatform(stack, "Default", props()))
    direct = synth(lambda stack: Network(stack, "network", dataclasses.replace(props().network, name="acme-prod")))
    assert set(resources(direct, "aws_vpc")) == set(resources(platform, "aws_vpc")) == {"network_vpc_4E8F0223"}


@pytest.mark.parametrize("change, expected", [
    (dict(eks=EksClusterProps(name="other", kubernetes_version="1.33", node_groups=(NodeGroupProps(name="g"),))),
     r"^platform\.eks\.name: name differs \(got 'other'\); allowed: None or 'acme-prod' \(the platform's name\); fix: "
     r"leave it out"),
    (dict(database=DatabaseProps(engine_version="16.99")),
     r"^platform\.database\.engine_version: no pgvector on this engine version \(got '16\.99'\)"),
    (dict(network=NetworkProps(vpc_cidr="8.8.0.0/16", availability_zones=("eu-west-1a", "eu-west-1b"))),
     r"^platform\.network\.vpc_cidr: not a private range \(got '8\.8\.0\.0/16'\)"),
    (dict(alarms=AlarmsProps()),
     r"^platform\.alarms\.page_email_endpoints: "),
])
def test_every_problem_of_every_part_is_refused_before_anything_is_built(change, expected):
    with pytest.raises(ConfigError) as raised:
        synth(lambda stack: VisionToCodePlatform(stack, "platform", props(**change)))
    found = [str(p) for p in raised.value.problems]
    assert len(found) == 1 and re.search(expected, found[0]), found


def test_wiring_given_by_hand_is_refused_not_silently_replaced():
    from vtc_constructs.network import planned_edge_network

    wired = dataclasses.replace(props().edge, network=planned_edge_network(
        dataclasses.replace(props().network, name="acme-prod")))
    with pytest.raises(ConfigError, match=r"platform\.edge\.network: wired by the platform \(got 'EdgeNetwork'\); "
                                          r"allowed: None; fix: leave it out"):
        synth(lambda stack: VisionToCodePlatform(stack, "platform", props(edge=wired)))


def test_a_dict_instead_of_props_is_a_type_error_that_says_how_to_build_them():
    with pytest.raises(TypeError, match=r"^VisionToCodePlatform\(scope, id, props\): props must be a "
                                        r"vtc_constructs\.PlatformProps \(got dict\); build it from the dict"):
        synth(lambda stack: VisionToCodePlatform(stack, "platform", {"name": "x"}))  # type: ignore[arg-type]


# --- issue 14 item 4: the services' role ----------------------------------------------------------------------------

SUBJECTS = ["system:serviceaccount:vision-to-code:vtc-blue-business",
            "system:serviceaccount:vision-to-code:vtc-blue-core",
            "system:serviceaccount:vision-to-code:vtc-blue-swarm",
            "system:serviceaccount:vision-to-code:vtc-blue-development",
            "system:serviceaccount:vision-to-code:vtc-green-business",
            "system:serviceaccount:vision-to-code:vtc-green-core",
            "system:serviceaccount:vision-to-code:vtc-green-swarm",
            "system:serviceaccount:vision-to-code:vtc-green-development"]


def test_the_services_role_trusts_exactly_the_eight_service_accounts_of_both_colours(tf):
    (trust,) = by_path(tf, "aws_iam_policy_document", "platform/eks/services-role-assume", data=True)["statement"]
    provider = ref(tf, "aws_iam_openid_connect_provider", "platform/eks/oidc-provider", "url")[2:-1]
    issuer = "${replace(" + provider + ', "https://", "")}'
    assert trust == {
        "actions": ["sts:AssumeRoleWithWebIdentity"],
        "principals": [{"type": "Federated",
                        "identifiers": [ref(tf, "aws_iam_openid_connect_provider", "platform/eks/oidc-provider",
                                            "arn")]}],
        "condition": [{"test": "StringEquals", "variable": f"{issuer}:sub", "values": SUBJECTS},
                      {"test": "StringEquals", "variable": f"{issuer}:aud", "values": ["sts.amazonaws.com"]}]}


def test_the_services_role_may_only_connect_to_the_database_as_the_application_role(tf):
    # (and to the cache, when there is one: the cache's test below)
    connect, _cache = by_path(tf, "aws_iam_policy_document", "platform/eks/services-role-policy-document",
                              data=True)["statement"]
    resource_id = ref(tf, "aws_db_instance", "platform/database/instance", "resource_id")
    assert connect == {
        "sid": "ConnectToTheDatabaseAsTheApplicationRole", "actions": ["rds-db:connect"],
        "resources": ["arn:${data.aws_partition.account-partition.partition}:rds-db:"
                      "${data.aws_region.account-region.name}:${data.aws_caller_identity.account-caller.account_id}:"
                      f"dbuser:{resource_id}/vtc_app"]}
    role = by_path(tf, "aws_iam_role", "platform/eks/services-role")
    assert role["name_prefix"] == "acme-prod-services-role-"
    attachments = [a for a in resources(tf, "aws_iam_role_policy_attachment").values()
                   if a["role"] == ref(tf, "aws_iam_role", "platform/eks/services-role", "name")]
    assert [a["policy_arn"] for a in attachments] == [ref(tf, "aws_iam_policy", "platform/eks/services-role-policy",
                                                          "arn")]


def test_the_services_namespace_and_app_role_come_from_props():
    tf = synth(lambda stack: VisionToCodePlatform(stack, "platform", props(
        workloads_namespace="apps", database=DatabaseProps(engine_version="16.8", app_role="svc"))))
    (trust,) = by_path(tf, "aws_iam_policy_document", "platform/eks/services-role-assume", data=True)["statement"]
    assert trust["condition"][0]["values"] == [s.replace(":vision-to-code:", ":apps:") for s in SUBJECTS]
    (connect,) = by_path(tf, "aws_iam_policy_document", "platform/eks/services-role-policy-document",
                         data=True)["statement"]
    assert connect["resources"][0].endswith("}/svc")


def test_the_trusted_service_accounts_are_those_the_chart_creates():
    from vtc_constructs.platform import service_account_names
    from vtc_constructs.workloads import ImageTags, WorkloadsProps

    workloads = WorkloadsProps(image_repository="111111111111.dkr.ecr.eu-west-1.amazonaws.com/vtc",
                               image_tags=ImageTags(blue="1.0.0", green="1.0.1"))
    assert list(workloads.service_account_subjects()) == SUBJECTS
    assert [f"system:serviceaccount:vision-to-code:{a}" for a in service_account_names()] == SUBJECTS


def test_the_typed_outputs_resolve_to_the_resources():
    """The platform's own typed outputs and those of its parts reference the right resource attributes (issue 16)."""
    def build_in(stack):
        platform = VisionToCodePlatform(stack, "platform", props())
        return {"services_role_arn": platform.services_role_arn,
                "alertmanager_role_arn": platform.alertmanager_role_arn,
                "topic_key_arn": platform.alarms.topic_key_arn,
                "nat_public_ips": platform.network.nat_public_ips,
                "cluster_name": platform.eks.cluster_name,
                "db_endpoint_address": platform.database.db_endpoint_address,
                "alb_dns_name": platform.edge.alb_dns_name}

    tf, out = synth_outputs(build_in)
    assert out == {
        "services_role_arn": ref(tf, "aws_iam_role", "platform/eks/services-role", "arn"),
        "alertmanager_role_arn": ref(tf, "aws_iam_role", "platform/eks/alertmanager-role", "arn"),
        "topic_key_arn": ref(tf, "aws_kms_key", "platform/alarms/topic-key", "arn"),
        "nat_public_ips": [ref(tf, "aws_eip", f"platform/network/nat-eip-{i}", "public_ip")
                           for i in range(len(out["nat_public_ips"]))],
        "cluster_name": ref(tf, "aws_eks_cluster", "platform/eks/cluster", "name"),
        "db_endpoint_address": ref(tf, "aws_db_instance", "platform/database/instance", "address"),
        "alb_dns_name": ref(tf, "aws_lb", "platform/edge/alb", "dns_name"),
    }
    assert out["nat_public_ips"]


def test_a_bad_workloads_namespace_is_refused_with_the_other_problems():
    with pytest.raises(ConfigError) as raised:
        synth(lambda stack: VisionToCodePlatform(stack, "platform", props(workloads_namespace="Vision_To_Code",
                                                                          alarms=AlarmsProps())))
    found = sorted(str(p) for p in raised.value.problems)
    assert len(found) == 2, found
    assert re.match(r"^platform\.alarms\.page_email_endpoints: nobody is paged", found[0])
    assert re.match(r"^platform\.workloads_namespace: invalid value \(got 'Vision_To_Code'\); allowed: a DNS label"
                    r".*; fix: give the services' namespace", found[1])


# --- issue 14 item 2: Alertmanager pages through the alarm topics ---------------------------------------------------

def test_alertmanager_may_publish_to_the_alarm_topics_only_and_encrypt_for_them_through_sns(tf):
    (trust,) = by_path(tf, "aws_iam_policy_document", "platform/eks/alertmanager-role-assume", data=True)["statement"]
    assert trust["condition"][0]["values"] == ["system:serviceaccount:monitoring:kube-prometheus-stack-alertmanager"]
    assert trust["condition"][1]["values"] == ["sts.amazonaws.com"]
    statements = by_path(tf, "aws_iam_policy_document", "platform/eks/alertmanager-role-policy-document",
                         data=True)["statement"]
    assert statements == [
        {"sid": "PublishToTheAlarmTopics", "actions": ["sns:Publish"],
         "resources": [ref(tf, "aws_sns_topic", "platform/alarms/page-topic", "arn"),
                       ref(tf, "aws_sns_topic", "platform/alarms/notify-topic", "arn"),
                       ref(tf, "aws_sns_topic", "platform/alarms/heartbeat-topic", "arn")]},
        {"sid": "EncryptForTheAlarmTopicsThroughSns", "actions": ["kms:GenerateDataKey*", "kms:Decrypt"],
         "resources": [ref(tf, "aws_kms_key", "platform/alarms/topic-key", "arn")],
         "condition": [{"test": "StringEquals", "variable": "kms:ViaService",
                        "values": ["sns.${data.aws_region.account-region.name}.amazonaws.com"]}]}]


def test_alertmanagers_service_account_is_the_monitoring_release_defaults():
    from vtc_constructs.platform import ALERTMANAGER_SERVICE_ACCOUNT
    from vtc_constructs.workloads import WorkloadsProps

    defaults = {f.name: f.default for f in dataclasses.fields(WorkloadsProps)}
    assert ALERTMANAGER_SERVICE_ACCOUNT == ("monitoring", "kube-prometheus-stack-alertmanager") == (
        defaults["monitoring_namespace"], f"{defaults['monitoring_release']}-alertmanager")


# --- the cache (issue 24 item 3) -------------------------------------------------------------------------------------

def test_with_a_cache_grafana_may_read_cloudwatch_metrics_in_the_platforms_region_only(tf):
    from vtc_constructs.platform import GRAFANA_CLOUDWATCH_ACTIONS, GRAFANA_SERVICE_ACCOUNT
    from vtc_constructs.workloads import WorkloadsProps

    (trust,) = by_path(tf, "aws_iam_policy_document", "platform/eks/grafana-role-assume", data=True)["statement"]
    assert trust["condition"][0]["values"] == ["system:serviceaccount:monitoring:kube-prometheus-stack-grafana"]
    defaults = {f.name: f.default for f in dataclasses.fields(WorkloadsProps)}
    assert GRAFANA_SERVICE_ACCOUNT == (defaults["monitoring_namespace"], f"{defaults['monitoring_release']}-grafana")
    # Metric reads only (Grafana's "metrics-only" example minus alarms, EC2, tags, Insights): no logs, no writes.
    statements = by_path(tf, "aws_iam_policy_document", "platform/eks/grafana-role-policy-document",
                         data=True)["statement"]
    assert statements == [{"sid": "ReadCloudWatchMetricsForTheDashboards",
                           "actions": ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"], "resources": ["*"],
                           "condition": [{"test": "StringEquals", "variable": "aws:RequestedRegion",
                                          "values": ["${data.aws_region.account-region.name}"]}]}]
    assert GRAFANA_CLOUDWATCH_ACTIONS == tuple(statements[0]["actions"])


def test_a_cache_is_wired_to_the_nodes_the_services_role_and_the_alarm_topics(tf):
    group = by_path(tf, "aws_elasticache_replication_group", "platform/cache/replication-group")
    assert group["replication_group_id"] == "acme-prod-cache"
    subnets = by_path(tf, "aws_elasticache_subnet_group", "platform/cache/subnet-group")["subnet_ids"]
    assert subnets == [ref(tf, "aws_subnet", f"platform/network/private-{i}") for i in range(3)]
    # Only the nodes' security group on the cache's port.
    admitted = [r for r in resources(tf, "aws_vpc_security_group_ingress_rule").values()
                if r["security_group_id"] == ref(tf, "aws_security_group", "platform/cache/security-group")]
    assert [(r["referenced_security_group_id"], r["from_port"]) for r in admitted] == [
        (ref(tf, "aws_security_group", "platform/eks/node-sg"), 6379)]
    # The services' role: the database's user, then the cache's, nothing more.
    statements = by_path(tf, "aws_iam_policy_document", "platform/eks/services-role-policy-document",
                         data=True)["statement"]
    assert [s["sid"] for s in statements] == ["ConnectToTheDatabaseAsTheApplicationRole", "ConnectToTheCacheWithIam"]
    assert statements[1]["actions"] == ["elasticache:Connect"]
    assert statements[1]["resources"] == [
        ref(tf, "aws_elasticache_replication_group", "platform/cache/replication-group", "arn"),
        ref(tf, "aws_elasticache_user", "platform/cache/services-user", "arn")]
    # Four alarms per node (a primary and its replica), on the platform's topics.
    alarms = {a["alarm_name"]: a for a in resources(tf, "aws_cloudwatch_metric_alarm").values()
              if a["alarm_name"].startswith("acme-prod-cache-")}
    assert len(alarms) == 8
    page, notify = (ref(tf, "aws_sns_topic", f"platform/alarms/{t}-topic", "arn") for t in ("page", "notify"))
    assert alarms["acme-prod-cache-memory-001"]["alarm_actions"] == [page]
    assert alarms["acme-prod-cache-hit-rate-002"]["alarm_actions"] == [notify]
    [value] = [q for q in alarms["acme-prod-cache-hit-rate-001"]["metric_query"] if q.get("return_data")]
    assert "hits / (hits + misses)" in value["expression"]


def test_the_dashboard_gets_a_cache_row_per_metric_with_a_line_per_node(tf):
    body = by_path(tf, "aws_cloudwatch_dashboard", "platform/alarms/dashboard")["dashboard_body"]
    group_id = ref(tf, "aws_elasticache_replication_group", "platform/cache/replication-group", "replication_group_id")
    # Fn.jsonencode renders as HCL's jsonencode({...}): the widgets are the maps after the golden signals' eight.
    widgets = re.findall(r'\{"type" = "metric", "x" = (\d+), "y" = (\d+).*?"title" = "([^"]+)"(.*?)\]\]\}\}', body)
    cache = [(int(x), int(y), title, lines) for x, y, title, lines in widgets if title.startswith("Cache: ")]
    assert [(x, y, title) for x, y, title, _ in cache] == [
        (0, 24, "Cache: hit rate (%)"), (12, 24, "Cache: evictions"), (0, 30, "Cache: memory used (%)"),
        (12, 30, "Cache: engine CPU (%)")]
    hit_rate = cache[0][3]
    # One line per node (a primary and a replica), each the node's own CacheHitRate.
    assert hit_rate.count('"AWS/ElastiCache", "CacheHitRate", "CacheClusterId"') == 2
    for node in ("001", "002"):
        assert f'"{group_id}-{node}", {{"label" = "node {node}", "stat" = "Average"}}' in hit_rate


# --- the search domain (issue 24 item 1) ------------------------------------------------------------------------------

def test_the_search_domain_is_named_placed_and_admits_its_three_roles(tf):
    domain = by_path(tf, "aws_opensearch_domain", "platform/search/domain")
    assert domain["domain_name"] == "acme-prod-search"
    private = [ref(tf, "aws_subnet", f"platform/network/private-{i}") for i in range(3)]
    assert domain["vpc_options"]["subnet_ids"] == private  # three data nodes: one per AZ
    assert domain["cluster_config"]["dedicated_master_count"] == 3
    node_sg = ref(tf, "aws_security_group", "platform/eks/node-sg")
    admitted = [r for r in resources(tf, "aws_vpc_security_group_ingress_rule").values()
                if r["security_group_id"] == ref(tf, "aws_security_group", "platform/search/security-group")]
    assert [(r["referenced_security_group_id"], r["from_port"]) for r in admitted] == [(node_sg, 443)]
    roles = {name: ref(tf, "aws_iam_role", f"platform/eks/{name}-role", "arn")
             for name in ("search-admin", "jaeger", "fluent-bit")}
    assert domain["advanced_security_options"]["master_user_options"]["master_user_arn"] == roles["search-admin"]
    [access] = by_path(tf, "aws_iam_policy_document", "platform/search/access-policy-document",
                         data=True)["statement"]
    assert sorted(access["principals"][0]["identifiers"]) == sorted(roles.values())


def test_each_search_role_reaches_only_its_own_paths_of_the_domain(tf):
    def statements(path):
        return {s["sid"]: (s["actions"], [r.rsplit("domain/", 1)[1] for r in s["resources"]])
                for s in by_path(tf, "aws_iam_policy_document", path, data=True)["statement"]}

    assert statements("platform/search-writers/fluent-bit-policy-document") == {
        "WriteTheLogIndices": (["es:ESHttpGet", "es:ESHttpPost", "es:ESHttpPut"],
                               ["acme-prod-search/_bulk", "acme-prod-search/logs-*"])}
    jaeger = statements("platform/eks/jaeger-role-policy-document")["WriteAndSearchTheTraceIndices"]
    assert jaeger[1] == ["acme-prod-search", "acme-prod-search/", "acme-prod-search/jaeger-*",
                         "acme-prod-search/_bulk", "acme-prod-search/_msearch", "acme-prod-search/_template/*"]
    admin = statements("platform/eks/search-admin-role-policy-document")["SetUpIndexLifecycleSecurityRolesAndTemplates"]
    assert admin == (["es:ESHttpGet", "es:ESHttpPut"], [
        "acme-prod-search/_plugins/_ism/policies/*", "acme-prod-search/_plugins/_security/api/*",
        "acme-prod-search/_index_template/*"])
    # Each role trusts exactly its one service account.
    for role, account in (("search-admin", "logging:search-admin"), ("jaeger", "tracing:jaeger")):
        [trust] = by_path(tf, "aws_iam_policy_document", f"platform/eks/{role}-role-assume", data=True)["statement"]
        assert [c["values"] for c in trust["condition"] if c["variable"].endswith(":sub")] == [
            [f"system:serviceaccount:{account}"]]


def test_the_search_domains_alarms_are_on_the_topics(tf):
    alarms = {a["alarm_name"]: a for a in resources(tf, "aws_cloudwatch_metric_alarm").values()
              if a["alarm_name"].startswith("acme-prod-search-")}
    assert sorted(alarms) == ["acme-prod-search-cluster-red", "acme-prod-search-cluster-yellow",
                              "acme-prod-search-free-storage", "acme-prod-search-jvm-memory-pressure",
                              "acme-prod-search-snapshot-failure"]
    page = ref(tf, "aws_sns_topic", "platform/alarms/page-topic", "arn")
    assert alarms["acme-prod-search-cluster-red"]["alarm_actions"] == [page]
    assert alarms["acme-prod-search-cluster-red"]["dimensions"]["DomainName"] == "acme-prod-search"


@pytest.mark.parametrize("count, zones", [(None, 3), (1, 1), (2, 2), (3, 3), (4, 2), (6, 3), (9, 3)])
def test_the_domain_spreads_over_as_many_azs_as_its_data_nodes_fit(count, zones):
    from vtc_constructs.platform import planned_search

    planned = planned_search("acme-prod", dataclasses.replace(SEARCH, instance_count=count), props().network)
    assert len(planned.network.subnet_ids) == zones
    assert planned.validate() == []


def test_search_props_are_checked_with_the_platform():
    bad = props(search=dataclasses.replace(SEARCH, name="mine", instance_count=5, index_hot_days=40,
                                           writer_role_arns=("arn:aws:iam::123456789012:role/x",)))
    with pytest.raises(ConfigError) as caught:
        synth(lambda stack: VisionToCodePlatform(stack, "platform", bad))
    assert {p.path for p in caught.value.problems} == {
        "platform.search.name", "platform.search.writer_role_arns", "platform.search.instance_count",
        "platform.search.index_retention_days"}


def test_cache_props_are_checked_with_the_platform():
    from vtc_constructs.cache import CacheProps

    bad = props(cache=CacheProps(engine_version="6.2", name="other", replicas_per_node_group=0))
    with pytest.raises(ConfigError) as caught:
        synth(lambda stack: VisionToCodePlatform(stack, "platform", bad))
    # Every problem at once, under the platform's construct id: a name of its own, a version ElastiCache does not
    # offer for Valkey, failover without a replica.
    assert {p.path for p in caught.value.problems} == {"platform.cache.name", "platform.cache.engine_version",
                                                       "platform.cache.automatic_failover"}


def test_the_releases_get_the_platforms_cache_endpoints_and_user():
    from cdktf import App, TerraformStack

    from vtc_constructs.cache import CacheProps
    from vtc_constructs.network import plan_subnets
    from vtc_constructs.releases import ClusterReleasesProps
    from vtc_constructs.workloads import ImageTags, WorkloadsProps

    platform = VisionToCodePlatform(TerraformStack(App(), "s"), "platform", props(cache=CacheProps(engine_version="8.1")))
    workloads = WorkloadsProps(image_repository="123456789012.dkr.ecr.eu-west-1.amazonaws.com/vtc",
                               image_tags=ImageTags(blue="1.0.0", green="1.0.1"))
    cache = ClusterReleasesProps.from_platform(platform, environment="prod", region="eu-west-1",
                                               workloads=workloads).cache
    from cdktf import Token

    # The cache's own outputs, known at apply: references, not values typed in.
    assert all(Token.is_unresolved(v) for v in (cache.host, cache.reader_host, cache.user, cache.replication_group_id))
    assert cache.port == 6379
    assert cache.cidrs == plan_subnets(platform.props.parts(planned=False)["network"]).private
    # Grafana's role and the cache's nodes for its dashboard (plain strings: no reference to the AWS stack).
    given = ClusterReleasesProps.from_platform(platform, environment="prod", region="eu-west-1", workloads=workloads)
    assert Token.is_unresolved(given.roles.grafana)  # the role (test_releases checks which: referenced())
    assert given.cache_member_cluster_ids == ("acme-prod-cache-001", "acme-prod-cache-002")
    without = VisionToCodePlatform(TerraformStack(App(), "t"), "platform", props())
    bare = ClusterReleasesProps.from_platform(without, environment="prod", region="eu-west-1", workloads=workloads)
    assert (bare.cache, bare.roles.grafana, bare.cache_member_cluster_ids, without.grafana_role_arn) == \
        (None, None, (), None)
