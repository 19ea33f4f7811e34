"""The cdktf CLI (npm cdktf-cli 0.21.0) drives this repo: `cdktf list`, `cdktf synth`, with the same output."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.test_environments import env_dir, rewrite
from tests.test_main import synth_output, tree_digest
from tooling.paths import CDKTF, REPO, tool_env


def cdktf(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CDKTF), *args], cwd=REPO, env=tool_env(**env), capture_output=True, text=True,
                          timeout=300)


STACKS = {"staging", "staging-workloads", "production", "production-workloads"}


@pytest.fixture(scope="module")
def cli_synth(tmp_path_factory):
    """``cdktf synth``, as a user runs it (the CLI runs main.py): one run the tests below read. In two processes
    (``VTC_SYNTH_WORKERS=2``; main.py honours it: tests/test_parallel_synth.py), so that the same run shows that the
    worker split writes exactly what the session's one-process synth wrote."""
    out = tmp_path_factory.mktemp("cli") / "out"
    result = cdktf("synth", "--output", str(out), VTC_SYNTH_WORKERS="2")
    assert result.returncode == 0, result.stderr
    return out


def test_cdktf_synth_writes_the_four_stacks_identical_to_the_library_synth(cli_synth, synth_dir):
    assert {p.name for p in (cli_synth / "stacks").iterdir()} == STACKS
    for name in sorted(STACKS):
        assert (cli_synth / "stacks" / name / "cdk.tf.json").read_bytes() == \
            (synth_dir / "stacks" / name / "cdk.tf.json").read_bytes()
    # Every file, byte for byte (the manifest and the charts' assets too): two processes write what one wrote...
    assert synth_output(cli_synth) == tree_digest(synth_dir)
    assert sorted(p.name for p in cli_synth.parent.iterdir()) == ["out"]  # ... and leave no worker folder behind


def test_cdktf_list_shows_the_four_stacks(cli_synth):
    # `cdktf list` runs the app, then lists what its manifest names. The app here is `true`: the manifest is the one
    # the real app (main.py) wrote in `cdktf synth` above; running main.py once more would cost a whole synth (4 s).
    result = cdktf("list", "--output", str(cli_synth), "--app", "true")
    assert result.returncode == 0, result.stderr
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", result.stdout)
    assert "Stack name" in text
    rows = [line.split() for line in text.splitlines() if line.strip()]
    listed = {row[0] for row in rows if row[0] in STACKS | {"qa"} and len(row) > 1}
    assert listed == STACKS
    assert all(f"stacks/{name}" in "".join(text.split()) for name in STACKS)  # (long paths wrap in the table)


def test_cdktf_synth_with_a_bad_environment_fails_and_keeps_the_last_good_output(tmp_path, synth_dir):
    out = tmp_path / "out"
    subprocess.run(["cp", "-a", str(synth_dir), str(out)], check=True)
    before = tree_digest(out)
    directory = env_dir(tmp_path)
    rewrite(directory, "staging", 'vpc_cidr = "10.20.0.0/16"', 'vpc_cidr = "10.10.0.0/16"')
    result = cdktf("synth", "--output", str(out), VTC_ENVIRONMENTS_DIR=str(directory))
    assert result.returncode != 0
    assert "staging.network.vpc_cidr: overlapping CIDR (got '10.10.0.0/16')" in result.stdout + result.stderr
    assert tree_digest(out) == before


def test_the_cli_runs_main_py():
    # cdktf.json names the app; if it pointed anywhere else, the tests above would not be testing main.py.
    # Without -O (docs/guides/performance.md: measured, and turned down where its bytecode is not cached).
    assert '"app": ".venv/bin/python main.py"' in (REPO / "cdktf.json").read_text()
