"""The fast path: the AWS provider's bindings load lazily, in Python and in jsii's Node process.

``import vtc_constructs`` calls :func:`install` once, before any construct module imports the provider. A full synth
of this repository's two environments then takes about 2 s instead of about 13 s through plain imports, with
byte-identical output (``tests/test_lazy_provider.py``), because neither side loads the ~2,100 resource modules of
``cdktf-cdktf-provider-aws`` that a program does not use:

- Python (:mod:`.provider`): the provider package is imported without its trailing block of eager submodule
  imports; submodules import on first use, and jsii finds one it needs through the package's namespace map.
- Node (:mod:`.node`, ``node_hook.js``): a tiny jsii package of this library's own, loaded into jsii's kernel
  before the provider's assembly, makes the kernel ``require`` the provider's own ``lib/lazy-index.js``.

Nothing but the loading of the provider's own modules changes: no function of jsii, cdktf, typing or typeguard is
replaced, no environment variable or Node option is set; in jsii's Node process, the module resolver answers
differently for exactly one request, ``@cdktf/provider-aws``.

Import order: it does not matter whether cdktf or constructs were imported before ``vtc_constructs`` (jsii's
kernel may already run; the hook is loaded into it). Only the provider must not come first
(``import cdktf_cdktf_provider_aws`` or any of its submodules before ``vtc_constructs``): it is then already loaded
in full, as any cdktf program loads it, and one :class:`FastPathWarning` says so and what to do. Whatever does not
fit what this code expects (another provider release, a jsii that cannot load the hook or resolve namespaces) gives
the same: one warning, then the plain behaviour (slower, same output). ``VTC_EAGER_PROVIDER=1`` chooses the plain
behaviour silently.

What was measured and removed (full synth of both environments, ``python main.py --outdir <tmp>``, each run a fresh
process, configurations alternating run by run on the shared 2-core machine; lazy loading alone against lazy loading
plus one part; the rule: a part stays only if it saves at least 10 % in the median and in the minimum):

- jsii's kernel run without jsii's relay process (a text-substituted copy of jsii's kernel behind ``JSII_RUNTIME``):
  51 runs each, median 2.29 s -> 2.09 s (8.7 %), minimum 1.95 s -> 1.70 s (12.8 %): below 10 % in the median;
- the bindings' argument checks made cheaper (a process-wide replacement of ``typing.get_type_hints`` and
  ``typeguard.check_type``) and cdktf's token creation stacks not recorded (a patch of cdktf inside jsii's Node
  process): together, on top of the relay-less kernel, 15 runs each, median 1.90 s -> 1.73 s, minimum 1.79 s ->
  1.63 s, so each alone less than 10 %; both also patched code this library does not own.

All three together made a full synth about 20 % faster (median 2.14 s -> 1.73 s, minimum 1.96 s -> 1.63 s, 15 runs).
"""

from __future__ import annotations

import os
import sys
import warnings

from . import node, provider
from .provider import PACKAGE, LazyProviderError

__all__ = ["FastPathWarning", "LazyProviderError", "install", "state"]

_FIX = ("import vtc_constructs before cdktf_cdktf_provider_aws (or any of its submodules), or set "
        "VTC_EAGER_PROVIDER=1 to choose plain imports and silence this warning")


class FastPathWarning(UserWarning):
    """vtc_constructs could not load the AWS provider lazily; it loads in full (slower synth, same output).

    Issued at most once per process, by ``import vtc_constructs``. The message says why; the usual cause is that
    ``cdktf_cdktf_provider_aws`` was imported before ``vtc_constructs``: import ``vtc_constructs`` first.
    """


#: How the provider was loaded: ``None`` before :func:`install`, then ``"lazy"``, ``"plain"`` (asked for with
#: ``VTC_EAGER_PROVIDER=1``) or ``"lost"`` (a :class:`FastPathWarning` said why).
state: str | None = None


def install() -> str:
    """Load the AWS provider lazily, once per process; returns :data:`state` (see the module docstring).

    ``"plain"`` and ``"lost"`` load nothing themselves: the provider is then loaded in full by whatever imports it
    next, as Python always does (``import vtc_constructs`` does so at once: its construct modules import it), or it
    already was.

    Raises :class:`~vtc_constructs._fastpath.node.NodeNotFoundError` if jsii will not find Node.js.
    """
    global state
    if state is not None:
        return state
    node.require_node()
    if os.environ.get("VTC_EAGER_PROVIDER") == "1":
        state = "plain"
        return state
    if PACKAGE in sys.modules:
        return _lost(f"{PACKAGE} was imported before vtc_constructs, so it was loaded in full (jsii's Node process "
                     "loads all of it too); a synth takes several times longer, same output")
    try:
        node.load_hook()
    except Exception as error:  # noqa: BLE001  (any refusal by jsii's kernel: fall back to the plain behaviour)
        return _lost(f"jsii's kernel did not load the lazy-provider hook ({type(error).__name__}: {error}); the "
                     "provider is loaded in full")
    try:
        module = provider.load_lazily()
    except LazyProviderError as error:
        return _lost(f"{error}; the provider is loaded in full")
    if not _jsii_resolves_provider_namespaces():
        provider.import_all_submodules(module)
        return _lost("this jsii release does not resolve a type to its provider submodule on demand (no submodule "
                     "namespace map), so every submodule was imported")
    state = "lazy"
    return state


def _lost(reason: str) -> str:
    global state
    state = "lost"
    # stacklevel 4: the warning points at the program's `import vtc_constructs` (install <- vtc_constructs/__init__
    # <- the import machinery's frames are skipped by warnings for frozen importlib).
    warnings.warn(FastPathWarning(f"vtc_constructs fast path is off: {reason}. {_FIX}."), stacklevel=4)
    # Nothing more to do: the provider is already loaded in full, or left to Python's own import (the construct
    # modules import it right after this, in full).
    return state


def _jsii_resolves_provider_namespaces() -> bool:
    """Whether jsii registered the provider's namespace map (it reads ``_SUBMODULE_FQN_MAP`` since 1.1xx)."""
    from jsii import _reference_map  # read only

    registered = getattr(_reference_map, "_submodule_fqn_map", None)
    return isinstance(registered, dict) and \
        registered.get(f"{provider.JSII_MODULE_PREFIX}vpc") == f"{PACKAGE}.vpc"
