"""SearchDomain: Amazon OpenSearch Service for searchable logs and traces, private, encrypted, IAM-only.

Usage::

    from vtc_constructs.search import SearchDomain, SearchDomainProps, SearchNetwork

    search = SearchDomain(self, "search", SearchDomainProps(
        name="vtc-production",                       # the domain's name: 3-28 of a-z, 0-9 and '-'
        engine_version="OpenSearch_2.19",
        network=SearchNetwork(vpc_id=network.vpc_id, subnet_ids=tuple(network.private_subnet_ids),
                              client_security_group_ids=(cluster.node_security_group_id,)),
        instance_type="r6g.large.search", instance_count=3, dedicated_master_type="m6g.large.search",
        volume_gib=200,
        master_user_role_arn="arn:aws:iam::111122223333:role/search-admin",
        writer_role_arns=(cluster.fluent_bit_role_arn,), reader_role_arns=(...,),
    ))
    search.search_domain_endpoint, search.search_domain_arn, search.search_alarms
    search.search_ism_policy("vtc-logs", ["logs-*"])   # the index lifecycle, to PUT from the cluster side

Fixed, not optional (each a property of the domain, none offered as a prop):

- **Network**: the domain lives in the VPC only (``vpc_options``; an OpenSearch domain in a VPC has no public
  endpoint, and OpenSearch Dashboards is served at the same private endpoint, ``/_dashboards``). Its security group
  admits TCP 443 from the given client security groups (the EKS nodes: Fluent Bit's and Jaeger's pods) and from the
  given private CIDRs (an engineer's VPN or bastion range), nothing else, and has no egress rule at all (OpenSearch
  initiates nothing towards the clients; Terraform removes AWS's default allow-all egress rule). Each client group
  gets an egress rule to the domain on 443, so a client whose egress is closed still reaches it.
- **Zone awareness** follows the subnets: one subnet per Availability Zone; two or three subnets turn zone awareness
  on with ``availability_zone_count`` = the number of subnets (the data-node count must then be a multiple of it);
  a single subnet is a single-AZ domain (staging). Ref:
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-multiaz.html
- **Encryption**: at rest with a customer-managed KMS key (rotation on; or ``kms_key_arn``, a key the caller owns),
  node-to-node encryption, HTTPS only with ``Policy-Min-TLS-1-2-PFS-2023-10`` (TLS 1.2 or later, forward-secret
  ciphers only). Ref: https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_DomainEndpointOptions.html
- **Access**: fine-grained access control with IAM only: no internal user database (no passwords anywhere), no
  anonymous access, the master user is ``master_user_role_arn``. The domain's resource policy (an
  ``aws_opensearch_domain_policy`` built from an ``aws_iam_policy_document``) lets exactly the master, writer and
  reader roles send signed HTTP requests (``es:ESHttp*``) to this domain; what each may do inside is the security
  plugin's role mapping (:func:`writer_security_role`, below). Ref:
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html
- **Logs**: index slow logs, search slow logs, error (application) logs and audit logs are published to four log
  groups the construct creates first (``/aws/OpenSearchService/domains/<name>/<kind>``), encrypted with the same key
  and kept ``log_retention_days``; one CloudWatch Logs resource policy lets ``es.amazonaws.com`` write to exactly
  these groups, for this account and this domain only (``aws:SourceAccount``, ``aws:SourceArn``). Slow-log thresholds
  and what the audit log records are index and security-plugin settings, set from the cluster side. Ref:
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/createdomain-configure-slow-logs.html
- **Storage**: gp3 EBS volumes (``volume_gib`` per data node, with ``volume_iops`` / ``volume_throughput_mibps``).
- **Snapshots**: automated, hourly, kept 14 days, encrypted with the domain's key: OpenSearch Service always takes
  them for OpenSearch engines and they cannot be turned off, so there is nothing to set (the old
  ``automated_snapshot_start_hour`` applies to Elasticsearch before 5.3 only). Ref:
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-snapshots.html
- **Maintenance**: the off-peak window on; service software updates applied automatically in it; Auto-Tune on in it
  (except on T3 instance types, which do not support Auto-Tune). Engine versions are never changed by AWS: an upgrade
  is a change of ``engine_version`` (in place, blue/green).
- **Guarded**: unless the props say the domain is ``disposable``, Terraform refuses to destroy the domain
  (``prevent_destroy``) and its KMS key (the key encrypts the data and every automated snapshot).

Prerequisite (once per account, outside this construct): the service-linked role ``AWSServiceRoleForAmazonOpenSearch
Service`` (``aws_iam_service_linked_role`` with ``opensearchservice.amazonaws.com``), which a VPC domain needs; only one
can exist per account, so it belongs to an account-level stack, not to each domain. The deploy role needs ``es:*``
on ``domain/<name>``, ``logs:PutResourcePolicy`` and ``iam:CreateServiceLinkedRole`` for that service name.

**Index lifecycle** (so the domain does not fill): AWS's Terraform provider cannot create Index State Management
policies (they are OpenSearch REST API objects, not AWS resources, and the ``opensearch`` Terraform provider is not
used here), so this module provides them as data: :func:`ism_policy` (and :meth:`SearchDomain.search_ism_policy`,
with the props' ``index_hot_days`` and ``index_retention_days``) returns the JSON body of
``PUT _plugins/_ism/policies/<id>``: writable ("hot") for N days, then read-only and force-merged to one segment,
then deleted when the index is ``index_retention_days`` old; its ``ism_template`` attaches it to every new index
matching the patterns. It reaches the domain from the cluster side, signed as the master role: a Helm hook Job (or an
init step) of the logging release that PUTs the policy, the security plugin's role mappings
(:func:`writer_security_role`) and the index templates before Fluent Bit's and Jaeger's first write. A policy
attaches to indices created after it exists only, hence "before the first write". Ref:
https://docs.opensearch.org/latest/im-plugin/ism/policies/

**Dashboards** is reachable from inside the VPC only (the domain's private endpoint, ``search_dashboards_endpoint``).
With IAM as the only authentication, a browser cannot sign its requests: an engineer reaches it through a SigV4
signing proxy (e.g. ``aws-sigv4-proxy`` run in the cluster and port-forwarded, or on the bastion), as a reader role;
the runbook says how.

**Alarms** are data for the platform's Alarms construct: :attr:`SearchDomain.search_alarms`, each a
:class:`SearchAlarm` (cluster status red and yellow, free storage, JVM memory pressure, automated snapshot failure),
following AWS's recommended alarms. Ref:
https://docs.aws.amazon.com/opensearch-service/latest/developerguide/cloudwatch-alarms.html
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from cdktf import TerraformResourceLifecycle
from constructs import Construct

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.cloudwatch_log_resource_policy import CloudwatchLogResourcePolicy
from cdktf_cdktf_provider_aws.opensearch_domain import (
    OpensearchDomain,
    OpensearchDomainAdvancedSecurityOptions,
    OpensearchDomainAdvancedSecurityOptionsMasterUserOptions,
    OpensearchDomainAutoTuneOptions,
    OpensearchDomainClusterConfig,
    OpensearchDomainClusterConfigZoneAwarenessConfig,
    OpensearchDomainDomainEndpointOptions,
    OpensearchDomainEbsOptions,
    OpensearchDomainEncryptAtRest,
    OpensearchDomainLogPublishingOptions,
    OpensearchDomainNodeToNodeEncryption,
    OpensearchDomainOffPeakWindowOptions,
    OpensearchDomainSoftwareUpdateOptions,
    OpensearchDomainVpcOptions,
)
from cdktf_cdktf_provider_aws.opensearch_domain_policy import OpensearchDomainPolicy
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from ._common import (
    Account,
    Statement,
    account_admin_statement,
    claim_names,
    guard_replacement_safety,
    kms_key,
    logs_statement,
    policy_document,
    require_props,
)
from .aws_rules import VPC_PRIVATE_RANGES, principal_arn_problems, tag_problems
from .errors import (
    ConfigError,
    Problem,
    coerce_fields,
    is_reference,
    is_string_tuple,
    is_whole,
    not_a_list,
    raise_if_any,
)
from .network import LOG_RETENTION_DAYS

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
    subnet_ids: tuple[str, ...]
    client_security_group_ids: tuple[str, ...]
    reader_cidrs: tuple[str, ...] = ()

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
    writer_role_arns: tuple[str, ...] = ()
    reader_role_arns: tuple[str, ...] = ()
    reader_cidrs: tuple[str, ...] = ()
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
        """Every problem, each with its path, what is allowed and the fix."""
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
        if self.instance_type not in INSTANCE_TYPE_GP3_MAX_GIB:
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
            if master not in INSTANCE_TYPE_GP3_MAX_GIB:
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
        size, ceiling = self.volume_gib, INSTANCE_TYPE_GP3_MAX_GIB.get(self.instance_type)
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
    if version in OPENSEARCH_ENGINE_VERSIONS:
        return []
    if version in OPENSEARCH_STANDARD_SUPPORT_ENDED:
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


#: The indices each writer owns: Fluent Bit's container logs (``logs-<kind>-YYYY.MM.DD``) and Jaeger's spans, services,
#: dependencies and sampling (``jaeger-*``, Jaeger v2's OpenSearch indices without a prefix). The writers' IAM
#: policies, security-plugin roles and index lifecycles are scoped to these patterns.
LOG_INDEX_PATTERNS = ("logs-*",)
TRACE_INDEX_PATTERNS = ("jaeger-*",)


# --- index lifecycle, as data ----------------------------------------------------------------------------------------

ISM_MAX_DAYS = 3650
_POLICY_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_INDEX_PATTERN = re.compile(r"^[a-z0-9*][a-z0-9*._-]*$")


def ism_problems(hot_days: object, retention_days: object, *, hot_path: str = "index_hot_days",
                 retention_path: str = "index_retention_days") -> list[Problem]:
    if not is_whole(hot_days) or not 1 <= hot_days <= ISM_MAX_DAYS:
        return [Problem(hot_path, hot_days, f"a whole number of days, 1 to {ISM_MAX_DAYS}",
                        "give the days an index stays writable")]
    if not is_whole(retention_days) or not hot_days <= retention_days <= ISM_MAX_DAYS:
        return [Problem(retention_path, retention_days, f"a whole number of days, from {hot_path} ({hot_days}) to "
                        f"{ISM_MAX_DAYS}", "keep indices at least as long as they stay writable",
                        "retention shorter than the hot period" if is_whole(retention_days) else "invalid value")]
    return []


def ism_policy(policy_id: str, index_patterns: Sequence[str], *, hot_days: int, retention_days: int,
               replicas: int | None = None, priority: int = 100) -> dict:
    """The body of ``PUT _plugins/_ism/policies/<policy_id>``: indices matching ``index_patterns`` stay writable
    ``hot_days``, are then made read-only and force-merged to one segment (less heap and disk per index), and are
    deleted when ``retention_days`` old (index age, from creation). ``replicas``: default, the index's own replica
    count; 0 on a single-node domain (a replica cannot be placed there, and the cluster would stay yellow). Raises
    :class:`ConfigError` with every problem. Ref: https://docs.opensearch.org/latest/im-plugin/ism/policies/"""
    problems = ism_problems(hot_days, retention_days, hot_path="hot_days", retention_path="retention_days")
    if not isinstance(policy_id, str) or not _POLICY_ID.match(policy_id):
        problems.append(Problem("policy_id", policy_id, "1-64 of a-z, 0-9, '-' and '_', starting with a letter or "
                                "digit", "name the policy after what it keeps, e.g. 'vtc-logs'"))
    if not is_string_tuple(index_patterns) or not index_patterns:
        problems.append(Problem("index_patterns", index_patterns, "a non-empty list of index patterns",
                                "e.g. ['logs-*']"))
    else:
        problems += [Problem(f"index_patterns[{i}]", p, "a lower-case index name or pattern (a-z, 0-9, '*', '.', "
                             "'_', '-'), not starting with '.' (system indices) or '_'", "e.g. 'logs-*'")
                     for i, p in enumerate(index_patterns) if not _INDEX_PATTERN.match(p)]
    if replicas is not None and (not is_whole(replicas) or replicas < 0):
        problems.append(Problem("replicas", replicas, "a whole number >= 0, or nothing", "0 on a single-node domain"))
    if not is_whole(priority) or priority < 0:
        problems.append(Problem("priority", priority, "a whole number >= 0", "the default, 100, suits one policy"))
    raise_if_any(problems)
    hot_actions = [] if replicas is None else [{"replica_count": {"number_of_replicas": replicas}}]
    states = [{"name": "hot", "actions": hot_actions, "transitions": []},
              {"name": "read_only", "actions": [{"read_only": {}}, {"force_merge": {"max_num_segments": 1}}],
               "transitions": []},
              {"name": "delete", "actions": [{"delete": {}}], "transitions": []}]
    if hot_days == retention_days:  # nothing to keep read-only: straight from hot to deletion
        states.pop(1)
    for state, following in zip(states, states[1:]):
        age = retention_days if following["name"] == "delete" else hot_days
        state["transitions"] = [{"state_name": following["name"], "conditions": {"min_index_age": f"{age}d"}}]
    return {"policy": {
        "description": f"{policy_id}: writable {hot_days} days, read-only after, deleted at {retention_days} days "
                       "(vtc_constructs.search.ism_policy)",
        "default_state": "hot",
        "states": states,
        "ism_template": [{"index_patterns": list(index_patterns), "priority": priority}],
    }}


