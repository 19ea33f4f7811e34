"""The names that tie a colour together: :class:`Colour`, the services' release (:func:`release_name`), the
colour's NGINX Gateway Fabric release, GatewayClass, Gateway and Service (:func:`gateway_release`,
:func:`gateway_class`, :func:`gateway_name`, :func:`gateway_service_name`), and the Gateway's listener, port and health
route that the edge's target groups reach. The chart, the releases, the cluster configuration and the edge all use
them. Re-exported by ``vtc_constructs.workloads``, where they were until issue 27.

Usage::

    from vtc_constructs.colour_names import Colour, gateway_name, release_name

    release_name(Colour.GREEN), gateway_name("green")     # "vtc-green", "vtc-green"
"""

from __future__ import annotations

from enum import Enum


#: Every release's name starts with this; ``vtc-<colour>`` (:func:`release_name`).
RELEASE_PREFIX = "vtc"


class Colour(str, Enum):
    """One of the two releases; the ALB's weights split traffic between them."""

    BLUE = "blue"
    GREEN = "green"


def release_name(colour: Colour | str) -> str:
    """``vtc-<colour>``: the Helm release of the services in ``colour``."""
    return f"{RELEASE_PREFIX}-{Colour(colour).value}"


#: The path of each colour's health route: NGINX sends it to core's readiness (the pod's own ``probes.readinessPath``),
#: so the ALB's target-group health check fails when the colour's services cannot serve, not only when NGINX is down.
#: ``EdgeProps.health_check_path``'s default.
GATEWAY_HEALTH_PATH = "/-/ready"
#: The service whose readiness the health route asks (it answers only with its database reachable).
GATEWAY_HEALTH_SERVICE = "core"
#: The Gateway's one listener: HTTPS on the target groups' port, NGINX terminating TLS with the colour's certificate
#: (cert-manager, the platform's CA); the ALB's HTTPS target groups re-encrypt to it (until issue 26: plain HTTP on
#: 8080, TLS ending at the ALB). docs/design/encryption-in-transit.md.
GATEWAY_LISTENER = "https"
GATEWAY_PORT = 8443
#: The ALB's deregistration delay (``Edge``'s target groups): how long the ALB keeps sending a leaving target the
#: requests it has started; NGINX keeps serving longer than that before it stops (its preStop sleep).
DEREGISTRATION_DELAY_SECONDS = 30


def gateway_release(colour: Colour | str) -> str:
    """``ngf-<colour>``: the colour's NGINX Gateway Fabric release (its own control plane, so an upgrade of NGINX
    Gateway Fabric reaches the idle colour first)."""
    return f"ngf-{Colour(colour).value}"


def gateway_class(colour: Colour | str) -> str:
    """``nginx-<colour>``: the GatewayClass of the colour's control plane (:func:`gateway_release`)."""
    return f"nginx-{Colour(colour).value}"


def gateway_name(colour: Colour | str) -> str:
    """``vtc-<colour>``: the colour's Gateway; its NGINX pods carry ``gateway.networking.k8s.io/gateway-name`` = this,
    the label the network policies and the disruption budget select them by."""
    return f"{RELEASE_PREFIX}-{Colour(colour).value}"


def gateway_service_name(colour: Colour | str) -> str:
    """``vtc-<colour>-nginx-<colour>``: the Service NGINX Gateway Fabric makes for the colour's Gateway
    (``<gateway>-<gatewayclass>``, its provisioner's naming), which the colour's TargetGroupBinding names."""
    return f"{gateway_name(colour)}-{gateway_class(colour)}"
