#!/usr/bin/env bash
# The lines of a lock file (requirements/*.lock) that pin the packages NAME-REGEX names: each "name==version \" line
# with the indented --hash lines under it, ready for `pip install --no-deps --require-hashes -r`. The one selection
# scripts/setup.sh (uv, Node), the rollout-tools action (boto3) and the security-scans workflow (Node) install from.
#   bash scripts/lock_lines.sh requirements/dev.lock 'boto3|botocore'
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: bash scripts/lock_lines.sh LOCK NAME-REGEX (e.g. requirements/dev.lock 'uv')" >&2
  exit 2
fi
awk -v pattern="^($2)==" '/^[a-z]/ { keep = ($0 ~ pattern) } keep' "$1"
