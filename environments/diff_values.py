"""A changed value in a synthesized stack: where two configurations differ, what they refer to, how a change reads.

:class:`Change` is one attribute path whose value differs (``vpc_config.subnet_ids[1]``); :func:`_diff_values`
finds every one between two values; :func:`_refs` reads the references in Terraform expressions (``${aws_vpc.main.id}``)
that carry a change from one resource to another; :func:`_describe` says ``before → after`` in a line, a long value
by the part that differs. The planner (``environments/diff_plan.py``), the classification
(``environments/diff_classify.py``) and the report (``environments/diff_report.py``) all build on these.

Usage::

    from environments.diff_values import _describe, _diff_values
    [_describe(c) for c in _diff_values({"port": 80}, {"port": 443})]   # ['`80` → `443`']
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from .diff_rules import UNKNOWN

# Names with a leading underscore here are shared by the diff_* modules only (the report's own helpers), not an API.


@dataclass
class Change:
    """One attribute path whose configured value differs; ``before``/``after`` are absent as ``None``; ``after`` is
    :data:`UNKNOWN` where a reference makes the value known only after apply."""
    path: str
    before: Any
    after: Any
    forces: bool = False        # this path forces replacement (or refers to something replaced)
    ignored: bool = False       # under lifecycle.ignore_changes: Terraform will not act on it
    via: str = ""               # the replaced or changed resource a reference points at

    def as_json(self) -> dict:
        data = {"path": self.path, "before": self.before, "after": self.after}
        if self.forces:
            data["forces_replacement"] = True
        if self.ignored:
            data["ignored_by_lifecycle"] = True
        if self.via:
            data["through"] = self.via
        return data


def _diff_values(before: Any, after: Any, path: str = "") -> Iterator[Change]:
    """Every leaf path where ``before`` and ``after`` differ (``//`` metadata keys skipped); lists of different
    lengths are one change at the list's path."""
    if before == after:
        return
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(set(before) | set(after), key=str):
            if key == "//":
                continue
            sub = f"{path}.{key}" if path else str(key)
            yield from _diff_values(before.get(key), after.get(key), sub)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (b, a) in enumerate(zip(before, after)):
            yield from _diff_values(b, a, f"{path}[{i}]")
    else:
        yield Change(path, before, after)


def _bare(path: str) -> str:
    """``vpc_config[0].subnet_ids[2]`` -> ``vpc_config.subnet_ids``."""
    return re.sub(r"\[\d+\]", "", path)


def _without_meta(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_meta(v) for k, v in value.items() if k != "//"}
    if isinstance(value, list):
        return [_without_meta(v) for v in value]
    return value


def _parsed(document: Any) -> Any:
    if not isinstance(document, str):
        return document
    try:
        return json.loads(document)
    except ValueError:
        return document


#: A reference in a Terraform expression: ``[data.]type.name`` and the attribute path after it.
_REFERENCE = re.compile(r"(?<![\w.])((?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][A-Za-z0-9_-]*)"
                        r"((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*)")


@dataclass(frozen=True)
class _Ref:
    """``type.name.attribute...`` in an expression (``data.type.name...`` for a data source)."""
    target: str       # aws_vpc.main, data.aws_iam_policy_document.x
    attribute: str    # the first attribute after the name ("id"); "" for a bare reference


def _refs(value: Any) -> list[_Ref]:
    """Every reference in ``value``'s expressions (``${...}``), in order."""
    found: list[_Ref] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key != "//":
                found += _refs(item)
    elif isinstance(value, list):
        for item in value:
            found += _refs(item)
    elif isinstance(value, str) and "${" in value:
        for kind, name, rest in _REFERENCE.findall(value):
            attribute = rest.lstrip(".").partition(".")[0].partition("[")[0]
            found.append(_Ref(f"{kind}.{name}", attribute))
    return found


def _references(value: Any) -> set[str]:
    """The managed resources ``value`` refers to."""
    return {r.target for r in _refs(value) if not r.target.startswith("data.")}


#: Longer values are shown by the part that differs (with this many characters of context each side).
SHOW_LIMIT = 120


_CONTEXT = 40


def _text(value: Any) -> str:
    value = _without_meta(value)   # cdktf's "//" metadata says nothing about the change
    text = "(absent)" if value is None else value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text.replace("\n", " ")


def _show(value: Any, limit: int = SHOW_LIMIT) -> str:
    text = _text(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _code(value: Any) -> str:
    return _code_text(_show(value))


def _code_text(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _describe(change: Change, depth: int = 0) -> str:
    """``before → after`` for one change; where either side is long, only the part that differs: the differing
    paths inside a JSON document (a policy), the items removed and added in a list, or the differing substring with
    some context each side."""
    before, after = _without_meta(change.before), _without_meta(change.after)
    if after == UNKNOWN or (len(_text(before)) <= SHOW_LIMIT and len(_text(after)) <= SHOW_LIMIT) or depth > 2:
        return f"{_code(before)} → {_code(after)}"
    documents = _parsed(before), _parsed(after)
    if all(isinstance(d, (Mapping, list)) for d in documents) and (isinstance(before, str) or
                                                                   isinstance(before, Mapping)):
        inner = list(_diff_values(*documents))
        shown = "; ".join(f"at `{c.path or '(top)'}`: {_describe(c, depth + 1)}" for c in inner[:3])
        return shown + (f" (and {len(inner) - 3} more differences)" if len(inner) > 3 else "")
    if isinstance(before, list) and isinstance(after, list):
        removed = [x for x in before if x not in after]
        added = [x for x in after if x not in before]
        parts = [f"{label} {', '.join(_code(x) for x in items[:5])}{' …' if len(items) > 5 else ''}"
                 for label, items in (("removed", removed), ("added", added)) if items]
        return f"{len(before)} → {len(after)} items: {'; '.join(parts) or 'the same items, reordered'}"
    a, b = _text(before), _text(after)
    return f"{_code_text(_window(a, b))} → {_code_text(_window(b, a))}"


def _window(text: str, other: str) -> str:
    """The part of ``text`` that differs from ``other``, with :data:`_CONTEXT` characters each side (``…`` where it
    is cut)."""
    prefix = 0
    while prefix < min(len(text), len(other)) and text[prefix] == other[prefix]:
        prefix += 1
    suffix = 0
    while (suffix < min(len(text), len(other)) - prefix
           and text[len(text) - 1 - suffix] == other[len(other) - 1 - suffix]):
        suffix += 1
    start, end = max(0, prefix - _CONTEXT), min(len(text), len(text) - suffix + _CONTEXT)
    middle = text[start:end]
    if len(middle) > 2 * SHOW_LIMIT:
        middle = middle[:2 * SHOW_LIMIT - 1] + "…"
    return ("…" if start > 0 else "") + middle + ("…" if end < len(text) else "")


__all__ = ["Change", "SHOW_LIMIT"]
