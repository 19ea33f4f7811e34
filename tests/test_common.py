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


def test_a_construct_may_claim_its_own_names_again_and_kinds_do_not_collide():
    from vtc_constructs._common import NameRegistry, claim_names

    stack = TerraformStack(App(), "stack")
    first, second = Construct(stack, "first"), Construct(stack, "second")
    claim_names(first, "first", ("load balancer", "vtc"), ("WAF web ACL", "vtc"))
    claim_names(first, "first", ("load balancer", "vtc"))
    claim_names(second, "second", ("CloudWatch dashboard", "vtc"))
    assert NameRegistry.of(second).claims == {("load balancer", "vtc"): "stack/first",
                                              ("WAF web ACL", "vtc"): "stack/first",
                                              ("CloudWatch dashboard", "vtc"): "stack/second"}


def test_a_refused_claim_claims_nothing():
    import pytest

    from vtc_constructs import ConfigError
    from vtc_constructs._common import NameRegistry, claim_names

    stack = TerraformStack(App(), "stack")
    claim_names(Construct(stack, "first"), "first", ("load balancer", "vtc"))
    second = Construct(stack, "second")
    with pytest.raises(ConfigError) as raised:
        claim_names(second, "second", ("target group", "vtc-blue"), ("load balancer", "vtc"))
    assert [str(p) for p in raised.value.problems] == [
        "second.name: load balancer already claimed by stack/first (got 'vtc'); allowed: a name that gives no other "
        "construct's load balancer; fix: rename stack/second or stack/first: both would create the load balancer 'vtc'"]
    assert ("target group", "vtc-blue") not in NameRegistry.of(stack).claims


def test_is_unresolved_answers_as_cdktf_does_without_asking_jsii_about_strings():
    """is_unresolved (Python's copy of cdktf's regular expression for strings) against Token.is_unresolved (one
    jsii round trip each): tokens of each kind, embedded, escaped or look-alike strings, plain values."""
    from cdktf import Fn, TerraformVariable, Token

    from vtc_constructs._common import is_unresolved

    stack = TerraformStack(App(), "tokens")
    variable = TerraformVariable(stack, "v", type="string")
    string, number, listed = variable.string_value, variable.number_value, variable.list_value
    samples = [string, f"arn:aws:iam::{string}:root", Fn.replace(string, "a", "b"), Token.as_string(number),
               "${TfToken[TOKEN.1]}", "x${TfToken[TOKEN.1]}y", "${TfToken[]}", "${TfToken[TOKEN 1]}",
               "${TfToken[TOKEN.1]", "#{TfToken[TOKEN.1]}", "&{TfToken[TOKEN.1]}", "${var.x}", "$${TfToken[A]}",
               "", "plain", number, 1.5, 3, listed, ["plain"], None, True]
    for value in samples:
        assert is_unresolved(value) == Token.is_unresolved(value), value
    assert is_unresolved(string) and not is_unresolved("plain")  # the samples hold both answers
