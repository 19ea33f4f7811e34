"""The search domain's clients, as release values: the ``search-setup`` Job's (:func:`search_setup_values`: ISM
policies, security roles and their mappings, the log indices' template), Fluent Bit's OpenSearch output
(:func:`fluent_bit_opensearch_output`) and Jaeger v2's (:func:`jaeger_config`, :func:`jaeger_values`), all from one
:class:`~vtc_constructs.workloads.SearchEndpoint` (:func:`search_endpoint` builds it from a
:class:`~vtc_constructs.search.SearchDomain`).

Usage::

    from vtc_constructs.release_search import jaeger_values, search_endpoint

    search = search_endpoint(platform.search, region="eu-west-1", fluent_bit_role_arn=eks.fluent_bit_role_arn,
                             jaeger_role_arn=platform.jaeger_role_arn)
    values = jaeger_values(search, collector_namespace="opentelemetry", collector_release="otel-collector",
                           aws_api_cidrs=["10.0.0.0/16"])
"""

from __future__ import annotations

from typing import Mapping, Sequence

from cdktf import Fn

from .eks_addons import JAEGER_SERVICE_ACCOUNT, SEARCH_ADMIN_SERVICE_ACCOUNT
from .errors import ConfigError, Problem
from .network_policies import MESH_TUNNEL_PORT
from .release_common import _IRSA, ADDON_RESOURCES, KUBE_SYSTEM, RESTRICTED_CONTAINER, SEARCH_SETUP_RESOURCES
from .search_index import LOG_INDEX_PATTERNS, TRACE_INDEX_PATTERNS, ism_policy, writer_security_role
from .workload_inputs import SearchEndpoint

#: Jaeger v2 (v1 reached its end of life on 2025-12-31: vtc_constructs.components.RETIRED), beside X-Ray, storing spans
#: in the search domain. 2.20.0, not the chart's appVersion 2.19.0: with the ``sigv4auth`` extension, 2.19.0 signs
#: every request that has a body (bulk writes, index templates) over an empty payload, and AWS refuses them with 403
#: (jaegertracing/jaeger#8760, "Version: v2.19.0"); 2.20.0 (2026-07-19) has the fix (#8768, in its CHANGELOG:
#: ``getBodyFixRoundTripper`` now wraps outside the authenticator, internal/storage/elasticsearch/esclient/
#: roundtripper.go at v2.20.0). The chart's templates take the whole configuration from ``userconfig``, so the newer
#: image needs nothing of the chart. Ref: https://github.com/jaegertracing/jaeger/issues/8760
JAEGER_IMAGE = ("docker.io/jaegertracing/jaeger", "2.20.0")
#: Jaeger's release (and, through the chart's fullname, its Service and service account: ``jaeger.tracing.svc``),
#: its OTLP gRPC port (the collector's only way in), its query UI's port (ClusterIP only: ``kubectl port-forward``) and
#: its health port.
JAEGER_RELEASE = JAEGER_SERVICE_ACCOUNT[1]
JAEGER_OTLP_GRPC_PORT = 4317
JAEGER_QUERY_PORT = 16686
JAEGER_HEALTH_PORT = 13133
#: The setup Job's image: the curl project's own (Alpine, busybox sh; docker.io/curlimages/curl is the same build),
#: because curl signs SigV4 itself (``--aws-sigv4``, curl >= 7.75) and the credentials come from one unsigned STS call
#: (AssumeRoleWithWebIdentity with the IRSA token): no SDK, no package installed at run time, and the very script the
#: Job runs is run by the tests against a local server that checks every signature with botocore's own signer. 8.21.0
#: is the newest tag of curl/curl-container (snapshot of 2026-07-01; Alpine 3.24.1), released 2026-06-24.
SEARCH_SETUP_IMAGE = ("quay.io/curl/curl", "8.21.0")
#: The setup's local chart and release (in the namespace of its service account,
#: :data:`~vtc_constructs.eks.SEARCH_ADMIN_SERVICE_ACCOUNT`).
SEARCH_SETUP_CHART = "vtc-search-setup"
SEARCH_SETUP_RELEASE = "search-setup"
#: The index prefix of each kind of container log (Fluent Bit's ``log_kind``): daily indices
#: ``<prefix>-YYYY.MM.DD``, all within :data:`~vtc_constructs.search.LOG_INDEX_PATTERNS`.
LOG_INDEX_PREFIXES: Mapping[str, str] = {"application": "logs-application", "add-ons": "logs-add-ons"}
#: The names the setup gives the domain's objects: the ISM policies, the security plugin's writer roles.
SEARCH_LOG_POLICY, SEARCH_TRACE_POLICY = "vtc-logs", "vtc-traces"
LOG_WRITER_ROLE, TRACE_WRITER_ROLE = "vtc-log-writer", "vtc-trace-writer"


