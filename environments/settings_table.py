"""The environments' settings side by side, from the synthesized stacks: a column per environment and the production
tier's minimum (``environments/tiers.py``'s ``GUARDS``) beside it, as Markdown (``docs/architecture/settings.md``,
written by ``python -m environments.architecture``). Every value is a resource's attribute in the Terraform JSON, so the
table shows what a deploy would make, not what a file asks for.

Usage::

    markdown = settings_markdown({"staging": stack, "production": stack}, {g.path: g.allowed for g in GUARDS})
"""

from __future__ import annotations

import json
from typing import Callable, Iterable, Mapping

from .stack_json import lifecycle, ref, refs, resources, retention

COMMAND = "python -m environments.architecture"


def merged(*stacks: Mapping) -> dict:
    """One stack holding the resources of ``stacks`` (an environment's AWS and workloads stacks share no type)."""
    resources_by_type: dict = {}
    for stack in stacks:
        for kind, body in stack.get("resource", {}).items():
            resources_by_type.setdefault(kind, {}).update(body)
    return {"resource": resources_by_type}


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


def _interface_endpoints(stack: Mapping) -> list[dict]:
    return [b for _, b in resources(stack, "aws_vpc_endpoint") if b.get("vpc_endpoint_type") == "Interface"]


def _endpoint_services(stack: Mapping) -> str:
    services = sorted(str(b.get("service_name", "")).rsplit("}.", 1)[-1] for b in _interface_endpoints(stack))
    return ", ".join(services) or "none"


def _endpoint_zones(stack: Mapping) -> str:
    endpoints = _interface_endpoints(stack)
    zones = {b.get("availability_zone") for _, b in resources(stack, "aws_subnet")}
    return f"{len(endpoints[0].get('subnet_ids') or [])} of {len(zones)} AZs" if endpoints else "—"


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
    return retention(stack, refs(c.get("destination") for c in cache.get("log_delivery_configuration", [])))


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


def _release_values(stack: Mapping) -> list[tuple[str, str, dict]]:
    """``(release name, chart, values)`` of each Helm release, by name: the values the synth wrote (one JSON document
    per release; its ``set`` entries only carry references to the AWS stack)."""
    found = []
    for _, release in resources(stack, "helm_release"):
        values: dict = {}
        for document in release.get("values") or []:
            values.update(json.loads(document) if isinstance(document, str) else {})
        found.append((str(release.get("name")), str(release.get("chart", "")), values))
    return sorted(found, key=lambda item: item[0])


def _is_services(chart: str, values: Mapping) -> bool:
    """The services' chart, one release per colour: the one whose values have a colour and services."""
    return "colour" in values and isinstance(values.get("services"), Mapping)


def _dig(values: object, path: str) -> object:
    for key in path.split("."):
        values = values.get(key) if isinstance(values, Mapping) else None
    return values


def _helm(path: str, pick: Callable[[str, str, Mapping], bool],
          shown: Callable[[object], str] = str) -> Callable[[Mapping], str]:
    """A row's reader: ``path`` in the values of the releases ``pick(name, chart, values)`` chooses; one value when
    every such release (one per colour) has the same, else each release's."""
    def reader(stack: Mapping) -> str:
        found = {name: shown(value) for name, chart, values in _release_values(stack)
                 if pick(name, chart, values) and (value := _dig(values, path)) is not None}
        if not found:
            return "—"
        if len(set(found.values())) == 1:
            return next(iter(found.values()))
        return ", ".join(f"{name} {value}" for name, value in found.items())
    return reader


def _chart(chart: str) -> Callable[[str, str, Mapping], bool]:
    return lambda name, this, values: this == chart


def _named(name: str) -> Callable[[str, str, Mapping], bool]:
    return lambda this, chart, values: this == name


