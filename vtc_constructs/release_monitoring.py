"""The monitoring add-ons' values: kube-prometheus-stack's Alertmanager routing by severity
(:func:`alertmanager_config`), its volume and secrets, Grafana's CloudWatch data source
(:func:`grafana_cloudwatch_datasource`), and the OpenTelemetry collector's pinned ADOT image, the components its
configuration may name and its alert on lost spans (:func:`collector_alert_rules`).

Usage::

    from vtc_constructs.release_monitoring import alertmanager_config

    config = alertmanager_config(environment="staging", region="eu-west-1", page_topic_arn=page,
                                 notify_topic_arn=notify, heartbeat_topic_arn=heartbeat)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cluster_config import CLOUDWATCH_UID, GRAFANA_ADMIN_KEYS
from .network_policies import AMBIENT_LABEL
from .release_common import _IRSA, ADDON_RESOURCES, RESTRICTED_CONTAINER
from .release_search import JAEGER_OTLP_GRPC_PORT, JAEGER_RELEASE
from .workload_inputs import ALERTMANAGER_PAGERDUTY_KEY

if TYPE_CHECKING:
    from .workloads import WorkloadsProps

#: The ADOT collector image the OpenTelemetry collector chart runs (traces to X-Ray); the chart's own default tag is
#: the upstream collector's, not an ADOT tag, so both are pinned here. v0.49.0 is the newest ADOT release (tags of
#: aws-observability/aws-otel-collector, snapshot of 2026-07-16) and is built on collector v0.156.0 (its go.mod:
#: go.opentelemetry.io/collector/otelcol v0.156.0, contrib v0.156.0); chart 0.170.0 targets v0.158.0 (its
#: appVersion). No ADOT release is built on 0.158, so the configuration is kept to what 0.156 reads: chart 0.165.0
#: (appVersion 0.156.0) to 0.170.0 changed only presets this release does not use (kubernetesEvents, file_log and
#: k8s_attributes renames; UPGRADING.md), and :data:`ADOT_COLLECTOR_COMPONENTS` lists every component the
#: configuration names, each one in ADOT v0.49.0's build (tests/test_releases.py checks the rendered values).
#: Ref: https://github.com/aws-observability/aws-otel-collector/blob/v0.49.0/go.mod
ADOT_COLLECTOR_IMAGE = ("public.ecr.aws/aws-observability/aws-otel-collector", "v0.49.0")
#: The collector's own metrics (service.telemetry, chart 0.170.0's default pull reader on the pod's 8888).
COLLECTOR_METRICS_PORT = 8888
#: Every component the collector's configuration names (receivers, processors, exporters, extensions), each one
#: in ADOT v0.49.0's build (pkg/defaultcomponents/defaults.go at that tag: otlpreceiver, memorylimiterprocessor,
#: batchprocessor, awsxrayexporter, healthcheckextension; the chart's default debug exporter is removed). With a search
#: domain the traces also go to Jaeger through the ``otlp`` exporter (otlpexporter, in the same file's exporter list;
#: read at the stored aws-observability/aws-otel-collector 0371c29, not at the v0.49.0 tag itself: it has been in every
#: ADOT build); a component is named by its type, ``otlp/jaeger`` is an ``otlp``.
ADOT_COLLECTOR_COMPONENTS = frozenset({"otlp", "memory_limiter", "batch", "awsxray", "health_check"})
#: The collector's alert on spans it loses (severity warning: traces are diagnostics, nothing pages for them). The
#: metric names are the ones collector v0.156.0 (ADOT v0.49.0's) emits, with the Prometheus exporter's ``_total``
#: on counters: exporterhelper's ``otelcol_exporter_send_failed_spans`` (X-Ray refused or unreachable after the
#: retries) and ``otelcol_exporter_enqueue_failed_spans`` (queue full), receiverhelper's
#: ``otelcol_receiver_refused_spans`` (the memory limiter pushed back on a client). v0.156.0 has no
#: ``otelcol_processor_dropped_spans`` (processorhelper emits only incoming/outgoing items since v0.110).
#: Ref: https://github.com/open-telemetry/opentelemetry-collector/blob/v0.156.0/exporter/exporterhelper/metadata.yaml
COLLECTOR_DROPPED_SPANS_METRICS = ("otelcol_exporter_send_failed_spans_total",
                                   "otelcol_exporter_enqueue_failed_spans_total",
                                   "otelcol_receiver_refused_spans_total")


def collector_alert_rules(collector_release: str) -> list[dict]:
    """The PrometheusRule groups of the collector's chart (``prometheusRule.groups``): an alert when the collector
    loses spans for five minutes, by pod."""
    selector = f'{{job="{collector_release}"}}'
    expr = " or ".join(f"sum by (namespace, pod) (rate({metric}{selector}[5m])) > 0"
                       for metric in COLLECTOR_DROPPED_SPANS_METRICS)
    return [{"name": "otel-collector", "rules": [{
        "alert": "OtelCollectorDroppingSpans", "expr": expr, "for": "5m", "labels": {"severity": "warning"},
        "annotations": {"summary": "The OpenTelemetry collector is losing spans.",
                        "description": "{{ $labels.pod }} in {{ $labels.namespace }} failed to send, queue or accept "
                                       "spans for 5 minutes: traces are missing from X-Ray.",
                        "runbook_url": "https://opentelemetry.io/docs/collector/internal-telemetry/"}}]}]


#: Alertmanager's volume (silences and the notification log, so both survive a restart): a small claim on the
#: encrypted gp3 class Prometheus uses (vtc-cluster-config makes it).
ALERTMANAGER_STORAGE_GIB = 2
ENCRYPTED_STORAGE_CLASS = "gp3-encrypted"
#: Name of the Grafana admin secret in Secrets Manager, under the environment's secrets prefix (``<name>/``).
GRAFANA_ADMIN_SECRET_SUFFIX = "grafana-admin"
#: The uid of Grafana's CloudWatch data source (with ``ReleaseRoles.grafana``): what the services dashboard's cache
#: panels name (charts/vtc-cluster-config/dashboards/services.json; tested), fixed so that no dashboard depends on the
#: order data sources were made in.
CLOUDWATCH_DATASOURCE_UID = CLOUDWATCH_UID


def grafana_cloudwatch_datasource(region: str) -> dict:
    """kube-prometheus-stack's ``grafana.additionalDataSources`` entry (88.5.3: templates/grafana/
    configmaps-datasources.yaml writes it into the data sources ConfigMap its sidecar provisions): CloudWatch, read as
    Grafana's IRSA role (``authType: default``: the AWS SDK's default chain, which takes the web identity EKS projects
    into the pod), in ``region`` by default, not editable in the UI (it is code).
    Ref: https://grafana.com/docs/grafana/latest/datasources/aws-cloudwatch/configure/ (provision the data source)"""
    return {"name": "CloudWatch", "type": "cloudwatch", "uid": CLOUDWATCH_DATASOURCE_UID, "access": "proxy",
            "editable": False, "jsonData": {"authType": "default", "defaultRegion": region}}


