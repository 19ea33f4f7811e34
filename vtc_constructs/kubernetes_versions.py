"""The EKS Kubernetes version policy, as data: each version's end of standard and of extended support, and what the
library makes of them.

Usage::

    from datetime import date
    from vtc_constructs.kubernetes_versions import kubernetes_version_findings

    problems, warnings = kubernetes_version_findings("1.33", today=date(2026, 12, 6), production=True,
                                                     extended_support=False)
    # problems: refused (1.33 left standard support on 2026-07-29 and the environment has not opted in)

The rules (each a :class:`~vtc_constructs.errors.Problem` in the usual ``path: what (got X); allowed: ...; fix: ...``
form, every one reported at once):

- a version EKS does not offer (not in :data:`EKS_KUBERNETES_VERSIONS`, or past its end of extended support, when
  EKS upgrades the control plane itself and creates no new cluster on it): refused, everywhere;
- a version past its end of standard support: refused in a production-tier environment unless it opts into extended
  support explicitly (``eks.support_type = "EXTENDED"``, billed per cluster-hour at six times the standard rate);
  otherwise (opted in, or not production) a warning that names the date extended support ends;
- a version within :data:`STANDARD_SUPPORT_WARNING_DAYS` days of its end of standard support: a warning, so that
  the upgrade (``docs/upgrading-kubernetes.md``) is planned before the date, not after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Mapping

from .errors import Problem


@dataclass(frozen=True)
class KubernetesVersionSupport:
    """One Kubernetes minor version on EKS: when EKS released it, and when its standard and extended support end
    (at the start of that day, UTC: EKS bills extended support from then)."""

    version: str
    eks_release: date
    end_of_standard_support: date
    end_of_extended_support: date


#: Where :data:`EKS_KUBERNETES_VERSIONS` comes from, and when it was last compared with it.
#: Ref: https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html#kubernetes-release-calendar
#: (the "Amazon EKS Kubernetes release calendar"; the same dates as ``aws eks describe-cluster-versions``).
CALENDAR_SOURCE = "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html#kubernetes-release-calendar"
CALENDAR_CHECKED = date(2026, 12, 6)

# Checked 2026-12-06 against the AWS release calendar (1.29-1.35 rows; 1.29-1.33 also in the calendar's source file
# awsdocs/amazon-eks-user-guide latest/ug/versioning/kubernetes-versions.adoc). 1.36: released on EKS 2026-06-02;
# its end dates are EKS's stated rule (14 months of standard, then 12 of extended support) from that date, as
# published for it (2027-08-02). Re-check this table whenever a version is added or a date nears:
# `aws eks describe-cluster-versions` prints the same dates (endOfStandardSupportDate, endOfExtendedSupportDate).
EKS_KUBERNETES_VERSIONS: Mapping[str, KubernetesVersionSupport] = {v.version: v for v in (
    KubernetesVersionSupport("1.29", date(2024, 1, 23), date(2025, 3, 23), date(2026, 3, 23)),
    KubernetesVersionSupport("1.30", date(2024, 5, 23), date(2025, 7, 23), date(2026, 7, 23)),
    KubernetesVersionSupport("1.31", date(2024, 9, 26), date(2025, 11, 26), date(2026, 11, 26)),
    KubernetesVersionSupport("1.32", date(2025, 1, 23), date(2026, 3, 23), date(2027, 3, 23)),
    KubernetesVersionSupport("1.33", date(2025, 5, 29), date(2026, 7, 29), date(2027, 7, 29)),
    KubernetesVersionSupport("1.34", date(2025, 10, 2), date(2026, 12, 2), date(2027, 12, 2)),
    KubernetesVersionSupport("1.35", date(2026, 1, 27), date(2027, 3, 27), date(2028, 3, 27)),
    KubernetesVersionSupport("1.36", date(2026, 6, 2), date(2027, 8, 2), date(2028, 8, 2)),
)}

#: A version this close to its end of standard support (days) is warned about: time to plan the next upgrade.
STANDARD_SUPPORT_WARNING_DAYS = 90

#: What extended support costs, for the messages. Ref: https://aws.amazon.com/eks/pricing/ (USD 0.10 per cluster-hour
#: in standard support, 0.60 in extended support: about USD 4,380 a year more per cluster).
EXTENDED_SUPPORT_COST = "billed per cluster-hour at six times the standard rate, USD 0.60 instead of 0.10"


def offered_versions(today: date) -> tuple[str, ...]:
    """The versions EKS offers on ``today`` (standard or extended support), oldest first."""
    return tuple(v.version for v in EKS_KUBERNETES_VERSIONS.values() if today < v.end_of_extended_support)


def standard_versions(today: date) -> tuple[str, ...]:
    """The versions in standard support on ``today``, oldest first."""
    return tuple(v.version for v in EKS_KUBERNETES_VERSIONS.values() if today < v.end_of_standard_support)


def offered_version_problems(version: object, today: date, path: str = "kubernetes_version") -> list[Problem]:
    """A version EKS offers on ``today``; the construct's own check, whatever the environment."""
    offered = offered_versions(today)
    support = EKS_KUBERNETES_VERSIONS.get(version) if isinstance(version, str) else None
    if support is None:
        return [Problem(path, version, ", ".join(offered), "pick a version EKS offers (the newest in standard "
                        "support for a new cluster); upgrade one minor version at a time",
                        "unsupported Kubernetes version")]
    if today >= support.end_of_extended_support:
        return [Problem(path, version, ", ".join(offered), f"EKS ended extended support for {version} on "
                        f"{support.end_of_extended_support.isoformat()} and upgrades such control planes itself: "
                        "upgrade one minor version at a time (docs/upgrading-kubernetes.md)",
                        "Kubernetes version past EKS extended support")]
    return []


