"""The bindings' argument checks still run, only cheaper (vtc_constructs/_binding_checks.py)."""

from __future__ import annotations

import typing

import pytest
import typeguard
from cdktf import App, TerraformStack

import cdktf_cdktf_provider_aws.vpc as vpc_module
from vtc_constructs import _binding_checks


def _stubs(module) -> list:
    # The bindings publish only their public names; the stubs live in the namespace their classes' code runs in.
    namespace = module.Vpc.__init__.__globals__
    return [value for name, value in namespace.items() if name.startswith(_binding_checks.STUB_PREFIX)]


def test_installed_in_this_session_once():
    assert typing.get_type_hints.__wrapped__ is _binding_checks._originals["get_type_hints"]
    assert typeguard.check_type.__wrapped__ is _binding_checks._originals["check_type"]
    assert _binding_checks.install() is False


def test_a_wrong_argument_type_is_still_refused_every_time():
    stack = TerraformStack(App(), "checks")
    for attempt in range(2):  # the second call is answered from the remembered hints
        with pytest.raises(TypeError, match="type of argument cidr_block must be one of \\(str, NoneType\\)"):
            vpc_module.Vpc(stack, f"vpc{attempt}", cidr_block=10)
        with pytest.raises(TypeError, match="type of argument tags must be one of \\(Mapping\\[str, str\\], NoneType\\)"):
            vpc_module.Vpc(stack, f"tags{attempt}", tags="not a mapping")


def test_none_is_still_refused_where_the_type_does_not_admit_it():
    stack = TerraformStack(App(), "none")
    with pytest.raises(TypeError, match="argument id"):
        vpc_module.Vpc(stack, None)


def test_stub_hints_equal_the_original_and_are_a_fresh_copy_each_time():
    stub = _stubs(vpc_module)[0]
    assert _binding_checks.is_jsii_stub(stub)
    first = typing.get_type_hints(stub)
    assert first == _binding_checks._originals["get_type_hints"](stub)
    first["scope"] = "changed by a caller"
    assert typing.get_type_hints(stub)["scope"] != "changed by a caller"


@pytest.mark.parametrize("expected_type, admits", [
    (typing.Any, True), (None, True), (type(None), True), (typing.Optional[int], True),
    (typing.Optional[typing.Union[typing.Sequence[str], typing.Mapping[str, str]]], True), (int | None, True),
    (typing.Union[int, str], False), (int, False), (typing.Sequence[typing.Optional[str]], False),
    (typing.Literal["a"], False),
])
def test_admits_none_agrees_with_typeguard(expected_type, admits):
    assert _binding_checks.admits_none(expected_type) is admits
    original = _binding_checks._originals["check_type"]
    if admits:
        original("x", None, expected_type)  # typeguard's own verdict: accepted
    else:
        with pytest.raises(TypeError):
            original("x", None, expected_type)


def test_anything_else_reaches_the_original_unchanged():
    def _typecheckingstub__not_jsii(x: "Missing") -> None: ...  # noqa: F821

    assert not _binding_checks.is_jsii_stub(_typecheckingstub__not_jsii)  # right name, not from a jsii package
    with pytest.raises(NameError, match="Missing"):
        typing.get_type_hints(_typecheckingstub__not_jsii)

    def annotated(x: typing.Annotated[int, "meta"]) -> None: ...

    assert typing.get_type_hints(annotated, include_extras=True)["x"] == typing.Annotated[int, "meta"]
    assert typing.get_type_hints(annotated)["x"] is int
