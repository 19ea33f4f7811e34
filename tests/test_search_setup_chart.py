"""The search domain's setup chart (charts/vtc-search-setup) with real tools, with the values the workloads stack
gives it (tests/conftest.py's ``search_releases``: one synth with a search endpoint):

- ``helm lint --strict`` and ``helm template`` (tooling/helm.py's Helm v4), every manifest valid Kubernetes 1.36
  (tests/test_chart.py's strict validator); the Job a hook that runs restricted, as the master role's service
  account, with only DNS and HTTPS out; the bodies in its ConfigMap exactly the library's;
- values the schema refuses and values that contradict each other, refused;
- the Job's own script (files/setup.sh, taken from the render) run by ``sh`` with the machine's curl against a local
  stand-in of STS and of the domain that checks every request's SigV4 signature with botocore's signer: it signs
  right, replaces an existing ISM policy at its version, and stops with a non-zero exit on any non-2xx answer.

checkov's kubernetes framework scans this render in tests/test_cluster_config_chart.py's one run (its only finding,
CKV_K8S_43 on the Job's image, is in tests/policy/checkov_kubernetes_suppressions.toml with its reason).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import threading
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from tests.helpers import safe_load_all
from tests.conftest import SEARCH_ENDPOINT
from tests.test_chart import KUBERNETES_VERSION, validate
from tests.test_releases import releases_of, sets_of, values_of
from tooling import helm
from tooling.paths import REPO

CHART = REPO / "charts" / "vtc-search-setup"
NAMESPACE = "logging"
CREDENTIALS = {"AccessKeyId": "ASIAEXAMPLEEXAMPLE01", "SecretAccessKey": "c2VjcmV0L2tleStleGFtcGxlMDEyMzQ1Njc4OTAx",
               "SessionToken": "IQoJb3JpZ2luX2VjEXAMPLE/token+with=chars"}


def template(values: dict, folder: Path, ok=(0,)) -> subprocess.CompletedProcess[str]:
    file = folder / "values.json"
    file.write_text(json.dumps(values), encoding="utf-8")
    return helm.run(["template", "search-setup", str(CHART), "--namespace", NAMESPACE, "-f", str(file),
                     "--kube-version", KUBERNETES_VERSION], ok=ok)


def release_values(search_releases) -> dict:
    """The release's values, with its one apply-time value (the endpoint) as Terraform would resolve it."""
    release = releases_of(search_releases["stack"])["search-setup"]
    assert set(sets_of(release)) == {"search.endpoint"}
    resolved = values_of(release)
    resolved["search"]["endpoint"] = SEARCH_ENDPOINT
    return resolved


@pytest.fixture(scope="module")
def values(search_releases) -> dict:
    return release_values(search_releases)


@pytest.fixture(scope="module")
def docs(values, tmp_path_factory) -> list[dict]:
    out = template(values, tmp_path_factory.mktemp("search-setup")).stdout
    return [d for d in safe_load_all(out) if d]


def one(docs: list[dict], kind: str) -> dict:
    [doc] = [d for d in docs if d["kind"] == kind]
    return doc


def test_lint_strict_passes_and_every_manifest_is_valid_kubernetes(values, docs, tmp_path):
    file = tmp_path / "values.json"
    file.write_text(json.dumps(values))
    result = helm.run(["lint", "--strict", str(CHART), "--namespace", NAMESPACE, "-f", str(file)])
    assert "0 chart(s) failed" in result.stdout and "[WARNING]" not in result.stdout
    assert Counter(d["kind"] for d in docs) == {"ServiceAccount": 1, "ConfigMap": 1, "Job": 1, "NetworkPolicy": 1}
    assert {d["metadata"]["namespace"] for d in docs} == {NAMESPACE}
    assert {d["kind"]: validate(d) for d in docs} == {d["kind"]: [] for d in docs}


