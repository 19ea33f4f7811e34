"""The GitHub Actions workflows (.github/): actionlint, checkov's github_actions framework, and this project's own
rules: every action pinned by a full commit SHA with its version beside it, least-privilege permissions, no stored
AWS keys, and the release path's guards (issue 21, "workflows an attacker cannot ride"): a release tag on main that
staging deployed, one run per environment at a time and an apply never cancelled, a rollback on failure or
cancellation that moves traffic only, a watched approval wait, the in-VPC runner only from main and v* tags, a refused
release never rolling back someone else's. Each guard is a checker function over the loaded workflows, tested both
ways: clean on the real files, and complaining once the guard is removed from a copy (like cdk-nag rule tests). A
missing actionlint or checkov fails these tests (never skips)."""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import safe_load
from tests.standins import GROUP

from environments.diff_report import MARKER

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))
RELEASE_STATE = GITHUB / "actions" / "rollout-tools" / "release_state.py"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"

#: The pins, each confirmed as the commit its release tag points at in the action's own repository (see the
#: report of the change that added them). A new pin goes here too, so a comment never claims a wrong version.
PINNED = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "aws-actions/configure-aws-credentials": ("e6de054238d6b7531b4efff3b6587d9aade6a06c", "v6.2.3"),
    "actions/github-script": ("ed597411d8f924073f98dfc5c65a23a2325f34cd", "v8.0.0"),
    "hashicorp/setup-terraform": ("dfe3c3f87815947d99a8997f908cb6525fc44e9e", "v4.0.1"),
    # Read from the fetched repositories' tags (git rev-parse <tag>^{commit}); both maintained (2025-10, 2026-07).
    "zaproxy/action-baseline": ("de8ad967d3548d44ef623df22cf95c3b0baf8b25", "v0.15.0"),
    "SonarSource/sonarqube-scan-action": ("22918119ff8e1ca75a623e15c8296b6ea4fbe28f", "v8.2.1"),
    "actions/setup-go": ("b7ad1dad31e06c5925ef5d2fc7ad053ef454303e", "v7.0.0"),
    # image-build.yml (issue 25): each read from the action's own repository's tag (annotated tags dereferenced to
    # their commit): amazon-ecr-login v2.1.7, trivy-action v0.36.0 (an SSH-signed tag; it pins setup-trivy and
    # actions/cache by commit itself), cosign-installer v4.1.2, create-github-app-token v3.1.1.
    "aws-actions/amazon-ecr-login": ("03f1aad4c6c7ffd436567f42f9384779290529bd", "v2.1.7"),
    "docker/setup-buildx-action": ("37fe631027851001ddb9b187196cc803df7f5f0e", "v4.3.0"),
    "docker/build-push-action": ("53b7df96c91f9c12dcc8a07bcb9ccacbed38856a", "v7.3.0"),
    "aquasecurity/trivy-action": ("ed142fd0673e97e23eac54620cfb913e5ce36c25", "v0.36.0"),
    "sigstore/cosign-installer": ("6f9f17788090df1f26f669e9d70d6ae9567deba6", "v4.1.2"),
    "actions/create-github-app-token": ("1b10c78c7865c340bc4f6099eb2f838309f1e8c3", "v3.1.1"),
}
USES = re.compile(r"^\s*(?:-\s*)?uses:\s*(?P<ref>\S+)\s*(?:#\s*(?P<comment>.*))?$")
READ_ONLY = {"read", "none"}


def load(path: Path) -> dict:
    """The workflow (or action) at ``path``, parsed; a copy each test may change."""
    return copy.deepcopy(_parsed(path, path.stat().st_mtime_ns))


@functools.lru_cache(maxsize=None)
def _parsed(path: Path, mtime_ns: int) -> dict:
    # Parsed once per file and process (the tests read the workflows some 500 times).
    data = safe_load(path.read_text(encoding="utf-8"))
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
    assert {p.name for p in WORKFLOWS} == {"pull-request.yml", "deploy-staging.yml", "deploy-workloads.yml",
                                          "release-production.yml", "deploy-weights.yml", "approval-watch.yml",
                                          "traffic-rollback.yml", "rollback.yml", "security-scans.yml",
                                          "kind.yml", "image-build.yml"}


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


@pytest.mark.xdist_group(GROUP)
def test_checkov_github_actions(scans):
    # checkov's github_actions checks over .github/'s workflows, run in the scans' checkov process
    # (tests/standins.py): one checkov start-up less.
    report = next(r for r in scans.checkov if r.get("check_type") == "github_actions")
    summary = report["summary"]
    failed = [(f["check_id"], f["file_path"], f.get("check_name")) for f in report["results"]["failed_checks"]]
    assert summary["passed"] > 0, "checkov ran no check: it parsed nothing"
    assert summary["parsing_errors"] == 0 and not report["results"].get("parsing_errors")
    assert not failed, failed


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


