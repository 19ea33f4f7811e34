"""The README and the guides (docs/guides/*.md) are true as written.

Every fenced code block says on the line before it how it is checked (docs/guides/testing.md, "The documentation's
code"), in an HTML comment:

- ``<!-- test: run -->``: run here. A python block in a fresh process, in a scratch folder, as another project would
  run it (``<!-- test: run, continued -->`` appends a block to the previous block's program: one process). A toml
  block that starts ``# environments/NAME.toml`` (a new file) or ``# added to environments/NAME.toml`` is written
  into a copy of this repository's environment files, which are then loaded and validated as ``python main.py``
  does before it synthesizes.
- ``<!-- test: tests/test_x.py::test_y -->`` (one or more): that test runs what the block shows; each must exist.
  ``.ci/run`` among them: the block shows the test command itself (``bash scripts/test.sh``, with or without
  pytest arguments), which CI runs.
- ``<!-- test: aws -->``: it needs a real AWS account; never run.

Whatever the marker, every command in a bash block that calls one of this repository's Python programs is parsed by
that program's own argument parser (its subcommands and options exist and take the values shown; nothing runs), and
every script, file or module a command names exists. ``text`` blocks (layouts, output) are not code. Every guide is
linked from the README, and every relative link of the README and the guides resolves, to its heading too.

Cost: the python programs (one synth each, in their own process) and well under a second for the rest.
"""

from __future__ import annotations

import argparse
import ast
import functools
import importlib
import importlib.util
import inspect
import json
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from environments.model import ENVIRONMENTS_DIR, load_environments
from tooling.paths import REPO, tool_env

README = REPO / "README.md"
GUIDES = REPO / "docs" / "guides"
DOCS = [README, *sorted(GUIDES.glob("*.md"))]
CODE_LANGUAGES = {"python", "bash", "toml"}
CI, TEST_COMMAND = ".ci/run", "bash scripts/test.sh"
NOT_CODE = {"text"}
_FENCE = re.compile(r"^```(\S*)\s*$")
_MARKER = re.compile(r"^<!-- test: (.+?) -->$")
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
_CONTROL = {"&&", "||", ";", "|", "&"}


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int        # of the opening fence, 1-based
    language: str
    marker: str | None
    code: str

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(REPO)}:{self.line}"


def read_blocks(doc: Path) -> list[Block]:
    lines = doc.read_text(encoding="utf-8").splitlines()
    found, i = [], 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        marker = _MARKER.match(lines[i - 1]) if i else None
        found.append(Block(doc, i + 1, fence.group(1), marker.group(1) if marker else None,
                           "\n".join(lines[i + 1:end]) + "\n"))
        i = end + 1
    return found


BLOCKS = [block for doc in DOCS for block in read_blocks(doc)]


def python_programs() -> list[tuple[str, str]]:
    """(where, code) of each python program: a ``run`` block and the ``run, continued`` blocks after it."""
    programs: list[list] = []
    for block in BLOCKS:
        if block.language != "python":
            continue
        if block.marker == "run, continued":
            assert programs and programs[-1][0].doc == block.doc, f"{block.where}: continues no program"
            programs[-1][1] += block.code
        elif block.marker == "run":
            programs.append([block, block.code])
    return [(first.where, code) for first, code in programs]


# --- every block says how it is checked -----------------------------------------------------------------------------

def marker_problems(block: Block) -> list[str]:
    if block.language in NOT_CODE:
        return [f"{block.where}: a text block carries no test marker"] if block.marker else []
    if block.language not in CODE_LANGUAGES:
        return [f"{block.where}: fence language {block.language!r}; allowed: {sorted(CODE_LANGUAGES | NOT_CODE)}"]
    if block.marker is None:
        return [f"{block.where}: no <!-- test: ... --> line before the block (docs/guides/testing.md)"]
    if block.marker in ("aws", "run") or (block.marker == "run, continued" and block.language == "python"):
        if block.marker == "run" and block.language == "bash":
            return [f"{block.where}: bash blocks are not run here: name the test that runs them, or aws"]
        if block.marker == "run" and block.language == "toml" and not _toml_file(block):
            return [f"{block.where}: a toml block run here starts with '# environments/NAME.toml' or "
                    "'# added to environments/NAME.toml'"]
        return []
    problems = []
    for pointer in block.marker.split():
        if pointer == CI:
            problems += ci_problems(block)
        else:
            problems += pointer_problems(block.where, pointer)
    return problems


