"""Real Terraform on every synthesized stack: offline init from the provider mirror, then validate. The stacks and a
broken one are validated in one Terraform run, each as a child module (tooling/terraform.py ``validate_together``: the
AWS provider's schema is read once instead of three times, about 6 CPU-seconds less)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ENVIRONMENT_NAMES
from tests.standins import BROKEN, GROUP

pytestmark = pytest.mark.xdist_group(GROUP)


@pytest.fixture(scope="module")
def report(scans) -> dict:
    """``terraform validate -json`` of every environment's AWS stack and of a broken stack of one resource: the stack's
    own provider requirement and a resource with an argument that does not exist (with the other stacks the tests
    validate, in the same run: tests/standins.py)."""
    return scans.validate


def _diagnostics(report: dict, folder: str, severity: str) -> list[dict]:
    return [d for d in report["diagnostics"] if d["severity"] == severity
            and d.get("range", {}).get("filename", "").startswith(f"{folder}/")]


@pytest.mark.parametrize("name", ENVIRONMENT_NAMES)
def test_terraform_validate(name, report):
    assert _diagnostics(report, name, "error") == []
    # Read and checked as a module: its backend block is the one thing Terraform leaves to roots, and says so.
    assert [d["summary"] for d in _diagnostics(report, name, "warning")] == ["Backend configuration ignored"]


def test_validate_catches_a_broken_stack(report):
    # What makes validate fail is the broken resource, and nothing else: every error is in the broken stack.
    assert report["valid"] is False
    errors = [d for d in report["diagnostics"] if d["severity"] == "error"]
    assert errors and errors == _diagnostics(report, BROKEN, "error")
    assert any("no_such_argument" in json.dumps(error) for error in errors), errors


# --- blue/green weights: the listener owns them -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ENVIRONMENT_NAMES)
def test_no_deploy_moves_traffic_the_listener_owns_its_weights(stacks, name):
    # Terraform creates the HTTPS listener with the environment file's weights and ignores its default action after
    # that: the release tooling changes the weights on the listener itself (environments/rollout.py), and a deploy
    # neither moves them back nor needs them (tests/test_deploy.py: after a rollout, the re-plan is empty). A
    # replaced target group still gets a listener: the listener is replaced with it (replace_triggered_by; terraform
    # validate above checks the references). No weight variable is left for a deploy to set.
    stack = stacks[name]
    (listener,) = [config for config in stack["resource"]["aws_lb_listener"].values() if config["port"] == 443]
    assert listener["lifecycle"]["ignore_changes"] == ["default_action"]
    groups = {f"aws_lb_target_group.{logical}.name" for logical in stack["resource"]["aws_lb_target_group"]}
    assert set(listener["lifecycle"]["replace_triggered_by"]) == groups and len(groups) == 2
    assert not any("weight" in variable for variable in stack.get("variable", {}))
    assert "var.blue_weight" not in json.dumps(stack) and "var.green_weight" not in json.dumps(stack)
