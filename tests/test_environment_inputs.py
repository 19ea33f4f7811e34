"""No input leaks a traceback: every wrong type at every depth of an environment file, and every way a file can be
unreadable, is one clear problem with its field path and a fix."""

from __future__ import annotations

import copy
import functools
import json
import math
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from environments.files import environment_spec, merge
from environments.model import load_environments
from environments.schema import Choice, ListOf, MapOf, Scalar, Table
from tests.test_environments import env_dir, problems, rewrite
from tests.test_main import tree_digest
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


@functools.cache
def _staging_files() -> dict:
    """base.toml with staging.toml merged over it, parsed once per process (about a thousand tests start from it)."""
    base = tomllib.loads((REPO / "environments" / "base.toml").read_text())
    return merge(base, tomllib.loads((REPO / "environments" / "staging.toml").read_text()))


def staging_data() -> dict:
    """Staging, merged over the base, with a taint and a label so that every depth of the file is present."""
    data = copy.deepcopy(_staging_files())
    group = data["eks"]["node_groups"]["general"]
    group["labels"] = {"workload": "general"}
    group["taints"] = [{"key": "dedicated", "value": "general", "effect": "NO_SCHEDULE"}]
    data["edge"]["certificate"] = {"domain_name": "staging.vision-to-code.io", "hosted_zone_name": "vision-to-code.io"}
    # What the model derives when the file says nothing, written out: the keys exist to be given wrong values.
    data["state"].update(bucket="vtc-terraform-state-111111111111-eu-west-1",
                         kms_key_id="alias/vtc-staging-terraform-state")
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


#: A valid key for a map the sample file leaves empty, so that a wrong value can be put under it.
SAMPLE_KEYS = {"workloads.addon_chart_versions": "metrics-server", "workloads.gateway_chart_versions": "green",
               "workloads.sealed_secrets": "pagerduty", "workloads.sealed_secrets.pagerduty.encrypted_data": "token",
               "tags": "team",
               "eks.node_groups.general.labels": "workload"}


def _paths(value, spec, path):
    """Every (path, spec) of the schema, at every depth: what ``value`` holds, and every optional key it leaves out
    (those are written into the file by :func:`_set`, with their parent tables)."""
    yield path, spec
    if isinstance(spec, Table):
        value = value if isinstance(value, dict) else {}
        for key, field_spec in spec.fields.items():
            yield from _paths(value.get(key), field_spec, f"{path}.{key}" if path else key)
    elif isinstance(spec, MapOf):
        items = value.items() if isinstance(value, dict) and value else [(SAMPLE_KEYS.get(path, "example"), None)]
        for key, item in items:
            yield from _paths(item, spec.value, f"{path}.{key}")
    elif isinstance(spec, ListOf):
        for i, item in enumerate(value if isinstance(value, list) and value else [None]):
            yield from _paths(item, spec.item, f"{path}[{i}]")


def _kind(spec) -> str:
    if isinstance(spec, Scalar):
        return spec.kind
    return {Choice: "choice", ListOf: "list", MapOf: "map", Table: "table"}[type(spec)]


def _set(data: dict, path: str, value) -> None:
    """Put ``value`` at ``path``, making the tables (and one-item lists) on the way that are not there yet."""
    parts = path.replace("[", ".[").split(".")
    target = data
    for part, after in zip(parts[:-1], parts[1:]):
        empty = [] if after.startswith("[") else {}
        if part.startswith("["):
            index = int(part[1:-1])
            if index == len(target):
                target.append(empty)
            target = target[index]
        else:
            target = target.setdefault(part, empty)
    last = parts[-1]
    if last.startswith("["):
        index = int(last[1:-1])
        if index == len(target):
            target.append(value)
        else:
            target[index] = value
    else:
        target[last] = value


CASES = [(path, wrong) for path, spec in _paths(staging_data(), environment_spec(), "") if path
         for wrong in WRONG[_kind(spec)]]


