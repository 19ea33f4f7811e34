"""The environment model: typed, frozen, validated; loaded from TOML files that hold data only.

``environments/base.toml`` holds what every environment shares; ``environments/<name>.toml`` holds only that
environment's differences, merged over the base table by table. Every file is read and checked on every run (also
when only one environment is synthesized), and every problem in every file is reported at once, each as
``<env>.<field path>: what is wrong (got X); allowed: ...; fix: ...``, before anything is synthesized:

- the files themselves (missing, a directory, unreadable, not UTF-8, a byte-order mark, not TOML, an extension
  written ``.TOML``, an environment name AWS names cannot carry);
- the shape of every value at every depth (``environments/schema.py``: types, unknown keys with a suggestion,
  missing keys);
- what the values mean: the construct library's own rules (``vtc_constructs``, AWS's limits included) against the
  network each construct will get;
- the Kubernetes version policy (``vtc_constructs/kubernetes_versions.py``): a production-tier environment on a
  version past its end of EKS standard support is refused unless it opts into extended support
  (``eks.support_type = "EXTENDED"``); such a version elsewhere, or one within 90 days of that date, is a warning
  (``EnvironmentConfig.warnings``, printed by ``main.py``);
- the state in the environment's own account (a bucket or KMS key of another account refused where the name or ARN
  says whose it is; the bucket and key default to the environment's own: ``STATE_BUCKET_FORMAT``,
  ``STATE_KMS_ALIAS_FORMAT``);
- between environments: no shared state key, no state bucket named by two accounts, no overlapping VPC ranges, and the
  tier guards
  (``environments/tiers.py``: a production-tier environment meets its minimum and is never weaker than a
  non-production one).

What an environment is (:class:`EnvironmentConfig`, :class:`StateBackend`, :class:`Tier`) is ``environments/config.py``;
finding, reading and merging the files and the shape they may have is ``environments/files.py``; this module loads and
validates. Their names stay importable from here.

Usage::

    from environments.model import load_environments
    envs = load_environments()              # every environment file in environments/
    envs = load_environments(["staging"])   # every file checked, just staging returned
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Sequence

from vtc_constructs.alarms import AlarmsProps
from vtc_constructs.ci_identity import GITHUB_OIDC_HOST, CiIdentityProps
from vtc_constructs.aws_rules import (
    AWS_REGIONS,
    availability_zone_region_problems,
    certificate_arn_problems,
    instance_type_capacity,
    partition_of,
    arn_account,
    principal_arn_problems,
    tag_problems,
)
from vtc_constructs.cache import CacheNetwork, CacheProps
from vtc_constructs.database import DatabaseProps
from vtc_constructs.registry import RegistryProps
from vtc_constructs.search import SearchDomainProps
from vtc_constructs.edge import EdgeProps
from vtc_constructs.eks import EksClusterProps, NodeGroupProps
from vtc_constructs.eks_props import SupportType
from vtc_constructs.kubernetes_versions import kubernetes_version_findings
from vtc_constructs.errors import ConfigError, Problem
from vtc_constructs.platform import planned_alarm_targets, planned_search
from vtc_constructs.workloads import (
    Resources,
    ServiceProps,
    Services,
    WorkloadsProps,
    cpu_cores,
    image_registry,
    image_registry_problems,
    memory_bytes,
)
from vtc_constructs.network import (
    NetworkProps,
    planned_cluster_network,
    planned_database_network,
    planned_edge_network,
)

# The types (config.py) and the files' side (files.py) live apart; every name this module gave before is still
# importable from here (environments.model is this repository's front door to its environments).
from .config import (STATE_BUCKET_FORMAT, STATE_KMS_ALIAS_FORMAT, STATE_LOCKING, WORKLOADS_STACK_SUFFIX,
                     EnvironmentConfig, StateBackend, Tier, unknown_region_problem)
from .files import (BASE_FILE, CI_FIXED, ENVIRONMENT_NAME, ENVIRONMENTS_DIR, FILE_PATTERN, REGISTRY_FIXED,
                    available_environments, discover, enum_member, environment_spec, merge, props_arguments, read_toml)
from .schema import check_table, shown
from .tiers import backup_problem, image_digest_findings, tier_problems

#: Every environment spreads over at least this many AZs (multi-AZ database, per-AZ NAT, EKS node spread).
MIN_AVAILABILITY_ZONES = 3


# --- the shape of a file ---------------------------------------------------------------------------------------------

#: Where a problem ``CiIdentityProps`` finds in a field taken from ``[state]`` belongs in the file.
_CI_STATE_PATHS = {"state_bucket": "state.bucket", "state_keys": "state.key", "state_region": "state.region",
                   "state_lock_table": "state.dynamodb_table"}


#: Stand-ins for the references the stack fills in, for validating ``[registry]`` before anything is synthesized.
PLANNED_NODE_ROLE = "arn:aws:iam::000000000000:role/planned-node"
PLANNED_GITHUB_PROVIDER = f"arn:aws:iam::000000000000:oidc-provider/{GITHUB_OIDC_HOST}"



_SPEC = environment_spec()



# --- loading ----------------------------------------------------------------------------------------------------------

def load_environments(names: Sequence[str] | None = None, directory: Path | str = ENVIRONMENTS_DIR, *,
                      today: date | None = None) -> list[EnvironmentConfig]:
    """Load, validate and cross-check every environment in ``directory``; return those named in ``names``.

    Every file is checked whichever are asked for, so that the guards between environments (tiers, shared state,
    overlapping ranges) hold when only one is synthesized. Raises :class:`ConfigError` with every problem found.

    :param names: default: every environment file in ``directory``.
    :param today: default: today's date. The day the Kubernetes version policy is judged on
        (:mod:`vtc_constructs.kubernetes_versions`).
    """
    today = today or date.today()
    directory = Path(directory)
    files, problems = discover(directory)
    names = list(names) if names is not None else sorted(files)
    for name in dict.fromkeys(names):
        if name not in files:
            problems.append(Problem("environment", name, ", ".join(sorted(files)) or "(no environment files)",
                                    f"pick a known environment or add {directory / (name + '.toml')}",
                                    "unknown environment"))
    base, base_problems = read_toml(directory / BASE_FILE, "base", required=False)
    if "tier" in base:
        base_problems.append(Problem("base.tier", base["tier"], "no tier in base.toml",
                                     "say each environment's tier in its own file, so that a new file never "
                                     "inherits one by accident", "tier in the base"))
    problems += base_problems
    envs: list[EnvironmentConfig] = []
    for name, path in files.items():
        data, read_problems = read_toml(path, name, required=True)
        problems += read_problems
        if read_problems:
            continue
        env, env_problems = _build(name, base, data, (str(directory / BASE_FILE), str(path)), today)
        problems += env_problems
        if env is not None:
            envs.append(env)
    problems += _cross_checks(envs)
    if problems:
        raise ConfigError(problems)
    by_name = {env.name: env for env in envs}
    return [by_name[name] for name in dict.fromkeys(names)]


_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")


def _build(name: str, base: Mapping[str, Any], own: Mapping[str, Any], source: tuple[str, ...], today: date
           ) -> tuple[EnvironmentConfig | None, list[Problem]]:
    """One environment from the base and its own file: every problem, or the config."""
    data = merge(base, own)
    problems: list[Problem] = []
    if "tier" not in own:
        problems.append(Problem("tier", None, "'production' or 'non-production'",
                                f'add tier = "production" or tier = "non-production" to {name}.toml; the guards '
                                "follow the tier, whatever the file is called", "missing field"))
    shape = [p for p in check_table(data, _SPEC, "") if not (p.path == "tier" and "tier" not in own)]
    problems += shape
    broken = {re.split(r"[.\[]", p.path)[0] for p in shape}
    ok = lambda key: key not in broken and key in data  # noqa: E731

    tier = enum_member(Tier, data.get("tier"))
    if ok("tier") and not isinstance(tier, Tier):
        problems.append(Problem("tier", tier, "'production' or 'non-production'",
                                "say what the environment is for", "unknown tier"))
    region = data.get("region") if ok("region") else None
    if ok("region") and region not in AWS_REGIONS:
        problems.append(unknown_region_problem(region))
    account_id = data.get("account_id")
    if ok("account_id") and not _ACCOUNT_ID.match(account_id):
        problems.append(Problem("account_id", account_id, "the 12-digit id of the AWS account, as a string",
                                'write it quoted, e.g. account_id = "123456789012" (a leading zero is part of it)'))
        account_id = None
    if not ok("account_id"):
        account_id = None
    tags = dict(data.get("tags", {})) if ok("tags") or "tags" not in data else {}
    problems += tag_problems(tags, "tags")

    def props(key: str, cls, fixed: dict[str, Any], validate=lambda instance: instance.validate()):
        if not ok(key):
            return None
        instance = cls(**fixed, **props_arguments(data[key], _SPEC.fields[key]))
        problems.extend(p.prefixed(key) for p in validate(instance))
        return instance

    state = props("state", StateBackend, _state_defaults(name, data, account_id), lambda instance: [
        *instance.validate(), *(instance.account_problems(account_id) if account_id is not None else ())])
    network = props("network", NetworkProps, {"name": f"vtc-{name}"})
    network_ok = network is not None and not any(p.path.startswith("network") for p in problems)
    eks = database = edge = alarms = cache = search = None
    if network is not None:
        # Each construct on the network is validated against the network it will get (planned ids; the real ones
        # exist at synth), except that an invalid network is reported once, above, not again by every construct.
        on_network = lambda instance: instance.validate(check_network=network_ok)  # noqa: E731
        groups = data.get("eks", {}).get("node_groups", {}) if ok("eks") else {}
        node_groups = tuple(NodeGroupProps(name=g, **props_arguments(v, _NODE_GROUP)) for g, v in groups.items())
        eks = props("eks", EksClusterProps, {"name": f"vtc-{name}", "network": planned_cluster_network(network),
                                             "node_groups": node_groups}, on_network)
        database = props("database", DatabaseProps, {"name": f"vtc-{name}",
                                                     "network": planned_database_network(network)}, on_network)
        edge = props("edge", EdgeProps, {"name": f"vtc-{name}", "network": planned_edge_network(network)},
                     on_network)
        if "cache" in data:
            # In the private subnets (the cluster's), admitting the nodes: as the platform places it.
            cluster = planned_cluster_network(network)
            cache = props("cache", CacheProps, {"name": f"vtc-{name}", "network": CacheNetwork(
                vpc_id=cluster.vpc_id, subnet_ids=cluster.subnet_ids,
                client_security_group_ids=("planned:node-security-group",))}, on_network)
        # As the platform places and wires it (in the private subnets, its roles made by the platform); on a network
        # reported invalid above, on three stand-in subnets.
        def wired_search(instance: SearchDomainProps) -> SearchDomainProps:
            if network_ok:
                return planned_search(f"vtc-{name}", instance, network)
            return planned_search(f"vtc-{name}", instance, NetworkProps(
                name=f"vtc-{name}", vpc_cidr="10.0.0.0/16", availability_zones=("stand-in-a", "stand-in-b", "stand-in-c")))

        search = props("search", SearchDomainProps, {}, lambda instance: wired_search(instance).validate())
        if search is not None:
            search = wired_search(search)
    if database is not None and edge is not None:
        # Validated against what it will watch; the ids are filled in by the stack.
        planned = planned_alarm_targets(f"vtc-{name}", edge, database)
        reported = len(problems)
        alarms = props("alarms", AlarmsProps, {"name": f"vtc-{name}", "targets": planned,
                                                "rollback_hint": f"`python -m environments.rollout rollback {name}`"})
        if any(p.path == "database.instance_class" for p in problems[:reported]):
            # The alarms size their thresholds on the database's class: an unknown class is reported once, there.
            problems[reported:] = [p for p in problems[reported:] if p.path != "alarms.targets.db_instance_class"]

    workloads = props("workloads", WorkloadsProps, {})
    registry = _registry_props(name, data, workloads, ok, problems)
    ci = _ci_props(name, data, state, ok, problems)
    if ci is not None and ci.oidc_provider_arn is not None and account_id is not None and \
            isinstance(ci.oidc_provider_arn, str) and arn_account(ci.oidc_provider_arn) not in (None, account_id):
        problems.append(Problem("ci.oidc_provider_arn", ci.oidc_provider_arn, f"the GitHub OIDC provider of account "
                                f"{account_id}: arn:{partition_of(region) or 'aws'}:iam::{account_id}:oidc-provider/"
                                f"{GITHUB_OIDC_HOST}", "a role can trust only a provider of its own account: give "
                                "this account's provider, or leave the key out to create it here",
                                "provider in another account"))
    if eks is not None and (account_id is not None or partition_of(region)):
        # The shape, session ARNs and repeats are the construct's own checks, reported above; here only what the
        # environment knows: the account and the partition.
        problems += [p for p in principal_arn_problems(eks.admin_principal_arns, "eks.admin_principal_arns",
                                                       account_id=account_id, partition=partition_of(region))
                     if p.what in ("principal in another account", "principal in another partition")]
    warnings: list[Problem] = []
    if eks is not None and isinstance(tier, Tier) and \
            not any(p.path == "eks.kubernetes_version" for p in problems):  # an unknown version is reported once
        refused, warned = kubernetes_version_findings(
            eks.kubernetes_version, today=today, production=tier is Tier.PRODUCTION,
            extended_support=eks.support_type is SupportType.EXTENDED)
        problems += refused
        warnings += [w.prefixed(name) for w in warned]
    if workloads is not None and isinstance(tier, Tier) and \
            not any(p.path.startswith("workloads.image_digests") for p in problems):  # malformed: reported once
        refused, warned = image_digest_findings(tier, workloads)
        problems += refused
        warnings += [w.prefixed(name) for w in warned]
    if database is not None and isinstance(tier, Tier):
        floor = backup_problem(name, tier, database.backup_retention_days)
        if floor is not None:
            problems.append(dataclasses.replace(floor, path=floor.path.removeprefix(f"{name}.")))
    if edge is not None and region in AWS_REGIONS and edge.certificate.certificate_arn:
        # The ARN's shape is the construct's check; an ALB takes only a certificate of its own region and account.
        problems += [p for p in certificate_arn_problems(edge.certificate.certificate_arn,
                                                         "edge.certificate.certificate_arn", region=region,
                                                         account_id=account_id)
                     if p.what in ("certificate in another region", "certificate in another account")]
    if network is not None:
        azs = network.availability_zones
        if len(azs) < MIN_AVAILABILITY_ZONES:
            problems.append(Problem("network.availability_zones", list(azs),
                                    f"at least {MIN_AVAILABILITY_ZONES} Availability Zones",
                                    f"list {MIN_AVAILABILITY_ZONES} AZs of {region}", "too few Availability Zones"))
        # Each AZ is a real one of its region (the construct's check); here: of this environment's region (an
        # unknown region is reported once, above).
        problems += availability_zone_region_problems(region, azs, "network.availability_zones")
    if workloads is not None:
        problems += _workloads_environment_problems(workloads, eks, account_id, region)
    problems = [p.prefixed(name) for p in problems]
    if problems:
        return None, problems
    return EnvironmentConfig(name=name, tier=tier, region=region, account_id=account_id, state=state,
                             tags=MappingProxyType(tags), network=network, eks=eks, database=database, edge=edge,
                             alarms=alarms, workloads=workloads, ci=ci, cache=cache, search=search, registry=registry,
                             source=source,
                             warnings=tuple(warnings)), []


_NODE_GROUP = _SPEC.fields["eks"].fields["node_groups"].value  # type: ignore[union-attr]


def _state_defaults(name: str, data: Mapping[str, Any], account_id: str | None) -> dict[str, Any]:
    """The state's defaults the file leaves out: the bucket of the environment's own account in the state's region
    (:data:`STATE_BUCKET_FORMAT`), the KMS alias of the environment (:data:`STATE_KMS_ALIAS_FORMAT`). While the account
    or the region is reported invalid, a stand-in bucket name (the problem is reported there, once)."""
    state = data.get("state") if isinstance(data.get("state"), dict) else {}
    defaults: dict[str, Any] = {}
    if "bucket" not in state:
        region = state.get("region") if state.get("region") in AWS_REGIONS else "stand-in"
        defaults["bucket"] = STATE_BUCKET_FORMAT.format(account_id=account_id or "000000000000", region=region)
    if "kms_key_id" not in state:
        defaults["kms_key_id"] = STATE_KMS_ALIAS_FORMAT.format(name=name)
    return defaults


def _workloads_environment_problems(workloads: WorkloadsProps, eks, account_id, region) -> list[Problem]:
    """What only the environment knows about its workloads: the registry is its own account's and region's, and
    every pod's requests fit the largest node its node groups may launch (else the pod never schedules)."""
    problems: list[Problem] = []
    if isinstance(workloads.image_repository, str):
        problems += [p for p in image_registry_problems(workloads.image_repository, "workloads.image_repository",
                                                        account_id=account_id,
                                                        region=region if region in AWS_REGIONS else None)
                     if p.what in ("registry in another account", "registry in another region")]
    capacities = [instance_type_capacity(t) for group in (eks.node_groups if eks is not None else ())
                  for t in group.instance_types]
    capacities = [c for c in capacities if c is not None]
    if not capacities or not isinstance(workloads.services, Services):
        return problems
    cpus, memory = max(c[0] for c in capacities), max(c[1] for c in capacities)
    for service, props in workloads.services.items():
        resources = props.resources if isinstance(props, ServiceProps) else None
        if not isinstance(resources, Resources) or resources.validate():
            continue  # the construct's own checks report it
        path = f"workloads.services.{service}.resources"
        if cpu_cores(resources.cpu_request) > cpus:
            problems.append(Problem(f"{path}.cpu_request", resources.cpu_request, f"at most {cpus:g} cores, what "
                                    "the largest node type of the node groups has", "lower the request (millicores "
                                    "end in 'm': '250m' is a quarter of a core, '250' is 250 cores), or add a larger "
                                    "instance type", "larger than any node"))
        if memory_bytes(resources.memory_request) > memory * 2 ** 30:
            problems.append(Problem(f"{path}.memory_request", resources.memory_request, f"at most {memory:g}Gi, "
                                    "what the largest node type of the node groups has", "lower the request, or add "
                                    "a larger instance type", "larger than any node"))
    return problems


