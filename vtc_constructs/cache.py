"""ValkeyCache: an encrypted, Multi-AZ ElastiCache for Valkey replication group that the services reach with IAM.

Usage::

    from vtc_constructs import CacheProps, ValkeyCache

    cache = ValkeyCache(self, "cache", CacheProps(
        name="vtc-production",
        engine_version="8.1",
        network=network.cache_network([cluster.node_security_group_id]),   # or CacheNetwork(vpc_id=..., ...)
    ))
    cache.cache_primary_endpoint_address, cache.cache_port, cache.cache_services_user_name
    cache.cache_connect_statement()          # elasticache:Connect for the services' IRSA role
    cache.cache_alarm_specs()                # CacheHitRate, Evictions, memory and engine CPU, per node

**Node-based, not serverless.** One replication group with cluster mode disabled (a primary and
``replicas_per_node_group`` replicas; one primary endpoint for writes, one reader endpoint for reads), because:

* issue 24 asks for memory and CPU alarms: ``DatabaseMemoryUsagePercentage`` and ``EngineCPUUtilization`` are
  node metrics; a serverless cache publishes neither (it scales instead, billed per ECPU and GB-hour);
* cost and capacity are fixed by ``node_type`` and the replica count, set per environment;
* the local emulator can deploy it: moto 5.2.5 implements replication groups, cache clusters, subnet groups and users
  (not user groups, see below), and no serverless cache (``CreateServerlessCache``) at all, so a serverless cache
  could never be part of the emulator deploy issue 24 asks for;
* cluster mode disabled because one node's memory is ample for the services' cache and every client library speaks to
  a single primary; cluster mode needs cluster-aware clients and has no reader endpoint.
  Ref: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/WhatIs.deployment.html

**Authentication: IAM, no secret anywhere.** The services sign a short-lived token (SigV4, 15 minutes) with their own
IRSA role and send it in ``AUTH``/``HELLO`` as the password of the user :attr:`ValkeyCache.cache_services_user_name`;
their role needs ``elasticache:Connect`` on the replication group and on that user (:meth:`~ValkeyCache.
cache_connect_statement`). No password or AUTH token exists, so none can reach the Terraform state, the chart's values
or Secrets Manager. The RBAC objects: the services' user (authentication type ``iam``; ElastiCache requires its user
ID and user name to be equal), a user named ``default`` that is switched off (``off -@all``, no password: an
unauthenticated connection can run nothing but ``AUTH``/``HELLO``), and a user group of both attached to the
replication group. Both users and the group are of ElastiCache's ``redis`` RBAC engine, which AWS documents as valid
on Valkey caches: a ``valkey`` user group admits only users that authenticate (password or IAM), every user group
needs a user named ``default``, and a ``default`` user can authenticate with IAM only under the user ID ``default``,
which AWS's own default user holds; so the only secret-free ``default`` user is the disabled no-password one, which
only a ``redis`` group admits. IAM authentication needs Valkey 7.2 or later (every version this construct accepts)
and TLS, which is required here. Limits the services must handle: a token is good for 15 minutes (sign one per
connection); ElastiCache closes IAM-authenticated connections after 12 hours (reconnect, or re-``AUTH`` before);
no IAM ``AUTH`` inside ``MULTI``/``EXEC``.
Ref: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth-iam.html,
https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Clusters.RBAC.html

**Network: nodes, not pods.** The cache's security group admits ``CacheProps.port`` (TCP) only from the given client
security groups (the EKS nodes) and opens nothing outwards (the cache initiates no connection); each client group gets
the matching egress rule (the nodes' egress is closed otherwise). A security group cannot tell one pod from another:
with the VPC CNI, pods send from the node's ENIs with the node's security groups (security groups for pods would need
trunk ENIs and a SecurityGroupPolicy per workload). Which pods may reach the cache is the NetworkPolicies' part: an
egress rule for the services' pods to the cache subnets' CIDRs on this port, and no other pod allowed there.

Fixed, not optional: at-rest encryption with a customer-managed KMS key (rotation on; or the key given as
``kms_key_arn``), in-transit encryption with ``transit_encryption_mode = required`` (plain-text connections are
refused), the subnet group from the given subnets only (at least two, one per AZ, for Multi-AZ), slow-log and
engine-log delivery in JSON to CloudWatch log groups encrypted with the same key, automatic backups
(``snapshot_retention_limit``, in ``snapshot_window``), automatic minor (patch) version upgrades in
``maintenance_window``. Unless the props say the cache is ``disposable``, Terraform refuses to destroy the replication
group and the KMS key (``prevent_destroy``: the key encrypts the retained backups and the final snapshot) and a final
snapshot ``<name>-cache-final`` is taken on deletion. The cache uses ElastiCache's default parameter group of its
engine major (``default.valkey8``): its ``maxmemory-policy`` is ``volatile-lru``, which evicts only keys that have a
TTL, so the services must give every cache key a TTL (a key without one is never evicted and, once memory is full,
writes fail); the memory alarm below warns first. A parameter group of our own (``allkeys-lru``) would be a second
resource the emulator cannot deploy (moto has no CreateCacheParameterGroup) and one that a major upgrade must replace
while the cache still uses it; add one if the services cannot keep to TTLs.

Changes AWS applies later: ``apply_immediately`` is left off, so a change ElastiCache makes by modifying the group
(node type, engine version, windows) waits for the next maintenance window; growing or shrinking the replica count is
applied at once (the provider resizes first).

The integrator's part (outputs for it): the endpoint, port, user name and region go to the services through the chart;
:meth:`~ValkeyCache.cache_connect_statement` goes into the services' IRSA policy; :meth:`~ValkeyCache.
cache_alarm_specs` and :meth:`~ValkeyCache.cache_dashboard_metrics` are the alarms and the dashboard panel as data;
:attr:`~ValkeyCache.cache_log_group_names` for log retention checks. The local emulator (moto 5.2.5) deploys it with
help, all of it emulator-only (``docs/design/cache.md``: tried by hand, apply about 47 s, re-plan empty): the user
group turned off (moto has no CreateUserGroup) and ``user_group_ids`` dropped, the member cache clusters seeded before
the apply (moto's CreateReplicationGroup makes none, and the provider reads the first one), three read-backs masked,
and one node only.

Replacement is refused where it would lose the cache: a new ``name``, ``port``, ``kms_key_arn``, subnet group or a
lower ``engine_version`` would replace the replication group, which ``prevent_destroy`` stops at plan time.

Why one module: it is one construct, read top to bottom as its props (with their validation), its own alarms, its
resources and its outputs.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Mapping

from cdktf import TerraformResourceLifecycle
from constructs import Construct

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.elasticache_replication_group import (
    ElasticacheReplicationGroup,
    ElasticacheReplicationGroupLogDeliveryConfiguration,
)
from cdktf_cdktf_provider_aws.elasticache_subnet_group import ElasticacheSubnetGroup
from cdktf_cdktf_provider_aws.elasticache_user import ElasticacheUser, ElasticacheUserAuthenticationMode
from cdktf_cdktf_provider_aws.elasticache_user_group import ElasticacheUserGroup
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
from .aws_rules import daily_and_weekly_window_problems, tag_problems
from .errors import (Problem, classified, coerce_fields, is_list_reference, is_reference, is_string_tuple, is_whole,
                     not_a_list, raise_if_any, shown, unresolved_problem)
from .contracts import CacheNetwork  # noqa: F401  (re-exported: part of this module's API)
from .network import LOG_RETENTION_DAYS

#: Terraform references (cdktf tokens), field by field. What ValkeyCache names things after, counts or checks at
#: synth is refused, with what is allowed and how to fix it (:func:`~vtc_constructs.errors.classified`); the
#: retentions (``_PASSED_ON``) and ``kms_key_arn`` are only passed on, and accepted.
_SYNTH_TIME_FIELDS = {
    "name": ("a literal name known at synth", "write the name itself: the replication group, users and log groups "
             "are named <name>-*"),
    "engine_version": ("a literal Valkey version known at synth, e.g. '8.1'", "write the version itself: it is "
                       "checked against the versions ElastiCache offers"),
    "node_type": ("a literal ElastiCache node type, e.g. 'cache.r7g.large'", "write the type itself: it is checked "
                  "against the types ElastiCache offers for Valkey"),
    "replicas_per_node_group": ("a literal whole number from 0 to 5", "write the number itself: the member "
                                "clusters' ids and the failover check follow from it"),
    "port": ("a literal port known at synth, 1024 to 65535", "write the port itself: the workloads' cache endpoint "
             "takes it as a literal"),
    "snapshot_window": ("a literal hh:mm-hh:mm in UTC", "write the window itself: it must not overlap the "
                        "maintenance window, checked at synth"),
    "maintenance_window": ("a literal ddd:hh:mm-ddd:hh:mm in UTC", "write the window itself: it must not overlap "
                           "the snapshot window, checked at synth"),
}
_PASSED_ON = {"snapshot_retention_days": "number", "log_retention_days": "number"}

ENGINE = "valkey"
#: The RBAC engine of the users and the user group (see the module docstring: why not ``valkey``).
RBAC_ENGINE = "redis"
DEFAULT_PORT = 6379

# Source: ElastiCache User Guide, "Engine versions and upgrading in ElastiCache"
# (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/engine-versions.html), read 2026-12. Valkey versions are
# <major>.<minor> (ElastiCache applies the patch releases itself: auto_minor_version_upgrade); the AWS provider 5.100.0
# accepts any <major>.<minor> for Valkey (checked with `terraform validate`), so this table is the one check.
# PARTIAL in time: a version ElastiCache releases later is refused until it is added here.
VALKEY_ENGINE_VERSIONS = ("7.2", "8.0", "8.1", "8.2", "9.0", "9.1")

# Source: ElastiCache API Reference, "CacheNode" (the supported node types,
# https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CacheNode.html), read 2026-12. PARTIAL: the
# current-generation burstable, general-purpose and memory-optimised types Valkey runs on; no data tiering (r6gd), no
# network-optimised (c7gn), no previous generations. A type missing here is refused with a fix that says to add it.
_GRAVITON = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
_INTEL_5 = ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge")
CACHE_NODE_TYPES = frozenset(
    [f"cache.{family}.{size}" for family in ("t3", "t4g") for size in ("micro", "small", "medium")]
    + [f"cache.{family}.{size}" for family in ("m6g", "m7g", "r6g", "r7g") for size in _GRAVITON]
    + [f"cache.{family}.{size}" for family in ("m5", "r5") for size in _INTEL_5])

#: At most five replicas per node group (shard).
#: Ref: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Replication.html
MAX_REPLICAS = 5
#: ElastiCache keeps automatic backups for at most 35 days.
MAX_SNAPSHOT_RETENTION_DAYS = 35
#: The shortest maintenance window ElastiCache accepts; the snapshot window is held to the same here.
#: Ref: https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateReplicationGroup.html
WINDOW_MIN_MINUTES = 60

#: The services' ACL: every key and channel, every command but the dangerous ones (FLUSHALL, KEYS, CONFIG, DEBUG,
#: MONITOR, ...), and INFO back (client libraries' ready checks and health indicators call it).
SERVICES_ACCESS_STRING = "on ~* &* +@all -@dangerous +info"
#: The ``default`` user: disabled, allowed nothing. Unauthenticated connections can only AUTH/HELLO.
DEFAULT_USER_ACCESS_STRING = "off -@all"
#: What a role needs to sign in as the services' user (on the replication group and on the user).
CONNECT_ACTIONS = ("elasticache:Connect",)

LOG_TYPES = ("slow-log", "engine-log")

#: Alarm thresholds (starting points; the integrator's AlarmThresholds may carry their own).
#: CacheHitRate below this percentage, once a node serves at least CACHE_HIT_RATE_MIN_LOOKUPS gets in a period.
CACHE_HIT_RATE_MIN_PERCENT = 80.0
CACHE_HIT_RATE_MIN_LOOKUPS = 100
#: Evictions per period above this (the default volatile-lru policy evicts only when memory is full).
CACHE_EVICTIONS_MAX = 0
#: DatabaseMemoryUsagePercentage above this: at 100 % the eviction policy acts.
CACHE_MEMORY_MAX_PERCENT = 80.0
#: EngineCPUUtilization (the engine's one thread) above this: AWS suggests 90 %.
#: Ref: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.WhichShouldIMonitor.html
CACHE_ENGINE_CPU_MAX_PERCENT = 90.0

# 3-32 characters: <name>-cache is the replication group ID, at most 40 characters, no two hyphens in a row.
_NAME_RE = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{1,30}[a-z0-9]$")
_KMS_KEY_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):kms:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:key/[A-Za-z0-9-]{1,64}$")


@dataclass(frozen=True, kw_only=True)
class CacheProps:
    """Input of :class:`ValkeyCache`.

    :param name: prefix of every name: the replication group ``<name>-cache``, its users and log groups. 3-32
        characters of a-z, 0-9 and '-', a letter first, no '--'. Required when the construct is used alone.
    :param engine_version: the Valkey version, ``<major>.<minor>``, one of :data:`VALKEY_ENGINE_VERSIONS`. Required:
        a version is an upgrade the environment decides (ElastiCache cannot go back down), so no library default may
        move it. Patch releases come from ElastiCache in the maintenance window.
    :param network: :class:`CacheNetwork`. Required when the construct is used alone.
    :param node_type: default: ``cache.r7g.large`` (Graviton3, memory-optimised, 13 GiB). One of
        :data:`CACHE_NODE_TYPES`.
    :param replicas_per_node_group: default: 1 replica beside the primary, in another AZ. 0 to 5.
    :param automatic_failover: default: on: a replica is promoted when the primary fails. Needs at least one replica.
    :param multi_az: default: on: ElastiCache places the replicas in other AZs than the primary and fails over across
        AZs. Needs ``automatic_failover``. (Minimums per tier are the environment model's, not this construct's.)
    :param port: default: 6379. 1024 to 65535.
    :param disposable: default: False, the cache is guarded (``prevent_destroy`` on the replication group and the key,
        final snapshot). True drops the guards: for environments whose cache may be lost.
    :param snapshot_retention_days: default: 7 days of automatic backups. 1 to 35 (backups are always on).
    :param snapshot_window: default: ``01:00-02:00`` UTC. At least 60 minutes; must not overlap the maintenance window.
    :param maintenance_window: default: ``sun:05:00-sun:06:00`` UTC, after the database's default window
        (``sun:03:30-sun:04:30``), so the two never fail over together. At least 60 minutes.
    :param log_retention_days: default: slow and engine logs are kept 365 days. One of CloudWatch's retention values.
    :param kms_key_arn: default: none, and the construct creates a customer-managed key (rotation on, guarded with the
        cache) for the cache, its backups and its log groups. Given, that key is used for all of them; its policy must
        then let CloudWatch Logs use it for the two log groups (:attr:`ValkeyCache.cache_log_group_names`), as
        ``vtc_constructs._common.logs_statement`` writes it.
    :param tags: default: none. Added to every resource of the construct (beside its own ``vtc/cache`` tag).
    """

    name: str | None = None
    engine_version: str
    network: CacheNetwork | None = None
    node_type: str = "cache.r7g.large"
    replicas_per_node_group: int = 1
    automatic_failover: bool = True
    multi_az: bool = True
    port: int = DEFAULT_PORT
    disposable: bool = False
    snapshot_retention_days: int = 7
    snapshot_window: str = "01:00-02:00"
    maintenance_window: str = "sun:05:00-sun:06:00"
    log_retention_days: int = 365
    kms_key_arn: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def replication_group_id(self) -> str:
        return f"{self.name}-cache"

    @property
    def node_count(self) -> int:
        return 1 + self.replicas_per_node_group

    @property
    def member_cluster_ids(self) -> tuple[str, ...]:
        """``<name>-cache-001`` to ``-00N``: the member clusters' IDs as plain strings, known before anything exists
        (what :attr:`ValkeyCache.cache_member_cluster_ids` gives as references): the ``CacheClusterId`` of the per-node
        metrics, for a consumer in another stack (the Grafana dashboard's cache panels)."""
        return tuple(f"{self.replication_group_id}-{n:03d}" for n in range(1, self.node_count + 1))

    def validate(self, *, check_network: bool = True) -> list[Problem]:
        """Every problem; ``check_network=False`` skips the checks of ``network`` (for a caller that reported the
        network as invalid already). A Terraform reference is refused in the fields computed from or checked at
        synth (``_SYNTH_TIME_FIELDS``), accepted in those only passed on (``_PASSED_ON``, ``kms_key_arn``)."""
        return classified(self, self._problems(check_network), _SYNTH_TIME_FIELDS, _PASSED_ON)

    def _problems(self, check_network: bool) -> list[Problem]:
        problems: list[Problem] = []
        if not isinstance(self.name, str) or not _NAME_RE.match(self.name):
            problems.append(Problem("name", self.name, "3-32 characters of a-z, 0-9 and '-', starting with a letter, "
                                    "not ending with '-', no '--'",
                                    "use a short lower-case name such as 'vtc-staging'"))
        problems += self._engine_problems()
        if not isinstance(self.network, CacheNetwork):
            problems.append(Problem("network", self.network, "a CacheNetwork",
                                    "pass CacheNetwork(vpc_id=..., subnet_ids=..., client_security_group_ids=...)",
                                    "not a CacheNetwork"))
        elif check_network:
            type_problems = [p.prefixed("network") for p in self.network.type_problems()]
            problems += type_problems or self._network_problems()
        problems += self._availability_problems()
        problems += self._backup_problems()
        problems += self._other_problems()
        return problems

    def _engine_problems(self) -> list[Problem]:
        problems = []
        version = self.engine_version
        if not isinstance(version, str) or version not in VALKEY_ENGINE_VERSIONS:
            shaped = isinstance(version, str) and re.fullmatch(r"\d+\.\d+", version)
            problems.append(Problem(
                "engine_version", version, f"a Valkey version ElastiCache offers: {', '.join(VALKEY_ENGINE_VERSIONS)}",
                (f"use {VALKEY_ENGINE_VERSIONS[-1]} or another listed version (or add {version} to "
                 "vtc_constructs.cache.VALKEY_ENGINE_VERSIONS once ElastiCache releases it)") if shaped else
                "give <major>.<minor>, e.g. '8.1' (ElastiCache applies the patch releases itself)",
                "unknown Valkey version" if shaped else "engine version not <major>.<minor>"))
        if not isinstance(self.node_type, str) or self.node_type not in CACHE_NODE_TYPES:
            shaped = isinstance(self.node_type, str) and re.fullmatch(r"cache\.[a-z0-9]+\.[a-z0-9]+", self.node_type)
            families = sorted({t.split(".")[1] for t in CACHE_NODE_TYPES})
            problems.append(Problem(
                "node_type", self.node_type, f"an ElastiCache node type of {', '.join(families)}, e.g. cache.r7g.large",
                "correct the type" + (" (or, if ElastiCache offers it for Valkey, add it to "
                                      "vtc_constructs.cache.CACHE_NODE_TYPES)" if shaped else ""),
                "unknown node type"))
        return problems

    def _network_problems(self) -> list[Problem]:
        problems = []
        subnets, clients = self.network.subnet_ids, self.network.client_security_group_ids
        # Subnets: a whole list known only at apply (DataAwsSubnets(...).ids) goes to the subnet group as it is, and
        # ElastiCache checks its AZs then. Clients: one ingress rule each, so their number must be known at synth.
        if is_list_reference(clients):
            problems.append(unresolved_problem(
                "network.client_security_group_ids", shown(clients), "a list known at synth of security group ids "
                "(each may be a reference, e.g. sg.id)", "list the groups: each gets an ingress rule of its own"))
            clients = ()
        if not is_list_reference(subnets) and len(subnets) < 2:
            problems.append(Problem("network.subnet_ids", list(subnets), "subnets in at least 2 AZs",
                                    "give one private subnet per AZ: Multi-AZ and failover need two AZs",
                                    "too few subnets"))
        for path, ids in (("network.subnet_ids", subnets), ("network.client_security_group_ids", clients)):
            literal = [i for i in ids if not is_reference(i)]
            for index, value in enumerate(ids):
                if not value:
                    problems.append(Problem(f"{path}[{index}]", value, "an id", "remove the empty entry"))
            repeated = sorted({i for i in literal if literal.count(i) > 1})
            if repeated:
                problems.append(Problem(path, list(ids), "each id once", f"remove the repeats of {', '.join(repeated)}",
                                        "repeated id"))
        if not self.network.client_security_group_ids:
            problems.append(Problem("network.client_security_group_ids", [], "at least one security group",
                                    "give the EKS nodes' security group: nothing could reach the cache otherwise",
                                    "no client"))
        return problems

    def _availability_problems(self) -> list[Problem]:
        problems = []
        replicas = self.replicas_per_node_group
        if not is_whole(replicas) or not 0 <= replicas <= MAX_REPLICAS:
            problems.append(Problem("replicas_per_node_group", replicas, f"a whole number from 0 to {MAX_REPLICAS}",
                                    "1 replica gives failover; more spread reads"))
        for name in ("automatic_failover", "multi_az", "disposable"):
            if not isinstance(getattr(self, name), bool):
                problems.append(Problem(name, getattr(self, name), "true or false", f"set {name} to a boolean"))
        if self.automatic_failover is True and is_whole(replicas) and replicas == 0:
            problems.append(Problem("automatic_failover", True, "automatic failover with at least one replica",
                                    "add a replica (replicas_per_node_group = 1) or turn automatic_failover off",
                                    "nothing to fail over to"))
        if self.multi_az is True and self.automatic_failover is False:
            problems.append(Problem("multi_az", True, "Multi-AZ together with automatic failover",
                                    "turn automatic_failover on (with a replica), or multi_az off",
                                    "Multi-AZ without automatic failover"))
        return problems

    def _backup_problems(self) -> list[Problem]:
        problems = []
        days = self.snapshot_retention_days
        if not is_whole(days) or not 1 <= days <= MAX_SNAPSHOT_RETENTION_DAYS:
            problems.append(Problem("snapshot_retention_days", days, f"1 to {MAX_SNAPSHOT_RETENTION_DAYS} days",
                                    "automatic backups are always on: keep them at least one day"))
        problems += window_problems(self.snapshot_window, self.maintenance_window)
        return problems

    def _other_problems(self) -> list[Problem]:
        problems = []
        if not is_whole(self.port) or not 1024 <= self.port <= 65535:
            problems.append(Problem("port", self.port, "1024 to 65535", f"use {DEFAULT_PORT}, Valkey's own"))
        if not is_whole(self.log_retention_days) or self.log_retention_days not in LOG_RETENTION_DAYS:
            problems.append(Problem("log_retention_days", self.log_retention_days,
                                    f"one of CloudWatch's retention values {list(LOG_RETENTION_DAYS)}",
                                    "pick the nearest allowed value (365 keeps a year)"))
        key = self.kms_key_arn
        if key is not None and not is_reference(key) and not (isinstance(key, str) and _KMS_KEY_ARN.match(key)):
            problems.append(Problem("kms_key_arn", key, "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)",
                                    "give the key's ARN (not an alias), or leave it out to have a key created"))
        problems += tag_problems(self.tags, "tags")
        return problems


def window_problems(snapshot_window: object, maintenance_window: object, *, snapshot_path: str = "snapshot_window",
                    maintenance_path: str = "maintenance_window") -> list[Problem]:
    """ElastiCache's windows: ``hh:mm-hh:mm`` and ``ddd:hh:mm-ddd:hh:mm`` in UTC, at least 60 minutes each, and the
    daily snapshot window never overlapping the weekly maintenance window (across midnight and the week's end too)."""
    return daily_and_weekly_window_problems(
        snapshot_window, maintenance_window, daily_path=snapshot_path, maintenance_path=maintenance_path,
        minimum_minutes=WINDOW_MIN_MINUTES, what="snapshot", daily_example="01:00-02:00",
        maintenance_example="sun:05:00-sun:06:00")


@dataclass(frozen=True)
class CacheMetric:
    """One CloudWatch metric of one cache node (``AWS/ElastiCache``, published every 60 s)."""

    metric_name: str
    statistic: str
    dimensions: Mapping[str, str]
    namespace: str = "AWS/ElastiCache"


@dataclass(frozen=True)
class CacheAlarmSpec:
    """One alarm, as data: either ``metric`` (a plain metric alarm) or ``expression`` over ``queries`` (metric math,
    ``{query id: metric}``; the expression is what the alarm watches). ``key`` is unique within the cache
    (``hit-rate-001``); ``topic`` says whether it should page or file a ticket."""

    key: str
    description: str
    threshold: float
    comparison: str
    treat_missing_data: str
    topic: str
    metric: CacheMetric | None = None
    queries: Mapping[str, CacheMetric] = field(default_factory=dict)
    expression: str | None = None


class ValkeyCache(Construct):
    """Encrypted, guarded ElastiCache for Valkey with IAM authentication. See the module docstring."""

    def __init__(self, scope: Construct, id: str, props: CacheProps):
        require_props("ValkeyCache", props, CacheProps, "CacheProps(name='my-service', engine_version='8.1', "
                      "network=CacheNetwork(vpc_id=..., subnet_ids=(...), client_security_group_ids=(...)))")
        super().__init__(scope, id)
        raise_if_any(problem.prefixed(id) for problem in props.validate())
        guard_replacement_safety(self)
        self.props = props
        group_id = props.replication_group_id
        self._services_user_id = f"{group_id}-services"
        default_user_id = f"{group_id}-default"
        log_groups = {kind: f"/aws/elasticache/{group_id}/{kind}" for kind in LOG_TYPES}
        claim_names(self, id, ("ElastiCache replication group", group_id), ("ElastiCache subnet group", group_id),
                    ("ElastiCache user group", group_id), ("ElastiCache user", self._services_user_id),
                    ("ElastiCache user", default_user_id),
                    *(("CloudWatch log group", name) for name in log_groups.values()),
                    *((("KMS alias", f"alias/{group_id}"),) if props.kms_key_arn is None else ()))
        account = Account.of(self)
        tags = {**props.tags, "vtc/cache": group_id}
        guard = TerraformResourceLifecycle(prevent_destroy=True) if not props.disposable else None

        self.key = None
        if props.kms_key_arn is None:
            policy = policy_document(self, "key-policy", account_admin_statement(account),
                                     logs_statement(account, list(log_groups.values())))
            # Guarded with the cache: it encrypts the retained automatic backups and the final snapshot.
            self.key = kms_key(self, "key", description=f"{group_id}: Valkey data, backups and logs",
                               alias=group_id, policy=policy, tags=tags, lifecycle=guard)
        self._key_arn = props.kms_key_arn if self.key is None else self.key.arn

        # Created before the replication group, so ElastiCache delivers into groups with our retention and key.
        self.log_groups = {kind: CloudwatchLogGroup(self, f"log-group-{kind}", name=name, kms_key_id=self._key_arn,
                                                    retention_in_days=props.log_retention_days, tags=tags)
                           for kind, name in log_groups.items()}

        # A fixed name, updated in place when the subnets change (ElastiCache modifies a subnet group): no
        # create_before_destroy, which a fixed name could not take (vtc_constructs._common, replacement safety).
        self.subnet_group = ElasticacheSubnetGroup(self, "subnet-group", name=group_id,
                                                   description=f"{group_id}: the cache's private subnets",
                                                   subnet_ids=list(props.network.subnet_ids), tags=tags)
        self.security_group = SecurityGroup(self, "security-group", name_prefix=f"{group_id}-",
                                            vpc_id=props.network.vpc_id,
                                            description=f"{group_id}: Valkey from the cluster nodes only",
                                            tags={**tags, "Name": group_id},
                                            lifecycle=TerraformResourceLifecycle(create_before_destroy=True))
        for index, client in enumerate(props.network.client_security_group_ids):
            VpcSecurityGroupIngressRule(self, f"from-client-{index}", security_group_id=self.security_group.id,
                                        referenced_security_group_id=client, ip_protocol="tcp",
                                        from_port=props.port, to_port=props.port,
                                        description="Valkey (TLS) from the cluster nodes", tags=tags)
            VpcSecurityGroupEgressRule(self, f"client-{index}-to-cache", security_group_id=client,
                                       referenced_security_group_id=self.security_group.id, ip_protocol="tcp",
                                       from_port=props.port, to_port=props.port,
                                       description="Cluster nodes to Valkey (TLS)", tags=tags)

        self.services_user = ElasticacheUser(
            self, "services-user", user_id=self._services_user_id, user_name=self._services_user_id,
            engine=RBAC_ENGINE, access_string=SERVICES_ACCESS_STRING,
            authentication_mode=ElasticacheUserAuthenticationMode(type="iam"), tags=tags)
        self.default_user = ElasticacheUser(
            self, "default-user", user_id=default_user_id, user_name="default", engine=RBAC_ENGINE,
            access_string=DEFAULT_USER_ACCESS_STRING, no_password_required=True, tags=tags)
        self.user_group = ElasticacheUserGroup(
            self, "user-group", user_group_id=group_id, engine=RBAC_ENGINE,
            user_ids=[self.default_user.user_id, self.services_user.user_id], tags=tags)

        self.replication_group = ElasticacheReplicationGroup(
            self, "replication-group", replication_group_id=group_id,
            description=f"{group_id}: the services' Valkey cache (IAM auth, TLS required)",
            engine=ENGINE, engine_version=props.engine_version, node_type=props.node_type, port=props.port,
            cluster_mode="disabled", num_cache_clusters=props.node_count,
            automatic_failover_enabled=props.automatic_failover, multi_az_enabled=props.multi_az,
            subnet_group_name=self.subnet_group.name, security_group_ids=[self.security_group.id],
            at_rest_encryption_enabled="true", kms_key_id=self._key_arn,
            transit_encryption_enabled=True, transit_encryption_mode="required",
            user_group_ids=[self.user_group.user_group_id],
            auto_minor_version_upgrade="true", maintenance_window=props.maintenance_window,
            snapshot_retention_limit=props.snapshot_retention_days, snapshot_window=props.snapshot_window,
            final_snapshot_identifier=None if props.disposable else f"{group_id}-final",
            log_delivery_configuration=[ElasticacheReplicationGroupLogDeliveryConfiguration(
                destination=group.name, destination_type="cloudwatch-logs", log_format="json", log_type=kind)
                for kind, group in self.log_groups.items()],
            tags=tags, lifecycle=guard)

    # --- typed outputs ------------------------------------------------------------------------------------------------

    @functools.cached_property
    def cache_replication_group_id(self) -> str:
        """``<name>-cache``: the host name the services' IAM tokens are signed for, and the prefix of the node IDs."""
        return self.replication_group.replication_group_id

    @functools.cached_property
    def cache_replication_group_arn(self) -> str:
        return self.replication_group.arn

    @functools.cached_property
    def cache_primary_endpoint_address(self) -> str:
        """Where the services write (and read what they must read fresh); follows the primary across failovers."""
        return self.replication_group.primary_endpoint_address

    @functools.cached_property
    def cache_reader_endpoint_address(self) -> str:
        """Spreads reads over the replicas (the primary when there is none); replicas lag the primary slightly."""
        return self.replication_group.reader_endpoint_address

    @property
    def cache_port(self) -> int:
        return self.props.port

    @functools.cached_property
    def cache_user_group_id(self) -> str:
        return self.user_group.user_group_id

    @functools.cached_property
    def cache_services_user_name(self) -> str:
        """The user the services sign in as (IAM): its user ID and user name are the same, ``<name>-cache-services``."""
        return self.services_user.user_name

    @functools.cached_property
    def cache_services_user_arn(self) -> str:
        return self.services_user.arn

    @functools.cached_property
    def cache_security_group_id(self) -> str:
        return self.security_group.id

    @property
    def cache_kms_key_arn(self) -> str:
        return self._key_arn

    @functools.cached_property
    def cache_log_group_names(self) -> dict[str, str]:
        """``{"slow-log": ..., "engine-log": ...}``: the CloudWatch log groups ElastiCache delivers to."""
        return {kind: group.name for kind, group in self.log_groups.items()}

    @functools.cached_property
    def cache_member_cluster_ids(self) -> list[str]:
        """The node IDs, ``<name>-cache-001`` to ``-00N`` (ElastiCache's naming of a cluster-mode-disabled group's
        members), as references to the replication group: what the per-node metrics' ``CacheClusterId`` is, and
        anything built from them waits for the group. A failover changes which one is primary, not the IDs."""
        return [f"{self.replication_group.replication_group_id}-{n:03d}" for n in range(1, self.props.node_count + 1)]

    def cache_connect_statement(self, sid: str = "ConnectToTheCacheWithIam") -> Statement:
        """``elasticache:Connect`` on the replication group and on the services' user: what the services' IRSA role
        needs to sign in with an IAM token.
        Ref: https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth-iam.html"""
        return Statement(sid=sid, actions=list(CONNECT_ACTIONS),
                         resources=[self.cache_replication_group_arn, self.cache_services_user_arn])

    def cache_dashboard_metrics(self) -> dict[str, list[CacheMetric]]:
        """The dashboard panel's series, one per node: ``CacheHitRate`` (the hit rate the issue asks for),
        ``Evictions``, ``DatabaseMemoryUsagePercentage`` and ``EngineCPUUtilization``, by metric name."""
        series = (("CacheHitRate", "Average"), ("Evictions", "Sum"), ("DatabaseMemoryUsagePercentage", "Maximum"),
                  ("EngineCPUUtilization", "Average"))
        return {name: [CacheMetric(name, statistic, {"CacheClusterId": node}) for node in self.cache_member_cluster_ids]
                for name, statistic in series}

    def cache_alarm_specs(self, *, hit_rate_percent: float = CACHE_HIT_RATE_MIN_PERCENT,
                          hit_rate_min_lookups: int = CACHE_HIT_RATE_MIN_LOOKUPS,
                          evictions: int = CACHE_EVICTIONS_MAX, memory_percent: float = CACHE_MEMORY_MAX_PERCENT,
                          engine_cpu_percent: float = CACHE_ENGINE_CPU_MAX_PERCENT) -> list[CacheAlarmSpec]:
        """Four alarms per node, as data for the Alarms construct. Per node, because ElastiCache publishes per node
        and a metric-math alarm may read at most 10 metrics (a hit rate over six nodes needs 12).

        * hit rate: ``CacheHits`` and ``CacheMisses`` rather than ``CacheHitRate``, so that a node serving (almost)
          no reads, as a replica often does, counts as 100 % instead of 0 %: below ``hit_rate_percent`` once the node
          answers at least ``hit_rate_min_lookups`` gets in a period; files a ticket;
        * ``Evictions`` (Sum) above ``evictions``: memory is full; files a ticket;
        * ``DatabaseMemoryUsagePercentage`` (Maximum) above ``memory_percent``: pages (writes fail when keys without a
          TTL fill it);
        * ``EngineCPUUtilization`` (Average) above ``engine_cpu_percent``: the engine thread is saturated; pages.
        """
        specs = []
        for number, node in enumerate(self.cache_member_cluster_ids, start=1):
            dimensions = {"CacheClusterId": node}
            suffix = f"{number:03d}"
            specs += [
                CacheAlarmSpec(
                    key=f"hit-rate-{suffix}", threshold=hit_rate_percent, comparison="LessThanThreshold",
                    treat_missing_data="notBreaching", topic="notify",
                    queries={"hits": CacheMetric("CacheHits", "Sum", dimensions),
                             "misses": CacheMetric("CacheMisses", "Sum", dimensions)},
                    expression=f"IF(hits + misses >= {hit_rate_min_lookups}, 100 * hits / (hits + misses), 100)",
                    description=f"Cache node {suffix}: hit rate below {hit_rate_percent} %. Look at: key TTLs too "
                                "short, evictions, a new access pattern or key scheme in the last release."),
                CacheAlarmSpec(
                    key=f"evictions-{suffix}", metric=CacheMetric("Evictions", "Sum", dimensions),
                    threshold=evictions, comparison="GreaterThanThreshold", treat_missing_data="notBreaching",
                    topic="notify",
                    description=f"Cache node {suffix} evicts keys: its memory is full. Look at: memory usage, keys "
                                "without a TTL, a larger node_type."),
                CacheAlarmSpec(
                    key=f"memory-{suffix}", metric=CacheMetric("DatabaseMemoryUsagePercentage", "Maximum", dimensions),
                    threshold=memory_percent, comparison="GreaterThanThreshold", treat_missing_data="breaching",
                    topic="page",
                    description=f"Cache node {suffix} uses more than {memory_percent} % of its memory. At 100 % keys "
                                "with a TTL are evicted and writes of others fail. Look at: keys without a TTL, "
                                "large values, a larger node_type."),
                CacheAlarmSpec(
                    key=f"engine-cpu-{suffix}", metric=CacheMetric("EngineCPUUtilization", "Average", dimensions),
                    threshold=engine_cpu_percent, comparison="GreaterThanThreshold", treat_missing_data="breaching",
                    topic="page",
                    description=f"Cache node {suffix}: the Valkey engine thread is above {engine_cpu_percent} % CPU. "
                                "Look at: slow-log (O(N) commands), hot keys, reads that could go to the reader "
                                "endpoint, a larger node_type."),
            ]
        return specs