def ci_problems(block: Block) -> list[str]:
    """``.ci/run`` runs the test command, and the block shows it."""
    problems = [] if TEST_COMMAND in (REPO / CI).read_text(encoding="utf-8") else [f"{CI} does not run {TEST_COMMAND}"]
    if not any(" ".join(words[:2]) == TEST_COMMAND for words in commands(block.code)):
        problems.append(f"{block.where}: marked {CI}, but no command of the block is {TEST_COMMAND}")
    return problems


def pointer_problems(where: str, pointer: str) -> list[str]:
    """A ``tests/test_x.py`` or ``tests/test_x.py::test_y`` that exists."""
    path, _, name = pointer.partition("::")
    if not (path.startswith("tests/") and path.endswith(".py") and (REPO / path).is_file()):
        return [f"{where}: {pointer!r} is no test file; allowed: run, aws, {CI}, or tests/test_x.py[::test_y]"]
    return [f"{where}: {path} has no test {name!r}"] if name and name not in _defined(path) else []


@functools.cache
def _defined(path: str) -> frozenset[str]:
    """The functions and classes a test file defines."""
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    return frozenset(node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef)))


def test_every_block_says_how_it_is_checked():
    assert [p for block in BLOCKS for p in marker_problems(block)] == []


def test_the_marker_check_refuses_what_it_should():
    where = Block(README, 1, "bash", None, "")
    assert marker_problems(where) == ["README.md:1: no <!-- test: ... --> line before the block "
                                      "(docs/guides/testing.md)"]
    assert marker_problems(Block(README, 1, "sh", "aws", "")) != []
    assert marker_problems(Block(README, 1, "bash", "run", "")) != []
    assert marker_problems(Block(README, 1, "text", "aws", "")) != []
    assert marker_problems(Block(README, 1, "toml", "run", "[a]\n")) != []
    assert pointer_problems("x", "tests/test_readme.py::test_no_such_test") == [
        "x: tests/test_readme.py has no test 'test_no_such_test'"]
    assert pointer_problems("x", "tests/test_nothing.py") != []
    assert pointer_problems("x", "tests/test_readme.py::test_every_block_says_how_it_is_checked") == []


# --- the python programs run -----------------------------------------------------------------------------------------

def run(code: str, cwd) -> subprocess.CompletedProcess[str]:
    # In a scratch folder, as a user's project would: app.synth() writes its cdktf.out there, not into this repo.
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=tool_env(PYTHONPATH=str(REPO)),
                          capture_output=True, text=True, timeout=300)


def test_the_constructs_guide_has_the_three_part_blocks_and_the_platform_program():
    guide = GUIDES / "constructs.md"
    blocks = [b for b in BLOCKS if b.doc == guide and b.language == "python"]
    assert [b.marker for b in blocks] == ["run", "run, continued", "run, continued", "run"]
    assert [("Network(" in b.code, "EksCluster(" in b.code, "PgvectorDatabase(" in b.code) for b in blocks[:3]] == [
        (True, False, False), (False, True, False), (False, False, True)]
    assert "VisionToCodePlatform(stack" in blocks[3].code


