"""Default-deny NetworkPolicies, with explicit openings, for every namespace the releases make (issue 26, item 2).

Usage::

    from vtc_constructs.network_policies import namespace_network_policies

    policies = namespace_network_policies(NetworkPolicyInputs(vpc_cidr="10.20.0.0/16", aws_api_cidrs=("0.0.0.0/0",)))
    cluster_config_values(..., network_policies=policies)   # vtc-cluster-config renders them

Every namespace below gets ``vtc-default-deny`` (every pod, in and out) and ``vtc-egress-base``: CoreDNS (UDP and TCP
53) and, where its pods call the Kubernetes API (all but tracing), TCP 443 to the VPC's range (EKS's control plane
answers through network interfaces in the cluster's subnets, which the ``kubernetes`` Service's ClusterIP is
translated to before the VPC CNI's policy agent looks). The services' namespace is not here: its chart
(charts/vision-to-code) brings its own default deny and openings; kube-system is EKS's, not ours. Pods on the host
network (node-exporter) are outside any NetworkPolicy. The openings, derived from each release's components (pinned
charts: kube-prometheus-stack 88.5.3, external-secrets 2.9.0, nginx-gateway-fabric 2.6.7, opentelemetry-collector
0.170.0, aws-for-fluent-bit 0.2.0, jaeger 4.11.1, cert-manager v1.21.1, Istio's release-1.31):

============== ======================================== ===================================================================
namespace      pods (selector)                          opened (in / out), why
============== ======================================== ===================================================================
monitoring     Prometheus (name=prometheus)             in 9090 from Grafana (queries) and Prometheus (self-scrape), 8080
                                                        (reloader) from Prometheus; out: any port in the VPC (scrapes: pods,
                                                        kubelets 10250, node-exporter 9100, Alertmanager 9093)
monitoring     Alertmanager (name=alertmanager)         in 9093 from Prometheus and Grafana only (no other pod can silence
                                                        a page), 8080 from Prometheus, 9094 TCP/UDP from its peers; out
                                                        443 to the AWS API ranges (SNS, STS), 9094 to its peers, and
                                                        with a PagerDuty key 443 to PagerDuty (``pagerduty_cidrs``)
monitoring     Grafana (name=grafana)                   in 3000 from Prometheus (its metrics; people use port-forward);
                                                        out 9090 Prometheus, 9093 Alertmanager, 443 AWS (CloudWatch, STS)
monitoring     kube-state-metrics                       in 8080, 8081 from Prometheus
monitoring     the operator (app=kube-prometheus-stack-  in 10250 from the VPC (the API server's admission webhook calls,
               operator)                                Prometheus's scrape of the same https port)
external-secr. controller (name=external-secrets)       out 443 to the AWS API ranges (Secrets Manager, STS)
external-secr. webhook (name=external-secrets-webhook)  in 10250 from the VPC (the API server's webhook calls)
nginx-gateway  control planes (name=nginx-gateway-      in 8443 (agent gRPC) from the NGINX pods, 9113 from Prometheus
               fabric)
nginx-gateway  NGINX (gateway-name exists)              out: the services' namespace (their own policies admit NGINX on
                                                        their http port only), 8443 to the control planes; in: the
                                                        listener from the ALB's subnets and 9113 (and 15008) from
                                                        Prometheus (charts/vtc-cluster-config gateways.yaml)
opentelemetry  the collector (instance=<release>)       in 4317/4318 from the services' namespace, 8888 from Prometheus;
                                                        out 443 AWS (X-Ray, STS), 4317 to Jaeger
logging        every pod (Fluent Bit, the search setup) out 443 to the AWS API ranges and the VPC (CloudWatch Logs, STS, the
                                                        search domain's VPC endpoint)
tracing        Jaeger                                   its chart's own policy (releases.jaeger_values: in 4317 from the
                                                        collector; out DNS, 443); nothing else here
cert-manager   the webhook (name=webhook)               in 10250 from the VPC (the API server's webhook calls)
istio-system   istiod, ztunnel, istio-cni               Istio's own policies (its charts' ``global.networkPolicy.enabled``:
                                                        in on their xDS, HBONE, probe and metrics ports, out anywhere)
============== ======================================== ===================================================================

"The AWS API ranges" are ``aws_api_cidrs``, or a namespace's own entry of ``aws_api_cidrs_by_namespace``: the
VPC's range where the network has an interface endpoint for every AWS API the namespace's pods call
(:mod:`vtc_constructs.aws_api_callers`), ``0.0.0.0/0`` otherwise. Alertmanager's reach to PagerDuty's Events API is
its own rule (``pagerduty_cidrs``, :data:`PAGERDUTY_EVENTS_CIDRS`), never folded into the AWS opening.

The ambient mesh (docs/design/encryption-in-transit.md): between pods of the enrolled namespaces
(``mesh_namespaces``), ztunnel carries every TCP connection as mTLS (HBONE) to the destination pod's port
:data:`MESH_TUNNEL_PORT` (15008), from the source pod's own address (ztunnel's sockets live in the pods' network
namespaces). Istio's ambient mode "does not and will never bypass Kubernetes NetworkPolicy": every rule above that
admits pods of an enrolled namespace on some ports into (or out of) a pod of an enrolled namespace also admits 15008
(:func:`with_mesh_tunnel`); a rule without ports admits it already. In each enrolled namespace here (the services'
chart opens its own) ``vtc-ambient-probes`` admits the kubelet's probes, which istio-cni SNATs on the node to
:data:`AMBIENT_PROBE_CIDR` (169.254.7.127) so
that ztunnel lets them through; the VPC CNI's policy agent sees that address, not the node's (istio/istio
release-1.31 cni/pkg/iptables/iptables.go: ``-A OUTPUT ... -j SNAT --to-source 169.254.7.127``). Drop it if a
staging soak shows the agent admits them anyway.
Ref: https://istio.io/latest/docs/ambient/usage/networkpolicy/

The API server's calls (webhooks) come from the VPC's range, where pods have addresses too: a NetworkPolicy cannot
tell them apart, so a webhook port is reachable from pods of the VPC; nothing else of these namespaces is.
Kubelet probes come from the node, which the VPC CNI's policy agent always admits (outside the mesh; see above).
Ref: https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from .namespaces import (COLLECTOR_NAMESPACE, COLLECTOR_RELEASE, GATEWAY_NAMESPACE, MONITORING_NAMESPACE,
                         SERVICES_NAMESPACE)

#: Kubernetes' own label of every namespace (1.22+): what the selectors match namespaces by.
_NAMESPACE_LABEL = "kubernetes.io/metadata.name"
DEFAULT_DENY = "vtc-default-deny"
#: The kubelet's probes into ambient pods, admitted from :data:`AMBIENT_PROBE_CIDR` in each enrolled namespace.
AMBIENT_PROBES = "vtc-ambient-probes"
#: Istio ambient: the namespace (or pod) label that enrols pods (``ambient``) or keeps a pod out (``none``).
AMBIENT_LABEL = "istio.io/dataplane-mode"
#: The pod annotation that keeps ztunnel off a pod's inbound plaintext (the ALB's TLS reaches NGINX untouched); its
#: outbound, and inbound HBONE, stay in the mesh (istio/istio release-1.31 releasenotes/notes/58577.yaml).
BYPASS_INBOUND_ANNOTATION = "ambient.istio.io/bypass-inbound-capture"
#: HBONE: ztunnel's mTLS tunnel port on every enrolled pod.
MESH_TUNNEL_PORT = 15008
#: The source address istio-cni gives the kubelet's probes of ambient pods.
AMBIENT_PROBE_CIDR = "169.254.7.127/32"
#: Every pod of the namespace: DNS and (where its pods call the Kubernetes API) the API server.
BASE_EGRESS = "vtc-egress-base"
#: Where Alertmanager's PagerDuty receiver sends (events.pagerduty.com): PagerDuty publishes no fixed address range
#: for its Events API, and a NetworkPolicy cannot name a host, so HTTPS anywhere, for Alertmanager's pods only, and only
#: when a PagerDuty key is set (``WorkloadsProps.alertmanager_pagerduty_secret``).
PAGERDUTY_EVENTS_CIDRS = ("0.0.0.0/0",)


@dataclass(frozen=True, kw_only=True)
class NetworkPolicyInputs:
    """Input of :func:`namespace_network_policies`.

    :param vpc_cidr: the VPC's range (the API server's interfaces, the nodes, every pod). Required.
    :param aws_api_cidrs: default: anywhere: HTTPS to AWS's APIs (``WorkloadsProps.aws_api_cidrs``).
    :param aws_api_cidrs_by_namespace: default: every namespace opens ``aws_api_cidrs``. A namespace's own ranges for
        HTTPS to AWS (the VPC's range where its pods' APIs all have interface endpoints).
    :param pagerduty_cidrs: default: none: Alertmanager reaches nothing beyond the AWS opening. With a PagerDuty key,
        :data:`PAGERDUTY_EVENTS_CIDRS`: HTTPS from Alertmanager's pods only.
    :param monitoring_namespace: default: ``monitoring`` (kube-prometheus-stack's).
    :param external_secrets_namespace: default: ``external-secrets``.
    :param gateway_namespace: default: ``nginx-gateway``. :param services_namespace: default: ``vision-to-code``.
    :param collector_namespace: default: ``opentelemetry``. :param collector_release: default: ``otel-collector``.
    :param logging_namespace: default: ``logging``.
    :param tracing_namespace: default: none (no search domain, no Jaeger).
    :param cert_manager_namespace: default: none (no cert-manager: no policies for it). ``cert-manager``.
    :param istio_namespace: default: none (no Istio: no default deny for it). ``istio-system``.
    :param mesh_namespaces: default: none (no mesh: no 15008 openings, no probe policies). The namespaces enrolled in
        the ambient mesh (``ClusterReleases.mesh_namespaces``).
    """

    vpc_cidr: str
    aws_api_cidrs: Sequence[str] = ("0.0.0.0/0",)
    aws_api_cidrs_by_namespace: Mapping[str, Sequence[str]] = field(default_factory=dict)
    pagerduty_cidrs: Sequence[str] = ()
    monitoring_namespace: str = MONITORING_NAMESPACE
    external_secrets_namespace: str = "external-secrets"
    gateway_namespace: str = GATEWAY_NAMESPACE
    services_namespace: str = SERVICES_NAMESPACE
    collector_namespace: str = COLLECTOR_NAMESPACE
    collector_release: str = COLLECTOR_RELEASE
    logging_namespace: str = "logging"
    tracing_namespace: str | None = None
    cert_manager_namespace: str | None = None
    istio_namespace: str | None = None
    mesh_namespaces: tuple[str, ...] = ()


def _pods(namespace: str | None = None, **labels: str) -> dict:
    peer: dict = {"podSelector": {"matchLabels": dict(labels)}}
    if namespace is not None:
        peer["namespaceSelector"] = {"matchLabels": {_NAMESPACE_LABEL: namespace}}
    return peer


def _ports(*ports: int, protocol: str = "TCP") -> list[dict]:
    return [{"protocol": protocol, "port": port} for port in ports]


def _cidrs(cidrs: Sequence[str]) -> list[dict]:
    return [{"ipBlock": {"cidr": cidr}} for cidr in cidrs]


def _policy(name: str, namespace: str, selector: Mapping, *, ingress: list | None = None,
            egress: list | None = None) -> dict:
    spec: dict = {"podSelector": dict(selector), "policyTypes": []}
    if ingress is not None:
        spec["policyTypes"].append("Ingress")
        spec["ingress"] = ingress
    if egress is not None:
        spec["policyTypes"].append("Egress")
        spec["egress"] = egress
    return {"name": name, "namespace": namespace, "spec": spec}


def namespace_network_policies(inputs: NetworkPolicyInputs) -> list[dict]:
    """The policies of the module's table, each ``{"name", "namespace", "spec"}`` (vtc-cluster-config's
    ``networkPolicies``)."""
    i = inputs
    mon, https, vpc = i.monitoring_namespace, _ports(443), _cidrs([i.vpc_cidr])
    prometheus, grafana = _pods(mon, **{"app.kubernetes.io/name": "prometheus"}), \
        _pods(mon, **{"app.kubernetes.io/name": "grafana"})
    alertmanager = _pods(mon, **{"app.kubernetes.io/name": "alertmanager"})

    def aws(namespace: str) -> dict:
        return {"to": _cidrs(i.aws_api_cidrs_by_namespace.get(namespace, i.aws_api_cidrs)), "ports": https}

    pagerduty = [{"to": _cidrs(i.pagerduty_cidrs), "ports": https}] if i.pagerduty_cidrs else []
    namespaces = [mon, i.external_secrets_namespace, i.gateway_namespace, i.collector_namespace, i.logging_namespace]
    namespaces += [ns for ns in (i.tracing_namespace, i.cert_manager_namespace, i.istio_namespace) if ns is not None]
    # Jaeger never calls the Kubernetes API (its service account token is not even mounted).
    api_callers = [ns for ns in namespaces if ns != i.tracing_namespace]
    policies: list[dict] = []
    dns = {"to": [_pods("kube-system", **{"k8s-app": "kube-dns"})], "ports": _ports(53, protocol="UDP") + _ports(53)}
    for ns in namespaces:
        policies.append(_policy(DEFAULT_DENY, ns, {}, ingress=[], egress=[]))
        policies.append(_policy(BASE_EGRESS, ns, {}, egress=[dns] + (
            [{"to": vpc, "ports": https}] if ns in api_callers else [])))

    name = "app.kubernetes.io/name"
    policies += [
        _policy("vtc-prometheus", mon, {"matchLabels": {name: "prometheus"}},
                ingress=[{"from": [grafana, prometheus], "ports": _ports(9090)},
                         {"from": [prometheus], "ports": _ports(8080)}],
                egress=[{"to": vpc}]),
        _policy("vtc-alertmanager", mon, {"matchLabels": {name: "alertmanager"}},
                ingress=[{"from": [prometheus, grafana], "ports": _ports(9093)},
                         {"from": [prometheus], "ports": _ports(8080)},
                         {"from": [alertmanager], "ports": _ports(9094) + _ports(9094, protocol="UDP")}],
                egress=[aws(mon), {"to": [alertmanager], "ports": _ports(9094) + _ports(9094, protocol="UDP")},
                        *pagerduty]),
        _policy("vtc-grafana", mon, {"matchLabels": {name: "grafana"}},
                ingress=[{"from": [prometheus], "ports": _ports(3000)}],
                egress=[{"to": [prometheus], "ports": _ports(9090)}, {"to": [alertmanager], "ports": _ports(9093)},
                        aws(mon)]),
        _policy("vtc-kube-state-metrics", mon, {"matchLabels": {name: "kube-state-metrics"}},
                ingress=[{"from": [prometheus], "ports": _ports(8080, 8081)}]),
        # The operator's pods: app=<chart name>-operator (kube-prometheus-stack 88.5.3, templates/prometheus-operator/
        # deployment.yaml: the chart's name, not the release's).
        _policy("vtc-prometheus-operator", mon, {"matchLabels": {"app": "kube-prometheus-stack-operator"}},
                ingress=[{"from": vpc, "ports": _ports(10250)}]),
        _policy("vtc-external-secrets", i.external_secrets_namespace, {"matchLabels": {name: "external-secrets"}},
                egress=[aws(i.external_secrets_namespace)]),
        _policy("vtc-external-secrets-webhook", i.external_secrets_namespace,
                {"matchLabels": {name: "external-secrets-webhook"}},
                ingress=[{"from": vpc, "ports": _ports(10250)}]),
        _policy("vtc-nginx-gateway-fabric", i.gateway_namespace, {"matchLabels": {name: "nginx-gateway-fabric"}},
                ingress=[{"from": [{"podSelector": {"matchExpressions": [{
                    "key": "gateway.networking.k8s.io/gateway-name", "operator": "Exists"}]}}],
                          "ports": _ports(8443)},
                         {"from": [prometheus], "ports": _ports(9113)}]),
        _policy("vtc-nginx", i.gateway_namespace, {"matchExpressions": [{
            "key": "gateway.networking.k8s.io/gateway-name", "operator": "Exists"}]},
                egress=[{"to": [{"namespaceSelector": {"matchLabels": {_NAMESPACE_LABEL: i.services_namespace}}}]},
                        {"to": [{"podSelector": {"matchLabels": {name: "nginx-gateway-fabric"}}}],
                         "ports": _ports(8443)}]),
        _policy("vtc-collector", i.collector_namespace,
                {"matchLabels": {"app.kubernetes.io/instance": i.collector_release}},
                ingress=[{"from": [{"namespaceSelector": {"matchLabels": {
                    _NAMESPACE_LABEL: i.services_namespace}}}], "ports": _ports(4317, 4318)},
                         {"from": [prometheus], "ports": _ports(8888)}],
                egress=[aws(i.collector_namespace)] + ([] if i.tracing_namespace is None else [{
                    "to": [{"namespaceSelector": {"matchLabels": {_NAMESPACE_LABEL: i.tracing_namespace}}}],
                    "ports": _ports(4317)}])),
        _policy("vtc-logging-egress", i.logging_namespace, {},
                egress=[{"to": _cidrs(list(dict.fromkeys([*i.aws_api_cidrs_by_namespace.get(
                    i.logging_namespace, i.aws_api_cidrs), i.vpc_cidr]))), "ports": https}]),
    ]
    if i.cert_manager_namespace is not None:
        # cert-manager v1.21.1's webhook listens on 10250 (values.yaml webhook.securePort); its pods are labelled
        # app.kubernetes.io/name: webhook. The controller and cainjector only call the API server (base egress):
        # the CA issuer here signs in the cluster, nothing ACME.
        policies.append(_policy("vtc-cert-manager-webhook", i.cert_manager_namespace, {"matchLabels": {name: "webhook"}},
                                ingress=[{"from": vpc, "ports": _ports(10250)}]))
    # (The services' namespace's probe opening is its chart's, like its other policies: mesh.probeSourceCidr.)
    policies += [_policy(AMBIENT_PROBES, ns, {}, ingress=[{"from": _cidrs([AMBIENT_PROBE_CIDR])}])
                 for ns in i.mesh_namespaces if ns in namespaces]
    return with_mesh_tunnel(policies, i.mesh_namespaces)


def _peer_namespace(peer: Mapping, policy_namespace: str) -> str | None:
    """The one namespace a peer's pods are in (None: an address block, or any namespace)."""
    if "ipBlock" in peer:
        return None
    if "namespaceSelector" not in peer:
        return policy_namespace
    return (peer["namespaceSelector"].get("matchLabels") or {}).get(_NAMESPACE_LABEL)