# --- the workflows as data, for the checkers -------------------------------------------------------------------------

Workflows = dict  # file name -> loaded workflow

REUSABLE = re.compile(r"^\./\.github/workflows/(?P<name>[\w.-]+\.ya?ml)$")
PULL_REQUEST_EVENTS = {"pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment",
                       "issue_comment", "workflow_run", "merge_group"}
RELEASE, STAGING = "release-production.yml", "deploy-staging.yml"


def workflows() -> Workflows:
    return {path.name: load(path) for path in WORKFLOWS}


def triggers(workflow: dict) -> set[str]:
    on = workflow.get("on")
    return {on} if isinstance(on, str) else set(on or [])


def called(job: dict) -> str | None:
    """The reusable workflow of this repository a job calls (its file name), if any."""
    match = REUSABLE.match(str(job.get("uses", "")))
    return match["name"] if match else None


def reachable(wfs: Workflows, name: str, seen: frozenset = frozenset()) -> list[tuple[str, str, dict]]:
    """Every job a run of workflow `name` can run: its own and, through `uses:`, those of the workflows it calls."""
    found = []
    for job_id, job in (wfs.get(name) or {}).get("jobs", {}).items():
        found.append((name, job_id, job))
        callee = called(job)
        if callee and callee not in seen:
            found += reachable(wfs, callee, seen | {name})
    return found


def script(job: dict) -> str:
    """The shell of a job's steps, one string."""
    return "\n".join(str(step.get("run", "")) for step in job.get("steps", []) or [])


def needs(job: dict) -> list[str]:
    value = job.get("needs", [])
    return [value] if isinstance(value, str) else list(value)


def applies(job: dict) -> bool:
    return "cdktf deploy" in script(job)


def moves_traffic(job: dict) -> bool:
    return bool(re.search(r"environments\.rollout (step|rollout|rollback)\b", script(job)))


def role(job: dict) -> str:
    for step in job.get("steps", []) or []:
        if "configure-aws-credentials" in str(step.get("uses", "")):
            return str(step.get("with", {}).get("role-to-assume", ""))
    return ""


def self_hosted(job: dict) -> bool:
    runs_on = job.get("runs-on", [])
    labels = runs_on.get("labels", []) if isinstance(runs_on, dict) else runs_on
    labels = [labels] if isinstance(labels, str) else list(labels)
    return isinstance(runs_on, dict) and "group" in runs_on or any(
        label == "self-hosted" or str(label).startswith("vtc-") for label in labels)


def checkout_ref(job: dict) -> str | None:
    for step in job.get("steps", []) or []:
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            return str((step.get("with") or {}).get("ref", ""))
    return None


def environments_of(wfs: Workflows, name: str) -> set[str]:
    """The environments (staging, production) a workflow changes: its reusable calls' `stack`, its own commands."""
    found = set()
    for _, _, job in reachable(wfs, name):
        stack = (job.get("with") or {}).get("stack")
        if stack in ("staging", "production"):
            found.add(stack)
        found |= set(re.findall(r"(?:cdktf deploy|environments\.rollout \w+) (staging|production)\b", script(job)))
    return found


def top_level(wfs: Workflows) -> list[str]:
    return [name for name, wf in wfs.items() if triggers(wf) - {"workflow_call"}]


# --- the checkers: each returns its complaints, [] when the guard holds -----------------------------------------------

def check_release_gate(wfs: Workflows) -> list[str]:
    """1. A release tag must point at a commit on main that staging deployed successfully: checked first (the guard
    job needs nothing, every other job needs it), refused otherwise; staging deploys through `environment: staging`
    so a deployment record exists."""
    problems = []
    release = wfs.get(RELEASE, {})
    jobs_ = release.get("jobs", {})
    guard = jobs_.get("guard")
    if not guard:
        return [f"{RELEASE}: no guard job"]
    if needs(guard):
        problems.append("the guard must run first (it needs nothing)")
    if "refs/tags/v" not in str(guard.get("if", "")):
        problems.append("the guard runs only for a v* tag")
    text = script(guard)
    ancestry = text.find("git merge-base --is-ancestor")
    deployments = text.find("deployments?environment=staging")
    if ancestry < 0 or "origin/main" not in text:
        problems.append("the guard does not check that the tag's commit is on main")
    if deployments < 0 or "success" not in text[deployments:]:
        problems.append("the guard does not check staging's successful deployment of the commit")
    if ancestry > deployments >= 0:
        problems.append("the guard checks main first")
    if (guard.get("permissions") or {}).get("deployments") != "read":
        problems.append("the guard needs deployments: read")
    if "exit 1" not in text:
        problems.append("the guard never refuses")
    for job_id, job in jobs_.items():
        if job_id != "guard" and "guard" not in needs(job):
            problems.append(f"{RELEASE}: job {job_id} does not need the guard")
    for job_id, job in wfs.get(STAGING, {}).get("jobs", {}).items():
        environment = job.get("environment") or (job.get("with") or {}).get("environment")
        if environment != "staging":
            problems.append(f"{STAGING}: job {job_id} does not deploy through the environment staging")
    return problems


