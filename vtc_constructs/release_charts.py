"""Where each release's chart comes from and what it pins: the add-ons' Helm repositories and chart versions
(:data:`CHART_REPOSITORIES`, :data:`DEFAULT_CHART_VERSIONS`, Istio's four charts at :data:`ISTIO_VERSION`), the cluster
autoscaler's image per Kubernetes minor, and the in-repository charts with the folder they are read from. What
:class:`~vtc_constructs.releases.ClusterReleases` releases and :mod:`vtc_constructs.components` tracks upstream.

Usage::

    from vtc_constructs.release_charts import CHART_REPOSITORIES, DEFAULT_CHART_VERSIONS

    repository, chart = CHART_REPOSITORIES["cert-manager"]
    version = DEFAULT_CHART_VERSIONS["cert-manager"]   # or the environment's addon_chart_versions
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

#: Istio's OCI chart repository (from 1.31: https://istio.io/latest/news/releases/1.31.x/announcing-1.31/upgrade-notes/).
ISTIO_CHARTS = "oci://ghcr.io/istio/release/charts"
#: Where each add-on chart comes from: (Helm repository, chart name).
CHART_REPOSITORIES: Mapping[str, tuple[str, str]] = {
    "aws-load-balancer-controller": ("https://aws.github.io/eks-charts", "aws-load-balancer-controller"),
    "metrics-server": ("https://kubernetes-sigs.github.io/metrics-server", "metrics-server"),
    "cluster-autoscaler": ("https://kubernetes.github.io/autoscaler", "cluster-autoscaler"),
    "external-secrets": ("https://charts.external-secrets.io", "external-secrets"),
    "sealed-secrets": ("https://bitnami-labs.github.io/sealed-secrets", "sealed-secrets"),
    "nginx-gateway-fabric": ("oci://ghcr.io/nginx/charts", "nginx-gateway-fabric"),
    "kube-prometheus-stack": ("https://prometheus-community.github.io/helm-charts", "kube-prometheus-stack"),
    "opentelemetry-collector": ("https://open-telemetry.github.io/opentelemetry-helm-charts",
                                "opentelemetry-collector"),
    "aws-for-fluent-bit": ("https://aws.github.io/eks-charts", "aws-for-fluent-bit"),
    "jaeger": ("https://jaegertracing.github.io/helm-charts", "jaeger"),
    # Encryption in transit (docs/design/encryption-in-transit.md). Istio publishes its charts here from 1.31 on (the
    # 1.31 upgrade notes: no more charts on its former Google-hosted repository).
    "cert-manager": ("https://charts.jetstack.io", "cert-manager"),
    "istio-base": (ISTIO_CHARTS, "base"),
    "istiod": (ISTIO_CHARTS, "istiod"),
    "istio-cni": (ISTIO_CHARTS, "cni"),
    "ztunnel": (ISTIO_CHARTS, "ztunnel"),
}

#: Istio's version: its four charts (base, istiod, cni, ztunnel) are released together at it.
ISTIO_VERSION = "1.31.1"
#: Istio's releases (keys of :data:`CHART_REPOSITORIES`), in install order.
ISTIO_CHARTS_RELEASED = ("istio-base", "istiod", "istio-cni", "ztunnel")
#: The chart versions the releases pin unless an environment's ``addon_chart_versions`` says otherwise: versions
#: whose values were read against the chart's own ``values.yaml`` and templates (see the note on each release).
#: Read at (chart repository, tag): aws/eks-charts 5239609 (aws-load-balancer-controller 3.5.0, aws-for-fluent-bit
#: 0.2.0), kubernetes-sigs/metrics-server metrics-server-helm-chart-3.13.1 (app 0.8.1; 0.9 needs Kubernetes 1.34),
#: kubernetes/autoscaler cluster-autoscaler-chart-9.59.0, external-secrets helm-chart-2.9.0, bitnami-labs/sealed-secrets
#: helm-v2.18.5 (controller 0.36.6, 2026-04-09: the newest in the snapshot of 2026-04-22), nginx/nginx-gateway-fabric
#: v2.6.7 (active, F5-maintained; Kubernetes >= 1.31; Gateway API 1.5.1: docs/design/nginx-gateway-fabric.md; the
#: newest release whose sources could be read here: 2.7.0-2.7.2, Gateway API 1.6, followed by 2026-09-15 and are the
#: next step, vtc_constructs/components.py), prometheus-community
#: kube-prometheus-stack-88.5.3, open-telemetry opentelemetry-collector-0.170.0, jaegertracing/helm-charts jaeger-4.11.1
#: (6c602b5, 2026-06-14: the newest chart, Jaeger v2; its appVersion 2.19.0 is overridden by :data:`JAEGER_IMAGE`).
DEFAULT_CHART_VERSIONS: Mapping[str, str] = {
    "aws-load-balancer-controller": "3.5.0",
    "metrics-server": "3.13.1",
    "cluster-autoscaler": "9.59.0",
    "external-secrets": "2.9.0",
    "sealed-secrets": "2.18.5",
    "nginx-gateway-fabric": "2.6.7",
    "kube-prometheus-stack": "88.5.3",
    "opentelemetry-collector": "0.170.0",
    "aws-for-fluent-bit": "0.2.0",
    "jaeger": "4.11.1",
    # cert-manager v1.21.2 (values read at v1.21.1's deploy/charts/cert-manager; its chart versions carry the "v");
    # Istio 1.31.1 (values read on istio/istio's release-1.31 branch, manifests/charts). All four Istio charts move
    # together (ztunnel and istio-cni support a control plane of their own minor or one above: istiod first).
    # Support windows: vtc_constructs/components.py.
    "cert-manager": "v1.21.2",
    "istio-base": ISTIO_VERSION,
    "istiod": ISTIO_VERSION,
    "istio-cni": ISTIO_VERSION,
    "ztunnel": ISTIO_VERSION,
}
#: The cluster autoscaler's minor must equal the cluster's: its image per Kubernetes version (the newest patch of
#: that minor), overriding the chart's default (1.35.0 in chart 9.59.0). One row per minor of the upgrade path from
#: 1.33 (docs/upgrading-kubernetes.md: the autoscaler follows each step). Checked 2026-12-06 against the tags of
#: kubernetes/autoscaler (cluster-autoscaler-1.33.6, -1.34.5, -1.35.2, -1.36.1: the newest of each minor; the
#: image registry.k8s.io/autoscaling/cluster-autoscaler:v<tag> is published from each release tag). Chart 9.59.0's
#: ClusterRole already grants what 1.36 reads (resource.k8s.io resourceslices, deviceclasses, resourceclaims).
CLUSTER_AUTOSCALER_IMAGES: Mapping[str, str] = {"1.33": "v1.33.6", "1.34": "v1.34.5", "1.35": "v1.35.2",
                                                "1.36": "v1.36.1"}
#: The in-repository charts of the Gateway API's CRDs and of NGINX Gateway Fabric's, released first (each a release
#: of the same name).
GATEWAY_API_CRDS_CHART = "gateway-api-crds"
NGINX_GATEWAY_FABRIC_CRDS_CHART = "nginx-gateway-fabric-crds"
#: The in-repository charts (relative to the charts folder).
SERVICES_CHART = "vision-to-code"
CLUSTER_CONFIG_CHART = "vtc-cluster-config"


def default_charts_dir() -> Path:
    """Where the in-repository charts live: ``vtc_constructs/charts`` in an installed package (the wheel carries
    them), else this repository's ``charts/`` beside the package."""
    installed = Path(__file__).resolve().parent / "charts"
    return installed if installed.is_dir() else Path(__file__).resolve().parent.parent / "charts"


def charts_folder(charts_dir: str | os.PathLike | None) -> Path:
    """``charts_dir`` as an absolute path (cdktf's assets need one; a relative one is taken from the working folder),
    or the charts the package carries."""
    return Path(charts_dir).resolve() if charts_dir is not None else default_charts_dir()
