"""Read one fact out of `python -m environments.rollout status <env> --json` for a workflow's shell step.

    python .github/actions/rollout-tools/release_state.py STATUS_JSON live|idle|unfinished|weight COLOUR

Prints the live colour, the idle colour (the one the listener gives 0 %), the id of the unfinished release (empty
when there is none), or the colour's weight. Exit 1, with the reason on stderr, when the fact is missing or not of
the expected shape: the workflows then refuse to go on rather than guess (the listener, not the environment files,
says which colour is live).
"""

from __future__ import annotations

import json
import sys

COLOURS = ("blue", "green")


def unfinished_release(status: dict) -> str:
    """The id of the unfinished release: `unfinished` is null/empty, the id itself, or a record naming it."""
    unfinished = status.get("unfinished")
    if not unfinished:
        return ""
    if isinstance(unfinished, str):
        return unfinished
    if isinstance(unfinished, dict):
        for key in ("release", "id", "release_id"):
            if isinstance(unfinished.get(key), str) and unfinished[key]:
                return unfinished[key]
        raise ValueError(f"an unfinished release without an id: {unfinished!r}")
    raise ValueError(f"unfinished is neither null, an id nor a record: {unfinished!r}")


def fact(status: dict, name: str, *args: str) -> str:
    if name in ("live", "idle"):
        colour = status.get(name)
        if colour not in COLOURS:
            raise ValueError(f"no {name} colour (got {colour!r}; weights {status.get('weights')!r})")
        return colour
    if name == "unfinished":
        return unfinished_release(status)
    if name == "weight" and len(args) == 1 and args[0] in COLOURS:
        weight = (status.get("weights") or {}).get(args[0])
        if not isinstance(weight, int) or isinstance(weight, bool):
            raise ValueError(f"no weight for {args[0]} (weights {status.get('weights')!r})")
        return str(weight)
    raise ValueError(f"unknown fact {name} {' '.join(args)}")


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 1
    try:
        with open(argv[0], encoding="utf-8") as f:
            status = json.load(f)
        print(fact(status, argv[1], *argv[2:]))
    except (OSError, ValueError, AttributeError) as error:
        print(f"release_state: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
