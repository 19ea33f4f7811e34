"""The jsii bindings' run-time argument checks, made cheaper without skipping any.

Every constructor, method and struct of a jsii-generated Python binding (cdktf, constructs, the AWS provider) checks
its arguments at run time::

    if __debug__:
        type_hints = typing.get_type_hints(_typecheckingstub__6286e6be...)
        check_type(argname="argument scope", value=scope, expected_type=type_hints["scope"])

In a synth of this repository's stacks these checks were about half of the Python time (~0.06 s per environment,
measured with cProfile and ``benchmarks/synth.py``), for two reasons that :func:`install` removes:

1. ``typing.get_type_hints`` evaluates the stub's string annotations again on every call. The stubs are module-level
   functions that never change, so the result is remembered for exactly those functions (named
   ``_typecheckingstub__*``, defined in a module of a jsii package this library uses) and a fresh copy is handed
   out each time, as the original does. Every other call reaches the original unchanged.
2. Most arguments of a struct are optional and left unset, and typeguard checks ``None`` against a union such as
   ``Optional[Union[IResolvable, Sequence[...]]]`` by trying every member in turn and catching the ``TypeError`` of
   each mismatch before it reaches ``NoneType``. ``None`` against a type that admits ``None`` (a union with
   ``NoneType``, ``Any``, ``None`` itself) is accepted at once: the same verdict typeguard reaches. Any other value,
   or a type that does not admit ``None``, goes to typeguard unchanged, so a wrong argument is still refused (tested).

Both wrappers are process-wide, because the bindings call ``typing.get_type_hints`` and ``typeguard.check_type``
through their modules. ``VTC_EAGER_PROVIDER=1`` (plain cdktf, none of the fast path) leaves both untouched.
"""

from __future__ import annotations

import functools
import types
import typing
from typing import Any, Callable

STUB_PREFIX = "_typecheckingstub__"
JSII_PACKAGES = frozenset({"cdktf", "constructs", "cdktf_cdktf_provider_aws"})
_NONE_TYPE = type(None)

_originals: dict[str, Callable[..., Any]] = {}


def install() -> bool:
    """Wrap ``typing.get_type_hints`` and ``typeguard.check_type`` once; returns whether this call installed them."""
    if _originals:
        return False
    import typeguard

    _originals["get_type_hints"] = original_hints = typing.get_type_hints
    _originals["check_type"] = original_check = typeguard.check_type
    cache: dict[Callable[..., Any], dict[str, Any]] = {}

    @functools.wraps(original_hints)
    def get_type_hints(obj: Any, globalns: Any = None, localns: Any = None, include_extras: bool = False
                       ) -> dict[str, Any]:
        if globalns is None and localns is None and not include_extras and is_jsii_stub(obj):
            hints = cache.get(obj)
            if hints is None:
                hints = cache[obj] = original_hints(obj)
            return dict(hints)
        return original_hints(obj, globalns, localns, include_extras)

    @functools.wraps(original_check)
    def check_type(argname: str, value: Any, expected_type: Any, memo: Any = None, **kwargs: Any) -> None:
        if value is None and admits_none(expected_type):
            return None
        return original_check(argname, value, expected_type, memo, **kwargs)

    typing.get_type_hints = get_type_hints
    typeguard.check_type = check_type
    return True


def is_jsii_stub(obj: Any) -> bool:
    """A jsii binding's type-checking stub: a plain function ``_typecheckingstub__*`` of a known jsii package."""
    return (getattr(obj, "__name__", "").startswith(STUB_PREFIX) and callable(obj)
            and str(getattr(obj, "__module__", "")).split(".", 1)[0] in JSII_PACKAGES)


def admits_none(expected_type: Any) -> bool:
    """Whether ``None`` is a valid value of ``expected_type`` on its face: ``Any``, ``None``/``NoneType``, or a
    union with one of those among its members. Anything else (including types it cannot hash) says no, and the
    value goes to typeguard."""
    try:
        return _admits_none(expected_type)
    except TypeError:  # unhashable type expression
        return False


@functools.lru_cache(maxsize=None)
def _admits_none(expected_type: Any) -> bool:
    if expected_type is Any or expected_type is None or expected_type is _NONE_TYPE:
        return True
    if typing.get_origin(expected_type) in (typing.Union, types.UnionType):
        return any(_admits_none(member) for member in typing.get_args(expected_type))
    return False
