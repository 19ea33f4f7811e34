"""The environment model: typed, frozen, validated; loaded from TOML files that hold data only.

``environments/base.toml`` holds what every environment shares; ``environments/<name>.toml`` holds only that
environment's differences, merged over the base table by table. Every problem in every file is reported at once,
each as ``<env>.<field path>: what is wrong (got X); allowed: ...; fix: ...``, before anything is synthesized.

Usage::

    from environments.model import load_environments
    envs = load_environments()              # every environment file in environments/
    envs = load_environments(["staging"])   # just one
"""

from __future__ import annotations

import copy
import ipaddress
import re
import tomllib
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Sequence

from vtc_constructs.alarms import AlarmsProps, AlarmTargets, AlarmThresholds
from vtc_constructs.database import DatabaseProps
from vtc_constructs.edge import Certificate, EdgeProps
from vtc_constructs.eks import (
    ADDONS,
    CapacityType,
    DesiredSizeOwner,
    EksClusterProps,
    NodeGroupProps,
    Taint,
    TaintEffect,
)
from vtc_constructs.errors import ConfigError, Problem
from vtc_constructs.network import (
    NatStrategy,
    NetworkProps,
    planned_cluster_network,
    planned_database_network,
    planned_edge_network,
)

ENVIRONMENTS_DIR = Path(__file__).resolve().parent
BASE_FILE = "base.toml"

#: Every environment spreads over at least this many AZs (multi-AZ database, per-AZ NAT, EKS node spread).
MIN_AVAILABILITY_ZONES = 3

# Commercial AWS regions (2025). Ref: https://docs.aws.amazon.com/global-infrastructure/latest/regions/
AWS_REGIONS = frozenset({
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
    "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
    "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1",
    "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1",
    "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
})

STATE_LOCKING = ("s3-lockfile", "dynamodb")


@dataclass(frozen=True, kw_only=True)
class StateBackend:
    """Where an environment's Terraform state lives: S3, always encrypted, always locked.

    :param bucket: the state bucket (must already exist). Required.
    :param key: the state object's key; unique per environment. Required.
    :param region: the bucket's region. Required.
    :param locking: ``s3-lockfile`` (default: Terraform's native S3 lock file, no table needed) or ``dynamodb``.
    :param dynamodb_table: the lock table, required with ``locking = "dynamodb"`` only.
    """

    bucket: str
    key: str
    region: str
    locking: str = "s3-lockfile"
    dynamodb_table: str | None = None

    def validate(self) -> list[Problem]:
        problems = []
        for field in ("bucket", "key"):
            value = getattr(self, field)
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(field, value, "a non-empty string", f"set state.{field}", "missing value"))
        if self.region not in AWS_REGIONS:
            problems.append(_unknown_region(self.region))
        if self.locking not in STATE_LOCKING:
            problems.append(Problem("locking", self.locking, ", ".join(STATE_LOCKING),
                                    "use 's3-lockfile' unless you already run a DynamoDB lock table"))
        if self.locking == "dynamodb" and not self.dynamodb_table:
            problems.append(Problem("dynamodb_table", self.dynamodb_table, "the lock table's name",
                                    "set state.dynamodb_table, or use locking = 's3-lockfile'", "missing value"))
        return problems


@dataclass(frozen=True, kw_only=True)
class EnvironmentConfig:
    """One environment: everything its stack needs, already validated."""

    name: str
    region: str
    #: The AWS account this environment deploys to. The provider refuses any other (``allowed_account_ids``), so
    #: credentials for the wrong account fail before Terraform reads or changes anything.
    account_id: str
    state: StateBackend
    tags: Mapping[str, str]
    network: NetworkProps
    eks: EksClusterProps
    database: DatabaseProps
    edge: EdgeProps
    alarms: AlarmsProps
    source: tuple[str, ...] = ()

    @property
    def resource_prefix(self) -> str:
        """``vtc-<name>``: the prefix of every named resource of this environment."""
        return f"vtc-{self.name}"


