#!/bin/sh
# Sets the OpenSearch domain up before anything writes to it, as the domain's master IAM role: the index lifecycle
# (ISM) policies, the security plugin's roles and role mappings, and the index templates, each one body of
# $SETUP_DIR/<kind>-<name>.json, in the order of $SETUP_DIR/plan ("<kind> <name>" a line). Every request is a PUT
# (an ISM policy that exists is replaced at its current version), so a re-run converges to the same state; any
# answer outside 2xx stops the Job with a non-zero exit.
#
# Credentials: the pod's IRSA web identity (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, set by EKS) exchanged at STS
# (AssumeRoleWithWebIdentity needs no signature), then every request to the domain signed with SigV4 by curl
# (--aws-sigv4, service "es"). The keys reach curl on its standard input (-K -), never on its command line.
# POSIX sh: busybox's in the pinned curl image, dash where the tests run it.
set -eu

: "${SEARCH_URL:?the domain's URL, https://<endpoint>}"
: "${SEARCH_REGION:?the domain's region}"
: "${AWS_ROLE_ARN:?no IRSA role: is the service account annotated with eks.amazonaws.com/role-arn?}"
: "${AWS_WEB_IDENTITY_TOKEN_FILE:?no IRSA token: is the service account annotated with eks.amazonaws.com/role-arn?}"
SETUP_DIR="${SETUP_DIR:-/setup}"
STS_URL="${STS_URL:-https://sts.${SEARCH_REGION}.amazonaws.com/}"

fail() {
  echo "search-setup: $*" >&2
  exit 1
}

element() {  # element NAME XML: the text of <NAME>...</NAME>
  printf '%s\n' "$2" | sed -n "s:.*<$1>\([^<]*\)</$1>.*:\1:p" | head -n 1
}

answer=$(curl --silent --show-error --max-time 30 --retry 3 --retry-all-errors --write-out '\n%{http_code}' \
  --data-urlencode "Action=AssumeRoleWithWebIdentity" --data-urlencode "Version=2011-06-15" \
  --data-urlencode "RoleArn=${AWS_ROLE_ARN}" --data-urlencode "RoleSessionName=search-setup" \
  --data-urlencode "WebIdentityToken@${AWS_WEB_IDENTITY_TOKEN_FILE}" "${STS_URL}") || fail "STS unreachable"
code=${answer##*
}
case "$code" in 2??) ;; *) fail "STS AssumeRoleWithWebIdentity answered HTTP $code: ${answer%
*}" ;; esac
key=$(element AccessKeyId "$answer")
secret=$(element SecretAccessKey "$answer")
session=$(element SessionToken "$answer")
[ -n "$key" ] && [ -n "$secret" ] && [ -n "$session" ] || fail "STS answered without credentials"

# request METHOD PATH [BODY-FILE]: prints the answer's body; fails on anything but 2xx (and 404 when
# ALLOW_404=1, for a look-up).
request() {
  method=$1 path=$2 body=${3:-}
  if [ -n "$body" ]; then
    set -- --data-binary "@${body}"
  else
    set --
  fi
  result=$(printf 'user = "%s:%s"\nheader = "x-amz-security-token: %s"\n' "$key" "$secret" "$session" |
    curl --config - --silent --show-error --max-time 60 --retry 3 --retry-all-errors \
      --aws-sigv4 "aws:amz:${SEARCH_REGION}:es" --header "Content-Type: application/json" \
      --request "$method" --write-out '\n%{http_code}' "$@" "${SEARCH_URL}/${path}") ||
    fail "$method /$path: no answer"
  status=${result##*
}
  result=${result%
*}
  case "$status" in
    2??) ;;
    404) [ "${ALLOW_404:-0}" = 1 ] || fail "$method /$path answered HTTP 404: $result" ;;
    *) fail "$method /$path answered HTTP $status: $result" ;;
  esac
  printf '%s\n' "$result"
}

[ -s "${SETUP_DIR}/plan" ] || fail "nothing to do: ${SETUP_DIR}/plan is empty"
while read -r kind name; do
  [ -n "$kind" ] || continue
  file="${SETUP_DIR}/${kind}-${name}.json"
  [ -r "$file" ] || fail "$kind $name: no body ($file)"
  case "$kind" in
    ism)
      # An existing policy is replaced only at its current version (else 409); a new one is created.
      found=$(ALLOW_404=1 request GET "_plugins/_ism/policies/${name}")
      seq=$(printf '%s\n' "$found" | sed -n 's/.*"_seq_no" *: *\([0-9][0-9]*\).*/\1/p' | head -n 1)
      term=$(printf '%s\n' "$found" | sed -n 's/.*"_primary_term" *: *\([0-9][0-9]*\).*/\1/p' | head -n 1)
      if [ -n "$seq" ] && [ -n "$term" ]; then
        request PUT "_plugins/_ism/policies/${name}?if_primary_term=${term}&if_seq_no=${seq}" "$file" >/dev/null
      else
        request PUT "_plugins/_ism/policies/${name}" "$file" >/dev/null
      fi ;;
    role) request PUT "_plugins/_security/api/roles/${name}" "$file" >/dev/null ;;
    mapping) request PUT "_plugins/_security/api/rolesmapping/${name}" "$file" >/dev/null ;;
    template) request PUT "_index_template/${name}" "$file" >/dev/null ;;
    *) fail "unknown kind $kind in ${SETUP_DIR}/plan" ;;
  esac
  echo "search-setup: $kind $name: done"
done < "${SETUP_DIR}/plan"
echo "search-setup: the domain is set up"
