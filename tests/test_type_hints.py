"""The bindings' argument checks still run with their type hints remembered (vtc_constructs/_type_hints.py)."""

from __future__ import annotations

import typing

import pytest
from cdktf import App, TerraformStack

import cdktf_cdktf_provider_aws.vpc as vpc_module
from vtc_constructs import _type_hints


def _stubs(module) -> list:
    # The bindings publish only their public names; the stubs live in the namespace their classes' code runs in.
    namespace = module.Vpc.__init__.__globals__
    return [value for name, value in namespace.items() if name.startswith(_type_hints.STUB_PREFIX)]


def test_installed_in_this_session_once():
    assert typing.get_type_hints.__wrapped__ is _type_hints._original
    assert _type_hints.install() is False


def test_a_wrong_argument_type_is_still_refused_every_time():
    stack = TerraformStack(App(), "checks")
    for attempt in range(2):  # the second call is answered from the remembered hints
        with pytest.raises(TypeError, match='type of argument cidr_block must be one of \\(str, NoneType\\)'):
            vpc_module.Vpc(stack, f"vpc{attempt}", cidr_block=10)


def test_stub_hints_equal_the_original_and_are_a_fresh_copy_each_time():
    stub = _stubs(vpc_module)[0]
    assert _type_hints.is_jsii_stub(stub)
    first = typing.get_type_hints(stub)
    assert first == _type_hints._original(stub)
    first["scope"] = "changed by a caller"
    assert typing.get_type_hints(stub)["scope"] != "changed by a caller"


def test_anything_else_reaches_the_original_unchanged():
    def _typecheckingstub__not_jsii(x: "Missing") -> None: ...  # noqa: F821

    assert not _type_hints.is_jsii_stub(_typecheckingstub__not_jsii)  # right name, not from a jsii package
    with pytest.raises(NameError, match="Missing"):
        typing.get_type_hints(_typecheckingstub__not_jsii)

    def annotated(x: typing.Annotated[int, "meta"]) -> None: ...

    assert typing.get_type_hints(annotated, include_extras=True)["x"] == typing.Annotated[int, "meta"]
    assert typing.get_type_hints(annotated)["x"] is int
