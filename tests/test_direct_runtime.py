"""jsii's kernel runs as one Node process that Python talks to directly (vtc_constructs/_direct_runtime.py)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tooling.paths import tool_env
from vtc_constructs._direct_runtime import DIRECT_RUNTIME
from vtc_constructs._lazy_provider import NODE_HOOK


def _descendants() -> list[tuple[int, list[str]]]:
    """(pid, argv) of every descendant process of this test process."""
    found, stack = [], [os.getpid()]
    while stack:
        pid = stack.pop()
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                for child in map(int, handle.read().split()):
                    stack.append(child)
                    argv = Path(f"/proc/{child}/cmdline").read_bytes().decode().split("\0")
                    found.append((child, argv))
    return found


def test_this_session_runs_the_kernel_directly_with_the_hook_and_restores_the_environment():
    processes = _descendants()
    # node is started through the venv's `node` launcher (a Python script that runs the real binary), so the
    # runtime file shows up in both; what matters is that the real Node process runs it and nothing relays.
    direct = [(pid, argv) for pid, argv in processes if str(DIRECT_RUNTIME) in argv and Path(argv[0]).name == "node"]
    assert len(direct) == 1, processes
    assert not [argv for _, argv in processes if any(a.endswith(("jsii-runtime.js", "program.js")) for a in argv)]
    environ = Path(f"/proc/{direct[0][0]}/environ").read_bytes().split(b"\0")
    options = next(e for e in environ if e.startswith(b"NODE_OPTIONS=")).decode().split()
    assert "--preserve-symlinks" in options and str(NODE_HOOK) in " ".join(options), options
    for name in ("JSII_RUNTIME", "VTC_JSII_PROGRAM"):
        assert name not in os.environ
    assert "--preserve-symlinks" not in os.environ.get("NODE_OPTIONS", "")


FAKE_KERNEL = """
const channel = {readFD:3,writeFD:3};
console.log("console.log from a library");
process.stderr.write("a warning\\n");
const line = require("fs").readFileSync(channel.readFD, "utf8");
require("fs").writeSync(channel.writeFD, JSON.stringify({got: line.trim(), execArgv: process.execArgv}) + "\\n");
"""


def _run(tmp_path: Path, program: str | None, node_options: str = "--preserve-symlinks") -> subprocess.CompletedProcess:
    env = tool_env(NODE_OPTIONS=node_options)
    if program is not None:
        (tmp_path / "program.js").write_text(program)
        env["VTC_JSII_PROGRAM"] = str(tmp_path / "program.js")
    return subprocess.run([shutil.which("node", path=env["PATH"]), str(DIRECT_RUNTIME)], input=b'{"ping":1}\n',
                          capture_output=True, env=env, timeout=60)


def test_the_channel_is_stdin_and_stdout_and_console_output_is_wrapped_as_jsii_expects(tmp_path):
    result = _run(tmp_path, FAKE_KERNEL)
    assert result.returncode == 0, result.stderr
    # stdout carries nothing but the protocol...
    reply = json.loads(result.stdout)
    assert reply["got"] == '{"ping":1}'
    assert "--preserve-symlinks" in reply["execArgv"]
    # ...and console output arrives on stderr as the JSON lines jsii's Python side decodes (as jsii's relay does).
    lines = [json.loads(line) for line in result.stderr.decode().splitlines()]
    assert lines == [{"stdout": base64.b64encode(b"console.log from a library\n").decode()},
                     {"stderr": base64.b64encode(b"a warning\n").decode()}]


@pytest.mark.parametrize("program, node_options, message", [
    ("const other = {readFD:4,writeFD:4};", "--preserve-symlinks",
     "expected the channel setup 'readFD:3,writeFD:3' exactly once, found it 0 times"),
    (FAKE_KERNEL + FAKE_KERNEL, "--preserve-symlinks", "found it 2 times"),
    (FAKE_KERNEL, "", "NODE_OPTIONS must contain --preserve-symlinks"),
    (None, "--preserve-symlinks", "VTC_JSII_PROGRAM does not name jsii's kernel program"),
])
def test_an_unexpected_kernel_or_setup_fails_loudly_and_names_the_escape_hatch(tmp_path, program, node_options,
                                                                               message):
    result = _run(tmp_path, program, node_options)
    assert result.returncode == 70
    assert message in result.stderr.decode()
    assert "VTC_JSII_DIRECT=0" in result.stderr.decode()
    assert result.stdout == b""


TREE = """
import os, vtc_constructs
argvs, stack = [], [os.getpid()]
while stack:
    pid = stack.pop()
    for task in os.listdir(f"/proc/{pid}/task"):
        for child in open(f"/proc/{pid}/task/{task}/children").read().split():
            stack.append(int(child))
            argvs.append(open(f"/proc/{child}/cmdline").read())
print(repr(argvs))
"""


def test_with_the_escape_hatch_jsii_starts_its_own_relay_and_kernel():
    result = subprocess.run(["python", "-c", TREE], capture_output=True, text=True, timeout=120,
                            env=tool_env(VTC_JSII_DIRECT="0"))
    assert result.returncode == 0, result.stderr
    assert "jsii-runtime.js" in result.stdout and "program.js" in result.stdout
    assert str(DIRECT_RUNTIME) not in result.stdout


def test_a_caller_s_own_jsii_runtime_is_respected(monkeypatch):
    from vtc_constructs import _direct_runtime

    assert _direct_runtime.enabled()
    monkeypatch.setenv("JSII_RUNTIME", "/somewhere/else.js")
    assert not _direct_runtime.enabled()
    monkeypatch.delenv("JSII_RUNTIME")
    monkeypatch.setenv("VTC_JSII_DIRECT", "0")
    assert not _direct_runtime.enabled()
