"""One golden file per stack under snapshots/ (each environment's AWS stack and its workloads stack): every
infrastructure change is reviewed as a diff.

A Helm release's ``values`` are one JSON document in a string (what Terraform gets); in the golden file they are
shown parsed, one value per line, so that a change of one value is a one-line diff. The test checks that parsing
and writing them back gives exactly the synthesized string, so nothing is lost.

Accept an intended change with ``pytest tests/test_snapshots.py --snapshot-update`` and read the diff of snapshots/.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from environments.diff_report import with_release_values_parsed
from tests.conftest import ENVIRONMENT_NAMES, WORKLOADS_STACK_NAMES
from tooling.paths import REPO


class StackSnapshot(JSONSnapshotExtension):
    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(REPO / "snapshots")

    @classmethod
    def get_snapshot_name(cls, *, test_location, index=0) -> str:
        return str(index)


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(StackSnapshot)


def readable(stack: dict) -> dict:
    """``stack`` with every Helm release's ``values`` strings parsed (the diff report reads them alike), checked to
    round-trip exactly: the constructs write them as JSON with two-space indents and sorted keys."""
    shown = with_release_values_parsed(stack)
    for name, release in stack.get("resource", {}).get("helm_release", {}).items():
        parsed = shown["resource"]["helm_release"][name]["values"]
        assert [json.dumps(p, indent=2, sort_keys=True) for p in parsed] == release.get("values", []), \
            f"{name}: its values are not the JSON the constructs write (indent 2, sorted keys)"
    return shown


@pytest.mark.parametrize("name", ENVIRONMENT_NAMES + WORKLOADS_STACK_NAMES)
def test_stack_matches_its_snapshot(name, synth_dir, snapshot_json):
    stack = json.loads((synth_dir / "stacks" / name / "cdk.tf.json").read_text())
    assert readable(stack) == snapshot_json(name=name)


def test_every_stack_has_a_snapshot_and_no_snapshot_is_orphaned():
    assert sorted(p.stem for p in Path(REPO / "snapshots").glob("*.json")) == \
        sorted(ENVIRONMENT_NAMES + WORKLOADS_STACK_NAMES)
    assert sorted(p.stem for p in Path(REPO / "snapshots" / "alarms").glob("*.json")) == sorted(ENVIRONMENT_NAMES)
