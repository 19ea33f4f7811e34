"""What :class:`~vtc_constructs.workloads.WorkloadsProps` and :class:`~vtc_constructs.releases.ClusterReleasesProps`
do with a Terraform reference (a cdktf token, known only at apply), field by field: the tables their ``validate()``
gives :func:`~vtc_constructs.errors.classified` (kept here: both props modules are at their size limit).

Usage (what each ``validate()`` does)::

    from vtc_constructs.errors import classified
    from vtc_constructs.workload_tokens import WORKLOADS_LISTS, WORKLOADS_PASSED_ON, WORKLOADS_SYNTH_TIME

    classified(props, problems, WORKLOADS_SYNTH_TIME, WORKLOADS_PASSED_ON, WORKLOADS_LISTS)

The rule: a value the releases only pass on (an ARN, a host name, the region, a range inside a list) may be a
reference: :func:`~vtc_constructs.release_helm.split_references` moves it out of the values document into a ``set``
entry, which Terraform resolves at apply. A value the construct computes from at synth (names and namespaces, which
name releases, service accounts and network policies and are compared with each other; versions; counts and sizes,
which are numbers in a values document, where a reference cannot stand) is refused, saying so. A list the construct
makes one rule or entry per item of may hold references, but is itself refused as one (Python cannot count it).
"""

from __future__ import annotations

from types import SimpleNamespace

from .errors import Problem, classified

_NAME = "write the name itself: releases, service accounts and network policies are named after it, and the " \
    "namespaces compared with each other, at synth"
_VALUES = "write the number itself: it is a number in a values document written at synth, where a reference " \
    "cannot stand"
_RANGES = "list the ranges themselves (each may be a reference): a network policy gets one rule per range at synth"

#: WorkloadsProps' fields the releases compute from at synth: ``name: (allowed, fix)``.
WORKLOADS_SYNTH_TIME = {
    **{name: ("a literal DNS label", _NAME) for name in (
        "namespace", "gateway_namespace", "collector_namespace", "collector_release", "monitoring_namespace",
        "monitoring_release")},
    "slo_p99_latency_ms": ("a literal whole number of milliseconds, 1 to 60000", "write the number itself: the alert "
                           "rules' queries are written with it at synth"),
    "slo_error_rate_percent": ("a literal number above 0, at most 10", "write the number itself: the alert rules' "
                               "queries are written with it at synth"),
    "alertmanager_pagerduty_secret": ("the literal name of one of sealed_secrets", "write the name itself: it is "
                                      "looked up in sealed_secrets at synth"),
    "ingress_replicas": ("a literal whole number from 2 to 20", _VALUES),
    "prometheus_replicas": ("a literal whole number from 1 to 5", _VALUES),
    "prometheus_retention_days": ("a literal whole number from 1 to 400", "write the number itself: Prometheus's "
                                  "retention ('<days>d') is written with it at synth"),
    "prometheus_storage_gib": ("a literal whole number from 10 to 16384", "write the number itself: the volume's "
                               "size and Prometheus's retention size (90 % of it) are computed from it at synth"),
}
#: WorkloadsProps' fields only passed on (to the services' values, to every ``helm_release``): ``name: kind``.
WORKLOADS_PASSED_ON = {"image_repository": "string", "release_timeout_seconds": "number"}
#: WorkloadsProps' lists whose items may be references: ``name: (allowed, fix)`` of a list token.
WORKLOADS_LISTS = {"aws_api_cidrs": ("a literal list of IPv4 CIDRs", _RANGES)}

#: ClusterReleasesProps' fields the construct computes from at synth.
RELEASES_SYNTH_TIME = {
    "environment": ("a literal environment name (a DNS label)", "write the name itself: it is checked at synth as "
                    "the label value every object carries, and names the platform's CA"),
    "kubernetes_version": ("a literal MAJOR.MINOR, e.g. '1.34'", "write the version itself: the cluster "
                           "autoscaler's image is chosen for it at synth"),
    "grafana_admin_secret_name": ("a literal Secrets Manager name under secrets_prefix", "write the name itself: it "
                                  "is checked at synth to lie under the prefix external-secrets may write to"),
    "secrets_prefix": ("a literal Secrets Manager prefix, or none", "write the prefix itself: "
                       "grafana_admin_secret_name is checked against it at synth"),
    "charts_dir": ("a literal folder's path, or none", "write the path itself: the charts are read from it at synth "
                   "(copied into the synth output)"),
    "interface_endpoints": ("a literal list of endpoint service names, e.g. ('sts', 'logs')", "list the services "
                            "themselves (NetworkProps.interface_endpoints): each namespace's reach to AWS is derived "
                            "from them at synth"),
}
#: ClusterReleasesProps' fields only passed on (into the releases' values, as ``set`` entries).
RELEASES_PASSED_ON = {name: "string" for name in (
    "region", "cluster_name", "vpc_id", "vpc_cidr", "database_host", "page_topic_arn", "notify_topic_arn",
    "heartbeat_topic_arn", "database_name", "database_user", "database_schema", "host", "ebs_kms_key_arn")}
#: ClusterReleasesProps' lists whose items may be references.
RELEASES_LISTS = {
    "database_cidrs": ("a literal list of IPv4 CIDRs", _RANGES),
    "load_balancer_cidrs": ("a literal list of IPv4 CIDRs", "list the ranges themselves (each may be a reference): "
                            "NGINX's network policy and trusted proxies get one entry per range at synth"),
    "cache_member_cluster_ids": ("a literal list of ElastiCache cluster IDs (each may be a reference)", "list the IDs "
                                 "themselves (CacheProps.member_cluster_ids): the dashboard gets a line per node at "
                                 "synth"),
}


def placement_classified(problems: list[Problem], *, environment: object, database_cidrs: object) -> list[Problem]:
    """:func:`~vtc_constructs.workloads.placement_problems`' answer (the services' chart's arguments, also
    ``ClusterReleasesProps``'): ``environment`` refused as a reference, ``database_cidrs`` as a list token, as
    ``ClusterReleasesProps`` refuses them; the other arguments are only passed on."""
    return classified(SimpleNamespace(environment=environment, database_cidrs=database_cidrs), problems,
                      {"environment": RELEASES_SYNTH_TIME["environment"]},
                      lists={"database_cidrs": RELEASES_LISTS["database_cidrs"]})
