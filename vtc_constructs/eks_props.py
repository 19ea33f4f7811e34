"""The inputs of :class:`~vtc_constructs.eks.EksCluster` and their validation (re-exported by ``vtc_constructs.eks``).

Usage::

    from vtc_constructs import EksClusterProps, NodeGroupProps

    props = EksClusterProps(name="vtc-staging", kubernetes_version="1.36", network=network.cluster_network(),
                            node_groups=(NodeGroupProps(name="general", capacity_type="SPOT"),))
    props.validate()   # -> [] or every Problem, never an exception
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Mapping, Sequence

from .aws_rules import (
    addon_version_problems,
    instance_type_architecture,
    node_instance_type_problems,
    principal_arn_problems,
    public_access_cidr_problems,
)
from .contracts import ClusterNetwork, PRIVATE_NODE_ENDPOINTS  # noqa: F401  (re-exported: they were defined here)
from .kubernetes_versions import EKS_KUBERNETES_VERSIONS, offered_version_problems
from .errors import (Problem, classified, coerce_fields, enum_problem, is_list_reference, is_string_tuple, is_whole,
                     missing, not_a_list, shown, synth_time_problems, unresolved_problem)
from .network import LOG_RETENTION_DAYS

#: Kubernetes versions this library knows, with their support dates in
#: :data:`~vtc_constructs.kubernetes_versions.EKS_KUBERNETES_VERSIONS`; a cluster may use those EKS still offers on
#: the day of the synth (standard or extended support). Ref: https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html
SUPPORTED_KUBERNETES_VERSIONS = tuple(EKS_KUBERNETES_VERSIONS)

#: Every control-plane log type. Ref: https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html
CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")

#: The managed add-ons every cluster gets. Their versions come from props; an empty version lets EKS pick its
#: default for the cluster's Kubernetes version (never allowed in production: see environments/model.py).
ADDONS = ("vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent", "aws-ebs-csi-driver",
          "amazon-cloudwatch-observability")

_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
_GROUP_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_LABEL_KEY_RE = re.compile(r"^([a-z0-9.-]+/)?[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_LABEL_VALUE_RE = re.compile(r"^([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$")

#: The AL2023 AMI type of a managed node group, by the architecture of its instance types.
#: Ref: https://docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html (amiType)
AMI_TYPES = {"x86_64": "AL2023_x86_64_STANDARD", "arm64": "AL2023_ARM_64_STANDARD"}


def node_ami_type(instance_types) -> str:
    """``AL2023_ARM_64_STANDARD`` for Graviton types, ``AL2023_x86_64_STANDARD`` otherwise (one group has one
    architecture: :meth:`NodeGroupProps.validate` checks it)."""
    architectures = [instance_type_architecture(t) for t in instance_types]
    return AMI_TYPES["arm64" if "arm64" in architectures else "x86_64"]


class CapacityType(str, Enum):
    ON_DEMAND = "ON_DEMAND"
    SPOT = "SPOT"


class DesiredSizeOwner(str, Enum):
    """Who sets a node group's desired size after creation."""

    TERRAFORM = "terraform"
    """Terraform: every deploy resets the desired size to the configured value."""

    AUTOSCALER = "autoscaler"
    """The cluster autoscaler: Terraform sets it once and then ignores it (``lifecycle.ignore_changes``)."""


class SupportType(str, Enum):
    """What EKS does when the cluster's Kubernetes version leaves standard support.
    Ref: https://docs.aws.amazon.com/eks/latest/userguide/view-upgrade-policy.html"""

    STANDARD = "STANDARD"
    """Upgrade the control plane to the next version automatically at the end of standard support (no extra cost)."""

    EXTENDED = "EXTENDED"
    """Stay on the version for up to 12 more months of extended support, billed per cluster-hour at six times the
    standard rate (USD 0.60 instead of 0.10: https://aws.amazon.com/eks/pricing/). The explicit opt-in a
    production-tier environment needs to stay on a version past its end of standard support
    (:mod:`vtc_constructs.kubernetes_versions`)."""


#: An EKS optimized AMI release: ``<kubernetes version>.<patch>-<date>`` (``1.33.0-20250704``).
#: Ref: https://docs.aws.amazon.com/eks/latest/userguide/eks-linux-ami-versions.html
_RELEASE_VERSION_RE = re.compile(r"^(\d+\.\d+)\.\d+-\d{8}$")


