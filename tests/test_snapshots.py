"""One golden file per environment stack under snapshots/: every infrastructure change is reviewed as a diff.

Accept an intended change with ``pytest tests/test_snapshots.py --snapshot-update`` and read the diff of snapshots/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from tests.conftest import ENVIRONMENT_NAMES
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


@pytest.mark.parametrize("name", ENVIRONMENT_NAMES)
def test_stack_matches_its_snapshot(name, stacks, snapshot_json):
    assert stacks[name] == snapshot_json(name=name)


def test_every_stack_has_a_snapshot_and_no_snapshot_is_orphaned():
    assert sorted(p.stem for p in Path(REPO / "snapshots").glob("*.json")) == sorted(ENVIRONMENT_NAMES)
    assert sorted(p.stem for p in Path(REPO / "snapshots" / "alarms").glob("*.json")) == sorted(ENVIRONMENT_NAMES)
