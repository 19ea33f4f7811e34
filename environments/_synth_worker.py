"""A synth worker process (see ``synth.py``): ``python -m environments._synth_worker OUTDIR`` < pickled environments.

Synthesizes the environments it is given into OUTDIR, which the parent process merges into the real output.
"""

from __future__ import annotations

import pickle
import sys

import vtc_constructs  # noqa: F401  (first: the lazy provider and the direct jsii runtime, as in main.py)
from environments.synth import synthesize


def main() -> int:
    envs = pickle.load(sys.stdin.buffer)
    synthesize(envs, sys.argv[1], swap=False, workers=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
