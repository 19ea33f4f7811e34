"""Validation errors that report every problem at once.

Every check in this library appends a :class:`Problem` to a list instead of raising on the first one, so that a
user fixing a configuration sees the whole picture in one run::

    problems: list[Problem] = []
    if props.max_size < props.min_size:
        problems.append(Problem("node_groups.default.max_size", props.max_size,
                                f">= min_size ({props.min_size})", "raise max_size or lower min_size"))
    raise_if_any(problems)
"""

from __future__ import annotations

import dataclasses
import math
import re
import struct
from dataclasses import dataclass
from typing import Iterable, Mapping


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field.

    ``path`` is the dotted field path (``staging.network.vpc_cidr``), ``got`` the value received, ``allowed`` what
    would be accepted and ``fix`` what the user should change.
    """

    path: str
    got: object
    allowed: str
    fix: str
    what: str = "invalid value"

    def prefixed(self, prefix: str) -> "Problem":
        """The same problem with ``prefix.`` put in front of its path."""
        path = f"{prefix}.{self.path}" if self.path else prefix
        return Problem(path, self.got, self.allowed, self.fix, self.what)

    def __str__(self) -> str:
        # A field reported with None was left out (or given None) where a value is needed: say so, not "invalid".
        what = "missing" if self.got is None and self.what == "invalid value" else \
            self.what
        return f"{self.path}: {what} (got {self.got!r}); allowed: {self.allowed}; fix: {self.fix}"


class ConfigError(ValueError):
    """Raised with every :class:`Problem` found, never just the first."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: tuple[Problem, ...] = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(f"{len(self.problems)} configuration {noun}:\n{lines}")


def raise_if_any(problems: Iterable[Problem]) -> None:
    """Raise :class:`ConfigError` listing ``problems`` if there is at least one."""
    problems = tuple(problems)
    if problems:
        raise ConfigError(problems)


# --- type checks shared by every validate(): they never raise, whatever they are given --------------------------------

#: How cdktf 0.21 encodes tokens in the values it hands to Python (lib/tokens/private/encoding.js): a string token is
#: ``${TfToken[<key>]}`` inside a string; a list token is a list of one string ``#{TfToken[<key>]}`` (what a list
#: attribute such as ``DataAwsSubnets.ids`` or ``TerraformVariable.list_value`` returns); a number token is a double
#: whose high 16 bits are 0xfdff (about -8.1e298, the token's index in the low bits: ``TerraformVariable.number_value``,
#: ``Fn.length_of``). Recognised by their shape, with no jsii round trip (validation asks this of every field);
#: tests/test_common.py checks the shapes against cdktf. The string token's pattern is cdktf 0.21's own
#: (``STRING_TOKEN_REGEX``, lib/tokens/private/encoding.js), all its ``Token.isUnresolved`` of a string asks.
STRING_TOKEN = re.compile(r"\$\{TfToken\[[a-zA-Z0-9:._-]+\]\}")
_LIST_TOKEN = re.compile(r"^#\{TfToken\[[a-zA-Z0-9:._-]+\]\}$")
_NUMBER_TOKEN_MARKER = 0xFDFF


def token_kind(value: object) -> str | None:
    """``"string"``, ``"list"`` or ``"number"`` when ``value`` is a cdktf token of that kind (a Terraform reference
    or expression, known only at apply), else None. The one test of this library for "is this a reference?": a field
    that only passes its value on (an id, an ARN, a list of subnet ids) skips the checks that need the literal value
    when it is one; a field the construct computes from at synth refuses it (:func:`unresolved_problem`)."""
    if isinstance(value, str):
        # (an encoded list token on its own is a list known only at apply, wherever it was put: in a list beside
        # literals, ``(sg.id, *other.ids)``, or where one string belongs)
        return "string" if STRING_TOKEN.search(value) else "list" if _LIST_TOKEN.match(value) else None
    if isinstance(value, (tuple, list)):
        return "list" if len(value) == 1 and isinstance(value[0], str) and _LIST_TOKEN.match(value[0]) else None
    if isinstance(value, float) and math.isfinite(value):
        return "number" if struct.unpack("<Q", struct.pack("<d", value))[0] >> 48 == _NUMBER_TOKEN_MARKER else None
    return None


