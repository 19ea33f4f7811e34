"""Synthesize environments aside, then swap the result into place: a failed synth leaves ``cdktf.out`` as it was.

Many environments are synthesized by several processes at once. One process spends its time alternating between
Python and jsii's Node kernel, so it keeps one core busy; an environment's stacks (its AWS stack and its workloads
stack, which refers to the first) depend on no other environment's, so ``workers`` processes each synthesize a share
of the environments, both stacks of each, into a folder of their own and the results are merged into one output,
byte for byte what one process writes (tested). A worker costs a process
start (~0.8 s: Python, the jsii kernel, the assemblies), so a worker is only started for at least
``MIN_ENVIRONMENTS_PER_WORKER`` environments; the default never starts more processes than there are cores.
"""

from __future__ import annotations

import copyreg
import json
import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:  # not at run time: importing this module must not start jsii (the benchmark imports it)
    from .model import EnvironmentConfig

# A worker's start (S) is worth MIN_ENVIRONMENTS_PER_WORKER environments (c each) of a running process: _shares gives
# this process that many more, and default_workers starts a second process from twice that many. Re-measured for
# issue 28 (2026-12-06, S and c in the same run, 2 cores shared with other work): a worker that synthesizes nothing
# took 2.0 s (median of 5), one more environment (two stacks, ~830 jsii round trips) in a running process 0.8 s:
# S/c = 2.5 (the figures before, 0.8 s and 0.27 s on an idle machine, gave 3). An environment got cheaper and a
# worker's start did not (imports, jsii's kernel, the assemblies, the provider's modules on first use): three stays.
MIN_ENVIRONMENTS_PER_WORKER = 3
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SynthWorkerError(RuntimeError):
    """A worker process failed; its own error was printed to stderr as it happened."""


def default_workers(count: int) -> int:
    """Processes for ``count`` environments: ``$VTC_SYNTH_WORKERS`` if set, else as many as pay off and cores allow."""
    configured = os.environ.get("VTC_SYNTH_WORKERS", "").strip()
    if configured:
        if not configured.isdigit() or int(configured) < 1:
            raise ValueError(f"VTC_SYNTH_WORKERS: expected a whole number >= 1 (got {configured!r}); "
                             "unset it for the default (one process per core, at most one per "
                             f"{MIN_ENVIRONMENTS_PER_WORKER} environments)")
        return int(configured)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, count // MIN_ENVIRONMENTS_PER_WORKER))


def synthesize(envs: Sequence[EnvironmentConfig], outdir: Path | str, *, swap: bool = True,
               workers: int | None = None, keep_other_stacks: bool = False) -> Path:
    """Synthesize each environment's stacks (:attr:`EnvironmentConfig.stack_names`) into ``outdir`` and return it.

    With ``swap`` (the default), ``outdir`` must be a folder the synth owns (``environments/outdir.py``: new,
    empty, or a cdktf output), else :class:`ConfigError` is raised before anything is written. The stacks are
    written to a fresh folder beside ``outdir`` first; only when every stack synthesized is the old ``outdir``
    replaced, by two renames. Anything else in an old stack folder (``.terraform``, the lock file, local state) is
    carried over.

    :param workers: processes to synthesize in (this one included); default :func:`default_workers`.
    :param keep_other_stacks: keep the stack folders (and manifest entries) of environments not in ``envs``
        exactly as they are (``main.py --only``). Default: the output holds exactly ``envs``' stacks; a stack folder
        of another environment is dropped only if it holds nothing but synth output (else the synth is refused).
    """
    from vtc_constructs.errors import ConfigError  # here: importing this module must not start jsii

    from .outdir import outdir_problems

    outdir = Path(outdir)
    if swap:
        refused = outdir_problems(outdir, [name for env in envs for name in env.stack_names],
                                  partial=keep_other_stacks)
        if refused:
            raise ConfigError(refused)
    outdir = outdir.resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    shares = _shares(list(envs), default_workers(len(envs)) if workers is None else workers)
    # Each temporary folder is named before it is made, and made inside the ``try``: an interrupt at any point (Ctrl-C,
    # main.py's SIGTERM) finds it named, and removes it if it exists.
    target = _temporary(outdir, "new") if swap else outdir
    parts: list[Path] = []
    running: list[subprocess.Popen] = []
    try:
        if swap:
            target.mkdir(mode=0o700)
        # Workers first, so that their start-up overlaps this process's own share.
        for share in shares[1:]:
            parts.append(_temporary(outdir, "part"))
            parts[-1].mkdir(mode=0o700)
            running.append(_start_worker(share, parts[-1]))
        _synthesize_here(shares[0], target)
        for share, process in zip(shares[1:], running):
            if process.wait() != 0:
                names = ", ".join(env.name for env in share)
                raise SynthWorkerError(f"the synth worker for {names} failed with exit status {process.returncode} "
                                       "(its error is printed above)")
        _merge(target, parts)
    except BaseException:
        for process in running:
            if process.poll() is None:
                process.kill()
                process.wait()
        for folder in ([target] if swap else []) + parts:  # (a worker's Node process may outlive the worker)
            _remove_for_good(folder)
        raise
    finally:
        for part in parts:
            shutil.rmtree(part, ignore_errors=True)
    if not swap:
        return outdir
    if keep_other_stacks:
        _keep_other_stacks(outdir, target)
    _carry_over_terraform_state(outdir, target)
    old = outdir.with_name(f".{outdir.name}.old-{os.getpid()}")
    if outdir.exists():
        os.rename(outdir, old)
    os.rename(target, outdir)
    shutil.rmtree(old, ignore_errors=True)
    return outdir


