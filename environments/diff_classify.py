"""What a change to the synthesized stacks means: DANGER, DISRUPTIVE, a likely renamed construct ID, the exit status.

The planner (``environments/diff_plan.py``) says what Terraform does to each resource (added, removed, replaced,
changed in place); this module says what that means for the people who merge it:

- **DANGER** (:attr:`ResourceDiff.dangerous`): a stateful or identity-bearing resource
  (:data:`~environments.diff_rules.STATEFUL_TYPES`) destroyed or replaced, or its identity changed in place; for a
  stack (:func:`dangerous`), also a changed state location or a removed stack. Exit status 2 (:func:`exit_status`).
- **DISRUPTIVE** (:func:`_disruptions`): nothing destroyed, but downtime or a surprise: an RDS restart or fail-over,
  static parameters waiting for a reboot, a cluster's only node group replaced destroy-first, a colour's Helm
  release changed, a listener replaced. Listed, never a gate.
- **likely renamed** (:func:`_pair_renames`): a removed and an added resource of one type with the same name or the
  same configuration: a construct ID renamed by accident.

Usage::

    from environments.diff_plan import compare
    from environments.diff_classify import exit_status
    status = exit_status(compare(before, after))   # 2 when anything stateful is destroyed or replaced
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from .diff_rules import DB_RESTARTING, IDENTITY_IN_PLACE, NAME_ARGUMENTS, STATEFUL_TYPES
from .diff_values import Change, _describe, _references, _without_meta

# Names with a leading underscore here are shared by the diff_* modules only (the report's own helpers), not an API.


@dataclass
class ResourceDiff:
    address: str
    type: str
    action: str                  # added | removed | replaced | changed
    path: str = ""               # the construct path (from cdktf's metadata)
    changes: list[Change] = field(default_factory=list)
    renamed_from: str = ""       # for an added resource that is probably a renamed removed one
    renamed_to: str = ""
    prevent_destroy: bool = False   # lifecycle.prevent_destroy (before): Terraform refuses a plan destroying it
    create_before_destroy: bool = False   # replaced new-first (its own lifecycle, or one of what depends on it)
    disruptions: list[str] = field(default_factory=list)   # why this is DISRUPTIVE (see _disruptions)

    @property
    def stateful(self) -> bool:
        return self.type in STATEFUL_TYPES

    @property
    def identity_change(self) -> list[Change]:
        return [c for c in self.changes if c.path in IDENTITY_IN_PLACE.get(self.type, ()) and not c.ignored]

    @property
    def dangerous(self) -> bool:
        if not self.stateful:
            return False
        return self.action in ("removed", "replaced") or bool(self.identity_change)

    @property
    def disruptive(self) -> bool:
        return bool(self.disruptions) and not self.dangerous

    @property
    def order(self) -> str:
        """How Terraform replaces it: ``create-before-destroy`` or ``destroy-before-create`` ("" if not replaced)."""
        if self.action != "replaced":
            return ""
        return "create-before-destroy" if self.create_before_destroy else "destroy-before-create"

    def as_json(self) -> dict:
        data: dict[str, Any] = {"address": self.address, "type": self.type, "action": self.action,
                                "construct_path": self.path, "stateful": self.stateful, "dangerous": self.dangerous,
                                "disruptive": self.disruptive}
        if self.order:
            data["order"] = self.order
        if self.disruptions:
            data["disruptions"] = list(self.disruptions)
        if self.prevent_destroy:
            data["prevent_destroy"] = True
        if self.changes:
            data["changes"] = [c.as_json() for c in self.changes]
        if self.renamed_to:
            data["likely_renamed_to"] = self.renamed_to
        if self.renamed_from:
            data["likely_renamed_from"] = self.renamed_from
        return data


@dataclass
class StackDiff:
    name: str
    status: str = "changed"      # added | removed | changed
    resources: list[ResourceDiff] = field(default_factory=list)
    other: list[Change] = field(default_factory=list)   # variables, outputs, providers, backend, data sources
    backend_changes: list[Change] = field(default_factory=list)

    def of(self, action: str) -> list[ResourceDiff]:
        return [r for r in self.resources if r.action == action]

    @property
    def danger(self) -> list[ResourceDiff]:
        return [r for r in self.resources if r.dangerous]

    @property
    def disruptive(self) -> list[ResourceDiff]:
        return [r for r in self.resources if r.disruptive]

    @property
    def renames(self) -> list[ResourceDiff]:
        return [r for r in self.resources if r.renamed_to]

    @property
    def empty(self) -> bool:
        return not self.resources and not self.other and not self.backend_changes

    def as_json(self) -> dict:
        return {"stack": self.name, "status": self.status,
                "counts": {a: len(self.of(a)) for a in ("added", "removed", "replaced", "changed")},
                "danger": [r.address for r in self.danger], "disruptive": [r.address for r in self.disruptive],
                "likely_renames": [{"removed": r.address, "added": r.renamed_to} for r in self.renames],
                "backend_changes": [c.as_json() for c in self.backend_changes],
                "resources": [r.as_json() for r in self.resources], "other": [c.as_json() for c in self.other]}


_COLOUR = re.compile(r"(?:^|[-_])(blue|green)$")


def _disruptions(diff: StackDiff, old: Mapping[str, tuple[str, Mapping]],
                 new: Mapping[str, tuple[str, Mapping]]) -> None:
    """Mark what is not destroyed but causes downtime or a surprise (DISRUPTIVE): an RDS instance restarted or failed
    over (now, or in the maintenance window: ``apply_immediately``), static parameters waiting for a reboot, a
    cluster's only node group replaced destroy-first, a colour's Helm release changed (the report cannot know which
    colour is live), a listener replaced (seconds without it; a weighted forward back at the configuration's
    weights)."""
    node_groups: dict[str, int] = {}
    for kind, config in new.values():
        if kind == "aws_eks_node_group":
            node_groups[str(config.get("cluster_name"))] = node_groups.get(str(config.get("cluster_name")), 0) + 1
    for r in diff.resources:
        config = (new.get(r.address) or old.get(r.address) or (None, {}))[1]
        acting = [c for c in r.changes if not c.ignored]
        if r.type == "aws_db_instance" and r.action == "changed":
            restarts = [c for c in acting if c.path in DB_RESTARTING]
            if restarts:
                now = config.get("apply_immediately") is True
                effect = ("it fails over to its standby (about a minute of refused connections)"
                          if config.get("multi_az") is True else
                          "the single-AZ instance is unavailable for several minutes")
                when = (f"applied during the deploy (`apply_immediately`): {effect}" if now else
                        f"not applied by the deploy: RDS applies it in the next maintenance window "
                        f"(`{config.get('maintenance_window', 'its maintenance window')}`), when {effect}; "
                        f"Terraform reports it done meanwhile (set `apply_immediately` to apply it now)")
                what = "; ".join(f"{DB_RESTARTING[c.path]} (`{c.path}`: {_describe(c)})" for c in restarts)
                r.disruptions.append(f"{what}: {when}")
        if r.type == "aws_db_parameter_group" and r.action == "changed":
            waiting = _static_parameters(old.get(r.address, (None, {}))[1], config)
            if waiting:
                r.disruptions.append(f"static parameters {', '.join(f'`{p}`' for p in waiting)} change: they take "
                                     f"effect only at the next reboot of every instance using the group (RDS "
                                     f"shows `pending-reboot`; nothing reboots it for you)")
        if r.type == "aws_eks_node_group" and r.action == "replaced" and not r.create_before_destroy \
                and node_groups.get(str(config.get("cluster_name")), 0) <= 1:
            r.disruptions.append("the cluster's only node group, replaced destroy-first: every pod is evicted and "
                                 "nothing runs until the new group's nodes join (minutes)")
        if r.type == "helm_release" and r.action in ("changed", "replaced", "removed") and (
                acting or r.action != "changed"):
            colour = _COLOUR.search(str(config.get("name", "")))
            if colour:
                how = {"changed": "upgraded in place: its pods roll",
                       "replaced": "uninstalled, then installed again: it serves nothing in between",
                       "removed": "uninstalled"}[r.action]
                r.disruptions.append(f"if {colour.group(1)} is live: its release is {how}, under live traffic "
                                     f"(release to the idle colour, or move traffic off {colour.group(1)} first)")
        if r.type == "aws_lb_listener" and r.action == "replaced":
            port = config.get("port", "?")
            text = (f"the listener on port {port} is destroyed and created again: for seconds nothing answers there"
                    if not r.create_before_destroy else
                    f"the listener on port {port} is replaced create-before-destroy: the new one cannot take the "
                    f"port while the old one holds it, so the apply fails")
            weights = _forward_weights(config, new)
            if weights:
                text += (f"; it comes back at the configuration's weights ({weights}), whatever a release set: "
                         f"check `python -m environments.rollout status` afterwards")
            r.disruptions.append(text)


def _static_parameters(before: Mapping, after: Mapping) -> list[str]:
    """Names of ``pending-reboot`` parameters added, changed or removed."""
    def table(config: Mapping) -> dict[str, Mapping]:
        items = config.get("parameter") or []
        return {str(p.get("name")): p for p in (items if isinstance(items, list) else [items])
                if isinstance(p, Mapping)}
    old, new = table(before), table(after)
    return sorted(name for name in set(old) | set(new)
                  if _without_meta(old.get(name)) != _without_meta(new.get(name))
                  and "pending-reboot" in (str((old.get(name) or {}).get("apply_method")),
                                           str((new.get(name) or {}).get("apply_method"))))


def _forward_weights(config: Mapping, new: Mapping[str, tuple[str, Mapping]]) -> str:
    """``blue 100 / green 0``: a listener's configured forward weights, each target group by its colour tag."""
    parts = []
    for action in _as_list(config.get("default_action")):
        forward = action.get("forward") if isinstance(action, Mapping) else None
        for forward in _as_list(forward):
            for group in _as_list(forward.get("target_group") if isinstance(forward, Mapping) else None):
                if not isinstance(group, Mapping) or "weight" not in group:
                    continue
                target = next(iter(_references(group.get("arn"))), "")
                tags = (new.get(target) or (None, {}))[1].get("tags") or {}
                label = tags.get("vtc/colour") if isinstance(tags, Mapping) else None
                parts.append(f"{label or target or group.get('arn')} {group['weight']}")
    return " / ".join(parts)


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def _pair_renames(diff: StackDiff, old: Mapping, new: Mapping) -> None:
    """Pair each removed resource with an added one of its type carrying the same name, or else the same
    configuration: a renamed construct ID, which Terraform destroys and creates."""
    added = [r for r in diff.resources if r.action == "added"]
    for removed in (r for r in diff.resources if r.action == "removed"):
        config = old[removed.address][1]
        name, body = _name_of(config), _without_meta(config)
        for candidate in added:
            if candidate.type != removed.type or candidate.renamed_from:
                continue
            other = new[candidate.address][1]
            if (name is not None and _name_of(other) == name) or _without_meta(other) == body:
                removed.renamed_to, candidate.renamed_from = candidate.address, removed.address
                break


def _name_of(config: Mapping) -> Any:
    for argument in NAME_ARGUMENTS:
        value = config.get(argument)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
            return argument, value
    return None


def dangerous(diffs: Sequence[StackDiff]) -> bool:
    return any(d.danger or d.backend_changes or (d.status == "removed" and d.resources) for d in diffs)


def disruptive(diffs: Sequence[StackDiff]) -> bool:
    return any(d.disruptive for d in diffs)


def exit_status(diffs: Sequence[StackDiff]) -> int:
    """2 for DANGER; DISRUPTIVE alone is 0 (it is listed right after DANGER, and in the JSON's ``disruptive``): a
    restart in the maintenance window or a colour's release upgrade is routine work to schedule, not to gate."""
    return 2 if dangerous(diffs) else 0


__all__ = ["ResourceDiff", "StackDiff", "dangerous", "disruptive", "exit_status"]
