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

Usage::

    from environments.model import load_environments
    envs = load_environments()              # every environment file in environments/
    envs = load_environments(["staging"])   # every file checked, just staging returned
"""

from __future__ import annotations

import codecs
import copy
import dataclasses
import ipaddress
import re
import tomllib
from dataclasses import dataclass
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
    s3_bucket_name_problems,
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
from vtc_constructs.platform import PlatformProps, planned_alarm_targets, planned_search
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

from .schema import Choice, MapOf, Scalar, Table, check_table, props_spec, shown
from .tiers import Tier, backup_problem, image_digest_findings, tier_problems

ENVIRONMENTS_DIR = Path(__file__).resolve().parent
BASE_FILE = "base.toml"
#: How environment files are found: every ``*.toml`` in the folder except the base.
FILE_PATTERN = "*.toml"

#: Every environment spreads over at least this many AZs (multi-AZ database, per-AZ NAT, EKS node spread).
MIN_AVAILABILITY_ZONES = 3

#: An environment's name prefixes every AWS name it owns (``vtc-<name>``); the tightest of them is the load
#: balancer's ``vtc-<name>`` (at most 21 characters, so that ``-green`` still fits a 32-character target group name).
ENVIRONMENT_NAME = re.compile(r"^[a-z](?:[a-z0-9-]{0,15}[a-z0-9])?$")

STATE_LOCKING = ("s3-lockfile", "dynamodb")


#: The state bucket an environment gets when its file names none: in its own account and the state's region (bucket
#: names are global; the account in the name keeps two accounts' buckets apart and says whose it is).
STATE_BUCKET_FORMAT = "vtc-terraform-state-{account_id}-{region}"
#: The KMS key the state is encrypted with when the file names none: an alias per environment, made by the bootstrap
#: (docs/runbooks/bootstrap.md, step 2) before the first deploy.
STATE_KMS_ALIAS_FORMAT = "alias/vtc-{name}-terraform-state"
_KMS_ALIAS = re.compile(r"^alias/[A-Za-z0-9/_-]{1,250}$")
_KMS_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):kms:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):"
                      r"(?:key/[A-Za-z0-9-]{1,64}|alias/[A-Za-z0-9/_-]{1,250})$")
#: Twelve digits standing alone in a bucket name: an account id (``vtc-terraform-state-111111111111-eu-west-1``).
_ACCOUNT_IN_NAME = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")


@dataclass(frozen=True, kw_only=True)
class StateBackend:
    """Where an environment's Terraform state lives: S3, always encrypted with a customer-managed KMS key, always
    locked.

    :param bucket: default: ``vtc-terraform-state-<account_id>-<region>`` (:data:`STATE_BUCKET_FORMAT`, the
        environment's account and the state's region; filled in by the model). The state bucket (must already exist:
        the bootstrap makes it). A name that carries another account's id is refused.
    :param key: the state object's key; unique per environment. Required.
    :param region: the bucket's region. Required.
    :param locking: ``s3-lockfile`` (default: Terraform's native S3 lock file, no table needed) or ``dynamodb``.
    :param dynamodb_table: the lock table, required with ``locking = "dynamodb"`` only.
    :param kms_key_id: default: ``alias/vtc-<name>-terraform-state`` (:data:`STATE_KMS_ALIAS_FORMAT`; filled in by
        the model). The customer-managed KMS key the state objects are encrypted with (the S3 backend's
        ``kms_key_id``): an alias (``alias/...``) of the state's account, or a key or alias ARN of the environment's
        account and the state's region.
    """

    bucket: str | None = None
    key: str
    region: str
    locking: str = "s3-lockfile"
    dynamodb_table: str | None = None
    kms_key_id: str | None = None

    def validate(self) -> list[Problem]:
        problems = []
        for field in ("bucket", "key", "kms_key_id"):
            value = getattr(self, field)
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(field, value, "a non-empty string", f"set state.{field}, or leave it out "
                                        "for its default" if field != "key" else "set state.key", "missing value"))
        if isinstance(self.bucket, str) and self.bucket.strip():
            problems += s3_bucket_name_problems(self.bucket, "bucket")
        if isinstance(self.key, str) and self.key.strip() and (
                self.key.startswith("/") or len(self.key.encode("utf-8")) > 1024 or self.key.endswith("/")):
            # Ref: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html (at most 1,024 bytes);
            # Terraform's S3 backend refuses a key that starts or ends with "/".
            problems.append(Problem("key", self.key, "an S3 object key of at most 1,024 bytes, not starting or "
                                    "ending with '/'", "e.g. vtc/<environment>/terraform.tfstate"))
        if isinstance(self.kms_key_id, str) and self.kms_key_id.strip():
            arn = _KMS_ARN.match(self.kms_key_id)
            if not _KMS_ALIAS.match(self.kms_key_id) and not arn:
                problems.append(Problem("kms_key_id", self.kms_key_id, "a KMS alias (alias/<name>) or a KMS key or "
                                        "alias ARN", "e.g. alias/vtc-<environment>-terraform-state, or leave it out",
                                        "not a KMS key"))
            elif re.search(r"(^|:)alias/aws/", self.kms_key_id):
                # AWS-managed keys (alias/aws/s3) are every principal's of the account that may use S3.
                problems.append(Problem("kms_key_id", self.kms_key_id, "a customer-managed key (not alias/aws/...)",
                                        "leave it out for alias/vtc-<environment>-terraform-state (the bootstrap "
                                        "makes it)", "AWS-managed key"))
            elif arn and self.region in AWS_REGIONS and arn["region"] != self.region:
                # Ref: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html (the key must be
                # in the bucket's region)
                problems.append(Problem("kms_key_id", self.kms_key_id, f"a key of {self.region}, the state bucket's "
                                        "region", "give a key of the bucket's region", "key in another region"))
        if self.region not in AWS_REGIONS:
            problems.append(_unknown_region(self.region))
        if self.locking not in STATE_LOCKING:
            problems.append(Problem("locking", self.locking, ", ".join(STATE_LOCKING),
                                    "use 's3-lockfile' unless you already run a DynamoDB lock table"))
        if self.locking == "dynamodb" and not self.dynamodb_table:
            problems.append(Problem("dynamodb_table", self.dynamodb_table, "the lock table's name",
                                    "set state.dynamodb_table, or use locking = 's3-lockfile'", "missing value"))
        return problems

    def account_problems(self, account_id: str) -> list[Problem]:
        """What only the environment knows: the bucket and the key belong to its own account (where the name or the
        ARN says whose they are): a state in another account's bucket is one account reaching into another's."""
        problems = []
        others = sorted({a for a in _ACCOUNT_IN_NAME.findall(self.bucket or "") if a != account_id}) \
            if isinstance(self.bucket, str) else []
        if others:
            problems.append(Problem("bucket", self.bucket, f"a bucket of account {account_id}, e.g. "
                                    f"{STATE_BUCKET_FORMAT.format(account_id=account_id, region=self.region)}",
                                    "leave state.bucket out for the environment's own (the default), or name one of "
                                    f"this account's buckets (the name carries account {', '.join(others)})",
                                    "bucket of another account"))
        arn = _KMS_ARN.match(self.kms_key_id) if isinstance(self.kms_key_id, str) else None
        if arn and arn["account"] != account_id:
            problems.append(Problem("kms_key_id", self.kms_key_id, f"a key of account {account_id}",
                                    "give this account's key (or its alias), or leave it out for the default alias",
                                    "key of another account"))
        return problems


#: The workloads stack of environment ``<name>`` is ``<name>-workloads``.
WORKLOADS_STACK_SUFFIX = "-workloads"


@dataclass(frozen=True, kw_only=True)
class EnvironmentConfig:
    """One environment: everything its stack needs, already validated."""

    name: str
    #: What the environment is for; the guards of ``environments/tiers.py`` follow it, never the name.
    tier: Tier
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
    #: What runs on the cluster: the services' images and sizes (charts/vision-to-code), per colour.
    workloads: WorkloadsProps
    #: GitHub Actions' roles and runner security group (``[ci]``); the listener, cluster security group and VPC are
    #: filled in by the stack (None here).
    ci: CiIdentityProps
    #: The services' Valkey cache (``[cache]``), or None when the file has no such table.
    cache: CacheProps | None = None
    #: The logs' and traces' OpenSearch domain (``[search]``), or None when the file has no such table.
    search: SearchDomainProps | None = None
    #: The services' ECR repositories and their push role (``[registry]``), or None when the file has no such table;
    #: the node role and GitHub's OIDC provider are filled in by the stack (planned values here).
    registry: RegistryProps | None = None
    source: tuple[str, ...] = ()
    #: What is allowed but needs a person's attention soon (a Kubernetes version near or past its end of standard
    #: support: :mod:`vtc_constructs.kubernetes_versions`), in the same form as a problem; printed by ``main.py``.
    warnings: tuple[Problem, ...] = ()

    @property
    def resource_prefix(self) -> str:
        """``vtc-<name>``: the prefix of every named resource of this environment."""
        return f"vtc-{self.name}"

    @property
    def workloads_stack_name(self) -> str:
        """``<name>-workloads``: the stack of the Helm releases onto this environment's cluster."""
        return f"{self.name}{WORKLOADS_STACK_SUFFIX}"

    @property
    def stack_names(self) -> tuple[str, str]:
        """The environment's stacks, in deploy order: its AWS stack (``<name>``) and its workloads stack."""
        return (self.name, self.workloads_stack_name)

    @property
    def workloads_state_key(self) -> str:
        """The workloads stack's state key: the environment's key with ``-workloads`` before ``.tfstate``
        (``vtc/staging/terraform.tfstate`` -> ``vtc/staging/terraform-workloads.tfstate``), in the same bucket."""
        return self.workloads_key_of(self.state.key)

    @staticmethod
    def workloads_key_of(key: str) -> str:
        return f"{key[:-len('.tfstate')]}-workloads.tfstate" if key.endswith(".tfstate") else f"{key}-workloads"

    @property
    def platform(self) -> PlatformProps:
        """The props of the environment's :class:`~vtc_constructs.platform.VisionToCodePlatform`: every part as the
        file gives it, without the planned wiring it was validated against (the platform wires the real one)."""
        return PlatformProps(name=self.resource_prefix, network=self.network,
                             eks=dataclasses.replace(self.eks, network=None),
                             database=dataclasses.replace(self.database, network=None),
                             edge=dataclasses.replace(self.edge, network=None),
                             alarms=dataclasses.replace(self.alarms, targets=None),
                             cache=dataclasses.replace(self.cache, network=None) if self.cache else None,
                             search=dataclasses.replace(self.search, name=None, network=None,
                                                        master_user_role_arn=None, writer_role_arns=())
                             if self.search else None,
                             workloads_namespace=self.workloads.namespace)


def _unknown_region(value: object) -> Problem:
    return Problem("region", value, "an AWS commercial region such as eu-west-1",
                   "correct the region's name", "unknown region")


# --- the shape of a file ---------------------------------------------------------------------------------------------

#: What the model and the stack set in ``CiIdentityProps``, not the file: the names, the GitHub environment (the
#: environment's own name), the state (from ``[state]``) and the references to the platform's resources.
CI_FIXED = frozenset({"name", "github_environment", "https_listener_arn", "cluster_security_group_id", "vpc_id",
                      "state_bucket", "state_keys", "state_region", "state_lock_table"})
#: Where a problem ``CiIdentityProps`` finds in a field taken from ``[state]`` belongs in the file.
_CI_STATE_PATHS = {"state_bucket": "state.bucket", "state_keys": "state.key", "state_region": "state.region",
                   "state_lock_table": "state.dynamodb_table"}


#: What the model and the stack set in ``RegistryProps``, not the file: the name, the repositories' path (from
#: ``workloads.image_repository``), the GitHub environment (the environment's own name) and the references.
REGISTRY_FIXED = frozenset({"name", "repository_prefix", "github_environment", "node_role_arn", "oidc_provider_arn"})
#: Stand-ins for the references the stack fills in, for validating ``[registry]`` before anything is synthesized.
PLANNED_NODE_ROLE = "arn:aws:iam::000000000000:role/planned-node"
PLANNED_GITHUB_PROVIDER = f"arn:aws:iam::000000000000:oidc-provider/{GITHUB_OIDC_HOST}"


def environment_spec() -> Table:
    """What an environment file (merged over the base) may hold, at every depth."""
    return Table("environment", {
        "tier": Choice(Tier),
        "region": Scalar("string"),
        "account_id": Scalar("string"),
        "tags": MapOf(Scalar("string")),
        "state": props_spec(StateBackend),
        "network": props_spec(NetworkProps, fixed={"name"}),
        "eks": props_spec(EksClusterProps, fixed={"name", "network"},
                          overrides={"node_groups": MapOf(props_spec(NodeGroupProps, fixed={"name"}))}),
        "database": props_spec(DatabaseProps, fixed={"name", "network"}),
        "edge": props_spec(EdgeProps, fixed={"name", "network"}),
        "alarms": props_spec(AlarmsProps, fixed={"name", "targets"}),
        "workloads": props_spec(WorkloadsProps),
        "ci": props_spec(CiIdentityProps, fixed=CI_FIXED),
        "cache": props_spec(CacheProps, fixed={"name", "network"}),
        "search": props_spec(SearchDomainProps, fixed={"name", "network", "master_user_role_arn", "writer_role_arns"}),
        "registry": props_spec(RegistryProps, fixed=REGISTRY_FIXED),
    }, frozenset({"tier", "region", "account_id", "state", "network", "eks", "database", "edge", "alarms",
                  "workloads", "ci"}))


_SPEC = environment_spec()


# --- finding and reading the files ---------------------------------------------------------------------------------

def discover(directory: Path | str = ENVIRONMENTS_DIR) -> tuple[dict[str, Path], list[Problem]]:
    """The environment files in ``directory`` by name, and every problem with the folder or a file's name."""
    directory = Path(directory)
    if not directory.exists():
        return {}, [Problem("environments", str(directory), "an existing folder of environment files",
                            "check --environments-dir / VTC_ENVIRONMENTS_DIR (a typo?)", "folder missing")]
    if not directory.is_dir():
        return {}, [Problem("environments", str(directory), "a folder of environment files",
                            "point --environments-dir / VTC_ENVIRONMENTS_DIR at the folder, not a file",
                            "not a folder")]
    files: dict[str, Path] = {}
    problems: list[Problem] = []
    for path in sorted(directory.iterdir()):
        suffix = path.suffix
        if suffix != ".toml":
            if suffix.lower() in (".toml", ".tml"):
                problems.append(Problem(path.name, path.name, f"{path.stem}.toml (the extension in lower case)",
                                        f"rename it to {path.stem}.toml", "file not read"))
            continue
        if path.name == BASE_FILE:
            continue
        if not ENVIRONMENT_NAME.match(path.stem):
            problems.append(Problem(path.name, path.stem, "1-17 characters of a-z, 0-9 and '-', starting with a "
                                    "letter and not ending with '-' (it prefixes every AWS name: vtc-<name>)",
                                    "rename the file, e.g. staging.toml", "invalid environment name"))
            continue
        files[path.stem] = path
    if not files and not problems:
        problems.append(Problem("environments", str(directory),
                                f"at least one environment file ({FILE_PATTERN} other than {BASE_FILE})",
                                f"add e.g. {directory / 'staging.toml'}, or point --environments-dir / "
                                "VTC_ENVIRONMENTS_DIR at the folder that holds them", "no environment files"))
    return files, problems


def available_environments(directory: Path | str = ENVIRONMENTS_DIR) -> list[str]:
    """The names of the environment files in ``directory`` (every ``*.toml`` except the base)."""
    return sorted(discover(directory)[0])


def read_toml(path: Path, label: str, required: bool) -> tuple[dict[str, Any], list[Problem]]:
    """A TOML file's data, or the problem that stops it being read (never an exception)."""
    def problem(allowed: str, fix: str, what: str) -> tuple[dict[str, Any], list[Problem]]:
        return {}, [Problem(label, str(path), allowed, fix, what)]

    if not path.exists():
        return ({}, []) if not required else problem("an existing TOML file", "create it", "file missing")
    if path.is_dir():
        return problem("a TOML file", f"{path} is a folder: remove or rename it", "not a file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return problem("a readable file", f"make it readable ({exc.strerror})", "unreadable file")
    if raw.startswith(codecs.BOM_UTF8):
        return problem("UTF-8 without a byte-order mark", "save the file as UTF-8 without BOM", "byte-order mark")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        return problem("a UTF-8 text file", f"save the file as UTF-8 (byte {raw[exc.start]:#04x} on line {line} is "
                       "not UTF-8)", "not UTF-8")
    try:
        return tomllib.loads(text), []
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
    data = _merge(base, own)
    problems: list[Problem] = []
    if "tier" not in own:
        problems.append(Problem("tier", None, "'production' or 'non-production'",
                                f'add tier = "production" or tier = "non-production" to {name}.toml; the guards '
                                "follow the tier, whatever the file is called", "missing field"))
    shape = [p for p in check_table(data, _SPEC, "") if not (p.path == "tier" and "tier" not in own)]
    problems += shape
    broken = {re.split(r"[.\[]", p.path)[0] for p in shape}
    ok = lambda key: key not in broken and key in data  # noqa: E731

    tier = _enum(Tier, data.get("tier"))
    if ok("tier") and not isinstance(tier, Tier):
        problems.append(Problem("tier", tier, "'production' or 'non-production'",
                                "say what the environment is for", "unknown tier"))
    region = data.get("region") if ok("region") else None
    if ok("region") and region not in AWS_REGIONS:
        problems.append(_unknown_region(region))
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
        instance = cls(**fixed, **_python(data[key], _SPEC.fields[key]))
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
        eks = props("eks", EksClusterProps, {"name": f"vtc-{name}", "network": planned_cluster_network(network),
                                             "node_groups": tuple(NodeGroupProps(name=g, **_python(v, _NODE_GROUP))
                                                                  for g, v in groups.items())}, on_network)
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
        alarms = props("alarms", AlarmsProps, {"name": f"vtc-{name}", "targets": planned})
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
                             **_python(data["registry"], _SPEC.fields["registry"]))
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
    ci = CiIdentityProps(**fixed, **_python(data["ci"], _SPEC.fields["ci"]))
    state_ok = state is not None and not any(p.path.startswith("state") for p in problems)
    for problem in ci.validate(check_references=False):
        field = re.split(r"[.\[]", problem.path)[0]
        if field in _CI_STATE_PATHS:
            if state_ok and problem.what == "state bucket inside the deploy role's buckets":
                problems.append(dataclasses.replace(problem, path=_CI_STATE_PATHS[field]))
            continue
        problems.append(problem.prefixed("ci"))
    return ci


def _enum(enum, value):
    """``value`` as a member of ``enum`` when it names one; otherwise as given, for validate() to report."""
    return enum(value) if isinstance(value, str) and value in {m.value for m in enum} else value


def _python(table: Mapping[str, Any], spec: Table) -> dict[str, Any]:
    """A checked TOML table as keyword arguments of its props: lists as tuples, strings naming an enum member as
    the member, nested tables as their props; tables handled by the caller (node groups) left out."""
    values: dict[str, Any] = {}
    for key, value in table.items():
        field = spec.fields[key]
        if isinstance(field, MapOf) and isinstance(field.value, Table):
            continue
        values[key] = _convert(value, field)
    return values


def _convert(value: Any, spec) -> Any:
    if isinstance(spec, Choice):
        return _enum(spec.enum, value)
    if isinstance(spec, Table):
        return spec.cls(**_python(value, spec)) if spec.cls else value
    if hasattr(spec, "item"):
        return tuple(_convert(v, spec.item) for v in value)
    if isinstance(spec, MapOf):
        return {k: _convert(v, spec.value) for k, v in value.items()}
    return value


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
    return problems + tier_problems(envs)


__all__ = ["AWS_REGIONS", "BASE_FILE", "ENVIRONMENTS_DIR", "EnvironmentConfig", "MIN_AVAILABILITY_ZONES",
           "STATE_BUCKET_FORMAT", "STATE_KMS_ALIAS_FORMAT", "StateBackend", "Tier", "available_environments", "discover", "environment_spec", "load_environments",
           "read_toml", "shown"]
