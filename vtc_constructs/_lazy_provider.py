"""Load the AWS provider bindings without loading their ~2,100 resource modules up front, in Python and in Node.

The prebuilt provider's package ``__init__`` ends with one ``from . import <submodule>`` per resource type, "to
ensure their types are registered with the jsii runtime library". Importing any submodule runs that ``__init__``
first, so the first ``from cdktf_cdktf_provider_aws.vpc import Vpc`` costs ~10 s here. Every submodule imports only
``.._jsii`` (the assembly) and its own classes, so the eager imports are needed for nothing but type registration
of classes the program never touches.

:func:`install` executes the package ``__init__`` *without* that trailing block and gives the package a module
``__getattr__`` (PEP 562), so ``cdktf_cdktf_provider_aws.vpc`` still works as an attribute and imports on demand.
Types that jsii hands back from JavaScript are registered when their submodule is imported; if jsii ever returns an
object of a type from a submodule nobody imported, jsii imports that submodule itself through the namespace map
that :func:`install` registers, so the program gets the right class, not a proxy.

It fails loudly rather than changing behaviour silently: if the ``__init__`` does not have the exact shape this code
expects (a different provider release), :class:`LazyProviderError` is raised naming what differed. Set
``VTC_EAGER_PROVIDER=1`` to bypass it entirely (plain imports, as any cdktf program does); tests prove the two paths
synthesize byte-identical output.

The same happens on the JavaScript side: jsii's kernel ``require``s the provider package, whose ``lib/index.js``
requires every resource module (about 1.5 s and 450 MB). Before jsii starts its Node process, :func:`install` puts
``_lazy_provider_hook.js`` into that process's ``NODE_OPTIONS`` (``--require``), and the hook resolves the one
request for ``@cdktf/provider-aws`` to the package's own ``lib/lazy-index.js``, which exports the same namespaces
as getters. If jsii was already running (the program imported a jsii library first), the Node side stays eager:
slower, same output. The same start also runs jsii's kernel without its relay process (``_direct_runtime.py``), and
the bindings' argument checks get cheaper without being skipped (``_binding_checks.py``).

:func:`install` runs when ``vtc_constructs`` is imported, before any construct module imports the provider.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
from pathlib import Path
from types import ModuleType

from . import _binding_checks
from ._process_env import node_options

PACKAGE = "cdktf_cdktf_provider_aws"
JSII_MODULE_PREFIX = "@cdktf/provider-aws."
_MARKER = "# Loading modules to ensure their types are registered with the jsii runtime library\n"
_EAGER_LINE = re.compile(r"^from \. import ([a-z0-9_]+)$")
NODE_HOOK = Path(__file__).with_name("_lazy_provider_hook.js")


class LazyProviderError(ImportError):
    """The provider package is not shaped the way the lazy loader expects; nothing was changed."""


def install() -> str:
    """Import the provider package lazily, once. Returns how it is loaded: ``lazy``, ``eager`` or ``already``."""
    if PACKAGE in sys.modules:
        return "already"
    if os.environ.get("VTC_EAGER_PROVIDER") == "1":
        importlib.import_module(PACKAGE)
        return "eager"
    _start_jsii_with_node_hook()
    _binding_checks.install()
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None or spec.loader is None:
        raise LazyProviderError(f"{PACKAGE} is not installed")
    with open(spec.origin, encoding="utf-8") as handle:
        source = handle.read()
    head, submodules = split_init(source, spec.origin)

    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    try:
        exec(compile(head, spec.origin, "exec"), module.__dict__)
    except BaseException:
        sys.modules.pop(PACKAGE, None)
        sys.modules.pop(f"{PACKAGE}._private", None)
        raise
    # The head ends with publication.publish(), which puts a new "public" module object in sys.modules: that one,
    # not the object the head ran in, is what every importer gets.
    module = sys.modules[PACKAGE]
    names = frozenset(submodules)

    def __getattr__(name: str) -> ModuleType:
        if name in names:
            return importlib.import_module(f"{PACKAGE}.{name}")
        raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}")

    module.__getattr__ = __getattr__  # type: ignore[attr-defined]
    module.__lazy_submodules__ = names  # type: ignore[attr-defined]
    _register_submodules_with_jsii(names)
    return "lazy"


def _start_jsii_with_node_hook() -> None:
    """Start jsii's Node process with the lazy-require hook preloaded, unless it is already running."""
    from jsii import _reference_map

    from ._direct_runtime import direct_runtime

    if _reference_map._assembly_to_module:  # an assembly is loaded: the Node process runs without the hook
        return
    with node_options(f'--require "{_quote(str(NODE_HOOK))}"'), direct_runtime():
        # Loading the first assembly starts the Node process; jsii copies os.environ for it at that moment.
        importlib.import_module("constructs")


def _quote(path: str) -> str:
    return path.replace("\\", "\\\\").replace('"', '\\"')


def split_init(source: str, origin: str = PACKAGE) -> tuple[str, list[str]]:
    """Split the package ``__init__`` source into what must run and the submodules it would import eagerly.

    Raises :class:`LazyProviderError` unless the source is: a head, the marker comment, then only
    ``from . import <name>`` lines, every one of them listed in ``__all__``.
    """
    if source.count(_MARKER) != 1:
        raise LazyProviderError(f"{origin}: the marker {_MARKER.strip()!r} is missing or repeated; this provider "
                                "release is not supported by the lazy loader (set VTC_EAGER_PROVIDER=1)")
    head, tail = source.split(_MARKER)
    submodules = []
    for number, line in enumerate(tail.splitlines(), start=head.count("\n") + 2):
        if not line.strip():
            continue
        match = _EAGER_LINE.match(line)
        if not match:
            raise LazyProviderError(f"{origin}:{number}: unexpected line after the marker: {line!r}; "
                                    "the lazy loader only skips 'from . import <submodule>' lines")
        submodules.append(match.group(1))
    if not submodules:
        raise LazyProviderError(f"{origin}: no submodule imports after the marker")
    listed = set(re.findall(r'^    "([a-z0-9_]+)",$', head, flags=re.MULTILINE))
    unlisted = [name for name in submodules if name not in listed]
    if unlisted:
        raise LazyProviderError(f"{origin}: submodules imported but not in __all__: {unlisted[:5]}")
    return head, submodules


def _register_submodules_with_jsii(names: frozenset[str]) -> None:
    """Tell jsii which Python module holds each provider namespace, so it can import one on demand.

    jsii (>= 1.1xx) resolves a type it has not seen by importing the module its ``_submodule_fqn_map`` names for the
    type's namespace. Bindings generated by newer jsii-pacmak ship that map; provider-aws 20.1.0 predates it, so it
    is filled here from the submodule list. Without it, a type returned from JavaScript whose submodule nobody
    imported would fail with ``Unknown type`` (loudly, never silently).
    """
    from jsii import _reference_map

    _reference_map._submodule_fqn_map.update({f"{JSII_MODULE_PREFIX}{jsii_namespace(name)}": f"{PACKAGE}.{name}"
                                              for name in names})


def jsii_namespace(submodule: str) -> str:
    """The jsii namespace of a provider submodule: ``xray_sampling_rule`` -> ``xraySamplingRule``.

    The Python module names are the snake_case of the jsii (TypeScript) namespaces; a test checks this inverse for
    every one of the provider's submodules against the type names in their sources.
    """
    first, *rest = submodule.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)