def check_concurrency(wfs: Workflows) -> list[str]:
    """2 and 6. Every workflow that applies to or moves the traffic of an environment holds the workflow-level group
    vtc-<env>, queued (queue: max) and never cancelling (cancel-in-progress: false); no job-level group equal to a
    workflow-level one (GitHub cancels such a job as a deadlock); a workflow that only rolls back has a group of its
    own (it must never wait behind, or be cancelled by, a release) and cancels nothing."""
    problems = []
    groups = set()
    for name in top_level(wfs):
        wf = wfs[name]
        jobs_ = reachable(wfs, name)
        changes = any(applies(job) or moves_traffic(job) for _, _, job in jobs_)
        if not changes:
            continue
        envs = environments_of(wfs, name)
        if len(envs) != 1:
            problems.append(f"{name}: changes {sorted(envs)}: one environment per workflow")
            continue
        [env] = envs
        concurrency = wf.get("concurrency")
        if not isinstance(concurrency, dict):
            problems.append(f"{name}: no workflow-level concurrency")
            continue
        groups.add(concurrency.get("group"))
        if concurrency.get("cancel-in-progress") is not False:
            problems.append(f"{name}: cancel-in-progress must be false")
        if concurrency.get("queue") != "max":
            problems.append(f"{name}: runs must queue (queue: max), not replace each other")
        rollback_only = not any(applies(job) or re.search(r"environments\.rollout (step|rollout)\b", script(job))
                                for _, _, job in jobs_)
        expected = f"vtc-{env}-rollback" if rollback_only else f"vtc-{env}"
        if concurrency.get("group") != expected:
            problems.append(f"{name}: concurrency group {concurrency.get('group')!r}, expected {expected!r}")
    for name, wf in wfs.items():
        text = json.dumps(wf)
        if "gh run cancel" in text or "/cancel" in text:
            problems.append(f"{name}: cancels runs (an apply could be cut short)")
        for job_id, job in wf.get("jobs", {}).items():
            concurrency = job.get("concurrency")
            if concurrency is None:
                continue
            group = concurrency.get("group") if isinstance(concurrency, dict) else concurrency
            if group in groups:
                problems.append(f"{name}: job {job_id} repeats the workflow-level group {group} (deadlock)")
            if isinstance(concurrency, dict) and concurrency.get("cancel-in-progress") is not False and \
                    (applies(job) or moves_traffic(job)):
                problems.append(f"{name}: job {job_id} may cancel an apply or a traffic step in progress")
    return problems


def check_rollback_on_failure(wfs: Workflows) -> list[str]:
    """3. The release rolls back on failure OR cancellation, once a traffic step may have moved traffic; the
    rollback only moves traffic: the traffic role, main's code, Python and boto3 only, no approval."""
    problems = []
    jobs_ = wfs.get(RELEASE, {}).get("jobs", {})
    steps = [job_id for job_id, job in jobs_.items() if called(job) == "deploy-weights.yml"]
    watchers = [job_id for job_id, job in jobs_.items() if called(job) == "approval-watch.yml"]
    rollbacks = [(job_id, job) for job_id, job in jobs_.items() if called(job) == "traffic-rollback.yml"]
    if not steps:
        return [f"{RELEASE}: no traffic step"]
    if len(rollbacks) != 1:
        return [f"{RELEASE}: {len(rollbacks)} rollback jobs, expected one"]
    [(rollback_id, rollback)] = rollbacks
    condition = str(rollback.get("if", ""))
    for needed in ("failure()", "cancelled()"):
        if needed not in condition:
            problems.append(f"{rollback_id}: its if lacks {needed}")
    first = next(s for s in steps if not set(needs(jobs_[s])) & set(steps))
    if f"needs.{first}.result != 'skipped'" not in condition:
        problems.append(f"{rollback_id}: runs even when no traffic step was reached")
    if "always()" in condition:
        problems.append(f"{rollback_id}: always() would roll back a successful release")
    missing = set(steps + watchers) - set(needs(rollback))
    if missing:
        problems.append(f"{rollback_id}: does not wait for {sorted(missing)}")
    environment = (rollback.get("with") or {}).get("environment", "")
    if not str(environment).endswith("-traffic"):
        problems.append(f"{rollback_id}: environment {environment!r}: the rollback needs no approval (<env>-traffic)")
    if not (rollback.get("with") or {}).get("release"):
        problems.append(f"{rollback_id}: rolls back whatever release is unfinished, not only this one")
    for name, job_id, job in reachable(wfs, "traffic-rollback.yml"):
        problems += [f"{name}: {job_id}: {p}" for p in traffic_only(job, "rollback")]
        if checkout_ref(job) != "main":
            problems.append(f"{name}: {job_id}: checks out {checkout_ref(job)!r}, not main")
    return problems


