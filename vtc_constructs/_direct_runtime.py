"""Start jsii's kernel as one Node process that Python talks to directly (no relay process in between).

jsii's Python side starts ``node <jsii>/bin/jsii-runtime.js``, which spawns the actual kernel (``lib/program.js``)
as a second Node process and relays every message between Python's pipes and the kernel's descriptor 3. A synth
makes ~600 calls per environment; the relay costs ~0.1 ms of each (measured: 230 us against 127 us per trivial call)
and one more Node process (~45 MB). jsii honours ``JSII_RUNTIME``: :func:`direct_runtime` points it, for the moment
jsii starts, at ``_jsii_direct_runtime.js``, which runs a private copy of the same kernel program with its channel on
stdin/stdout and wraps console output exactly as the relay does. Same kernel, same messages, same output (tested).

Not used when the caller set ``JSII_RUNTIME`` themselves, or with ``VTC_JSII_DIRECT=0``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from contextlib import ExitStack, contextmanager
from importlib import resources
from pathlib import Path
from typing import Iterator

from ._process_env import environ, node_options

DIRECT_RUNTIME = Path(__file__).with_name("_jsii_direct_runtime.js")
# jsii's embedded runtime files (resource name in the jsii wheel -> the file name the kernel expects beside it).
_KERNEL_FILES = {"lib__program.js": "program.js", "lib__runtime-index-worker.js": "runtime-index-worker.js"}


def enabled() -> bool:
    return os.environ.get("VTC_JSII_DIRECT", "1") != "0" and "JSII_RUNTIME" not in os.environ


@contextmanager
def direct_runtime() -> Iterator[None]:
    """While jsii starts inside this block, it starts the kernel directly (see the module docstring)."""
    if not enabled():
        yield
        return
    program = _private_kernel_copy()
    with ExitStack() as stack:
        stack.enter_context(environ("JSII_RUNTIME", str(DIRECT_RUNTIME)))
        stack.enter_context(environ("VTC_JSII_PROGRAM", str(program)))
        # What jsii's relay passes on the kernel's command line; a runtime file cannot set it for Node's loader.
        stack.enter_context(node_options("--preserve-symlinks"))
        yield


def _private_kernel_copy() -> Path:
    """Copy jsii's kernel program out of the jsii package into a private folder removed at exit.

    jsii does the same with its own runtime files on every start; the kernel needs a real file (it starts a worker
    thread from the file beside it).
    """
    import jsii._embedded.jsii as embedded

    folder = Path(tempfile.mkdtemp(prefix="vtc-jsii-kernel-"))
    # Registered before jsii starts, so it runs after jsii's own exit handler has stopped the Node process.
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for resource, name in _KERNEL_FILES.items():
        (folder / name).write_bytes(resources.files(embedded).joinpath(resource).read_bytes())
    return folder / "program.js"