class TaintEffect(str, Enum):
    NO_SCHEDULE = "NO_SCHEDULE"
    NO_EXECUTE = "NO_EXECUTE"
    PREFER_NO_SCHEDULE = "PREFER_NO_SCHEDULE"


@dataclass(frozen=True, kw_only=True)
class Taint:
    """A Kubernetes taint on every node of a group. ``effect``: default ``NO_SCHEDULE``; its value
    (``"NO_EXECUTE"``) is accepted too. ``value``: default empty."""

    key: str
    value: str = ""
    effect: TaintEffect = TaintEffect.NO_SCHEDULE

    def __post_init__(self):
        coerce_fields(self, enums={"effect": TaintEffect})

    def validate(self) -> list[Problem]:
        """Every problem. A Terraform reference is accepted in ``key`` and ``value`` (only passed on to the node
        group), refused in ``effect`` (the member is chosen at synth)."""
        problems = []
        if not isinstance(self.effect, TaintEffect):
            problems.append(enum_problem("effect", self.effect, TaintEffect, "pick one of the taint effects"))
        if not isinstance(self.key, str) or not _LABEL_KEY_RE.match(self.key):
            problems.append(Problem("key", self.key, "a Kubernetes label-style key", "rename the taint key"))
        if not isinstance(self.value, str) or not _LABEL_VALUE_RE.match(self.value):
            problems.append(Problem("value", self.value, "a label value: up to 63 of A-Z a-z 0-9 - _ ., or empty",
                                    "correct the taint's value"))
        return classified(self, problems, {"effect": ("NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE, written out",
                                                      "write the effect itself")}, {"key": "string", "value": "string"})


#: Terraform references (cdktf tokens) NodeGroupProps refuses, field by field (errors.classified).
_GROUP_SYNTH_TIME_FIELDS = {
    "name": ("a literal name known at synth", "write the name itself: the node group and its launch template are "
             "named after it"),
    "instance_types": ("a literal list of EC2 instance types", "list the types themselves: the AMI type is chosen "
                       "from them at synth"),
    "capacity_type": ("ON_DEMAND or SPOT, written out", "write the capacity type itself"),
    "desired_size_owner": ("terraform or autoscaler, written out", "write the owner itself: it decides at synth "
                           "whether Terraform sets the desired size"),
    "min_size": ("a literal whole number >= 0", "write the number itself: the sizes are checked against each other "
                 "at synth (min_size <= desired_size <= max_size)"),
    "desired_size": ("a literal whole number >= 0", "write the number itself: the sizes are checked against each "
                     "other at synth (min_size <= desired_size <= max_size)"),
    "max_size": ("a literal whole number >= 1", "write the number itself: the sizes are checked against each other "
                 "at synth (min_size <= desired_size <= max_size)"),
    "release_version": ("a literal EKS AMI release, or none for the latest", "write the release itself: it is "
                        "checked against the cluster's Kubernetes version at synth"),
    "taints": ("a literal list of Taint", "list the taints themselves: each is checked at synth"),
}