#: What a writer (Fluent Bit, Jaeger) needs of the cluster, beside its own indices: health checks, bulk requests and
#: its index templates. Ref: https://docs.opensearch.org/latest/security/access-control/default-action-groups/
WRITER_CLUSTER_PERMISSIONS = ("cluster_monitor", "cluster_composite_ops", "indices:admin/template/get",
                              "indices:admin/template/put", "indices:admin/index_template/get",
                              "indices:admin/index_template/put")
WRITER_INDEX_ACTIONS = ("crud", "create_index", "indices:admin/mapping/put", "indices:admin/get")


def writer_security_role(index_patterns: Sequence[str]) -> dict:
    """The body of ``PUT _plugins/_security/api/roles/<role>`` for a writer confined to ``index_patterns``; map it to
    the writer's IAM role with ``PUT _plugins/_security/api/rolesmapping/<role>`` and ``{"backend_roles": [<role
    ARN>]}``. Readers map to the predefined ``readall`` role the same way. (The domain's resource policy only lets these
    roles in; fine-grained access control decides what each may do.)"""
    if not is_string_tuple(index_patterns) or not index_patterns or \
            not all(_INDEX_PATTERN.match(p) for p in index_patterns):
        raise ConfigError([Problem("index_patterns", index_patterns, "a non-empty list of index patterns (a-z, 0-9, "
                                   "'*', '.', '_', '-')", "e.g. ['logs-*']")])
    return {"cluster_permissions": list(WRITER_CLUSTER_PERMISSIONS),
            "index_permissions": [{"index_patterns": list(index_patterns),
                                   "allowed_actions": list(WRITER_INDEX_ACTIONS)}]}


