"""The seed's scanning stage (issue 25 item 3) as the workflows run it, read from the files: the dependency audit
over every lock, SonarQube only where it is configured, the OWASP ZAP baseline after each staging deploy with its
rules file, and Dependabot for the three ecosystems. actionlint and checkov check the same files in
tests/test_workflows.py."""

from __future__ import annotations

import re
import subprocess

import yaml

from tests.test_workflows import GITHUB, load
from tooling.paths import REPO

SCANS = GITHUB / "workflows" / "security-scans.yml"
STAGING = GITHUB / "workflows" / "deploy-staging.yml"


def steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def test_the_dependency_audit_covers_every_lock_with_a_hash_checked_tool():
    workflow = load(SCANS)
    assert {"pull_request", "schedule"} <= set(workflow["on"])
    runs = "\n".join(s.get("run", "") for s in steps(workflow, "dependency-audit"))
    assert re.search(r"--require-hashes \\\s+-r requirements/audit\.lock", runs)
    audited = re.search(r"for lock in ([^;]+); do", runs)[1].split()
    assert sorted(audited) == sorted(f"requirements/{p.name}" for p in (REPO / "requirements").glob("*.lock"))
    assert '--strict --require-hashes --disable-pip' in runs and '-r "$lock"' in runs
    assert "npm audit --package-lock-only --audit-level=high" in runs
    assert workflow["jobs"]["dependency-audit"]["permissions"] == {"contents": "read"}


def test_sonarqube_runs_only_where_its_token_and_host_are_configured():
    workflow = load(SCANS)
    job = steps(workflow, "sonarqube")
    [check] = [s for s in job if s.get("id") == "configured"]
    assert set(check["env"]) == {"SONAR_TOKEN", "SONAR_HOST_URL"}
    # Every later step waits for the check: nothing is checked out or scanned without a token.
    assert all(s.get("if") == "steps.configured.outputs.run == 'true'" for s in job[1:])
    properties = dict(line.split("=", 1) for line in (REPO / "sonar-project.properties").read_text().splitlines()
                      if line and not line.startswith("#"))
    assert properties["sonar.projectKey"] and properties["sonar.python.version"] == "3.11"
    assert all((REPO / source).exists() for source in properties["sonar.sources"].split(","))


def test_zap_scans_staging_after_its_deploy_with_a_pinned_image_and_the_rules_file():
    workflow = load(STAGING)
    job = workflow["jobs"]["zap-baseline"]
    assert job["needs"] == "workloads" and workflow["jobs"]["workloads"]["needs"] == "deploy"
    [zap] = [s for s in job["steps"] if s.get("uses", "").startswith("zaproxy/action-baseline@")]
    options = zap["with"]
    assert re.fullmatch(r"ghcr\.io/zaproxy/zaproxy:\d+\.\d+\.\d+", options["docker_name"]), "pinned, not :stable"
    assert options["fail_action"] is True and options["cmd_options"] == "-I"
    assert (REPO / options["rules_file_name"]).is_file() and options["allow_issue_writing"] is False
    # The target is what the endpoint step derives from the environment file: run that step's own sed.
    [endpoint] = [s for s in job["steps"] if s.get("id") == "endpoint"]
    sed = re.search(r"sed -n '([^']+)' environments/staging\.toml", endpoint["run"])[1]
    name = subprocess.run(["sed", "-n", sed, str(REPO / "environments" / "staging.toml")], capture_output=True,
                          text=True, check=True).stdout.strip()
    from environments.model import load_environments

    [staging] = load_environments(["staging"])
    assert name == staging.edge.certificate.domain_name


def test_every_zap_rule_has_an_action_and_a_reason_and_some_fail():
    rules = [line.split("\t") for line in (REPO / ".zap" / "rules.tsv").read_text().splitlines()
             if line and not line.startswith("#")]
    assert rules
    for rule in rules:
        assert len(rule) == 3 and re.fullmatch(r"\d{5}", rule[0]) and rule[1] in {"FAIL", "WARN", "IGNORE"}, rule
        assert len(rule[2].split()) >= 8, f"{rule[0]}: give the reason"
    assert len({r[0] for r in rules}) == len(rules)
    assert sum(1 for r in rules if r[1] == "FAIL") >= 5


def test_dependabot_watches_actions_pip_and_npm():
    config = yaml.safe_load((GITHUB / "dependabot.yml").read_text())
    assert config["version"] == 2
    ecosystems = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(ecosystems) == {"github-actions", "pip", "npm"}
    assert "/.github/actions/*" in ecosystems["github-actions"]["directories"]
    assert ecosystems["pip"]["directory"] == "/requirements"
    assert all(u["schedule"]["interval"] == "weekly" for u in config["updates"])
