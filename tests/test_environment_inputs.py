"""No input leaks a traceback: every wrong type at every depth of an environment file, and every way a file can be
unreadable, is one clear problem with its field path and a fix."""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from environments.model import _merge, environment_spec, load_environments
from environments.schema import Choice, ListOf, MapOf, Scalar, Table
from tests.test_environments import env_dir, problems, rewrite
from tooling.paths import REPO, tool_env
from vtc_constructs import ConfigError


def toml_value(value) -> str:
    """``value`` in TOML's inline syntax (tests only: every environment is written as one file of inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def staging_data() -> dict:
    """Staging, merged over the base, with a taint and a label so that every depth of the file is present."""
    base = tomllib.loads((REPO / "environments" / "base.toml").read_text())
    data = _merge(base, tomllib.loads((REPO / "environments" / "staging.toml").read_text()))
    group = data["eks"]["node_groups"]["general"]
    group["labels"] = {"workload": "general"}
    group["taints"] = [{"key": "dedicated", "value": "general", "effect": "NO_SCHEDULE"}]
    data["edge"]["certificate"] = {"domain_name": "staging.vision-to-code.io", "hosted_zone_name": "vision-to-code.io"}
    return data


def write_alone(directory: Path, data: dict) -> Path:
    directory.mkdir(exist_ok=True)
    (directory / "staging.toml").write_text("".join(f"{json.dumps(k)} = {toml_value(v)}\n" for k, v in data.items()))
    return directory


# What to put where a value of each kind belongs: every one of them wrong for that kind.
WRONG = {
    "string": [7, True, ["x"], {"a": "b"}],
    "integer": ["30", True, 1.5, math.inf, math.nan],
    "number": ["80", True, math.inf, -math.inf, math.nan],
    "boolean": [1, "true"],
    "choice": [1, ["one_per_az"]],
    "list": ["x", {"a": 1}],
    "map": ["x", [1]],
    "table": ["x", 3, [1]],
}


def _paths(value, spec, path):
    """Every (path, spec) that exists in ``value``, at every depth."""
    yield path, spec
    if isinstance(spec, Table):
        for key, item in value.items():
            if key in spec.fields:
                yield from _paths(item, spec.fields[key], f"{path}.{key}" if path else key)
    elif isinstance(spec, MapOf):
        for key, item in value.items():
            yield from _paths(item, spec.value, f"{path}.{key}")
    elif isinstance(spec, ListOf):
        for i, item in enumerate(value):
            yield from _paths(item, spec.item, f"{path}[{i}]")


def _kind(spec) -> str:
    if isinstance(spec, Scalar):
        return spec.kind
    return {Choice: "choice", ListOf: "list", MapOf: "map", Table: "table"}[type(spec)]


def _set(data: dict, path: str, value) -> None:
    parts = path.replace("[", ".[").split(".")
    target = data
    for part in parts[:-1]:
        target = target[int(part[1:-1])] if part.startswith("[") else target[part]
    last = parts[-1]
    if last.startswith("["):
        target[int(last[1:-1])] = value
    else:
        target[last] = value


CASES = [(path, wrong) for path, spec in _paths(staging_data(), environment_spec(), "") if path
         for wrong in WRONG[_kind(spec)]]


def test_the_matrix_reaches_every_depth_of_the_file():
    paths = {path for path, _ in CASES}
    for deepest in ("eks.node_groups.general.taints[0].effect", "eks.node_groups.general.labels.workload",
                    "alarms.thresholds.period_seconds", "edge.certificate.domain_name", "eks.addon_versions.coredns",
                    "tags.project", "state.bucket", "tier"):
        assert deepest in paths
    assert len(paths) >= 90


@pytest.mark.parametrize("path, wrong", CASES, ids=[f"{p}={w!r}" for p, w in CASES])
def test_a_wrong_type_anywhere_is_one_clear_problem_at_its_path(tmp_path, path, wrong):
    data = staging_data()
    _set(data, path, copy.deepcopy(wrong))
    directory = write_alone(tmp_path / "envs", data)
    with pytest.raises(ConfigError) as raised:  # anything else (a TypeError, a jsii error) fails the test
        load_environments(directory=directory)
    found = [str(p) for p in raised.value.problems if p.path == f"staging.{path}"]
    assert len(found) == 1, [str(p) for p in raised.value.problems]
    assert ": wrong type: " in found[0] and "; fix: " in found[0], found[0]


def test_a_wrong_type_is_reported_with_every_other_problem_at_once(tmp_path):
    data = staging_data()
    data["network"]["vpc_cidr"] = 10
    data["eks"]["node_groups"]["general"]["min_size"] = True
    data["alarms"]["thresholds"]["rds_cpu_percent"] = math.nan
    data["database"]["multi_az"] = "no"
    directory = write_alone(tmp_path / "envs", data)
    with pytest.raises(ConfigError) as raised:
        load_environments(directory=directory)
    assert [p.path for p in raised.value.problems] == [
        "staging.network.vpc_cidr", "staging.eks.node_groups.general.min_size", "staging.database.multi_az",
        "staging.alarms.thresholds.rds_cpu_percent"]
    assert str(raised.value.problems[3]) == (
        "staging.alarms.thresholds.rds_cpu_percent: wrong type: nan (not a finite number) (got nan); allowed: a "
        "finite number; fix: write a number without quotes, e.g. rds_cpu_percent = 80.0")


@pytest.mark.parametrize("old, new, expected", [
    ("[network]", "[network]\nvpc_cdir = '10.0.0.0/16'",
     "staging.network.vpc_cdir: unknown field (got '10.0.0.0/16'); allowed: availability_zones, "
     "database_subnet_new_bits, eks_cluster_name, flow_log_retention_days, nat_strategy, private_subnet_new_bits, "
     "public_subnet_new_bits, vpc_cidr; fix: did you mean 'vpc_cidr'? rename the key"),
    ("[eks.node_groups.general]", '[eks.node_groups.general]\ntaints = [{ key = "a", efect = "NO_SCHEDULE" }]',
     "staging.eks.node_groups.general.taints[0].efect: unknown field (got 'NO_SCHEDULE'); allowed: effect, key, "
     "value; fix: did you mean 'effect'? rename the key"),
    ("[alarms.thresholds]", "[alarms.thresholds]\nperiod = 60",
     "staging.alarms.thresholds.period: unknown field (got 60); allowed: "),
    ("[edge.certificate]", '[edge.certificate]\nhosted_zone = "x"',
     "staging.edge.certificate.hosted_zone: unknown field (got 'x'); allowed: certificate_arn, domain_name, "
     "hosted_zone_name; fix: did you mean 'hosted_zone_name'? rename the key"),
    ("[tags]", "region_name = 'x'\n[tags]",
     "staging.region_name: unknown field (got 'x'); allowed: account_id, alarms, database, edge, eks, network, region, "
     "state, tags, tier; fix: did you mean 'region'? rename the key"),
])
def test_unknown_keys_at_every_depth_suggest_the_key_meant(tmp_path, old, new, expected):
    directory = env_dir(tmp_path)
    rewrite(directory, "staging", old, new)
    (found,) = problems(directory)
    assert found.startswith(expected), found


def _bad_file(kind: str, path: Path) -> None:
    if kind == "directory":
        path.unlink()
        path.mkdir()
    elif kind == "unreadable":
        # Tests run as root, which reads any file whatever its mode: a link to a file the kernel refuses to read
        # from the start (EIO) gives the same OSError an unreadable file gives a normal user.
        path.unlink()
        path.symlink_to("/proc/self/mem")
    elif kind == "not utf-8":
        path.write_bytes(b"# caf\xe9 written in Latin-1\n" + path.read_bytes())
    elif kind == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    elif kind == "not toml":
        path.write_text("[network\n")


@pytest.mark.parametrize("kind, expected", [
    ("directory", "staging: not a file (got '{path}'); allowed: a TOML file; fix: {path} is a folder: remove or "
                  "rename it"),
    ("unreadable", "staging: unreadable file (got '{path}'); allowed: a readable file; fix: make it readable "
                   "(Input/output error)"),
    ("not utf-8", "staging: not UTF-8 (got '{path}'); allowed: a UTF-8 text file; fix: save the file as UTF-8 (byte "
                  "0xe9 on line 1 is not UTF-8)"),
    ("bom", "staging: byte-order mark (got '{path}'); allowed: UTF-8 without a byte-order mark; fix: save the file as "
            "UTF-8 without BOM"),
    ("not toml", "staging: unreadable file (got 'staging.toml'); allowed: valid TOML; fix: fix the syntax"),
])
def test_a_file_that_cannot_be_read_is_one_problem_naming_it(tmp_path, kind, expected):
    directory = env_dir(tmp_path)
    path = directory / "staging.toml"
    _bad_file(kind, path)
    found = problems(directory)
    assert len(found) == 1, found
    assert found[0].startswith(expected.format(path=path)), found[0]


def test_an_invalid_environment_name_is_refused_before_it_reaches_an_aws_name(tmp_path):
    directory = env_dir(tmp_path)
    (directory / "staging.toml").rename(directory / "Staging_EU.toml")
    (found,) = problems(directory)
    assert found.startswith("Staging_EU.toml: invalid environment name (got 'Staging_EU'); allowed: 1-17 characters "
                            "of a-z, 0-9 and '-'")


def test_main_reports_nested_type_problems_without_a_traceback(tmp_path):
    data = staging_data()
    data["eks"]["node_groups"]["general"]["taints"][0]["effect"] = 3
    data["alarms"]["thresholds"] = "strict"
    data["tags"]["owner"] = ["platform"]
    directory = write_alone(tmp_path / "envs", data)
    result = subprocess.run([sys.executable, "main.py", "--environments-dir", str(directory), "--outdir",
                             str(tmp_path / "out")], cwd=REPO, env=tool_env(), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: 3 configuration problems:\n")
    for path in ("staging.tags.owner: wrong type: a list", "staging.eks.node_groups.general.taints[0].effect: wrong "
                 "type: a whole number", "staging.alarms.thresholds: wrong type: a string (got 'strict'); allowed: a "
                 "table (AlarmThresholds); fix: write it as a table: [alarms.thresholds]"):
        assert path in result.stderr
    assert not (tmp_path / "out").exists()


def test_one_broken_file_cannot_print_pages(tmp_path, capsys):
    import main

    directory = env_dir(tmp_path)
    rewrite(directory, "staging", "[network]", "[network]\n" + "".join(f"typo_{i} = {i}\n" for i in range(70)))
    assert main.main(["--environments-dir", str(directory), "--outdir", str(tmp_path / "out")]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "error: 70 configuration problems:"
    assert sum(line.startswith("  - staging.network.typo_") for line in lines) == 50
    assert lines[-2] == "  ... and 20 more not shown (fix these first, then run again)"
