"""The synth's output folder is owned, never assumed.

A synth replaces its output folder (``cdktf.out``) as a whole, so it must first prove the folder is one it may
replace. It may when the folder

- does not exist, or is empty; or
- is a cdktf output: a ``manifest.json`` cdktf can read, a ``stacks/`` folder, and nothing else beside them.

Anything else (``--outdir .``, a home folder, a folder of someone's files) is refused with an error naming the folder
and what in it is not the synth's. Inside an owned folder, the synth owns only what it writes into a stack folder
(:data:`SYNTH_PRODUCTS`); everything else there (``.terraform/``, the lock file, a local state file, plan files) is
carried into the new output untouched. A stack folder that this run would drop (its environment file is gone)
while it holds such files is refused too: cdktf would delete it.

Usage::

    problems = outdir_problems(Path("cdktf.out"), synthesizing={"staging", "production"}, partial=False)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from vtc_constructs.errors import Problem

#: What a synth writes into a stack folder; everything else in one belongs to Terraform or to the user.
SYNTH_PRODUCTS = frozenset({"cdk.tf.json", "assets"})
#: What a stack folder may hold that is regenerated on demand, so a stack folder holding only these and synth
#: products can be dropped: the provider lock file main.py places after the synth (environments/provider_lock.py).
REGENERATED = frozenset({".terraform.lock.hcl"})
#: What a cdktf output folder holds at its top.
OUTPUT_ENTRIES = frozenset({"manifest.json", "stacks"})


def read_manifest(outdir: Path) -> dict | None:
    """cdktf's manifest of ``outdir``, or None when there is none it could have written."""
    try:
        manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("stacks"), dict) or "version" not in manifest:
        return None
    return manifest


def foreign_entries(stack_dir: Path) -> list[str]:
    """What in a stack folder the synth did not write (Terraform's files, the user's)."""
    return sorted(p.name for p in stack_dir.iterdir() if p.name not in SYNTH_PRODUCTS | REGENERATED)


def outdir_problems(outdir: Path | str, synthesizing: Iterable[str] | None, partial: bool) -> list[Problem]:
    """Every reason the synth may not replace ``outdir`` with stacks ``synthesizing``.

    :param synthesizing: the stacks this run writes; None when not known yet (the environments are invalid): then
        only the folder itself is checked.
    :param partial: only some environments are synthesized (``--only``); the other stack folders are kept as they
        are, so none of them is dropped.
    """
    outdir = Path(outdir)
    label = "outdir"
    fix_elsewhere = ("point --outdir / CDKTF_OUTDIR at a new or empty folder, or at a previous cdktf output "
                     "(e.g. cdktf.out)")
    if outdir.is_symlink() or (outdir.exists() and not outdir.is_dir()):
        return [Problem(label, str(outdir), "a folder the synth owns, or none yet",
                        f"{outdir} is not a folder: {fix_elsewhere}", "output folder is not the synth's")]
    if not outdir.exists():
        return []
    resolved = outdir.resolve()
    if resolved == Path(resolved.anchor) or resolved in Path.cwd().resolve().parents or resolved == Path.cwd().resolve():
        return [Problem(label, str(outdir), "a folder of its own, not the current folder or one above it",
                        fix_elsewhere, "output folder is not the synth's")]
    entries = sorted(p.name for p in outdir.iterdir())
    if not entries:
        return []
    foreign = [name for name in entries if name not in OUTPUT_ENTRIES]
    if entries == ["stacks"] and (outdir / "stacks").is_dir() and not any((outdir / "stacks").iterdir()):
        return []  # nothing but an empty stacks/ folder (what an interrupted run may leave): as good as empty
    manifest = read_manifest(outdir)
    if foreign or manifest is None or not (outdir / "stacks").is_dir():
        held = ", ".join(foreign[:8]) + (f" and {len(foreign) - 8} more" if len(foreign) > 8 else "")
        why = f"it holds {held}" if foreign else "it has no cdktf manifest.json and stacks/ folder"
        return [Problem(label, str(outdir), "a new or empty folder, or a cdktf output (manifest.json and stacks/ "
                        "only)", f"{why}, which the synth did not write and would delete: {fix_elsewhere}",
                        "output folder is not the synth's")]
    if partial or synthesizing is None:
        return []
    problems = []
    wanted = set(synthesizing)
    for stack_dir in sorted(p for p in (outdir / "stacks").iterdir() if p.name not in wanted):
        held = foreign_entries(stack_dir) if stack_dir.is_dir() else [stack_dir.name]
        if held:
            problems.append(Problem(
                f"{label}.stacks.{stack_dir.name}", str(stack_dir),
                "a stack folder of an environment that still has a file, or one holding only synth output",
                f"no environment file defines {stack_dir.name!r} any more, and its folder holds {', '.join(held)}: "
                f"destroy the stack first (restore its file, cdktf destroy {stack_dir.name}), or move the folder "
                "away; or synthesize with --only", "stack folder would be dropped"))
    return problems


def writable_or_new(folder: Path | str) -> str:
    """``folder`` when the synth would write into it (new, empty or an earlier cdktf output), else ``NEW_FOLDER``: what
    a message may tell someone to synthesize into (the diff report, the emulator's ``prepare``)."""
    return str(folder) if not outdir_problems(folder, None, partial=False) else "NEW_FOLDER"
