"""The cluster's default namespaces and release names, in one place: :class:`~vtc_constructs.workloads.WorkloadsProps`
(which a file may change) and :class:`~vtc_constructs.network_policies.NetworkPolicyInputs` (the policies for them)
default to these, so the two cannot drift apart."""

from __future__ import annotations

#: The services' namespace (``WorkloadsProps.namespace``).
SERVICES_NAMESPACE = "vision-to-code"
#: Each colour's NGINX Gateway Fabric (``WorkloadsProps.gateway_namespace``).
GATEWAY_NAMESPACE = "nginx-gateway"
#: The OpenTelemetry collector's namespace and release (``WorkloadsProps.collector_namespace`` / ``collector_release``).
COLLECTOR_NAMESPACE = "opentelemetry"
COLLECTOR_RELEASE = "otel-collector"
#: kube-prometheus-stack's namespace (``WorkloadsProps.monitoring_namespace``).
MONITORING_NAMESPACE = "monitoring"