def _unknown_region(value: object) -> Problem:
    return Problem("region", value, "an AWS commercial region such as eu-west-1",
                   "correct the region's name", "unknown region")


def available_environments(directory: Path = ENVIRONMENTS_DIR) -> list[str]:
    """The names of the environment files in ``directory`` (every ``*.toml`` except the base)."""
    return sorted(p.stem for p in directory.glob("*.toml") if p.name != BASE_FILE)


def load_environments(names: Sequence[str] | None = None, directory: Path | str = ENVIRONMENTS_DIR
                      ) -> list[EnvironmentConfig]:
    """Load, validate and cross-check environments; raise :class:`ConfigError` with every problem found.

    :param names: default: every environment file in ``directory``.
    """
    directory = Path(directory)
    known = available_environments(directory)
    names = list(names) if names is not None else known
    problems: list[Problem] = []
    for name in names:
        if name not in known:
            problems.append(Problem("environment", name, ", ".join(known) or "(no environment files)",
                                    f"pick a known environment or add {directory / (name + '.toml')}",
                                    "unknown environment"))
    base, base_problems = _read_toml(directory / BASE_FILE, "base", required=False)
    problems += base_problems
    envs: list[EnvironmentConfig] = []
    for name in (n for n in names if n in known):
        data, read_problems = _read_toml(directory / f"{name}.toml", name, required=True)
        problems += read_problems
        if read_problems:
            continue
        env, env_problems = _build(name, _merge(base, data), (str(directory / BASE_FILE), str(directory / f"{name}.toml")))
        problems += env_problems
        if env is not None:
            envs.append(env)
    if not problems:
        problems += _cross_checks(envs)
    if problems:
        raise ConfigError(problems)
    return envs


def _read_toml(path: Path, label: str, required: bool) -> tuple[dict[str, Any], list[Problem]]:
    if not path.exists():
        if required:
            return {}, [Problem(label, str(path), "an existing TOML file", "create it", "file missing")]
        return {}, []
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), []
    except tomllib.TOMLDecodeError as exc:
        return {}, [Problem(label, path.name, "valid TOML", f"fix the syntax ({exc})", "unreadable file")]


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Table-by-table merge: tables merge recursively, every other value in ``override`` replaces the base's."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


_TOP_LEVEL = {"region", "account_id", "tags", "state", "network", "eks", "database", "edge", "alarms"}
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
_PRINCIPAL_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:(?:iam|sts)::([0-9]{12}):")

#: Backups every environment must keep at least (days); an environment not listed keeps at least 7.
MIN_BACKUP_RETENTION_DAYS = {"production": 30, "staging": 7}


