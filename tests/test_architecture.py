"""The architecture pictures and the settings table (environments/architecture.py): the committed files are what the
session's synth gives now, and the layout holds on a small stack built by hand."""

from __future__ import annotations

import copy
import itertools
import xml.etree.ElementTree as ET

import pytest

from environments import architecture
from environments.architecture import COMMAND, DOCS_DIR, expected_files, main, platform_svg, stale_files
from environments.settings_table import SETTINGS, merged, settings_markdown
from environments.svg_layout import LINE_HEIGHT, text_width
from environments.tiers import GUARDS

SVG = "{http://www.w3.org/2000/svg}"


def test_committed_files_are_what_the_synth_gives(synth_dir, environments):
    files = expected_files(synth_dir, architecture.environment_order(list(environments.values())),
                           architecture.production_minimum())
    assert set(files) == {f"{name}.svg" for name in environments} | {"settings.md"}
    problems = stale_files(DOCS_DIR, files)
    assert not problems, "\n".join(problems) + f"\nregenerate with: {COMMAND}"


def test_the_check_names_each_stale_file_and_the_command(synth_dir, tmp_path, capsys):
    docs = tmp_path / "architecture"
    assert main(["--check", "--from", str(synth_dir), "--docs", str(docs)]) == 1
    err = capsys.readouterr().err
    assert f"{docs / 'staging.svg'} is missing; regenerate with: {COMMAND}" in err
    assert f"{docs / 'settings.md'} is missing" in err

    assert main(["--from", str(synth_dir), "--docs", str(docs)]) == 0
    assert main(["--check", "--from", str(synth_dir), "--docs", str(docs)]) == 0
    (docs / "staging.svg").write_text((docs / "staging.svg").read_text().replace("10.20.0.0/16", "10.99.0.0/16"))
    (docs / "gone.svg").write_text("<svg/>")
    assert main(["--check", "--from", str(synth_dir), "--docs", str(docs)]) == 1
    err = capsys.readouterr().err
    assert f"{docs / 'staging.svg'} is stale" in err and f"{docs / 'gone.svg'} pictures no environment" in err
    assert "production.svg" not in err

    assert main(["--from", str(synth_dir), "--docs", str(docs)]) == 0
    assert not (docs / "gone.svg").exists()
    assert main(["--check", "--from", str(synth_dir), "--docs", str(docs)]) == 0


# --- a stack built by hand -----------------------------------------------------------------------------------------

def _stack() -> dict:
    r = {
        "aws_vpc": {"vpc": {"cidr_block": "10.0.0.0/16", "tags": {"Name": "demo-vpc"}}},
        "aws_subnet": {
            "pub-a": {"availability_zone": "zz-1a", "cidr_block": "10.0.1.0/24", "tags": {"vtc/tier": "public"}},
            "priv-a": {"availability_zone": "zz-1a", "cidr_block": "10.0.2.0/24", "tags": {"vtc/tier": "private"}},
            "db-b": {"availability_zone": "zz-1b", "cidr_block": "10.0.3.0/24", "tags": {"vtc/tier": "database"}},
        },
        "aws_nat_gateway": {"nat": {"subnet_id": "${aws_subnet.pub-a.id}", "tags": {"Name": "demo-nat-a"}}},
        "aws_vpc_endpoint": {
            "s3": {"service_name": "com.amazonaws.zz-1.s3", "vpc_endpoint_type": "Gateway"},
            "sts": {"service_name": "com.amazonaws.${data.aws_region.r.name}.sts", "vpc_endpoint_type": "Interface",
                    "subnet_ids": ["${aws_subnet.priv-a.id}"]},
            "ecr": {"service_name": "com.amazonaws.zz-1.ecr.dkr", "vpc_endpoint_type": "Interface",
                    "subnet_ids": ["${aws_subnet.priv-a.id}", "${aws_subnet.db-b.id}"]}},
        "aws_lb": {"alb": {"name": "demo-alb", "internal": False, "subnets": ["${aws_subnet.pub-a.id}"],
                           "enable_deletion_protection": True}},
        "aws_lb_listener": {"https": {"load_balancer_arn": "${aws_lb.alb.arn}", "port": 443, "protocol": "HTTPS",
                                      "ssl_policy": "TLS13"}},
        "aws_lb_target_group": {
            colour: {"port": 8080, "protocol": "HTTP", "target_type": "ip", "tags": {"vtc/colour": colour},
                     "health_check": {"path": "/-/ready"}} for colour in ("blue", "green")},
        "aws_wafv2_web_acl": {"acl": {"name": "demo-acl", "scope": "REGIONAL", "default_action": {"allow": {}},
                                      "rule": [{"name": "RateLimit<&>"}]}},
        "aws_eks_cluster": {"eks": {"name": "demo", "version": "1.36",
                                    "vpc_config": {"endpoint_public_access": False}}},
        "aws_eks_node_group": {"ng": {"labels": {"vtc/node-group": "general"}, "instance_types": ["m6i.large"],
                                      "capacity_type": "SPOT",
                                      "scaling_config": {"min_size": 1, "max_size": 4, "desired_size": 2}}},
        "aws_eks_addon": {"cni": {"addon_name": "vpc-cni", "addon_version": "v1"}},
        "aws_db_instance": {"db": {"identifier": "demo-db", "engine": "postgres", "engine_version": "16.8",
                                   "instance_class": "db.t4g.large", "allocated_storage": 20, "multi_az": True,
                                   "backup_retention_period": 9}},
        "aws_elasticache_replication_group": {"cache": {"replication_group_id": "demo-cache", "engine": "valkey",
                                                        "node_type": "cache.t4g.small", "num_cache_clusters": 2,
                                                        "engine_version": "8.1"}},
        "aws_opensearch_domain": {"search": {"domain_name": "demo-search", "engine_version": "OpenSearch_2.19",
                                             "cluster_config": {"instance_count": 1, "instance_type": "t3.search"}}},
        "aws_sns_topic": {"page": {"name": "demo-page"}},
        "aws_cloudwatch_log_group": {"flow": {"name": "/vtc/flow", "retention_in_days": 400},
                                     "eks": {"name": "/aws/eks/demo/cluster"}},
        "aws_flow_log": {"f": {"log_destination": "${aws_cloudwatch_log_group.flow.arn}"}},
        "aws_cloudwatch_metric_alarm": {"a": {"alarm_actions": ["${aws_sns_topic.page.arn}"]}},
        "aws_sns_topic_subscription": {"s": {"topic_arn": "${aws_sns_topic.page.arn}", "protocol": "email"}},
    }
    return {"provider": {"aws": [{"region": "zz-1"}]}, "resource": r}