def _registry_props(name: str, data: Mapping[str, Any], workloads: WorkloadsProps | None, ok,
                    problems: list[Problem]) -> RegistryProps | None:
    """``[registry]`` as :class:`RegistryProps`, validated with planned references; its repositories are the path of
    ``workloads.image_repository`` (which must then be this environment's ECR: its account and region are checked
    with the workloads), so the chart runs exactly the images pushed there."""
    if "registry" not in data or not ok("registry"):
        return None
    repository = workloads.image_repository if workloads is not None else None
    prefix = "vtc"  # (a stand-in while the repository is reported, so the rest of the table is still checked)
    if isinstance(repository, str) and "/" in repository:
        if image_registry(repository)[0] is None:
            problems.append(Problem("workloads.image_repository", repository, "<account>.dkr.ecr.<region>."
                                    "amazonaws.com/<path>, the environment's own ECR (it has a [registry])",
                                    "point image_repository at this account's ECR, or remove [registry]",
                                    "not the environment's registry"))
        else:
            prefix = repository.split("/", 1)[1]
    registry = RegistryProps(name=f"vtc-{name}", repository_prefix=prefix, github_environment=name,
                             node_role_arn=PLANNED_NODE_ROLE, oidc_provider_arn=PLANNED_GITHUB_PROVIDER,
                             **props_arguments(data["registry"], _SPEC.fields["registry"]))
    problems.extend(p.prefixed("registry") for p in registry.validate()
                    if p.path != "repository_prefix")  # the workloads' image_repository, reported there
    return registry


