"""The platform's picture per environment, and a table of the environments' settings, drawn from the synthesized
stacks: every box and every value comes from a resource of the Terraform JSON the synth writes, so neither can drift
from what a deploy would make. ``tests/test_architecture.py`` renders them from the test session's synth and fails when
a committed file differs.

Usage::

    python -m environments.architecture                  # synthesize aside, (re)write docs/architecture/
    python -m environments.architecture --check          # exit 1 naming every stale file
    python -m environments.architecture --from cdktf.out # from a synth already made (python main.py)

Or in Python: ``platform_svg(stack, workloads_stack, name)``; the table is ``environments/settings_table.py``'s.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Mapping, Sequence

from .settings_table import COMMAND, merged, settings_markdown
from .stack_json import ref, refs, resources, tag
from .svg_layout import Box, Column, Group, Node, Row, Text, Wrap, render

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DOCS_DIR = PROJECT_ROOT / "docs" / "architecture"
SETTINGS_FILE = "settings.md"
TIER_ORDER = ("public", "private", "database")
COLOURS = {"blue": "#dbeafe", "green": "#dcfce7"}
#: How wide (pixels) the namespaces' row may grow before the releases wrap onto another line.
RELEASES_WIDTH = 1100


# --- the picture ---------------------------------------------------------------------------------------------------

def platform_svg(stack: Mapping, workloads: Mapping | None, name: str, charts: Mapping[str, str] | None = None) -> str:
    """The SVG picture of environment ``name`` from its AWS stack and its workloads stack (the Helm releases).

    :param charts: ``{chart path: "name version"}`` of the local charts the releases install (their Chart.yaml),
        default: shown as "local chart".
    """
    rows: list[Node] = [Text([f"{name}: {_region(stack)}",
                              f"drawn from the synthesized stacks {name} and {name}-workloads ({COMMAND})"],
                             bold_first=True)]
    edge = _edge(stack)
    if edge:
        rows.append(Row(edge, arrows=True))
    vpc = _vpc(stack, workloads or {}, charts or {})
    if vpc is not None:
        rows.append(vpc)
    topics = _topics(stack)
    if topics is not None:
        rows.append(topics)
    return render(Column(rows), f"{name}: the platform as synthesized")


def _region(stack: Mapping) -> str:
    providers = stack.get("provider", {}).get("aws") or [{}]
    return str(providers[0].get("region", "region unknown"))


def _edge(stack: Mapping) -> list[Node]:
    albs = resources(stack, "aws_lb")
    acls = resources(stack, "aws_wafv2_web_acl")
    groups = resources(stack, "aws_lb_target_group")
    if not (albs or acls or groups):
        return []
    nodes: list[Node] = [Box("internet", "Internet", ["HTTPS clients"], fill="#f3f4f6")]
    for acl_name, acl in acls:
        rules = [rule.get("name", "?") for rule in acl.get("rule", [])]
        default = next(iter(acl.get("default_action") or {"?": {}}))
        nodes.append(Box("waf", f"WAF {acl.get('name', acl_name)}",
                         [f"{acl.get('scope', '').lower()} web ACL, default {default}", *rules], fill="#fde2e2"))
    listeners = resources(stack, "aws_lb_listener")
    for alb_name, alb in albs:
        lines = ["internal" if alb.get("internal") else "internet-facing",
                 f"in {len(alb.get('subnets', []))} public subnets"]
        for _, listener in listeners:
            if ref(listener.get("load_balancer_arn")) == ("aws_lb", alb_name):
                policy = listener.get("ssl_policy")
                lines.append(f"{listener.get('protocol')} :{listener.get('port')}" + (f" {policy}" if policy else ""))
        lines.append(f"deletion protection {'on' if alb.get('enable_deletion_protection') else 'off'}")
        nodes.append(Box("alb", f"ALB {alb.get('name', alb_name)}", lines, fill="#fff1d6"))
    if groups:
        boxes: list[Node] = []
        for group_name, group in groups:
            colour = tag(group, "vtc/colour") or group_name
            health = (group.get("health_check") or {}).get("path", "")
            boxes.append(Box(f"target-group-{colour}", f"target group {colour}",
                             [f"{group.get('protocol')} :{group.get('port')}, {group.get('target_type')} targets",
                              f"health {health}"], fill=COLOURS.get(colour, "#ffffff")))
        nodes.append(Column(boxes))
    return nodes


def _vpc(stack: Mapping, workloads: Mapping, charts: Mapping[str, str]) -> Node | None:
    vpcs = resources(stack, "aws_vpc")
    if not vpcs:
        return None
    vpc_name, vpc = vpcs[0]
    subnets = {name: body for name, body in resources(stack, "aws_subnet")}
    nats: dict[str, list[dict]] = {}
    for _, nat in resources(stack, "aws_nat_gateway"):
        subnet = ref(nat.get("subnet_id"))
        if subnet and subnet[1] in subnets:
            nats.setdefault(subnet[1], []).append(nat)
    zones = sorted({body.get("availability_zone", "?") for body in subnets.values()})
    columns: list[Node] = []
    for zone in zones:
        boxes: list[Node] = []
        here = [(n, b) for n, b in subnets.items() if b.get("availability_zone", "?") == zone]
        here.sort(key=lambda item: (_tier_rank(tag(item[1], "vtc/tier")), item[0]))
        for subnet_name, subnet in here:
            tier = tag(subnet, "vtc/tier", "subnet")
            lines = [subnet.get("cidr_block", "")]
            box: Node = Box(f"subnet-{tier}", f"{tier} subnet", lines, fill=_TIER_FILL.get(tier, "#ffffff"))
            if subnet_name in nats:
                box = Column([box, *(Box("nat", "NAT gateway", [tag(nat, "Name")], fill="#fef9c3")
                                     for nat in nats[subnet_name])])
            boxes.append(box)
        columns.append(Group("availability-zone", zone, Column(boxes), dashed=True))
    parts: list[Node] = []
    if columns:
        parts.append(Row(columns, spread=True))
    endpoints = _endpoints(stack)
    if endpoints is not None:
        parts.append(endpoints)
    cluster = _cluster(stack, workloads, charts)
    if cluster is not None:
        parts.append(cluster)
    data = _data(stack)
    if data:
        parts.append(Row(data))
    if not parts:
        parts.append(Text(["(no subnets)"]))
    title = f"VPC {vpc.get('cidr_block', '')} {tag(vpc, 'Name')}".rstrip()
    return Group("vpc", title, Column(parts), fill="#f9fafb")


_TIER_FILL = {"public": "#ecfccb", "private": "#e0f2fe", "database": "#ede9fe"}


def _endpoints(stack: Mapping) -> Node | None:
    """The VPC's endpoints: the AWS services reached without NAT, interface (private DNS, in how many subnets) and
    gateway endpoints apart."""
    kinds: dict[str, list[str]] = {}
    for _, endpoint in resources(stack, "aws_vpc_endpoint"):
        service = str(endpoint.get("service_name", "?")).rsplit(".", 1)[-1]
        service = {"api": "ecr.api", "dkr": "ecr.dkr"}.get(service, service)
        kind = endpoint.get("vpc_endpoint_type", "Gateway")
        if kind == "Interface":
            subnets = endpoint.get("subnet_ids")
            service += f" ({len(subnets)} AZ{'s' if len(subnets) != 1 else ''})" if isinstance(subnets, list) else ""
        kinds.setdefault(kind, []).append(service)
    if not kinds:
        return None
    lines = [f"{kind.lower()}: " + ", ".join(sorted(names)) for kind, names in sorted(kinds.items())]
    return Box("vpc-endpoints", "VPC endpoints (AWS APIs without NAT)", lines, fill="#f0fdfa")


def _tier_rank(tier: str) -> tuple[int, str]:
    return (TIER_ORDER.index(tier), "") if tier in TIER_ORDER else (len(TIER_ORDER), tier)


def _cluster(stack: Mapping, workloads: Mapping, charts: Mapping[str, str]) -> Node | None:
    clusters = resources(stack, "aws_eks_cluster")
    releases = resources(workloads, "helm_release")
    if not clusters and not releases:
        return None
    top: list[Node] = []
    for group_name, group in resources(stack, "aws_eks_node_group"):
        scaling = group.get("scaling_config") or {}
        label = (group.get("labels") or {}).get("vtc/node-group") or group.get("node_group_name_prefix", group_name)
        top.append(Box("node-group", f"node group {str(label).rstrip('-')}",
                       [", ".join(group.get("instance_types", [])), str(group.get("capacity_type", "ON_DEMAND")),
                        f"{scaling.get('min_size')}-{scaling.get('max_size')} nodes "
                        f"(desired {scaling.get('desired_size')})"], fill="#e0e7ff"))
    addons = resources(stack, "aws_eks_addon")
    if addons:
        top.append(Box("eks-addons", "EKS add-ons",
                       [f"{a.get('addon_name')} {a.get('addon_version', '')}".rstrip() for _, a in addons],
                       fill="#f5f3ff"))
    namespaces: dict[str, list[dict]] = {}
    for _, release in releases:
        namespaces.setdefault(str(release.get("namespace", "default")), []).append(release)
    groups: list[Node] = []
    for namespace in sorted(namespaces):
        boxes = [_release(release, charts) for release in sorted(namespaces[namespace], key=lambda r: r.get("name"))]
        groups.append(Group("namespace", f"namespace {namespace}", Column(boxes), fill="#f8fafc"))
    parts: list[Node] = []
    if top:
        parts.append(Row(top))
    if groups:
        parts.append(Text([f"Helm releases ({len(releases)}), by namespace"], bold_first=True))
        parts.append(Wrap(groups, RELEASES_WIDTH))
    if not parts:
        parts.append(Text(["(no node groups or releases)"]))
    if not clusters:
        return Group("cluster", "Kubernetes cluster (not in this stack)", Column(parts))
    cluster = clusters[0][1]
    endpoint = (cluster.get("vpc_config") or {}).get("endpoint_public_access")
    title = (f"EKS {cluster.get('name', '')} Kubernetes {cluster.get('version', '?')}, "
             f"{'public' if endpoint else 'private'} API endpoint")
    return Group("cluster", title, Column(parts), fill="#ffffff")


def _release(release: Mapping, charts: Mapping[str, str]) -> Node:
    name = str(release.get("name", "?"))
    chart = str(release.get("chart", ""))
    if release.get("repository") or release.get("version"):
        line = f"{chart} {release.get('version', '')}".rstrip()
    else:
        line = charts.get(chart, "local chart")
    colour = next((c for c in COLOURS if name.endswith(f"-{c}")), None)
    return Box("release", name, [line], fill=COLOURS.get(colour or "", "#ffffff"))


def _data(stack: Mapping) -> list[Node]:
    nodes: list[Node] = []
    for db_name, db in resources(stack, "aws_db_instance"):
        storage = f"{db.get('allocated_storage')} GiB {db.get('storage_type', '')}".rstrip()
        if db.get("max_allocated_storage"):
            storage += f", grows to {db['max_allocated_storage']}"
        primary = Box("rds-primary", f"RDS {db.get('identifier', db_name)}",
                      [f"{db.get('engine')} {db.get('engine_version', '')}".rstrip(), str(db.get("instance_class")),
                       storage, "primary" if db.get("multi_az") else "single-AZ: no standby"], fill="#ede9fe")
        boxes: list[Node] = [primary]
        if db.get("multi_az"):
            boxes.append(Box("rds-standby", "standby", ["synchronous replica", "in another AZ", "(Multi-AZ)"],
                             fill="#ede9fe", dashed=True))
        nodes.append(Group("database", "database subnets", Row(boxes), dashed=True))
    for cache_name, cache in resources(stack, "aws_elasticache_replication_group"):
        count = int(cache.get("num_cache_clusters") or 1)
        lines = [f"{cache.get('engine')} {cache.get('engine_version', '')}".rstrip(),
                 f"{count} x {cache.get('node_type')}",
                 "primary" + (f" + {count - 1} replica{'s' if count > 2 else ''}" if count > 1 else " only"),
                 f"Multi-AZ {'on' if cache.get('multi_az_enabled') else 'off'}"]
        nodes.append(Box("cache", f"cache {cache.get('replication_group_id', cache_name)}", lines, fill="#ffe4e6"))
    for domain_name, domain in resources(stack, "aws_opensearch_domain"):
        config = domain.get("cluster_config") or {}
        lines = [str(domain.get("engine_version")),
                 f"{config.get('instance_count', 1)} x {config.get('instance_type')} data"]
        if config.get("dedicated_master_enabled"):
            lines.append(f"{config.get('dedicated_master_count')} x {config.get('dedicated_master_type')} masters")
        zones = (config.get("zone_awareness_config") or {}).get("availability_zone_count")
        lines.append(f"zone awareness over {zones} AZs" if config.get("zone_awareness_enabled") else "one AZ")
        nodes.append(Box("search", f"OpenSearch {domain.get('domain_name', domain_name)}", lines, fill="#fef3c7"))
    return nodes


def _topics(stack: Mapping) -> Node | None:
    topics = resources(stack, "aws_sns_topic")
    if not topics:
        return None
    alarms = resources(stack, "aws_cloudwatch_metric_alarm")
    subscriptions = resources(stack, "aws_sns_topic_subscription")
    boxes: list[Node] = []
    for topic_name, topic in topics:
        this = ("aws_sns_topic", topic_name)
        count = sum(1 for _, alarm in alarms if this in refs(alarm.get("alarm_actions", [])))
        protocols = sorted({s.get("protocol", "?") for _, s in subscriptions if ref(s.get("topic_arn")) == this})
        boxes.append(Box("topic", str(topic.get("name", topic_name)),
                         [f"{count} CloudWatch alarm{'' if count == 1 else 's'}",
                          "subscribed: " + (", ".join(protocols) if protocols else "none in Terraform")],
                         fill="#fce7f3"))
    return Group("alarm-topics", "alarm topics (SNS)", Row(boxes))


# --- files and the command -----------------------------------------------------------------------------------------

def local_charts(stack_dir: Path, workloads: Mapping) -> dict[str, str]:
    """``{chart path: "name version"}`` of each local chart a release installs, read from its Chart.yaml."""
    found = {}
    for _, release in resources(workloads, "helm_release"):
        chart = str(release.get("chart", ""))
        meta = stack_dir / chart / "Chart.yaml"
        if release.get("repository") or not meta.is_file():
            continue
        fields = dict(re.findall(r"^(name|version):\s*['\"]?([^'\"\s]+)", meta.read_text(encoding="utf-8"), re.M))
        found[chart] = f"{fields.get('name', '?')} {fields.get('version', '')} (local)".replace("  ", " ")
    return found


def expected_files(synth_dir: Path, names: Sequence[str], minimum: Mapping[str, str]) -> dict[str, str]:
    """``{file name under docs/architecture: content}`` for environments ``names`` of a synth output."""
    stacks, files = {}, {}
    for name in names:
        stack_dir = synth_dir / "stacks" / name
        workloads_dir = synth_dir / "stacks" / f"{name}-workloads"
        for folder in (stack_dir, workloads_dir):
            if not (folder / "cdk.tf.json").is_file():
                raise SystemExit(f"{folder / 'cdk.tf.json'} is missing: synthesize every environment first "
                                 f"(python main.py), or run {COMMAND} without --from")
        stack = json.loads((stack_dir / "cdk.tf.json").read_text(encoding="utf-8"))
        workloads = json.loads((workloads_dir / "cdk.tf.json").read_text(encoding="utf-8"))
        files[f"{name}.svg"] = platform_svg(stack, workloads, name, local_charts(workloads_dir, workloads))
        stacks[name] = merged(stack, workloads)
    files[SETTINGS_FILE] = settings_markdown(stacks, minimum)
    return files


def stale_files(directory: Path, files: Mapping[str, str]) -> list[str]:
    """Why each file of ``directory`` differs from ``files``: missing, different, or a picture of no environment."""
    problems = []
    for name, content in files.items():
        path = directory / name
        if not path.is_file():
            problems.append(f"{path} is missing")
        elif path.read_text(encoding="utf-8") != content:
            problems.append(f"{path} is stale: it differs from what the synth gives now")
    for path in sorted(directory.glob("*.svg")) if directory.is_dir() else []:
        if path.name not in files:
            problems.append(f"{path} pictures no environment any more")
    return problems


def environment_order(envs: Sequence) -> list[str]:
    """Non-production environments first, then production ones, each by name: the table reads left to right as a
    change travels."""
    from .tiers import Tier

    return [e.name for e in sorted(envs, key=lambda e: (e.tier is Tier.PRODUCTION, e.name))]


def production_minimum() -> dict[str, str]:
    from .tiers import GUARDS

    return {guard.path: guard.allowed for guard in GUARDS}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 naming every stale file")
    parser.add_argument("--from", dest="synth_dir", type=Path,
                        help="a synth output to draw from (default: synthesize every environment into a temporary "
                             "folder; cdktf.out is left alone)")
    parser.add_argument("--docs", type=Path, default=DOCS_DIR, help=f"where the files go (default: {DOCS_DIR})")
    parser.add_argument("--environments-dir", type=Path, default=None, metavar="DIR",
                        help="the environment files drawn (default: $VTC_ENVIRONMENTS_DIR, else the repository's "
                             "environments/, as main.py reads them)")
    args = parser.parse_args(argv)
    from vtc_constructs.errors import ConfigError

    from .files import default_environments_dir
    from .model import load_environments

    directory = args.environments_dir or default_environments_dir()
    try:
        envs = load_environments(None, directory)
    except ConfigError as error:  # the files main.py would refuse: nothing is drawn from them
        print(f"{COMMAND}: {error}", file=sys.stderr)
        return 1
    names = environment_order(envs)
    with tempfile.TemporaryDirectory(prefix="vtc-architecture-") as scratch:
        synth_dir = args.synth_dir
        if synth_dir is None:
            from .synth import synthesize

            synth_dir = synthesize(envs, Path(scratch) / "cdktf.out")
        files = expected_files(synth_dir, names, production_minimum())
    problems = stale_files(args.docs, files)
    if args.check:
        for problem in problems:
            print(f"{problem}; regenerate with: {COMMAND}", file=sys.stderr)
        if not problems:
            print(f"{args.docs} is up to date")
        return 1 if problems else 0
    args.docs.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (args.docs / name).write_text(content, encoding="utf-8")
    for path in sorted(args.docs.glob("*.svg")):
        if path.name not in files:
            path.unlink()
    print(f"{len(problems)} file(s) of {args.docs} changed" if problems else f"{args.docs} was up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
