"""Real Terraform on every synthesized stack: offline init from the provider mirror, then validate."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ENVIRONMENT_NAMES
from tooling import terraform


@pytest.mark.parametrize("name", ENVIRONMENT_NAMES)
def test_terraform_validate(name, synth_dir, tmp_path):
    workdir = terraform.copy_stack(synth_dir / "stacks" / name, tmp_path / name)
    report = terraform.validate(workdir)
    assert report["valid"] is True
    assert report["error_count"] == 0


def test_validate_catches_a_broken_stack(stacks, tmp_path):
    # The stack's own provider requirement and one broken resource: what makes validate fail is the resource, and a
    # stack of one validates in a third of the time of the whole one (the two validations above cover the whole).
    workdir = tmp_path / "broken"
    workdir.mkdir()
    (workdir / "broken.tf.json").write_text(json.dumps({
        "terraform": {"required_providers": stacks["staging"]["terraform"]["required_providers"]},
        "resource": {"aws_vpc": {"extra": {"cidr_block": "10.0.0.0/16", "no_such_argument": True}}}}))
    with pytest.raises(terraform.TerraformError, match="no_such_argument"):
        terraform.validate(workdir)


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