def test_the_matrix_reaches_every_depth_of_the_file_and_every_key_of_the_schema():
    paths = {path for path, _ in CASES}
    for deepest in ("eks.node_groups.general.taints[0].effect", "eks.node_groups.general.labels.workload",
                    "alarms.thresholds.period_seconds", "edge.certificate.domain_name", "eks.addon_versions.coredns",
                    "tags.project", "state.bucket", "tier",
                    # optional keys the sample file leaves out: written into it with a wrong value
                    "workloads.addon_chart_versions.metrics-server", "workloads.ingress_replicas",
                    "workloads.services.core.target_cpu_percent", "workloads.release_timeout_seconds"):
        assert deepest in paths
    # Every field of every table of the schema is among them (maps and lists: by one item).
    def fields(spec, path):
        if isinstance(spec, Table):
            for key, field_spec in spec.fields.items():
                yield f"{path}.{key}" if path else key
                yield from fields(field_spec, f"{path}.{key}" if path else key)

    assert set(fields(environment_spec(), "")) - paths == set()
    assert len(paths) >= 200


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
     "database_subnet_new_bits, eks_cluster_name, flow_log_retention_days, interface_endpoint_zones, "
     "interface_endpoints, nat_strategy, private_subnet_new_bits, public_subnet_new_bits, vpc_cidr; fix: did you mean 'vpc_cidr'? rename the key"),
    ("[eks.node_groups.general]", '[eks.node_groups.general]\ntaints = [{ key = "a", efect = "NO_SCHEDULE" }]',
     "staging.eks.node_groups.general.taints[0].efect: unknown field (got 'NO_SCHEDULE'); allowed: effect, key, "
     "value; fix: did you mean 'effect'? rename the key"),
    ("[alarms.thresholds]", "[alarms.thresholds]\nperiod = 60",
     "staging.alarms.thresholds.period: unknown field (got 60); allowed: "),
    ("[edge.certificate]", '[edge.certificate]\nhosted_zone = "x"',
     "staging.edge.certificate.hosted_zone: unknown field (got 'x'); allowed: certificate_arn, domain_name, "
     "hosted_zone_name; fix: did you mean 'hosted_zone_name'? rename the key"),
    ("[tags]", "region_name = 'x'\n[tags]",
     "staging.region_name: unknown field (got 'x'); allowed: account_id, alarms, cache, ci, database, edge, eks, network, "
     "region, registry, search, state, tags, tier, workloads; fix: did you mean 'region'? rename the key"),
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
    ("not toml", "staging: invalid TOML (got '{path}'); allowed: valid TOML; fix: fix the syntax"),
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


# --- every class of bad input, end to end: exit 1, the path and the fix, the previous output untouched ------------

@pytest.fixture(scope="module")
def previous_output(tmp_path_factory, synth_dir) -> Path:
    out = tmp_path_factory.mktemp("previous") / "cdktf.out"
    shutil.copytree(synth_dir, out)
    (out / "stacks" / "staging" / "terraform.tfstate").write_text("{}")
    return out