def is_reference(value: object) -> bool:
    """Whether ``value`` is a string that is (or holds) a Terraform reference known only at apply (a cdktf token,
    ``${TfToken[...]}``): it cannot be checked here, Terraform and Helm check it then. Lists and numbers:
    :func:`token_kind`."""
    return token_kind(value) == "string"


def is_list_reference(value: object) -> bool:
    """Whether ``value`` is a list whose length Python cannot see: a list token, a whole list known only at apply
    (``DataAwsSubnets(...).ids``: cdktf gives it as a list of one ``#{TfToken[...]}`` string), or a literal list
    with one spliced into it (``(sg.id, *data.ids)``)."""
    if isinstance(value, (tuple, list)) and any(token_kind(item) == "list" for item in value):
        return True
    return token_kind(value) == "list"


def shown(value: object) -> object:
    """A sequence as a list for a problem's ``got`` (as a user wrote it), anything else (a string too) as it is."""
    return list(value) if isinstance(value, (tuple, list)) else value


def unresolved_problem(path: str, value: object, allowed: str, fix: str) -> Problem:
    """The problem for a field the construct computes from at synth (a CIDR it plans subnets from, the AZs it makes
    one subnet in each of, a count) given a Terraform reference, which has no value until apply."""
    kinds = [token_kind(value)] + ([token_kind(item) for item in value] if isinstance(value, (tuple, list)) else [])
    kind = {"list": "a list", "number": "a number", "string": "a string"}[next(k for k in kinds if k)] \
        if any(kinds) else "a value"
    return Problem(path, value, allowed, fix,
                   f"a Terraform reference ({kind} token) known only at apply, but needed at synth")


def has_unresolved(value: object) -> bool:
    """Whether ``value`` is a token, or a list or tuple with a token among its items."""
    return token_kind(value) is not None or \
        isinstance(value, (tuple, list)) and any(token_kind(item) is not None for item in value)


def synth_time_problems(props: object, fields: Mapping[str, tuple[str, str]]) -> tuple[list[Problem], set[str]]:
    """For the ``fields`` of ``props`` the construct computes from at synth, each ``name: (allowed, fix)``: the
    :func:`unresolved_problem` of every one that is (or holds) a Terraform reference, and the names of those fields,
    so that ``validate()`` skips its other checks of them (one mistake, one problem)."""
    problems, refused = [], set()
    for name, (allowed, fix) in fields.items():
        value = getattr(props, name)
        if has_unresolved(value):
            problems.append(unresolved_problem(name, shown(value), allowed, fix))
            refused.add(name)
    return problems, refused


def outside(problems: Iterable[Problem], refused: set[str]) -> list[Problem]:
    """``problems`` less those of the ``refused`` fields (their paths ``field``, ``field[i]``, ``field.x``; a nested
    field such as ``certificate.domain_name`` is named whole): each of those has its :func:`synth_time_problems`
    problem already, or is a token :func:`passed_on_tokens` accepts."""
    return [p for p in problems if p.path.split("[", 1)[0].split(".", 1)[0] not in refused
            and p.path.split("[", 1)[0] not in refused]


def passed_on_tokens(props: object, fields: Mapping[str, str]) -> set[str]:
    """Of the ``fields`` of ``props`` that are only passed on to a resource, each ``name: kind`` (``"number"`` for a
    retention, ``"string"`` for a path), the names whose value is a token of that kind: accepted as it is, the checks
    of its literal value left out (:func:`outside`); Terraform and AWS check it at apply."""
    return {name for name, kind in fields.items() if token_kind(getattr(props, name, None)) == kind}


def classified(props: object, problems: Iterable[Problem], synth_time: Mapping[str, tuple[str, str]],
               passed_on: Mapping[str, str] | None = None,
               lists: Mapping[str, tuple[str, str]] | None = None) -> list[Problem]:
    """``validate()``'s answer for props with Terraform references in them: the :func:`synth_time_problems` of the
    ``synth_time`` fields first, then those of the ``lists`` (each ``name: (allowed, fix)``: a list the construct
    makes one rule or entry per item of, whose items may each be a reference, but whose length Python must see:
    refused when :func:`is_list_reference`), then ``problems`` (the checks of the literal values) less those of the
    refused fields and of the ``passed_on`` fields given a token of their kind."""
    refusals, refused = synth_time_problems(props, synth_time)
    for name, (allowed, fix) in (lists or {}).items():
        value = getattr(props, name)
        if name not in refused and is_list_reference(value):
            refusals.append(unresolved_problem(name, shown(value), allowed, fix))
            refused.add(name)
    return refusals + missing(props, outside(problems, refused | passed_on_tokens(props, passed_on or {})))


