#!/usr/bin/env bash
# The tests: install what is missing, then run every test layer (assertions, snapshots, checkov, terraform
# validate, the cdktf CLI, and `cdktf deploy staging` into a local AWS emulator). Extra arguments go to pytest.
#
# The suite runs in several processes (pytest-xdist, --dist loadgroup; tests/conftest.py groups the tests): one
# starts the emulator deploy at once (about 2.5 minutes, mostly the AWS provider's fixed waiter delays) while the
# others run every other layer beside it. VTC_TEST_WORKERS sets the number of processes (default: cores + 1, since
# the deploy's process mostly waits); `-n 0` as an argument runs everything in this one process.
#   bash scripts/test.sh -m "not deploy"      the quick loop: every layer but the emulator deploy
# Prints its wall time (setup included) at the end. Exit status: pytest's; 5 (no test collected or selected, so
# nothing was verified) is a failure too, and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$EPOCHREALTIME
report_time() {
  local status=$?
  awk -v a="$started" -v b="$EPOCHREALTIME" -v s="$status" 'BEGIN { printf "[test] wall time: %.1f s (exit %d)\n", b - a, s }'
}
trap report_time EXIT

bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
workers=${VTC_TEST_WORKERS:-$(( $(nproc) + 1 ))}
status=0
python -m pytest -n "$workers" --dist loadgroup --no-loadscope-reorder "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "[test] error: pytest collected or selected no test (exit 5): nothing was verified" >&2
fi
exit "$status"
