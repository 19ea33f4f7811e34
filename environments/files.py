"""An environment file: where the files are, how one is read and merged over the base, and what it may hold.

``environments/base.toml`` holds what every environment shares; ``environments/<name>.toml`` holds only that
environment's differences, merged over the base table by table (:func:`merge`). :func:`environment_spec` is the
shape a merged file may have at every depth (checked by ``environments/schema.py``), and :func:`props_arguments`
turns a checked table into its props' keyword arguments. Nothing here raises: every problem is returned, for
``environments/model.py`` to report with all the others.

Usage::

    from environments.files import discover, read_toml
    files, problems = discover()                      # {"production": Path(...), "staging": Path(...)}, []
    data, problems = read_toml(files["staging"], "staging", required=True)
"""

from __future__ import annotations

import codecs
import copy
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Mapping

from vtc_constructs.alarms import AlarmsProps
from vtc_constructs.cache import CacheProps
from vtc_constructs.ci_identity import CiIdentityProps
from vtc_constructs.database import DatabaseProps
from vtc_constructs.edge import EdgeProps
from vtc_constructs.eks import EksClusterProps, NodeGroupProps
from vtc_constructs.errors import Problem
from vtc_constructs.network import NetworkProps
from vtc_constructs.registry import RegistryProps
from vtc_constructs.search import SearchDomainProps
from vtc_constructs.workloads import WorkloadsProps

from .config import StateBackend, Tier
from .schema import Choice, MapOf, Scalar, Table, props_spec

ENVIRONMENTS_DIR = Path(__file__).resolve().parent
BASE_FILE = "base.toml"
#: How environment files are found: every ``*.toml`` in the folder except the base.
FILE_PATTERN = "*.toml"

#: An environment's name prefixes every AWS name it owns (``vtc-<name>``); the tightest of them is the load
#: balancer's ``vtc-<name>`` (at most 21 characters, so that ``-green`` still fits a 32-character target group name).
ENVIRONMENT_NAME = re.compile(r"^[a-z](?:[a-z0-9-]{0,15}[a-z0-9])?$")


# --- the shape of a file ----------------------------------------------------------------------------------------------

#: What the model and the stack set in ``CiIdentityProps``, not the file: the names, the GitHub environment (the
#: environment's own name), the state (from ``[state]``) and the references to the platform's resources.
CI_FIXED = frozenset({"name", "github_environment", "https_listener_arn", "cluster_security_group_id", "vpc_id",
                      "state_bucket", "state_keys", "state_region", "state_lock_table"})
#: What the model and the stack set in ``RegistryProps``, not the file: the name, the repositories' path (from
#: ``workloads.image_repository``), the GitHub environment (the environment's own name) and the references.
REGISTRY_FIXED = frozenset({"name", "repository_prefix", "github_environment", "node_role_arn", "oidc_provider_arn"})


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
        "alarms": props_spec(AlarmsProps, fixed={"name", "targets", "rollback_hint"}),
        "workloads": props_spec(WorkloadsProps),
        "ci": props_spec(CiIdentityProps, fixed=CI_FIXED),
        "cache": props_spec(CacheProps, fixed={"name", "network"}),
        "search": props_spec(SearchDomainProps, fixed={"name", "network", "master_user_role_arn", "writer_role_arns"}),
        "registry": props_spec(RegistryProps, fixed=REGISTRY_FIXED),
    }, frozenset({"tier", "region", "account_id", "state", "network", "eks", "database", "edge", "alarms",
                  "workloads", "ci"}))


# --- finding and reading the files -----------------------------------------------------------------------------------

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


def default_environments_dir() -> str:
    """Where the environment files are read from when no option says: ``$VTC_ENVIRONMENTS_DIR`` (empty: unset), else
    the repository's ``environments/`` (main.py, ``python -m environments.architecture``)."""
    return os.environ.get("VTC_ENVIRONMENTS_DIR") or str(ENVIRONMENTS_DIR)


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
        return problem("valid TOML", f"fix the syntax ({exc})", "invalid TOML")  # (readable: not "unreadable")


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Table-by-table merge: tables merge recursively, every other value in ``override`` replaces the base's."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


# --- a checked table as props ----------------------------------------------------------------------------------------

def enum_member(enum, value):
    """``value`` as a member of ``enum`` when it names one; otherwise as given, for validate() to report."""
    return enum(value) if isinstance(value, str) and value in {m.value for m in enum} else value


def props_arguments(table: Mapping[str, Any], spec: Table) -> dict[str, Any]:
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
        return enum_member(spec.enum, value)
    if isinstance(spec, Table):
        return spec.cls(**props_arguments(value, spec)) if spec.cls else value
    if hasattr(spec, "item"):
        return tuple(_convert(v, spec.item) for v in value)
    if isinstance(spec, MapOf):
        return {k: _convert(v, spec.value) for k, v in value.items()}
    return value


__all__ = ["BASE_FILE", "CI_FIXED", "ENVIRONMENTS_DIR", "ENVIRONMENT_NAME", "FILE_PATTERN", "REGISTRY_FIXED",
           "available_environments", "default_environments_dir", "discover", "enum_member", "environment_spec", "merge", "props_arguments",
           "read_toml"]