def search_endpoint(domain, *, region: str, fluent_bit_role_arn: str, jaeger_role_arn: str,
                    trace_retention_days: int = 7) -> SearchEndpoint:
    """The :class:`~vtc_constructs.workloads.SearchEndpoint` of a :class:`~vtc_constructs.search.SearchDomain` (of this
    or another stack): its endpoint, master role (the setup Job's), index lifecycle (``index_hot_days``,
    ``index_retention_days``), replicas (0 on a single data node) and reader roles; the writers' IRSA roles are the
    EKS cluster's (``fluent_bit_role_arn``) and the platform's (``jaeger_role_arn``)."""
    from .search import SearchDomain

    if not isinstance(domain, SearchDomain):
        raise ConfigError([Problem("domain", type(domain).__name__, "a SearchDomain", "pass the platform's search "
                                   "domain construct (platform.search)", "not a search domain")])
    props = domain.props
    return SearchEndpoint(
        endpoint=domain.search_domain_endpoint, region=region, admin_role_arn=props.master_user_role_arn,
        fluent_bit_role_arn=fluent_bit_role_arn, jaeger_role_arn=jaeger_role_arn,
        index_hot_days=props.index_hot_days, log_retention_days=props.index_retention_days,
        trace_retention_days=trace_retention_days, replicas=0 if props.data_node_count == 1 else 1,
        reader_role_arns=tuple(props.reader_role_arns))


def search_setup_values(search: SearchEndpoint, *, environment: str, aws_api_cidrs: Sequence[str]) -> dict:
    """The values of ``charts/vtc-search-setup``: what its Job PUTs, each body from :mod:`vtc_constructs.search` (the
    one source of them).

    - ISM policies: :data:`SEARCH_LOG_POLICY` on :data:`~vtc_constructs.search.LOG_INDEX_PATTERNS` (writable
      ``index_hot_days``, deleted at ``log_retention_days``), :data:`SEARCH_TRACE_POLICY` on
      :data:`~vtc_constructs.search.TRACE_INDEX_PATTERNS` (deleted at ``trace_retention_days``), each setting the
      replica count;
    - security roles :data:`LOG_WRITER_ROLE` and :data:`TRACE_WRITER_ROLE` (``writer_security_role`` of each pattern
      set; a writer's index actions include reading, which Jaeger's query needs), mapped to Fluent Bit's and Jaeger's
      IAM roles as backend roles; the reader roles, if any, mapped to ``readall``;
    - the index template of the log indices: one shard, ``replicas`` replicas. The trace indices get none from here:
      Jaeger puts its own (legacy ``_template``, with its mappings; on OpenSearch 2.x) with the shards and replicas
      of its configuration (:func:`jaeger_values`), and a composable template on ``jaeger-*`` would take precedence
      over it and drop those mappings.
    """
    policy = {"hot_days": search.index_hot_days, "retention_days": search.log_retention_days,
              "replicas": search.replicas}
    mappings = [{"role": LOG_WRITER_ROLE, "backendRoles": [search.fluent_bit_role_arn]},
                {"role": TRACE_WRITER_ROLE, "backendRoles": [search.jaeger_role_arn]}]
    if search.reader_role_arns:
        mappings.append({"role": "readall", "backendRoles": list(search.reader_role_arns)})
    return {
        "environment": environment,
        "search": {"endpoint": search.endpoint, "region": search.region},
        "serviceAccount": {"name": SEARCH_ADMIN_SERVICE_ACCOUNT[1], "roleArn": search.admin_role_arn},
        "image": {"repository": SEARCH_SETUP_IMAGE[0], "tag": SEARCH_SETUP_IMAGE[1]},
        "ismPolicies": [
            {"id": SEARCH_LOG_POLICY, "body": ism_policy(SEARCH_LOG_POLICY, LOG_INDEX_PATTERNS, **policy)},
            {"id": SEARCH_TRACE_POLICY, "body": ism_policy(
                SEARCH_TRACE_POLICY, TRACE_INDEX_PATTERNS, hot_days=search.trace_retention_days,
                retention_days=search.trace_retention_days, replicas=search.replicas)}],
        "securityRoles": [{"name": LOG_WRITER_ROLE, "body": writer_security_role(LOG_INDEX_PATTERNS)},
                          {"name": TRACE_WRITER_ROLE, "body": writer_security_role(TRACE_INDEX_PATTERNS)}],
        "roleMappings": mappings,
        "indexTemplates": [{"name": SEARCH_LOG_POLICY, "body": {
            "index_patterns": list(LOG_INDEX_PATTERNS), "priority": 100,
            "template": {"settings": {"number_of_shards": 1, "number_of_replicas": search.replicas}}}}],
        "awsApiCidrs": list(aws_api_cidrs),
        "resources": SEARCH_SETUP_RESOURCES,
        "activeDeadlineSeconds": 300,
        "backoffLimit": 3,
    }


