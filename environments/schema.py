"""The shape of an environment file, checked before anything is built from it.

Every table of an environment file maps to a props dataclass of the construct library; this module walks the TOML
data against the dataclasses' own type annotations, at every depth, and reports every problem at once:

- a table where a table belongs, a list where a list belongs, strings, whole numbers, finite numbers, booleans
  (``true`` is not a number, ``1`` is not a boolean, ``inf`` and ``nan`` are not numbers);
- unknown keys at every depth, with a "did you mean" when a known key is close;
- required keys that are missing.

Usage::

    problems = check_table(data["network"], props_spec(NetworkProps, fixed={"name"}), "network")

A value that passes here has the Python type its dataclass field declares (lists still need turning into tuples),
so building the props from it cannot raise; what the values *mean* (ranges, AWS's rules) is the props' own
``validate()``.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime
import difflib
import enum
import math
import reprlib
import types
import typing
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from vtc_constructs.errors import Problem

_SHORT = reprlib.Repr()
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxdict = _SHORT.maxtuple = 6
_SHORT.maxlevel = 2


class Shown:
    """A value as a problem shows it: short, whatever its size (a whole table is not repeated back in full)."""

    def __init__(self, value: object):
        self.value = value

    def __repr__(self) -> str:
        return _SHORT.repr(self.value)


def shown(value: object) -> object:
    """``value`` itself when it is small, else a :class:`Shown` that abbreviates it."""
    text = repr(value)
    return value if len(text) <= 80 else Shown(value)


# --- the spec: what each TOML value must be ------------------------------------------------------------------------

@dataclass(frozen=True)
class Scalar:
    """A string, whole number, finite number or boolean; ``describe`` is how the message names it."""

    kind: str  # "string" | "integer" | "number" | "boolean"

    @property
    def describe(self) -> str:
        return {"string": "a string (in quotes)", "integer": "a whole number", "number": "a finite number",
                "boolean": "true or false"}[self.kind]


@dataclass(frozen=True)
class Choice:
    """A string naming one member of an enum; which member is the props' own check, only the type is checked here."""

    enum: type[enum.Enum]

    @property
    def describe(self) -> str:
        return "one of " + ", ".join(repr(m.value) for m in self.enum)


@dataclass(frozen=True)
class ListOf:
    item: "Spec"

    @property
    def describe(self) -> str:
        return f"a list of {_noun(self.item)}"


@dataclass(frozen=True)
class MapOf:
    """A table with keys of the user's choosing (tags, add-on versions, node groups by name)."""

    value: "Spec"

    @property
    def describe(self) -> str:
        return f"a table of {_noun(self.value)}"


@dataclass(frozen=True)
class Table:
    """A table with known keys: ``fields`` maps each key to its spec; ``required`` must be present."""

    name: str
    fields: Mapping[str, "Spec"]
    required: frozenset[str] = frozenset()
    cls: type | None = None  # the props dataclass the table builds, if any

    @property
    def describe(self) -> str:
        return f"a table ({self.name})"


Spec = Scalar | Choice | ListOf | MapOf | Table


def _noun(spec: Spec) -> str:
    return {"string": "strings", "integer": "whole numbers", "number": "numbers", "boolean": "booleans"}.get(
        getattr(spec, "kind", ""), spec.describe.removeprefix("a ").removeprefix("an "))


def props_spec(cls: type, *, fixed: frozenset[str] | set[str] = frozenset(),
               overrides: Mapping[str, Spec] | None = None) -> Table:
    """The spec of a props dataclass, from its type annotations.

    :param fixed: fields the environment model sets itself (``name``, ``network``): not allowed in the file.
    :param overrides: fields whose TOML shape differs from the Python type (node groups are a table by name).
    """
    hints = typing.get_type_hints(cls)
    overrides = dict(overrides or {})
    specs: dict[str, Spec] = {}
    required = set()
    for f in dataclasses.fields(cls):
        if f.name in fixed:
            continue
        specs[f.name] = overrides.pop(f.name) if f.name in overrides else _spec_of(hints[f.name])
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.add(f.name)
    if overrides:
        raise TypeError(f"{cls.__name__} has no fields {sorted(overrides)}")
    return Table(cls.__name__, specs, frozenset(required), cls)


def _spec_of(annotation: Any) -> Spec:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        if all(m in (int, float) for m in members):
            return Scalar("number") if float in members else Scalar("integer")
        if len(members) == 1:
            return _spec_of(members[0])
        raise TypeError(f"no TOML shape for {annotation}")
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis or origin is collections.abc.Sequence:
        return ListOf(_spec_of(args[0]))  # (a Sequence field takes a list: its props keep it as a tuple)
    if origin in (dict, Mapping, typing.Mapping) or (origin is not None and issubclass(origin, Mapping)):
        return MapOf(_spec_of(args[1]))
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return Choice(annotation)
        if dataclasses.is_dataclass(annotation):
            return props_spec(annotation)
        if annotation is bool:
            return Scalar("boolean")
        if annotation is int:
            return Scalar("integer")
        if annotation is float:
            return Scalar("number")
        if annotation is str:
            return Scalar("string")
    raise TypeError(f"no TOML shape for {annotation}")


