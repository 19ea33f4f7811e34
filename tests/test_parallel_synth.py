"""Synthesis in several processes (environments/synth.py): the same bytes as one process, and clean failure."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from types import SimpleNamespace

import pytest

from environments import synth as synth_module
from environments.synth import MIN_ENVIRONMENTS_PER_WORKER, SynthWorkerError, _shares, default_workers, stable_stringify
from tests.test_main import tree_digest


# That two processes write exactly what one process writes (every file, byte for byte, and no worker folder left):
# tests/test_cli.py's `cdktf synth`, which runs main.py with VTC_SYNTH_WORKERS=2 (one synth less in the suite).


def test_a_failing_worker_fails_the_synth_and_leaves_the_previous_output_untouched(tmp_path, environments,
                                                                                   synth_dir, capfd):
    out = tmp_path / "cdktf.out"
    subprocess.run(["cp", "-a", str(synth_dir), str(out)], check=True)
    before = tree_digest(out)
    staging = environments["staging"]
    # Valid enough to get past the model (it is built here, not loaded), rejected by the EKS construct's own checks.
    broken = dataclasses.replace(staging, name="broken",
                                 eks=dataclasses.replace(staging.eks, kubernetes_version="1.10"))
    with pytest.raises(SynthWorkerError, match="the synth worker for broken failed with exit status 1"):
        synth_module.synthesize([environments["production"], broken], out, workers=2)
    assert "kubernetes_version" in capfd.readouterr().err  # the worker's own error, printed as it happened
    assert tree_digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdktf.out"]


@pytest.mark.parametrize("count, workers, sizes", [
    (2, 1, [2]), (2, 2, [1, 1]), (2, 5, [1, 1]),
    # this process is already running while a worker starts, so it takes MIN_ENVIRONMENTS_PER_WORKER more
    (8, 2, [6, 2]), (32, 2, [18, 14]), (10, 3, [6, 2, 2]), (4, 3, [2, 1, 1]),
])
def test_shares_are_contiguous_cover_everything_and_favour_the_running_process(count, workers, sizes):
    assert MIN_ENVIRONMENTS_PER_WORKER == 3
    shares = _shares(list(range(count)), workers)
    assert [len(share) for share in shares] == sizes
    assert [item for share in shares for item in share] == list(range(count))


def test_default_workers_follow_cores_and_environment_count(monkeypatch):
    monkeypatch.delenv("VTC_SYNTH_WORKERS", raising=False)
    monkeypatch.setattr(synth_module.os, "sched_getaffinity", lambda pid: {0, 1})
    assert [default_workers(n) for n in (1, 2, 3, 5, 6, 32)] == [1, 1, 1, 1, 2, 2]
    monkeypatch.setattr(synth_module.os, "sched_getaffinity", lambda pid: {0})
    assert default_workers(32) == 1
    monkeypatch.setenv("VTC_SYNTH_WORKERS", "3")
    assert default_workers(2) == 3


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_a_bad_worker_setting_is_refused_by_main_before_anything_is_written(tmp_path, value, monkeypatch, capsys):
    import main

    monkeypatch.setenv("VTC_SYNTH_WORKERS", value)
    assert main.main(["--outdir", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"VTC_SYNTH_WORKERS: invalid setting (got '{value}'); allowed: a whole number >= 1" in err
    assert "unset it for the default" in err and "Nothing was synthesized" in err
    assert not (tmp_path / "out").exists()


def test_stable_stringify_matches_cdktf_s_manifest_format(synth_dir):
    written = (synth_dir / "manifest.json").read_text()
    assert stable_stringify(json.loads(written)) == written
    # json-stable-stringify breaks empty containers over two lines and sorts keys.
    assert stable_stringify({"b": [], "a": {}, "c": ["é", 1, None]}) == (
        '{\n  "a": {\n  },\n  "b": [\n  ],\n  "c": [\n    "é",\n    1,\n    null\n  ]\n}')


@pytest.mark.parametrize("optimize, expected", [(0, []), (1, ["-O"]), (2, ["-OO"])])
def test_a_worker_runs_with_this_process_s_optimize_flag(optimize, expected, monkeypatch, tmp_path):
    # `python -O main.py` (the bindings' argument checks off): its workers must synthesize the same way.
    monkeypatch.setattr(synth_module, "sys", SimpleNamespace(executable="/venv/bin/python",
                                                             flags=SimpleNamespace(optimize=optimize)))
    assert synth_module.worker_command(tmp_path / "out") == \
        ["/venv/bin/python", *expected, "-m", "environments._synth_worker", str(tmp_path / "out")]
