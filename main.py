"""Synthesize every environment's stack: ``python main.py`` (or ``cdktf synth``, which runs this).

Options (all optional):
  --outdir DIR            default: $CDKTF_OUTDIR (set by the cdktf CLI), else ./cdktf.out
  --environments-dir DIR  default: $VTC_ENVIRONMENTS_DIR, else ./environments
  --only NAME             synthesize only this environment (repeatable); default: every environment file
  --workers N             processes to synthesize in; default: $VTC_SYNTH_WORKERS, else one per core but at most
                          one per 3 environments (see environments/synth.py)

Bad input exits with status 1, lists every problem, and leaves the previous output folder exactly as it was.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import vtc_constructs  # noqa: F401  (first, so the provider is loaded lazily: see vtc_constructs/_lazy_provider.py)
from environments.model import ENVIRONMENTS_DIR, load_environments
from environments.synth import default_workers, synthesize
from vtc_constructs.errors import ConfigError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", default=os.environ.get("CDKTF_OUTDIR", "cdktf.out"))
    parser.add_argument("--environments-dir", default=os.environ.get("VTC_ENVIRONMENTS_DIR", str(ENVIRONMENTS_DIR)))
    parser.add_argument("--only", action="append", default=None, metavar="NAME")
    parser.add_argument("--workers", type=int, default=None, metavar="N")
    args = parser.parse_args(argv)
    if args.workers is not None and args.workers < 1:
        parser.error(f"--workers: expected a whole number >= 1 (got {args.workers})")
    try:
        envs = load_environments(args.only, args.environments_dir)
        workers = default_workers(len(envs)) if args.workers is None else args.workers
    except (ConfigError, ValueError) as exc:
        print(f"error: {exc}\nNothing was synthesized; {args.outdir} is unchanged.", file=sys.stderr)
        return 1
    synthesize(envs, args.outdir, workers=workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
