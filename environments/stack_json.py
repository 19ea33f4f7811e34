"""Reading the Terraform JSON the synth writes (``cdktf.out/stacks/<stack>/cdk.tf.json``): resources by type, the
references between them (``${type.name.attribute}``), tags, log retention.

Usage::

    for name, subnet in resources(stack, "aws_subnet"):
        nat_subnet = ref(nat["subnet_id"])   # ("aws_subnet", "network_public-0_A4E682E0")
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping

_REF = re.compile(r"^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.[a-z_]+\}$")


def resources(stack: Mapping, kind: str) -> list[tuple[str, dict]]:
    """``(name, body)`` of every resource of ``kind`` in a synthesized stack, by name."""
    return sorted(stack.get("resource", {}).get(kind, {}).items())


def ref(value: object) -> tuple[str, str] | None:
    """``(type, name)`` of a reference ``${type.name.attribute}``, else None."""
    match = _REF.match(value) if isinstance(value, str) else None
    return (match.group(1), match.group(2)) if match else None


def refs(values: Iterable[object]) -> list[tuple[str, str]]:
    """:func:`ref` of each of ``values`` that is a reference."""
    return [r for r in map(ref, values) if r is not None]


def tag(body: Mapping, key: str, default: str = "") -> str:
    """A resource's tag ``key`` (``default`` when it has none)."""
    return str((body.get("tags") or {}).get(key, default))


def retention(stack: Mapping, names: Iterable[tuple[str, str]]) -> str:
    """The shortest retention of the referenced log groups, in days: "never expires" when none sets one, "—" when
    none of them is in the stack."""
    groups = dict(resources(stack, "aws_cloudwatch_log_group"))
    days = [groups[n].get("retention_in_days") or 0 for t, n in names if t == "aws_cloudwatch_log_group" and n in groups]
    if not days:
        return "—"
    shortest = min(days, key=lambda d: d or float("inf"))  # 0: kept for ever, the longest
    return "never expires" if shortest == 0 else str(shortest)


def lifecycle(body: Mapping) -> Mapping:
    """A resource's Terraform ``lifecycle`` block (empty when it has none)."""
    return body.get("lifecycle") or {}