def _remove_for_good(folder: Path, quiet: float = 0.3, timeout: float = 10) -> None:
    """Remove ``folder`` and keep removing it until it has stayed away ``quiet`` seconds (at most ``timeout``): an
    interrupt stops this process's side of a jsii call, not jsii's Node process, which may still be writing the
    stack it was synthesizing into the folder."""
    deadline = time.monotonic() + timeout
    while True:
        shutil.rmtree(folder, ignore_errors=True)
        time.sleep(quiet)
        if not folder.exists() or time.monotonic() > deadline:
            return


def _temporary(outdir: Path, kind: str) -> Path:
    """A new name beside ``outdir`` for a temporary folder (``.cdktf.out.new-<random>``), not made yet."""
    return outdir.with_name(f".{outdir.name}.{kind}-{os.urandom(6).hex()}")


def _shares(envs: list[EnvironmentConfig], workers: int) -> list[list[EnvironmentConfig]]:
    """Contiguous shares, one per process. This process is running already while a worker still starts (worth
    ``MIN_ENVIRONMENTS_PER_WORKER`` environments), so its share is that much larger; every worker gets at least one.
    """
    workers = max(1, min(workers, len(envs)))
    own = min(len(envs) - (workers - 1), -(-(len(envs) + MIN_ENVIRONMENTS_PER_WORKER * (workers - 1)) // workers))
    shares = [envs[:own]]
    size, extra = divmod(len(envs) - own, workers - 1) if workers > 1 else (0, 0)
    start = own
    for index in range(workers - 1):
        end = start + size + (1 if index < extra else 0)
        shares.append(envs[start:end])
        start = end
    return shares


def _synthesize_here(envs: Sequence[EnvironmentConfig], target: Path) -> None:
    from cdktf import App  # imported here so that bad input fails before the jsii runtime starts

    from .stack import PlatformStack, WorkloadsStack

    app = App(outdir=str(target), stack_traces=False)
    for env in envs:
        WorkloadsStack(app, env, PlatformStack(app, env))
    app.synth()


def _start_worker(envs: Sequence[EnvironmentConfig], outdir: Path) -> subprocess.Popen:
    """A fresh process (never a fork: this process's jsii kernel cannot be shared) synthesizing ``envs``."""
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), environ.get("PYTHONPATH")]))
    process = subprocess.Popen(worker_command(outdir), stdin=subprocess.PIPE, env=environ, cwd=PROJECT_ROOT)
    assert process.stdin is not None
    try:
        with process.stdin:
            _pickler(process.stdin).dump(list(envs))
    except BrokenPipeError:
        pass  # the worker died before reading its share: its exit status and error are reported by the caller
    return process