# --- alarms, as data -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchAlarm:
    """One CloudWatch alarm on the domain, for the platform's Alarms construct to create. ``key`` is stable (the alarm's
    construct ID and name suffix); ``topic`` is where it should go (``page``: somebody acts now; ``notify``: a
    ticket)."""

    key: str
    metric: str
    statistic: str
    comparison: str
    threshold: float
    period: int
    evaluation_periods: int
    datapoints: int
    missing: str
    topic: str
    description: str
    dimensions: Mapping[str, str]
    namespace: str = "AWS/ES"

    def alarm_arguments(self) -> dict:
        """Keyword arguments of the platform's ``Alarms._alarm(key, ...)`` (vtc_constructs/alarms.py), which adds the
        name prefix, the topic's actions and the tags."""
        return {"description": self.description, "namespace": self.namespace, "metric": self.metric,
                "dimensions": dict(self.dimensions), "statistic": self.statistic, "threshold": self.threshold,
                "comparison": self.comparison, "missing": self.missing, "topic": self.topic, "period": self.period,
                "evaluation_periods": self.evaluation_periods, "datapoints": self.datapoints}

    def metric_alarm_arguments(self, alarm_name: str) -> dict:
        """Keyword arguments of ``CloudwatchMetricAlarm`` (add ``alarm_actions`` / ``ok_actions``)."""
        return {"alarm_name": alarm_name, "alarm_description": self.description, "namespace": self.namespace,
                "metric_name": self.metric, "dimensions": dict(self.dimensions), "statistic": self.statistic,
                "period": self.period, "evaluation_periods": self.evaluation_periods,
                "datapoints_to_alarm": self.datapoints, "threshold": self.threshold,
                "comparison_operator": self.comparison, "treat_missing_data": self.missing}


