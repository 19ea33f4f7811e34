"""The README's code runs as written: every Python block of "Using the constructs in your own project"."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tooling.paths import REPO, tool_env

SECTION = "## Using the constructs in your own project"


def blocks() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text[text.index(SECTION):]
    section = section[:section.index("\n## ", len(SECTION))]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def run(code: str, cwd) -> subprocess.CompletedProcess[str]:
    # In a scratch folder, as a user's project would: app.synth() writes its cdktf.out there, not into this repo.
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=tool_env(PYTHONPATH=str(REPO)),
                          capture_output=True, text=True, timeout=300)


def test_the_section_has_the_platform_block_and_the_three_part_blocks():
    found = blocks()
    assert len(found) == 4
    assert "VisionToCodePlatform(stack" in found[0]
    assert [("Network(" in b, "EksCluster(" in b, "PgvectorDatabase(" in b) for b in found[1:]] == [
        (True, False, False), (False, True, False), (False, False, True)]


@pytest.mark.parametrize("name, indexes, stack", [("platform", [0], "acme-prod"),
                                                   ("parts", [1, 2, 3], "my-service")])
def test_each_example_runs_and_synthesizes_its_stack(tmp_path, name, indexes, stack):
    code = "\n".join(blocks()[i] for i in indexes)
    result = run(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    synthesized = json.loads((tmp_path / "cdktf.out" / "stacks" / stack / "cdk.tf.json").read_text())
    kinds = set(synthesized["resource"])
    expected = {"aws_vpc", "aws_eks_cluster", "aws_db_instance"} | ({"aws_lb"} if name == "platform" else set())
    assert expected <= kinds
    if name == "platform":  # and its releases, in a second stack that depends on the first
        manifest = json.loads((tmp_path / "cdktf.out" / "manifest.json").read_text())
        assert manifest["stacks"][f"{stack}-workloads"]["dependencies"] == [stack]
        releases = json.loads((tmp_path / "cdktf.out" / "stacks" / f"{stack}-workloads" / "cdk.tf.json").read_text())
        assert len(releases["resource"]["helm_release"]) == 15
