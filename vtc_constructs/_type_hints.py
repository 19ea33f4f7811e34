"""Work out each jsii binding's parameter types once per process, not on every call.

Every constructor, method and struct of a jsii-generated Python binding (cdktf, constructs, the AWS provider) checks
its arguments at run time::

    if __debug__:
        type_hints = typing.get_type_hints(_typecheckingstub__6286e6be...)
        check_type(argname="argument scope", value=scope, expected_type=type_hints["scope"])

``typing.get_type_hints`` evaluates the stub's string annotations again on every call; in a synth of this
repository's stacks that is about a quarter of the Python time (0.03 s of ~0.13 s per environment, measured with
``benchmarks/synth.py``-style runs). The stubs are module-level functions that never change, so :func:`install`
wraps ``typing.get_type_hints`` to remember the result for exactly those functions (named
``_typecheckingstub__*``, defined in a module of a jsii package this library uses) and hands out a fresh copy each
time, as the original does. Every other call reaches the original unchanged, and the checks themselves still run
(a wrong argument type is still refused: tested).

The wrapper is process-wide, because the bindings call ``typing.get_type_hints`` through the ``typing`` module.
``VTC_EAGER_PROVIDER=1`` (plain cdktf, none of the fast path) leaves ``typing`` untouched.
"""

from __future__ import annotations

import functools
import typing
from typing import Any, Callable

STUB_PREFIX = "_typecheckingstub__"
JSII_PACKAGES = frozenset({"cdktf", "constructs", "cdktf_cdktf_provider_aws"})

_original: Callable[..., dict[str, Any]] | None = None


def install() -> bool:
    """Wrap ``typing.get_type_hints`` once; returns whether this call installed it."""
    global _original
    if _original is not None:
        return False
    original = typing.get_type_hints
    cache: dict[Callable[..., Any], dict[str, Any]] = {}

    @functools.wraps(original)
    def get_type_hints(obj: Any, globalns: Any = None, localns: Any = None, include_extras: bool = False
                       ) -> dict[str, Any]:
        if globalns is None and localns is None and not include_extras and is_jsii_stub(obj):
            hints = cache.get(obj)
            if hints is None:
                hints = cache[obj] = original(obj)
            return dict(hints)
        return original(obj, globalns, localns, include_extras)

    typing.get_type_hints = get_type_hints
    _original = original
    return True


def is_jsii_stub(obj: Any) -> bool:
    """A jsii binding's type-checking stub: a plain function ``_typecheckingstub__*`` of a known jsii package."""
    return (getattr(obj, "__name__", "").startswith(STUB_PREFIX) and callable(obj)
            and str(getattr(obj, "__module__", "")).split(".", 1)[0] in JSII_PACKAGES)