@dataclass(frozen=True, kw_only=True)
class NodeGroupProps:
    """One managed node group.

    :param name: short name, unique in the cluster (it is part of the construct ID: renaming replaces the group).
    :param instance_types: default: ``("m6i.large",)``. Types of :data:`~vtc_constructs.aws_rules.EKS_NODE_INSTANCE_TYPES`,
        all of one architecture; Graviton (arm64) types get the arm64 AL2023 AMI.
    :param capacity_type: default: on-demand. ``CapacityType.SPOT``; its value ``"SPOT"`` works at run time too.
    :param min_size: default: 2. :param desired_size: default: 3. :param max_size: default: 6.
    :param desired_size_owner: default: Terraform owns the desired size. ``AUTOSCALER`` hands it to the cluster
        autoscaler after creation (Terraform then ignores it).
    :param disk_size_gib: default: 50 GiB root volume (gp3, always encrypted).
    :param labels: default: none besides ``vtc/node-group=<name>``.
    :param taints: default: none.
    :param release_version: default: the latest AMI release for the cluster's Kubernetes version when the group is
        created or its version changes (nodes always run the control plane's version: raising
        ``kubernetes_version`` rolls them onto the new version's AMI after the control plane). Give an AMI release of
        that version (``1.33.0-20250704``, of the form ``<version>.<patch>-<date>``) to roll the group onto it, e.g.
        for a security fix; it must be raised with ``kubernetes_version``.
    """

    name: str
    instance_types: Sequence[str] = ("m6i.large",)
    capacity_type: CapacityType = CapacityType.ON_DEMAND
    min_size: int = 2
    desired_size: int = 3
    max_size: int = 6
    desired_size_owner: DesiredSizeOwner = DesiredSizeOwner.TERRAFORM
    disk_size_gib: int = 50
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: Sequence[Taint] = ()
    release_version: str | None = None

    def __post_init__(self):
        coerce_fields(self, enums={"capacity_type": CapacityType, "desired_size_owner": DesiredSizeOwner},
                      tuples=("instance_types", "taints"))

    def validate(self) -> list[Problem]:
        """Every problem. A Terraform reference is refused where the group is named, counted or checked at synth
        (``_GROUP_SYNTH_TIME_FIELDS``), accepted in ``disk_size_gib`` (only passed on to the launch template)."""
        return classified(self, self._problems(), _GROUP_SYNTH_TIME_FIELDS, {"disk_size_gib": "number"})

    def _problems(self) -> list[Problem]:
        problems: list[Problem] = []
        if not isinstance(self.name, str) or not _GROUP_NAME_RE.match(self.name):
            problems.append(Problem("name", self.name, "1-20 characters of a-z, 0-9 and '-', starting with a letter",
                                    "use a short name such as 'general'"))
        problems += node_instance_type_problems(self.instance_types)
        if not isinstance(self.capacity_type, CapacityType):
            problems.append(enum_problem("capacity_type", self.capacity_type, CapacityType,
                                         "pick one of the allowed capacity types"))
        if not isinstance(self.desired_size_owner, DesiredSizeOwner):
            problems.append(enum_problem("desired_size_owner", self.desired_size_owner, DesiredSizeOwner,
                                         "say who owns the desired size"))
        sizes = {k: getattr(self, k) for k in ("min_size", "desired_size", "max_size")}
        bad_sizes = [k for k, v in sizes.items() if not is_whole(v) or v < 0]
        for key in bad_sizes:
            problems.append(Problem(key, sizes[key], "a whole number >= 0", f"set {key} to a node count"))
        if not bad_sizes:
            if not sizes["min_size"] <= sizes["desired_size"] <= sizes["max_size"]:
                problems.append(Problem("desired_size", sizes, "min_size <= desired_size <= max_size",
                                        "raise max_size or lower min_size so desired_size fits between them",
                                        "sizes out of order"))
            if sizes["max_size"] < 1:
                problems.append(Problem("max_size", sizes["max_size"], ">= 1", "allow at least one node"))
        if not is_whole(self.disk_size_gib) or not 20 <= self.disk_size_gib <= 16384:
            problems.append(Problem("disk_size_gib", self.disk_size_gib, "20 to 16384 GiB",
                                    "20 GiB is the smallest root volume the EKS AMIs boot from"))
        problems += self._label_problems()
        release = self.release_version
        if release is not None and (not isinstance(release, str) or not _RELEASE_VERSION_RE.match(release)):
            problems.append(Problem("release_version", release, "an EKS AMI release such as 1.33.0-20250704",
                                    "copy the release from the EKS AMI release notes, or leave it out for the "
                                    "latest", "not an AMI release"))
        if not isinstance(self.taints, (tuple, list)):
            problems.append(Problem("taints", self.taints, "a list of Taint", "give a list, e.g. "
                                    "(Taint(key='dedicated', value='api'),)", "not a list"))
        else:
            for i, taint in enumerate(self.taints):
                if isinstance(taint, Taint):
                    problems += [p.prefixed(f"taints[{i}]") for p in taint.validate()]
                else:
                    problems.append(Problem(f"taints[{i}]", taint, "a Taint(key=..., value=..., effect=...)",
                                            "build the taint with vtc_constructs.Taint", "not a taint"))
        return problems

    def _label_problems(self) -> list[Problem]:
        if not isinstance(self.labels, Mapping):
            return [Problem("labels", self.labels, "a table of label keys to string values",
                            "give the labels as a table, e.g. {'workload': 'api'}", "not a table")]
        problems = []
        for key, value in self.labels.items():
            if not isinstance(key, str) or not _LABEL_KEY_RE.match(key) or key.startswith("kubernetes.io/"):
                problems.append(Problem(f"labels.{key}", value, "a Kubernetes label key outside kubernetes.io/",
                                        "rename the label"))
            elif not isinstance(value, str) or not _LABEL_VALUE_RE.match(value):
                problems.append(Problem(f"labels.{key}", value, "a label value: up to 63 of A-Z a-z 0-9 - _ ., "
                                        "starting and ending with a letter or digit", "correct the label's value"))
        return problems


