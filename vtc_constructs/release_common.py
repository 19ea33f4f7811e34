"""What every add-on release's values share: the add-ons' namespaces and the service accounts their IRSA roles trust,
the restricted container security context, the annotation that gives a service account its IAM role, and the
requests and limits of every add-on container (:data:`ADDON_RESOURCES`, each row's source beside it).

Usage::

    from vtc_constructs.release_common import ADDON_RESOURCES, KUBE_SYSTEM, RESTRICTED_CONTAINER

    values = {"resources": ADDON_RESOURCES["metrics-server"], "securityContext": dict(RESTRICTED_CONTAINER)}
"""

from __future__ import annotations

from typing import Any, Mapping

from .cluster_config import EXTERNAL_SECRETS_SERVICE_ACCOUNT

#: Namespaces of the add-ons (the services' and the Gateways' come from :class:`WorkloadsProps`).
KUBE_SYSTEM = "kube-system"
EXTERNAL_SECRETS_NAMESPACE = EXTERNAL_SECRETS_SERVICE_ACCOUNT[0]
#: cert-manager's namespace (its pods meet "restricted": v1.21.1's values run them non-root, read-only, ALL dropped,
#: RuntimeDefault) and Istio's (istio-cni mounts host paths and ztunnel adds capabilities: "privileged").
CERT_MANAGER_NAMESPACE = "cert-manager"
ISTIO_NAMESPACE = "istio-system"
#: What the IRSA roles of :class:`~vtc_constructs.eks.EksCluster` trust (namespace, service account).
LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT = (KUBE_SYSTEM, "aws-load-balancer-controller")
CLUSTER_AUTOSCALER_SERVICE_ACCOUNT = (KUBE_SYSTEM, "cluster-autoscaler")
#: Where the Sealed Secrets controller runs (namespace, release and Service name): kubeseal's defaults.
SEALED_SECRETS_CONTROLLER = (KUBE_SYSTEM, "sealed-secrets-controller")
#: A restricted container: non-root, no privilege escalation, no capability, read-only root, the runtime's seccomp
#: profile (what the Pod Security Standards' "restricted" level asks, and more).
RESTRICTED_CONTAINER: Mapping[str, Any] = {
    "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}
#: The service account annotation through which EKS gives a pod its IAM role (IRSA).
_IRSA = "eks.amazonaws.com/role-arn"


def _resources(cpu: str, memory: str, memory_limit: str, cpu_limit: str | None = None) -> Mapping[str, Any]:
    limits = {"memory": memory_limit, **({"cpu": cpu_limit} if cpu_limit else {})}
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": limits}


#: Requests and limits of every add-on container, by container. Requests from upstream's guidance where it gives
#: one (the chart's default or its commented example, at the pinned version), sized for these clusters (3-24 nodes of
#: 2 vCPU/8 GiB in staging, 4 vCPU/16 GiB in production, a few hundred pods); a memory limit on every container (a
#: leak is killed before it starves the node's services); no CPU limit (CPU is compressible: a limit only throttles
#: a controller; ingress-nginx's values.yaml said it: "Ideally, there should be no limits"); no upstream chart here
#: recommends one. tests/test_releases.py checks that the add-ons and the services' minimum fit each environment's
#: smallest node type.
ADDON_RESOURCES: Mapping[str, Mapping[str, Any]] = {
    # aws/eks-charts 3.5.0 values.yaml, commented example: 100m/128Mi. Its caches (Services, Pods, endpoints,
    # TargetGroupBindings) grow with the cluster: twice the example as the limit.
    "aws-load-balancer-controller": _resources("100m", "128Mi", "256Mi"),
    # metrics-server chart 3.13.1's default requests (README "Scaling": 1m core and 2 MiB per node): 100m/200Mi.
    "metrics-server": _resources("100m", "200Mi", "400Mi"),
    # cluster-autoscaler chart 9.59.0 values.yaml, commented example: 100m/300Mi, memory limit 300Mi (its FAQ: tested
    # to 1000 nodes; these clusters stop at 24).
    "cluster-autoscaler": _resources("100m", "300Mi", "300Mi"),
    # external-secrets helm-chart-2.9.0 values.yaml, commented example for the controller, webhook and cert
    # controller: 10m/32Mi. The controller caches the ExternalSecrets and the Secrets it owns: 64Mi.
    "external-secrets": _resources("10m", "64Mi", "256Mi"),
    "external-secrets-webhook": _resources("10m", "32Mi", "128Mi"),
    "external-secrets-cert-controller": _resources("10m", "32Mi", "128Mi"),
    # sealed-secrets 2.18.5 sets none (resources: {}); one controller holding its keys and watching SealedSecrets.
    "sealed-secrets": _resources("10m", "64Mi", "256Mi"),
    # aws-for-fluent-bit 0.2.0's defaults: 50m/50Mi, memory limit 250Mi.
    "fluent-bit": _resources("50m", "50Mi", "250Mi"),
    # kube-prometheus-stack 88.5.3 suggests 400Mi as a starting request; with the chart's rules and scrape configs a
    # cluster of this size keeps ~100-200k series, about 1 GiB; the limit leaves room for the WAL replay on start.
    "prometheus": _resources("200m", "1Gi", "2Gi"),
    # kube-prometheus-stack 88.5.3, commented example for alertmanagerSpec: 400Mi for a large one; a few alerts and
    # silences here.
    "alertmanager": _resources("20m", "64Mi", "128Mi"),
    # kube-prometheus-stack 88.5.3, prometheusConfigReloader example: 50Mi (request and limit); the sidecar of both
    # Prometheus and Alertmanager (the operator gives it these through --config-reloader-*; no CPU limit when unset).
    "config-reloader": _resources("10m", "32Mi", "64Mi"),
    # kube-prometheus-stack 88.5.3, prometheusOperator example: 100m/100Mi, memory limit 200Mi.
    "prometheus-operator": _resources("100m", "100Mi", "200Mi"),
    # The operator's admission webhook certificate job (a short-lived hook pod).
    "prometheus-operator-admission-patch": _resources("10m", "32Mi", "64Mi"),
    # grafana-community grafana 12.11.1 values.yaml, commented example: 100m/128Mi; Grafana 12 with the dashboards
    # sidecar loads them all into memory: 256Mi, limit 512Mi.
    "grafana": _resources("100m", "256Mi", "512Mi"),
    # The same chart's sidecar example (limits 100m/100Mi): one setting for both sidecars (dashboards, data sources).
    "grafana-sidecar": _resources("10m", "64Mi", "128Mi"),
    # prometheus-community kube-state-metrics 8.4.0, commented example: 10m/32Mi, memory limit 64Mi; its memory
    # grows with the objects it lists: twice the example.
    "kube-state-metrics": _resources("10m", "64Mi", "128Mi"),
    # prometheus-community prometheus-node-exporter 4.56.1, commented example: 100m/30Mi, memory limit 50Mi. One per
    # node: 50m is plenty at a 30 s scrape.
    "node-exporter": _resources("50m", "32Mi", "64Mi"),
    # opentelemetry-collector 0.170.0 values.yaml, commented example: memory limit 512Mi ("HIGHLY recommended"); the
    # chart sets GOMEMLIMIT to 80 % of it and the memory_limiter refuses data above 80 % of it.
    "otel-collector": _resources("100m", "256Mi", "512Mi"),
    # NGINX Gateway Fabric 2.6.7 sets none (nginxGateway.resources and nginx.container.resources are {}). The
    # control plane caches the Gateway API objects, Services, EndpointSlices and Secrets of the namespaces it watches:
    # 128Mi. Its cert-generator Job (a pre-install and pre-upgrade hook) has no resources setting in 2.6.7.
    "nginx-gateway-fabric": _resources("100m", "128Mi", "512Mi"),
    # The NGINX container (NGINX and its agent; per colour, ingress_replicas of them): what ingress-nginx's controller
    # requested (100m/90Mi), with room for the agent; a memory limit well above what four routes need.
    "nginx-gateway-fabric-nginx": _resources("100m", "128Mi", "512Mi"),
    # jaeger chart 4.11.1 values.yaml, commented example: requests 256m/128Mi, limits 500m/512Mi. Query and collector in
    # one process, spans batched to OpenSearch: 256Mi, the example's 512Mi limit (its memory_limiter refuses spans
    # above 80 % of it).
    "jaeger": _resources("100m", "256Mi", "512Mi"),
    # cert-manager v1.21.1's chart sets none (resources: {} for the controller, webhook, cainjector and the
    # startupapicheck Job). A handful of Certificates and one CA here: the controller and cainjector cache
    # Certificates, Secrets and webhook configurations.
    "cert-manager": _resources("10m", "64Mi", "256Mi"),
    "cert-manager-webhook": _resources("10m", "32Mi", "128Mi"),
    "cert-manager-cainjector": _resources("10m", "64Mi", "256Mi"),
    "cert-manager-startupapicheck": _resources("10m", "32Mi", "64Mi"),
    # istiod (release-1.31 istio-discovery values.yaml "Resources for a small pilot install": 500m/2048Mi). These
    # meshes hold a few hundred pods and no sidecars (ambient, no waypoints: istiod serves ztunnel's workload and
    # certificate requests only): a fifth of the CPU, a quarter of the memory, the default memory as the limit.
    "istiod": _resources("100m", "512Mi", "2Gi"),
    # istio-cni (release-1.31 istio-cni values.yaml: 100m/100Mi), one per node; it acts only when a pod starts or
    # stops (enrols it with ztunnel): half the CPU. With the other add-ons, staging's 2-vCPU nodes stay under 90 %.
    "istio-cni": _resources("50m", "100Mi", "256Mi"),
    # ztunnel (release-1.31 ztunnel values.yaml: 200m/512Mi, "enough for ~200k pod cluster or 100k concurrently open
    # connections"), one per node; these clusters are a thousandth of that: 50m/128Mi, the default 512Mi as the limit.
    # Its traffic cost (Istio 1.24 benchmark): ~0.06 vCPU and 12 MB per 1000 requests/s.
    "ztunnel": _resources("50m", "128Mi", "512Mi"),
}
#: The search domain's setup Job (a hook of a few seconds: one shell and one curl at a time). Unlike the controllers
#: above it has a CPU limit: it never needs a burst, and a Job's container without one fails checkov's CKV_K8S_11.
SEARCH_SETUP_RESOURCES: Mapping[str, Any] = _resources("10m", "16Mi", "64Mi", cpu_limit="100m")