ARN_LINE = 'admin_principal_arns = ["arn:aws:iam::111111111111:role/vtc-platform-admin"]'
CORPUS = [
    # (file, old text, new text, expected: the problem's path, what is wrong, and a part of its fix)
    ("production", "[eks]", '[eks]\nendpoint_public_access_cidrs = ["0.0.0.0/1", "128.0.0.0/1"]',
     "production.eks.endpoint_public_access_cidrs[0]: range too broad (got '0.0.0.0/1'); allowed: specific public "
     "ranges (office, VPN), /16 or narrower; fix: list the ranges that administer the cluster"),
    ("staging", "[eks]", '[eks]\nendpoint_public_access_cidrs = ["0.0.0.0/0"]',
     "staging.eks.endpoint_public_access_cidrs[0]: endpoint open to the internet (got '0.0.0.0/0')"),
    ("staging", 'vpc_cidr = "10.20.0.0/16"', 'vpc_cidr = "8.8.0.0/16"',
     "staging.network.vpc_cidr: not a private range (got '8.8.0.0/16'); allowed: a range inside 10.0.0.0/8, "
     "172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10; fix: choose a private range"),
    ("staging", 'vpc_cidr = "10.20.0.0/16"', 'vpc_cidr = "169.254.0.0/16"',
     "staging.network.vpc_cidr: link-local range (got '169.254.0.0/16')"),
    ("staging", "[network]", '[network]\navailability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1d"]',
     "staging.network.availability_zones[2]: no such Availability Zone (got 'eu-west-1d'); allowed: an Availability "
     "Zone of eu-west-1: eu-west-1a, eu-west-1b, eu-west-1c; fix: pick one of"),
    ("staging", "[network]", '[network]\navailability_zones = ["eu-west-1a", "eu-west-1b", "us-east-1a"]',
     "staging.network.availability_zones[2]: AZ outside the region (got 'us-east-1a'); allowed: an AZ of eu-west-1"),
    ("staging", 'instance_types = ["m6i.large", "m5.large"]', 'instance_types = ["m6i.huge"]',
     "staging.eks.node_groups.general.instance_types[0]: unknown instance type (got 'm6i.huge')"),
    ("staging", "[database]", '[database]\nengine_version = "16.99"',
     "staging.database.engine_version: no pgvector on this engine version (got '16.99'); allowed: 16.x with "
     "pgvector"),
    ("staging", 'instance_class = "db.t4g.large"', 'instance_class = "db.r6g.huge"',
     "staging.database.instance_class: "),
    ("staging", "[eks]", '[eks]\naddon_versions = { kube-proxy = "v1.32.0-eksbuild.1" }',
     "staging.eks.addon_versions.kube-proxy: add-on built for another Kubernetes version (got 'v1.32.0-eksbuild.1'); "
     "allowed: v1.36.x-eksbuild.N"),
    ("staging", ARN_LINE, 'admin_principal_arns = ["arn:aws:sts::111111111111:assumed-role/vtc-platform-admin/jane"]',
     "staging.eks.admin_principal_arns[0]: assumed-role session ARN (got "
     "'arn:aws:sts::111111111111:assumed-role/vtc-platform-admin/jane'); allowed: an IAM role or user ARN; fix: use "
     "the role's ARN, 'arn:aws:iam::111111111111:role/vtc-platform-admin'"),
    ("staging", ARN_LINE, 'admin_principal_arns = ["arn:aws:iam::111111111111:role/a", '
                          '"arn:aws:iam::111111111111:role/a"]',
     "staging.eks.admin_principal_arns[1]: repeated principal (got 'arn:aws:iam::111111111111:role/a')"),
    ("staging", ARN_LINE, 'admin_principal_arns = ["arn:aws-cn:iam::111111111111:role/a"]',
     "staging.eks.admin_principal_arns[0]: principal in another partition (got 'arn:aws-cn:iam::111111111111:role/a'); "
     "allowed: a principal of partition aws"),
    ("staging", ARN_LINE, 'admin_principal_arns = ["arn:aws:iam::222222222222:role/a"]',
     "staging.eks.admin_principal_arns[0]: principal in another account (got 'arn:aws:iam::222222222222:role/a'); "
     "allowed: a principal of account 111111111111"),
    ("staging", 'environment = "staging"', 'environment = "staging"\n"aws:owner" = "me"',
     "staging.tags.aws:owner: reserved tag prefix (got 'aws:owner')"),
    ("staging", 'environment = "staging"', 'environment = "staging"\n' + "".join(f't{i} = "x"\n' for i in range(50)),
     "staging.tags: too many tags (got '54 tags'); allowed: at most 46"),
    ("staging", 'environment = "staging"', 'environment = "staging"\nowner = "me#1"',
     "staging.tags.owner: character AWS refuses in a tag value (got 'me#1')"),
    ("staging", "[database]", '[database]\nbackup_window = "02:00-02:10"',
     "staging.database.backup_window: window too short (got '02:00-02:10'); allowed: at least 30 minutes"),
    ("staging", "[database]", '[database]\nmaintenance_window = "sun:02:30-sun:03:30"',
     "staging.database.backup_window: backup window overlaps the maintenance window (got '02:00-03:00')"),
    ("staging", "[database]", '[database]\nbackup_window = "25:00-26:00"',
     "staging.database.backup_window: malformed window (got '25:00-26:00'); allowed: hh:mm-hh:mm in UTC"),
    ("staging", "[database]", '[database]\ndatabase_name = "select"',
     "staging.database.database_name: reserved database name (got 'select')"),
    ("staging", 'domain_name = "staging.vision-to-code.io"\nhosted_zone_name = "vision-to-code.io"',
     'certificate_arn = "arn:aws:acm:us-east-1:111111111111:certificate/12345678-1234-1234-1234-123456789012"',
     "staging.edge.certificate.certificate_arn: certificate in another region (got "
     "'arn:aws:acm:us-east-1:111111111111:certificate/12345678-1234-1234-1234-123456789012'); allowed: a certificate "
     "in eu-west-1, the load balancer's region"),
    ("staging", "evaluation_periods = 10", "evaluation_periods = 10\nperiod_seconds = 45",
     "staging.alarms.thresholds.period_seconds: period CloudWatch refuses (got 45)"),
    ("staging", "evaluation_periods = 10", "evaluation_periods = 10\nperiod_seconds = 60.5",
     "staging.alarms.thresholds.period_seconds: wrong type: a number (got 60.5); allowed: a whole number"),
    ("staging", "[edge]", '[edge]\nhealth_check_path = "/' + "a" * 1100 + '"',
     "staging.edge.health_check_path: path too long"),
    ("staging", "[edge]", '[edge]\nhealth_check_path = "healthz"',
     "staging.edge.health_check_path: path not starting with / (got 'healthz')"),
    ("staging", "[state]", '[state]\nbucket = "VTC_State"',
     "staging.state.bucket: upper-case letters in a bucket name (got 'VTC_State'); allowed: 3-63 characters of a-z, "
     "0-9, '.' and '-', starting and ending with a letter or digit, no '..', not an IP address, no reserved prefix or "
     "suffix; fix: use lower case, e.g. 'vtc-state'"),
    ("staging", "[state]", '[state]\nbucket = "192.168.5.4"', "staging.state.bucket: "),
    ("staging", "[eks.node_groups.general]", '[eks.node_groups.general]\ntaints = [{ key = "a", efect = "x" }]',
     "staging.eks.node_groups.general.taints[0].efect: unknown field (got 'x'); allowed: effect, key, value; fix: did "
     "you mean 'effect'?"),
    ("staging", "max_size = 6", "max_size = true",
     "staging.eks.node_groups.general.max_size: wrong type: a boolean (got True); allowed: a whole number"),
    ("staging", "rds_cpu_percent = 90.0", "rds_cpu_percent = inf",
     "staging.alarms.thresholds.rds_cpu_percent: wrong type: inf (not a finite number)"),
]


