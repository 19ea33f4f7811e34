"""What the commands of ``environments/`` share on the command line: one exit status for a usage error.

    from environments.cli import parsed
    args = parsed(parser, argv)
    if isinstance(args, int):
        return args           # 0 after --help, 1 after a usage error (argparse printed why)
"""

from __future__ import annotations

import argparse
from typing import Sequence


def parsed(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace | int:
    """``parser.parse_args(argv)``, or the command's exit status instead of argparse's ``SystemExit``: 0 after
    ``--help``, 1 after a usage error (argparse's own 2 would read as "a rollback failed" in the rollout's statuses;
    every command of environments/ says 1)."""
    try:
        return parser.parse_args(argv)
    except SystemExit as exit_:
        return 0 if exit_.code == 0 else 1


def named(parser: argparse.ArgumentParser, argv: Sequence[str], dest: str, default: str) -> str:
    """The value ``parser`` reads for ``dest`` from ``argv`` (unknown arguments ignored), else ``default``: for a
    message about a command that failed after parsing (an option's value is never taken for it)."""
    import contextlib
    import io

    try:
        with contextlib.redirect_stderr(io.StringIO()):  # (argparse's own message would say the wrong thing here)
            return getattr(parser.parse_known_args(list(argv))[0], dest, None) or default
    except SystemExit:  # argparse's own error: the value is not known
        return default