def traffic_only(job: dict, command: str) -> list[str]:
    """A job that moves traffic: the traffic role, the rollout command, nothing that applies or installs cdktf."""
    problems = []
    text = script(job)
    if f"environments.rollout {command}" not in text:
        problems.append(f"does not run environments.rollout {command}")
    if "AWS_TRAFFIC_ROLE_ARN" not in role(job):
        problems.append(f"assumes {role(job)!r}, not the traffic role")
    if re.search(r"\b(cdktf|terraform|node_modules)\b", text):
        problems.append("runs cdktf or Terraform")
    uses = [str(step.get("uses", "")) for step in job.get("steps", [])]
    if "./.github/actions/setup" in uses or "./.github/actions/rollout-tools" not in uses:
        problems.append("installs more than the rollout command needs (use ./.github/actions/rollout-tools)")
    return problems


def check_approval_watch(wfs: Workflows) -> list[str]:
    """4. While an approval-gated traffic step waits, the traffic already moved is watched by a job that needs no
    approval, which rolls back on a problem or after a stated window without approval."""
    problems = []
    jobs_ = wfs.get(RELEASE, {}).get("jobs", {})
    steps = {job_id: job for job_id, job in jobs_.items() if called(job) == "deploy-weights.yml"}
    watchers = {job_id: job for job_id, job in jobs_.items() if called(job) == "approval-watch.yml"}
    for step_id, step in steps.items():
        previous = [n for n in needs(step) if n in steps]
        if not previous:
            continue  # the first step: no traffic moved while it waits
        [before] = previous
        percent = (steps[before].get("with") or {}).get("percent")
        watching = [w for w, job in watchers.items() if before in needs(job) and
                    (job.get("with") or {}).get("percent") == percent]
        if not watching:
            problems.append(f"{step_id}: nothing watches {before}'s {percent} % while it waits for approval")
        for watcher in watching:
            given = watchers[watcher].get("with") or {}
            if not str(given.get("environment", "")).endswith("-traffic"):
                problems.append(f"{watcher}: runs in {given.get('environment')!r}, which waits for an approval")
            if given.get("approval-environment") != (step.get("with") or {}).get("environment"):
                problems.append(f"{watcher}: does not watch the approval {step_id} waits for")
            if not isinstance(given.get("window-minutes"), int) or given["window-minutes"] <= 0:
                problems.append(f"{watcher}: no stated window before an unapproved step is rolled back")
    for name, job_id, job in reachable(wfs, "approval-watch.yml"):
        problems += [f"{name}: {job_id}: {p}" for p in traffic_only(job, "rollback")]
        text = script(job)
        for needed in ("environments.rollout watch", "pending_deployments", "deadline"):
            if needed not in text:
                problems.append(f"{name}: {job_id}: lacks {needed}")
    return problems


def check_runner(wfs: Workflows) -> list[str]:
    """5. The in-VPC self-hosted runner: only in deploy jobs of deploy workflows, which run only for a push to main or
    of a v* tag (job-level if); no workflow a pull request triggers reaches it."""
    problems = []
    for name in top_level(wfs):
        hosted = [(n, j) for n, j, job in reachable(wfs, name) if self_hosted(job)]
        if not hosted:
            continue
        if triggers(wfs[name]) & PULL_REQUEST_EVENTS or triggers(wfs[name]) != {"push"}:
            problems.append(f"{name}: triggered by {sorted(triggers(wfs[name]))} and reaches the in-VPC runner "
                            f"({hosted})")
        on = wfs[name].get("on")
        push = on.get("push") if isinstance(on, dict) else None
        if not push or not (push.get("branches") == ["main"] or push.get("tags") == ["v*"]) or \
                set(push) - {"branches", "tags"}:
            problems.append(f"{name}: reaches the in-VPC runner from pushes other than to main or of v* tags")
    for name, wf in wfs.items():
        for job_id, job in wf.get("jobs", {}).items():
            if not self_hosted(job):
                continue
            if name != "deploy-workloads.yml" or not applies(job):
                problems.append(f"{name}: job {job_id} uses the in-VPC runner but is not the workloads deploy")
            if triggers(wf) != {"workflow_call"}:
                problems.append(f"{name}: the in-VPC runner's workflow must only be called, never triggered")
            condition = str(job.get("if", ""))
            for needed in ("github.event_name == 'push'", "github.ref == 'refs/heads/main'",
                           "startsWith(github.ref, 'refs/tags/v')"):
                if needed not in condition:
                    problems.append(f"{name}: job {job_id}'s if lacks {needed}")
    return problems


