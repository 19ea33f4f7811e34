#!/usr/bin/env bash
# The tests: install what is missing, then run every test layer (assertions, snapshots, checkov, terraform
# validate, the cdktf CLI, and `cdktf deploy staging` into a local AWS emulator). Extra arguments go to pytest.
#
# Without arguments (the whole suite, as CI runs it), two pytest runs go side by side. The emulator deploy (every test
# marked `deploy`; tests/conftest.py marks every test that uses the `deployed` fixture) runs in a process of its own,
# started as soon as scripts/setup.sh has installed .venv (before the other installs end; the deploy waits for the
# cdktf CLI only when it needs it), since it is the critical path: about 2.5 minutes, mostly the AWS provider's fixed
# waiter delays in the emulator. Every other test runs beside it in VTC_TEST_WORKERS - 1 pytest-xdist processes
# (--dist loadgroup; tests/conftest.py groups the tests), started at the same moment; those that need checkov or the
# cdktf CLI wait for setup to end (VTC_SETUP_DONE). Both runs share one synth of every
# environment (the session's `synth_dir`: whichever process comes first makes it, VTC_TEST_SYNTH). The deploy's
# output follows the rest's. VTC_TEST_WORKERS (default: cores + 1, since the deploy mostly waits) counts all the
# processes; 1 runs everything in one process.
# With arguments, setup first, then one pytest run in VTC_TEST_WORKERS processes (`-n 0` as an argument: this one
# process), e.g.
#   bash scripts/test.sh -m "not deploy"      the quick loop: every layer but the emulator deploy
# Prints its wall time (setup included) and the CPU-seconds of everything it ran, at the end. Exit status: pytest's
# (the first failing run's); 5 (no test collected or selected, so nothing was verified) is a failure too, and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$EPOCHREALTIME
setup_pid=
deploy_pid=
rest_pid=
deploy_log=
shared=
stop() {  # stop SIGNAL PID: signal PID's process group, give it 30 s, then terminate what is left
  kill -"$1" -- "-$2" 2>/dev/null || true
  for _ in $(seq 60); do kill -0 "$2" 2>/dev/null || break; sleep 0.5; done
  kill -TERM -- "-$2" 2>/dev/null || true
  wait "$2" 2>/dev/null || true
}
finish() {
  local status=$?
  # Interrupted (or setup failed) while a background run was still going: end it, with everything it started. The
  # pytest runs are interrupted as Ctrl-C would, so that they stop the emulator and remove their temp folders (then,
  # after 30 s, terminated).
  [ -z "$setup_pid" ] || stop TERM "$setup_pid"
  [ -z "$rest_pid" ] || stop INT "$rest_pid"
  [ -z "$deploy_pid" ] || stop INT "$deploy_pid"
  [ -z "$deploy_log" ] || rm -f "$deploy_log"
  [ -z "$shared" ] || rm -rf "$shared"
  # The CPU time of everything the run started (user + system, as bash's `times` counts its waited-for children; a
  # decimal comma read as a point): the run is CPU-bound on these 2-core machines, so this says whether a slow run
  # did more work or got less CPU.
  local times_file cpu="?"
  times_file=$(mktemp) && times >"$times_file" \
    && cpu=$(awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { gsub(/,/, ".", $i); split($i, t, /[ms]/); n += t[1] * 60 + t[2] }
                            printf "%.0f", n }' "$times_file")
  rm -f "$times_file"
  awk -v a="$started" -v b="$EPOCHREALTIME" -v s="$status" -v c="$cpu" \
    'BEGIN { printf "[test] wall time: %.1f s, %s CPU-seconds (exit %d)\n", b - a, c, s }'
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

workers=${VTC_TEST_WORKERS:-$(( $(nproc) + 1 ))}
status=0
# Bytecode: these machines set PYTHONDONTWRITEBYTECODE=1, so each of a run's many Python processes would compile in
# memory, again, every module it imports (the AWS provider bindings: imports about 3x slower). The run's processes
# write it instead, once, for exactly what they import: into the venvs and the repository's git-ignored __pycache__
# folders (checked against the sources' times and sizes, as always). Setup compiles nothing ahead.
export PYTHONDONTWRITEBYTECODE=
ready_to_run() {
  # The venv's Python and Node first on PATH (only now: setup's own python3 must be the machine's).
  export PATH="$PWD/.venv/bin:$PATH"
}
if [ $# -eq 0 ] && [ "$workers" -gt 1 ]; then
  shared=$(mktemp -d)
  deploy_log=$shared/deploy.log
  ready=$shared/deploy.ready
  export VTC_TEST_SYNTH=$shared/synth  # one synth for both runs (tests/conftest.py)
  # Both background runs get a process group of their own (set -m), so that stop() reaches everything under them
  # (uv and npm; the emulator, cdktf and terraform).
  start_deploy() {
    ready_to_run
    # No cache plugin: the two pytest runs would overwrite each other's .pytest_cache.
    set -m
    VTC_CDKTF_READY=$shared/cdktf.ready VTC_DEPLOY_COLLECTED=$shared/deploy.collected \
      python -m pytest -m deploy -p no:cacheprovider --durations=5 \
      >"$deploy_log" 2>&1 &
    deploy_pid=$!
    set +m
  }
  start_rest() {
    ready_to_run
    # At the lowest CPU priority, from its start (collection included): the deploy beside it is the critical path.
    # In the background too, in a process group of its own, so that an interrupt reaches this script at once (its
    # trap then ends both runs) instead of waiting for pytest. It starts with the deploy, before setup has ended:
    # the tests that run checkov or the cdktf CLI wait for VTC_SETUP_DONE (tests/conftest.py, NEEDS_ALL_OF_SETUP).
    set -m
    VTC_SETUP_DONE=$shared/setup.done nice -n 19 python -m pytest -n "$(( workers - 1 ))" --dist loadgroup \
      --no-loadscope-reorder -m "not deploy" --durations=10 &
    rest_pid=$!
    set +m
  }
  set -m
  VTC_SETUP_DEPLOY_READY=$ready VTC_SETUP_CDKTF_READY=$shared/cdktf.ready bash scripts/setup.sh &
  setup_pid=$!
  set +m
  while [ ! -e "$ready" ] && kill -0 "$setup_pid" 2>/dev/null; do sleep 0.1; done
  if [ -e "$ready" ]; then
    start_deploy
    # The rest once the deploy has collected (imported every test module, so the bytecode of what both import is
    # written once, by it), or once setup has ended, whichever comes first.
    while [ ! -e "$shared/deploy.collected" ] && kill -0 "$deploy_pid" 2>/dev/null && kill -0 "$setup_pid" 2>/dev/null
    do sleep 0.1; done
    start_rest
  fi
  setup_status=0
  wait "$setup_pid" || setup_status=$?
  setup_pid=
  [ "$setup_status" -eq 0 ] || exit "$setup_status"  # (finish ends both runs, if they started)
  touch "$shared/setup.done"
  [ -n "$deploy_pid" ] || start_deploy
  [ -n "$rest_pid" ] || start_rest
  rest=0
  wait "$rest_pid" || rest=$?
  rest_pid=
  deploy=0
  wait "$deploy_pid" || deploy=$?
  deploy_pid=
  echo "[test] the emulator deploy (pytest -m deploy, run beside the rest):"
  cat "$deploy_log"
  # Exit 5 from one run only means it had nothing to run (no deploy test, or nothing but deploy tests).
  if [ "$rest" -ne 0 ] && [ "$rest" -ne 5 ]; then status=$rest
  elif [ "$deploy" -ne 0 ] && [ "$deploy" -ne 5 ]; then status=$deploy
  elif [ "$rest" -eq 5 ] && [ "$deploy" -eq 5 ]; then status=5
  fi
else
  unset VTC_TEST_SYNTH  # (tests/conftest.py: only the two runs above share a synth)
  bash scripts/setup.sh
  ready_to_run
  python -m pytest -n "$workers" --dist loadgroup --no-loadscope-reorder "$@" || status=$?
fi
if [ "$status" -eq 5 ]; then
  echo "[test] error: pytest collected or selected no test (exit 5): nothing was verified" >&2
fi
exit "$status"
