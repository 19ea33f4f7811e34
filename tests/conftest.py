"""Shared fixtures. The jsii runtime is the expensive part, so every environment is synthesized once per session."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import vtc_constructs  # noqa: F401  (installs the lazy provider loader before anything imports the provider)
from environments.model import load_environments
from tooling.paths import VENV_BIN

# jsii starts `node` from PATH: the venv's Node 22 (see requirements/dev.txt), not the machine's end-of-life Node 20.
os.environ["PATH"] = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"

ENVIRONMENT_NAMES = ("production", "staging")


@pytest.fixture(scope="session")
def environments():
    return {env.name: env for env in load_environments()}


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory, environments) -> Path:
    """Every environment synthesized once, the way main.py does it."""
    from environments.synth import synthesize

    return synthesize(list(environments.values()), tmp_path_factory.mktemp("synth") / "cdktf.out")


@pytest.fixture(scope="session")
def stacks(synth_dir) -> dict[str, dict]:
    """The synthesized Terraform JSON of every stack, by stack name."""
    return {name: json.loads((synth_dir / "stacks" / name / "cdk.tf.json").read_text()) for name in ENVIRONMENT_NAMES}