def search_alarms(domain_name: str, account_id: str, volume_gib: int) -> tuple[SearchAlarm, ...]:
    """AWS's recommended alarms for a domain, where they fit a log domain. Ref:
    https://docs.aws.amazon.com/opensearch-service/latest/developerguide/cloudwatch-alarms.html

    - ClusterStatus.red: maximum >= 1 for 1 minute, once (AWS's recommendation as given);
    - ClusterStatus.yellow: maximum >= 1 for 1 minute, 5 times in a row (as given);
    - FreeStorageSpace: minimum <= 25 % of one node's volume, in MiB, for 1 minute (AWS: "set it to 25 % of the
      storage space for each node" instead of its example 20480 MiB). The metric is per node; its minimum is the
      fullest node;
    - JVMMemoryPressure: maximum > 80 % for 15 minutes (3 periods of 5 minutes). AWS's table says >= 95 % for 3
      minutes, the edge of out-of-memory errors; the OpenSearch Service Well-Architected lens asks to keep it below
      85 % (AOSPERF02-BP02): this alarm warns while there is time to scale, and files a ticket rather than paging;
    - AutomatedSnapshotFailure: maximum >= 1 for 1 minute, once (as given).

    Missing data: ``missing`` (INSUFFICIENT_DATA, no page) for the status, storage and memory metrics, which the
    domain publishes every minute once it is up; ``notBreaching`` for snapshot failures."""
    dimensions = {"DomainName": domain_name, "ClientId": account_id}

    def alarm(key, metric, statistic, comparison, threshold, period, evaluations, missing, topic, description):
        return SearchAlarm(key=key, metric=metric, statistic=statistic, comparison=comparison, threshold=threshold,
                           period=period, evaluation_periods=evaluations, datapoints=evaluations, missing=missing,
                           topic=topic, description=description, dimensions=dimensions)

    return (
        alarm("search-cluster-red", "ClusterStatus.red", "Maximum", "GreaterThanOrEqualToThreshold", 1, 60, 1,
              "missing", "page", f"OpenSearch {domain_name}: a primary shard is unassigned (red); some logs cannot be "
              "written or searched. Look at: GET _cluster/allocation/explain, free storage, JVM pressure."),
        alarm("search-cluster-yellow", "ClusterStatus.yellow", "Maximum", "GreaterThanOrEqualToThreshold", 1, 60, 5,
              "missing", "notify", f"OpenSearch {domain_name}: replica shards unassigned for 5 minutes (yellow). "
              "Look at: a node lost, an AZ down, or replicas above what the nodes can hold."),
        alarm("search-free-storage", "FreeStorageSpace", "Minimum", "LessThanOrEqualToThreshold",
              volume_gib * 1024 // 4, 60, 1, "missing", "page", f"OpenSearch {domain_name}: a node has a quarter of "
              f"its {volume_gib} GiB volume left; at 5 % OpenSearch blocks writes. Look at: the ISM policy (are old "
              "indices deleted?), the ingest rate; grow volume_gib."),
        alarm("search-jvm-memory-pressure", "JVMMemoryPressure", "Maximum", "GreaterThanThreshold", 80, 300, 3,
              "missing", "notify", f"OpenSearch {domain_name}: JVM heap above 80 % for 15 minutes. Look at: shard "
              "count per node, expensive aggregations in Dashboards; scale the instance type up."),
        alarm("search-snapshot-failure", "AutomatedSnapshotFailure", "Maximum", "GreaterThanOrEqualToThreshold", 1,
              60, 1, "notBreaching", "page", f"OpenSearch {domain_name}: an automated snapshot failed (often a red "
              "cluster). Look at: GET _snapshot/cs-automated-enc/_all, cluster health."),
    )