def fluent_bit_opensearch_output(search: SearchEndpoint) -> dict:
    """aws-for-fluent-bit 0.2.0's ``opensearch`` values (templates/configmap.yaml: one ``[OUTPUT] Name opensearch``
    beside the CloudWatch one, each value written only when set): every container log to a daily index
    ``<log_index>-YYYY.MM.DD`` (``Logstash_Prefix_Key``: the record's ``log_index``, which the release's filters set
    per kind, :data:`LOG_INDEX_PREFIXES`; ``logs-add-ons`` if it is missing), over TLS on 443, signed with SigV4 as
    Fluent Bit's IRSA role (``AWS_Auth``: the web-identity credentials EKS gives the pod; no user, no password).
    ``Suppress_Type_Name`` (OpenSearch 2.x refuses a type), ``Replace_Dots`` (a label ``app.kubernetes.io/name``
    would otherwise clash with ``app`` in the mapping), ``Trace_Error`` (OpenSearch's refusals in Fluent Bit's log).
    Ref: https://docs.fluentbit.io/manual/pipeline/outputs/opensearch"""
    return {"enabled": True, "match": "kube.*", "host": search.endpoint, "port": "443", "tls": "On",
            "awsRegion": search.region, "awsAuth": "On", "logstashFormat": "On",
            "logstashPrefix": LOG_INDEX_PREFIXES["add-ons"], "logstashPrefixKey": "$log_index",
            "logstashDateFormat": "%Y.%m.%d", "suppressTypeName": "On", "replaceDots": "On", "traceError": "On"}