# --- the check -------------------------------------------------------------------------------------------------------

def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _toml_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number" if math.isfinite(value) else f"{value!r} (not a finite number)"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (datetime.date, datetime.time)):
        return "a date/time"
    return type(value).__name__


def _wrong_type(path: str, value: object, spec: Spec, fix: str | None = None) -> Problem:
    return Problem(path, shown(value), spec.describe, fix or _how_to_write(path, spec),
                   f"wrong type: {_toml_type(value)}")


def _how_to_write(path: str, spec: Spec) -> str:
    key = path.rsplit(".", 1)[-1]
    if isinstance(spec, Table):
        return f"write it as a table: [{path.split('[')[0]}] with its keys on the lines below"
    if isinstance(spec, MapOf):
        return f"write it as a table: [{path}] with one key = value per line"
    if isinstance(spec, ListOf):
        return f'write a list in square brackets, e.g. {key} = ["..."]'
    if isinstance(spec, Choice):
        return f"write one of the names in quotes, e.g. {key} = {next(iter(spec.enum)).value!r}"
    return {"string": f'put the value in quotes, e.g. {key} = "..."',
            "integer": f"write a whole number without quotes or a decimal point, e.g. {key} = 30",
            "number": f"write a number without quotes, e.g. {key} = 80.0",
            "boolean": f"write true or false without quotes, e.g. {key} = true"}[spec.kind]


def unknown_key(path: str, key: str, value: object, allowed: typing.Iterable[str]) -> Problem:
    """An unknown key, with the closest known one suggested when there is one."""
    allowed = sorted(allowed)
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    fix = f"did you mean {close[0]!r}? rename the key" if close else "remove the key or correct its name"
    return Problem(_join(path, key), shown(value), ", ".join(allowed) or "(no keys)", fix, "unknown field")


def check(value: object, spec: Spec, path: str) -> list[Problem]:
    """Every problem of ``value`` against ``spec``, at every depth; paths as ``table.key[index].key``."""
    if isinstance(spec, Scalar):
        return [] if _scalar_ok(value, spec.kind) else [_wrong_type(path, value, spec)]
    if isinstance(spec, Choice):
        return [] if isinstance(value, str) else [_wrong_type(path, value, spec)]
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return [_wrong_type(path, value, spec)]
        return [p for i, item in enumerate(value) for p in check(item, spec.item, f"{path}[{i}]")]
    if isinstance(spec, MapOf):
        if not isinstance(value, dict):
            return [_wrong_type(path, value, spec)]
        return [p for key, item in value.items() for p in check(item, spec.value, _join(path, key))]
    return check_table(value, spec, path)


def check_table(value: object, spec: Table, path: str, *, required: bool = True) -> list[Problem]:
    """Problems of one table: its type, unknown keys (with suggestions), missing required keys, every value."""
    if value is None:
        if not required:
            return []
        return [Problem(path, None, f"a [{path}] table", f"add a [{path}] table", "missing table")]
    if not isinstance(value, dict):
        return [_wrong_type(path, value, spec)]
    problems = [unknown_key(path, key, value[key], spec.fields) for key in value if key not in spec.fields]
    problems += [_missing(_join(path, key), spec.fields[key]) for key in sorted(spec.required - set(value))]
    for key, item in value.items():
        if key in spec.fields:
            problems += check(item, spec.fields[key], _join(path, key))
    return problems


def _missing(path: str, spec: Spec) -> Problem:
    if isinstance(spec, MapOf) and isinstance(spec.value, Table):  # entries by name, each a table of its own
        return Problem(path, None, f"one [{path}.<name>] table per entry, <name> of your choosing",
                       f"add a [{path}.<name>] table, e.g. [{path}.general], with its keys on the lines below",
                       "missing table")
    if isinstance(spec, (Table, MapOf)):
        return Problem(path, None, f"a [{path}] table", f"add a [{path}] table", "missing table")
    return Problem(path, None, spec.describe, f"set {path}", "missing field")


def _scalar_ok(value: object, kind: str) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False  # a boolean is never a number
    if kind == "integer":
        return isinstance(value, int)
    if kind == "number":
        return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
    return isinstance(value, str)


def to_python(value: object, spec: Spec, build: Callable[[Table, dict], object] | None = None) -> object:
    """A checked TOML value in the Python shape of its field: lists become tuples, tables become dataclasses
    through ``build`` (default: leave them as dicts)."""
    if isinstance(spec, ListOf):
        return tuple(to_python(v, spec.item, build) for v in value)  # type: ignore[union-attr]
    if isinstance(spec, MapOf):
        return {k: to_python(v, spec.value, build) for k, v in value.items()}  # type: ignore[union-attr]
    if isinstance(spec, Table) and build is not None:
        return build(spec, value)  # type: ignore[arg-type]
    return value


__all__ = ["Choice", "ListOf", "MapOf", "Scalar", "Shown", "Spec", "Table", "check", "check_table", "props_spec",
           "shown", "to_python", "unknown_key"]
