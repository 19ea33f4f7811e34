"""The environments' settings side by side, from the synthesized stacks: a column per environment and the production
tier's minimum (``environments/tiers.py``'s ``GUARDS``) beside it, as Markdown (``docs/architecture/settings.md``,
written by ``python -m environments.architecture``). Every value is a resource's attribute in the Terraform JSON, so the
table shows what a deploy would make, not what a file asks for.

Usage::

    markdown = settings_markdown({"staging": stack, "production": stack}, {g.path: g.allowed for g in GUARDS})
"""

from __future__ import annotations

from typing import Callable, Mapping

from .stack_json import lifecycle, ref, refs, resources, retention

COMMAND = "python -m environments.architecture"


def _one(stack: Mapping, kind: str) -> dict | None:
    found = resources(stack, kind)
    return found[0][1] if found else None


def _read(kind: str, read: Callable[[dict], object]) -> Callable[[Mapping], str]:
    """A row's reader: ``read`` of the stack's first ``kind`` resource, "—" when the stack has none."""
    def reader(stack: Mapping) -> str:
        body = _one(stack, kind)
        return "—" if body is None else _shown(read(body))
    return reader


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) if value else "none"
    return str(value)


def _guarded(*marks: str) -> str:
    """"yes" (disposable) when no guard is on, else "no" and the guards that are on."""
    return "no (" + ", ".join(marks) + ")" if marks else "yes"


def _nat(stack: Mapping) -> str:
    count = len(resources(stack, "aws_nat_gateway"))
    zones = {b.get("availability_zone") for _, b in resources(stack, "aws_subnet")}
    return f"{count} for {len(zones)} AZs"


def _flow_logs(stack: Mapping) -> str:
    return retention(stack, refs(b.get("log_destination") for _, b in resources(stack, "aws_flow_log")))


def _named_logs(prefix: Callable[[dict], str], kind: str) -> Callable[[Mapping], str]:
    """Retention of the log groups whose names start with ``prefix(resource)`` (AWS names them so)."""
    def reader(stack: Mapping) -> str:
        body = _one(stack, kind)
        if body is None:
            return "—"
        start = prefix(body)
        groups = resources(stack, "aws_cloudwatch_log_group")
        return retention(stack, [("aws_cloudwatch_log_group", n) for n, g in groups
                                 if str(g.get("name", "")).startswith(start)])
    return reader


def _waf_logs(stack: Mapping) -> str:
    return retention(stack, refs(dest for _, b in resources(stack, "aws_wafv2_web_acl_logging_configuration")
                                   for dest in b.get("log_destination_configs", [])))


def _access_logs(stack: Mapping) -> str:
    alb = _one(stack, "aws_lb")
    if alb is None:
        return "—"
    bucket = ref((alb.get("access_logs") or {}).get("bucket"))
    days = [e.get("days") for _, b in resources(stack, "aws_s3_bucket_lifecycle_configuration")
            if bucket and ref(b.get("bucket")) == bucket
            for rule in b.get("rule", []) for e in rule.get("expiration", [])]
    return _shown(days[0]) if days else "never expire"


def _cache_logs(stack: Mapping) -> str:
    cache = _one(stack, "aws_elasticache_replication_group")
    if cache is None:
        return "—"
    return retention(stack, refs(c.get("destination", "").replace(".name}", ".arn}")
                                   for c in cache.get("log_delivery_configuration", [])))


def _search_logs(stack: Mapping) -> str:
    domain = _one(stack, "aws_opensearch_domain")
    if domain is None:
        return "—"
    options = domain.get("log_publishing_options") or []
    return retention(stack, refs(o.get("cloudwatch_log_group_arn") for o in options))


def _registry(stack: Mapping) -> str:
    repositories = resources(stack, "aws_ecr_repository")
    if not repositories:
        return "—"
    off = sorted({mark for _, r in repositories for mark, on in (("force_delete", r.get("force_delete")),
                  ("no prevent_destroy", not lifecycle(r).get("prevent_destroy"))) if on})
    return f"{len(repositories)} repositories; " + ("disposable: " + ", ".join(off) if off else "guarded")