def worker_command(outdir: Path) -> list[str]:
    """The worker's command line: this interpreter, with this process's ``-O`` if it has one (``python -O main.py``:
    the provider bindings then skip their argument checks, as jsii documents), so that a worker synthesizes exactly
    as this process does."""
    optimize = ["-" + "O" * sys.flags.optimize] if sys.flags.optimize else []
    return [sys.executable, *optimize, "-m", "environments._synth_worker", str(outdir)]


def _pickler(stream) -> pickle.Pickler:
    """A pickler that also takes the read-only mappings (``MappingProxyType``) the frozen configs hold."""
    pickler = pickle.Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, MappingProxyType: lambda proxy: (_read_only, (dict(proxy),))}
    return pickler


def _read_only(mapping: dict) -> MappingProxyType:
    return MappingProxyType(mapping)


def _merge(target: Path, parts: Sequence[Path]) -> None:
    """Move the workers' stacks into ``target`` and write the manifest one App would have written."""
    if not parts:
        return
    manifest = json.loads((target / "manifest.json").read_text())
    for part in parts:
        theirs = json.loads((part / "manifest.json").read_text())
        if theirs["version"] != manifest["version"]:
            raise SynthWorkerError(f"a worker wrote manifest version {theirs['version']}, this process "
                                   f"{manifest['version']}")
        for name, entry in theirs["stacks"].items():
            # A stack may depend on stacks its own process wrote (an environment's workloads stack on its AWS
            # stack), never on another process's: cross-stack references are resolved within one App.
            if name in manifest["stacks"] or not set(entry["dependencies"]) <= set(theirs["stacks"]):
                raise SynthWorkerError(f"stack {name!r} is repeated or depends on a stack of another process: it "
                                       "cannot be synthesized in a separate process")
            os.rename(part / "stacks" / name, target / "stacks" / name)
            manifest["stacks"][name] = entry
    (target / "manifest.json").write_text(stable_stringify(manifest))


def stable_stringify(value: object, space: str = "  ", level: int = 0) -> str:
    """JSON exactly as the npm package json-stable-stringify writes it (cdktf's manifest): keys sorted, ``space``
    indent, and empty arrays and objects broken over two lines (``[`` newline, indent, ``]``)."""
    indent = "\n" + space * level
    if isinstance(value, dict):
        items = [f"{indent}{space}{json.dumps(key, ensure_ascii=False)}: {stable_stringify(value[key], space, level + 1)}"
                 for key in sorted(value)]
        return "{" + ",".join(items) + indent + "}"
    if isinstance(value, list):
        items = [f"{indent}{space}{stable_stringify(item, space, level + 1)}" for item in value]
        return "[" + ",".join(items) + indent + "]"
    return json.dumps(value, ensure_ascii=False)


def _keep_other_stacks(old_out: Path, new_out: Path) -> None:
    """Move every stack folder of ``old_out`` that this synth did not write into ``new_out``, untouched, with its
    manifest entry."""
    from .outdir import read_manifest

    old_stacks = old_out / "stacks"
    if not old_stacks.is_dir():
        return
    manifest = json.loads((new_out / "manifest.json").read_text())
    old_manifest = read_manifest(old_out) or {"stacks": {}}
    for old_stack in sorted(old_stacks.iterdir()):
        if (new_out / "stacks" / old_stack.name).exists():
            continue
        os.rename(old_stack, new_out / "stacks" / old_stack.name)
        if old_stack.name in old_manifest["stacks"]:
            manifest["stacks"][old_stack.name] = old_manifest["stacks"][old_stack.name]
    (new_out / "manifest.json").write_text(stable_stringify(manifest))


def _carry_over_terraform_state(old_out: Path, new_out: Path) -> None:
    from .outdir import SYNTH_PRODUCTS

    old_stacks = old_out / "stacks"
    if not old_stacks.is_dir():
        return
    for new_stack in (new_out / "stacks").iterdir():
        old_stack = old_stacks / new_stack.name
        if not old_stack.is_dir():
            continue
        for entry in old_stack.iterdir():
            if entry.name not in SYNTH_PRODUCTS and not (new_stack / entry.name).exists():
                os.rename(entry, new_stack / entry.name)
