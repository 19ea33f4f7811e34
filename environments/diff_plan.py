"""What Terraform will plan for a change to the synthesized stacks, from the two configurations alone.

:func:`compare_stack` lists a stack's resources added, removed, replaced (with the order: create-before-destroy or
not) and changed in place. It predicts the plan the way Terraform makes it (:class:`_Planner`): an argument
replaces its resource when it is ForceNew (:data:`~environments.diff_rules.FORCES_REPLACEMENT`, or
:data:`~environments.diff_rules.FORCES_REPLACEMENT_IF` for those that force only for some values) and its value
changes, or refers to something that changes: a replaced resource's computed attributes (a new subnet's ``id``; its
configured arguments stay known), an argument changed in place, an attribute the provider computes again on update,
or a data source read again at apply. ``lifecycle.replace_triggered_by`` replaces, ``create_before_destroy`` (own, or
forced by a dependent) sets the order, ``lifecycle.ignore_changes`` is shown but never planned, and ``moved`` blocks
carry a resource's state to its new address. What each result means (DANGER, DISRUPTIVE, renamed) is
``environments/diff_classify.py``'s.

Usage::

    from environments.diff_plan import compare
    diffs = compare(before, after)   # {stack name: Terraform JSON} on each side -> one StackDiff per stack
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Mapping

from .diff_classify import ResourceDiff, StackDiff, _disruptions, _pair_renames
from .diff_rules import COMPUTED_ON_UPDATE, FORCES_REPLACEMENT, FORCES_REPLACEMENT_IF, UNKNOWN, ForceNewIf, \
    _META_ARGUMENTS
from .diff_values import Change, _bare, _diff_values, _Ref, _refs, _without_meta

# Names with a leading underscore here are shared by the diff_* modules only (the report's own helpers), not an API.


def _covers(argument: str, bare: str) -> bool:
    """Whether a change at ``bare`` (a path without indexes) touches ``argument``: the argument itself, something
    inside it, or a whole block holding it added or removed."""
    return bare == argument or bare.startswith(argument + ".") or argument.startswith(bare + ".")


def _forcing(kind: str, path: str) -> bool:
    """Whether a change at ``path`` replaces a ``kind`` whatever the values (:data:`FORCES_REPLACEMENT`)."""
    bare = _bare(path)
    return any(_covers(argument, bare) for argument in FORCES_REPLACEMENT.get(kind, ()))


def _conditional(kind: str, path: str) -> tuple[str, ForceNewIf] | None:
    """The :data:`FORCES_REPLACEMENT_IF` argument ``path`` lies in (or holds), if any."""
    bare = _bare(path)
    return next(((argument, rule) for argument, rule in FORCES_REPLACEMENT_IF.get(kind, {}).items()
                 if _covers(argument, bare)), None)


def _forces(kind: str, path: str, old: Mapping, new: Mapping, unknown: bool = False) -> bool:
    """Whether this change at ``path`` replaces the resource: a ForceNew argument, or a conditional one whose rule
    holds for the argument's whole value before and after (``unknown``: known only after apply)."""
    if _forcing(kind, path):
        return True
    found = _conditional(kind, path)
    if found is None:
        return False
    argument, rule = found
    before = next(iter(_values_at(old, argument)), None)
    after = UNKNOWN if unknown else next(iter(_values_at(new, argument)), None)
    return rule.forces(before, after, new)


def _ignored(config: Mapping, path: str) -> bool:
    lifecycle = config.get("lifecycle") if isinstance(config, Mapping) else None
    ignore = lifecycle.get("ignore_changes") if isinstance(lifecycle, Mapping) else None
    if ignore == "all":
        return not path.startswith("lifecycle") and path != "depends_on"
    bare = _bare(path)
    return any(bare == _bare(i) or bare.startswith(f"{_bare(i)}.") for i in ignore or ())


def _trigger_ref(item: Any) -> _Ref | None:
    """A ``replace_triggered_by`` entry (``aws_x.y`` or ``aws_x.y.attribute``, with or without ``${}``)."""
    if not isinstance(item, str):
        return None
    text = item.strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1]
    found = _refs("${" + text + "}")
    if found:
        return found[0]
    parts = text.split(".")
    return _Ref(".".join(parts[:2]), "") if len(parts) == 2 else None


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of a resource's configuration with its path (meta-arguments skipped at the top)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "//" or (not path and key in _META_ARGUMENTS):
                continue
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}[{i}]")
    else:
        yield path, value


def _values_at(config: Any, dotted: str) -> Iterator[Any]:
    """The values at ``dotted`` (``vpc_config.subnet_ids``) in ``config``, through nested blocks written as objects
    or as lists of objects."""
    if isinstance(config, list):
        for item in config:
            yield from _values_at(item, dotted)
        return
    if not isinstance(config, Mapping):
        return
    head, _, rest = dotted.partition(".")
    if head not in config:
        return
    if rest:
        yield from _values_at(config[head], rest)
    else:
        yield config[head]


def _resources(stack: Mapping) -> dict[str, tuple[str, Mapping]]:
    found = {}
    for kind, items in (stack.get("resource") or {}).items():
        for name, config in (items or {}).items():
            found[f"{kind}.{name}"] = (kind, config if isinstance(config, Mapping) else {})
    return found


