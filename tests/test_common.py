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


def test_is_number_token_agrees_with_cdktf_on_tokens_and_plain_numbers():
    import math

    from cdktf import Fn, TerraformVariable, Token

    from vtc_constructs._common import is_number_token

    stack = TerraformStack(App(), "tokens")
    variable = TerraformVariable(stack, "n", type="number")
    tokens = [variable.number_value, Token.as_number(variable.string_value), Fn.length_of(["a"])] + \
        [TerraformVariable(stack, f"n{i}", type="number").number_value for i in range(3)]
    plain = [0, 1, -1, 100, 5.5, 1e300, -1e300, -8.1e298, -1.9e289, 2 ** 53 + 1, 10 ** 400, math.inf, math.nan]
    assert [Token.is_unresolved(t) for t in tokens] == [True] * len(tokens)  # (each really is a token)
    assert [is_number_token(t) for t in tokens] == [True] * len(tokens)
    assert [is_number_token(n) for n in plain] == [False] * len(plain)
    assert [is_number_token(v) for v in (True, False, "5", None, [1])] == [False] * 5


def test_is_string_token_agrees_with_cdktf():
    from cdktf import Fn, TerraformVariable, Token

    from vtc_constructs._common import is_string_token

    stack = TerraformStack(App(), "strings")
    variable = TerraformVariable(stack, "s", type="string")
    # is_string_token answers with cdktf's regular expression, not by asking jsii: look-alikes on both sides too.
    tokens = [variable.string_value, f"prefix-{variable.string_value}-suffix", Fn.join(",", ["a"]),
              Token.as_string(variable.number_value), "${TfToken[TOKEN.1]}", "x${TfToken[A:b.c-d_e]}y",
              "$${TfToken[A]}"]
    plain = ["", "eu-west-1", "${var.x}", "${TfToken[", "#{TfToken[TOKEN.1]}", "&{TfToken[TOKEN.1]}",
             "${TfToken[]}", "${TfToken[TOKEN 1]}", "${TfToken[TOKEN.1]", "${ TfToken[TOKEN.1]}"]
    assert [Token.is_unresolved(t) for t in tokens] == [True] * len(tokens)
    assert [is_string_token(t) for t in tokens] == [True] * len(tokens)
    assert [Token.is_unresolved(p) for p in plain] == [False] * len(plain)  # (cdktf agrees each is plain)
    assert [is_string_token(p) for p in plain] == [False] * len(plain)
    assert [is_string_token(v) for v in (5, None, ["x"])] == [False] * 3