def _workloads() -> dict:
    return {"resource": {"helm_release": {
        "a": {"name": "ngf-blue", "namespace": "gateway", "chart": "nginx-gateway-fabric", "version": "2.6.7",
              "repository": "oci://example", "values": ['{"nginx": {"replicas": 3}}']},
        "b": {"name": "vtc-green", "namespace": "apps", "chart": "./assets/x/HASH",
              "values": ['{"colour": "green", "services": {"core": {"minReplicas": 5, "maxReplicas": 15}}}']},
        "c": {"name": "metrics", "namespace": "gateway", "chart": "metrics-server", "version": "3"},
    }}}


ALL_KINDS = {"internet", "waf", "alb", "target-group-blue", "target-group-green", "vpc", "availability-zone",
             "subnet-public", "subnet-private", "subnet-database", "nat", "vpc-endpoints", "cluster", "node-group", "eks-addons",
             "namespace", "release", "database", "rds-primary", "rds-standby", "cache", "search", "alarm-topics",
             "topic"}


def _kinds(svg: str) -> set[str]:
    return {g.get("data-kind") for g in ET.fromstring(svg).iter(f"{SVG}g")}


def _texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_the_environments_drawn_are_the_ones_main_py_reads(synth_dir, tmp_path, capsys, monkeypatch):
    """``--environments-dir``, else ``$VTC_ENVIRONMENTS_DIR`` (as main.py): files it would refuse are refused here too,
    exit 1, nothing written (found by a new-user review: the variable was ignored and the check said up to date)."""
    from tests.test_environments import env_dir, rewrite

    directory = env_dir(tmp_path)
    rewrite(directory, "staging", 'vpc_cidr = "10.20.0.0/16"', 'vpc_cidr = "10.20.0.0/33"')
    docs = tmp_path / "docs"
    for argv, variable in (([], str(directory)), (["--environments-dir", str(directory)], "")):
        monkeypatch.setenv("VTC_ENVIRONMENTS_DIR", variable)
        assert main(["--check", "--from", str(synth_dir), "--docs", str(docs), *argv]) == 1
        err = capsys.readouterr().err
        assert "staging.network.vpc_cidr" in err and "10.20.0.0/33" in err, err
    assert not docs.exists()


def test_every_kind_of_box_is_drawn_with_its_labels():
    svg = platform_svg(_stack(), _workloads(), "demo", {"./assets/x/HASH": "vision-to-code 0.2.0 (local)"})
    assert _kinds(svg) == ALL_KINDS
    texts = _texts(svg)
    for label in ("VPC 10.0.0.0/16 demo-vpc", "zz-1a", "zz-1b", "10.0.1.0/24", "demo-nat-a", "ALB demo-alb",
                  "HTTPS :443 TLS13", "WAF demo-acl", "RateLimit<&>", "target group blue", "health /-/ready",
                  "EKS demo Kubernetes 1.36, private API endpoint", "m6i.large", "1-4 nodes (desired 2)",
                  "vpc-cni v1", "namespace apps", "namespace gateway", "vision-to-code 0.2.0 (local)",
                  "nginx-gateway-fabric 2.6.7", "RDS demo-db", "standby", "cache demo-cache", "primary + 1 replica",
                  "OpenSearch demo-search", "1 x t3.search data", "demo-page", "1 CloudWatch alarm",
                  "subscribed: email", "demo: zz-1", "gateway: s3", "interface: ecr.dkr (2 AZs), sts (1 AZ)"):
        assert label in texts, label
    # The two namespaces by name, the releases in one by name; escaped in the file, whole when read.
    assert texts.index("namespace apps") < texts.index("namespace gateway")
    assert texts.index("metrics") < texts.index("ngf-blue")
    assert "RateLimit&lt;&amp;&gt;" in svg


