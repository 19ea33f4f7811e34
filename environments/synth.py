"""Synthesize environments aside, then swap the result into place: a failed synth leaves ``cdktf.out`` as it was."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

from .model import EnvironmentConfig

# What Terraform and cdktf write into a stack folder after synth (provider cache, backend settings, lock file,
# plan files). Carried into the new folder so a swap does not force a fresh ``terraform init``.
_SYNTH_PRODUCTS = {"cdk.tf.json", "assets"}


def synthesize(envs: Sequence[EnvironmentConfig], outdir: Path | str, *, swap: bool = True) -> Path:
    """Synthesize one stack per environment into ``outdir`` and return it.

    With ``swap`` (the default), the stacks are written to a fresh folder beside ``outdir`` first; only when every
    stack synthesized is the old ``outdir`` replaced, by two renames. Anything Terraform left in an old stack
    folder (``.terraform``, the lock file) is carried over.
    """
    from cdktf import App  # imported here so that bad input fails before the jsii runtime starts

    from .stack import PlatformStack

    outdir = Path(outdir).resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    target = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.new-", dir=outdir.parent)) if swap else outdir
    try:
        app = App(outdir=str(target), stack_traces=False)
        for env in envs:
            PlatformStack(app, env)
        app.synth()
    except BaseException:
        if swap:
            shutil.rmtree(target, ignore_errors=True)
        raise
    if not swap:
        return outdir
    _carry_over_terraform_state(outdir, target)
    old = outdir.with_name(f".{outdir.name}.old-{os.getpid()}")
    if outdir.exists():
        os.rename(outdir, old)
    os.rename(target, outdir)
    shutil.rmtree(old, ignore_errors=True)
    return outdir


def _carry_over_terraform_state(old_out: Path, new_out: Path) -> None:
    old_stacks = old_out / "stacks"
    if not old_stacks.is_dir():
        return
    for new_stack in (new_out / "stacks").iterdir():
        old_stack = old_stacks / new_stack.name
        if not old_stack.is_dir():
            continue
        for entry in old_stack.iterdir():
            if entry.name not in _SYNTH_PRODUCTS and not (new_stack / entry.name).exists():
                os.rename(entry, new_stack / entry.name)