def with_mesh_tunnel(policies: Sequence[Mapping], mesh_namespaces: Sequence[str]) -> list[dict]:
    """``policies`` with :data:`MESH_TUNNEL_PORT` added to every rule of a policy in an enrolled namespace whose peers
    are all pods of enrolled namespaces and which names its ports: ztunnel carries those connections to the
    destination pod's 15008. Rules with address blocks or no ports are left as they are."""
    mesh = set(mesh_namespaces)
    out = []
    for policy in policies:
        policy = {**policy, "spec": dict(policy["spec"])}
        if policy["namespace"] in mesh:
            for key, peers in (("ingress", "from"), ("egress", "to")):
                rules = []
                for rule in policy["spec"].get(key) or []:
                    targets = [_peer_namespace(p, policy["namespace"]) for p in rule.get(peers) or []]
                    if rule.get("ports") and targets and all(t in mesh for t in targets) and not any(
                            p.get("port") == MESH_TUNNEL_PORT for p in rule["ports"]):
                        rule = {**rule, "ports": [*rule["ports"], *_ports(MESH_TUNNEL_PORT)]}
                    rules.append(rule)
                if key in policy["spec"]:
                    policy["spec"][key] = rules
        out.append(policy)
    return out


__all__ = ["AMBIENT_LABEL", "AMBIENT_PROBE_CIDR", "AMBIENT_PROBES", "BASE_EGRESS", "BYPASS_INBOUND_ANNOTATION",
           "DEFAULT_DENY", "MESH_TUNNEL_PORT", "PAGERDUTY_EVENTS_CIDRS", "NetworkPolicyInputs", "namespace_network_policies", "with_mesh_tunnel"]