def _construct_path(config: Mapping) -> str:
    meta = config.get("//") if isinstance(config, Mapping) else None
    return str(((meta or {}).get("metadata") or {}).get("path", "")) if isinstance(meta, Mapping) else ""


def _moved(stack: Mapping) -> dict[str, str]:
    """``moved`` blocks (cdktf's ``move_to``): Terraform carries the state from ``from`` to ``to``."""
    moves = stack.get("moved") or []
    return {m["from"]: m["to"] for m in moves if isinstance(m, Mapping) and "from" in m and "to" in m}


def _data_sources(stack: Mapping) -> dict[str, Mapping]:
    found = {}
    for kind, items in (stack.get("data") or {}).items():
        for name, config in (items or {}).items():
            found[f"data.{kind}.{name}"] = config if isinstance(config, Mapping) else {}
    return found


def _depends_on(config: Mapping) -> list[str]:
    return [".".join(str(d).replace("${", "").replace("}", "").split(".")[:3 if str(d).startswith("data.") else 2])
            for d in config.get("depends_on") or () if isinstance(d, str)]


class _Planner:
    """What Terraform plans for each resource of the new configuration, from the two configurations alone: a change
    reaches every resource that refers to a replaced resource's computed attributes (a new subnet's ``id``), to an
    argument that changes, to a data source read again at apply (one that depends on anything changed), or names it
    in ``replace_triggered_by``; where it reaches a ForceNew argument, that resource is replaced too."""

    def __init__(self, old: Mapping[str, tuple[str, Mapping]], new: Mapping[str, tuple[str, Mapping]],
                 old_data: Mapping[str, Mapping], new_data: Mapping[str, Mapping]):
        self.old, self.new, self.new_data = old, new, new_data
        self.status: dict[str, str] = {}          # create | replace | update | none
        self.changed_args: dict[str, set[str]] = {}   # top-level arguments whose value changes (or is unknown)
        self.deferred: dict[str, bool] = {}
        self.changed_data = {a for a in new_data if _without_meta(new_data[a]) != _without_meta(old_data.get(a))}

    def volatile(self, ref: _Ref) -> bool:
        """Whether what ``ref`` points at changes, or is known only after apply."""
        if ref.target.startswith("data."):
            return self.deferred.get(ref.target, False)
        status = self.status.get(ref.target)
        if status is None or status == "none":
            return False
        if status == "create":
            return True
        kind, config = self.new[ref.target]
        args = self.changed_args.get(ref.target, set())
        if not ref.attribute:   # a bare reference: the whole object
            return True
        if status == "replace":   # a new object: its arguments as configured, everything computed unknown
            return ref.attribute not in config or ref.attribute in args
        return (ref.attribute in args or ref.attribute in COMPUTED_ON_UPDATE.get(kind, ())
                or (ref.attribute == "tags_all" and "tags" in args))

    def settle_data(self) -> None:
        """A data source is read again at apply (so all it returns is unknown) once anything it depends on changes;
        one whose own configuration changed returns new values."""
        while True:
            grew = False
            for address, config in self.new_data.items():
                if self.deferred.get(address):
                    continue
                deps = _depends_on(config)
                if (address in self.changed_data or any(self.volatile(r) for r in _refs(config))
                        or any(self.status.get(r.target, "none") != "none" for r in _refs(config))
                        or any(self.status.get(d, "none") != "none" or self.deferred.get(d) for d in deps)):
                    self.deferred[address] = grew = True
            if not grew:
                return


def compare_stack(name: str, before: Mapping | None, after: Mapping | None) -> StackDiff:
    """What changes in stack ``name`` from ``before`` to ``after`` (either may be ``None``: stack added or
    removed)."""
    diff = StackDiff(name, "added" if before is None else "removed" if after is None else "changed")
    old, new = _resources(before or {}), _resources(after or {})
    moves = _moved(after or {})
    renamed_old = {moves.get(a, a): v for a, v in old.items()}   # state moved by a moved block is the same resource
    for address in sorted(set(renamed_old) - set(new)):
        kind, config = renamed_old[address]
        diff.resources.append(ResourceDiff(address, kind, "removed", _construct_path(config)))
    planner = _Planner(renamed_old, new, _data_sources(before or {}), _data_sources(after or {}))
    for address in sorted(set(new) - set(renamed_old)):
        kind, config = new[address]
        diff.resources.append(ResourceDiff(address, kind, "added", _construct_path(config)))
        planner.status[address] = "create"
    changed: dict[str, ResourceDiff] = {}
    for address in sorted(set(new) & set(renamed_old)):
        kind, config = new[address]
        old_config = renamed_old[address][1]
        changes = list(_diff_values(old_config, config))
        planner.status[address] = "none"
        if not changes:
            continue
        for change in changes:
            change.ignored = _ignored(config, change.path)
            change.forces = not change.ignored and _forces(kind, change.path, old_config, config)
        acting = [c for c in changes if not c.ignored and c.path.partition(".")[0] not in _META_ARGUMENTS]
        entry = ResourceDiff(address, kind, "replaced" if any(c.forces for c in changes) else "changed",
                             _construct_path(config), changes)
        changed[address] = entry
        diff.resources.append(entry)
        if acting:
            planner.status[address] = "replace" if entry.action == "replaced" else "update"
            planner.changed_args[address] = {re.split(r"[.\[]", c.path)[0] for c in acting}
    _propagate(planner, diff, changed)
    cbd = _create_before_destroy(new, planner.new_data)
    for r in diff.resources:
        if r.action in ("removed", "replaced"):
            lifecycle = (renamed_old.get(r.address) or (None, {}))[1].get("lifecycle")
            r.prevent_destroy = isinstance(lifecycle, Mapping) and lifecycle.get("prevent_destroy") is True
        if r.action == "replaced":
            r.create_before_destroy = r.address in cbd
    _pair_renames(diff, old, new)
    _disruptions(diff, renamed_old, new)
    for section in ("variable", "output", "provider", "data", "locals", "terraform", "moved", "import"):
        for change in _diff_values((before or {}).get(section), (after or {}).get(section), section):
            (diff.backend_changes if change.path.startswith("terraform.backend") else diff.other).append(change)
    if after is None:
        diff.other.clear()   # a removed stack: its resources say it all
    order = {"removed": 0, "replaced": 1, "added": 2, "changed": 3}
    diff.resources.sort(key=lambda r: (order[r.action], r.address))
    return diff


