"""The GitHub Actions workflows (.github/): actionlint, checkov's github_actions framework, and this project's own
rules: every action pinned by a full commit SHA with its version beside it, least-privilege permissions, one deploy
of an environment at a time, no stored AWS keys. A missing actionlint or checkov fails these tests (never skips)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from environments.diff_report import MARKER

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"

#: The pins, each confirmed as the commit its release tag points at in the action's own repository (see the
#: report of the change that added them). A new pin goes here too, so a comment never claims a wrong version.
PINNED = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "aws-actions/configure-aws-credentials": ("e6de054238d6b7531b4efff3b6587d9aade6a06c", "v6.2.3"),
    "actions/github-script": ("ed597411d8f924073f98dfc5c65a23a2325f34cd", "v8.0.0"),
    "hashicorp/setup-terraform": ("dfe3c3f87815947d99a8997f908cb6525fc44e9e", "v4.0.1"),
}
USES = re.compile(r"^\s*(?:-\s*)?uses:\s*(?P<ref>\S+)\s*(?:#\s*(?P<comment>.*))?$")
READ_ONLY = {"read", "none"}


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def jobs() -> list[tuple[Path, str, dict]]:
    return [(path, name, job) for path in WORKFLOWS for name, job in load(path)["jobs"].items()]


def actionlint() -> str:
    """The actionlint binary: $VTC_ACTIONLINT, else the one the PyPI package put into this venv's bin/."""
    candidate = os.environ.get("VTC_ACTIONLINT") or shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if not candidate or not Path(candidate).exists():
        pytest.fail("actionlint is not installed: it comes from the PyPI package pinned in requirements/dev.txt "
                    "(scripts/setup.sh installs it into .venv/bin); or set VTC_ACTIONLINT to a binary")
    return candidate


def test_there_are_workflows():
    assert {p.name for p in WORKFLOWS} >= {"pull-request.yml", "deploy-staging.yml", "release-production.yml",
                                          "rollback.yml", "deploy-weights.yml"}


def test_actionlint():
    binary = actionlint()
    result = subprocess.run([binary, "-no-color", *map(str, WORKFLOWS)], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, f"actionlint found problems:\n{result.stdout}{result.stderr}"
    # and it really checks: a broken workflow is refused
    broken = subprocess.run([binary, "-no-color", "-"], input="on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n"
                            "    steps:\n      - run: echo ${{ github.nope }}\n", capture_output=True, text=True,
                            timeout=60)
    assert broken.returncode == 1 and "nope" in broken.stdout


def test_checkov_github_actions():
    if not CHECKOV.exists():
        pytest.fail(f"checkov is not installed at {CHECKOV} (scripts/setup.sh installs it)")
    result = subprocess.run([str(CHECKOV), "-d", str(GITHUB), "--framework", "github_actions", "--skip-download",
                             "--compact", "--quiet", "--output", "json"], capture_output=True, text=True, timeout=600)
    assert result.stdout.strip(), result.stderr[-3000:]
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    report = next(r for r in reports if r.get("check_type") == "github_actions")
    summary = report["summary"]
    failed = [(f["check_id"], f["file_path"], f.get("check_name")) for f in report["results"]["failed_checks"]]
    assert summary["passed"] > 0, "checkov ran no check: it parsed nothing"
    assert summary["parsing_errors"] == 0 and not report["results"].get("parsing_errors")
    assert not failed, failed
    assert result.returncode == 0


def test_every_action_is_pinned_by_commit_with_its_version():
    problems = []
    for path in WORKFLOWS + ACTIONS:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = USES.match(line)
            if not match:
                continue
            ref, comment = match["ref"], (match["comment"] or "").strip()
            if ref.startswith("./"):
                assert (ROOT / ref).exists(), f"{path.name}:{number}: {ref} does not exist"
                continue
            action, _, sha = ref.partition("@")
            repo = "/".join(action.split("/")[:2])
            if not re.fullmatch(r"[0-9a-f]{40}", sha):
                problems.append(f"{path.name}:{number}: {ref} is not pinned by a full commit SHA")
            elif PINNED.get(repo, (None,))[0] != sha:
                problems.append(f"{path.name}:{number}: {repo}@{sha} is not a confirmed pin (PINNED in this test)")
            elif not comment.startswith(PINNED[repo][1]):
                problems.append(f"{path.name}:{number}: the comment should give the version {PINNED[repo][1]}")
    assert not problems, "\n".join(problems)


def test_permissions_are_least_privilege():
    for path in WORKFLOWS:
        top = load(path).get("permissions")
        assert top == {} or (isinstance(top, dict) and set(top.values()) <= READ_ONLY), \
            f"{path.name}: top-level permissions must be {{}} or read-only (got {top})"
    for path, name, job in jobs():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict), f"{path.name}: job {name} declares no permissions"
        writes = {k for k, v in permissions.items() if v == "write"}
        allowed = {"id-token", "pull-requests", "actions"}
        assert writes <= allowed, f"{path.name}: job {name} writes {writes - allowed}"
        if "id-token" in writes:  # only the jobs that deploy (themselves or through a reusable deploy workflow)
            text = json.dumps(job)
            assert "cdktf deploy" in text or "deploy-weights.yml" in text or "deploy-workloads.yml" in text, \
                f"{path.name}: {name} needs no OIDC token"


