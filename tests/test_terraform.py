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