def _ci_props(name: str, data: Mapping[str, Any], state: StateBackend | None, ok, problems: list[Problem]
              ) -> CiIdentityProps | None:
    """``[ci]`` as :class:`CiIdentityProps`, validated (without the references the stack fills in); its state from
    ``[state]``. A problem with the state is ``[state]``'s own check; only what the CI identity adds (the state
    bucket inside the deploy role's own buckets) is reported, at ``state.bucket``."""
    if not ok("ci"):
        return None
    workloads_key = EnvironmentConfig.workloads_key_of(state.key) if state is not None and \
        isinstance(state.key, str) else None
    fixed = {"name": f"vtc-{name}", "github_environment": name, "https_listener_arn": None,
             "cluster_security_group_id": None, "vpc_id": None,
             "state_bucket": state.bucket if state is not None else None,
             "state_keys": (state.key, workloads_key) if workloads_key is not None else (),
             "state_region": state.region if state is not None else None,
             "state_lock_table": state.dynamodb_table if state is not None and state.locking == "dynamodb" else None}
    ci = CiIdentityProps(**fixed, **props_arguments(data["ci"], _SPEC.fields["ci"]))
    state_ok = state is not None and not any(p.path.startswith("state") for p in problems)
    for problem in ci.validate(check_references=False):
        field = re.split(r"[.\[]", problem.path)[0]
        if field in _CI_STATE_PATHS:
            if state_ok and problem.what == "state bucket inside the deploy role's buckets":
                problems.append(dataclasses.replace(problem, path=_CI_STATE_PATHS[field]))
            continue
        problems.append(problem.prefixed("ci"))
    return ci