def _build(name: str, data: dict[str, Any], source: tuple[str, ...]) -> tuple[EnvironmentConfig | None, list[Problem]]:
    problems: list[Problem] = []
    for key in sorted(set(data) - _TOP_LEVEL):
        problems.append(Problem(key, data[key], ", ".join(sorted(_TOP_LEVEL)), "remove or rename the key",
                                "unknown field"))
    region = data.get("region")
    if region not in AWS_REGIONS:
        problems.append(_unknown_region(region))
    account_id = data.get("account_id")
    if not isinstance(account_id, str) or not _ACCOUNT_ID.match(account_id):
        problems.append(Problem("account_id", account_id, "the 12-digit id of the AWS account, as a string",
                                'write it quoted, e.g. account_id = "123456789012" (a leading zero is part of it)'))
        account_id = None

    tags = data.get("tags", {})
    if not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
        problems.append(Problem("tags", tags, "a table of string keys to string values", "quote every tag value"))
        tags = {}

    state, state_problems = _table(StateBackend, data.get("state"), "state", {})
    problems += state_problems
    network, network_problems = _table(NetworkProps, data.get("network"), "network",
                                       {"name": f"vtc-{name}"}, convert=_network_types)
    problems += network_problems
    # Each construct on the network is validated against the network it will get (planned ids; the real ones exist
    # at synth), except that an invalid network is reported once, above, not again by every construct on it.
    eks = database = edge = None
    if network is not None:
        checked = not network_problems
        eks, eks_problems = _on_network(EksClusterProps, data, "eks", name, planned_cluster_network(network),
                                        _eks_types, checked)
        database, database_problems = _on_network(DatabaseProps, data, "database", name,
                                                  planned_database_network(network), None, checked)
        edge, edge_problems = _on_network(EdgeProps, data, "edge", name, planned_edge_network(network),
                                          _edge_types, checked)
        problems += eks_problems + database_problems + edge_problems
    alarms = None
    if database is not None and edge is not None:
        # Validated against what it will watch; the ids are filled in by the stack.
        planned = AlarmTargets(alb_arn_suffix="planned:alb", target_group_arn_suffixes={"blue": "planned:blue",
                               "green": "planned:green"}, colour_weights={"blue": edge.blue_weight,
                               "green": edge.green_weight}, db_instance_id="planned:db",
                               db_instance_class=database.instance_class,
                               db_allocated_storage_gib=database.allocated_storage_gib, cluster_name=f"vtc-{name}")
        alarms, alarm_problems = _table(AlarmsProps, data.get("alarms"), "alarms",
                                        {"name": f"vtc-{name}", "targets": planned}, convert=_alarm_types)
        problems += alarm_problems
    if eks is not None and account_id is not None and isinstance(eks.admin_principal_arns, tuple):
        for i, arn in enumerate(eks.admin_principal_arns):
            match = _PRINCIPAL_ACCOUNT.match(arn) if isinstance(arn, str) else None
            if match and match.group(1) != account_id:
                problems.append(Problem(f"eks.admin_principal_arns[{i}]", arn, f"a principal of account {account_id}",
                                        "EKS access entries take principals of the cluster's own account: use the "
                                        "role in that account, or correct account_id", "principal in another account"))
    minimum = MIN_BACKUP_RETENTION_DAYS.get(name, 7)
    if database is not None and isinstance(database.backup_retention_days, int) and \
            1 <= database.backup_retention_days < minimum:
        problems.append(Problem("database.backup_retention_days", database.backup_retention_days,
                                f">= {minimum} days in {name}", f"keep at least {minimum} days of backups",
                                "too few backups"))

    if network is not None:
        azs = network.availability_zones
        if isinstance(azs, tuple) and len(azs) < MIN_AVAILABILITY_ZONES:
            problems.append(Problem("network.availability_zones", list(azs),
                                    f"at least {MIN_AVAILABILITY_ZONES} Availability Zones",
                                    f"list {MIN_AVAILABILITY_ZONES} AZs of {region}", "too few Availability Zones"))
        if region in AWS_REGIONS and isinstance(azs, tuple):  # an unknown region is reported once, above
            for i, az in enumerate(azs):
                if isinstance(az, str) and not (az.startswith(region) and len(az) == len(region) + 1):
                    problems.append(Problem(f"network.availability_zones[{i}]", az, f"an AZ of {region}",
                                            f"use {region}a, {region}b, ...", "AZ outside the region"))
    problems = [p.prefixed(name) for p in problems]
    if problems:
        return None, problems
    return EnvironmentConfig(name=name, region=region, account_id=account_id, state=state, tags=MappingProxyType(dict(tags)),
                             network=network, eks=eks, database=database, edge=edge, alarms=alarms,
                             source=source), []


def _on_network(cls, data: dict[str, Any], key: str, name: str, planned, convert, check_network: bool):
    """Build the ``[key]`` table's props with the planned network, then run their own validation."""
    instance, problems = _table(cls, data.get(key), key, {"name": f"vtc-{name}", "network": planned},
                                convert=convert, validate=False)
    if instance is not None:
        problems += [p.prefixed(key) for p in instance.validate(check_network=check_network)]
    return instance, problems


def _enum(enum, value):
    """``value`` as a member of ``enum`` when it names one; otherwise as given, for validate() to report."""
    return enum(value) if value in {m.value for m in enum} else value