def check_refusal(wfs: Workflows) -> list[str]:
    """6. Exit 4 (another release unfinished) is "refused": reported as such, and the release's rollback rolls back
    only when the record's unfinished release is this one."""
    problems = []
    [step] = wfs.get("deploy-weights.yml", {}).get("jobs", {}).values() or [{}]
    text = script(step)
    if not re.search(r"^\s*4\)\s*outcome=refused", text, re.M):
        problems.append("deploy-weights.yml: exit 4 is not reported as refused")
    if not re.search(r'exit "\$status"', text):
        problems.append("deploy-weights.yml: the step's exit status is lost")
    for job in wfs.get("traffic-rollback.yml", {}).get("jobs", {}).values():
        text = script(job)
        guard = text.find('if [ "$unfinished" != "$RELEASE" ]')
        command = text.find("environments.rollout rollback")
        if guard < 0 or command < 0 or guard > command or "exit 0" not in text[guard:command]:
            problems.append("traffic-rollback.yml: rolls back without checking the unfinished release is this one")
    state = wfs.get(RELEASE, {}).get("jobs", {}).get("state", {})
    if '"$unfinished" != "$RELEASE"' not in script(state):
        problems.append(f"{RELEASE}: starts while another release is unfinished")
    return problems


def check_roles(wfs: Workflows) -> list[str]:
    """Traffic steps, watches and rollbacks assume the traffic role, never the deploy role; only applies assume the
    deploy role; nothing reads the live colour from the environment files."""
    problems = []
    for name, wf in wfs.items():
        text = json.dumps(wf)
        for stale in ("blue_weight", "green_weight", "tomllib", "environments/production.toml"):
            if stale in text:
                problems.append(f"{name}: reads {stale}: the listener, not the files, says which colour is live")
        for job_id, job in wf.get("jobs", {}).items():
            assumed = role(job)
            if re.search(r"environments\.rollout \w+", script(job)) and "AWS_TRAFFIC_ROLE_ARN" not in assumed:
                problems.append(f"{name}: {job_id} runs the rollout command with {assumed!r}")
            if "AWS_DEPLOY_ROLE_ARN" in assumed and not applies(job):
                problems.append(f"{name}: {job_id} assumes the deploy role and applies nothing")
            if applies(job) and "AWS_DEPLOY_ROLE_ARN" not in assumed:
                problems.append(f"{name}: {job_id} applies without the deploy role")
    return problems


def check_permissions(wfs: Workflows) -> list[str]:
    """7. Permissions minimal per job: none at the top, reads and id-token only, id-token only where a role is
    assumed (by the job itself or by a job of the workflow it calls)."""
    problems = []
    for name, wf in wfs.items():
        top = wf.get("permissions")
        if not (top == {} or (isinstance(top, dict) and set(top.values()) <= READ_ONLY)):
            problems.append(f"{name}: top-level permissions must be {{}} or read-only (got {top})")
        for job_id, job in wf.get("jobs", {}).items():
            permissions = job.get("permissions")
            if not isinstance(permissions, dict):
                problems.append(f"{name}: job {job_id} declares no permissions")
                continue
            writes = {k for k, v in permissions.items() if v == "write"}
            if writes - {"id-token", "pull-requests"}:
                problems.append(f"{name}: job {job_id} writes {sorted(writes - {'id-token', 'pull-requests'})}")
            assumes = any(role(j) for _, _, j in reachable({**wfs, "_": {"jobs": {job_id: job}}}, "_"))
            if ("id-token" in writes) != assumes:
                problems.append(f"{name}: job {job_id}: id-token: write {'without' if not assumes else 'missing for'} "
                                "a role")
    return problems


CHECKERS = [check_release_gate, check_concurrency, check_rollback_on_failure, check_approval_watch, check_runner,
            check_refusal, check_roles, check_permissions]


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda c: c.__name__)
def test_the_workflows_pass_the_checker(checker):
    assert checker(workflows()) == []


# --- the checkers can fail: each guard removed from a copy of the workflows ------------------------------------------

def _jobs(wfs, name):
    return wfs[name]["jobs"]


def _step(wfs, name, job, marker):
    """The step of a job whose shell contains marker."""
    return next(s for s in _jobs(wfs, name)[job]["steps"] if marker in str(s.get("run", "")))


def _replace_run(wfs, name, job, old, new):
    step = _step(wfs, name, job, old)
    step["run"] = step["run"].replace(old, new)


