#!/usr/bin/env bash
# The tests: install what is missing, then run every test layer (assertions, snapshots, checkov, terraform
# validate, the cdktf CLI, and a real deploy of staging into a local AWS emulator). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
exec python -m pytest "$@"
