"""Encryption in transit's add-ons, as release values (docs/design/encryption-in-transit.md): cert-manager's
(:func:`cert_manager_values`) and each of Istio's four ambient-mesh releases' (:func:`istio_values`).

Usage::

    from vtc_constructs.release_mesh import cert_manager_values, istio_values

    values = {"cert-manager": cert_manager_values("cert-manager"), "istiod": istio_values("istiod")}
"""

from __future__ import annotations

from .release_common import ADDON_RESOURCES

def cert_manager_values(namespace: str = "cert-manager") -> dict:
    """cert-manager's values (v1.21.1's deploy/charts/cert-manager/values.yaml): its CRDs with the release, kept if it
    goes (removing them would delete every Certificate and issuer); two replicas of the controller and webhook with
    disruption budgets; leader election in its own namespace (the chart's default is kube-system); requests and limits
    from :data:`ADDON_RESOURCES`. The chart's pods already run non-root, read-only, ALL dropped, RuntimeDefault."""
    return {
        "crds": {"enabled": True, "keep": True},
        "global": {"leaderElection": {"namespace": namespace}},
        "replicaCount": 2, "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
        "resources": ADDON_RESOURCES["cert-manager"],
        "webhook": {"replicaCount": 2, "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
                    "resources": ADDON_RESOURCES["cert-manager-webhook"]},
        "cainjector": {"resources": ADDON_RESOURCES["cert-manager-cainjector"]},
        "startupapicheck": {"resources": ADDON_RESOURCES["cert-manager-startupapicheck"]},
        # Its metrics Service stays (the chart's default); no ServiceMonitor: this release comes before
        # kube-prometheus-stack, which brings that CRD.
        "prometheus": {"enabled": True, "servicemonitor": {"enabled": False}},
    }


#: Istio's own NetworkPolicies (global.networkPolicy.enabled, release-1.31 charts: istiod's webhook 15017 and xDS
#: 15010-15012, ztunnel's 15008/15001/15006/15021/15020/15000/15053, istio-cni's 15014 and 8000, all egress), beside
#: the namespace's default deny (vtc_constructs/network_policies.py).
_ISTIO_COMMON = {"global": {"networkPolicy": {"enabled": True}}}


def istio_values(release: str) -> dict:
    """The values of one of Istio's four releases (``istio-base``, ``istiod``, ``istio-cni``, ``ztunnel``), read
    against istio/istio's release-1.31 ``manifests/charts`` (values are flat since the charts' ``_internal_defaults``
    layout): the ``ambient`` profile (istiod's ambient controllers, istio-cni's ambient redirection), Istio's own
    NetworkPolicies, two istiod replicas with its disruption budget (the chart's default ``pdb.minAvailable: 1``),
    and requests and limits from :data:`ADDON_RESOURCES`."""
    if release == "istio-base":
        return {**_ISTIO_COMMON, "profile": "ambient"}
    if release == "istiod":
        return {**_ISTIO_COMMON, "profile": "ambient", "replicaCount": 2, "autoscaleMin": 2,
                "resources": ADDON_RESOURCES["istiod"]}
    if release == "istio-cni":
        return {**_ISTIO_COMMON, "profile": "ambient", "resources": ADDON_RESOURCES["istio-cni"]}
    if release == "ztunnel":
        return {**_ISTIO_COMMON, "profile": "ambient", "resources": ADDON_RESOURCES["ztunnel"]}
    raise ValueError(f"not one of Istio's releases: {release!r} (istio-base, istiod, istio-cni, ztunnel)")