def test_the_job_is_a_restricted_hook_as_the_master_role_with_dns_and_https_out_only(values, docs):
    account = one(docs, "ServiceAccount")
    assert (account["metadata"]["name"], account["automountServiceAccountToken"]) == ("search-admin", False)
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": values["serviceAccount"]["roleArn"]}
    job = one(docs, "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade,post-rollback"
    pod = job["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "search-admin" and pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] >= 1000
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    [container] = pod["containers"]
    assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                            "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]},
                                            "seccompProfile": {"type": "RuntimeDefault"}}
    assert container["image"] == "quay.io/curl/curl:8.21.0"
    assert {e["name"]: e["value"] for e in container["env"]} == {
        "SEARCH_URL": f"https://{SEARCH_ENDPOINT}", "SEARCH_REGION": values["search"]["region"],
        "SETUP_DIR": "/setup"}
    assert container["resources"] == values["resources"] and container["resources"]["limits"]["memory"]
    policy = one(docs, "NetworkPolicy")["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in policy
    assert job["spec"]["template"]["metadata"]["labels"].items() >= policy["podSelector"]["matchLabels"].items()
    dns, https = policy["egress"]
    assert {p["port"] for p in dns["ports"]} == {53} and https["ports"] == [{"protocol": "TCP", "port": 443}]
    assert [t["ipBlock"]["cidr"] for t in https["to"]] == values["awsApiCidrs"]


def test_the_configmap_carries_the_librarys_bodies_in_order(values, docs):
    data = one(docs, "ConfigMap")["data"]
    assert data["setup.sh"] == (CHART / "files" / "setup.sh").read_text()
    assert data["plan"].splitlines() == ["ism vtc-logs", "ism vtc-traces", "role vtc-log-writer",
                                         "role vtc-trace-writer", "mapping vtc-log-writer", "mapping vtc-trace-writer",
                                         "mapping readall", "template vtc-logs"]
    for policy in values["ismPolicies"]:
        assert json.loads(data[f"ism-{policy['id']}.json"]) == policy["body"]
    for role in values["securityRoles"]:
        assert json.loads(data[f"role-{role['name']}.json"]) == role["body"]
    for mapping in values["roleMappings"]:
        assert json.loads(data[f"mapping-{mapping['role']}.json"]) == {"backend_roles": mapping["backendRoles"]}
    assert json.loads(data["template-vtc-logs.json"]) == values["indexTemplates"][0]["body"]


@pytest.mark.parametrize("mutate, message", [
    (lambda v: v["search"].update(endpoint="https://" + SEARCH_ENDPOINT), "at '/search/endpoint'"),
    (lambda v: v["roleMappings"][0].update(backendRoles=["arn:aws:iam::111111111111:user/someone"]),
     "at '/roleMappings/0/backendRoles/0'"),
    (lambda v: v["image"].update(tag="latest"), "at '/image/tag'"),
    (lambda v: v.update(awsApiCidrs=[]), "at '/awsApiCidrs'"),
    (lambda v: v["roleMappings"][0].update(role="vtc-nobody"),
     "roleMappings[0]: role vtc-nobody is neither in securityRoles nor readall"),
    (lambda v: v.update(ismPolicies=[], securityRoles=[], roleMappings=[], indexTemplates=[]), "are all empty"),
])
def test_bad_values_are_refused(values, tmp_path, mutate, message):
    bad = json.loads(json.dumps(values))
    mutate(bad)
    result = template(bad, tmp_path, ok=(1,))
    assert message in result.stderr, result.stderr[-2000:]


# --- the Job's script, for real ----------------------------------------------------------------------------------------

class _Domain(BaseHTTPRequestHandler):
    """STS (POST /sts/) and the domain (everything else): checks each signature with botocore, records each request,
    answers ``refuse`` paths with 403 and GET of an ISM policy in ``existing`` with its version."""

    server: ThreadingHTTPServer

    def log_message(self, *args):  # quiet
        pass

    def _answer(self, status: int, body: str):
        raw = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _handle(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        state = self.server.state
        if self.path == "/sts/":
            form = dict(urllib.parse.parse_qsl(body.decode()))
            state["sts"].append(form)
            creds = "".join(f"<{k}>{v}</{k}>" for k, v in CREDENTIALS.items())
            return self._answer(200, f"<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>\n"
                                     f"<Credentials>\n{creds}\n</Credentials></AssumeRoleWithWebIdentityResult>"
                                     "</AssumeRoleWithWebIdentityResponse>")
        state["requests"].append((self.command, self.path, body, _signature_problem(self, body)))
        if self.path.split("?")[0] in state["refuse"]:
            return self._answer(403, '{"error":"no permissions for [cluster:admin/opendistro/ism/policy/write]"}')
        if self.command == "GET":
            name = self.path.rsplit("/", 1)[1]
            if name in state["existing"]:
                return self._answer(200, '{"_id":"%s","_version":3,"_primary_term":2,"_seq_no":17,"policy":{}}' % name)
            return self._answer(404, '{"error":{"type":"status_exception"},"status":404}')
        return self._answer(200, '{"acknowledged":true}')

    do_GET = do_PUT = do_POST = _handle


def _signature_problem(handler: BaseHTTPRequestHandler, body: bytes) -> str | None:
    """What is wrong with the request's SigV4 signature, recomputed with botocore from the request as received (its
    signed headers, the payload's hash over the bytes that arrived), or None."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    authorization = handler.headers.get("Authorization", "")
    parts = dict(p.strip().split("=", 1) for p in authorization.split(" ", 1)[1].split(","))
    signed = parts["SignedHeaders"].split(";")
    if "x-amz-security-token" not in signed or parts["Credential"].split("/")[2:4] != ["eu-west-1", "es"]:
        return f"not signed for es in eu-west-1 with the session token: {authorization}"
    url = f"http://{handler.headers['Host']}{handler.path}"
    request = AWSRequest(method=handler.command, url=url, data=body,
                         headers={h: handler.headers[h] for h in signed})
    request.context["timestamp"] = handler.headers["X-Amz-Date"]
    auth = SigV4Auth(Credentials(CREDENTIALS["AccessKeyId"], CREDENTIALS["SecretAccessKey"],
                                 CREDENTIALS["SessionToken"]), "es", "eu-west-1")
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    if expected != parts["Signature"]:
        return f"signature {parts['Signature']} != {expected} (payload {hashlib.sha256(body).hexdigest()})"
    return None


@pytest.fixture
def domain():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Domain)
    server.state = {"sts": [], "requests": [], "refuse": set(), "existing": set()}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def run_setup(docs: list[dict], folder: Path, url: str) -> subprocess.CompletedProcess[str]:
    """files/setup.sh as the Job runs it (its ConfigMap's files in SETUP_DIR), with the machine's sh and curl."""
    assert shutil.which("curl"), "curl is part of these machines (../shared/MACHINE.md); the Job's image carries it"
    setup = folder / "setup"
    setup.mkdir(exist_ok=True)
    for key, value in one(docs, "ConfigMap")["data"].items():
        (setup / key).write_text(value)
    (folder / "token").write_text("eyJhbGciOiJSUzI1NiJ9.web-identity.token")
    env = {"PATH": "/usr/bin:/bin", "SEARCH_URL": url, "SEARCH_REGION": "eu-west-1", "SETUP_DIR": str(setup),
           "STS_URL": f"{url}/sts/", "AWS_ROLE_ARN": "arn:aws:iam::111111111111:role/vtc-staging-search-admin",
           "AWS_WEB_IDENTITY_TOKEN_FILE": str(folder / "token")}
    return subprocess.run(["sh", str(setup / "setup.sh")], env=env, capture_output=True, text=True, timeout=120)


def test_the_script_signs_every_request_and_puts_every_body_in_order(docs, domain, tmp_path):
    domain.state["existing"].add("vtc-traces")  # a re-run: that policy exists, and is replaced at its version
    url = f"http://127.0.0.1:{domain.server_address[1]}"
    result = run_setup(docs, tmp_path, url)
    assert result.returncode == 0, result.stderr
    [sts] = domain.state["sts"]
    assert sts == {"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15", "RoleSessionName": "search-setup",
                   "RoleArn": "arn:aws:iam::111111111111:role/vtc-staging-search-admin",
                   "WebIdentityToken": "eyJhbGciOiJSUzI1NiJ9.web-identity.token"}
    requests = domain.state["requests"]
    assert [problem for *_, problem in requests] == [None] * len(requests)  # every signature right
    assert [(method, path) for method, path, *_ in requests] == [
        ("GET", "/_plugins/_ism/policies/vtc-logs"), ("PUT", "/_plugins/_ism/policies/vtc-logs"),
        ("GET", "/_plugins/_ism/policies/vtc-traces"),
        ("PUT", "/_plugins/_ism/policies/vtc-traces?if_primary_term=2&if_seq_no=17"),
        ("PUT", "/_plugins/_security/api/roles/vtc-log-writer"),
        ("PUT", "/_plugins/_security/api/roles/vtc-trace-writer"),
        ("PUT", "/_plugins/_security/api/rolesmapping/vtc-log-writer"),
        ("PUT", "/_plugins/_security/api/rolesmapping/vtc-trace-writer"),
        ("PUT", "/_plugins/_security/api/rolesmapping/readall"), ("PUT", "/_index_template/vtc-logs")]
    data = one(docs, "ConfigMap")["data"]
    assert json.loads(requests[1][2]) == json.loads(data["ism-vtc-logs.json"])
    assert json.loads(requests[-1][2]) == json.loads(data["template-vtc-logs.json"])
    assert CREDENTIALS["SecretAccessKey"] not in result.stdout + result.stderr


def test_the_script_stops_with_a_non_zero_exit_on_a_refusal(docs, domain, tmp_path):
    domain.state["refuse"].add("/_plugins/_security/api/roles/vtc-trace-writer")
    result = run_setup(docs, tmp_path, f"http://127.0.0.1:{domain.server_address[1]}")
    assert result.returncode != 0
    assert "PUT /_plugins/_security/api/roles/vtc-trace-writer answered HTTP 403" in result.stderr
    assert not any("rolesmapping" in path for _, path, *_ in domain.state["requests"]), "nothing after the refusal"