def jaeger_config(search: SearchEndpoint) -> dict:
    """Jaeger v2's configuration (the chart's ``userconfig``, the whole of it): OTLP over gRPC in (from the collector),
    spans into the search domain through the ``sigv4auth`` extension (signed as Jaeger's IRSA role, service ``es``),
    daily indices ``jaeger-span-YYYY-MM-DD`` and the like (no prefix: :data:`~vtc_constructs.search.
    TRACE_INDEX_PATTERNS`), one shard and ``replicas`` replicas each, the query UI and API on their default ports, the
    health check on 13133 (the chart's probes ask ``/status`` there), its own metrics on 8888. Keys read against Jaeger
    v2.20.0: cmd/jaeger/config-opensearch.yaml, internal/storage/elasticsearch/config (``server_urls``, ``auth`` with
    the collector's ``authenticator``, ``create_mappings``, ``http_compression``, ``max_span_age``, ``indices.*``).
    Compression is off: a signed body must be the bytes sent (jaegertracing/jaeger#8307 ruled it out the same way)."""
    storage = "opensearch"
    indices = {"shards": 1, "replicas": search.replicas,
               "rotation": {"periodic": {"date_layout": "2006-01-02", "rollover_frequency": "day"}}}
    return {
        "service": {
            "extensions": ["sigv4auth", "jaeger_storage", "jaeger_query", "healthcheckv2"],
            "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["memory_limiter", "batch"],
                                     "exporters": ["jaeger_storage_exporter"]}},
            "telemetry": {"resource": {"service.name": "jaeger"}, "logs": {"level": "info"},
                          "metrics": {"level": "basic", "readers": [{"pull": {"exporter": {"prometheus": {
                              "host": "0.0.0.0", "port": 8888}}}}]}},
        },
        "extensions": {
            "sigv4auth": {"service": "es", "region": search.region},
            "healthcheckv2": {"use_v2": True, "http": {"endpoint": f"0.0.0.0:{JAEGER_HEALTH_PORT}"}},
            "jaeger_query": {"storage": {"traces": storage}},
            "jaeger_storage": {"backends": {storage: {"opensearch": {
                "server_urls": [f"https://{search.endpoint}"],
                "auth": {"authenticator": "sigv4auth"},
                "http_compression": False,
                "create_mappings": True,
                "max_span_age": f"{24 * search.trace_retention_days}h",
                "indices": {kind: dict(indices) for kind in ("spans", "services", "dependencies", "sampling")},
            }}}},
        },
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"0.0.0.0:{JAEGER_OTLP_GRPC_PORT}"}}}},
        "processors": {"batch": {}, "memory_limiter": {"check_interval": "1s", "limit_percentage": 80,
                                                       "spike_limit_percentage": 25}},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": storage}},
    }


def jaeger_values(search: SearchEndpoint, *, collector_namespace: str, collector_release: str,
                  aws_api_cidrs: Sequence[str]) -> dict:
    """The jaeger chart 4.11.1's values (read against its values.yaml and templates: the chart has no
    values.schema.json; tests/test_releases.py renders it). One Deployment of two pods (``fullnameOverride``: the
    Deployment, Service and service account are all ``jaeger``, the name its IRSA role trusts), the v2.20.0 image, the
    restricted security context, a ClusterIP Service only (no Ingress, no HTTPRoute: the UI is reached with
    ``kubectl port-forward``), and, as the chart's ``extraObjects``, a disruption budget and a NetworkPolicy: in,
    only the collector's pods on the OTLP port (and the ambient mesh's 15008, which carries it); out, DNS and HTTPS (the domain, STS) to ``aws_api_cidrs``."""
    namespace, name = JAEGER_SERVICE_ACCOUNT
    registry, repository = JAEGER_IMAGE[0].split("/", 1)
    pods = {"app.kubernetes.io/name": "jaeger", "app.kubernetes.io/instance": JAEGER_RELEASE,
            "app.kubernetes.io/component": "all-in-one"}
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": name, "namespace": namespace},
              "spec": {"podSelector": {"matchLabels": pods}, "policyTypes": ["Ingress", "Egress"],
                       "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                           "kubernetes.io/metadata.name": collector_namespace}}, "podSelector": {"matchLabels": {
                               "app.kubernetes.io/instance": collector_release}}}],
                           # The collector's spans come through the ambient mesh (its tracing namespace is
                           # enrolled): HBONE on 15008 (network_policies.MESH_TUNNEL_PORT).
                           "ports": [{"protocol": "TCP", "port": JAEGER_OTLP_GRPC_PORT},
                                     {"protocol": "TCP", "port": MESH_TUNNEL_PORT}]}],
                       "egress": [{"to": [{"namespaceSelector": {"matchLabels": {
                           "kubernetes.io/metadata.name": KUBE_SYSTEM}}, "podSelector": {"matchLabels": {
                               "k8s-app": "kube-dns"}}}],
                           "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
                           {"to": [{"ipBlock": {"cidr": cidr}} for cidr in aws_api_cidrs],
                            "ports": [{"protocol": "TCP", "port": 443}]}]}}
    budget = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
              "metadata": {"name": name, "namespace": namespace},
              "spec": {"minAvailable": 1, "selector": {"matchLabels": pods}}}
    return {
        "fullnameOverride": name,
        "jaeger": {
            "replicas": 2,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "image": {"registry": registry, "repository": repository, "tag": JAEGER_IMAGE[1]},
            # The IRSA token is projected by EKS whatever this says; Jaeger never calls the Kubernetes API.
            "serviceAccount": {"annotations": {_IRSA: search.jaeger_role_arn}, "automountServiceAccountToken": False},
            "podSecurityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
                                   "seccompProfile": {"type": "RuntimeDefault"}},
            "securityContext": dict(RESTRICTED_CONTAINER),
            "resources": ADDON_RESOURCES["jaeger"],
            "extraVolumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
            "extraVolumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
            "service": {"type": "ClusterIP"},
            "ingress": {"enabled": False},
            "httproute": {"enabled": False},
        },
        "userconfig": jaeger_config(search),
        "extraObjects": [policy, budget],
    }