def _cross_checks(envs: Sequence[EnvironmentConfig]) -> list[Problem]:
    """Checks between environments: nothing shared that must be separate; the tiers' guards."""
    problems: list[Problem] = []
    for i, a in enumerate(envs):
        for b in envs[i + 1:]:
            if ipaddress.IPv4Network(a.network.vpc_cidr).overlaps(ipaddress.IPv4Network(b.network.vpc_cidr)):
                problems.append(Problem(f"{b.name}.network.vpc_cidr", b.network.vpc_cidr,
                                        f"a range that does not overlap {a.name}'s {a.network.vpc_cidr}",
                                        "give every environment its own range, so they can be peered later",
                                        "overlapping CIDR"))
            if a.account_id == b.account_id and a.ci.oidc_provider_arn is None and b.ci.oidc_provider_arn is None:
                arn = f"arn:{partition_of(b.region) or 'aws'}:iam::{b.account_id}:oidc-provider/{GITHUB_OIDC_HOST}"
                problems.append(Problem(f"{b.name}.ci.oidc_provider_arn", None, f"{arn} (the provider {a.name} "
                                        f"creates in account {b.account_id})",
                                        f'add oidc_provider_arn = "{arn}" to [ci] in {b.name}.toml: IAM holds one '
                                        "GitHub OIDC provider per account, and both environments would create it",
                                        "GitHub OIDC provider created twice"))
            if a.state.bucket == b.state.bucket and a.account_id != b.account_id:
                problems.append(Problem(f"{b.name}.state.bucket", b.state.bucket, f"a bucket of account {b.account_id} "
                                        f"(this one holds {a.name}'s state, account {a.account_id})",
                                        "leave state.bucket out in both files: each gets its own account's bucket",
                                        "one state bucket for two accounts"))
            if (a.state.bucket, a.state.key) == (b.state.bucket, b.state.key):
                problems.append(Problem(f"{b.name}.state.key", b.state.key, f"a key other than {a.name}'s",
                                        "use a state key per environment", "shared state"))
            elif a.state.bucket == b.state.bucket:  # each keeps two states: the AWS stack's and, beside it, the
                # workloads stack's; a key equal to the other's other one shares a state all the same
                mine = {b.state.key: b.name, b.workloads_state_key: b.workloads_stack_name}
                theirs = {a.state.key: a.name, a.workloads_state_key: a.workloads_stack_name}
                for key in sorted(set(mine) & set(theirs)):
                    problems.append(Problem(
                        f"{b.name}.state.key", b.state.key,
                        f"a key whose two states are not {a.name}'s ({a.state.key} and {a.workloads_state_key})",
                        f"use a state key per environment: the stack {mine[key]} would keep its state at {key}, "
                        f"where {theirs[key]} keeps its own, so deploying either would plan to destroy the other's "
                        "resources", "shared state"))
    return problems + tier_problems(envs)


__all__ = ["AWS_REGIONS", "BASE_FILE", "CI_FIXED", "ENVIRONMENTS_DIR", "ENVIRONMENT_NAME", "EnvironmentConfig",
           "FILE_PATTERN", "MIN_AVAILABILITY_ZONES", "REGISTRY_FIXED", "STATE_BUCKET_FORMAT", "STATE_KMS_ALIAS_FORMAT",
           "STATE_LOCKING", "StateBackend", "Tier", "WORKLOADS_STACK_SUFFIX", "available_environments", "discover",
           "environment_spec", "load_environments", "read_toml", "shown"]