@pytest.mark.parametrize("name, old, new, expected", CORPUS,
                         ids=[f"{c[3].split(':')[0]}-{i}" for i, c in enumerate(CORPUS)])
def test_each_class_of_bad_input_exits_1_names_path_and_fix_and_leaves_the_output(tmp_path, previous_output,
                                                                                   capsys, name, old, new, expected):
    import main

    directory = env_dir(tmp_path)
    rewrite(directory, name, old, new)
    before = tree_digest(previous_output)
    status = main.main(["--environments-dir", str(directory), "--outdir", str(previous_output)])
    err = capsys.readouterr().err
    assert status == 1
    lines = [line for line in err.splitlines() if line.startswith("  - ")]
    matching = [line for line in lines if line.startswith(f"  - {expected}")]
    assert len(matching) == 1, err
    assert "; fix: " in matching[0]
    assert err.rstrip().endswith(f"Nothing was synthesized; {previous_output} is unchanged.")
    assert tree_digest(previous_output) == before


def test_an_unknown_database_class_is_reported_once_not_again_by_the_alarms_sized_on_it(tmp_path):
    directory = env_dir(tmp_path)
    rewrite(directory, "staging", 'instance_class = "db.t4g.large"', 'instance_class = "db.r6g.huge"')
    (found,) = problems(directory)
    assert found.startswith("staging.database.instance_class: ")
