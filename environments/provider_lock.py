"""A Terraform dependency lock file in each stack folder, so that the first ``cdktf deploy`` works offline.

Why: before ``terraform init``, ``cdktf deploy`` (and ``diff``) runs ``terraform providers lock -platform=linux_amd64``
whenever the stack folder has no ``.terraform.lock.hcl``, or the one there does not name every provider in the
stack's ``required_providers`` at a version its ``constraints`` admit (cdktf-cli 0.21.0:
``@cdktf/cli-core/src/lib/cdktf-stack.js``, ``checkNeedsLockfileUpdate``). That command ignores the CLI
configuration's ``provider_installation`` and asks the public registry, so on a machine that installs providers
from a filesystem mirror the first deploy fails ("Could not retrieve providers for locking"). With a matching lock
file in place cdktf skips that step, and ``terraform init`` installs from the mirror, checking the hashes the lock
file holds.

:func:`place_lock_file` writes that file with Terraform itself, from the mirror:
``terraform providers lock -fs-mirror=MIRROR -platform=linux_amd64`` (hashes of the mirror's packages, no URL). It
keeps a lock file that already matches (one a user committed, with more platforms, stays as it is), and does nothing
where there is no mirror (a machine with registry access: cdktf's own step works there) or no ``terraform``.

The mirror is the first of: ``$VTC_TF_PLUGIN_DIR``; the ``filesystem_mirror`` paths of the Terraform CLI
configuration in effect (``$TF_CLI_CONFIG_FILE``, else ``~/.terraformrc``), which is what ``terraform init`` under
cdktf installs from; Terraform's implied local mirror folders; ``/opt/tf-plugins``. A folder counts only if it holds
every required provider. Terraform's output is cached per mirror and provider set (in the process, and on disk in
``.tools/provider-locks/``, keyed by the packages' sizes and times), so a synth pays for hashing the provider
(~0.8 s) once per machine, not once per stack.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

LOCK_FILE = ".terraform.lock.hcl"
PLATFORM = "linux_amd64"
CACHE_DIR = Path(__file__).resolve().parent.parent / ".tools" / "provider-locks"
_IMPLIED_MIRRORS = ("~/.terraform.d/plugins", "~/.local/share/terraform/plugins", "/usr/local/share/terraform/plugins",
                    "/usr/share/terraform/plugins", "/opt/tf-plugins")
_DEFAULT_NAMESPACE = "hashicorp"
_memory: dict[str, str] = {}


class ProviderLockError(RuntimeError):
    """Terraform could not write the lock file from the mirror; the message carries its output."""


def place_lock_file(stack_dir: Path, mirror: Path | None = None) -> Path | None:
    """Make sure ``stack_dir`` (a synthesized stack folder holding ``cdk.tf.json``) has a lock file that lets
    ``cdktf deploy`` skip its registry-only ``terraform providers lock``. Returns the lock file's path, or ``None``
    when there is nothing to do (no provider required, no mirror holding them, or no ``terraform`` on PATH).

    :param mirror: the filesystem mirror to lock from; default: found as the module docstring says.
    """
    stack_dir = Path(stack_dir)
    required = required_providers(json.loads((stack_dir / "cdk.tf.json").read_text(encoding="utf-8")))
    lock_path = stack_dir / LOCK_FILE
    if not required:
        return None
    existing = lock_path.read_text(encoding="utf-8") if lock_path.is_file() else ""
    if existing and lock_matches(existing, required):
        return lock_path
    mirror = mirror or find_mirror(required)
    terraform = shutil.which("terraform")
    if mirror is None or terraform is None:
        return None
    # Terraform refuses to merge into an entry for another version: the required providers' entries are made anew,
    # any other provider's entry is kept.
    kept = "".join(block for block in re.findall(r'^provider "[^"]+" \{\n.*?^\}\n?', existing, flags=re.M | re.S)
                   if "/".join(re.match(r'provider "([^"]+)"', block).group(1).split("/")[-2:]) not in required)
    lock_path.write_text(_locked(terraform, Path(mirror), required, kept), encoding="utf-8")
    return lock_path


def required_providers(stack: dict) -> dict[str, str | None]:
    """``{"<namespace>/<type>": version constraint or None}`` from a synthesized stack's ``required_providers``
    (a source without a namespace, like cdktf's ``"aws"``, is in ``hashicorp``)."""
    out: dict[str, str | None] = {}
    for local_name, spec in stack.get("terraform", {}).get("required_providers", {}).items():
        spec = {"source": spec} if isinstance(spec, str) else spec
        parts = spec.get("source", local_name).split("/")
        source = "/".join(parts[-2:]) if len(parts) >= 2 else f"{_DEFAULT_NAMESPACE}/{parts[0]}"
        out[source] = spec.get("version")
    return out


def lock_matches(text: str, required: dict[str, str | None]) -> bool:
    """Whether a lock file names every required provider with the constraints the stack gives it: then cdktf
    runs no ``terraform providers lock`` (it checks each provider and that its locked constraint admits the
    required version; this asks for the same constraint, which Terraform writes)."""
    locked: dict[str, str | None] = {}
    for address, body in re.findall(r'^provider "([^"]+)" \{\n(.*?)^\}', text, flags=re.M | re.S):
        constraint = re.search(r'^\s*constraints\s*=\s*"([^"]*)"', body, flags=re.M)
        has_hashes = re.search(r'^\s*hashes\s*=\s*\[\s*"', body, flags=re.M)
        if has_hashes:
            locked["/".join(address.split("/")[-2:])] = constraint.group(1) if constraint else None
    return all(source in locked and _same_constraint(locked[source], version) for source, version in required.items())


def find_mirror(required: dict[str, str | None]) -> Path | None:
    """The first filesystem mirror (see the module docstring) that holds every required provider for linux_amd64."""
    candidates: list[str] = []
    if os.environ.get("VTC_TF_PLUGIN_DIR"):
        candidates.append(os.environ["VTC_TF_PLUGIN_DIR"])
    config = os.environ.get("TF_CLI_CONFIG_FILE") or os.path.expanduser("~/.terraformrc")
    try:
        text = Path(config).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    candidates += re.findall(r'filesystem_mirror\s*\{[^}]*?\bpath\s*=\s*"([^"]+)"', text, flags=re.S)
    candidates += _IMPLIED_MIRRORS
    for candidate in candidates:
        root = Path(candidate).expanduser()
        if root.is_dir() and all(_provider_dirs(root, source, version) for source, version in required.items()):
            return root
    return None


def _provider_dirs(root: Path, source: str, version: str | None) -> list[Path]:
    """The mirror's ``<host>/<namespace>/<type>/<version>/linux_amd64`` folders for a provider (unpacked layout),
    or its packed archives; any host, so that no registry name is written here."""
    exact = (version or "").lstrip("= ").strip()
    versions = exact if re.fullmatch(r"\d+\.\d+\.\d+", exact) else "*"
    namespace, kind = source.split("/")
    found = list(root.glob(f"*/{namespace}/{kind}/{versions}/{PLATFORM}"))
    found += list(root.glob(f"*/{namespace}/{kind}/terraform-provider-{kind}_{versions}_{PLATFORM}.zip"))
    return found


def _locked(terraform: str, mirror: Path, required: dict[str, str | None], existing: str) -> str:
    """Terraform's lock file for ``required`` from ``mirror``, merged into ``existing``, cached."""
    key = _cache_key(mirror, required, existing)
    if key in _memory:
        return _memory[key]
    cached = CACHE_DIR / f"{key}.hcl"
    if cached.is_file():
        _memory[key] = cached.read_text(encoding="utf-8")
        return _memory[key]
    with tempfile.TemporaryDirectory(prefix="vtc-lock-") as scratch:
        work = Path(scratch)
        config = {"terraform": {"required_providers": {
            source.split("/")[1]: {"source": source, **({"version": version} if version else {})}
            for source, version in required.items()}}}
        (work / "main.tf.json").write_text(json.dumps(config), encoding="utf-8")
        if existing:
            (work / LOCK_FILE).write_text(existing, encoding="utf-8")
        (work / "cli.tfrc").write_text("", encoding="utf-8")  # no user config: nothing may reach a registry
        env = dict(os.environ, TF_CLI_CONFIG_FILE=str(work / "cli.tfrc"), CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
        result = subprocess.run([terraform, "providers", "lock", f"-fs-mirror={mirror}", f"-platform={PLATFORM}",
                                 "-no-color"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise ProviderLockError(f"terraform providers lock -fs-mirror={mirror} failed (exit {result.returncode}):"
                                    f"\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        text = (work / LOCK_FILE).read_text(encoding="utf-8")
    _memory[key] = text
    try:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, cached)
    except OSError:
        pass  # a read-only checkout still gets its lock file, only without the cache
    return text


def _cache_key(mirror: Path, required: dict[str, str | None], existing: str) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([str(mirror.resolve()), sorted(required.items(), key=str), existing]).encode())
    for source, version in sorted(required.items(), key=str):
        for folder in sorted(_provider_dirs(mirror, source, version)):
            files = sorted(folder.rglob("*")) if folder.is_dir() else [folder]
            for path in files:
                stat = path.stat()
                digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


def _same_constraint(locked: str | None, wanted: str | None) -> bool:
    normalize = lambda c: ",".join(part.strip().lstrip("=").strip() for part in (c or "").split(","))  # noqa: E731
    return normalize(locked) == normalize(wanted)
