"""The upstream status of every chart, image and vendored CRD set this project pins, as data, and the checks that
keep a retired component out.

Usage::

    from vtc_constructs.components import pinned_components, retired_in_stack, status_problems
    from vtc_constructs.errors import raise_if_any

    raise_if_any(status_problems(pinned_components()))   # every pin has one current, non-retired status row
    raise_if_any(retired_in_stack("staging-workloads", json.loads(Path("cdk.tf.json").read_text())))

:data:`COMPONENTS` has one row per pinned thing: each add-on chart of
:data:`~vtc_constructs.releases.DEFAULT_CHART_VERSIONS`, each image the releases set
(:data:`~vtc_constructs.releases.ADOT_COLLECTOR_IMAGE`, every :data:`~vtc_constructs.releases.CLUSTER_AUTOSCALER_IMAGES`
tag) and each upstream project whose files a local chart vendors (the GitHub ``tree/<tag>`` URLs in the
``sources`` of its ``Chart.yaml``). A row says how upstream stands (:class:`Status`, with the date it changed and
the successor), where that was read and what the newest release seen there was, and the day it was checked.
:data:`RETIRED` lists what must never be pinned again, each with the date and the source.

The rules (:func:`status_problems`, each broken rule a :class:`~vtc_constructs.errors.Problem`, all reported at once):

- every pin has exactly one row of its kind, name and version, and every row is pinned (no stale rows);
- no row's status is retired or end of life; a deprecated one names the date and its successor;
- every row names its source (a URL or ``owner/repo@ref``) and was checked at most :data:`MAX_STATUS_AGE_DAYS`
  days before the newest check in the table (or before ``as_of``, when given);
- nothing pinned is, or publishes, a component of :data:`RETIRED` (by chart name and version, or by a reference
  such as its Helm repository or image path).

:func:`unsupported_version_problems` is a separate, stricter rule: a pinned version that upstream's own support
policy no longer covers (:attr:`Component.version_unsupported_since`). It is not part of :func:`status_problems`:
a component being retired is the issue's line; an old version of a live project is an upgrade to plan.

Why one module: the table of pins and the checks that read it are one subject, and most of its length is the table's
rows, each with its upstream source and date.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from .errors import Problem

#: The day every row below was last checked.
CHECKED = date(2026, 12, 6)
#: How much older than the newest check (or ``as_of``) a row's check may be before :func:`status_problems` refuses it.
MAX_STATUS_AGE_DAYS = 180
#: The cluster autoscaler's image repository: the chart's default ``image.repository`` (cluster-autoscaler chart
#: 9.59.0's values.yaml); the releases set only its tag (:data:`~vtc_constructs.releases.CLUSTER_AUTOSCALER_IMAGES`).
CLUSTER_AUTOSCALER_IMAGE_REPOSITORY = "registry.k8s.io/autoscaling/cluster-autoscaler"


class Kind(str, Enum):
    """What is pinned: a Helm chart from a repository, a container image, or a set of upstream CRDs vendored into a
    local chart."""

    CHART = "chart"
    IMAGE = "image"
    CRDS = "crds"


class Status(str, Enum):
    """How upstream stands. ``deprecated``: still supported, a successor named; ``retired``: no more releases, fixes
    or security patches (archived); ``end of life``: past the end upstream announced for it."""

    ACTIVE = "active"
    DEPRECATED = "deprecated"
    RETIRED = "retired"
    END_OF_LIFE = "end of life"


#: The statuses :func:`status_problems` refuses.
REFUSED_STATUSES = frozenset({Status.RETIRED, Status.END_OF_LIFE})


@dataclass(frozen=True, kw_only=True)
class Component:
    """One pinned chart, image or vendored CRD set, and how its upstream stands.

    :param name: the chart's name (as in :data:`~vtc_constructs.releases.CHART_REPOSITORIES`), the image's repository
        (``registry/path``), or for vendored CRDs the GitHub project (``owner/repo``). Required.
    :param kind: :class:`Kind`. Required.
    :param version: exactly the version pinned (chart version, image tag, upstream tag). Required.
    :param status: :class:`Status` of the upstream project (or of the release line the pin belongs to). Required.
    :param source: where the status was read: ``owner/repo@ref`` of the snapshot read (with its date) and/or URLs,
        ``; ``-separated. Required.
    :param newest_release: the newest release seen at the source (tag or version). Required.
    :param newest_release_date: that release's date. Required.
    :param checked: the day the status was read. Required.
    :param note: one line: what was found, and anything doubtful. Required.
    :param repository: default: none (images and vendored CRDs). For charts, the Helm repository it is pulled from;
        :func:`status_problems` compares it with the pin's.
    :param status_since: default: none, which only an ``active`` row may have: the date the status took effect.
    :param successor: default: none, which only an ``active`` row may have: what replaces it.
    :param version_unsupported_since: default: none (upstream's policy still covers the pinned version, or states no
        policy). The first day, as far as seen, that upstream's support policy no longer covered the pinned version
        (an upper bound where only a later release's date was seen: the note says so).
    """

    name: str
    kind: Kind
    version: str
    status: Status
    source: str
    newest_release: str
    newest_release_date: date
    checked: date
    note: str
    repository: str = ""
    status_since: date | None = None
    successor: str = ""
    version_unsupported_since: date | None = None

    @property
    def path(self) -> str:
        """The row's field path in problems: ``components[chart:metrics-server@3.13.1]``."""
        return f"components[{_kind_value(self.kind)}:{self.name}@{self.version}]"


@dataclass(frozen=True, kw_only=True)
class RetiredComponent:
    """A component this project must never pin again.

    :param name: what it is (``kubernetes/ingress-nginx``, ``Jaeger v1``). Required.
    :param status: :data:`Status.RETIRED` or :data:`Status.END_OF_LIFE`. Required.
    :param since: the date it was retired or reached its end of life. Required.
    :param source: where that was read (URLs, ``owner/repo@ref``). Required.
    :param successor: what to use instead. Required.
    :param charts: default: none. Chart names that publish it, each with the first chart version that no longer does
        (``""``: every version does): ``{"jaeger": "4.0.0"}`` refuses jaeger charts below 4.0.0.
    :param references: default: none. Strings that appear only where it is pinned: its Helm repository, its image
        repositories. Matched as substrings of a pin's name and repository, and of a synthesized stack's text.
    """

    name: str
    status: Status
    since: date
    source: str
    successor: str
    charts: Mapping[str, str] = field(default_factory=dict)
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pinned:
    """One thing the project pins: ``kind``, ``name`` and ``version`` as in :class:`Component`; ``repository`` the
    Helm repository of a chart (else empty); ``where`` the constant or file that pins it (a problem's path)."""

    kind: Kind
    name: str
    version: str
    repository: str = ""
    where: str = ""


_EKS_CHARTS = "https://aws.github.io/eks-charts"

#: Every chart, image and vendored CRD set the project pins, each with its upstream status (checked 2026-12-06).
#: Snapshots were read with git (tags and their dates, README, SECURITY.md); where a snapshot ended before the check,
#: later releases were looked up in stored GitHub issue, release and documentation pages, and the note says so.
COMPONENTS: tuple[Component, ...] = (
    # --- charts -------------------------------------------------------------------------------------------------
    Component(
        name="aws-load-balancer-controller", kind=Kind.CHART, version="3.5.0", repository=_EKS_CHARTS,
        status=Status.ACTIVE,
        source="aws/eks-charts@5239609 (HEAD, 2026-08-03); kubernetes-sigs/aws-load-balancer-controller@225f445 "
               "(HEAD, 2026-08-17)",
        newest_release="v3.5.0", newest_release_date=date(2026, 8, 3), checked=CHECKED,
        note="Newest release at both snapshots (v3.4.0-v3.5.0 released June-August 2026); no deprecation notice."),
    Component(
        name="metrics-server", kind=Kind.CHART, version="3.13.1",
        repository="https://kubernetes-sigs.github.io/metrics-server", status=Status.ACTIVE,
        source="kubernetes-sigs/metrics-server@5ed5d3a (HEAD, 2026-08-04)",
        newest_release="metrics-server-helm-chart-3.13.1", newest_release_date=date(2026, 6, 11), checked=CHECKED,
        note="Newest chart (app 0.8.1, Kubernetes 1.31+); app v0.9.0 (2026-07-13) needs 1.34+ and has no chart "
             "release in the snapshot; upstream states no support window."),
    Component(
        name="cluster-autoscaler", kind=Kind.CHART, version="9.59.0",
        repository="https://kubernetes.github.io/autoscaler", status=Status.ACTIVE,
        source="kubernetes/autoscaler@55c37cd (HEAD, 2026-08-22)",
        newest_release="cluster-autoscaler-chart-9.59.0", newest_release_date=date(2026, 7, 21), checked=CHECKED,
        note="Newest chart in the snapshot (its default app 1.35.0 is overridden per minor by the image rows)."),
    Component(
        name="external-secrets", kind=Kind.CHART, version="2.9.0", repository="https://charts.external-secrets.io",
        status=Status.ACTIVE,
        source="external-secrets/external-secrets@cc5bfbc (HEAD, 2026-08-08), "
               "docs/introduction/stability-support.md; "
               "https://sourceforge.net/projects/external-secrets.mirror/files/v2.13.0/",
        newest_release="v2.13.0", newest_release_date=date(2026, 10, 16), checked=CHECKED,
        version_unsupported_since=date(2026, 10, 16),
        note="Project active (releases every ~3 weeks). Upstream supports only the newest minor: 2.9 ended with "
             "2.10's release (after 2026-08-08; its date not seen, 2.13.0 is dated 2026-10-16, 2.14.0 seen undated)."),
    Component(
        name="sealed-secrets", kind=Kind.CHART, version="2.18.5",
        repository="https://bitnami-labs.github.io/sealed-secrets", status=Status.ACTIVE,
        source="bitnami-labs/sealed-secrets@86671a8 (HEAD, 2026-04-22): tags helm-v2.18.5 and v0.36.6 (2026-04-09); "
               "README (no deprecation or archival notice; images signed, on Docker Hub and GHCR)",
        newest_release="helm-v2.18.5", newest_release_date=date(2026, 4, 9), checked=CHECKED,
        note="Controller 0.36.6. The newest release in a snapshot that ends 2026-04-22: later releases not looked "
             "up. Not part of Bitnami's catalog of charts and images that moved in 2025 (its own project and CI)."),
    Component(
        name="nginx-gateway-fabric", kind=Kind.CHART, version="2.6.7", repository="oci://ghcr.io/nginx/charts",
        status=Status.ACTIVE,
        source="nginx/nginx-gateway-fabric@e55bfe3 (HEAD, 2026-08-20; README 'Project Status: Active'); "
               "https://github.com/nginx/nginx-gateway-fabric/pull/5925",
        newest_release="v2.7.2", newest_release_date=date(2026, 9, 15), checked=CHECKED,
        note="F5-maintained, active. 2.6.7 was the newest at the snapshot; 2.7.0-2.7.2 (Gateway API 1.6) followed by "
             "2026-09-15 (docs PR #5925). SECURITY.md advises the most recent release; no end date for 2.6."),
    Component(
        name="kube-prometheus-stack", kind=Kind.CHART, version="88.5.3",
        repository="https://prometheus-community.github.io/helm-charts", status=Status.ACTIVE,
        source="prometheus-community/helm-charts@cf408a2 (HEAD, 2026-08-22)",
        newest_release="kube-prometheus-stack-88.5.3", newest_release_date=date(2026, 8, 21), checked=CHECKED,
        note="Newest in the snapshot (several releases a week; upstream supports only the newest). Later releases "
             "not looked up."),
    Component(
        name="opentelemetry-collector", kind=Kind.CHART, version="0.170.0",
        repository="https://open-telemetry.github.io/opentelemetry-helm-charts", status=Status.ACTIVE,
        source="open-telemetry/opentelemetry-helm-charts@dd5665c (HEAD, 2026-08-20)",
        newest_release="opentelemetry-collector-0.170.0", newest_release_date=date(2026, 8, 14), checked=CHECKED,
        note="Newest in the snapshot (weekly releases). Later releases not looked up."),
    Component(
        name="aws-for-fluent-bit", kind=Kind.CHART, version="0.2.0", repository=_EKS_CHARTS, status=Status.ACTIVE,
        source="aws/eks-charts@5239609 (HEAD, 2026-08-03; chart last changed 2942cdc, 2026-02-03); "
               "https://github.com/aws/aws-for-fluent-bit/issues/1181; "
               "https://github.com/aws/aws-for-fluent-bit/releases/tag/v3.5.10",
        newest_release="image v3.5.10", newest_release_date=date(2026, 11, 21), checked=CHECKED,
        note="Runs AWS for Fluent Bit 3.2.1 (v3, Amazon Linux 2023; AWS: long-term support through 2028, #1181). "
             "Doubtful: the chart lags (0.2.1 to 3.4.16 open as eks-charts#1372); v3.5.10 seen 2026-11-21."),
    Component(
        name="jaeger", kind=Kind.CHART, version="4.11.1", repository="https://jaegertracing.github.io/helm-charts",
        status=Status.ACTIVE,
        source="jaegertracing/helm-charts@6c602b5 (HEAD = tag jaeger-4.11.1, 2026-06-14)",
        newest_release="jaeger-4.11.1", newest_release_date=date(2026, 6, 14), checked=CHECKED,
        note="The Jaeger v2 chart (4.x; v1 charts are refused: RETIRED). Newest in the snapshot; its appVersion 2.19.0 "
             "is overridden (releases.JAEGER_IMAGE). No values.schema.json: values read against values.yaml and "
             "templates, rendered by hand with bitnami common 2.31.10 (2.34.0, which Chart.lock names, is not in "
             "bitnami/charts' snapshot)."),
    # Encryption in transit (issue 26 item 1, docs/design/encryption-in-transit.md): cert-manager issues NGINX's
    # listener certificates; Istio's ambient mesh (L4: istiod, istio-cni, ztunnel) encrypts pod to pod.
    Component(
        name="cert-manager", kind=Kind.CHART, version="v1.21.2", repository="https://charts.jetstack.io",
        status=Status.ACTIVE,
        source="cert-manager/cert-manager@v1.21.1 (2026-07-29; snapshot HEAD 2026-08-22, deploy/charts/cert-manager "
               "values read there); https://gitlab.com/sylva-projects/sylva-core/-/merge_requests/9292 (v1.21.2 "
               "release notes: 'All users should upgrade'); https://github.com/cert-manager/website/pull/2202 "
               "(1.21.0, 2026-07-08); https://github.com/cert-manager/testing/pull/1218 (1.19 unsupported since 1.21); "
               "https://cert-manager.io/docs/releases/",
        newest_release="v1.21.2", newest_release_date=date(2026, 7, 29), checked=CHECKED,
        note="Active (CNCF). Policy: a minor is supported until the release of the minor two after it (1.21 until "
             "1.23); 1.22 not seen, so 1.21 is covered on 2026-12-06. v1.21.2's date was not read (after v1.21.1 "
             "of 2026-07-29, the date given); values read at v1.21.1 (a patch release of the same chart)."),
    *(Component(
        name=chart, kind=Kind.CHART, version="1.31.1", repository="oci://ghcr.io/istio/release/charts",
        status=Status.ACTIVE,
        source="istio/istio@dc78f06 (snapshot 2026-08-22: branch release-1.31, tag 1.31.0-rc.0 of 2026-08-19; "
               "manifests/charts read on release-1.31); "
               "https://istio.io/latest/news/releases/1.31.x/announcing-1.31/upgrade-notes/ (charts moved to "
               "ghcr.io/istio/release/charts from 1.31); https://istio.io/latest/docs/releases/supported-releases/",
        newest_release="1.31.1", newest_release_date=date(2026, 8, 31), checked=CHECKED,
        note=f"Istio's {what} chart. Active (CNCF). Policy: a minor is supported until 6 weeks after the second "
             "minor after it (1.31 until 6 weeks after 1.33.0); no 1.32 was seen, so 1.31 is covered on 2026-12-06 "
             "(expected end ~2027-02/03). 1.31.0's date (2026-08-31) and 1.31.1 come from third-party pages and "
             "public repositories pinning 1.31.1, not from Istio's own release list (not found): the date given is "
             "1.31.0's. 1.30 ended ~2026-11-30. Kubernetes 1.32-1.36 (third-party table, unverified).")
      for chart, what in (("base", "base (CRDs, cluster roles)"), ("istiod", "control plane"),
                          ("cni", "node agent (istio-cni)"), ("ztunnel", "ztunnel (the ambient node proxy)"))),
    # --- images -------------------------------------------------------------------------------------------------
    Component(
        name="docker.io/jaegertracing/jaeger", kind=Kind.IMAGE, version="2.20.0", status=Status.ACTIVE,
        source="jaegertracing/jaeger@8498073 (HEAD, 2026-08-20), CHANGELOG.md v2.20.0; "
               "https://github.com/jaegertracing/jaeger/issues/8760; https://github.com/jaegertracing/jaeger/pull/8768",
        newest_release="v2.20.0", newest_release_date=date(2026, 7, 19), checked=CHECKED,
        note="Jaeger v2, active (monthly releases). 2.20.0 over the chart's 2.19.0: #8768 (in 2.20.0) fixes #8760, "
             "SigV4 signing of bodies against AWS OpenSearch; 2.20.0 also removed Elasticsearch 6 support and "
             "reworked the index rotation settings (rotation.periodic, used here)."),
    Component(
        name="quay.io/curl/curl", kind=Kind.IMAGE, version="8.21.0", status=Status.ACTIVE,
        source="curl/curl-container@96c8e58 (HEAD, 2026-07-01), tag 8.21.0 (2026-06-24), README",
        newest_release="8.21.0", newest_release_date=date(2026, 6, 24), checked=CHECKED,
        note="The curl project's official image (also docker.io/curlimages/curl), Alpine 3.24.1, user curl_user; "
             "the search setup Job's (--aws-sigv4). Newest tag in the snapshot; later tags not looked up."),
    Component(
        name="public.ecr.aws/aws-observability/aws-otel-collector", kind=Kind.IMAGE, version="v0.49.0",
        status=Status.ACTIVE,
        source="aws-observability/aws-otel-collector@ed0b1d5 (HEAD, 2026-07-16), README 'Supported Versions'; "
               "https://github.com/aws-observability/aws-otel-collector/releases/tag/v0.50.0",
        newest_release="v0.50.0", newest_release_date=date(2026, 8, 31), checked=CHECKED,
        version_unsupported_since=date(2026, 8, 31),
        note="ADOT is active; no deprecation or maintenance-mode notice found (README, issues, AWS pages). Its policy "
             "supports a release until the next minor: v0.49.0 ended with v0.50.0 (collector 0.158.0)."),
    *(Component(
        name=CLUSTER_AUTOSCALER_IMAGE_REPOSITORY, kind=Kind.IMAGE, version=tag, status=Status.ACTIVE,
        source="kubernetes/autoscaler@55c37cd (HEAD, 2026-08-22), cluster-autoscaler/README.md 'Schedule'",
        newest_release=f"cluster-autoscaler-{tag[1:]}", newest_release_date=released, checked=CHECKED,
        note=f"Newest {tag[1:5]} patch in the snapshot. Fixes are backported to the newest minor and three before it "
             f"(1.33-1.36 at the snapshot){extra}.")
      for tag, released, extra in (
          ("v1.33.6", date(2026, 7, 22), "; 1.33 drops out when 1.37 ships (not seen as of the check)"),
          ("v1.34.5", date(2026, 7, 22), ""),
          ("v1.35.2", date(2026, 7, 22), ""),
          ("v1.36.1", date(2026, 7, 22), ""))),
    # --- CRDs vendored into local charts ------------------------------------------------------------------------
    Component(
        name="kubernetes-sigs/gateway-api", kind=Kind.CRDS, version="v1.5.1", status=Status.ACTIVE,
        source="kubernetes-sigs/gateway-api@4564255 (HEAD, 2026-08-21); v1.5.1 = e7677b7 (2026-03-13)",
        newest_release="v1.6.1", newest_release_date=date(2026, 7, 16), checked=CHECKED,
        note="Kept at 1.5.1 on purpose: the Gateway API version NGINX Gateway Fabric 2.6.7 supports (1.6 goes with "
             "NGF 2.7). Standard channel."),
    Component(
        name="nginx/nginx-gateway-fabric", kind=Kind.CRDS, version="v2.6.7", status=Status.ACTIVE,
        source="nginx/nginx-gateway-fabric@e55bfe3 (HEAD, 2026-08-20); v2.6.7 = 5e34a17 (2026-07-15); "
               "https://github.com/nginx/nginx-gateway-fabric/pull/5925",
        newest_release="v2.7.2", newest_release_date=date(2026, 9, 15), checked=CHECKED,
        note="NGF's own CRDs (config/crd/bases) at the chart's version; move with the nginx-gateway-fabric chart."),
)

#: Components this project must never pin again.
RETIRED: tuple[RetiredComponent, ...] = (
    RetiredComponent(
        name="kubernetes/ingress-nginx", status=Status.RETIRED, since=date(2026, 3, 24),
        source="kubernetes/ingress-nginx@dbb11b9 (HEAD, 2026-03-20: README 'Ingress NGINX Retirement', last release "
               "helm-chart-4.15.1 / controller-v1.15.1 on 2026-03-19); "
               "https://kubernetes.io/blog/2025/11/11/ingress-nginx-retirement/; archived 2026-03-24: "
               "https://www.cloudmagazin.com/en/2026/06/24/ingress-nginx-is-discontinued-the-path-to-gateway-api/",
        successor="a Gateway API implementation (here NGINX Gateway Fabric)",
        charts={"ingress-nginx": ""},
        references=("kubernetes.github.io/ingress-nginx", "registry.k8s.io/ingress-nginx/")),
    RetiredComponent(
        name="Jaeger v1", status=Status.END_OF_LIFE, since=date(2025, 12, 31),
        source="https://github.com/jaegertracing/jaeger/issues/6321 (maintainers, 2024-12-07: v1 end of life "
               "2025-12-31, no v1 releases from 2026-01-01); https://github.com/jaegertracing/helm-charts/pull/660",
        successor="Jaeger v2 (image jaegertracing/jaeger, chart jaeger 4.0.0 or later), or OpenTelemetry to X-Ray",
        charts={"jaeger": "4.0.0"},
        references=("jaegertracing/all-in-one", "jaegertracing/jaeger-agent", "jaegertracing/jaeger-collector",
                    "jaegertracing/jaeger-query", "jaegertracing/jaeger-ingester")),
    RetiredComponent(
        name="AWS for Fluent Bit v2", status=Status.END_OF_LIFE, since=date(2026, 6, 30),
        source="https://github.com/aws/aws-for-fluent-bit/pull/1117 (README, merged 2026-04-21: v2 end of life "
               "2026-06-30 with Amazon Linux 2); https://github.com/aws/aws-for-fluent-bit/issues/1181; "
               "aws/eks-charts@2942cdc (chart 0.2.0 is the first on v3)",
        successor="AWS for Fluent Bit v3 (aws-for-fluent-bit chart 0.2.0 or later)",
        charts={"aws-for-fluent-bit": "0.2.0"}),
)


# --- what the project pins ------------------------------------------------------------------------------------------

def pinned_components(charts_dir: str | os.PathLike | None = None) -> tuple[Pinned, ...]:
    """Everything the library pins: each chart of :data:`~vtc_constructs.releases.DEFAULT_CHART_VERSIONS` (with its
    :data:`~vtc_constructs.releases.CHART_REPOSITORIES` entry), the ADOT collector image, each cluster autoscaler image,
    and the upstream tags the local charts under ``charts_dir`` vendor (default: the library's charts,
    :func:`~vtc_constructs.releases.default_charts_dir`)."""
    from . import releases  # here, not at the top: so that releases may one day import this module

    pins = []
    for key, version in releases.DEFAULT_CHART_VERSIONS.items():
        repository, chart = releases.CHART_REPOSITORIES.get(key, ("", key))  # none: the row's repository differs
        pins.append(Pinned(Kind.CHART, chart, version, repository, f"releases.DEFAULT_CHART_VERSIONS[{key!r}]"))
    for constant in ("ADOT_COLLECTOR_IMAGE", "JAEGER_IMAGE", "SEARCH_SETUP_IMAGE"):
        image = getattr(releases, constant)
        pins.append(Pinned(Kind.IMAGE, image[0], image[1], where=f"releases.{constant}"))
    pins += [Pinned(Kind.IMAGE, CLUSTER_AUTOSCALER_IMAGE_REPOSITORY, tag,
                    where=f"releases.CLUSTER_AUTOSCALER_IMAGES[{minor!r}]")
             for minor, tag in releases.CLUSTER_AUTOSCALER_IMAGES.items()]
    folder = Path(charts_dir) if charts_dir is not None else releases.default_charts_dir()
    pins += vendored_upstreams(folder)
    return tuple(pins)


_TREE_URL = re.compile(r"^https://github\.com/([\w.-]+/[\w.-]+)/tree/([^/\s]+)(?:/\S*)?$")


def chart_sources(chart_yaml: str) -> list[str]:
    """The items of the top-level ``sources:`` list of a ``Chart.yaml`` text (without a YAML parser: PyYAML is not
    a dependency of the library; the list is one URL a line, the form Helm documents)."""
    sources: list[str] = []
    inside = False
    for line in chart_yaml.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if re.match(r"^sources:\s*$", line):
            inside = True
            continue
        if inside:
            item = re.match(r"^\s*-\s+[\"']?([^\"'\s#]+)", line)
            if item is None:
                break
            sources.append(item.group(1))
    return sources


def is_vendoring_chart(chart_dir: Path) -> bool:
    """A local chart that carries upstream files: an ``upstream/`` or ``crds/`` folder, or a name ending in
    ``-crds``."""
    return (chart_dir / "Chart.yaml").is_file() and (
        (chart_dir / "upstream").is_dir() or (chart_dir / "crds").is_dir() or chart_dir.name.endswith("-crds"))


def vendored_upstreams(charts_dir: Path) -> list[Pinned]:
    """One :data:`Kind.CRDS` pin per GitHub ``tree/<tag>`` URL in the ``sources`` of each chart under
    ``charts_dir``: ``https://github.com/kubernetes-sigs/gateway-api/tree/v1.5.1/...`` is
    ``kubernetes-sigs/gateway-api`` at ``v1.5.1``, pinned where that ``Chart.yaml`` is."""
    pins = []
    for chart_yaml in sorted(Path(charts_dir).glob("*/Chart.yaml")):
        for url in chart_sources(chart_yaml.read_text()):
            match = _TREE_URL.match(url)
            if match:
                pins.append(Pinned(Kind.CRDS, match.group(1), match.group(2),
                                   where=f"charts/{chart_yaml.parent.name}/Chart.yaml"))
    return pins


def vendored_folder_problems(charts_dir: str | os.PathLike | None = None) -> list[Problem]:
    """A local chart that vendors upstream files (:func:`is_vendoring_chart`) but names no GitHub ``tree/<tag>``
    source: what it carries, at which version, would be unknown to :func:`pinned_components`."""
    if charts_dir is None:
        from .releases import default_charts_dir
        charts_dir = default_charts_dir()
    problems = []
    for chart_dir in sorted(p for p in Path(charts_dir).iterdir() if p.is_dir()):
        if is_vendoring_chart(chart_dir) and not any(
                _TREE_URL.match(url) for url in chart_sources((chart_dir / "Chart.yaml").read_text())):
            problems.append(Problem(
                f"charts/{chart_dir.name}/Chart.yaml.sources", chart_sources((chart_dir / "Chart.yaml").read_text()),
                "a GitHub URL of each vendored project at its tag, https://github.com/<owner>/<repo>/tree/<tag>/<path>",
                "list every upstream the chart carries under sources:, with the tag its files come from",
                "vendored upstream without a source"))
    return problems


def released_charts(stack_name: str, stack: Mapping) -> list[Pinned]:
    """Each ``helm_release`` of a synthesized stack that pulls a chart from a repository (local charts, whose chart
    is a path, are left out) as a chart pin."""
    releases = (stack.get("resource") or {}).get("helm_release") or {}
    return [Pinned(Kind.CHART, str(r.get("chart")), str(r.get("version") or ""), str(r.get("repository")),
                   f"{stack_name}.resource.helm_release.{rid}")
            for rid, r in sorted(releases.items()) if r.get("repository")]


# --- the checks -----------------------------------------------------------------------------------------------------

_SOURCE = re.compile(r"https?://\S+|\b[\w.-]+/[\w.-]+@\S+")


def status_problems(pinned: Iterable[Pinned], components: Sequence[Component] = COMPONENTS,
                    retired: Sequence[RetiredComponent] = RETIRED, *, as_of: date | None = None,
                    complete: bool = True) -> list[Problem]:
    """Every way ``pinned`` and ``components`` break the rules of this module (see its docstring); empty if none.

    :param as_of: default: the newest ``checked`` date in ``components`` (the result does not change with the
        calendar). A row checked more than :data:`MAX_STATUS_AGE_DAYS` days before it, or after it, is refused; pass
        ``date.today()`` to hold the table to the calendar.
    :param complete: default: ``pinned`` is everything the project pins, so a row that matches no pin is stale.
        ``False`` for a partial set (one stack's releases).

    A retired pin is reported as such (:func:`retired_problems`) and not also as lacking a row: it is to be replaced.
    """
    pinned = tuple(pinned)
    components = tuple(components)
    problems = retired_problems(pinned, retired)
    problems += _retired_table_problems(retired)
    for pin in pinned:
        if _retired_match(pin, retired) is None:  # a retired pin is to be replaced, not given a row
            problems += _row_problems(pin, components)
    if complete:
        keys = {(_kind_value(p.kind), p.name, p.version) for p in pinned}
        problems += [Problem(c.path, f"{_kind_value(c.kind)} {c.name} {c.version}",
                             "rows only for what the project pins", "remove the row, or update its version to the pin",
                             "row for nothing pinned")
                     for c in components if (_kind_value(c.kind), c.name, c.version) not in keys]
    dates = [c.checked for c in components if isinstance(c.checked, date)]
    reference = as_of if as_of is not None else max(dates, default=None)
    for c in components:
        problems += _component_problems(c, reference)
    return problems


def retired_problems(pinned: Iterable[Pinned], retired: Sequence[RetiredComponent] = RETIRED) -> list[Problem]:
    """Each pin that is, or publishes, a component of ``retired``."""
    problems = []
    for pin in pinned:
        gone = _retired_match(pin, retired)
        if gone is not None:
            problems.append(Problem(pin.where or f"{_kind_value(pin.kind)}.{pin.name}",
                                    f"{_kind_value(pin.kind)} {pin.name} {pin.version}".rstrip(),
                                    _NO_RETIRED, f"replace it with {_retired_why(gone)}", "retired component pinned"))
    return problems


def retired_in_stack(stack_name: str, stack: Mapping, retired: Sequence[RetiredComponent] = RETIRED
                     ) -> list[Problem]:
    """Each retired component a synthesized stack installs: a ``helm_release`` of a retired chart (by name and
    version, or by a reference in its repository), and any other mention of a retired component's references in
    the stack's text (an image in a release's values, a repository in a ``set``), once per component."""
    problems, reported = [], set()
    for pin in released_charts(stack_name, stack):
        gone = _retired_match(pin, retired)
        if gone is not None:
            reported.add(gone.name)
            problems.append(Problem(pin.where, f"chart {pin.name} {pin.version}", _NO_RETIRED,
                                    f"replace it with {_retired_why(gone)}", "retired component released"))
    text = json.dumps(stack, sort_keys=True)
    for gone in retired:
        found = [ref for ref in gone.references if ref in text]
        if found and gone.name not in reported:
            problems.append(Problem(stack_name, found, _NO_RETIRED, f"remove it; use {_retired_why(gone)}",
                                    "retired component in the synthesized stack"))
    return problems


def unsupported_version_problems(components: Sequence[Component] = COMPONENTS, *, as_of: date | None = None
                                 ) -> list[Problem]:
    """Each row whose pinned version upstream's support policy no longer covered on ``as_of`` (default: the newest
    ``checked`` date in ``components``)."""
    dates = [c.checked for c in components if isinstance(c.checked, date)]
    reference = as_of if as_of is not None else max(dates, default=None)
    return [Problem(f"{c.path}.version", c.version, f"a version upstream still supports (support for "
                    f"{c.version} ended by {c.version_unsupported_since})",
                    f"upgrade to {c.newest_release} or a release upstream supports, then re-check the row",
                    "pinned version out of upstream support")
            for c in components
            if c.version_unsupported_since is not None and reference is not None
            and c.version_unsupported_since <= reference]


def components_markdown(components: Sequence[Component] = COMPONENTS,
                        retired: Sequence[RetiredComponent] = RETIRED) -> str:
    """The tables of ``docs/components.md``: every row of ``components``, then ``retired``."""
    def cell(text: object) -> str:
        return str(text).replace("|", "\\|")

    lines = ["| kind | name | version | status | newest release seen | version support | source | checked | note |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for c in components:
        status = _kind_value(c.status) + (f" since {c.status_since}, successor: {c.successor}"
                                          if c.status_since else "")
        support = (f"ended by {c.version_unsupported_since}" if c.version_unsupported_since
                   else "covered / no stated end")
        lines.append("| " + " | ".join(cell(v) for v in (
            _kind_value(c.kind), f"`{c.name}`", f"`{c.version}`", status,
            f"{c.newest_release} ({c.newest_release_date})", support, c.source, c.checked, c.note)) + " |")
    lines += ["", "| retired | status | since | successor | refused charts | refused references | source |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in retired:
        charts = ", ".join(f"`{name}`" + (f" below {first}" if first else " (all versions)")
                           for name, first in r.charts.items()) or "-"
        refs = ", ".join(f"`{ref}`" for ref in r.references) or "-"
        lines.append("| " + " | ".join(cell(v) for v in (
            r.name, r.status.value, r.since, r.successor, charts, refs, r.source)) + " |")
    return "\n".join(lines) + "\n"


# --- helpers --------------------------------------------------------------------------------------------------------

def _kind_value(value: object) -> str:
    return value.value if isinstance(value, Enum) else str(value)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


_NO_RETIRED = "no retired or end-of-life component (vtc_constructs.components.RETIRED)"


def _retired_why(gone: RetiredComponent) -> str:
    return f"{gone.successor} ({gone.name}: {gone.status.value} since {gone.since}; {gone.source})"


def _retired_match(pin: Pinned, retired: Sequence[RetiredComponent]) -> RetiredComponent | None:
    for gone in retired:
        if _kind_value(pin.kind) == Kind.CHART.value and pin.name in gone.charts:
            first_ok = gone.charts[pin.name]
            if not first_ok or not pin.version or _version_key(pin.version) < _version_key(first_ok):
                return gone
        if any(ref in pin.name or ref in pin.repository for ref in gone.references):
            return gone
    return None


def _row_problems(pin: Pinned, components: tuple[Component, ...]) -> list[Problem]:
    kind = _kind_value(pin.kind)
    where = pin.where or f"{kind}.{pin.name}"
    rows = [c for c in components if (_kind_value(c.kind), c.name) == (kind, pin.name)]
    same = [c for c in rows if c.version == pin.version]
    if not rows:
        return [Problem(where, f"{kind} {pin.name} {pin.version}",
                        "a COMPONENTS row (vtc_constructs.components) for every pinned chart, image and CRD set",
                        "add a row: its upstream status, where that was read, the newest release seen and the day "
                        "checked", "no upstream status")]
    if not same:
        return [Problem(where, pin.version, f"the version of its COMPONENTS row ({', '.join(c.version for c in rows)})",
                        "read the new version's upstream status and update the row (version, source, newest release, "
                        "checked)", "pinned version has no status row")]
    if len(same) > 1:
        return [Problem(same[0].path, len(same), "exactly one row per pinned kind, name and version",
                        "merge the rows", "duplicate status rows")]
    row = same[0]
    if kind == Kind.CHART.value and pin.repository and row.repository != pin.repository:
        return [Problem(f"{row.path}.repository", row.repository, f"the pin's repository ({pin.repository})",
                        "a chart of another repository is another component: read its status and correct the row",
                        "repository differs")]
    return []


def _component_problems(c: Component, reference: date | None) -> list[Problem]:
    problems = []
    status = next((s for s in Status if c.status == s or c.status == s.value), None)
    if status is None:
        problems.append(Problem(f"{c.path}.status", c.status, ", ".join(s.value for s in Status),
                                "use one of the Status values", "unknown status"))
    elif status in REFUSED_STATUSES:
        problems.append(Problem(f"{c.path}.status", f"{status.value} since {c.status_since}",
                                "active, or deprecated and still supported upstream",
                                f"replace it with {c.successor or 'its successor'} and remove the row",
                                "retired upstream"))
    elif status is not Status.ACTIVE:
        if not isinstance(c.status_since, date):
            problems.append(Problem(f"{c.path}.status_since", c.status_since, "the date the status took effect",
                                    "give the date upstream announced it", "status without a date"))
        if not (isinstance(c.successor, str) and c.successor.strip()):
            problems.append(Problem(f"{c.path}.successor", c.successor, "what upstream recommends instead",
                                    "name the successor upstream recommends", "deprecated without a successor"))
    if not (isinstance(c.source, str) and _SOURCE.search(c.source)):
        problems.append(Problem(f"{c.path}.source", c.source, "a URL or owner/repo@ref of what was read",
                                "name where the status was read", "no source"))
    if not isinstance(c.checked, date):
        problems.append(Problem(f"{c.path}.checked", c.checked, "a date", "give the day the status was read",
                                "no checked date"))
    elif reference is not None:
        oldest = reference - timedelta(days=MAX_STATUS_AGE_DAYS)
        if c.checked < oldest:
            problems.append(Problem(f"{c.path}.checked", str(c.checked), f"{oldest} or later "
                                    f"({MAX_STATUS_AGE_DAYS} days before {reference})",
                                    "read the upstream status again and update the row", "status too old"))
        elif c.checked > reference:
            problems.append(Problem(f"{c.path}.checked", str(c.checked), f"{reference} or earlier",
                                    "correct the date", "checked in the future"))
    if isinstance(c.checked, date) and isinstance(c.newest_release_date, date) and c.newest_release_date > c.checked:
        problems.append(Problem(f"{c.path}.newest_release_date", str(c.newest_release_date),
                                f"{c.checked} or earlier (the day it was checked)", "correct the date",
                                "release seen after the check"))
    return problems


def _retired_table_problems(retired: Sequence[RetiredComponent]) -> list[Problem]:
    problems = []
    for r in retired:
        path = f"retired[{r.name}]"
        if r.status not in REFUSED_STATUSES:
            problems.append(Problem(f"{path}.status", r.status, "retired, end of life",
                                    "only list what upstream has retired or ended", "not retired"))
        if not isinstance(r.since, date):
            problems.append(Problem(f"{path}.since", r.since, "a date", "give the retirement date", "no date"))
        if not (isinstance(r.source, str) and _SOURCE.search(r.source)):
            problems.append(Problem(f"{path}.source", r.source, "a URL or owner/repo@ref", "name the source",
                                    "no source"))
        if not (r.charts or r.references):
            problems.append(Problem(path, r.name, "at least one chart name or reference to recognise it by",
                                    "add its chart names or image/repository references", "unrecognisable"))
    return problems


__all__ = ["CHECKED", "CLUSTER_AUTOSCALER_IMAGE_REPOSITORY", "COMPONENTS", "Component", "Kind", "MAX_STATUS_AGE_DAYS",
           "Pinned", "REFUSED_STATUSES", "RETIRED", "RetiredComponent", "Status", "chart_sources",
           "components_markdown", "is_vendoring_chart", "main", "pinned_components", "released_charts",
           "retired_in_stack", "retired_problems", "status_problems", "unsupported_version_problems", "vendored_folder_problems",
           "vendored_upstreams"]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m vtc_constructs.components``: print the tables of docs/components.md (:func:`components_markdown`)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m vtc_constructs.components",
        description="Print the tables of docs/components.md (every pinned chart, image and vendored CRD set with its "
                    "upstream status, source and the day it was checked, then the retired components), generated "
                    "from COMPONENTS and RETIRED in vtc_constructs/components.py: paste them into docs/components.md "
                    "in place of the old ones (tests/test_components.py checks that they match).",
        epilog="Exit status: 0 printed; 1 usage error.")
    try:
        parser.parse_args(argv)
    except SystemExit as exit_:  # (argparse's message is printed; a usage error is 1, as for the other commands)
        return 0 if exit_.code == 0 else 1
    print(components_markdown(), end="")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
