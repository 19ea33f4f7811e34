"""checkov over every synthesized stack: nothing fails that is not in tests/policy/checkov_suppressions.toml."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ENVIRONMENT_NAMES
from tests.standins import GROUP, NOTHING
from tooling import checkov


pytestmark = pytest.mark.xdist_group(GROUP)


@pytest.fixture(scope="module")
def checkov_report(scans, synth_dir) -> list[dict]:
    """checkov's own report over every synthesized stack (one run with the other stacks the tests scan:
    tests/standins.py), with only the synthesized stacks' findings."""
    return scans.checkov_of(folder.name for folder in (synth_dir / "stacks").iterdir())


@pytest.fixture(scope="module")
def report(checkov_report):
    return checkov.sort(checkov_report)


def test_checkov_scanned_every_stack_and_parsed_everything(report):
    assert report.stacks_scanned == set(ENVIRONMENT_NAMES)
    assert report.parsing_errors == []
    assert report.passed > 50


def test_no_failure_outside_the_suppression_file_and_no_stale_suppression(report):
    print(report.summary())
    assert report.problems() == []


def test_every_suppression_names_a_check_a_resource_stacks_and_a_reason():
    for entry in checkov.load_suppressions():
        assert entry.check.startswith("CKV")
        # checkov's address: resource.<id> / data.<id> for attribute checks, <type>.<id> for graph checks.
        assert re.match(r"^(resource|data|aws_[a-z0-9_]+)\.[A-Za-z0-9_-]+_[0-9A-F]{8}$", entry.resource), entry
        assert set(entry.stacks) <= set(ENVIRONMENT_NAMES) and entry.stacks
        assert len(entry.reason.split()) >= 8


def test_an_unsuppressed_failure_is_caught(checkov_report):
    # The harness must be able to fail: with no suppressions, the known findings of the same run surface as failures.
    bare = checkov.sort(checkov_report, suppressions=[])
    assert bare.failed and all(f.stack in ENVIRONMENT_NAMES for f in bare.failed)
    assert any("failed check not in" in p for p in bare.problems())


def test_a_scan_of_nothing_is_a_failure(scans):
    # A stack checkov cannot parse, in the same checkov run as every other (tests/standins.py): it reports no check
    # for it and still exits 0. On its own, that scan is a failure, not a pass.
    report = checkov.sort(scans.checkov_of([NOTHING]), suppressions=[])
    assert report.passed == 0 and not report.failed
    assert {Path(p).parent.name for p in report.parsing_errors} == {NOTHING}  # (it was scanned: the parse failed)
    assert "checkov ran no check at all" in " ".join(report.problems())


#: What checkov 3.3.30 printed for a folder holding only such a stack (run on its own: one report, not a list).
EMPTY_RUN = """{
    "check_type": "terraform_json",
    "results": {"passed_checks": [], "failed_checks": [], "skipped_checks": [],
                "parsing_errors": ["/out/stacks/empty/cdk.tf.json"]},
    "summary": {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 1, "resource_count": 0,
                "checkov_version": "3.3.30"}
}
"""


def test_checkov_s_own_output_for_a_scan_of_nothing_is_read_as_a_failure(monkeypatch, tmp_path):
    # The shape checkov prints when it parses nothing (above), through the harness's reading of its output.
    import subprocess

    monkeypatch.setattr(checkov.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(
        a[0], 0, stdout=EMPTY_RUN, stderr=""))
    report = checkov.scan(tmp_path, suppressions=[])
    assert report.parsing_errors == ["/out/stacks/empty/cdk.tf.json"]
    assert "checkov ran no check at all" in " ".join(report.problems())


# --- the stale-suppression rule, decided on a crafted checkov report (issue 16) --------------------------------------

def _fake_checkov(monkeypatch, failed: list[tuple[str, str, str]], passed_in: str = "staging"):
    """Make ``checkov.scan`` read a crafted report instead of running checkov: one passed check in ``passed_in`` and
    the given ``(check, stack, resource)`` failures."""
    import json
    import subprocess

    def check(check_id, stack, resource):
        return {"check_id": check_id, "check_name": f"name of {check_id}", "resource": resource,
                "file_abs_path": f"/out/stacks/{stack}/cdk.tf.json"}

    report = {"check_type": "terraform_json", "results": {
        "passed_checks": [check("CKV_AWS_0", passed_in, "resource.ok_00000000")],
        "failed_checks": [check(*f) for f in failed], "parsing_errors": []}}
    monkeypatch.setattr(checkov.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(
        a[0], 1, stdout=json.dumps([report]), stderr=""))


REASON = "a reason long enough to be reviewed by a person who reads it"


def test_a_suppression_that_matches_no_finding_fails_the_check(monkeypatch, tmp_path):
    used = checkov.Suppression("CKV_AWS_1", "resource.a_11111111", ("staging",), REASON)
    stale = checkov.Suppression("CKV_AWS_2", "resource.b_22222222", ("staging",), REASON)
    _fake_checkov(monkeypatch, [("CKV_AWS_1", "staging", "resource.a_11111111")])
    report = checkov.scan(tmp_path, suppressions=[used, stale])
    assert report.failed == [] and report.unused == [stale]
    assert report.problems() == ["suppression matches nothing (remove it): CKV_AWS_2 resource.b_22222222 "
                                 "['staging']"]


def test_a_suppression_for_another_stack_or_resource_is_stale_and_the_finding_fails(monkeypatch, tmp_path):
    other_stack = checkov.Suppression("CKV_AWS_1", "resource.a_11111111", ("production",), REASON)
    other_resource = checkov.Suppression("CKV_AWS_1", "resource.z_99999999", ("staging",), REASON)
    _fake_checkov(monkeypatch, [("CKV_AWS_1", "staging", "resource.a_11111111")])
    report = checkov.scan(tmp_path, suppressions=[other_stack, other_resource])
    assert report.unused == [other_stack, other_resource]
    assert report.problems() == [
        "failed check not in checkov_suppressions.toml: CKV_AWS_1 staging:resource.a_11111111 (name of CKV_AWS_1)",
        "suppression matches nothing (remove it): CKV_AWS_1 resource.a_11111111 ['production']",
        "suppression matches nothing (remove it): CKV_AWS_1 resource.z_99999999 ['staging']"]


def test_every_suppression_in_use_and_every_finding_suppressed_is_clean(monkeypatch, tmp_path):
    entry = checkov.Suppression("CKV_AWS_1", "resource.a_11111111", ("staging", "production"), REASON)
    _fake_checkov(monkeypatch, [("CKV_AWS_1", "staging", "resource.a_11111111"),
                                ("CKV_AWS_1", "production", "resource.a_11111111")])
    report = checkov.scan(tmp_path, suppressions=[entry])
    assert report.problems() == [] and report.unused == [] and len(report.suppressed) == 2
