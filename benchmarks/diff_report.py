"""How long the diff report takes on the real stacks: ``.venv/bin/python benchmarks/diff_report.py [--runs N]``.

Prints (asserts nothing), each the median of N runs:
  - load + compare + Markdown of snapshots/ against itself with one crafted change (the production database's
    ``storage_encrypted`` flipped: a DANGER replacement), in this process;
  - the same for the snapshots of ``--ref`` (default HEAD~5, read with ``git show``) against the working tree's;
  - the command as a job runs it, a fresh process: ``python -m environments.diff_report A B``;
  - with ``--git``, one synthesis of HEAD through ``--git HEAD`` (a worktree and ``main.py``; seconds, once).
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from environments import diff_report as dr  # noqa: E402


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def snapshots_at(ref: str) -> dict[str, dict]:
    out = {}
    for name in ("staging", "production"):
        shown = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:snapshots/{name}.json"], capture_output=True,
                               text=True)
        if shown.returncode == 0:
            out[name] = json.loads(shown.stdout)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--ref", default="HEAD~5")
    parser.add_argument("--git", action="store_true", help="also time one --git HEAD synthesis")
    args = parser.parse_args()
    real = dr.load_side(ROOT / "snapshots")
    size = sum((ROOT / "snapshots" / f"{n}.json").stat().st_size for n in real)
    count = sum(len(items) for s in real.values() for items in s.get("resource", {}).values())
    print(f"real stacks: {', '.join(sorted(real))}: {count} resources, {size / 1024:.0f} KiB of JSON")

    crafted = copy.deepcopy(real)
    next(iter(crafted["production"]["resource"]["aws_db_instance"].values()))["storage_encrypted"] = False
    with tempfile.TemporaryDirectory() as scratch:
        after = Path(scratch) / "after"
        after.mkdir()
        for name, stack in crafted.items():
            (after / f"{name}.json").write_text(json.dumps(stack, indent=2), encoding="utf-8")

        def crafted_run() -> None:
            diffs = dr.compare(dr.load_side(ROOT / "snapshots"), dr.load_side(after))
            dr.render_markdown(diffs, "snapshots", "crafted")
            assert dr.exit_status(diffs) == 2

        print(f"snapshots vs one crafted change (database replaced), in process: "
              f"{median_ms(crafted_run, args.runs):.1f} ms (median of {args.runs})")
        old = snapshots_at(args.ref)
        if old:
            diffs = dr.compare(old, real)
            changed = sum(len(d.resources) for d in diffs)
            def history_run() -> None:
                diffs = dr.compare(snapshots_at(args.ref), dr.load_side(ROOT / "snapshots"))
                dr.render_markdown(diffs, args.ref, "working tree")

            ms = median_ms(history_run, args.runs)
            print(f"{args.ref} snapshots vs the working tree's ({changed} resources differ), git show included: "
                  f"{ms:.1f} ms")
        command = [sys.executable, "-m", "environments.diff_report", str(ROOT / "snapshots"), str(after),
                   "--output", str(Path(scratch) / "report.md")]
        ms = median_ms(lambda: subprocess.run(command, cwd=ROOT, capture_output=True), max(3, args.runs // 4))
        print(f"the command in a fresh process (interpreter start-up included): {ms:.0f} ms")
    if args.git:
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "environments.diff_report", "--git", "HEAD",
                                 str(ROOT / "snapshots"), "--output", "/dev/null"], cwd=ROOT, capture_output=True,
                                text=True)
        print(f"--git HEAD vs snapshots (a worktree, a full synth, the report): {time.perf_counter() - started:.1f} s "
              f"(exit {result.returncode})")


if __name__ == "__main__":
    main()