def _tuples(values: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {**values, **{k: tuple(values[k]) for k in keys if isinstance(values.get(k), list)}}


def _network_types(values: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    values = _tuples(values, "availability_zones")
    if "nat_strategy" in values:
        values["nat_strategy"] = _enum(NatStrategy, values["nat_strategy"])
    return values, []


def _alarm_types(values: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    values = _tuples(values, "page_email_endpoints", "page_https_endpoints", "notify_email_endpoints")
    thresholds, problems = _table(AlarmThresholds, values.get("thresholds", {}), "thresholds", {}, validate=False)
    values["thresholds"] = thresholds
    return values, problems


def _edge_types(values: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    values = _tuples(values, "ingress_cidrs")
    certificate = values.get("certificate")
    if not isinstance(certificate, dict):
        return values, [Problem("certificate", certificate, "a [edge.certificate] table with certificate_arn, or "
                                "domain_name and hosted_zone_name", "add the table", "no certificate")]
    unknown = sorted(set(certificate) - {"certificate_arn", "domain_name", "hosted_zone_name"})
    if unknown:
        return values, [Problem(f"certificate.{key}", certificate[key], "certificate_arn, domain_name, "
                                "hosted_zone_name", "remove or rename the key", "unknown field") for key in unknown]
    values["certificate"] = Certificate(**certificate)
    return values, []


def _eks_types(values: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    values = _tuples(values, "admin_principal_arns", "endpoint_public_access_cidrs", "control_plane_log_types")
    problems: list[Problem] = []
    groups = values.get("node_groups", {})
    if not isinstance(groups, dict):
        return values, [Problem("node_groups", groups, "a table of node groups, [eks.node_groups.<name>]",
                                "define each group as its own table")]
    built = []
    for group_name, group in groups.items():
        group = _tuples(group, "instance_types")
        for key, enum in (("capacity_type", CapacityType), ("desired_size_owner", DesiredSizeOwner)):
            if key in group:
                group[key] = _enum(enum, group[key])
        if isinstance(group.get("taints"), list):
            group["taints"] = tuple(Taint(key=t.get("key"), value=t.get("value", ""),
                                          effect=_enum(TaintEffect, t.get("effect", "NO_SCHEDULE")))
                                    for t in group["taints"])
        instance, group_problems = _table(NodeGroupProps, group, f"node_groups.{group_name}", {"name": group_name},
                                          validate=False)
        problems += group_problems
        if instance is not None:
            built.append(instance)
    values["node_groups"] = tuple(built)
    return values, problems


def _table(cls, data: object, path: str, fixed: dict[str, Any], convert=None, validate: bool = True):
    """Build dataclass ``cls`` from a TOML table; report unknown, missing and invalid fields, all of them.

    ``convert`` turns TOML values into the field types (lists to tuples, strings to enums) and may report
    problems of nested tables; ``validate`` runs the props' own checks (off for nested props that the parent
    validates).
    """
    if not isinstance(data, dict):
        return None, [Problem(path, data, f"a [{path}] table", f"add a [{path}] table", "missing table")]
    allowed = {f.name for f in fields(cls)} - set(fixed)
    problems = [Problem(f"{path}.{key}", data[key], ", ".join(sorted(allowed)), "remove or rename the key",
                        "unknown field") for key in sorted(set(data) - allowed)]
    required = {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING} - set(fixed)
    for key in sorted(required - set(data)):
        problems.append(Problem(f"{path}.{key}", None, "a value", f"set {path}.{key}", "missing field"))
    if problems:
        return None, problems
    values, nested = convert(data) if convert else (data, [])
    if nested:
        return None, [p.prefixed(path) for p in nested]
    instance = cls(**fixed, **values)
    return instance, [p.prefixed(path) for p in instance.validate()] if validate else []


def _cross_checks(envs: Sequence[EnvironmentConfig]) -> list[Problem]:
    """Checks between environments: nothing shared that must be separate; production no weaker than staging."""
    problems: list[Problem] = []
    for i, a in enumerate(envs):
        for b in envs[i + 1:]:
            if ipaddress.IPv4Network(a.network.vpc_cidr).overlaps(ipaddress.IPv4Network(b.network.vpc_cidr)):
                problems.append(Problem(f"{b.name}.network.vpc_cidr", b.network.vpc_cidr,
                                        f"a range that does not overlap {a.name}'s {a.network.vpc_cidr}",
                                        "give every environment its own range, so they can be peered later",
                                        "overlapping CIDR"))
            if (a.state.bucket, a.state.key) == (b.state.bucket, b.state.key):
                problems.append(Problem(f"{b.name}.state.key", b.state.key, f"a key other than {a.name}'s",
                                        "use a state key per environment", "shared state"))
    by_name = {e.name: e for e in envs}
    staging, production = by_name.get("staging"), by_name.get("production")
    if staging and production:
        if (production.network.nat_strategy is not NatStrategy.ONE_PER_AZ
                and staging.network.nat_strategy is NatStrategy.ONE_PER_AZ):
            problems.append(Problem("production.network.nat_strategy", production.network.nat_strategy.value,
                                    "one_per_az (staging has it)", "production must not be weaker than staging"))
        problems += _production_eks_checks(staging.eks, production.eks)
        problems += _production_database_checks(staging.database, production.database)
        if not production.edge.deletion_protection:
            problems.append(Problem("production.edge.deletion_protection", False, "true",
                                    "the production load balancer must not be deletable by accident",
                                    "unguarded production load balancer"))
        if production.network.flow_log_retention_days < staging.network.flow_log_retention_days:
            problems.append(Problem("production.network.flow_log_retention_days",
                                    production.network.flow_log_retention_days,
                                    f">= staging's {staging.network.flow_log_retention_days}",
                                    "production must not be weaker than staging"))
    return problems


def _production_eks_checks(staging: EksClusterProps, production: EksClusterProps) -> list[Problem]:
    """Production's cluster is no weaker than staging's, and pins every add-on.

    Node disk encryption needs no check: the construct always encrypts it.
    """
    problems = []
    if production.endpoint_public_access and not staging.endpoint_public_access:
        problems.append(Problem("production.eks.endpoint_public_access_cidrs",
                                list(production.endpoint_public_access_cidrs), "[] (staging's endpoint is private)",
                                "production must not be weaker than staging: keep its API endpoint private"))
    missing = [t for t in staging.control_plane_log_types if t not in production.control_plane_log_types]
    if missing:
        problems.append(Problem("production.eks.control_plane_log_types", list(production.control_plane_log_types),
                                f"every type staging logs, including {', '.join(missing)}",
                                "production must not be weaker than staging"))
    if production.log_retention_days < staging.log_retention_days:
        problems.append(Problem("production.eks.log_retention_days", production.log_retention_days,
                                f">= staging's {staging.log_retention_days}",
                                "production must not be weaker than staging"))
    unpinned = [a for a in ADDONS if not production.addon_versions.get(a)]
    if unpinned:
        problems.append(Problem("production.eks.addon_versions", dict(production.addon_versions),
                                f"a pinned version for every add-on ({', '.join(ADDONS)})",
                                f"pin {', '.join(unpinned)} (aws eks describe-addon-versions)", "unpinned add-on"))
    return problems


def _production_database_checks(staging: DatabaseProps, production: DatabaseProps) -> list[Problem]:
    """Production's database is guarded, and no weaker than staging's in anything that protects data."""
    problems = []
    if production.disposable:
        problems.append(Problem("production.database.disposable", True, "false",
                                "production data must be guarded: deletion protection, final snapshot, "
                                "prevent_destroy", "unguarded production database"))
    if staging.multi_az and not production.multi_az:
        problems.append(Problem("production.database.multi_az", False, "true (staging has it)",
                                "production must not be weaker than staging"))
    for field in ("backup_retention_days", "performance_insights_retention_days", "log_retention_days"):
        if getattr(production, field) < getattr(staging, field):
            problems.append(Problem(f"production.database.{field}", getattr(production, field),
                                    f">= staging's {getattr(staging, field)}",
                                    "production must not be weaker than staging"))
    return problems
