"""Environment tiers: what a production environment must at least be, whatever its name.

Every environment file says what it is (``tier = "production"`` or ``tier = "non-production"``); the guards follow
the tier, never the file's name. A production-tier environment

1. meets a stated minimum of its own on every guarded setting (:data:`GUARDS`), and
2. is never weaker than any non-production environment on the same settings (if staging keeps flow logs 400 days,
   production keeps them at least 400 days).

Both hold when only one environment is synthesized: every file is loaded and checked on every run.

Usage::

    problems = tier_problems(environments)   # [] when every production environment is guarded
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from vtc_constructs import ADDONS, CONTROL_PLANE_LOG_TYPES, SEED_REPLICA_RANGES, NatStrategy
from vtc_constructs.aws_api_callers import DEFAULT_INTERFACE_ENDPOINTS
from vtc_constructs.errors import Problem

# Tier lives with the other types (config.py) so that neither this module nor model.py imports the other's module
# back; it stays importable from here.
from .config import EnvironmentConfig, Tier
from .schema import shown


#: Backups every environment of a tier keeps at least (days).
MIN_BACKUP_RETENTION_DAYS = {Tier.PRODUCTION: 30, Tier.NON_PRODUCTION: 7}


@dataclass(frozen=True)
class Guard:
    """One guarded setting.

    :param path: the setting's path in the environment file.
    :param read: reads the setting from a loaded environment.
    :param rank: orders values: a higher rank is stronger (a number, or a bool).
    :param minimum: production's own minimum, as a value of the setting.
    :param compare: production must also rank at least as high as every non-production environment.
    :param allowed: the minimum in words, for the message.
    :param fix: what to change.
    """

    path: str
    read: Callable[["EnvironmentConfig"], object]
    rank: Callable[[object], float]
    minimum: object
    allowed: str
    fix: str
    compare: bool = True

    def applies(self, env: "EnvironmentConfig") -> bool:
        """Whether ``env`` has the setting's part at all: an optional table (``[cache]``, ``[search]``,
        ``[registry]``) absent from its file is None, and then held to no minimum and compared with nothing."""
        return getattr(env, self.path.split(".", 1)[0]) is not None


def _at_least(value: object) -> float:
    return float(value)  # type: ignore[arg-type]


def _flag(value: object) -> float:
    return 1.0 if value else 0.0


def _not(value: object) -> float:
    return 0.0 if value else 1.0


def _at_most(value: object) -> float:
    return -float(value)  # type: ignore[arg-type]


def _shown(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        value = list(value)
    elif isinstance(value, Mapping):
        value = dict(value)
    return shown(value)


ALL_LOG_TYPES = frozenset(CONTROL_PLANE_LOG_TYPES)

#: Every guarded setting, with production's minimum. The table of tiers in docs/guides/environments.md is this table
#: in words.
GUARDS: tuple[Guard, ...] = (
    Guard("network.nat_strategy", lambda e: e.network.nat_strategy,
          lambda v: 1.0 if v is NatStrategy.ONE_PER_AZ else 0.0, NatStrategy.ONE_PER_AZ,
          "one_per_az", "give every AZ its own NAT gateway, so an AZ outage cannot cut the others' egress"),
    Guard("network.flow_log_retention_days", lambda e: e.network.flow_log_retention_days, _at_least, 365,
          "at least 365 days", "keep VPC flow logs at least a year"),
    # The interface endpoints keep the pods' HTTPS to AWS in the VPC (their NetworkPolicies narrow only then), and in
    # every AZ an AZ's loss takes no other AZ's AWS access with it.
    Guard("network.interface_endpoints", lambda e: e.network.interface_endpoints,
          lambda v: float(len(set(DEFAULT_INTERFACE_ENDPOINTS) & set(v))), DEFAULT_INTERFACE_ENDPOINTS,
          "an endpoint for every AWS API the cluster calls (" + ", ".join(DEFAULT_INTERFACE_ENDPOINTS) + ")",
          "leave interface_endpoints out (the default list), or add the missing ones"),
    Guard("network.interface_endpoint_zones", lambda e: e.network.interface_endpoint_zones,
          lambda v: 1.0 if v is None else 0.0, None, "every AZ (interface_endpoint_zones left out)",
          "leave interface_endpoint_zones out, so every AZ has the endpoints"),
    Guard("eks.admin_principal_arns", lambda e: e.eks.admin_principal_arns, lambda v: float(len(v) > 0), ("…",),
          "at least one principal", "name the platform team's admin role, so somebody can reach the cluster",
          compare=False),
    Guard("eks.endpoint_public_access_cidrs", lambda e: e.eks.endpoint_public_access_cidrs,
          lambda v: 0.0 if v else 1.0, (), "[] (a private API endpoint)",
          "remove the public access ranges; reach the API through the VPC (VPN, bastion, SSM)"),
    Guard("eks.control_plane_log_types", lambda e: e.eks.control_plane_log_types,
          lambda v: float(len(ALL_LOG_TYPES & set(v))), tuple(CONTROL_PLANE_LOG_TYPES),
          "all five: " + ", ".join(CONTROL_PLANE_LOG_TYPES), "log every control-plane log type"),
    Guard("eks.log_retention_days", lambda e: e.eks.log_retention_days, _at_least, 365,
          "at least 365 days", "keep control-plane logs at least a year"),
    Guard("eks.addon_versions", lambda e: e.eks.addon_versions,
          lambda v: float(sum(1 for a in ADDONS if v.get(a))), {a: "…" for a in ADDONS},
          "a pinned version for every add-on (" + ", ".join(ADDONS) + ")",
          "pin every add-on (aws eks describe-addon-versions --kubernetes-version <version>)", compare=False),
    Guard("database.multi_az", lambda e: e.database.multi_az, _flag, True, "true",
          "keep a synchronous standby in another AZ"),
    Guard("database.disposable", lambda e: e.database.disposable, _not, False, "false",
          "production data must be guarded: deletion protection, final snapshot, prevent_destroy"),
    Guard("database.backup_retention_days", lambda e: e.database.backup_retention_days, _at_least,
          MIN_BACKUP_RETENTION_DAYS[Tier.PRODUCTION], "at least 30 days", "keep at least 30 days of backups"),
    Guard("database.log_retention_days", lambda e: e.database.log_retention_days, _at_least, 365,
          "at least 365 days", "keep database logs at least a year"),
    Guard("database.performance_insights_retention_days", lambda e: e.database.performance_insights_retention_days,
          _at_least, 7, "at least 7 days", "keep Performance Insights at least a week (the free tier)"),
    Guard("edge.deletion_protection", lambda e: e.edge.deletion_protection, _flag, True, "true",
          "the production load balancer must not be deletable by accident"),
    Guard("edge.access_log_expiry_days", lambda e: e.edge.access_log_expiry_days, _at_least, 90,
          "at least 90 days", "keep load balancer access logs at least 90 days"),
    Guard("edge.waf_log_retention_days", lambda e: e.edge.waf_log_retention_days, _at_least, 365,
          "at least 365 days", "keep WAF logs at least a year"),
    # The cache, when an environment has one (``[cache]``): a node's loss must not take the cache with it, and its
    # logs are kept like the others.
    # Multi-AZ needs automatic failover, which needs a replica (the construct's own rules), so this one row holds all
    # three.
    Guard("cache.multi_az", lambda e: e.cache.multi_az, _flag, True,
          "true (with automatic_failover and at least one replica, which Multi-AZ needs)",
          "keep a replica in another AZ, promoted automatically: replicas_per_node_group >= 1, automatic_failover "
          "and multi_az true"),
    Guard("cache.disposable", lambda e: e.cache.disposable, _not, False, "false",
          "guard the production cache: final snapshot, prevent_destroy on the group and its key"),
    Guard("cache.snapshot_retention_days", lambda e: e.cache.snapshot_retention_days, _at_least, 7,
          "at least 7 days", "keep a week of cache backups"),
    Guard("cache.log_retention_days", lambda e: e.cache.log_retention_days, _at_least, 365, "at least 365 days",
          "keep the cache's slow and engine logs at least a year"),
    # The search domain, when an environment has one (``[search]``): it survives an AZ's loss and a master's.
    Guard("search.instance_count", lambda e: e.search.data_node_count, _at_least, 3,
          "at least 3 data nodes (one per AZ: zone awareness over three AZs)",
          "run a data node in each of the three AZs, so the domain survives an AZ's loss"),
    Guard("search.dedicated_master_type", lambda e: e.search.dedicated_master_type, lambda v: float(v is not None),
          "m6g.large.search", "an instance type (three dedicated master nodes)",
          "give the domain dedicated masters (e.g. m6g.large.search), so a busy data node cannot stall the cluster",
          compare=False),
    Guard("search.disposable", lambda e: e.search.disposable, _not, False, "false",
          "guard the production logs: prevent_destroy on the domain and its key"),
    Guard("search.log_retention_days", lambda e: e.search.log_retention_days, _at_least, 365, "at least 365 days",
          "keep the domain's slow, error and audit logs at least a year"),
    # The services' container registry, when an environment has one (``[registry]``): its repositories hold every image
    # the environment runs.
    Guard("registry.disposable", lambda e: e.registry.disposable, _not, False, "false",
          "guard the production images: prevent_destroy on the repositories and their key, no force_delete"),
    # The workloads side: what keeps the platform observable and the paging honest through the loss of a node.
    Guard("workloads.ingress_replicas", lambda e: e.workloads.ingress_replicas, _at_least, 3, "at least 3",
          "run an NGINX pod per colour in each of the three AZs, so an AZ's loss or a drain never leaves one"),
    Guard("workloads.prometheus_replicas", lambda e: e.workloads.prometheus_replicas, _at_least, 2, "at least 2",
          "run two Prometheus servers, so metrics and alerts survive the loss of a node"),
    Guard("workloads.prometheus_retention_days", lambda e: e.workloads.prometheus_retention_days, _at_least, 15,
          "at least 15 days", "keep two weeks of metrics to compare a release with"),
    Guard("workloads.prometheus_storage_gib", lambda e: e.workloads.prometheus_storage_gib, _at_least, 50,
          "at least 50 GiB", "give each Prometheus server room for its retention"),
    # Objectives: a lower number is stricter.
    Guard("workloads.slo_p99_latency_ms", lambda e: e.workloads.slo_p99_latency_ms, _at_most, 100,
          "at most 100 ms (the seed's p99 objective)", "hold production to the seed's p99 < 100 ms"),
    Guard("workloads.slo_error_rate_percent", lambda e: e.workloads.slo_error_rate_percent, _at_most,
          1.0, "at most 1.0 %", "hold production to at most 1 % of requests failing"),
    # The seed's replica ranges (business 3-10, core 5-15, swarm 3-20, development 3-10) are production's floor.
    *(Guard(f"workloads.services.{service}.{bound}_replicas",
            lambda e, service=service, bound=bound: getattr(getattr(e.workloads.services, service),
                                                            f"{bound}_replicas"),
            _at_least, floor, f"at least {floor} (the seed's range for {service})",
            f"scale {service} at least as the platform's design says ({low}-{high} replicas)")
      for service, (low, high) in SEED_REPLICA_RANGES.items()
      for bound, floor in (("min", low), ("max", high))),
)


def tier_problems(envs: Sequence["EnvironmentConfig"]) -> list[Problem]:
    """Every production environment meets the minimum and is no weaker than any non-production one."""
    problems: list[Problem] = []
    others = [e for e in envs if e.tier is not Tier.PRODUCTION]
    for env in (e for e in envs if e.tier is Tier.PRODUCTION):
        for guard in GUARDS:
            if not guard.applies(env):
                continue
            value = guard.read(env)
            rank = guard.rank(value)
            if rank < guard.rank(guard.minimum):
                problems.append(Problem(f"{env.name}.{guard.path}", _shown(value),
                                        f"{guard.allowed}, the production tier's minimum", guard.fix,
                                        "below the production minimum"))
                continue
            if not guard.compare:
                continue
            for other in (o for o in others if guard.applies(o)):
                theirs = guard.read(other)
                if rank < guard.rank(theirs):
                    problems.append(Problem(
                        f"{env.name}.{guard.path}", _shown(value),
                        f"at least what {other.name} (non-production) has: {_shown(theirs)!r}",
                        "a production environment must not be weaker than a non-production one: raise it here, "
                        f"or lower it in {other.name}", "weaker than non-production"))
                    break
    return problems


def image_digest_findings(tier: Tier, workloads) -> tuple[list[Problem], list[Problem]]:
    """``(refused, warned)`` for the images' digests of an environment's ``workloads`` (a ``WorkloadsProps``): a
    production-tier environment without a digest for every service of both colours is refused (a tag is a name that
    a registry could serve another build under; a digest is the build that was scanned and signed); a non-production
    one is warned, once per colour that runs by tag. Paths are relative to the environment."""
    from vtc_constructs.workloads import SERVICES, ImageDigests

    digests = workloads.image_digests if isinstance(workloads.image_digests, ImageDigests) else ImageDigests()
    refused, warned = [], []
    for colour, absent in digests.missing().items():
        given = sorted(set(SERVICES) - set(absent))
        path = f"workloads.image_digests.{colour}"
        lines = ", ".join(f'{service} = "sha256:..."' for service in absent)
        if tier is Tier.PRODUCTION:
            refused.append(Problem(path, given,
                                   f"a sha256 digest for each of {', '.join(SERVICES)} (the production tier runs "
                                   "every image by digest)", f"merge the image-build workflow's pull request for "
                                   f"{colour}, or add [{path}] with {lines} (the digests ECR reports for the "
                                   "pushed tag)",
                                   f"no digest for {', '.join(absent)}"))
        elif tier is Tier.NON_PRODUCTION:
            warned.append(Problem(path, given,
                                  "a sha256 digest per service (allowed without in a non-production environment)",
                                  f"let the image-build workflow's pull request set [{path}]: then {colour} runs "
                                  "exactly the builds that were scanned and signed",
                                  f"{colour} runs {', '.join(absent)} by tag"))
    return refused, warned


def backup_problem(env_name: str, tier: Tier, days: object) -> Problem | None:
    """Backups below the tier's floor (production's floor is also one of :data:`GUARDS`, reported there)."""
    minimum = MIN_BACKUP_RETENTION_DAYS[tier]
    if tier is Tier.NON_PRODUCTION and isinstance(days, int) and not isinstance(days, bool) and 1 <= days < minimum:
        return Problem(f"{env_name}.database.backup_retention_days", days, f">= {minimum} days in a {tier.value} "
                       "environment", f"keep at least {minimum} days of backups", "too few backups")
    return None
