"""checkov over every synthesized stack: nothing fails that is not in tests/policy/checkov_suppressions.toml."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ENVIRONMENT_NAMES
from tooling import checkov


@pytest.fixture(scope="module")
def report(synth_dir):
    return checkov.scan(synth_dir / "stacks")


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


def test_an_unsuppressed_failure_is_caught(synth_dir):
    # The harness must be able to fail: with no suppressions, the known findings surface as failures.
    bare = checkov.scan(synth_dir / "stacks", suppressions=[])
    assert bare.failed and all(f.stack in ENVIRONMENT_NAMES for f in bare.failed)
    assert any("failed check not in" in p for p in bare.problems())


def test_a_scan_of_nothing_is_a_failure(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "cdk.tf.json").write_text('{"terraform": {"required_version": ">= 1.0"}}')
    assert "checkov ran no check at all" in " ".join(checkov.scan(tmp_path, suppressions=[]).problems())