def _uses(wfs, name, job, action):
    """The `with` of the step of a job that uses action (a prefix: an action's name or a local path)."""
    step = next(s for s in _jobs(wfs, name)[job]["steps"] if str(s.get("uses", "")).startswith(action))
    return step.setdefault("with", {})


def _drop_need(wfs, name, job, need):
    _jobs(wfs, name)[job]["needs"] = [n for n in needs(_jobs(wfs, name)[job]) if n != need]


DEPLOY_ROLE = "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
MUTATIONS = {
    # 1. the release gate
    "guard removed": (check_release_gate, lambda w: _jobs(w, RELEASE).pop("guard")),
    "guard needs another job": (check_release_gate, lambda w: _jobs(w, RELEASE)["guard"].update(needs=["state"])),
    "a job does not need the guard": (check_release_gate, lambda w: _drop_need(w, RELEASE, "canary", "guard")),
    "no check that the tag is on main": (check_release_gate, lambda w: _replace_run(
        w, RELEASE, "guard", "git merge-base --is-ancestor", "true")),
    "no check of staging's deployment": (check_release_gate, lambda w: _replace_run(
        w, RELEASE, "guard", "deployments?environment=staging", "deployments")),
    "staging deploys outside its environment": (check_release_gate, lambda w: _jobs(w, STAGING)["deploy"].pop(
        "environment")),
    # 2. concurrency
    "release without concurrency": (check_concurrency, lambda w: w[RELEASE].pop("concurrency")),
    "release cancels in progress": (check_concurrency, lambda w: w[RELEASE]["concurrency"].update(
        {"cancel-in-progress": True})),
    "release runs replace each other": (check_concurrency, lambda w: w[RELEASE]["concurrency"].pop("queue")),
    "staging in another group": (check_concurrency, lambda w: w[STAGING]["concurrency"].update(group="deploy")),
    "rollback queued behind the release": (check_concurrency, lambda w: w["rollback.yml"]["concurrency"].update(
        group="vtc-production")),
    "rollback cancels release runs": (check_concurrency, lambda w: _jobs(w, "rollback.yml").update(stop={
        "runs-on": "ubuntu-24.04", "permissions": {}, "steps": [{"run": "gh run cancel 1"}]})),
    "a job repeats the workflow's group": (check_concurrency, lambda w: _jobs(w, "deploy-workloads.yml")[
        "workloads"].update(concurrency={"group": "vtc-production", "cancel-in-progress": False})),
    # 3. rollback on failure or cancellation, traffic only
    "no rollback on cancel": (check_rollback_on_failure, lambda w: _jobs(w, RELEASE)["rollback"].update(
        {"if": "failure() && needs.state.result == 'success' && needs.canary.result != 'skipped'"})),
    "rollback even before any traffic step": (check_rollback_on_failure, lambda w: _jobs(w, RELEASE)[
        "rollback"].update({"if": "failure() || cancelled()"})),
    "rollback does not wait for the last step": (check_rollback_on_failure, lambda w: _drop_need(
        w, RELEASE, "rollback", "full")),
    "rollback waits for an approval": (check_rollback_on_failure, lambda w: _jobs(w, RELEASE)["rollback"]["with"]
                                       .update(environment="production")),
    "rollback with the deploy role": (check_rollback_on_failure, lambda w: _uses(
        w, "traffic-rollback.yml", "rollback", "aws-actions/").update({"role-to-assume": DEPLOY_ROLE})),
    "rollback checks out the tag": (check_rollback_on_failure, lambda w: _uses(
        w, "traffic-rollback.yml", "rollback", "actions/checkout@").update(ref="${{ github.sha }}")),
    "rollback installs the whole toolchain": (check_rollback_on_failure, lambda w: next(
        s for s in _jobs(w, "traffic-rollback.yml")["rollback"]["steps"]
        if s.get("uses") == "./.github/actions/rollout-tools").update(uses="./.github/actions/setup")),
    "rollback by a full apply": (check_rollback_on_failure, lambda w: _replace_run(
        w, "traffic-rollback.yml", "rollback", "python -m environments.rollout rollback",
        "node_modules/.bin/cdktf deploy")),
    # 4. the approval wait watched
    "no watcher while 50 % waits": (check_approval_watch, lambda w: _jobs(w, RELEASE).pop("watch-canary")),
    "watcher behind an approval": (check_approval_watch, lambda w: _jobs(w, RELEASE)["watch-half"]["with"].update(
        environment="production")),
    "watcher without a window": (check_approval_watch, lambda w: _jobs(w, RELEASE)["watch-canary"]["with"].pop(
        "window-minutes")),
    "watcher never rolls back an unapproved step": (check_approval_watch, lambda w: _replace_run(
        w, "approval-watch.yml", "watch", "pending_deployments", "deployments")),
    # 5. the in-VPC runner
    "runner label in a pull-request job": (check_runner, lambda w: _jobs(w, "pull-request.yml")["tests"].update({
        "runs-on": ["self-hosted", "vtc-staging"]})),
    "pull request calls the workloads deploy": (check_runner, lambda w: _jobs(w, "pull-request.yml").update(x={
        "uses": "./.github/workflows/deploy-workloads.yml", "permissions": {}})),
    "workloads deploy on any branch": (check_runner, lambda w: w[STAGING]["on"]["push"].update(branches=["*"])),
    "no ref guard on the runner's job": (check_runner, lambda w: _jobs(w, "deploy-workloads.yml")["workloads"].pop(
        "if")),
    "runner in a traffic step": (check_runner, lambda w: _jobs(w, "deploy-weights.yml")["step"].update({
        "runs-on": ["self-hosted", "linux", "x64", "vtc-production"]})),
    # 6. refused is refused
    "exit 4 treated as a failure": (check_refusal, lambda w: _replace_run(
        w, "deploy-weights.yml", "step", "4) outcome=refused", "4) outcome=failed")),
    "rollback of someone else's release": (check_refusal, lambda w: _replace_run(
        w, "traffic-rollback.yml", "rollback", 'if [ "$unfinished" != "$RELEASE" ]', "if false")),
    "release starts beside an unfinished one": (check_refusal, lambda w: _replace_run(
        w, RELEASE, "state", '"$unfinished" != "$RELEASE"', "false")),
    # roles and the files
    "traffic step with the deploy role": (check_roles, lambda w: _uses(
        w, "deploy-weights.yml", "step", "aws-actions/").update({"role-to-assume": DEPLOY_ROLE})),
    "live colour from the files": (check_roles, lambda w: _jobs(w, RELEASE)["state"]["steps"].append(
        {"run": "python3 -c 'import tomllib' # edge.blue_weight"})),
    # 7. permissions
    "id-token where no role is assumed": (check_permissions, lambda w: _jobs(w, RELEASE)["guard"]["permissions"]
                                          .update({"id-token": "write"})),
    "a write permission": (check_permissions, lambda w: _jobs(w, RELEASE)["guard"]["permissions"].update(
        {"actions": "write"})),
    "a job without permissions": (check_permissions, lambda w: _jobs(w, RELEASE)["state"].pop("permissions")),
}