@pytest.mark.parametrize("kind, gone", [
    ("aws_elasticache_replication_group", {"cache"}),
    ("aws_opensearch_domain", {"search"}),
    ("aws_nat_gateway", {"nat"}),
    ("aws_vpc_endpoint", {"vpc-endpoints"}),
    ("aws_sns_topic", {"alarm-topics", "topic"}),
    ("aws_wafv2_web_acl", {"waf"}),
    ("aws_eks_node_group", {"node-group"}),
])
def test_a_missing_resource_kind_is_simply_absent(kind, gone):
    stack = _stack()
    del stack["resource"][kind]
    assert _kinds(platform_svg(stack, _workloads(), "demo")) == ALL_KINDS - gone


def test_a_single_az_database_has_no_standby_and_no_releases_draw_no_namespaces():
    stack = _stack()
    stack["resource"]["aws_db_instance"]["db"]["multi_az"] = False
    svg = platform_svg(stack, None, "demo")
    assert _kinds(svg) == ALL_KINDS - {"rds-standby", "namespace", "release"}
    assert "single-AZ: no standby" in _texts(svg) and "local chart" not in svg


def test_the_output_is_the_same_bytes_whatever_the_order_of_the_input():
    first = platform_svg(_stack(), _workloads(), "demo")
    reordered = _stack()
    reordered["resource"] = {kind: dict(reversed(list(body.items())))
                             for kind, body in reversed(list(reordered["resource"].items()))}
    assert platform_svg(reordered, _workloads(), "demo") == first == platform_svg(_stack(), _workloads(), "demo")


def _rect(element) -> tuple[float, float, float, float]:
    rect = element.find(f"{SVG}rect")
    return (float(rect.get("x")), float(rect.get("y")), float(rect.get("x")) + float(rect.get("width")),
            float(rect.get("y")) + float(rect.get("height")))


def test_every_box_holds_its_labels_and_no_two_boxes_overlap():
    root = ET.fromstring(platform_svg(_stack(), _workloads(), "demo", {}))
    boxes = list(root.iter(f"{SVG}g"))
    for box in boxes:
        left, top, right, bottom = _rect(box)
        for text in box.findall(f"{SVG}text"):
            x, y = float(text.get("x")), float(text.get("y"))
            assert left < x and x + text_width(text.text) < right, (box.get("data-kind"), text.text)
            assert top < y - LINE_HEIGHT + 4 and y < bottom, (box.get("data-kind"), text.text)
        for inner in box.findall(f"{SVG}g"):
            i_left, i_top, i_right, i_bottom = _rect(inner)
            assert left < i_left and i_right < right and top < i_top and i_bottom < bottom
    leaves = [_rect(b) for b in boxes if b.find(f"{SVG}g") is None]
    for a, b in itertools.combinations(leaves, 2):
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


# --- the settings table --------------------------------------------------------------------------------------------

def test_the_settings_table_puts_the_environments_side_by_side_with_the_minimum():
    without = copy.deepcopy(_stack())
    del without["resource"]["aws_elasticache_replication_group"]
    minimum = {guard: f"min of {guard}" for *_, guard in SETTINGS if guard} | {"workloads.x": "at least 3"}
    table = settings_markdown({"small": without, "big": merged(_stack(), _workloads())}, minimum)
    assert "| section | setting | small | big | production minimum |" in table
    assert "| database | backups kept (days) | 9 | 9 | min of database.backup_retention_days |" in table
    assert "| database | Multi-AZ standby | yes | yes | min of database.multi_az |" in table
    assert "| cache | nodes | — | 2 x cache.t4g.small valkey 8.1 |" in table
    assert "| network | NAT gateways | 1 for 2 AZs | 1 for 2 AZs | min of network.nat_strategy |" in table
    # Log groups found by reference (the flow log's destination) or by the name AWS gives them (the cluster's).
    assert "| network | flow logs kept (days) | 400 | 400 |" in table
    assert "| eks | control-plane logs kept (days) | never expires | never expires |" in table
    assert "| database | logs kept (days) | — | — |" in table
    # The workloads' settings come from the Helm releases' values; a service's rows from the services' chart.
    assert "| workloads | NGINX pods per colour | — | 3 | min of workloads.ingress_replicas |" in table
    assert "| workloads | core min replicas | — | 5 |  |" in table and "| core max replicas | — | 15 |" in table
    assert "- `workloads.x`: at least 3" in table
    with pytest.raises(KeyError, match="network.nat_strategy"):
        settings_markdown({"small": without}, {})


def test_every_guard_the_table_shows_is_a_guard_of_the_production_tier():
    paths = {guard.path for guard in GUARDS}
    assert {guard for *_, guard in SETTINGS if guard} <= paths
