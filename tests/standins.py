"""The constructs that are not yet part of the environments' stacks (the cache, the search domain), each in small
stacks of their own with stand-ins for what the platform would give them: synthesized, validated by Terraform and
scanned by checkov once for both (one Terraform run, one checkov run: about 10 CPU-seconds less than one of each per
construct). tests/test_cache.py and tests/test_search.py share it; they run in one xdist group, so one worker builds it.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

#: The xdist group of the modules that use :func:`standins`.
GROUP = "standins"


@dataclass(frozen=True)
class Standins:
    stacks: Path  # stacks/<name>/cdk.tf.json, every stand-in stack
    validate: dict  # terraform validate -json of all of them together (tooling/terraform.py validate_together)
    checkov: list  # checkov's reports over all of them (tooling/checkov.py run)

    def diagnostics(self, names, severity: str = "error") -> list[dict]:
        """The validate diagnostics of the stacks ``names`` (by the folder of each diagnostic's file)."""
        return [d for d in self.validate["diagnostics"] if d["severity"] == severity
                and d.get("range", {}).get("filename", "").split("/", 1)[0] in set(names)]


@pytest.fixture(scope="session")
def standins(tmp_path_factory) -> Standins:
    from tests.test_cache import cache_standin_stacks
    from tests.test_search import standin_stacks as search_standin_stacks
    from tooling import checkov, terraform

    root = tmp_path_factory.mktemp("standins")
    search_out = root / "search" / "cdktf.out"
    search_out.mkdir(parents=True)
    search_standin_stacks(search_out)
    stacks = root / "stacks"
    shutil.copytree(search_out / "stacks", stacks)
    for name, stack in cache_standin_stacks().items():
        (stacks / name).mkdir()
        (stacks / name / "cdk.tf.json").write_text(json.dumps(stack, indent=2))
    folders = {folder.name: folder for folder in stacks.iterdir()}
    report = terraform.validate_together(folders, root / "validate")
    return Standins(stacks, report, checkov.run(stacks))