@pytest.mark.parametrize("mutation", MUTATIONS, ids=str)
def test_the_checker_complains_once_the_guard_is_removed(mutation):
    checker, mutate = MUTATIONS[mutation]
    real = workflows()
    assert checker(real) == []
    broken = copy.deepcopy(real)
    mutate(broken)
    assert broken != real, "the mutation changed nothing"
    assert checker(broken), f"{checker.__name__} does not notice: {mutation}"


def test_every_checker_has_a_mutation():
    assert {checker for checker, _ in MUTATIONS.values()} == set(CHECKERS)


# --- the rest -------------------------------------------------------------------------------------------------------

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


def test_the_release_steps_and_the_workloads_first():
    release = load(GITHUB / "workflows" / RELEASE)
    assert list(release["on"]) == ["push"] and release["on"]["push"]["tags"] == ["v*"]
    jobs_ = release["jobs"]
    steps = [(j["with"]["percent"], j["with"]["environment"], j["with"]["soak-seconds"])
             for j in jobs_.values() if called(j) == "deploy-weights.yml"]
    assert steps == [(10, "production", 600), (50, "production", 600), (100, "production", 600)]
    assert all(j["with"]["to"] == "${{ needs.state.outputs.idle }}" and
               j["with"]["release"] == "${{ needs.guard.outputs.release }}"
               for j in jobs_.values() if called(j) == "deploy-weights.yml")
    assert jobs_["workloads"]["uses"] == "./.github/workflows/deploy-workloads.yml"
    assert jobs_["workloads"]["with"] == {"stack": "production", "environment": "production",
                                          "ref": "${{ needs.guard.outputs.sha }}"}
    assert "workloads" in needs(jobs_["canary"]), "the canary waits for the idle colour's releases"
    assert load(GITHUB / "workflows" / STAGING)["jobs"]["workloads"]["needs"] == "deploy"
    weights = (GITHUB / "workflows" / "deploy-weights.yml").read_text(encoding="utf-8")
    assert 'python -m environments.rollout step "$STACK" --to "$TO" --percent "$PERCENT" --soak "$SOAK"' in weights
    assert "describe-alarms" not in weights and "modify-listener" not in weights
    [workloads] = load(GITHUB / "workflows" / "deploy-workloads.yml")["jobs"].values()
    assert workloads["runs-on"] == ["self-hosted", "linux", "x64", "vtc-${{ inputs.stack }}"]
    assert 'cdktf deploy "${STACK}-workloads" --auto-approve --ignore-missing-stack-dependencies' in script(workloads)
    labels = yaml.safe_load((GITHUB / "actionlint.yaml").read_text(encoding="utf-8"))["self-hosted-runner"]["labels"]
    assert sorted(labels) == ["vtc-production", "vtc-staging"]
    rollback = load(GITHUB / "workflows" / "rollback.yml")
    assert list(rollback["on"]) == ["workflow_dispatch"] and rollback["on"]["workflow_dispatch"] is None
    assert rollback["jobs"]["rollback"]["with"]["environment"] == "production-traffic"