#: Where the Prometheus Operator mounts ``alertmanagerSpec.secrets`` in the Alertmanager container (one folder per
#: Secret, one file per key).
#: Ref: https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.AlertmanagerSpec
ALERTMANAGER_SECRETS_DIR = "/etc/alertmanager/secrets"

#: Alertmanager's receivers: the SNS topic each one sends to (``null`` sends nowhere).
ALERTMANAGER_RECEIVERS = ("null", "page", "notify", "heartbeat")


def alertmanager_config(*, environment: str, region: str, page_topic_arn: str, notify_topic_arn: str,
                        heartbeat_topic_arn: str, pagerduty_routing_key_file: str | None = None) -> dict:
    """kube-prometheus-stack's ``alertmanager.config``: the whole Alertmanager configuration, routing by severity.

    - ``severity`` ``critical`` (the chart's rules) or ``page`` (the services' own SLO alerts, charts/vision-to-code)
      pages (the page topic); ``warning`` goes to the notify topic (a ticket, in working hours); ``info`` and
      ``none`` go nowhere (the null receiver: Prometheus and Grafana still show them). An alert with no or another
      severity goes to the notify topic: somebody sees it, nobody is woken.
    - ``InfoInhibitor`` (the chart's helper alert that mutes info alerts, severity none) goes nowhere, as upstream
      says it must (it would otherwise page whenever an info alert fires alone).
    - ``Watchdog`` (always firing while Prometheus, its rules and Alertmanager work) goes to the heartbeat topic about
      once a minute; :class:`~vtc_constructs.alarms.Alarms`' ``alertmanager-watchdog`` alarm pages when it stops.

    Every top-level key and every key of the route that the chart's default ``alertmanager.config`` has (global,
    inhibit_rules, route, receivers, templates: kube-prometheus-stack 88.5.3's values.yaml) is set here, so Helm's
    merge of these values over the chart's defaults adds nothing: the configuration Alertmanager gets is this one.
    The inhibit rules are the chart's, with ``page`` ranked as ``critical``.

    With ``pagerduty_routing_key_file`` (the mounted Secret of ``WorkloadsProps.alertmanager_pagerduty_secret``), the
    page receiver sends to PagerDuty's Events API v2 itself instead of the page topic (one incident per alert group,
    resolved with it; the key read from the file, never in this configuration). Not both: the page topic's own
    PagerDuty subscription would deliver every page a second time.
    Ref: https://prometheus.io/docs/alerting/latest/configuration/#pagerduty_config (routing_key_file)
    Ref: https://prometheus.io/docs/alerting/latest/configuration/ (route, inhibit_rule, sns_config)
    Ref: https://runbooks.prometheus-operator.dev/runbooks/general/infoinhibitor/ (route it to a null receiver)
    """
    def sns(topic_arn: str, subject: str, resolved: bool = True) -> dict:
        # sigv4 without role_arn: Alertmanager signs with its IRSA credentials.
        return {"topic_arn": topic_arn, "sigv4": {"region": region}, "subject": subject,
                "send_resolved": resolved}

    subject = f"[{environment}] {{{{ .CommonLabels.alertname }}}}"
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": "notify", "group_by": ["alertname", "namespace", "service"],
            "group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h",
            "routes": [
                # A heartbeat, not a notification: sent again every minute while it fires (the alarm counts them).
                {"receiver": "heartbeat", "matchers": ['alertname = "Watchdog"'], "group_wait": "0s",
                 "group_interval": "1m", "repeat_interval": "1m"},
                {"receiver": "null", "matchers": ['alertname = "InfoInhibitor"']},
                {"receiver": "page", "matchers": ['severity =~ "critical|page"']},
                {"receiver": "notify", "matchers": ['severity = "warning"'], "repeat_interval": "12h"},
                {"receiver": "null", "matchers": ['severity =~ "info|none"']},
            ],
        },
        "inhibit_rules": [
            {"source_matchers": ['severity =~ "critical|page"'], "target_matchers": ['severity =~ "warning|info"'],
             "equal": ["namespace", "alertname"]},
            {"source_matchers": ['severity = "warning"'], "target_matchers": ['severity = "info"'],
             "equal": ["namespace", "alertname"]},
            {"source_matchers": ['alertname = "InfoInhibitor"'], "target_matchers": ['severity = "info"'],
             "equal": ["namespace"]},
        ],
        "receivers": [
            {"name": "null"},
            {"name": "page", "sns_configs": [sns(page_topic_arn, subject)]} if pagerduty_routing_key_file is None
            else {"name": "page", "pagerduty_configs": [{"routing_key_file": pagerduty_routing_key_file,
                                                         "send_resolved": True}]},
            {"name": "notify", "sns_configs": [sns(notify_topic_arn, subject)]},
            {"name": "heartbeat", "sns_configs": [sns(heartbeat_topic_arn, f"[{environment}] Watchdog heartbeat",
                                                      resolved=False)]},
        ],
        "templates": ["/etc/alertmanager/config/*.tmpl"],
    }