def _alarms(stack: Mapping) -> str:
    alarms, topics = resources(stack, "aws_cloudwatch_metric_alarm"), resources(stack, "aws_sns_topic")
    return f"{len(alarms)} alarms to {len(topics)} topics"


#: ``(section, setting, reader of a stack, guard path in environments/tiers.py or None)``, in the table's order.
SETTINGS: tuple[tuple[str, str, Callable[[Mapping], str], str | None], ...] = (
    ("network", "VPC range", _read("aws_vpc", lambda b: b.get("cidr_block")), None),
    ("network", "NAT gateways", _nat, "network.nat_strategy"),
    ("network", "flow logs kept (days)", _flow_logs, "network.flow_log_retention_days"),
    ("eks", "Kubernetes version", _read("aws_eks_cluster", lambda b: b.get("version")), None),
    ("eks", "API endpoint public access", _read("aws_eks_cluster", lambda b: (b.get("vpc_config") or {}).get(
        "public_access_cidrs") if (b.get("vpc_config") or {}).get("endpoint_public_access") else "none (private)"),
     "eks.endpoint_public_access_cidrs"),
    ("eks", "admin access entries", lambda s: str(len(resources(s, "aws_eks_access_entry"))),
     "eks.admin_principal_arns"),
    ("eks", "control-plane log types", _read("aws_eks_cluster", lambda b: b.get("enabled_cluster_log_types", [])),
     "eks.control_plane_log_types"),
    ("eks", "control-plane logs kept (days)", _named_logs(lambda b: f"/aws/eks/{b.get('name')}/cluster",
                                                          "aws_eks_cluster"), "eks.log_retention_days"),
    ("eks", "add-ons pinned", lambda s: "<br>".join(f"{b.get('addon_name')} {b.get('addon_version', 'unpinned')}"
                                                    for _, b in resources(s, "aws_eks_addon")) or "none",
     "eks.addon_versions"),
    ("eks", "node groups", lambda s: _shown([
        f"{(b.get('labels') or {}).get('vtc/node-group', n)}: {'/'.join(b.get('instance_types', []))} "
        f"{b.get('capacity_type', 'ON_DEMAND')} {b['scaling_config']['min_size']}-{b['scaling_config']['max_size']}"
        for n, b in resources(s, "aws_eks_node_group")]), None),
    ("database", "instance", _read("aws_db_instance", lambda b: f"{b.get('instance_class')} {b.get('engine')} "
                                   f"{b.get('engine_version')}, {b.get('allocated_storage')}-"
                                   f"{b.get('max_allocated_storage')} GiB"), None),
    ("database", "Multi-AZ standby", _read("aws_db_instance", lambda b: bool(b.get("multi_az"))), "database.multi_az"),
    ("database", "disposable", _read("aws_db_instance", lambda b: _guarded(*(
        mark for mark, on in (("deletion protection", b.get("deletion_protection")),
                              ("final snapshot", not b.get("skip_final_snapshot")),
                              ("prevent_destroy", lifecycle(b).get("prevent_destroy"))) if on))),
     "database.disposable"),
    ("database", "backups kept (days)", _read("aws_db_instance", lambda b: b.get("backup_retention_period")),
     "database.backup_retention_days"),
    ("database", "logs kept (days)", _named_logs(lambda b: f"/aws/rds/instance/{b.get('identifier')}/",
                                                 "aws_db_instance"), "database.log_retention_days"),
    ("database", "Performance Insights kept (days)",
     _read("aws_db_instance", lambda b: b.get("performance_insights_retention_period")),
     "database.performance_insights_retention_days"),
    ("edge", "ALB deletion protection", _read("aws_lb", lambda b: bool(b.get("enable_deletion_protection"))),
     "edge.deletion_protection"),
    ("edge", "access logs kept (days)", _access_logs, "edge.access_log_expiry_days"),
    ("edge", "WAF rules", _read("aws_wafv2_web_acl", lambda b: len(b.get("rule", []))), None),
    ("edge", "WAF logs kept (days)", _waf_logs, "edge.waf_log_retention_days"),
    ("edge", "TLS policy", lambda s: _shown(sorted({b["ssl_policy"] for _, b in resources(s, "aws_lb_listener")
                                                    if b.get("ssl_policy")})), None),
    ("cache", "nodes", _read("aws_elasticache_replication_group", lambda b: f"{b.get('num_cache_clusters')} x "
                             f"{b.get('node_type')} {b.get('engine')} {b.get('engine_version')}"), None),
    ("cache", "Multi-AZ with automatic failover", _read("aws_elasticache_replication_group", lambda b: bool(
        b.get("multi_az_enabled") and b.get("automatic_failover_enabled"))), "cache.multi_az"),
    ("cache", "disposable", _read("aws_elasticache_replication_group", lambda b: _guarded(*(
        mark for mark, on in (("final snapshot", b.get("final_snapshot_identifier")),
                              ("prevent_destroy", lifecycle(b).get("prevent_destroy"))) if on))),
     "cache.disposable"),
    ("cache", "snapshots kept (days)", _read("aws_elasticache_replication_group",
                                             lambda b: b.get("snapshot_retention_limit", 0)),
     "cache.snapshot_retention_days"),
    ("cache", "logs kept (days)", _cache_logs, "cache.log_retention_days"),
    ("search", "data nodes", _read("aws_opensearch_domain", lambda b: f"{b['cluster_config'].get('instance_count')} x "
                                   f"{b['cluster_config'].get('instance_type')}"), "search.instance_count"),
    ("search", "dedicated masters", _read("aws_opensearch_domain", lambda b: (
        f"{b['cluster_config'].get('dedicated_master_count')} x {b['cluster_config'].get('dedicated_master_type')}"
        if b["cluster_config"].get("dedicated_master_enabled") else "none")), "search.dedicated_master_type"),
    ("search", "disposable", _read("aws_opensearch_domain", lambda b: _guarded(*(
        ["prevent_destroy"] if lifecycle(b).get("prevent_destroy") else []))), "search.disposable"),
    ("search", "logs kept (days)", _search_logs, "search.log_retention_days"),
    ("registry", "repositories", _registry, "registry.disposable"),
    ("alarms", "CloudWatch alarms", _alarms, None),
)