def test_rollout_tools_install_only_boto3_at_the_pins():
    action = (GITHUB / "actions" / "rollout-tools" / "action.yml").read_text(encoding="utf-8")
    pinned = re.findall(r"^(boto3|botocore|jmespath|s3transfer|python-dateutil|six|urllib3)==\S+ \\$",
                        (ROOT / "requirements" / "dev.lock").read_text(encoding="utf-8"), re.M)
    assert len(pinned) == 7 and "--no-deps" in action and "--require-hashes" in action and "-ne 7" in action
    # The step's own selection, run on the lock: the seven packages, each with its hashes, nothing else.
    [script] = [s["run"] for s in load(GITHUB / "actions" / "rollout-tools" / "action.yml")["runs"]["steps"]
                if "run" in s and "lock_lines.sh" in s["run"]]
    lock, names = re.search(r"bash scripts/lock_lines\.sh (\S+) \\\s+'([^']+)'", script).groups()
    assert lock == "requirements/dev.lock"
    selected = subprocess.run(["bash", str(ROOT / "scripts" / "lock_lines.sh"), str(ROOT / lock), names],
                              capture_output=True, text=True, check=True).stdout
    assert sorted(re.findall(r"^([a-z0-9-]+)==", selected, re.M)) == sorted(pinned)
    assert selected.count("--hash=sha256:") >= 7


@pytest.mark.parametrize("status, args, expected", [
    ({"live": "blue", "idle": "green", "weights": {"blue": 100, "green": 0}, "unfinished": None}, ["idle"], "green"),
    ({"live": "blue", "idle": None, "weights": {"blue": 90, "green": 10}, "unfinished": None}, ["idle"], None),
    ({"unfinished": None}, ["unfinished"], ""),
    ({"unfinished": {"release": "v1.2.3", "percent": 10}}, ["unfinished"], "v1.2.3"),
    ({"unfinished": "v1.2.3"}, ["unfinished"], "v1.2.3"),
    ({"unfinished": {"percent": 10}}, ["unfinished"], None),
    ({"weights": {"blue": 90, "green": 10}}, ["weight", "green"], "10"),
    ({"weights": {"blue": 90}}, ["weight", "green"], None),
])
def test_release_state_reads_the_status_json(tmp_path, status, args, expected):
    path = tmp_path / "status.json"
    path.write_text(json.dumps(status), encoding="utf-8")
    result = subprocess.run([sys.executable, str(RELEASE_STATE), str(path), *args], capture_output=True, text=True,
                            timeout=60)
    if expected is None:
        assert result.returncode == 1 and result.stderr, "missing facts refuse, they are never guessed"
    else:
        assert result.returncode == 0 and result.stdout.strip() == expected, result.stderr


def test_pull_request_posts_one_comment_by_the_reports_marker():
    text = (GITHUB / "workflows" / "pull-request.yml").read_text(encoding="utf-8")
    assert f"const marker = '{MARKER}';" in text and "updateComment" in text and "createComment" in text
    assert "python -m environments.diff_report --git" in text and "bash scripts/test.sh" in text


def test_runbooks_name_existing_workflows_and_the_setup_notes_cover_what_the_repository_cannot():
    for runbook in sorted((ROOT / "docs" / "runbooks").glob("*.md")):
        text = runbook.read_text(encoding="utf-8")
        named = re.findall(r"\.github/workflows/([\w-]+\.yml)", text)
        named += re.findall(r"gh workflow run ([\w-]+\.yml)", text)
        assert all((GITHUB / "workflows" / workflow).exists() for workflow in named), (runbook.name, named)
    notes = (ROOT / "docs" / "runbooks" / "github-setup-notes.md").read_text(encoding="utf-8")
    for needed in ("runner group", "Selected workflows", "ephemeral", "--ephemeral", "tag protection", "v*",
                   "branch protection", "production-traffic", "staging-traffic", "required reviewers",
                   "AWS_TRAFFIC_ROLE_ARN", "AWS_DEPLOY_ROLE_ARN", "deploy-workloads.yml", "fork"):
        assert needed in notes, f"github-setup-notes.md does not cover {needed!r}"