#: What EksCluster computes from or must check at synth, each with what is allowed and how to fix a Terraform
#: reference in it.
_SYNTH_TIME_FIELDS = {
    "name": ("a literal name known at synth (3-32 characters of a-z, 0-9 and '-')",
             "write the name itself: it is part of every role, log group and security group name"),
    "kubernetes_version": ("a literal version known at synth, e.g. '1.33'",
                           "write the version itself: the add-ons and AMIs are chosen for it at synth"),
    "endpoint_public_access_cidrs": ("a literal list of public IPv4 CIDRs known at synth",
                                     "list the ranges themselves: the library checks at synth that the API endpoint "
                                     "is not opened to the internet (0.0.0.0/0 or ranges broader than /16)"),
    "secrets_prefix": ("a literal Secrets Manager name prefix ending with '/'",
                       "write the prefix itself: external-secrets' IAM policy is scoped to it at synth"),
}


@dataclass(frozen=True, kw_only=True)
class EksClusterProps:
    """Input of :class:`EksCluster`.

    :param name: the cluster's name, also the prefix of every role and log group. Required when the construct is used alone; :class:`~vtc_constructs.platform.VisionToCodePlatform` sets it.
    :param kubernetes_version: a version EKS offers on the day of the synth (:data:`SUPPORTED_KUBERNETES_VERSIONS`,
        not past its end of extended support). Required: upgrades are deliberate, one minor version at a time
        (``docs/upgrading-kubernetes.md``).
    :param network: the VPC facts (``Network.cluster_network()``). Required when the construct is used alone; :class:`~vtc_constructs.platform.VisionToCodePlatform` sets it.
    :param node_groups: at least one. Required.
    :param admin_principal_arns: default: none. IAM roles or users (not STS session ARNs, each may be a reference such
        as ``role.arn``; the list itself is known at synth: one access entry each) given cluster-admin through
        access entries, each once.
    :param endpoint_public_access_cidrs: default: the API endpoint is private only. Listing CIDRs opens the public
        endpoint to exactly those ranges: public IPv4 ranges of /16 or narrower (never 0.0.0.0/0, nor broad ranges
        that add up to it), at most 40 (EKS's quota).
    :param control_plane_log_types: default: all five types.
    :param log_retention_days: default: control-plane logs are kept 365 days.
    :param container_log_retention_days: default: as long as ``log_retention_days``. How long the container log
        groups Fluent Bit writes to (``/aws/eks/<name>/containers/application`` and ``.../add-ons``) keep events:
        one of CloudWatch's retention values.
    :param addon_versions: default: EKS's default version of every add-on in :data:`ADDONS` for the cluster's
        version. Map an add-on to a version (``v1.19.6-eksbuild.1``) to pin it; kube-proxy and CoreDNS must be
        built for ``kubernetes_version``.
    :param secrets_prefix: default: ``<name>/``. The Secrets Manager name prefix external-secrets may read; it ends
        with ``/``, so that one environment's prefix is never the start of another environment's secret names.
    :param support_type: default: ``STANDARD``, EKS upgrades the control plane when its version leaves standard
        support, at no extra cost (until issue 12, EKS's own default applied: extended support, billed).
        ``SupportType.EXTENDED`` (its value works at run time too) keeps the version 12 more months, billed per
        cluster-hour at six times the standard rate (USD 0.60, not 0.10); a production-tier environment past standard
        support must choose it explicitly (environments/model.py refuses it otherwise).
    """

    name: str | None = None
    kubernetes_version: str
    network: ClusterNetwork | None = None
    node_groups: Sequence[NodeGroupProps]
    admin_principal_arns: Sequence[str] = ()
    endpoint_public_access_cidrs: Sequence[str] = ()
    control_plane_log_types: Sequence[str] = CONTROL_PLANE_LOG_TYPES
    log_retention_days: int = 365
    container_log_retention_days: int | None = None
    addon_versions: Mapping[str, str] = field(default_factory=dict)
    secrets_prefix: str | None = None
    support_type: SupportType = SupportType.STANDARD

    def __post_init__(self):
        coerce_fields(self, tuples=("node_groups", "admin_principal_arns", "endpoint_public_access_cidrs",
                                    "control_plane_log_types"), enums={"support_type": SupportType})

    @property
    def endpoint_public_access(self) -> bool:
        return bool(self.endpoint_public_access_cidrs)

    def validate(self, *, check_network: bool = True) -> list[Problem]:
        """Every problem; ``check_network=False`` skips the checks against ``network`` (for a caller that has
        already reported the network itself as invalid, so that one mistake is not reported twice)."""
        # Tokens: what EksCluster computes from or must check at synth is refused (_SYNTH_TIME_FIELDS); ids and ARNs
        # it only passes on (network ids and subnets, admin principals' ARNs) are accepted and checked no further.
        problems, refused = synth_time_problems(self, _SYNTH_TIME_FIELDS)
        if "name" not in refused and (not isinstance(self.name, str) or not _NAME_RE.match(self.name)):
            problems.append(Problem("name", self.name, "3-32 characters of a-z, 0-9 and '-', starting with a letter",
                                    "use a short lower-case name such as 'vtc-staging'"))
        if "kubernetes_version" not in refused:
            problems += offered_version_problems(self.kubernetes_version, date.today())
        if not isinstance(self.network, ClusterNetwork):
            problems.append(Problem("network", self.network, "a ClusterNetwork", "pass network.cluster_network()",
                                    "not a ClusterNetwork"))
        elif check_network:
            type_problems = [p.prefixed("network") for p in self.network.type_problems()]
            problems += type_problems or self._network_problems()
        problems += self._node_group_problems()
        if is_list_reference(self.admin_principal_arns):
            problems.append(unresolved_problem(
                "admin_principal_arns", shown(self.admin_principal_arns), "a list known at synth of IAM role or user "
                "ARNs (each may be a reference, e.g. role.arn)", "list the principals: each gets an access entry of "
                "its own, so their number must be known at synth"))
        else:
            problems += principal_arn_problems(self.admin_principal_arns)
        if "endpoint_public_access_cidrs" not in refused:
            problems += public_access_cidr_problems(self.endpoint_public_access_cidrs)
        logs = self.control_plane_log_types
        if not is_string_tuple(logs) or not logs or any(t not in CONTROL_PLANE_LOG_TYPES for t in logs) \
                or len(set(logs)) != len(logs):
            problems.append(Problem("control_plane_log_types", list(logs) if isinstance(logs, tuple) else logs,
                                    f"a non-empty subset of {list(CONTROL_PLANE_LOG_TYPES)}, each once",
                                    "fix the log types"))
        if not is_whole(self.log_retention_days) or self.log_retention_days not in LOG_RETENTION_DAYS:
            problems.append(Problem("log_retention_days", self.log_retention_days,
                                    f"one of CloudWatch's retention values {list(LOG_RETENTION_DAYS)}",
                                    "pick the nearest allowed value"))
        retention = self.container_log_retention_days
        if retention is not None and (not is_whole(retention) or retention not in LOG_RETENTION_DAYS):
            problems.append(Problem("container_log_retention_days", retention,
                                    f"one of CloudWatch's retention values {list(LOG_RETENTION_DAYS)}",
                                    "pick the nearest allowed value, or leave it out to keep container logs as long "
                                    "as the control-plane logs"))
        problems += self._addon_problems()
        if "secrets_prefix" not in refused and self.secrets_prefix is not None and (
                not isinstance(self.secrets_prefix, str) or
                                                not re.match(r"^[A-Za-z0-9/_+=.@-]{0,255}/$", self.secrets_prefix)):
            problems.append(Problem("secrets_prefix", self.secrets_prefix, "a Secrets Manager name prefix "
                                    "(A-Z a-z 0-9 / _ + = . @ -) ending with '/'",
                                    "use e.g. 'my-service/': without the final '/', 'my-service' would also "
                                    "match another environment's 'my-service-2/...' secrets"))
        if not isinstance(self.support_type, SupportType):
            problems.append(enum_problem("support_type", self.support_type, SupportType,
                                         "STANDARD upgrades at the end of standard support; EXTENDED is billed"))
        return missing(self, problems)

    def _version_offered(self) -> bool:
        return not offered_version_problems(self.kubernetes_version, date.today())

    def _node_group_problems(self) -> list[Problem]:
        groups = self.node_groups
        if not isinstance(groups, tuple):
            return [Problem("node_groups", groups, "a list of NodeGroupProps", "give a list, e.g. "
                            "(NodeGroupProps(name='general'),)", "not a list")]
        if not groups:
            return [Problem("node_groups", [], "at least one node group", "add a node group", "no nodes")]
        problems = []
        names = [g.name for g in groups if isinstance(g, NodeGroupProps) and isinstance(g.name, str)]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(Problem("node_groups", names, "unique names", f"rename one of the '{name}' groups",
                                    "repeated node group"))
        for index, group in enumerate(groups):
            if not isinstance(group, NodeGroupProps):
                problems.append(Problem(f"node_groups[{index}]", group, "a NodeGroupProps",
                                        "build each group with vtc_constructs.NodeGroupProps", "not a node group"))
                continue
            prefix = f"node_groups.{group.name}" if isinstance(group.name, str) else f"node_groups[{index}]"
            own = group.validate()
            problems += [p.prefixed(prefix) for p in own]
            release = group.release_version
            if release is not None and not any(p.path == "release_version" for p in own) and \
                    self._version_offered() and \
                    _RELEASE_VERSION_RE.match(release).group(1) != self.kubernetes_version:
                problems.append(Problem(f"{prefix}.release_version", release,
                                        f"an AMI release of Kubernetes {self.kubernetes_version} "
                                        f"({self.kubernetes_version}.<patch>-<date>)",
                                        "raise the AMI release with kubernetes_version, or leave it out for the "
                                        "latest", "AMI of another Kubernetes version"))
        return problems

    def _addon_problems(self) -> list[Problem]:
        if not isinstance(self.addon_versions, Mapping):
            return [Problem("addon_versions", self.addon_versions, "a table of add-on names to versions",
                            "give a table, e.g. {'vpc-cni': 'v1.19.6-eksbuild.1'}", "not a table")]
        problems = []
        # Against an unsupported version, only the version is reported (one mistake, one problem).
        kubernetes = self.kubernetes_version if self._version_offered() else None
        for addon, version in self.addon_versions.items():
            if addon not in ADDONS:
                problems.append(Problem(f"addon_versions.{addon}", version, ", ".join(ADDONS),
                                        "remove the entry or correct the add-on's name", "unknown add-on"))
            else:
                problems += addon_version_problems(addon, version, kubernetes)
        return problems

    def _network_problems(self) -> list[Problem]:
        net = self.network
        problems = []
        if not (net.dns_support and net.dns_hostnames):
            problems.append(Problem("network.dns_support", {"dns_support": net.dns_support,
                                                            "dns_hostnames": net.dns_hostnames},
                                    "both on", "enable DNS support and DNS hostnames on the VPC; the private API "
                                    "endpoint resolves only inside a VPC with both",
                                    "private endpoint without VPC DNS"))
        missing = [e for e in PRIVATE_NODE_ENDPOINTS if e not in net.interface_endpoints]
        if not net.subnets_have_nat_route and missing:
            problems.append(Problem("network.subnets_have_nat_route", False,
                                    "a NAT route, or interface endpoints for " + ", ".join(PRIVATE_NODE_ENDPOINTS),
                                    f"route the node subnets through NAT or add endpoints for {', '.join(missing)}",
                                    "nodes cannot reach AWS"))
        # A whole list known only at apply (DataAwsSubnets(...).ids): its length is EKS's to check then.
        if not is_list_reference(net.subnet_ids) and len(net.subnet_ids) < 2:
            problems.append(Problem("network.subnet_ids", list(net.subnet_ids), "subnets in at least 2 AZs",
                                    "EKS requires subnets in two Availability Zones", "too few subnets"))
        return problems
