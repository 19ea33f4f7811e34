"""The Python side: the AWS provider package without its ~2,100 eager submodule imports.

The prebuilt provider's package ``__init__`` ends with one ``from . import <submodule>`` per resource type, "to
ensure their types are registered with the jsii runtime library". Importing any submodule runs that ``__init__``
first, so the first ``from cdktf_cdktf_provider_aws.vpc import Vpc`` costs ~10 s here. Every submodule imports only
``.._jsii`` (the assembly) and its own classes, so the eager imports are needed for nothing but type registration
of classes the program never touches.

:func:`load_lazily` executes the package ``__init__`` *without* that trailing block and gives the package a module
``__getattr__`` (PEP 562), so ``cdktf_cdktf_provider_aws.vpc`` still works as an attribute and imports on demand.
Types that jsii hands back from JavaScript are registered when their submodule is imported; if jsii ever returns an
object of a type from a submodule nobody imported, jsii imports that submodule itself, through the map from jsii
namespace to Python module that newer generated bindings ship as ``_jsii._SUBMODULE_FQN_MAP`` (provider 20.1.0
predates it, so :func:`load_lazily` gives its ``_jsii`` module that map before the module runs; jsii reads it while
loading the assembly).

Only the provider's own modules are affected: nothing in jsii, cdktf, typing or any other package is replaced.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from types import ModuleType

PACKAGE = "cdktf_cdktf_provider_aws"
JSII_MODULE_PREFIX = "@cdktf/provider-aws."
_MARKER = "# Loading modules to ensure their types are registered with the jsii runtime library\n"
_EAGER_LINE = re.compile(r"^from \. import ([a-z0-9_]+)$")


class LazyProviderError(ImportError):
    """The provider package is not shaped the way the lazy loader expects; nothing was changed."""


def package_source() -> tuple[importlib.machinery.ModuleSpec, str]:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None or spec.loader is None:
        raise LazyProviderError(f"{PACKAGE} is not installed")
    with open(spec.origin, encoding="utf-8") as handle:
        return spec, handle.read()


def load_lazily() -> ModuleType:
    """Import the provider package without its eager submodule imports (see the module docstring).

    Raises :class:`LazyProviderError` (before anything is imported) if the package's ``__init__`` is not shaped as
    expected; the caller then imports it the plain way.
    """
    spec, source = package_source()
    head, submodules = split_init(source, spec.origin)
    names = frozenset(submodules)

    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    try:
        _load_jsii_module_with_namespace_map(names)
        exec(compile(head, spec.origin, "exec"), module.__dict__)
    except BaseException:
        for name in (PACKAGE, f"{PACKAGE}._private", f"{PACKAGE}._jsii", f"{PACKAGE}._jsii._private"):
            sys.modules.pop(name, None)
        raise
    # The head ends with publication.publish(), which puts a new "public" module object in sys.modules: that one,
    # not the object the head ran in, is what every importer gets.
    module = sys.modules[PACKAGE]

    def __getattr__(name: str) -> ModuleType:
        if name in names:
            return importlib.import_module(f"{PACKAGE}.{name}")
        raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}")

    module.__getattr__ = __getattr__  # type: ignore[attr-defined]
    module.__lazy_submodules__ = names  # type: ignore[attr-defined]
    return module


def import_all_submodules(module: ModuleType) -> None:
    """What the skipped block would have done: import every submodule (the plain behaviour, all of its cost)."""
    for name in sorted(getattr(module, "__lazy_submodules__", ())):
        importlib.import_module(f"{PACKAGE}.{name}")


def _load_jsii_module_with_namespace_map(names: frozenset[str]) -> None:
    """Run the provider's ``_jsii`` module with ``_SUBMODULE_FQN_MAP`` already in its namespace."""
    spec = importlib.util.find_spec(f"{PACKAGE}._jsii")
    if spec is None or spec.loader is None:
        raise LazyProviderError(f"{PACKAGE}._jsii is not installed")
    module = importlib.util.module_from_spec(spec)
    module._SUBMODULE_FQN_MAP = namespace_map(names)  # type: ignore[attr-defined]
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)


def namespace_map(names: frozenset[str]) -> dict[str, str]:
    """jsii namespace -> Python module of every provider submodule (the shape of ``_SUBMODULE_FQN_MAP``)."""
    return {f"{JSII_MODULE_PREFIX}{jsii_namespace(name)}": f"{PACKAGE}.{name}" for name in sorted(names)}


def split_init(source: str, origin: str = PACKAGE) -> tuple[str, list[str]]:
    """Split the package ``__init__`` source into what must run and the submodules it would import eagerly.

    Raises :class:`LazyProviderError` unless the source is: a head, the marker comment, then only
    ``from . import <name>`` lines, every one of them listed in ``__all__``.
    """
    if source.count(_MARKER) != 1:
        raise LazyProviderError(f"{origin}: the marker {_MARKER.strip()!r} is missing or repeated; this provider "
                                "release is not supported by the lazy loader")
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


def jsii_namespace(submodule: str) -> str:
    """The jsii namespace of a provider submodule: ``xray_sampling_rule`` -> ``xraySamplingRule``.

    The Python module names are the snake_case of the jsii (TypeScript) namespaces; a test checks this inverse for
    every one of the provider's submodules against the type names in their sources.
    """
    first, *rest = submodule.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)
