"""Building blocks every construct shares (vtc_constructs/_common.py)."""

from __future__ import annotations

import json

from cdktf import App, TerraformStack
from constructs import Construct

from vtc_constructs._common import Account


def test_every_stack_reads_its_account_partition_and_region_once_for_all_constructs(stacks):
    """Account.of(scope): one set of account data sources at the stack root, shared by every construct."""
    for name, stack in stacks.items():
        for kind, address in (("aws_caller_identity", "account-caller"), ("aws_partition", "account-partition"),
                              ("aws_region", "account-region")):
            assert list(stack["data"][kind]) == [address], (name, kind)
        text = json.dumps(stack)
        for construct in ("network", "eks", "database", "edge", "alarms"):
            assert f"data.aws_caller_identity.{construct}_" not in text, (name, construct)
        assert "data.aws_caller_identity.account-caller.account_id" in text


def test_account_of_returns_one_instance_per_stack():
    app = App()
    first, second = TerraformStack(app, "first"), TerraformStack(app, "second")
    nested = Construct(first, "nested")
    assert Account.of(nested) is Account.of(first)
    assert Account.of(second) is not Account.of(first)