# --- the construct ---------------------------------------------------------------------------------------------------

class SearchDomain(Construct):
    """Amazon OpenSearch Service in the VPC, encrypted, IAM-only, with its logs, key and security group. See the
    module docstring."""

    def __init__(self, scope: Construct, id: str, props: SearchDomainProps):
        require_props("SearchDomain", props, SearchDomainProps, "SearchDomainProps(name='vtc-staging', "
                      "engine_version='OpenSearch_2.19', network=SearchNetwork(...), master_user_role_arn=...)")
        super().__init__(scope, id)
        raise_if_any(problem.prefixed(id) for problem in props.validate())
        guard_replacement_safety(self)
        self.props = props
        name, net = props.name, props.network
        log_group_names = {log_type: f"/aws/OpenSearchService/domains/{name}/{suffix}"
                           for log_type, suffix in LOG_TYPES.items()}
        self._log_policy_name = f"{name}-opensearch-logs"
        claim_names(self, id, ("OpenSearch domain", name),
                    *(("CloudWatch log group", group) for group in log_group_names.values()),
                    ("CloudWatch Logs resource policy", self._log_policy_name),
                    *((("KMS alias", f"alias/{name}-opensearch"),) if props.kms_key_arn is None else ()))
        self.account = account = Account.of(self)
        tags = {**props.tags, "vtc/search": name}
        guard = TerraformResourceLifecycle(prevent_destroy=True) if not props.disposable else None
        # The domain's ARN from its name (not the resource's attribute): the log resource policy names it and the
        # domain depends on that policy, so a reference would be a cycle.
        domain_arn = account.arn("es", f"domain/{name}")

        if props.kms_key_arn is None:
            key_policy = policy_document(self, "key-policy", account_admin_statement(account),
                                         logs_statement(account, list(log_group_names.values())))
            # Guarded with the domain: it encrypts the indices and every automated snapshot.
            self.key = kms_key(self, "key", description=f"{name}: OpenSearch data, snapshots and logs",
                               alias=f"{name}-opensearch", policy=key_policy, tags=tags, lifecycle=guard)
            key_arn = self.key.arn
        else:
            self.key, key_arn = None, props.kms_key_arn
        self._key_arn = key_arn

        # Created before the domain, so OpenSearch writes into groups with our retention and key, not its own.
        self.log_groups = {log_type: CloudwatchLogGroup(self, f"log-group-{LOG_TYPES[log_type]}", name=group,
                                                        retention_in_days=props.log_retention_days,
                                                        kms_key_id=key_arn, tags=tags)
                           for log_type, group in log_group_names.items()}
        # Ref: docs.aws.amazon.com/opensearch-service/latest/developerguide/createdomain-configure-slow-logs.html
        # (the resource policy OpenSearch needs) and .../cross-service-confused-deputy-prevention.html (the conditions).
        log_policy = policy_document(self, "log-resource-policy-document", Statement(
            sid="OpenSearchWritesThisDomainsLogGroups", actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[f"{group.arn}:*" for group in self.log_groups.values()],
            principals={"Service": ["es.amazonaws.com"]},
            conditions=[("StringEquals", "aws:SourceAccount", [account.id]),
                        ("ArnLike", "aws:SourceArn", [domain_arn])]))
        self.log_resource_policy = CloudwatchLogResourcePolicy(self, "log-resource-policy",
                                                               policy_name=self._log_policy_name,
                                                               policy_document=log_policy.json)

        self.security_group = SecurityGroup(
            self, "security-group", name_prefix=f"{name}-opensearch-", vpc_id=net.vpc_id,
            description=f"{name} OpenSearch: HTTPS from the log shippers and readers only",
            tags={**tags, "Name": f"{name}-opensearch"},
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True))
        for index, client in enumerate(net.client_security_group_ids):
            VpcSecurityGroupIngressRule(self, f"from-clients-{index}", security_group_id=self.security_group.id,
                                        referenced_security_group_id=client, ip_protocol="tcp",
                                        from_port=HTTPS_PORT, to_port=HTTPS_PORT,
                                        description="OpenSearch HTTPS from a client group", tags=tags)
            VpcSecurityGroupEgressRule(self, f"clients-{index}-to-domain", security_group_id=client,
                                       referenced_security_group_id=self.security_group.id, ip_protocol="tcp",
                                       from_port=HTTPS_PORT, to_port=HTTPS_PORT,
                                       description=f"HTTPS to the {name} OpenSearch domain", tags=tags)
        for index, cidr in enumerate(dict.fromkeys((*net.reader_cidrs, *props.reader_cidrs))):
            VpcSecurityGroupIngressRule(self, f"from-readers-{index}", security_group_id=self.security_group.id,
                                        cidr_ipv4=cidr, ip_protocol="tcp", from_port=HTTPS_PORT, to_port=HTTPS_PORT,
                                        description="OpenSearch HTTPS from a reader range (VPN, bastion)", tags=tags)

        self.domain = OpensearchDomain(
            self, "domain", domain_name=name, engine_version=props.engine_version,
            cluster_config=self._cluster_config(),
            ebs_options=OpensearchDomainEbsOptions(ebs_enabled=True, volume_type="gp3", volume_size=props.volume_gib,
                                                   iops=props.volume_iops,
                                                   throughput=props.volume_throughput_mibps),
            encrypt_at_rest=OpensearchDomainEncryptAtRest(enabled=True, kms_key_id=key_arn),
            node_to_node_encryption=OpensearchDomainNodeToNodeEncryption(enabled=True),
            domain_endpoint_options=OpensearchDomainDomainEndpointOptions(enforce_https=True,
                                                                          tls_security_policy=TLS_SECURITY_POLICY),
            advanced_security_options=OpensearchDomainAdvancedSecurityOptions(
                enabled=True, anonymous_auth_enabled=False, internal_user_database_enabled=False,
                master_user_options=OpensearchDomainAdvancedSecurityOptionsMasterUserOptions(
                    master_user_arn=props.master_user_role_arn)),
            vpc_options=OpensearchDomainVpcOptions(subnet_ids=list(net.subnet_ids),
                                                   security_group_ids=[self.security_group.id]),
            log_publishing_options=[OpensearchDomainLogPublishingOptions(
                log_type=log_type, cloudwatch_log_group_arn=group.arn, enabled=True)
                for log_type, group in self.log_groups.items()],
            off_peak_window_options=OpensearchDomainOffPeakWindowOptions(enabled=True),
            software_update_options=OpensearchDomainSoftwareUpdateOptions(auto_software_update_enabled=True),
            auto_tune_options=OpensearchDomainAutoTuneOptions(
                desired_state="DISABLED" if props.instance_type.startswith(BURSTABLE_PREFIX) else "ENABLED",
                use_off_peak_window=True, rollback_on_disable="NO_ROLLBACK"),
            tags=tags, depends_on=[self.log_resource_policy, *self.log_groups.values()], lifecycle=guard)

        principals = list(dict.fromkeys([props.master_user_role_arn, *props.writer_role_arns,
                                         *props.reader_role_arns]))
        access = policy_document(self, "access-policy-document", Statement(
            sid="SignedRequestsOfTheDomainsRoles", actions=["es:ESHttp*"], principals={"AWS": principals},
            resources=[f"{self.domain.arn}/*"]))
        self.access_policy = OpensearchDomainPolicy(self, "access-policy", domain_name=self.domain.domain_name,
                                                    access_policies=access.json)
        self._alarms = search_alarms(name, account.id, props.volume_gib)

    def _cluster_config(self) -> OpensearchDomainClusterConfig:
        props = self.props
        master = props.dedicated_master_type
        return OpensearchDomainClusterConfig(
            instance_type=props.instance_type, instance_count=props.data_node_count,
            zone_awareness_enabled=props.zone_awareness,
            zone_awareness_config=OpensearchDomainClusterConfigZoneAwarenessConfig(
                availability_zone_count=props.availability_zone_count) if props.zone_awareness else None,
            dedicated_master_enabled=master is not None, dedicated_master_type=master,
            dedicated_master_count=DEDICATED_MASTER_COUNT if master else None,
            # Multi-AZ with Standby needs 3 AZs, dedicated masters and a multiple of 3 data nodes, and reserves a
            # third of them idle: not for a log domain (zone awareness with replicas keeps it available).
            multi_az_with_standby_enabled=False)

    # --- typed outputs --------------------------------------------------------------------------------------------

    @functools.cached_property
    def search_domain_name(self) -> str:
        """The domain's name: the ``DomainName`` dimension of its metrics."""
        return self.props.name

    @functools.cached_property
    def search_domain_arn(self) -> str:
        return self.domain.arn

    @functools.cached_property
    def search_domain_endpoint(self) -> str:
        """The private HTTPS endpoint (host name, no scheme) that Fluent Bit and Jaeger send signed requests to."""
        return self.domain.endpoint

    @functools.cached_property
    def search_dashboards_endpoint(self) -> str:
        """OpenSearch Dashboards, at the same private endpoint (``<endpoint>/_dashboards``): inside the VPC only."""
        return self.domain.dashboard_endpoint

    @functools.cached_property
    def search_security_group_id(self) -> str:
        return self.security_group.id

    @property
    def search_kms_key_arn(self) -> str:
        """The key of the data, snapshots and log groups: the construct's own, or ``kms_key_arn``."""
        return self._key_arn

    @functools.cached_property
    def search_log_group_names(self) -> dict[str, str]:
        """The log groups by OpenSearch log type (``INDEX_SLOW_LOGS``, ``SEARCH_SLOW_LOGS``, ``ES_APPLICATION_LOGS``,
        ``AUDIT_LOGS``)."""
        return {log_type: f"/aws/OpenSearchService/domains/{self.props.name}/{suffix}"
                for log_type, suffix in LOG_TYPES.items()}

    @property
    def search_alarms(self) -> tuple[SearchAlarm, ...]:
        """The recommended alarms as data (:func:`search_alarms`), for the platform's Alarms construct."""
        return self._alarms

    def search_http_arn(self, path: str = "*") -> str:
        """``<domain ARN>/<path>``: what a writer's IAM policy grants ``es:ESHttp*`` on, e.g. ``logs-*`` and
        ``_bulk`` for Fluent Bit (least privilege on its index patterns)."""
        return f"{self.domain.arn}/{path}"

    def search_ism_policy(self, policy_id: str, index_patterns: Sequence[str]) -> dict:
        """:func:`ism_policy` with the props' ``index_hot_days`` and ``index_retention_days``; on a single-node domain
        it also sets new indices to 0 replicas (one node cannot hold a replica: the cluster would stay yellow)."""
        return ism_policy(policy_id, index_patterns, hot_days=self.props.index_hot_days,
                          retention_days=self.props.index_retention_days,
                          replicas=0 if self.props.data_node_count == 1 else None)
