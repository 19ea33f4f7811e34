"""Environment variables set for the moment jsii starts its Node process (jsii copies ``os.environ`` then)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def environ(name: str, value: str) -> Iterator[None]:
    """``os.environ[name] = value`` inside the block; the previous value (or its absence) afterwards."""
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


def node_options(option: str):
    """``option`` appended to ``NODE_OPTIONS`` inside the block."""
    previous = os.environ.get("NODE_OPTIONS")
    return environ("NODE_OPTIONS", f"{previous} {option}" if previous else option)
