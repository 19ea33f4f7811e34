"""The image-build workflow (.github/workflows/image-build.yml, issue 25 item 1), read as data: the image is scanned
before it is pushed, it is signed and its SBOM attested, the pull request carries the digests (read back from ECR and
verified); the Trivy ignore file's rules (a reason and an expiry on every entry, none expired); and
scripts/set_image.py, which the pull request runs. actionlint, checkov and the pins: tests/test_workflows.py."""

from __future__ import annotations

import copy
import shutil
import re
import subprocess
import sys
import tomllib
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from tests.test_workflows import load
from vtc_constructs import workloads

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "image-build.yml"
IGNORE_FILE = ROOT / ".trivyignore.yaml"
SCRIPT = ROOT / "scripts" / "set_image.py"
#: How far ahead an ignore entry may expire: a year, then it is looked at again.
MAX_IGNORE_DAYS = 366

sys.path.insert(0, str(SCRIPT.parent))
import set_image  # noqa: E402


def _index(steps: list[dict], marker: str) -> int:
    found = [i for i, step in enumerate(steps) if marker in str(step.get("uses", "")) + str(step.get("run", ""))]
    assert found, f"no step with {marker!r}"
    return found[0]


def check_build(workflow: dict) -> list[str]:
    """The guards of the build job: built without pushing, scanned (HIGH/CRITICAL fail) before the push, pushed under
    the tag, signed and attested by digest; for every service."""
    problems = []
    job = workflow["jobs"].get("build", {})
    steps = job.get("steps", [])
    if job.get("strategy", {}).get("matrix", {}).get("service") != list(workloads.SERVICES):
        problems.append("the build does not cover exactly the four services")
    build = next((s for s in steps if "docker/build-push-action" in str(s.get("uses"))), None)
    if build is None or build["with"].get("push") is not False or build["with"].get("load") is not True:
        problems.append("the build must load the image, not push it (the push comes after the scan)")
    scan = next((s for s in steps if "aquasecurity/trivy-action" in str(s.get("uses"))), None)
    if scan is None:
        return problems + ["no Trivy scan"]
    if scan["with"].get("severity") != "HIGH,CRITICAL" or scan["with"].get("exit-code") != "1" \
            or scan.get("continue-on-error") or scan["with"].get("trivyignores") != ".vtc-infra/.trivyignore.yaml":
        problems.append("the scan must fail on HIGH and CRITICAL, with this repository's ignore list only")
    push = _index(steps, "docker push")
    if steps.index(scan) > push or (build is not None and steps.index(build) > steps.index(scan)):
        problems.append("the image must be scanned after the build and before the push")
    if any("docker push" in str(s.get("run", "")) or "push: true" in str(s) for s in steps[:steps.index(scan)]):
        problems.append("something pushes before the scan")
    sign = steps[_index(steps, "cosign sign")]["run"]
    if '"$IMAGE@$DIGEST"' not in sign or "cosign attest" not in sign or "--type cyclonedx" not in sign:
        return problems + ["the image must be signed and its CycloneDX SBOM attested, by digest"]
    if _index(steps, "cosign sign") < push or _index(steps, "--format cyclonedx") > _index(steps, "cosign attest"):
        problems.append("signing comes after the push, the SBOM before its attestation")
    return problems


def check_pull_request(workflow: dict) -> list[str]:
    """The pull request: after every build, the digests read from ECR and each signature verified, then
    scripts/set_image.py with the tag and the four digests."""
    problems = []
    job = workflow["jobs"].get("pull-request", {})
    steps = job.get("steps", [])
    if "build" not in ([job.get("needs")] if isinstance(job.get("needs"), str) else job.get("needs", [])):
        problems.append("the pull request must wait for every build")
    digests = steps[_index(steps, "describe-images")]["run"] if steps else ""
    if "cosign verify" not in digests or "--certificate-identity-regexp" not in digests:
        problems.append("each digest's signature must be verified before the pull request")
    if '"--digest" "$service=$digest"' not in digests:
        problems.append("the digests read back are not what the pull request gets")
    opened = steps[_index(steps, "scripts/set_image.py")]["run"] if steps else ""
    if '--tag "$TAG" "${digests[@]}"' not in opened or "gh pr create" not in opened:
        problems.append("the pull request must set the tag and the digests")
    if steps and _index(steps, "describe-images") > _index(steps, "scripts/set_image.py"):
        problems.append("the digests must be read and verified first")
    return problems