def test_deploys_never_overlap():
    deploying = [(p, n, j) for p, n, j in jobs() if "cdktf deploy" in json.dumps(j.get("steps", []))]
    assert {p.name for p, _, _ in deploying} == {"deploy-staging.yml", "deploy-weights.yml", "deploy-workloads.yml"}
    groups = set()
    for path, name, job in deploying:
        concurrency = job.get("concurrency")
        assert isinstance(concurrency, dict), f"{path.name}: job {name} deploys without a concurrency group"
        assert concurrency["group"].startswith("deploy-"), concurrency
        assert concurrency.get("cancel-in-progress") is False, f"{path.name}: an apply must never be cancelled"
        groups.add(concurrency["group"])
    assert groups == {"deploy-staging", "deploy-${{ inputs.stack }}"}
    # every production step (workloads, rollout and rollback) goes through a reusable deploy workflow, so through
    # the group deploy-production; staging's workloads likewise through deploy-staging
    for path in (GITHUB / "workflows" / "release-production.yml", GITHUB / "workflows" / "rollback.yml"):
        calls = [j for j in load(path)["jobs"].values() if "uses" in j]
        assert calls and all(j["uses"] in ("./.github/workflows/deploy-weights.yml",
                                           "./.github/workflows/deploy-workloads.yml") for j in calls)
        assert all(j["with"]["stack"] == "production" for j in calls)
    [staging] = [j for j in load(GITHUB / "workflows" / "deploy-staging.yml")["jobs"].values() if "uses" in j]
    assert staging["uses"] == "./.github/workflows/deploy-workloads.yml" and staging["with"]["stack"] == "staging"


def test_the_workloads_deploy_before_any_traffic_moves_from_inside_the_vpc():
    release = load(GITHUB / "workflows" / "release-production.yml")["jobs"]
    assert release["workloads"]["uses"] == "./.github/workflows/deploy-workloads.yml"
    assert release["workloads"]["with"]["environment"] == "production", "behind the required reviewers"
    assert "workloads" in release["canary"]["needs"], "the canary waits for the idle colour's releases"
    assert load(GITHUB / "workflows" / "deploy-staging.yml")["jobs"]["workloads"]["needs"] == "deploy"
    workloads = load(GITHUB / "workflows" / "deploy-workloads.yml")
    [job] = workloads["jobs"].values()
    assert job["runs-on"] == ["self-hosted", "linux", "x64", "vtc-${{ inputs.stack }}"]
    assert 'cdktf deploy "${STACK}-workloads" --auto-approve --ignore-missing-stack-dependencies' in \
        (GITHUB / "workflows" / "deploy-workloads.yml").read_text(encoding="utf-8")
    labels = yaml.safe_load((GITHUB / "actionlint.yaml").read_text(encoding="utf-8"))["self-hosted-runner"]["labels"]
    assert sorted(labels) == ["vtc-production", "vtc-staging"]


