"""The synth owns its output folder and nothing else: foreign folders are refused, `--only` touches only its stacks,
and a run that finds no environment is an error, never an empty synth."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import main
from environments import synth as synth_module
from tests.test_environments import env_dir

#: What a synth of both environments writes: each environment's AWS stack and its workloads stack.
ALL_STACKS = ["production", "production-workloads", "staging", "staging-workloads"]
from tests.test_main import tree_digest
from tooling.paths import REPO, tool_env
from vtc_constructs import ConfigError


def run_main(capsys, *args: str) -> tuple[int, str]:
    status = main.main(list(args))
    return status, capsys.readouterr().err


@pytest.fixture
def previous_output(tmp_path, synth_dir) -> Path:
    """A good earlier synth, with what `terraform init` and a local apply leave in each stack folder."""
    out = tmp_path / "cdktf.out"
    shutil.copytree(synth_dir, out, symlinks=True)
    for name in ("staging", "production"):
        (out / "stacks" / name / ".terraform" / "providers").mkdir(parents=True)
        (out / "stacks" / name / ".terraform" / "providers" / "marker").write_text(f"{name} init")
        (out / "stacks" / name / "terraform.tfstate").write_text(json.dumps({"version": 4, "serial": 7}))
    return out


def test_a_folder_holding_foreign_files_is_refused_and_its_files_survive(tmp_path, capsys):
    target = tmp_path / "notes"
    target.mkdir()
    (target / "todo.txt").write_text("mine")
    (target / "drafts").mkdir()
    (target / "drafts" / "a.md").write_text("also mine")
    before = tree_digest(target)
    status, err = run_main(capsys, "--outdir", str(target), "--only", "staging")
    assert status == 1
    assert (f"  - outdir: output folder is not the synth's (got '{target}'); allowed: a new or empty folder, or a "
            "cdktf output (manifest.json and stacks/ only); fix: it holds drafts, todo.txt, which the synth did not "
            "write and would delete") in err
    assert f"Nothing was synthesized; {target} is unchanged." in err
    assert tree_digest(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes"]  # no temporary sibling either


def test_a_cdktf_output_with_a_foreign_file_beside_its_stacks_is_refused(previous_output, capsys):
    (previous_output / "README.txt").write_text("someone's notes")
    before = tree_digest(previous_output)
    status, err = run_main(capsys, "--outdir", str(previous_output))
    assert status == 1
    assert "fix: it holds README.txt, which the synth did not write and would delete" in err
    assert tree_digest(previous_output) == before


def test_outdir_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "out"
    target.write_text("a file")
    status, err = run_main(capsys, "--outdir", str(target))
    assert status == 1
    assert f"outdir: output folder is not the synth's (got '{target}'); allowed: a folder the synth owns, or none " \
           "yet; fix: " in err
    assert target.read_text() == "a file"


def test_cdktf_outdir_from_the_environment_is_checked_the_same_way(tmp_path, capsys, monkeypatch):
    target = tmp_path / "home"
    target.mkdir()
    (target / ".bashrc").write_text("export X=1")
    monkeypatch.setenv("CDKTF_OUTDIR", str(target))
    status, err = run_main(capsys, "--only", "staging")
    assert status == 1 and "fix: it holds .bashrc, which the synth did not write" in err
    assert (target / ".bashrc").read_text() == "export X=1"


def test_outdir_dot_in_a_scratch_copy_of_the_repository_is_refused(tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(REPO, copy, ignore=shutil.ignore_patterns(".git", ".venv*", "node_modules", "cdktf.out",
                                                              ".tools", "__pycache__", ".pytest_cache"))
    before = tree_digest(copy)
    # The copy is compared byte for byte afterwards: the interpreter writes no bytecode into it (scripts/test.sh lets
    # the run's processes write theirs), so that whatever changed is main.py's doing.
    result = subprocess.run([sys.executable, "main.py", "--outdir", "."], cwd=copy,
                            env=tool_env(PYTHONDONTWRITEBYTECODE="1"), capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert ("outdir: output folder is not the synth's (got '.'); allowed: a folder of its own, not the current "
            "folder or one above it; fix: point --outdir / CDKTF_OUTDIR at a new or empty folder") in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_digest(copy) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]


def test_the_library_synth_refuses_a_foreign_folder_too(tmp_path, environments):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "keep.txt").write_text("x")
    with pytest.raises(ConfigError, match=r"outdir: output folder is not the synth's .*it holds keep\.txt"):
        synth_module.synthesize([environments["staging"]], target)
    assert [p.name for p in target.iterdir()] == ["keep.txt"]


def test_only_replaces_the_named_stack_and_leaves_every_other_stack_folder_exactly_as_it_was(previous_output,
                                                                                               capsys):
    production = previous_output / "stacks" / "production"
    before = tree_digest(production)
    manifest_before = json.loads((previous_output / "manifest.json").read_text())
    (previous_output / "stacks" / "staging" / "cdk.tf.json").write_text("{}")  # stale: must be replaced
    status, err = run_main(capsys, "--outdir", str(previous_output), "--only", "staging")
    assert status == 0, err
    assert tree_digest(production) == before  # .terraform and terraform.tfstate included
    assert (production / ".terraform" / "providers" / "marker").read_text() == "production init"
    staging = previous_output / "stacks" / "staging"
    assert json.loads((staging / "cdk.tf.json").read_text())["terraform"]["backend"]["s3"]["key"] == \
        "vtc/staging/terraform.tfstate"
    assert (staging / "terraform.tfstate").exists() and (staging / ".terraform" / "providers" / "marker").exists()
    manifest = json.loads((previous_output / "manifest.json").read_text())
    assert manifest["stacks"] == manifest_before["stacks"]  # both stacks still listed, for cdktf deploy
    assert not [p for p in previous_output.parent.iterdir() if p.name.startswith(".cdktf.out.")]


def test_a_dropped_stack_folder_holding_terraform_state_is_refused_not_deleted(previous_output, capsys):
    retired = previous_output / "stacks" / "qa"
    (retired / ".terraform").mkdir(parents=True)
    (retired / "terraform.tfstate").write_text("{}")
    (retired / "cdk.tf.json").write_text("{}")
    before = tree_digest(previous_output)
    status, err = run_main(capsys, "--outdir", str(previous_output))
    assert status == 1
    assert (f"outdir.stacks.qa: stack folder would be dropped (got '{retired}'); allowed: a stack folder of an "
            "environment that still has a file, or one holding only synth output; fix: no environment file defines "
            "'qa' any more, and its folder holds .terraform, terraform.tfstate: destroy the stack first") in err
    assert tree_digest(previous_output) == before


def test_a_dropped_stack_folder_with_only_synth_output_is_removed_saying_so(previous_output, capsys):
    retired = previous_output / "stacks" / "qa"
    retired.mkdir()
    (retired / "cdk.tf.json").write_text("{}")
    status, err = run_main(capsys, "--outdir", str(previous_output))
    assert status == 0, err
    assert sorted(p.name for p in (previous_output / "stacks").iterdir()) == ALL_STACKS
    # Said, once (another project's output given as --outdir would otherwise lose its stacks without a word).
    assert err.count("removed stacks/") == 1
    assert "removed stacks/qa: no environment file names it, and it held synth output only" in err


@pytest.mark.parametrize("make, expected", [
    (lambda d: None, "environments: no environment files (got '{d}'); allowed: at least one environment file "
                     "(*.toml other than base.toml); fix: add e.g. {d}/staging.toml, or point --environments-dir / "
                     "VTC_ENVIRONMENTS_DIR at the folder that holds them"),
    (lambda d: shutil.rmtree(d), "environments: folder missing (got '{d}'); allowed: an existing folder of "
                                 "environment files; fix: check --environments-dir / VTC_ENVIRONMENTS_DIR (a typo?)"),
    (lambda d: (d / "production.TOML").write_text('tier = "production"'),
     "production.TOML: file not read (got 'production.TOML'); allowed: production.toml (the extension in lower "
     "case); fix: rename it to production.toml"),
])
def test_no_environment_found_is_an_error_and_the_output_stays(tmp_path, previous_output, capsys, make, expected):
    directory = tmp_path / "envs"
    directory.mkdir()
    (directory / "base.toml").write_text('region = "eu-west-1"\n')
    make(directory)
    before = tree_digest(previous_output)
    status, err = run_main(capsys, "--outdir", str(previous_output), "--environments-dir", str(directory))
    assert status == 1
    assert expected.format(d=directory) in err, err
    assert tree_digest(previous_output) == before


def test_a_misspelt_extension_beside_good_files_is_reported_not_ignored(tmp_path, previous_output, capsys):
    directory = env_dir(tmp_path)
    (directory / "production.toml").rename(directory / "production.Toml")
    before = tree_digest(previous_output)
    status, err = run_main(capsys, "--outdir", str(previous_output), "--environments-dir", str(directory))
    assert status == 1
    assert "production.Toml: file not read (got 'production.Toml'); allowed: production.toml" in err
    assert tree_digest(previous_output) == before


def test_a_folder_holding_only_an_empty_stacks_folder_counts_as_empty(tmp_path, environments):
    target = tmp_path / "cdktf.out"
    (target / "stacks").mkdir(parents=True)
    synth_module.synthesize([environments["staging"]], target)
    assert sorted(p.name for p in (target / "stacks").iterdir()) == ["staging", "staging-workloads"]


def test_a_dropped_stack_folder_with_synth_output_and_a_lock_file_is_removed(previous_output, environments):
    retired = previous_output / "stacks" / "qa"
    retired.mkdir()
    (retired / "cdk.tf.json").write_text("{}")
    (retired / ".terraform.lock.hcl").write_text("# placed by main.py after the synth; regenerated on demand\n")
    for name in ("staging", "production"):  # the fixture's Terraform files in the live stacks are carried over
        shutil.rmtree(previous_output / "stacks" / name / ".terraform")
    synth_module.synthesize(list(environments.values()), previous_output)
    assert sorted(p.name for p in (previous_output / "stacks").iterdir()) == ALL_STACKS


def test_main_places_the_provider_lock_file_so_the_first_cdktf_deploy_works_offline(tmp_path, capsys):
    out = tmp_path / "out"
    assert main.main(["--outdir", str(out), "--only", "staging"]) == 0, capsys.readouterr().err
    lock = (out / "stacks" / "staging" / ".terraform.lock.hcl").read_text()
    assert 'provider "registry.terraform.io/hashicorp/aws"' in lock and 'version     = "5.100.0"' in lock
