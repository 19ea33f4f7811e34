"""Each colour's NGINX Gateway Fabric release, as values: :func:`gateway_values` (what ``ngf-<colour>`` gets, and
what the Kind test installs), its control plane's certificates (:func:`control_plane_certificates`,
:func:`control_plane_secret`) and the objects its chart has no setting for (a disruption budget, the PodMonitors).

Usage::

    from vtc_constructs.release_gateway import gateway_values

    values = gateway_values(workloads, "blue", namespace=workloads.gateway_namespace,
                            load_balancer_cidrs=["10.0.0.0/24", "10.0.1.0/24"])
"""

from __future__ import annotations

import json
from typing import Sequence

from .colour_names import DEREGISTRATION_DELAY_SECONDS, Colour, gateway_class, gateway_name, gateway_release
from .release_common import ADDON_RESOURCES
from .workloads import WorkloadsProps

#: How long NGINX keeps serving after its pod is told to stop: the ALB's deregistration delay and a margin for the
#: load balancer controller to deregister the pod first (the image's stop signal then ends NGINX at once, in-flight
#: requests included: NGF build/entrypoint.sh sends TERM).
NGINX_PRESTOP_SECONDS = DEREGISTRATION_DELAY_SECONDS + 15


def gateway_values(workloads: WorkloadsProps, colour: Colour | str, *, namespace: str,
                   load_balancer_cidrs: Sequence[str], cert_manager: bool = True) -> dict:
    """The values of ``colour``'s NGINX Gateway Fabric release (``ngf-<colour>``): a plain dict, ready for ``helm -f``
    (what :class:`ClusterReleases` releases; the Kind test, tooling/kind.py, installs the same). Values read against
    nginx-gateway-fabric 2.6.7's values.yaml, values.schema.json and templates (nginxproxy.yaml maps ``nginx.*`` into
    the NginxProxy; tests/test_releases.py checks both against their schemas).

    :param namespace: the namespace of the release, its Gateway and NGINX pods (``workloads.gateway_namespace``).
    :param load_balancer_cidrs: the ALB's subnets' ranges: the only sources NGINX trusts ``X-Forwarded-For`` from.
    :param cert_manager: default: True: the control plane's and its agents' certificates (``<release>-server-tls``,
        ``<release>-agent-tls``) come from cert-manager (vtc-cluster-config's Certificates, the platform's CA, renewed
        before they expire) and the chart's cert-generator Job is off (2.6.7's ``certGenerator.enable``: "If this is
        disabled, then cert-manager or some other method must be used to create the required Secrets"). False where
        no cert-manager runs (the Kind test): the Job makes 3-year certificates, never renewed.
    """
    w, colour = workloads, Colour(colour)
    release = gateway_release(colour)
    load_balancer_cidrs = list(load_balancer_cidrs)
    spread = {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway"}
    return {
        "nginxGateway": {
            "gatewayClassName": gateway_class(colour),
            # One controller name per control plane: each acts on its own class only.
            "gatewayControllerName": f"gateway.nginx.org/{release}",
            # Two, with leader election (the chart's default): the follower keeps serving the NGINX agents.
            "replicas": 2,
            "resources": ADDON_RESOURCES["nginx-gateway-fabric"],
            "topologySpreadConstraints": [{**spread, "labelSelector": {"matchLabels": {
                "app.kubernetes.io/name": "nginx-gateway-fabric", "app.kubernetes.io/instance": release}}}],
            # The chart's default reports usage to F5 from every cluster.
            "productTelemetry": {"enable": False},
            "snippets": {"enable": False},
            # Only the services' namespace (and its own, which the controller adds: internal/controller/manager.go):
            # Roles there instead of a ClusterRole that could write every Secret of the cluster, and a smaller cache.
            "watchNamespaces": [w.namespace],
        },
        # Both control planes share the namespace: each its own certificate Secrets (the chart's names are fixed).
        "certGenerator": {"enable": not cert_manager,
                          "serverTLSSecretName": control_plane_secret(colour, "server"),
                          "agentTLSSecretName": control_plane_secret(colour, "agent")},
        "nginx": {
            "replicas": w.ingress_replicas,
            # The ALB reaches the pods directly (TargetGroupBinding, IP targets): no cloud load balancer.
            "service": {"type": "ClusterIP"},
            "config": {
                "ipFamily": "ipv4", "serverTokens": "off",
                # The client's address from X-Forwarded-For, trusted only when the ALB (its subnets) set it.
                "rewriteClientIP": {"mode": "XForwardedFor", "setIPRecursively": True, "trustedAddresses": [
                    {"type": "CIDR", "value": cidr} for cidr in load_balancer_cidrs]},
            },
            "pod": {
                "terminationGracePeriodSeconds": NGINX_PRESTOP_SECONDS + 30,
                "topologySpreadConstraints": [{**spread, "labelSelector": {"matchLabels": {
                    "gateway.networking.k8s.io/gateway-name": gateway_name(colour)}}}],
            },
            "container": {
                "resources": ADDON_RESOURCES["nginx-gateway-fabric-nginx"],
                # Keep serving while the ALB drains the pod's target (the chart does not do this for us).
                "lifecycle": {"preStop": {"sleep": {"seconds": NGINX_PRESTOP_SECONDS}}},
            },
        },
        # Objects the chart has no setting for, made with this release (after kube-prometheus-stack's CRDs).
        "extraObjects": [json.dumps(o, sort_keys=True) for o in _gateway_extras(workloads, colour, namespace)],
    }


def control_plane_secret(colour: Colour | str, end: str) -> str:
    """``ngf-<colour>-server-tls`` / ``ngf-<colour>-agent-tls``: the Secrets of the colour's NGINX Gateway Fabric
    control plane (its gRPC server, 8443) and of its NGINX agents (their client certificate), each with the CA
    (``ca.crt``) the other end is checked against."""
    if end not in ("server", "agent"):
        raise ValueError(f"end: 'server' or 'agent' (got {end!r})")
    return f"{gateway_release(colour)}-{end}-tls"


def control_plane_certificates(namespace: str, cluster_domain: str = "cluster.local") -> list[dict]:
    """The certificates of both colours' control planes and agents, as vtc-cluster-config's ``tls.controlPlane``
    values: what NGINX Gateway Fabric 2.6.7's cert-generator would make (cmd/gateway/certs.go: the server's DNS name
    ``<fullname>.<namespace>.svc``, the chart's fullname ``<release>-nginx-gateway-fabric``; the agents'
    ``*.<cluster domain>``), from the platform's CA instead, with a usage each."""
    return [entry for colour in Colour for entry in (
        {"secretName": control_plane_secret(colour, "server"), "usage": "server auth",
         "dnsName": f"{gateway_release(colour)}-nginx-gateway-fabric.{namespace}.svc"},
        {"secretName": control_plane_secret(colour, "agent"), "usage": "client auth",
         "dnsName": f"*.{cluster_domain}"})]


def _gateway_extras(workloads: WorkloadsProps, colour: Colour, namespace: str) -> list[dict]:
    """What the colour's NGINX Gateway Fabric chart has no setting for: the control plane is on the request path
    (NGINX learns the services' pod addresses from it), so a disruption budget (2.6.7's chart has none) and its
    metrics scraped; and NGINX's own metrics (connections, requests: the agent serves them on each NGINX pod's
    ``metrics`` port), each series labelled with the colour."""
    release, monitored = gateway_release(colour), {"release": workloads.monitoring_release,
                                                    "vision-to-code.io/colour": colour.value}
    control_plane = {"matchLabels": {"app.kubernetes.io/name": "nginx-gateway-fabric",
                                     "app.kubernetes.io/instance": release}}
    nginx = {"matchLabels": {"gateway.networking.k8s.io/gateway-name": gateway_name(colour)}}

    def monitor(name: str, selector: dict) -> dict:
        return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor",
                "metadata": {"name": name, "namespace": namespace, "labels": monitored},
                "spec": {"selector": selector, "podTargetLabels": ["vision-to-code.io/colour"],
                         "podMetricsEndpoints": [{"port": "metrics", "interval": "30s"}]}}

    return [{"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
             "metadata": {"name": f"{release}-control-plane", "namespace": namespace},
             "spec": {"minAvailable": 1, "selector": control_plane}},
            monitor(f"{release}-control-plane", control_plane), monitor(f"{gateway_name(colour)}-nginx", nginx)]
