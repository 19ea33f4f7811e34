"""The inputs of :class:`~vtc_constructs.search.SearchDomain` and their validation, with the facts of Amazon
OpenSearch Service they are checked against (engine versions, TLS policy, instance types and their largest gp3
volumes, quotas). Re-exported by ``vtc_constructs.search``, where they were until issue 27.

Usage::

    from vtc_constructs import SearchDomainProps, SearchNetwork

    props = SearchDomainProps(name="vtc-staging", engine_version="OpenSearch_2.19",
                              network=SearchNetwork(vpc_id=..., subnet_ids=(...,), client_security_group_ids=(...,)),
                              master_user_role_arn="arn:aws:iam::111122223333:role/search-admin")
    props.validate()   # -> [] or every Problem, never an exception
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from .aws_rules import VPC_PRIVATE_RANGES, principal_arn_problems, tag_problems
from .errors import (Problem, classified, coerce_fields, is_list_reference, is_reference, is_string_tuple, is_whole,
                     not_a_list, shown, unresolved_problem)
from .network import LOG_RETENTION_DAYS
from .search_index import ism_problems


# --- what AWS offers, with where each fact comes from ----------------------------------------------------------------

#: Engine versions a new domain may use: OpenSearch 2.x and 3.x versions Amazon OpenSearch Service offers (its
#: ListVersions and "Supported versions" list as of April 2026: 3.5, 3.3, 3.1, 2.19, ... 2.3, 1.3 ... 1.0) whose
#: standard support has no announced end.
#: Ref: https://docs.aws.amazon.com/opensearch-service/latest/developerguide/what-is.html#choosing-version
#: (and https://endoflife.date/amazon-opensearch). Add a version when AWS releases it; move it to
#: :data:`OPENSEARCH_STANDARD_SUPPORT_ENDED` when AWS announces the end of its standard support and the date has come.
OPENSEARCH_ENGINE_VERSIONS = ("OpenSearch_2.11", "OpenSearch_2.13", "OpenSearch_2.15", "OpenSearch_2.17",
                              "OpenSearch_2.19", "OpenSearch_3.1", "OpenSearch_3.3", "OpenSearch_3.5")
#: Versions AWS still runs but whose standard support has ended (Extended Support, billed extra), with the date.
#: Ref: AWS Big Data Blog, "Amazon OpenSearch Service announces Standard and Extended Support dates for Elasticsearch
#: and OpenSearch versions", and the supported-versions page above.
OPENSEARCH_STANDARD_SUPPORT_ENDED = {f"OpenSearch_{v}": "2025-11-07" for v in ("1.0", "1.1", "1.2", "2.3", "2.5",
                                                                               "2.7", "2.9")}

#: The TLS policy of the HTTPS endpoint: TLS 1.2 or later with forward-secret ciphers only (the newest policy the AWS
#: provider 5.100.0 accepts: it checks the value against the AWS SDK's list, and `terraform validate` runs in
#: tests/test_search.py).
TLS_SECURITY_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10"
HTTPS_PORT = 443
DEDICATED_MASTER_COUNT = 3
#: gp3's free baseline, and what OpenSearch Service lets a gp3 volume be provisioned with below 3 TiB per volume
#: (EBS's gp3 rule on top: throughput at most a quarter of the IOPS, in MiB/s).
#: Ref: https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html#ebsresource
GP3_IOPS = (3000, 16000)
GP3_THROUGHPUT_MIBPS = (125, 1000)
EBS_MIN_GIB = 10
#: The log types published, and the last part of each one's log group name (as the AWS console names them).
LOG_TYPES = {"INDEX_SLOW_LOGS": "index-slow-logs", "SEARCH_SLOW_LOGS": "search-slow-logs",
             "ES_APPLICATION_LOGS": "application-logs", "AUDIT_LOGS": "audit-logs"}


def _sizes(family: str, gp3_max_gib: Mapping[str, int]) -> dict[str, int]:
    return {f"{family}.{size}.search": gib for size, gib in gp3_max_gib.items()}


_GRAVITON_M = {"large": 1024, "xlarge": 2048, "2xlarge": 3072, "4xlarge": 6144, "8xlarge": 12288, "12xlarge": 18432}
_GRAVITON_C = {"large": 256, "xlarge": 512, "2xlarge": 1024, "4xlarge": 1536, "8xlarge": 3072, "12xlarge": 4608}
_GRAVITON_R = {"large": 2048, "xlarge": 3072, "2xlarge": 6144, "4xlarge": 12288, "8xlarge": 16384, "12xlarge": 24576}

#: Data-node instance types this library knows, each with the largest gp3 volume OpenSearch Service allows on it (GiB;
#: the smallest is 10 GiB for all). Ref: "EBS volume size quotas",
#: https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html#ebsresource (T3, M5/M6g, C5/C6g,
#: R5/R6g rows, from the guide's archived source, awsdocs/amazon-opensearch-service-developer-guide). The
#: 7th-generation Graviton rows (M7g, C7g, R7g) are taken to equal the 6th-generation row of the same size: the
#: archived table predates them and the current one was not checked row by row, so a volume above AWS's real bound
#: would still be refused at apply. A type missing here is refused with the fix of adding it.
INSTANCE_TYPE_GP3_MAX_GIB: dict[str, int] = {
    "t3.small.search": 100, "t3.medium.search": 200,
    "m5.large.search": 1024, "m5.xlarge.search": 2048, "m5.2xlarge.search": 3072, "m5.4xlarge.search": 6144,
    "m5.12xlarge.search": 18432,
    "c5.large.search": 256, "c5.xlarge.search": 512, "c5.2xlarge.search": 1024, "c5.4xlarge.search": 1536,
    "c5.9xlarge.search": 3584, "c5.18xlarge.search": 7168,
    "r5.large.search": 2048, "r5.xlarge.search": 3072, "r5.2xlarge.search": 6144, "r5.4xlarge.search": 12288,
    "r5.12xlarge.search": 24576,
    **_sizes("m6g", _GRAVITON_M), **_sizes("m7g", _GRAVITON_M),
    **_sizes("c6g", _GRAVITON_C), **_sizes("c7g", _GRAVITON_C),
    **_sizes("r6g", _GRAVITON_R), **_sizes("r7g", _GRAVITON_R),
}
#: T3 types: no Auto-Tune, and not for dedicated master nodes here (AWS allows them as masters only for at most 10
#: data nodes and does not recommend them for production). Ref:
#: https://docs.aws.amazon.com/opensearch-service/latest/developerguide/supported-instance-types.html
BURSTABLE_PREFIX = "t3."
MAX_INSTANCES = 80  # instances per domain (adjustable quota; Ref: the limits page above)

_NAME = re.compile(r"^[a-z][a-z0-9-]{2,27}$")  # Ref: the createupdatedomains page: 3-28, a-z 0-9 -, a letter first
_KMS_KEY_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}$|"
                          r"^arn:(aws|aws-cn|aws-us-gov):kms:[a-z0-9-]+:\d{12}:key/mrk-[0-9a-f]{32}$")


# --- input -----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class SearchNetwork:
    """Where the domain lives and who may reach it.

    :param vpc_id: the VPC.
    :param subnet_ids: one private subnet per Availability Zone: 2 or 3 (zone awareness on, across that many AZs), or
        1 (a single-AZ domain).
    :param client_security_group_ids: the security groups admitted on 443 (the EKS nodes', which Fluent Bit's and
        Jaeger's pods use). At least one.
    :param reader_cidrs: default: none. Private IPv4 ranges also admitted on 443 (an engineer's VPN or bastion range),
        RFC 1918 or 100.64.0.0/10 only.
    """

    vpc_id: str
    subnet_ids: Sequence[str]
    client_security_group_ids: Sequence[str]
    reader_cidrs: Sequence[str] = ()

    def __post_init__(self):
        coerce_fields(self, tuples=("subnet_ids", "client_security_group_ids", "reader_cidrs"))

    def problems(self) -> list[Problem]:
        problems = []
        if not isinstance(self.vpc_id, str) or not self.vpc_id:
            problems.append(Problem("vpc_id", self.vpc_id, "the VPC's id (a string)", "pass network.vpc_id"))
        for name, of, example in (("subnet_ids", "subnet ids", "('subnet-1', 'subnet-2')"),
                                  ("client_security_group_ids", "security group ids", "('sg-1',)"),
                                  ("reader_cidrs", "CIDRs", "('10.99.0.0/24',)")):
            if not is_string_tuple(getattr(self, name)):
                problems.append(not_a_list(name, getattr(self, name), of, example))
        if problems:
            return problems
        # Each of these decides what is made at synth (zone awareness from the subnets' count, one security group
        # rule per client group and per CIDR): a whole list known only at apply is refused; items may be references.
        for name, why in (("subnet_ids", "the domain's zone awareness (1, 2 or 3 AZs) is set from their number"),
                          ("client_security_group_ids", "each gets a security group rule of its own"),
                          ("reader_cidrs", "each gets a security group rule of its own")):
            if is_list_reference(getattr(self, name)):
                problems.append(unresolved_problem(name, shown(getattr(self, name)), "a list known at synth (each item "
                                                   "may be a reference, e.g. subnet.id)", f"list the items: {why}"))
        if problems:
            return problems
        subnets = self.subnet_ids
        if not 1 <= len(subnets) <= 3:
            problems.append(Problem("subnet_ids", list(subnets), "1, 2 or 3 subnets, one per Availability Zone",
                                    "give one private subnet per AZ (OpenSearch spreads a domain over 2 or 3 AZs)",
                                    "wrong number of subnets"))
        elif len(set(subnets)) != len(subnets):
            problems.append(Problem("subnet_ids", list(subnets), "each subnet once (one per AZ)",
                                    "remove the repeated subnet", "repeated subnet"))
        if not self.client_security_group_ids:
            problems.append(Problem("client_security_group_ids", [], "at least one security group",
                                    "admit the EKS nodes' security group (cluster.node_security_group_id)",
                                    "no client may reach the domain"))
        problems += reader_cidr_problems(self.reader_cidrs)
        return problems


def reader_cidr_problems(cidrs: Sequence[str], path: str = "reader_cidrs") -> list[Problem]:
    """Each of ``cidrs`` an IPv4 CIDR inside private address space (a reference known only at apply passes)."""
    problems = []
    for index, cidr in enumerate(cidrs):
        if is_reference(cidr):
            continue
        try:
            network = ipaddress.IPv4Network(cidr, strict=True)
        except ValueError:
            problems.append(Problem(f"{path}[{index}]", cidr, "an IPv4 CIDR such as 10.99.0.0/24",
                                    "write the range as address/prefix, host bits zero", "not a CIDR"))
            continue
        if not any(network.subnet_of(private) for private in VPC_PRIVATE_RANGES):
            problems.append(Problem(f"{path}[{index}]", cidr, "a private range (10.0.0.0/8, 172.16.0.0/12, "
                                    "192.168.0.0/16, 100.64.0.0/10)", "admit the VPN's or bastion's private "
                                    "range; the domain is never reachable from the internet", "public range"))
    return problems


#: Terraform references (cdktf tokens) SearchDomainProps refuses, field by field: what the domain is named after,
#: sized from or checked against at synth (:func:`~vtc_constructs.errors.classified`).
_SYNTH_TIME_FIELDS = {
    "name": ("a literal name known at synth (3-28 characters)", "write it itself: the domain, its log groups and KMS "
             "alias are named after it"),
    "engine_version": ("a literal OpenSearch_X.Y", "write it itself: it is checked against the versions supported"),
    "instance_type": ("a literal instance type, e.g. 'r6g.large.search'", "write it itself: the volume's range "
                      "follows from it"),
    "instance_count": ("a literal whole number from 1 to 80, or none", "write it itself: it is checked for zone "
                       "awareness"),
    "dedicated_master_type": ("a literal instance type, or none", "write it itself: it is checked at synth"),
    **{name: ("a literal whole number", "write it itself: the volume's size, IOPS and throughput are checked against "
              "each other and the instance type at synth") for name in ("volume_gib", "volume_iops",
                                                                        "volume_throughput_mibps")},
    **{name: ("a literal whole number of days", "write it itself: the index policy is written from it at synth")
       for name in ("index_hot_days", "index_retention_days")},
}


@dataclass(frozen=True, kw_only=True)
class SearchDomainProps:
    """Input of :class:`SearchDomain`.

    :param name: the domain's name, and the prefix of every related name: 3-28 characters of a-z, 0-9 and '-', a letter
        first (OpenSearch Service's rule). Required when the construct is used alone; the platform sets it.
    :param engine_version: ``OpenSearch_X.Y``, one of :data:`OPENSEARCH_ENGINE_VERSIONS` (2.x or 3.x, in standard
        support). Required. Changing it upgrades the domain in place (blue/green); AWS never changes it by itself.
    :param network: :class:`SearchNetwork`. Required when the construct is used alone; the platform sets it.
    :param instance_type: default: ``r6g.large.search`` (memory-optimised Graviton, 16 GiB: log search is heap-bound).
        One of :data:`INSTANCE_TYPE_GP3_MAX_GIB`.
    :param instance_count: default: one data node per subnet (per AZ). With zone awareness (2 or 3 subnets), a
        multiple of the number of subnets; at most 80.
    :param dedicated_master_type: default: no dedicated master nodes (the data nodes elect a master among
        themselves: fine for one to a few nodes). An instance type (not T3) gives the domain three dedicated master
        nodes of that type: what a production domain should have.
    :param volume_gib: default: 100 GiB of gp3 per data node; 10 GiB up to the instance type's maximum.
    :param volume_iops: default: 3000 (gp3's free baseline); 3000-16000.
    :param volume_throughput_mibps: default: 125 MiB/s (gp3's free baseline); 125-1000, at most ``volume_iops / 4``.
    :param master_user_role_arn: the IAM role that is the fine-grained access control master user (full access; maps
        the other roles). Required: nothing else can administer the domain.
    :param writer_role_arns: default: none. IAM roles that write (Fluent Bit's and Jaeger's IRSA roles).
    :param reader_role_arns: default: none. IAM roles that search (engineers, through Dashboards).
    :param reader_cidrs: default: none. Private IPv4 ranges admitted on 443 beside ``network.reader_cidrs`` (the VPN's or
        a bastion's range, from which engineers reach Dashboards: docs/runbooks/log-search.md); how an environment file
        or the platform, which wire the network themselves, give them.
    :param log_retention_days: default: the domain's own logs (slow, error, audit) are kept 365 days.
    :param index_hot_days: default: an index stays writable ("hot") 7 days, then turns read-only and is force-merged
        (:func:`ism_policy`).
    :param index_retention_days: default: an index is deleted when 30 days old. At least ``index_hot_days``.
    :param disposable: default: False, the domain and its key are guarded (``prevent_destroy``). True drops the
        guards: for environments whose logs may be lost.
    :param kms_key_arn: default: the construct creates a customer-managed key (rotation on) for the domain and its log
        groups. A key ARN uses that key instead; its policy must let CloudWatch Logs use it for this domain's log
        groups (:func:`vtc_constructs._common.logs_statement`) and the deploy role create grants for OpenSearch.
    :param tags: default: none. Tags for every resource (beside the construct's ``vtc/search``).
    """

    name: str | None = None
    engine_version: str
    network: SearchNetwork | None = None
    instance_type: str = "r6g.large.search"
    instance_count: int | None = None
    dedicated_master_type: str | None = None
    volume_gib: int = 100
    volume_iops: int = GP3_IOPS[0]
    volume_throughput_mibps: int = GP3_THROUGHPUT_MIBPS[0]
    master_user_role_arn: str | None = None
    writer_role_arns: Sequence[str] = ()
    reader_role_arns: Sequence[str] = ()
    reader_cidrs: Sequence[str] = ()
    log_retention_days: int = 365
    index_hot_days: int = 7
    index_retention_days: int = 30
    disposable: bool = False
    kms_key_arn: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        coerce_fields(self, tuples=("writer_role_arns", "reader_role_arns", "reader_cidrs"))

    # --- derived -------------------------------------------------------------------------------------------------

    @property
    def availability_zone_count(self) -> int:
        """The number of subnets (one per AZ); zone awareness is on when it is 2 or 3."""
        return len(self.network.subnet_ids) if isinstance(self.network, SearchNetwork) else 0

    @property
    def zone_awareness(self) -> bool:
        return self.availability_zone_count > 1

    @property
    def data_node_count(self) -> int:
        """``instance_count``, or one data node per subnet."""
        return self.instance_count if self.instance_count is not None else max(self.availability_zone_count, 1)

    @property
    def free_storage_alarm_mib(self) -> int:
        """A quarter of one data node's volume, in MiB: AWS's recommended FreeStorageSpace threshold."""
        return self.volume_gib * 1024 // 4

    # --- validation ----------------------------------------------------------------------------------------------

    def validate(self) -> list[Problem]:
        """Every problem, each with its path, what is allowed and the fix. A Terraform reference is refused where
        computed from at synth (``_SYNTH_TIME_FIELDS``), accepted where only passed on (ARNs, log_retention_days)."""
        return classified(self, self._problems(), _SYNTH_TIME_FIELDS, {"log_retention_days": "number"})

    def _problems(self) -> list[Problem]:
        problems: list[Problem] = []
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            problems.append(Problem("name", self.name, "3-28 characters of a-z, 0-9 and '-', starting with a letter",
                                    "use a short lower-case name such as 'vtc-staging' (OpenSearch domain names are "
                                    "at most 28 characters)"))
        problems += engine_version_problems(self.engine_version)
        if not isinstance(self.network, SearchNetwork):
            problems.append(Problem("network", self.network, "a SearchNetwork",
                                    "pass SearchNetwork(vpc_id=..., subnet_ids=..., client_security_group_ids=...)",
                                    "not a SearchNetwork"))
        else:
            problems += [p.prefixed("network") for p in self.network.problems()]
        # The data-node count is checked against the AZs only when the subnets themselves are fine.
        subnets_ok = isinstance(self.network, SearchNetwork) and is_string_tuple(self.network.subnet_ids) and \
            not any(p.path == "network.subnet_ids" for p in problems)
        problems += self._cluster_problems(subnets_ok)
        problems += self._storage_problems()
        problems += self._principal_problems()
        if not is_string_tuple(self.reader_cidrs):
            problems.append(not_a_list("reader_cidrs", self.reader_cidrs, "CIDRs", "('10.99.0.0/24',)"))
        elif is_list_reference(self.reader_cidrs):
            problems.append(unresolved_problem("reader_cidrs", list(self.reader_cidrs), "a list known at synth (each "
                                               "item may be a reference)", "list the ranges: each gets a security "
                                               "group rule of its own"))
        else:
            problems += reader_cidr_problems(self.reader_cidrs)
        problems += self._retention_problems()
        if not isinstance(self.disposable, bool):
            problems.append(Problem("disposable", self.disposable, "true or false", "set disposable to a boolean"))
        if self.kms_key_arn is not None and not is_reference(self.kms_key_arn) and \
                not (isinstance(self.kms_key_arn, str) and _KMS_KEY_ARN.match(self.kms_key_arn)):
            problems.append(Problem("kms_key_arn", self.kms_key_arn, "a KMS key ARN (arn:aws:kms:<region>:<account>:"
                                    "key/<id>), or nothing for a key of the construct's own",
                                    "give the key's ARN (not an alias or a bare key id)", "not a KMS key ARN"))
        problems += tag_problems(self.tags)
        return problems

    def _cluster_problems(self, network_ok: bool) -> list[Problem]:
        problems = []
        known = ", ".join(sorted({t.split(".")[0] for t in INSTANCE_TYPE_GP3_MAX_GIB}))
        if not isinstance(self.instance_type, str) or self.instance_type not in INSTANCE_TYPE_GP3_MAX_GIB:
            problems.append(Problem("instance_type", self.instance_type, f"an OpenSearch instance type of the families "
                                    f"{known} (<family>.<size>.search)", "correct the type (or, if OpenSearch Service "
                                    "offers it, add it and its largest gp3 volume to vtc_constructs.search."
                                    "INSTANCE_TYPE_GP3_MAX_GIB)", "unknown instance type"))
        count = self.instance_count
        if count is not None and (not is_whole(count) or not 1 <= count <= MAX_INSTANCES):
            problems.append(Problem("instance_count", count, f"a whole number from 1 to {MAX_INSTANCES}, or nothing "
                                    "for one data node per subnet", "give the number of data nodes"))
        elif count is not None and network_ok and self.zone_awareness and count % self.availability_zone_count:
            azs = self.availability_zone_count
            problems.append(Problem("instance_count", count, f"a multiple of {azs}, the number of subnets (zone "
                                    f"awareness across {azs} AZs)", f"use {count + azs - count % azs} (or "
                                    f"{count - count % azs or azs}) data nodes, so every AZ holds as many",
                                    "data nodes not spread evenly over the AZs"))
        master = self.dedicated_master_type
        if master is not None:
            if not isinstance(master, str) or master not in INSTANCE_TYPE_GP3_MAX_GIB:
                problems.append(Problem("dedicated_master_type", master, f"an OpenSearch instance type of the families "
                                        f"{known}, or nothing for no dedicated masters", "correct the type, e.g. "
                                        "'m6g.large.search'", "unknown instance type"))
            elif master.startswith(BURSTABLE_PREFIX):
                problems.append(Problem("dedicated_master_type", master, "a non-burstable type (M, C or R family)",
                                        "use e.g. 'm6g.large.search': AWS does not recommend T3 master nodes for "
                                        "production", "burstable master nodes"))
        return problems

    def _storage_problems(self) -> list[Problem]:
        problems = []
        size, ceiling = self.volume_gib, INSTANCE_TYPE_GP3_MAX_GIB.get(str(self.instance_type))  # (a list: unhashable)
        if not is_whole(size) or size < EBS_MIN_GIB or (ceiling is not None and size > ceiling):
            allowed = f"{EBS_MIN_GIB} to {ceiling} GiB on {self.instance_type}" if ceiling else \
                f"at least {EBS_MIN_GIB} GiB, at most the instance type's gp3 maximum"
            problems.append(Problem("volume_gib", size, allowed, "size the volume within the instance type's range, "
                                    "or choose a larger instance type", "volume size out of range"))
        iops, throughput = self.volume_iops, self.volume_throughput_mibps
        if not is_whole(iops) or not GP3_IOPS[0] <= iops <= GP3_IOPS[1]:
            problems.append(Problem("volume_iops", iops, f"{GP3_IOPS[0]} to {GP3_IOPS[1]}",
                                    f"{GP3_IOPS[0]} is gp3's free baseline"))
        elif not is_whole(throughput) or not GP3_THROUGHPUT_MIBPS[0] <= throughput <= GP3_THROUGHPUT_MIBPS[1]:
            problems.append(Problem("volume_throughput_mibps", throughput,
                                    f"{GP3_THROUGHPUT_MIBPS[0]} to {GP3_THROUGHPUT_MIBPS[1]} MiB/s",
                                    f"{GP3_THROUGHPUT_MIBPS[0]} is gp3's free baseline"))
        elif throughput > iops // 4:
            problems.append(Problem("volume_throughput_mibps", throughput, f"at most volume_iops / 4 ({iops // 4})",
                                    f"raise volume_iops to at least {throughput * 4} or lower the throughput",
                                    "throughput above what the IOPS allow"))
        return problems

    def _principal_problems(self) -> list[Problem]:
        problems = []
        master = self.master_user_role_arn
        if master is None:
            problems.append(Problem("master_user_role_arn", None, "an IAM role ARN", "name the role that administers "
                                    "the domain (the security plugin's master user), e.g. an admin or CI role",
                                    "no master user"))
        elif not is_reference(master):
            problems += _role_problems([master], "master_user_role_arn", single=True)
        for name in ("writer_role_arns", "reader_role_arns"):
            roles = getattr(self, name)
            if not isinstance(roles, tuple):
                problems.append(not_a_list(name, roles, "IAM role ARNs", "(cluster.fluent_bit_role_arn,)"))
            elif is_list_reference(roles):
                problems.append(unresolved_problem(name, list(roles), "a list known at synth of IAM role ARNs (each "
                                                   "may be a reference, e.g. role.arn)", "list the roles: the domain's "
                                                   "access policy and role mappings name each one"))
            else:
                problems += _role_problems(roles, name)
        return problems

    def _retention_problems(self) -> list[Problem]:
        problems = []
        if not is_whole(self.log_retention_days) or self.log_retention_days not in LOG_RETENTION_DAYS:
            problems.append(Problem("log_retention_days", self.log_retention_days,
                                    f"one of CloudWatch's retention values {list(LOG_RETENTION_DAYS)}",
                                    "pick the nearest allowed value"))
        problems += ism_problems(self.index_hot_days, self.index_retention_days)
        return problems


def _role_problems(roles: Sequence[object], path: str, *, single: bool = False) -> list[Problem]:
    """IAM role ARNs: the shape of each (a reference known only at apply passes), roles not users, no repeats."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, arn in enumerate(roles):
        where = path if single else f"{path}[{index}]"
        if not isinstance(arn, str):
            problems.append(Problem(where, arn, "an IAM role ARN", "give the role's ARN as a string", "not a string"))
            continue
        if arn in seen:
            problems.append(Problem(where, arn, "each role at most once", f"remove the repeat of {path}[{seen[arn]}]",
                                    "repeated role"))
            continue
        seen[arn] = index
        if is_reference(arn):
            continue
        found = principal_arn_problems([arn], where)
        problems += [Problem(where, p.got, p.allowed, p.fix, p.what) for p in found]
        if not found and ":user/" in arn:
            problems.append(Problem(where, arn, "an IAM role ARN", "use a role (IRSA or SSO role), not an IAM user: "
                                    "users carry long-lived keys", "IAM user"))
    return problems


def engine_version_problems(version: object, path: str = "engine_version") -> list[Problem]:
    """An ``OpenSearch_X.Y`` engine version in :data:`OPENSEARCH_ENGINE_VERSIONS`, with the reason when not."""
    newest = OPENSEARCH_ENGINE_VERSIONS[-1]
    allowed = ", ".join(OPENSEARCH_ENGINE_VERSIONS)
    if isinstance(version, str) and version in OPENSEARCH_ENGINE_VERSIONS:  # (a list or a table is unhashable)
        return []
    if isinstance(version, str) and version in OPENSEARCH_STANDARD_SUPPORT_ENDED:
        return [Problem(path, version, allowed, f"use {newest} (or the newest 2.x, OpenSearch_2.19)",
                        f"standard support ended {OPENSEARCH_STANDARD_SUPPORT_ENDED[version]}")]
    if isinstance(version, str) and version.startswith("Elasticsearch_"):
        return [Problem(path, version, allowed, f"use {newest}", "legacy Elasticsearch engine")]
    if isinstance(version, str) and re.fullmatch(r"OpenSearch_1\.\d+", version):
        return [Problem(path, version, allowed, f"use {newest}: the platform's log shippers and Jaeger need 2.x or "
                        "3.x", "OpenSearch 1.x engine")]
    if isinstance(version, str) and re.fullmatch(r"OpenSearch_\d+\.\d+", version):
        return [Problem(path, version, allowed, f"use one of them (or, once OpenSearch Service offers {version}, add "
                        "it to vtc_constructs.search.OPENSEARCH_ENGINE_VERSIONS)", "engine version not offered")]
    return [Problem(path, version, f"OpenSearch_X.Y, one of {allowed}", f"write it as {newest!r}",
                    "malformed engine version")]