def kube_prometheus_stack_values(workloads: WorkloadsProps, *, environment: str, region: str, page_topic_arn: str,
                                 notify_topic_arn: str, heartbeat_topic_arn: str, alertmanager_role_arn: str,
                                 grafana_role_arn: str | None, grafana_admin_secret: str) -> dict:
    """kube-prometheus-stack's (``workloads.monitoring_namespace``): Prometheus with retention and encrypted storage,
    Alertmanager routing by severity (:func:`alertmanager_config`) as ``alertmanager_role_arn`` (IRSA), Grafana
    signing in with ``grafana_admin_secret`` (vtc-cluster-config's) and, with ``grafana_role_arn``, its own IRSA role
    and the CloudWatch data source (:func:`grafana_cloudwatch_datasource`)."""
    pagerduty = workloads.alertmanager_pagerduty_secret
    return {
        "prometheus": {"podDisruptionBudget": {"enabled": True, "minAvailable": 1}, "prometheusSpec": {
            "replicas": workloads.prometheus_replicas,
            "retention": f"{workloads.prometheus_retention_days}d",
            # Prometheus deletes the oldest blocks before the volume fills (90 % of it).
            "retentionSize": f"{int(workloads.prometheus_storage_gib * 0.9)}GB",
            "resources": ADDON_RESOURCES["prometheus"],
            "storageSpec": {"volumeClaimTemplate": {"spec": {
                "storageClassName": ENCRYPTED_STORAGE_CLASS, "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": f"{workloads.prometheus_storage_gib}Gi"}}}}},
        }},
        "alertmanager": {
            "serviceAccount": {"create": True, "name": f"{workloads.monitoring_release}-alertmanager",
                               "annotations": {_IRSA: alertmanager_role_arn}},
            # Silences and the notification log on a volume: a restart (a node drained, an upgrade) forgets
            # neither (alertmanagerSpec.storage, kube-prometheus-stack 88.5.3's values.yaml).
            "alertmanagerSpec": {"replicas": 2, "resources": ADDON_RESOURCES["alertmanager"], "storage": {
                "volumeClaimTemplate": {"spec": {
                    "storageClassName": ENCRYPTED_STORAGE_CLASS, "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": f"{ALERTMANAGER_STORAGE_GIB}Gi"}}}}},
                # The sealed PagerDuty key, mounted by the operator at /etc/alertmanager/secrets/<name>/
                # (prometheus-operator's AlertmanagerSpec.secrets).
                **({} if pagerduty is None else {"secrets": [pagerduty]})},
            "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
            "config": alertmanager_config(environment=environment, region=region,
                                          page_topic_arn=page_topic_arn,
                                          notify_topic_arn=notify_topic_arn,
                                          heartbeat_topic_arn=heartbeat_topic_arn,
                                          pagerduty_routing_key_file=None if pagerduty is None else
                                          f"{ALERTMANAGER_SECRETS_DIR}/{pagerduty}/{ALERTMANAGER_PAGERDUTY_KEY}"),
        },
        # EKS runs the control plane: there is nothing of it to scrape (left on, their targets alert as down).
        "kubeControllerManager": {"enabled": False}, "kubeScheduler": {"enabled": False},
        "kubeEtcd": {"enabled": False}, "kubeProxy": {"enabled": False},
        "prometheusOperator": {
            "resources": ADDON_RESOURCES["prometheus-operator"],
            # Out of the ambient mesh: the API server (outside it) calls its admission webhook, which a STRICT
            # PeerAuthentication would refuse; its only other traffic is Prometheus's scrape of its https port
            # and its own calls to the API server, TLS both.
            "podLabels": {AMBIENT_LABEL: "none"},
            "prometheusConfigReloader": {"resources": ADDON_RESOURCES["config-reloader"]},
            "admissionWebhooks": {"patch": {"resources": ADDON_RESOURCES["prometheus-operator-admission-patch"]}},
        },
        "kube-state-metrics": {"resources": ADDON_RESOURCES["kube-state-metrics"]},
        "prometheus-node-exporter": {"resources": ADDON_RESOURCES["node-exporter"]},
        "grafana": {
            "resources": ADDON_RESOURCES["grafana"],
            "admin": {"existingSecret": grafana_admin_secret, "userKey": GRAFANA_ADMIN_KEYS[0],
                      "passwordKey": GRAFANA_ADMIN_KEYS[1]},
            # Dashboards and data sources are code (ConfigMaps): Grafana keeps nothing of its own, and takes a
            # rotated admin password from the secret on its next start.
            "persistence": {"enabled": False},
            # A Role in its own namespace, not a ClusterRole on every Secret of the cluster: the grafana subchart
            # (12.11.1, templates/clusterrole.yaml and role.yaml) grants get/list/watch on configmaps and secrets
            # cluster-wide unless rbac.namespaced (default false; kube-prometheus-stack 88.5.3 leaves it). The
            # sidecars then look in Grafana's namespace only (their searchNamespace: the dashboards' set here, the
            # data sources' default), and read ConfigMaps only (resource: both by default).
            "rbac": {"namespaced": True},
            "sidecar": {"resources": ADDON_RESOURCES["grafana-sidecar"],
                        "dashboards": {"enabled": True, "label": "grafana_dashboard", "labelValue": "1",
                                       "searchNamespace": workloads.monitoring_namespace, "resource": "configmap"},
                        "datasources": {"resource": "configmap"}},
            # With its role, CloudWatch (the cache panels): the service account the role trusts (the subchart's
            # fullname, named here as Alertmanager's is), annotated for IRSA, and the data source (its
            # NetworkPolicy, vtc_constructs/network_policies.py, lets it reach AWS's APIs on 443).
            **({} if grafana_role_arn is None else {
                "serviceAccount": {"create": True, "name": f"{workloads.monitoring_release}-grafana",
                                   "annotations": {_IRSA: grafana_role_arn}},
                "additionalDataSources": [grafana_cloudwatch_datasource(region)]}),
        },
    }