def kubernetes_version_findings(version: object, *, today: date, production: bool, extended_support: bool,
                                path: str = "eks.kubernetes_version") -> tuple[list[Problem], list[Problem]]:
    """``(problems, warnings)`` for an environment's cluster on ``version`` on ``today`` (see the module).

    :param production: the environment is of the production tier.
    :param extended_support: the environment opted into extended support (``eks.support_type = "EXTENDED"``).
    :param path: where the version is set, for the messages.
    """
    offered = offered_version_problems(version, today, path)
    if offered:
        return offered, []
    support = EKS_KUBERNETES_VERSIONS[version]  # type: ignore[index]
    standard = ", ".join(standard_versions(today)) or \
        "none this library knows yet: add the newer versions to EKS_KUBERNETES_VERSIONS"
    ends = support.end_of_standard_support.isoformat()
    extended_ends = support.end_of_extended_support.isoformat()
    if today >= support.end_of_standard_support:
        if production and not extended_support:
            return [Problem(
                path, version, f"a version in EKS standard support ({standard}), or this one with extended "
                f"support chosen explicitly", f"upgrade one minor version at a time (docs/upgrading-kubernetes.md); "
                f"to stay on {version} until {extended_ends}, opt in with eks.support_type = \"EXTENDED\" "
                f"(extended support is {EXTENDED_SUPPORT_COST})",
                f"Kubernetes version past the end of EKS standard support on {ends}")], []
        cost = "extended support" if extended_support else "extended support if the cluster's support_type is " \
            "EXTENDED, else EKS upgrades the control plane itself"
        return [], [Problem(
            path, version, f"a version in EKS standard support ({standard})",
            f"upgrade one minor version at a time (docs/upgrading-kubernetes.md) before {extended_ends}, when "
            f"extended support ends; until then this cluster runs on {cost} (extended support is "
            f"{EXTENDED_SUPPORT_COST})",
            f"Kubernetes version past the end of EKS standard support on {ends}")]
    days_left = (support.end_of_standard_support - today).days
    if days_left <= STANDARD_SUPPORT_WARNING_DAYS:
        return [], [Problem(
            path, version, f"a version more than {STANDARD_SUPPORT_WARNING_DAYS} days from its end of standard "
            f"support", f"plan the upgrade to the next minor version (docs/upgrading-kubernetes.md): after {ends} "
            f"a production environment on {version} is refused unless it opts into extended support "
            f"(extended support is {EXTENDED_SUPPORT_COST})", f"EKS standard support for {version} ends on {ends}, in {days_left} days")]
    return [], []


__all__ = ["CALENDAR_CHECKED", "CALENDAR_SOURCE", "EKS_KUBERNETES_VERSIONS", "EXTENDED_SUPPORT_COST",
           "KubernetesVersionSupport", "STANDARD_SUPPORT_WARNING_DAYS", "kubernetes_version_findings",
           "offered_version_problems", "offered_versions", "standard_versions"]
