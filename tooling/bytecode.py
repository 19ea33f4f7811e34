"""Bytecode for the installed Python packages, compiled once by ``scripts/setup.sh``:
``VENV/bin/python -m tooling.bytecode SITE_PACKAGES --requirements FILE``.

These machines set ``PYTHONDONTWRITEBYTECODE=1``, so a process compiles in memory, every time, each module that has
no bytecode on disk; a test run starts dozens of Python processes. Everything installed is compiled here but what
nothing in this repository imports, which would cost CPU time and nothing else:

- sympy, mpmath and networkx: cfn-lint's dependencies (moto declares cfn-lint for CloudFormation templates, which
  nothing here uses); about 6.5 CPU-seconds;
- the AWS provider's modules for resource types this repository does not use: about 2,070 of its 2,139 submodules,
  about 20 CPU-seconds. The ones it uses are found in its own sources (:func:`provider_submodules_used`). Only the
  plain-import test (tests/test_lazy_provider.py) loads every submodule, once.

A module left out still imports: the process that imports it compiles it in memory, as it would without this step.
Setup runs this after it has signalled that the emulator deploy may start (its processes compile what they import
until then). A stamp in SITE_PACKAGES (the requirements file's content, the provider submodules used, this Python's
version) makes a second run with nothing new a no-op; a pass over an already compiled venv would still take seconds.
Prints what it compiled and how long it took.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROVIDER = "cdktf_cdktf_provider_aws"
#: Installed packages nothing in this repository imports (see the module docstring).
NEVER_IMPORTED = ("sympy", "mpmath", "networkx")
#: Where this repository's Python code lives (the sources searched for provider submodules).
SOURCES = ("main.py", "vtc_constructs", "environments", "tooling", "tests", "benchmarks")
_SUBMODULE = re.compile(rf"\b{PROVIDER}\.([a-z0-9_]+)")
STAMP = ".vtc-bytecode"


def provider_submodules_used(repo: Path = REPO) -> set[str]:
    """Every ``cdktf_cdktf_provider_aws.<submodule>`` named in this repository's Python sources."""
    names: set[str] = set()
    for entry in SOURCES:
        path = repo / entry
        for source in ([path] if path.is_file() else sorted(path.rglob("*.py"))):
            names.update(_SUBMODULE.findall(source.read_text(encoding="utf-8")))
    return names


def compile_site_packages(site_packages: Path) -> tuple[bool, int]:
    """Compile ``site_packages`` as the module docstring says, in one pass over it (one process per core); returns
    (every file compiled, provider submodules compiled)."""
    used = sorted(name for name in provider_submodules_used() if (site_packages / PROVIDER / name).is_dir())
    never = "|".join(map(re.escape, NEVER_IMPORTED))
    keep = "|".join(map(re.escape, ["_jsii", *used]))
    # A file inside a package nothing imports, or inside a provider submodule that is not kept (the provider's own
    # __init__.py, directly in its folder, is compiled).
    skip = re.compile(rf"[/\\](?:{never})[/\\]|[/\\]{PROVIDER}[/\\](?!(?:{keep})[/\\])[^/\\]+[/\\]")
    return bool(compileall.compile_dir(site_packages, quiet=1, workers=0, rx=skip)), len(used)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site_packages", type=Path, help="the venv's site-packages folder")
    parser.add_argument("--requirements", type=Path, required=True, help="the requirements file it was installed from")
    args = parser.parse_args(argv)
    if not args.site_packages.is_dir():
        print(f"tooling.bytecode: {args.site_packages} is not a folder", file=sys.stderr)
        return 2
    key = hashlib.sha256("\n".join([args.requirements.read_text(encoding="utf-8"), sys.version,
                                     *sorted(provider_submodules_used())]).encode()).hexdigest()
    stamp = args.site_packages / STAMP
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == key:
        print("bytecode: already compiled for these requirements")
        return 0
    started = time.perf_counter()
    ok, used = compile_site_packages(args.site_packages)
    print(f"bytecode compiled in {time.perf_counter() - started:.1f} s"
          + (f" (of the AWS provider: the package, its jsii assembly module and the {used} submodules this "
             "repository uses)" if (args.site_packages / PROVIDER).is_dir() else ""))
    if not ok:  # a package's file that no Python 3.11 compiles (it would not import either): not this step's concern
        print("bytecode: some files did not compile (listed above)")
    stamp.write_text(key + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
