"""How tests/conftest.py orders and groups the collected tests for ``pytest -n N --dist loadgroup`` (scripts/test.sh):
the deploy's tests first and together, a module's tests together when they share a module-scoped fixture, the groups
before the tests scheduled on their own."""

from __future__ import annotations

import pytest

from tests.conftest import DEPLOY_GROUP, pytest_collection_modifyitems


class Item:
    """What the hook reads of a collected test."""

    def __init__(self, nodeid: str, *, markers: dict[str, tuple] | None = None, fixtures: dict[str, str] | None = None):
        self.nodeid = nodeid
        self._markers = {name: getattr(pytest.mark, name)(*args).mark for name, args in (markers or {}).items()}
        self.fixturenames = list(fixtures or {})
        defs = {name: [type("Def", (), {"scope": scope})()] for name, scope in (fixtures or {}).items()}
        self._fixtureinfo = type("Info", (), {"names_closure": list(defs), "name2fixturedefs": defs})()

    def get_closest_marker(self, name: str):
        return self._markers.get(name)

    def add_marker(self, mark) -> None:
        mark = getattr(mark, "mark", mark)
        self._markers[mark.name] = mark

    def group(self) -> str | None:
        marker = self.get_closest_marker("xdist_group")
        return marker.args[0] if marker else None


def test_groups_go_out_before_the_tests_scheduled_on_their_own_and_the_deploy_before_everything():
    items = [
        Item("tests/test_a.py::test_alone"),
        Item("tests/test_b.py::test_with_a_module_fixture", fixtures={"scan": "module"}),
        Item("tests/test_c.py::test_alone_too", fixtures={"tmp_path": "function"}),
        Item("tests/test_d.py::test_in_a_named_group", markers={"xdist_group": ("scans",)}),
        Item("tests/test_e.py::test_deployed", fixtures={"deployed": "session"}),
        Item("tests/test_b.py::test_with_it_again", fixtures={"scan": "module"}),
    ]
    pytest_collection_modifyitems(None, items)
    assert [(item.nodeid.split("::")[1], item.group()) for item in items] == [
        ("test_deployed", DEPLOY_GROUP),
        ("test_with_a_module_fixture", "tests/test_b.py"),
        ("test_in_a_named_group", "scans"),
        ("test_with_it_again", "tests/test_b.py"),
        ("test_alone", None),
        ("test_alone_too", None),
    ]
    assert items[0].get_closest_marker("deploy")  # marked, so that `-m deploy` / `-m "not deploy"` split the runs