def test_the_workflow_is_reusable_only_and_its_jobs_pass_the_guards():
    workflow = load(WORKFLOW)
    assert set(workflow["on"]) == {"workflow_call"}
    assert {"environment", "colour", "tag", "context"} <= set(workflow["on"]["workflow_call"]["inputs"])
    assert check_build(workflow) == [] and check_pull_request(workflow) == []
    # the role's jobs run in the environment whose variable names the role; no job writes anything with GITHUB_TOKEN
    for job in workflow["jobs"].values():
        assert job["environment"] == "${{ inputs.environment }}"
        assert {k for k, v in job["permissions"].items() if v == "write"} == {"id-token"}
    # no input reaches a shell unquoted through an expression (script injection): only through env
    assert not [s["run"] for j in workflow["jobs"].values() for s in j["steps"] if "${{" in str(s.get("run", ""))]


@pytest.mark.parametrize("mutation, complaint", [
    (lambda w: w["jobs"]["build"]["steps"].remove(next(s for s in w["jobs"]["build"]["steps"]
                                                       if "trivy-action" in str(s.get("uses")))), "no Trivy scan"),
    (lambda w: w["jobs"]["build"]["steps"][_index(w["jobs"]["build"]["steps"], "trivy-action")]["with"].update(
        severity="CRITICAL"), "fail on HIGH and CRITICAL"),
    (lambda w: w["jobs"]["build"]["steps"].append(w["jobs"]["build"]["steps"].pop(
        _index(w["jobs"]["build"]["steps"], "trivy-action"))), "before the push"),
    (lambda w: w["jobs"]["build"]["steps"][_index(w["jobs"]["build"]["steps"], "build-push-action")]["with"].update(
        push=True), "not push it"),
    (lambda w: w["jobs"]["build"]["steps"][_index(w["jobs"]["build"]["steps"], "cosign sign")].update(
        run="cosign sign --yes \"$IMAGE:$TAG\""), "signed and its CycloneDX SBOM attested"),
    (lambda w: w["jobs"]["pull-request"]["steps"][_index(w["jobs"]["pull-request"]["steps"], "describe-images")]
     .update(run="aws ecr describe-images"), "verified before the pull request"),
    (lambda w: w["jobs"]["pull-request"].pop("needs"), "wait for every build"),
])
def test_each_guard_complains_once_removed(mutation, complaint):
    workflow = copy.deepcopy(load(WORKFLOW))
    mutation(workflow)
    assert any(complaint in p for p in check_build(workflow) + check_pull_request(workflow))


# --- the Trivy ignore file ----------------------------------------------------------------------------------------------

def ignore_problems(data: object, today: date) -> list[str]:
    """Every entry of a ``.trivyignore.yaml`` needs an ``id``, a ``statement`` (the reason, a sentence) and an
    ``expired_at`` date after ``today`` and at most a year ahead."""
    if not isinstance(data, dict):
        return ["the file is not a table of finding kinds"]
    problems = []
    for kind in set(data) - {"vulnerabilities", "misconfigurations", "secrets", "licenses"}:
        problems.append(f"{kind}: not a kind of finding Trivy ignores")
    for kind, entries in data.items():
        for i, entry in enumerate(entries or []):
            name = entry.get("id") if isinstance(entry, dict) else repr(entry)
            where = f"{kind}[{i}] ({name})"
            if not isinstance(entry, dict) or not entry.get("id"):
                problems.append(f"{where}: no id")
                continue
            if len(str(entry.get("statement", "")).split()) < 6:
                problems.append(f"{where}: no reason (statement: why it does not apply, or why it cannot be fixed "
                                "yet, in a sentence)")
            expiry = entry.get("expired_at")
            if not isinstance(expiry, date):
                problems.append(f"{where}: no expiry (expired_at: YYYY-MM-DD)")
            elif expiry <= today:
                problems.append(f"{where}: expired on {expiry}: fix the finding, or review the reason and renew it")
            elif expiry > today + timedelta(days=MAX_IGNORE_DAYS):
                problems.append(f"{where}: expires {expiry}, more than a year ahead: at most {MAX_IGNORE_DAYS} days")
    return problems


def test_the_ignore_file_holds_only_reasoned_unexpired_entries():
    assert ignore_problems(yaml.safe_load(IGNORE_FILE.read_text(encoding="utf-8")), date.today()) == []


def test_an_entry_without_a_reason_or_an_expiry_or_past_it_is_refused():
    today = date(2026, 12, 6)
    data = yaml.safe_load("""
vulnerabilities:
  - id: CVE-2026-0001
    statement: Only reachable through the XML parser, which the services never call.
    expired_at: 2027-03-01
  - id: CVE-2026-0002
    expired_at: 2027-03-01
  - id: CVE-2026-0003
    statement: Only reachable through the XML parser, which the services never call.
  - id: CVE-2026-0004
    statement: Only reachable through the XML parser, which the services never call.
    expired_at: 2026-12-01
""")
    assert ignore_problems(data, today) == [
        "vulnerabilities[1] (CVE-2026-0002): no reason (statement: why it does not apply, or why it cannot be fixed "
        "yet, in a sentence)",
        "vulnerabilities[2] (CVE-2026-0003): no expiry (expired_at: YYYY-MM-DD)",
        "vulnerabilities[3] (CVE-2026-0004): expired on 2026-12-01: fix the finding, or review the reason and renew it"]


