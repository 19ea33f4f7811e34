"""The CustomResourceDefinitions that charts/gateway-api-crds and charts/nginx-gateway-fabric-crds install, looked up
by the kind a manifest names.

Tests that render Gateway API or NGINX Gateway Fabric resources (Gateway, HTTPRoute, NginxProxy, ...) validate them
against the ``openAPIV3Schema`` of the CRD the cluster will really have: the upstream files the two charts install,
read from their ``upstream/`` folders (never a second copy that could drift from what is installed).

Usage::

    from tooling.crds import crd_document, served_schema

    crd = crd_document("gateway.networking.k8s.io/v1", "HTTPRoute")    # the whole CRD, or None
    schema = served_schema("gateway.networking.k8s.io/v1", "HTTPRoute")  # its v1 openAPIV3Schema, or None
    jsonschema.Draft7Validator(_strict(schema)).iter_errors(route)      # as tests/test_chart.py's crd_validator does

Both look in every folder of :data:`UPSTREAMS` unless given ``root=`` (one folder, or a sequence of folders searched
together). The files (about 2 MB of YAML) are parsed once per set of folders and process, with libyaml's
``CSafeLoader`` when PyYAML has it. Each call returns a fresh copy, so a caller may change what it gets without
changing what the next caller sees.
"""

from __future__ import annotations

import functools
import os
import pickle
from collections.abc import Sequence
from pathlib import Path

import yaml

from .paths import REPO

#: The upstream files of each CRD chart, one release each (each chart's README lists its files): the Gateway API's
#: and NGINX Gateway Fabric's. Searched together: a kind served by CRDs in both is an error.
UPSTREAMS: tuple[Path, ...] = (REPO / "charts" / "gateway-api-crds" / "upstream",
                               REPO / "charts" / "nginx-gateway-fabric-crds" / "upstream")

#: One folder or several.
Root = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]

# libyaml is about ten times faster than the pure-Python loader on these files; fall back where it is not built in.
#: PyYAML's safe loader, libyaml's when PyYAML has it (the tests parse with it too: tests/helpers.py).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def crd_document(api_version: str, kind: str, *, root: Root = UPSTREAMS) -> dict | None:
    """The CustomResourceDefinition under ``root`` (default: every folder of :data:`UPSTREAMS`; every ``*.yaml`` in
    each folder and its subfolders) whose ``spec.group`` and ``spec.names.kind`` are ``api_version``'s group and
    ``kind`` and that serves ``api_version``'s version (``served: true``); None if no CRD there does (a core kind such
    as ``v1`` ``Service``, a kind of another project, a version the CRD lists but no longer serves).

    :raises TypeError: ``api_version`` or ``kind`` is not a string.
    :raises ValueError: ``root`` is an empty sequence, or two CRDs under it (in one folder or in two) serve the same
        group, version and kind (the message names both files).
    :raises FileNotFoundError: a folder of ``root`` is not a directory (a wrong path would otherwise find nothing).
    """
    for name, value in (("api_version", api_version), ("kind", kind)):
        if not isinstance(value, str):
            raise TypeError(f"{name}: must be a string such as 'gateway.networking.k8s.io/v1' / 'HTTPRoute' "
                            f"(got {value!r} of type {type(value).__name__})")
    group, _, version = api_version.rpartition("/")
    found = _index(_folders(root)).get((group, version, kind))
    # Stored pickled: unpickling is a fast deep copy (the NginxProxy CRD alone is 664 kB of YAML).
    return None if found is None else pickle.loads(found)


def served_schema(api_version: str, kind: str, *, root: Root = UPSTREAMS) -> dict | None:
    """The ``openAPIV3Schema`` of ``api_version``'s version in :func:`crd_document`'s CRD; None where that is None."""
    crd = crd_document(api_version, kind, root=root)
    if crd is None:
        return None
    version = api_version.rpartition("/")[2]
    [served] = [v for v in crd["spec"]["versions"] if v["name"] == version]
    return served["schema"]["openAPIV3Schema"]


def _folders(root: Root) -> tuple[Path, ...]:
    """``root`` as a tuple of resolved folders (the cache key of :func:`_index`), each checked to be a directory."""
    roots = [root] if isinstance(root, (str, os.PathLike)) else list(root)
    if not roots:
        raise ValueError("root: no folder given (pass a folder or a non-empty sequence of folders)")
    folders = tuple(Path(r).resolve() for r in roots)
    for folder in folders:
        if not folder.is_dir():
            raise FileNotFoundError(f"root: {folder} is not a directory")
    return folders


@functools.lru_cache(maxsize=4)
def _index(folders: tuple[Path, ...]) -> dict[tuple[str, str, str], bytes]:
    """(group, served version, kind) -> the pickled CRD, for every CRD in every ``*.yaml`` under each folder; other
    objects (the safe-upgrades admission policy and its binding) are skipped."""
    base = Path(os.path.commonpath(folders))  # files are named relative to it in errors
    index: dict[tuple[str, str, str], bytes] = {}
    source: dict[tuple[str, str, str], Path] = {}
    # Each file once, even where the folders repeat or nest (it is not a second CRD).
    for path in dict.fromkeys(p for folder in folders for p in sorted(folder.rglob("*.yaml"))):
        with path.open("rb") as stream:
            documents = [d for d in yaml.load_all(stream, Loader=SAFE_LOADER) if d]
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
                    raise ValueError(f"{base}: {key[0]}/{key[1]} {key[2]} is served by two CRDs, in "
                                     f"{source[key].relative_to(base)} and {path.relative_to(base)}; keep one file "
                                     f"per CRD (an update replaces the old tag's files, it does not add beside them)")
                index[key] = pickled
                source[key] = path
    return index