def missing(props: object, problems: Iterable[Problem]) -> list[Problem]:
    """``problems`` with each required field of ``props`` (one without a default) that holds None reported once as
    missing, with what the field allows: not as a malformed or unsupported value ("malformed CIDR (got None)")."""
    required = {f.name for f in dataclasses.fields(props) if f.default is dataclasses.MISSING  # type: ignore[arg-type]
                and f.default_factory is dataclasses.MISSING and getattr(props, f.name) is None} \
        if dataclasses.is_dataclass(props) else set()
    kept, said = [], set()
    for problem in problems:
        if problem.path not in required:
            kept.append(problem)
        elif problem.path not in said:
            said.add(problem.path)
            kept.append(Problem(problem.path, None, problem.allowed, f"give {problem.path}: it has no default",
                                "missing"))
    return kept


def is_number(value: object) -> bool:
    """A finite int or float; booleans are not numbers (``True == 1`` in Python, not in a configuration)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return not isinstance(value, float) or math.isfinite(value)


def is_whole(value: object) -> bool:
    """An ``int`` (not a bool, not a float such as 60.0: AWS wants an integer there)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_string_tuple(value: object) -> bool:
    """A tuple or list whose every item is a string (a bare string is not a list of strings)."""
    return isinstance(value, (tuple, list)) and all(isinstance(item, str) for item in value)


def not_a_list(path: str, value: object, of: str, example: str) -> Problem:
    """The problem for a field that must be a list of ``of`` but is something else (a bare string, a table...)."""
    hint = f"wrap it in a list: [{value!r}]" if isinstance(value, str) else f"give a list, e.g. {example}"
    return Problem(path, value, f"a list of {of}", hint, "not a list" if not isinstance(value, (tuple, list))
                   else f"not a list of {of}")


def coerce_fields(instance: object, *, enums: dict | None = None, tuples: tuple[str, ...] = ()) -> None:
    """For a frozen props dataclass's ``__post_init__``: a string naming an enum member's value becomes that member
    (``nat_strategy="single"``), a list becomes a tuple. Anything else stays as given, for ``validate()`` to report."""
    for field, enum in (enums or {}).items():
        value = getattr(instance, field)
        if isinstance(value, str) and not isinstance(value, enum):
            member = next((m for m in enum if m.value == value), None)
            if member is not None:
                object.__setattr__(instance, field, member)
    for field in tuples:
        value = getattr(instance, field)
        if isinstance(value, list):
            object.__setattr__(instance, field, tuple(value))


def enum_problem(path: str, value: object, enum, fix: str) -> Problem:
    """A value that is not a member of ``enum``: the allowed values are the members', never the value given; a string
    that is a member but for its case, or close to one (a typo), also gets ``did you mean ...?`` in the fix."""
    allowed = [str(m.value) for m in enum]
    return Problem(path, value, ", ".join(allowed), fix + did_you_mean(value, allowed))


def did_you_mean(value: object, allowed: Iterable[str]) -> str:
    """``"; did you mean 'SPOT'?"`` for a string that is one of ``allowed`` but for its case or a typo away from one
    (difflib's closest match, ratio at least 0.6), else ``""``."""
    import difflib

    if not isinstance(value, str) or not value:
        return ""
    allowed = list(allowed)
    same_but_case = [name for name in allowed if name.lower() == value.lower()]
    if same_but_case:
        return f"; did you mean {same_but_case[0]!r}? (the values are case-sensitive)"
    close = difflib.get_close_matches(value.lower(), [name.lower() for name in allowed], n=1)
    if not close:
        return ""
    return f"; did you mean {next(name for name in allowed if name.lower() == close[0])!r}?"