# --- scripts/set_image.py --------------------------------------------------------------------------------------------------

DIGESTS = {service: f"sha256:{str(n) * 64}" for n, service in enumerate(workloads.SERVICES, start=5)}


def test_the_script_agrees_with_the_library():
    assert set_image.SERVICES == workloads.SERVICES
    assert (set_image.TAG.pattern, set_image.DIGEST.pattern) == (workloads._TAG.pattern, workloads._DIGEST.pattern)


def test_the_script_sets_the_idle_colours_tag_and_digests_and_nothing_else(tmp_path):
    shutil.copytree(ROOT / "environments", tmp_path / "environments", ignore=shutil.ignore_patterns("*.py", "__*"))
    folder = tmp_path / "environments"
    before = {name: tomllib.loads((folder / f"{name}.toml").read_text()) for name in ("staging", "production")}
    arguments = [f"--digest={s}={d}" for s, d in DIGESTS.items()]
    result = subprocess.run([sys.executable, str(SCRIPT), "--environments-dir", str(folder), "--environment",
                             "staging", "--colour", "green", "--tag", "1.4.2", *arguments],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    after = tomllib.loads((folder / "staging.toml").read_text())
    assert after["workloads"]["image_tags"] == {"blue": "1.0.0", "green": "1.4.2"}
    assert after["workloads"]["image_digests"] == {"green": DIGESTS}
    expected = copy.deepcopy(before["staging"])
    expected["workloads"]["image_tags"]["green"] = "1.4.2"
    expected["workloads"]["image_digests"] = {"green": DIGESTS}
    assert after == expected
    # production's tables exist already: replaced in place, comments kept
    text = set_image.set_image(folder / "production.toml", "blue", "2.0.0", DIGESTS)
    assert tomllib.loads(text)["workloads"]["image_digests"] == {"blue": DIGESTS,
                                                                  "green": before["production"]["workloads"][
                                                                      "image_digests"]["green"]}
    assert text.count("[workloads.image_digests.blue]") == 1 and "# The build each colour runs" in text


def test_the_script_refuses_every_problem_at_once(tmp_path):
    problems, _ = set_image.problems_of("prod", "red", "latest", ["x=1", "core=sha256:abc"], ROOT / "environments")
    assert [p.split(":")[0] for p in problems] == ["--environment", "--colour", "--tag", "--digest", "--digest",
                                                   "--digest"]
    assert problems[-1].startswith("--digest: no digest for business, swarm, development")
    assert set_image.main(["--environment", "staging", "--colour", "green", "--tag", "1.4.2"]) == 2


def test_the_workloads_deploy_verifies_every_pinned_images_signature_before_it_applies():
    from environments.images import pinned_images
    from tests.test_workflows import GITHUB, load

    steps = load(GITHUB / "workflows" / "deploy-workloads.yml")["jobs"]["workloads"]["steps"]
    names = [s.get("name") or s.get("uses", "").split("@")[0] for s in steps]
    verify, deploy = names.index("verify the images' signatures"), names.index("cdktf deploy ${{ inputs.stack }}-workloads")
    assert names.index("sigstore/cosign-installer") < verify < deploy
    step = steps[verify]
    assert step["env"]["SIGNER"].endswith(r"/\.github/workflows/image-build\.yml@")
    assert 'python -m environments.images "$STACK"' in step["run"]
    assert "--certificate-oidc-issuer https://token.actions.githubusercontent.com" in step["run"]
    # What it verifies: production's every image by digest (both colours, each image once); staging runs by tag.
    production = pinned_images("production")
    assert len(production) == 4 and all(re.fullmatch(r"\S+/vtc/[a-z]+@sha256:[0-9a-f]{64}", i) for i in production)
    assert pinned_images("staging") == []


def test_the_images_command_refuses_a_usage_error_with_exit_1_and_its_help_gives_the_exit_statuses(capsys):
    from environments.images import main

    assert main(["--help"]) == 0
    assert "Exit status: 0 printed" in " ".join(capsys.readouterr().out.split())
    assert main([]) == 1 and "required: environment" in capsys.readouterr().err
    assert main(["nowhere"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "unknown environment (got 'nowhere')" in captured.err