def test_no_stored_aws_keys_and_oidc_roles():
    for path in WORKFLOWS + ACTIONS:
        text = path.read_text(encoding="utf-8")
        for forbidden in ("aws-access-key-id", "aws-secret-access-key", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                          "aws-session-token"):
            assert forbidden not in text, f"{path.name} uses {forbidden}: deploy through the OIDC role only"
        assert not re.search(r"secrets\.AWS", text), f"{path.name}: AWS credentials from secrets"
    for path, name, job in jobs():
        for step in job.get("steps", []):
            if "configure-aws-credentials" in step.get("uses", ""):
                assert "role-to-assume" in step["with"], f"{path.name}: {name}"
                assert job["permissions"].get("id-token") == "write", f"{path.name}: {name}"
                assert job.get("environment"), f"{path.name}: {name}: the role belongs to an environment"


def test_the_rollout_uses_the_readme_commands_and_steps():
    release = load(GITHUB / "workflows" / "release-production.yml")
    assert list(release["on"]) == ["push"] and release["on"]["push"]["tags"] == ["v*"]
    steps = [(j["with"]["live-weight"], j["with"]["idle-weight"], j["with"]["environment"])
             for j in release["jobs"].values() if j.get("uses") == "./.github/workflows/deploy-weights.yml"]
    assert steps == [(90, 10, "production"), (50, 50, "production"), (0, 100, "production"),
                     (100, 0, "production-rollback")]
    assert "failure()" in release["jobs"]["rollback"]["if"]
    weights = (GITHUB / "workflows" / "deploy-weights.yml").read_text(encoding="utf-8")
    assert 'node_modules/.bin/cdktf deploy "$STACK" --auto-approve' in weights
    assert '--var="${LIVE}_weight=${LIVE_WEIGHT}" --var="${IDLE}_weight=${IDLE_WEIGHT}"' in weights
    # the soak is the rollout command's own (tested against the emulator), not a second implementation in shell
    assert 'python -m environments.rollout watch "$STACK" --colour "$IDLE"' in weights
    assert "describe-alarms" not in weights and "describe-target-health" not in weights
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "cdktf deploy production --var='blue_weight=90'  --var='green_weight=10'" in readme
    assert list(load(GITHUB / "workflows" / "rollback.yml")["on"]) == ["workflow_dispatch"]


def test_pull_request_posts_one_comment_by_the_reports_marker():
    text = (GITHUB / "workflows" / "pull-request.yml").read_text(encoding="utf-8")
    assert f"const marker = '{MARKER}';" in text and "updateComment" in text and "createComment" in text
    assert "python -m environments.diff_report --git" in text and "bash scripts/test.sh" in text


def test_runbooks_use_the_readme_and_workflow_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    readme_steps = [line for line in readme.splitlines() if line.startswith("cdktf deploy production --var=")]
    assert len(readme_steps) == 4, readme_steps
    rollout = (ROOT / "docs" / "runbooks" / "production-rollout.md").read_text(encoding="utf-8")
    rollback = (ROOT / "docs" / "runbooks" / "rollback.md").read_text(encoding="utf-8")
    assert all(step in rollout for step in readme_steps)
    assert readme_steps[-1].replace("cdktf deploy", "time cdktf deploy") in rollback
    for text in (rollout, rollback):
        named = re.findall(r"\.github/workflows/([\w-]+\.yml)", text)
        named += re.findall(r"gh workflow run ([\w-]+\.yml)", text)
        assert named and all((GITHUB / "workflows" / workflow).exists() for workflow in named), named
        assert "measured" in text and "estimated" in text
    assert "gh workflow run rollback.yml" in rollback
