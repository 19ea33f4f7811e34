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


def test_validate_catches_a_broken_stack(synth_dir, tmp_path):
    workdir = terraform.copy_stack(synth_dir / "stacks" / "staging", tmp_path / "broken")
    (workdir / "broken.tf.json").write_text(json.dumps(
        {"resource": {"aws_vpc": {"extra": {"cidr_block": "10.0.0.0/16", "no_such_argument": True}}}}))
    with pytest.raises(terraform.TerraformError, match="no_such_argument"):
        terraform.validate(workdir)


# --- blue/green weights: Terraform refuses bad ones before it plans --------------------------------------------------

BAD_WEIGHTS = [
    (0, 0, "green_weight and blue_weight cannot both be 0"),
    (100, 101, "green_weight must be a whole number from 0 to 100"),
    (-1, 100, "blue_weight must be a whole number from 0 to 100"),
    (50, 12.5, "green_weight must be a whole number from 0 to 100"),
]
GOOD_WEIGHTS = [(100, 0), (90, 10), (0, 100)]


@pytest.fixture(scope="module")
def weight_verdicts(stacks, tmp_path_factory) -> dict[tuple, tuple[str, str]]:
    """Every case of weights checked by ONE `terraform test` call: the staging stack's own ``variable`` blocks
    (validation rules included, copied from the synthesized JSON), one test file per case (a failing run would skip
    the runs after it in the same file), each a plan with the case's values. ``{(blue, green): (status, details)}``."""
    workdir = tmp_path_factory.mktemp("weights")
    (workdir / "variables.tf.json").write_text(json.dumps({
        "variable": stacks["staging"]["variable"],
        # Every variable in use, as in the stack (the listener reads both): Terraform checks a rule that refers to
        # another variable only for a variable something depends on.
        "output": {"weights": {"value": "${[var.blue_weight, var.green_weight]}"}},
    }))
    cases = [(blue, green) for blue, green, _ in BAD_WEIGHTS] + GOOD_WEIGHTS
    (workdir / "tests").mkdir()
    for i, (blue, green) in enumerate(cases):
        (workdir / "tests" / f"case_{i}.tftest.hcl").write_text(
            f'run "weights" {{\n  command = plan\n  variables {{\n    blue_weight  = {blue}\n'
            f'    green_weight = {green}\n  }}\n}}\n')
    result = terraform.run(["test", "-json"], workdir, ok=(0, 1))
    verdicts: dict[str, list] = {}
    for line in result.stdout.splitlines():
        event = json.loads(line)
        case = event.get("@testfile", "").removeprefix("tests/").removesuffix(".tftest.hcl")
        if event.get("type") == "diagnostic" and case:
            verdicts.setdefault(case, ["", ""])[1] += " " + " ".join(event["diagnostic"].get("detail", "").split())
        if event.get("type") == "test_file" and event["test_file"].get("progress") == "complete":
            verdicts.setdefault(case, ["", ""])[0] = event["test_file"]["status"]
    return {pair: tuple(verdicts.get(f"case_{i}", ("missing", ""))) for i, pair in enumerate(cases)}


@pytest.mark.parametrize("blue, green, message", BAD_WEIGHTS)
def test_terraform_refuses_bad_weights_before_planning(weight_verdicts, blue, green, message):
    status, details = weight_verdicts[(blue, green)]
    assert status == "error" and message in details, (status, details)


@pytest.mark.parametrize("blue, green", GOOD_WEIGHTS)
def test_the_same_checks_accept_every_rollout_step(weight_verdicts, blue, green):
    assert weight_verdicts[(blue, green)] == ("pass", "")


@pytest.mark.parametrize("name", ENVIRONMENT_NAMES)
def test_the_weights_reach_nothing_but_the_https_listener(stacks, name):
    # Terraform plans a change only where a changed value flows: the weight variables are read by the HTTPS listener
    # and by the composite alarm that pages for the live colour only (its rule: tests/test_alarms.py), and by nothing
    # else (no other resource, output, local or data source). The emulator cannot hold the composite alarm
    # (tooling/emulator.py), so there a rollout step changes the listener alone, and the deploy test applies the
    # canary, the cutover and the rollback to the listener only, in seconds.
    stack = stacks[name]

    def reads_a_weight(value) -> bool:
        text = json.dumps(value)
        return "var.blue_weight" in text or "var.green_weight" in text

    readers = {f"{kind}.{logical}" for kind, resources in stack["resource"].items()
               for logical, config in resources.items() if reads_a_weight(config)}
    (listener,) = [f"aws_lb_listener.{logical}" for logical, config in stack["resource"]["aws_lb_listener"].items()
                   if config["port"] == 443]
    composite = {f"aws_cloudwatch_composite_alarm.{logical}"
                 for logical in stack["resource"].get("aws_cloudwatch_composite_alarm", {})}
    assert listener in readers and readers - {listener} <= composite, readers
    assert not any(reads_a_weight(stack.get(block, {})) for block in ("output", "locals", "data", "module"))