@pytest.mark.parametrize("where, code", python_programs(), ids=[where for where, _ in python_programs()])
def test_each_python_program_runs_and_synthesizes_its_stacks(tmp_path, where, code):
    result = run(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    out = tmp_path / "cdktf.out"
    if not out.exists():
        return
    manifest = json.loads((out / "manifest.json").read_text())
    for stack in manifest["stacks"]:
        synthesized = json.loads((out / "stacks" / stack / "cdk.tf.json").read_text())
        if stack.endswith("-workloads"):  # the releases, in a second stack that depends on the first
            assert manifest["stacks"][stack]["dependencies"] == [stack.removesuffix("-workloads")]
            assert len(synthesized["resource"]["helm_release"]) == 20  # (15, and cert-manager and Istio's four)
        else:
            assert {"aws_vpc", "aws_eks_cluster", "aws_db_instance"} <= set(synthesized["resource"])


# --- the environment files shown load --------------------------------------------------------------------------------

def _toml_file(block: Block) -> tuple[str, bool] | None:
    """(environment, whether the block is added to its existing file) from the block's first line."""
    first = block.code.splitlines()[0] if block.code.strip() else ""
    found = re.fullmatch(r"# (added to )?environments/([a-z0-9-]+)\.toml", first)
    return (found.group(2), bool(found.group(1))) if found else None


TOML_RUNS = [b for b in BLOCKS if b.language == "toml" and b.marker == "run"]


@pytest.mark.parametrize("block", TOML_RUNS, ids=[b.where for b in TOML_RUNS])
def test_each_environment_file_shown_loads_beside_the_repositorys_own(tmp_path, block):
    folder = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS_DIR, folder, ignore=lambda _, names: [n for n in names if not n.endswith(".toml")])
    name, added = _toml_file(block)
    path = folder / f"{name}.toml"
    assert path.exists() == added, f"{block.where}: 'added to' names an existing file; a new file does not exist yet"
    path.write_text((path.read_text(encoding="utf-8") + "\n" if added else "") + block.code, encoding="utf-8")
    loaded = {env.name: env for env in load_environments(None, folder)}
    assert set(loaded) == {"staging", "production"} | {name}


# --- every command of this repository parses -------------------------------------------------------------------------

def commands(code: str) -> list[list[str]]:
    """Each simple command of a bash block, its words as the shell splits them (comments, NAME=value prefixes and
    control operators dropped; backslash continuations joined)."""
    found = []
    for line in code.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split, lexer.commenters = True, "#"
        current: list[str] = []
        for word in [*lexer, ";"]:
            if word in _CONTROL:
                while current and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", current[0]):
                    current.pop(0)
                if current:
                    found.append(current)
                current = []
            else:
                current.append(word)
    return found


@dataclass(frozen=True)
class Call:
    """A call of one of this repository's Python programs: how to reach its ``main``, and its arguments."""
    where: str
    program: str     # a module (environments.rollout) or a file (main.py, benchmarks/synth.py)
    args: tuple[str, ...]


def command_problems(where: str, words: list[str]) -> tuple[list[str], Call | None]:
    """What a command names that does not exist, and the Python program call to parse, if it is one."""
    program, args = words[0], words[1:]
    if program in ("python", "python3", ".venv/bin/python"):
        if args[:1] == ["-m"]:
            module, rest = args[1], args[2:]
            if module == "pytest":
                return [f"{where}: {a} does not exist" for a in rest
                        if a.startswith("tests/") and not (REPO / a.split("::")[0]).exists()], None
            ours = module.startswith(("environments.", "tooling.", "vtc_constructs."))
            if importlib.util.find_spec(module) is None or not ours:
                return [f"{where}: python -m {module}: no such module of this repository"], None
            return [], Call(where, module, tuple(rest))
        if not (REPO / args[0]).is_file():
            return [f"{where}: {args[0]} does not exist"], None
        return [], Call(where, args[0], tuple(args[1:]))
    if program == "bash":
        return ([] if (REPO / args[0]).is_file() else [f"{where}: {args[0]} does not exist"]), None
    if program == "node_modules/.bin/cdktf":
        known = {"list", "synth", "deploy", "diff", "destroy", "output"}
        return ([] if args[0] in known else [f"{where}: cdktf {args[0]}: not one of {sorted(known)}"]), None
    return [], None


class _Parsed(BaseException):
    """Raised right after a program's parser accepted its arguments: nothing else of the program runs. A
    BaseException, so that a program's own last-resort ``except Exception`` cannot swallow it."""


def parse_only(call: Call, monkeypatch) -> str | None:
    """None if the program's own parser accepts the call's arguments; else what it printed."""
    parse_args = argparse.ArgumentParser.parse_args

    def accept(self, args=None, namespace=None):
        parse_args(self, args, namespace)
        raise _Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", accept)
    monkeypatch.setattr(sys, "argv", [call.program, *call.args])
    if call.program.endswith(".py"):
        spec = importlib.util.spec_from_file_location(f"_doc_{Path(call.program).stem}", REPO / call.program)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(call.program)
    main = module.main
    try:
        status = main(list(call.args)) if inspect.signature(main).parameters else main()
    except _Parsed:
        return None
    except SystemExit as exit_:
        status = exit_.code
    return f"{call.where}: {call.program} {' '.join(call.args)}: refused by its parser (exit {status})"