def _propagate(planner: _Planner, diff: StackDiff, changed: dict[str, ResourceDiff]) -> None:
    """Spread each change to what refers to it, until nothing more changes (see :class:`_Planner`)."""
    seen: dict[str, set[str]] = {}
    while True:
        planner.settle_data()
        grew = False
        for address, (kind, config) in planner.new.items():
            status = planner.status.get(address)
            if status not in ("none", "update"):
                continue
            old_config = planner.old[address][1]
            done = seen.setdefault(address, set())
            for path, value in _leaves(config):
                if path in done or _ignored(config, path):
                    continue
                hit = next((r for r in _refs(value) if planner.volatile(r)), None)
                if hit is None:
                    continue
                done.add(path)
                forces = _forces(kind, path, old_config, config, unknown=True)
                entry = changed.get(address)
                if entry is None:
                    entry = changed[address] = ResourceDiff(address, kind, "changed", _construct_path(config))
                    diff.resources.append(entry)
                known = [c for c in entry.changes if c.path == path]
                if known:
                    known[0].after, known[0].via = UNKNOWN, hit.target
                    known[0].forces = known[0].forces or forces
                else:
                    entry.changes.append(Change(path, value, UNKNOWN, forces=forces, via=hit.target))
                planner.changed_args.setdefault(address, set()).add(re.split(r"[.\[]", path)[0])
                if forces:
                    entry.action, planner.status[address] = "replaced", "replace"
                elif planner.status[address] == "none":
                    planner.status[address] = "update"
                grew = True
                if forces:
                    break
            if planner.status[address] == "replace":
                continue
            lifecycle = config.get("lifecycle") if isinstance(config.get("lifecycle"), Mapping) else {}
            for item in lifecycle.get("replace_triggered_by") or ():
                ref = _trigger_ref(item)
                if ref is None:
                    continue
                triggered = (planner.status.get(ref.target, "none") != "none" if not ref.attribute
                             else planner.volatile(ref))
                if not triggered:
                    continue
                entry = changed.get(address)
                if entry is None:
                    entry = changed[address] = ResourceDiff(address, kind, "changed", _construct_path(config))
                    diff.resources.append(entry)
                entry.changes.append(Change("lifecycle.replace_triggered_by", item, "changes", forces=True,
                                            via=ref.target))
                entry.action, planner.status[address] = "replaced", "replace"
                grew = True
                break
        if not grew:
            return


def _create_before_destroy(new: Mapping[str, tuple[str, Mapping]], data: Mapping[str, Mapping]) -> set[str]:
    """The resources Terraform replaces new-first: its own ``create_before_destroy``, or that of anything that
    depends on it, directly or not (Terraform forces it onto a create-before-destroy resource's dependencies)."""
    configs = {a: c for a, (_, c) in new.items()}
    configs.update(data)
    dependents: dict[str, set[str]] = {}
    for address, config in configs.items():
        for target in {r.target for r in _refs(config)} | set(_depends_on(config)):
            dependents.setdefault(target, set()).add(address)
    own = {a for a, c in configs.items()
           if isinstance(c.get("lifecycle"), Mapping) and c["lifecycle"].get("create_before_destroy") is True}
    result = set()
    for address in new:
        stack, seen = [address], set()
        while stack:
            current = stack.pop()
            if current in own:
                result.add(address)
                break
            for d in dependents.get(current, ()):
                if d not in seen:
                    seen.add(d)
                    stack.append(d)
    return result


def compare(before: Mapping[str, Mapping], after: Mapping[str, Mapping]) -> list[StackDiff]:
    return [compare_stack(name, before.get(name), after.get(name)) for name in sorted(set(before) | set(after))]


__all__ = ["compare", "compare_stack"]