def collector_values(*, release: str, service_account: str, region: str, role_arn: str, monitoring_release: str,
                     jaeger_namespace: str | None) -> dict:
    """The OpenTelemetry collector's (the ADOT image, :data:`ADOT_COLLECTOR_IMAGE`): OTLP in, X-Ray out (and, with
    ``jaeger_namespace``, Jaeger's OTLP receiver there too), as ``role_arn`` (IRSA); its own metrics and its alert
    (:func:`collector_alert_rules`) carry ``monitoring_release``'s label, which Prometheus selects."""
    return {
        "mode": "deployment", "replicaCount": 2, "fullnameOverride": release,
        "image": {"repository": ADOT_COLLECTOR_IMAGE[0], "tag": ADOT_COLLECTOR_IMAGE[1]},
        "command": {"name": "awscollector"},
        # The ADOT image runs as its user aoc (4317); the chart sets no security context of its own.
        "podSecurityContext": {"runAsNonRoot": True, "runAsUser": 4317, "runAsGroup": 4317,
                               "seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": dict(RESTRICTED_CONTAINER),
        "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
        "resources": ADDON_RESOURCES["otel-collector"],
        # Its own metrics (the chart's default service.telemetry reader on 8888) on the Service, scraped by
        # Prometheus (the ServiceMonitor carries the release label its selector wants), with the alert on lost
        # spans (a PrometheusRule of this chart: prometheusRule.groups; the chart's defaultRules stay off, they
        # are severity critical and would page).
        "ports": {"jaeger-compact": {"enabled": False}, "jaeger-thrift": {"enabled": False},
                  "jaeger-grpc": {"enabled": False}, "zipkin": {"enabled": False},
                  "metrics": {"enabled": True, "containerPort": COLLECTOR_METRICS_PORT,
                              "servicePort": COLLECTOR_METRICS_PORT}},
        "serviceMonitor": {"enabled": True, "extraLabels": {"release": monitoring_release},
                           "metricsEndpoints": [{"port": "metrics", "interval": "30s"}]},
        "prometheusRule": {"enabled": True, "extraLabels": {"release": monitoring_release},
                           "groups": collector_alert_rules(release),
                           "defaultRules": {"enabled": False}},
        # The chart would rename components to the names newer collectors use (e.g. an otlp exporter to
        # otlp_grpc); ADOT v0.49.0's collector (v0.156) knows only the old names, so the names stay as written.
        "rewriteDeprecatedComponentNames": False,
        "serviceAccount": {"create": True, "name": service_account,
                           "annotations": {_IRSA: role_arn}},
        "config": {
            "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "${env:MY_POD_IP}:4317"},
                                                 "http": {"endpoint": "${env:MY_POD_IP}:4318"}}},
                          "jaeger": None, "prometheus": None, "zipkin": None},
            "processors": {"batch": {}, "memory_limiter": {"check_interval": "1s", "limit_percentage": 80,
                                                           "spike_limit_percentage": 25}},
            "exporters": {"awsxray": {"region": region}, "debug": None, **({} if jaeger_namespace is None else {
                # Jaeger's OTLP receiver, inside the cluster (its NetworkPolicy admits these pods only).
                # Plain gRPC: Jaeger's chart has no certificate for it, and both ends are pods of this cluster.
                "otlp/jaeger": {"endpoint": f"{JAEGER_RELEASE}.{jaeger_namespace}.svc:{JAEGER_OTLP_GRPC_PORT}",
                                "tls": {"insecure": True}}})},
            "service": {"extensions": ["health_check"], "pipelines": {
                "traces": {"receivers": ["otlp"], "processors": ["memory_limiter", "batch"],
                           "exporters": ["awsxray"] + ([] if jaeger_namespace is None else ["otlp/jaeger"])},
                "metrics": None, "logs": None}},
        },
    }