def _calls() -> tuple[list[str], list[Call]]:
    problems, calls = [], []
    for block in BLOCKS:
        if block.language == "bash":
            for words in commands(block.code):
                found, call = command_problems(block.where, words)
                problems += found
                calls += [call] if call else []
    return problems, calls


def test_every_command_names_what_exists():
    assert _calls()[0] == []


@pytest.mark.parametrize("call", _calls()[1], ids=lambda call: f"{call.where} {call.program} {' '.join(call.args[:1])}")
def test_every_call_of_a_python_program_parses(call, monkeypatch, capsys):
    assert parse_only(call, monkeypatch) is None, capsys.readouterr().err


def test_the_command_checks_refuse_what_they_should(monkeypatch, capsys):
    assert commands('A=1 python -m environments.rollout status staging --json  # x\nkill %1 && ls | wc &') == [
        ["python", "-m", "environments.rollout", "status", "staging", "--json"], ["kill", "%1"], ["ls"], ["wc"]]
    assert commands("bash scripts/test.sh -m \"not deploy\"") == [["bash", "scripts/test.sh", "-m", "not deploy"]]
    assert command_problems("x", ["bash", "scripts/nothing.sh"])[0] == ["x: scripts/nothing.sh does not exist"]
    assert command_problems("x", ["python", "-m", "environments.nothing"])[0] != []
    assert command_problems("x", ["node_modules/.bin/cdktf", "apply"])[0] != []
    bad = Call("x", "environments.rollout", ("rollout", "production", "--to", "purple"))
    assert parse_only(bad, monkeypatch) is not None and "purple" in capsys.readouterr().err
    assert parse_only(Call("x", "main.py", ("--no-such-option",)), monkeypatch) is not None


# --- links -----------------------------------------------------------------------------------------------------------

def _slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _prose(text: str) -> str:
    """The text outside fenced blocks."""
    return re.sub(r"^```.*?^```", "", text, flags=re.DOTALL | re.MULTILINE)


def link_problems(doc: Path, text: str | None = None) -> list[str]:
    """Every relative link of ``doc`` (its text: ``text``, else the file's) whose file or heading does not exist."""
    problems = []
    for target in _LINK.findall(_prose(doc.read_text(encoding="utf-8") if text is None else text)):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        if not file.exists():
            problems.append(f"{doc.relative_to(REPO)}: {target}: no such file")
        elif anchor and file.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", _prose(file.read_text(encoding="utf-8")), flags=re.MULTILINE)
            if anchor not in {_slug(h) for h in headings}:
                problems.append(f"{doc.relative_to(REPO)}: {target}: no such heading in {file.name}")
    return problems


def test_every_relative_link_resolves():
    assert [p for doc in DOCS for p in link_problems(doc)] == []


def test_the_link_check_refuses_what_it_should():
    text = ("[a](testing.md#no-such-heading) [b](nothing.md) [c](../../README.md) [d](https://x.io/y)\n"
            "[e](testing.md#the-documentations-code) ![f](../runbooks/)\n```text\n[g](in-a-block.md)\n```\n")
    assert link_problems(GUIDES / "x.md", text) == [
        "docs/guides/x.md: testing.md#no-such-heading: no such heading in testing.md",
        "docs/guides/x.md: nothing.md: no such file"]
    assert _slug("The documentation's code") == "the-documentations-code"
    assert _slug("`cdktf synth` options") == "cdktf-synth-options"


def test_every_guide_is_linked_from_the_readme():
    linked = {(REPO / t.partition("#")[0]).resolve() for t in _LINK.findall(_prose(README.read_text(encoding="utf-8")))}
    guides = sorted(GUIDES.glob("*.md"))
    assert guides and [g.name for g in guides if g.resolve() not in linked] == []


def test_the_readme_is_a_front_door():
    """Issue 27: about 150 lines, the two commands exactly as .ci/run and the tests run them."""
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    [two] = [b for b in BLOCKS if b.doc == README and "bash scripts/demo.sh" in b.code]
    assert [words[:2] for words in commands(two.code)] == [["bash", "scripts/demo.sh"], ["bash", "scripts/test.sh"]]