def settings_markdown(stacks: Mapping[str, Mapping], minimum: Mapping[str, str]) -> str:
    """The side-by-side table: a column per environment of ``stacks`` (in its order), then the production minimum.

    :param minimum: ``{guard path: the minimum in words}`` (``environments.tiers.GUARDS``); a row whose guard is
        not in it is a programming error, raised as KeyError.
    """
    names = list(stacks)
    head = ["section", "setting", *names, "production minimum"]
    lines = ["# The environments' settings, side by side", "",
             f"Generated by `{COMMAND}` from the synthesized stacks (every value is a resource's attribute in the "
             "Terraform JSON, not the environment file); the production minimum is `environments/tiers.py`'s "
             "`GUARDS`. — means the environment has no such resource. Do not edit: regenerate.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for section, label, reader, guard in SETTINGS:
        cells = [section, label, *(reader(stacks[name]) for name in names), minimum[guard] if guard else ""]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    shown_guards = {guard for *_, guard in SETTINGS if guard}
    others = [path for path in minimum if path not in shown_guards]
    if others:
        lines += ["", "Also guarded by the production tier, with values in the Helm releases' values rather than "
                  "in AWS resources (see `environments/tiers.py`):", ""]
        lines += [f"- `{path}`: {minimum[path]}" for path in others]
    return "\n".join(lines) + "\n"