def fluent_bit_values(*, service_account: str, role_arn: str, region: str, log_groups: Mapping[str, str],
                      services_namespace: str, search: SearchEndpoint | None) -> dict:
    """Fluent Bit's (aws-for-fluent-bit) as ``role_arn`` (IRSA): container logs into the KMS-encrypted groups
    Terraform made (``log_groups``: ``application`` for ``services_namespace``'s, ``add-ons`` for the rest; it never
    creates one) and, with a ``search`` domain, also to ``logs-<kind>-*`` there
    (:func:`fluent_bit_opensearch_output`)."""
    log_kind_filters = [
        "[FILTER]", "    Name   modify", f"    Match  kube.var.log.containers.*_{services_namespace}_*",
        "    Add    log_kind application", "[FILTER]", "    Name   modify", "    Match  kube.*",
        "    Add    log_kind add-ons"]
    if search is not None:  # each kind's index prefix beside its kind (modify's Add never overwrites a key)
        log_kind_filters.insert(4, f"    Add    log_index {LOG_INDEX_PREFIXES['application']}")
        log_kind_filters.append(f"    Add    log_index {LOG_INDEX_PREFIXES['add-ons']}")
    return {
        "serviceAccount": {"create": True, "name": service_account,
                           "annotations": {_IRSA: role_arn}},
        # Into the groups Terraform made (KMS-encrypted, with retention): never create one, never set retention.
        # The services' namespace goes to the "application" group, everything else to "add-ons" (log_kind).
        "cloudWatchLogs": {"enabled": True, "region": region, "logGroupName": log_groups["add-ons"],
                           # Terraform's regex replace reads "$name" as a capture group: "$$" is a literal "$".
                           "logGroupTemplate": Fn.replace(log_groups["application"], "/application$/",
                                                          "$$log_kind"),
                           "logStreamTemplate": "$kubernetes['namespace_name'].$kubernetes['pod_name']."
                                                "$kubernetes['container_name']",
                           "logStreamPrefix": "fluent-bit-", "autoCreateGroup": False},
        "additionalFilters": "\n".join(log_kind_filters),
        "cloudWatch": {"enabled": False}, "firehose": {"enabled": False}, "kinesis": {"enabled": False},
        "kinesis_streams": {"enabled": False}, "elasticsearch": {"enabled": False},
        "opensearch": {"enabled": False} if search is None else fluent_bit_opensearch_output(search),
        "s3": {"enabled": False},
        "tolerations": [{"operator": "Exists"}],  # every node's logs, tainted nodes included
        "resources": ADDON_RESOURCES["fluent-bit"],
    }