def _service_rows(stacks: Iterable[Mapping]) -> list[tuple[str, str, Callable[[Mapping], str], str | None]]:
    """A row per bound of each service the services' chart scales, in any environment."""
    services = sorted({service for stack in stacks for _, chart, values in _release_values(stack)
                       if _is_services(chart, values) for service in values["services"]})
    return [("workloads", f"{service} {bound} replicas",
             _helm(f"services.{service}.{bound}Replicas", lambda name, chart, values: _is_services(chart, values)),
             f"workloads.services.{service}.{bound}_replicas")
            for service in services for bound in ("min", "max")]


def _seconds_as_ms(value: object) -> str:
    return f"{round(float(value) * 1000)} ms"  # type: ignore[arg-type]


#: ``(section, setting, reader of a stack, guard path in environments/tiers.py or None)``, in the table's order.
SETTINGS: tuple[tuple[str, str, Callable[[Mapping], str], str | None], ...] = (
    ("network", "VPC range", _read("aws_vpc", lambda b: b.get("cidr_block")), None),
    ("network", "NAT gateways", _nat, "network.nat_strategy"),
    ("network", "flow logs kept (days)", _flow_logs, "network.flow_log_retention_days"),
    ("network", "interface endpoints", _endpoint_services, "network.interface_endpoints"),
    ("network", "interface endpoints in", _endpoint_zones, "network.interface_endpoint_zones"),
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
    ("workloads", "Helm releases", lambda s: str(len(resources(s, "helm_release"))), None),
    ("workloads", "NGINX pods per colour", _helm("nginx.replicas", _chart("nginx-gateway-fabric")),
     "workloads.ingress_replicas"),
    ("workloads", "Prometheus servers", _helm("prometheus.prometheusSpec.replicas", _chart("kube-prometheus-stack")),
     "workloads.prometheus_replicas"),
    ("workloads", "metrics kept", _helm("prometheus.prometheusSpec.retention", _chart("kube-prometheus-stack")),
     "workloads.prometheus_retention_days"),
    ("workloads", "Prometheus volume", _helm("prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec."
                                             "resources.requests.storage", _chart("kube-prometheus-stack")),
     "workloads.prometheus_storage_gib"),
    ("workloads", "p99 latency objective", _helm("dashboards.slo.p99LatencySeconds", _named("vtc-cluster-config"),
                                                 shown=_seconds_as_ms), "workloads.slo_p99_latency_ms"),
    ("workloads", "error rate objective (%)", _helm("dashboards.slo.errorRatePercent", _named("vtc-cluster-config")),
     "workloads.slo_error_rate_percent"),
)


def settings_markdown(stacks: Mapping[str, Mapping], minimum: Mapping[str, str]) -> str:
    """The side-by-side table: a column per environment of ``stacks`` (in its order), then the production minimum.

    :param stacks: by environment, its stacks' resources as one stack (:func:`merged`): the AWS stack's and the
        workloads stack's Helm releases.

    :param minimum: ``{guard path: the minimum in words}`` (``environments.tiers.GUARDS``); a row whose guard is
        not in it is a programming error, raised as KeyError.
    """
    names = list(stacks)
    # A service without a seed range (a new one) has no guard: its rows show no minimum.
    rows = [*SETTINGS, *((section, label, reader, guard if guard in minimum else None)
                         for section, label, reader, guard in _service_rows(stacks.values()))]
    head = ["section", "setting", *names, "production minimum"]
    lines = ["# The environments' settings, side by side", "",
             f"Generated by `{COMMAND}` from the synthesized stacks: every value is read from the Terraform JSON "
             "(an AWS resource's attributes, a Helm release's values), not from the environment file. The production "
             "minimum is `environments/tiers.py`'s `GUARDS`. — means the environment has no such resource. Do not "
             "edit: regenerate.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for section, label, reader, guard in rows:
        cells = [section, label, *(reader(stacks[name]) for name in names), minimum[guard] if guard else ""]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    shown_guards = {guard for *_, guard in rows if guard}
    others = [path for path in minimum if path not in shown_guards]
    if others:
        lines += ["", "Also guarded by the production tier, not shown above (see `environments/tiers.py`):", ""]
        lines += [f"- `{path}`: {minimum[path]}" for path in others]
    return "\n".join(lines) + "\n"
