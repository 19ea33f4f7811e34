"""Alertmanager's routing and inhibition, evaluated without a cluster: which receivers an alert reaches.

No amtool binary can be installed here (none is packaged for PyPI, npm or Debian), so this module implements the
parts of Alertmanager's configuration the tests need, after its documentation and its code (prometheus/alertmanager
``dispatch/route.go`` ``Route.Match``, ``pkg/labels/parse.go``, ``inhibit/inhibit.go``):

- a route matches an alert when every one of its ``matchers`` (and the older ``match``/``match_re`` tables) matches
  the alert's labels, a missing label counting as the empty string; regular expressions are anchored (``^(?:re)$``);
- the tree is walked depth first from the root (which matches every alert): the first matching child is descended
  into, and further siblings are tried only while the matching child has ``continue: true``; a route none of whose
  children match is where the alert ends, with its own (or its nearest parent's) receiver;
- an alert is inhibited when another firing alert matches a rule's ``source_matchers``, the alert matches its
  ``target_matchers``, and both have the same values (or both lack them) for every label in ``equal``; an alert
  that matches both sides of a rule cannot be inhibited through that rule by one that does too.

Usage::

    receivers = route(config["route"], {"alertname": "KubePodCrashLooping", "severity": "warning"})
    # ["notify"]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence

_MATCHER = re.compile(r'^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$')


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        got = labels.get(self.name, "")
        if self.op in ("=~", "!~"):
            found = re.fullmatch(f"(?:{self.value})", got) is not None
            return found if self.op == "=~" else not found
        return (got == self.value) if self.op == "=" else (got != self.value)


def parse_matcher(text: str) -> Matcher:
    """``name op value``; the value may be double-quoted (with ``\\"`` and ``\\\\`` escapes) or bare."""
    found = _MATCHER.match(text)
    if not found:
        raise ValueError(f"not an Alertmanager matcher: {text!r}")
    name, op, value = found.groups()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = re.sub(r'\\(.)', r'\1', value[1:-1])
    elif '"' in value:
        raise ValueError(f"unbalanced quotes in matcher: {text!r}")
    return Matcher(name, op, value)


def matchers_of(node: Mapping, key: str = "matchers") -> list[Matcher]:
    """A route's (or an inhibit rule side's) matchers, the older ``match``/``match_re`` tables included."""
    found = [parse_matcher(m) for m in node.get(key) or ()]
    prefix = "" if key == "matchers" else key.removesuffix("_matchers") + "_"
    found += [Matcher(k, "=", v) for k, v in (node.get(f"{prefix}match") or {}).items()]
    found += [Matcher(k, "=~", v) for k, v in (node.get(f"{prefix}match_re") or {}).items()]
    return found


def _walk(node: Mapping, labels: Mapping[str, str], receiver: str) -> list[str]:
    receiver = node.get("receiver", receiver)
    reached: list[str] = []
    for child in node.get("routes") or ():
        if all(m.matches(labels) for m in matchers_of(child)):
            reached += _walk(child, labels, receiver)
            if not child.get("continue", False):
                break
    return reached or [receiver]


def route(root: Mapping, labels: Mapping[str, str]) -> list[str]:
    """The receivers an alert with ``labels`` is sent to, in order (the root matches every alert)."""
    if "receiver" not in root:
        raise ValueError("the root route must name a receiver")
    return _walk(root, labels, root["receiver"])


def inhibited(rules: Sequence[Mapping], alert: Mapping[str, str], firing: Sequence[Mapping[str, str]]) -> bool:
    """Whether ``alert`` is muted by one of the other ``firing`` alerts through one of the inhibit ``rules``."""
    for rule in rules:
        sources, targets = matchers_of(rule, "source_matchers"), matchers_of(rule, "target_matchers")
        if not all(m.matches(alert) for m in targets):
            continue
        alert_is_source = all(m.matches(alert) for m in sources)
        for other in firing:
            if other is alert or not all(m.matches(other) for m in sources):
                continue
            if alert_is_source and all(m.matches(other) for m in targets):
                continue  # both sides on both: they cannot inhibit each other
            if all(alert.get(label, "") == other.get(label, "") for label in rule.get("equal") or ()):
                return True
    return False


def deliveries(config: Mapping, alert: Mapping[str, str], firing: Sequence[Mapping[str, str]] = ()
               ) -> list[str]:
    """Where ``alert`` is really sent while ``firing`` also fire: its receivers that have something to send to
    (a receiver without any ``*_configs`` is a null receiver), or nothing when it is inhibited."""
    if inhibited(config.get("inhibit_rules") or (), alert, firing):
        return []
    receivers = {r["name"]: r for r in config["receivers"]}
    return [name for name in route(config["route"], alert)
            if any(key.endswith("_configs") and receivers[name][key] for key in receivers[name])]


__all__ = ["Matcher", "deliveries", "inhibited", "matchers_of", "parse_matcher", "route"]
