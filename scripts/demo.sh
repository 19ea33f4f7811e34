#!/usr/bin/env bash
# The main job, end to end: install, synthesize every environment with the cdktf CLI, terraform validate each
# stack, scan them with checkov, deploy staging into a local AWS emulator, print what was created, tear it down.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
# Bytecode written once for what the demo's processes import (these machines set PYTHONDONTWRITEBYTECODE=1: each
# process would compile it all again in memory); into the venvs and git-ignored __pycache__ folders.
export PYTHONDONTWRITEBYTECODE=
exec python -m tooling.demo "$@"
