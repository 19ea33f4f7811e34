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

from dataclasses import dataclass
from typing import Iterable


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
        return f"{self.path}: {self.what} (got {self.got!r}); allowed: {self.allowed}; fix: {self.fix}"


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
