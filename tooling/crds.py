"""The CustomResourceDefinitions that charts/gateway-api-crds installs, looked up by the kind a manifest names.

Tests that render Gateway API or NGINX Gateway Fabric resources (Gateway, HTTPRoute, NginxProxy, ...) validate them
against the ``openAPIV3Schema`` of the CRD the cluster will really have: the upstream files the chart installs, read
from ``charts/gateway-api-crds/upstream/`` (never a second copy that could drift from what is installed).

Usage::

    from tooling.crds import crd_document, served_schema

    crd = crd_document("gateway.networking.k8s.io/v1", "HTTPRoute")    # the whole CRD, or None
    schema = served_schema("gateway.networking.k8s.io/v1", "HTTPRoute")  # its v1 openAPIV3Schema, or None
    jsonschema.Draft7Validator(_strict(schema)).iter_errors(route)      # as tests/test_chart.py's crd_validator does

The files (about 2 MB of YAML) are parsed once per folder and process, with libyaml's ``CSafeLoader`` when PyYAML has
it. Each call returns a fresh copy, so a caller may change what it gets without changing what the next caller sees.
"""

from __future__ import annotations

import functools
import pickle
from pathlib import Path

import yaml

from .paths import REPO

#: The upstream files the chart installs, one folder per project (the chart's README lists them).
UPSTREAM = REPO / "charts" / "gateway-api-crds" / "upstream"

# libyaml is about ten times faster than the pure-Python loader on these files; fall back where it is not built in.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def crd_document(api_version: str, kind: str, *, root: Path = UPSTREAM) -> dict | None:
    """The CustomResourceDefinition under ``root`` (default: the chart's ``upstream/`` folder, every ``*.yaml`` in it
    and its subfolders) whose ``spec.group`` and ``spec.names.kind`` are ``api_version``'s group and ``kind`` and that
    serves ``api_version``'s version (``served: true``); None if no CRD there does (a core kind such as ``v1``
    ``Service``, a kind of another project, a version the CRD lists but no longer serves).

    :raises TypeError: ``api_version`` or ``kind`` is not a string.
    :raises ValueError: two CRDs under ``root`` serve the same group, version and kind (the message names both files).
    """
    for name, value in (("api_version", api_version), ("kind", kind)):
        if not isinstance(value, str):
            raise TypeError(f"{name}: must be a string such as 'gateway.networking.k8s.io/v1' / 'HTTPRoute' "
                            f"(got {value!r} of type {type(value).__name__})")
    group, _, version = api_version.rpartition("/")
    found = _index(Path(root).resolve()).get((group, version, kind))
    # Stored pickled: unpickling is a fast deep copy (the NginxProxy CRD alone is 660 kB of YAML).
    return None if found is None else pickle.loads(found)


def served_schema(api_version: str, kind: str, *, root: Path = UPSTREAM) -> dict | None:
    """The ``openAPIV3Schema`` of ``api_version``'s version in :func:`crd_document`'s CRD; None where that is None."""
    crd = crd_document(api_version, kind, root=root)
    if crd is None:
        return None
    version = api_version.rpartition("/")[2]
    [served] = [v for v in crd["spec"]["versions"] if v["name"] == version]
    return served["schema"]["openAPIV3Schema"]


@functools.lru_cache(maxsize=4)
def _index(root: Path) -> dict[tuple[str, str, str], bytes]:
    """(group, served version, kind) -> the pickled CRD, for every CRD in every ``*.yaml`` under ``root``; other
    objects (the safe-upgrades admission policy and its binding) are skipped."""
    index: dict[tuple[str, str, str], bytes] = {}
    source: dict[tuple[str, str, str], Path] = {}
    for path in sorted(root.rglob("*.yaml")):
        with path.open("rb") as stream:
            documents = [d for d in yaml.load_all(stream, Loader=_LOADER) if d]
        for document in documents:
            if document.get("kind") != "CustomResourceDefinition":
                continue
            spec = document["spec"]
            pickled = pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL)
            for version in spec["versions"]:
                if not version.get("served"):
                    continue
                key = (spec["group"], version["name"], spec["names"]["kind"])
                if key in index:
                    raise ValueError(f"{root}: {key[0]}/{key[1]} {key[2]} is served by two CRDs, in "
                                     f"{source[key].relative_to(root)} and {path.relative_to(root)}; keep one file "
                                     f"per CRD (an update replaces the old tag's files, it does not add beside them)")
                index[key] = pickled
                source[key] = path
    return index
