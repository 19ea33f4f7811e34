"""The Kind integration test (issue 25 item 2), checked where no container runtime exists: the workflow
(.github/workflows/kind.yml) and the script it runs (tooling/kind.py) read and run with their commands recorded, the
values they install produced by the project's own code and rendered by the charts, and the stand-in service
(tests/kind/standin/server.py) served in-process on 127.0.0.1. What only a cluster can show (kindnet refusing the
probe, NGINX routing) runs in the workflow; see tooling/kind.py."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import threading
import tomllib
import urllib.error
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.helpers import safe_load_all
from environments.smoke import default_services, run_smoke
from tooling import helm, kind
from vtc_constructs.kubernetes_versions import EKS_KUBERNETES_VERSIONS
from vtc_constructs.releases import DEFAULT_CHART_VERSIONS, gateway_values
from vtc_constructs.workloads import SERVICES, gateway_name

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "kind.yml"
DOCKERFILE = ROOT / "tests" / "kind" / "standin" / "Dockerfile"
NGF_VALUES_SCHEMA = ROOT / "tests" / "upstream" / "nginx-gateway-fabric-2.6.7.values.schema.json"
STEPS = ("create", "image", "install", "smoke", "netpol")

_spec = importlib.util.spec_from_file_location("vtc_kind_standin", kind.STANDIN / "server.py")
standin = importlib.util.module_from_spec(_spec)  # tests/kind/standin/server.py, the image's only file
_spec.loader.exec_module(standin)


def workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads `on` as true
    return data


def commands() -> list[tuple[str, dict]]:
    """(the subcommand of `python -m tooling.kind`, the step) of every step that runs one, in order."""
    [job] = workflow()["jobs"].values()
    found = []
    for step in job["steps"]:
        match = re.fullmatch(r"python -m tooling\.kind (\w+)", str(step.get("run", "")).strip())
        if "run" in step:
            assert match, f"a step runs something other than one tooling.kind command: {step['run']!r}"
            found.append((match[1], step))
    return found


# --- the workflow -----------------------------------------------------------------------------------------------------

def test_the_workflow_runs_on_pull_requests_that_touch_the_charts_or_constructs_and_can_be_called():
    on = workflow()["on"]
    assert "workflow_call" in on
    paths = on["pull_request"]["paths"]
    for needed in ("charts/**", "vtc_constructs/**", "tooling/kind.py", "tests/kind/**", ".github/workflows/kind.yml"):
        assert needed in paths


def test_the_workflow_runs_the_scripts_steps_in_order_with_diagnosis_and_deletion():
    ran = commands()
    main = [name for name, step in ran if "if" not in step]
    assert main == list(STEPS), "create, build the stand-in image, install (CRDs first), smoke, netpol"
    conditional = {name: step["if"] for name, step in ran if "if" in step}
    assert conditional == {"diagnose": "failure()", "delete": "always()"}
    for name, _ in ran:  # each a subcommand of the script
        with pytest.raises(SystemExit) as exit_:
            kind.main([name, "--help"])
        assert exit_.value.code == 0
    [job] = workflow()["jobs"].values()
    assert job["permissions"] == {"contents": "read"} and job["timeout-minutes"] <= 60


def test_kind_and_its_node_image_are_pinned_to_a_kubernetes_version_the_project_runs():
    assert re.fullmatch(r"v0\.\d+\.\d+", kind.KIND_VERSION)
    match = re.fullmatch(r"kindest/node:v(\d+\.\d+)\.\d+@sha256:[0-9a-f]{64}", kind.NODE_IMAGE)
    assert match, "the node image by version and digest"
    assert match[1] == kind.KUBERNETES_VERSION in EKS_KUBERNETES_VERSIONS
    with open(ROOT / "environments" / "base.toml", "rb") as f:
        assert tomllib.load(f)["eks"]["kubernetes_version"] == kind.KUBERNETES_VERSION
    config = kind.cluster_config()
    assert config["nodes"] and all(node["image"] == kind.NODE_IMAGE for node in config["nodes"])
    # kindnet, Kind's own CNI, enforces the policies (tooling/kind.py says since when and where)
    assert config["networking"]["disableDefaultCNI"] is False and "kindnet" in kind.__doc__
    # the services spread over zones with DoNotSchedule: a node without a zone would take no pod
    assert all("topology.kubernetes.io/zone" in node["labels"] for node in config["nodes"])


def test_the_stand_in_base_image_is_pinned_by_digest_and_runs_as_the_charts_user():
    text = DOCKERFILE.read_text(encoding="utf-8")
    froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert froms and all(re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", ref) for ref in froms)
    values = yaml.safe_load((ROOT / "charts" / "vision-to-code" / "values.yaml").read_text())["podSecurity"]
    assert re.search(rf"^USER {values['runAsUser']}:{values['runAsGroup']}$", text, re.M)


# --- the script's commands, recorded ---------------------------------------------------------------------------------

@pytest.fixture
def recorded(monkeypatch, tmp_path):
    """Run tooling.kind's steps with every command recorded instead of run (nothing starts)."""
    calls: list[list[str]] = []

    def fake_run(args, **kwargs):
        calls.append([str(a) for a in args])
        return type("Result", (), {"returncode": 0, "stdout": "", "stderr": ""})()

    monkeypatch.setattr(kind, "run", fake_run)
    monkeypatch.setattr(kind, "WORK", tmp_path)
    monkeypatch.setattr(kind, "kind", lambda: Path("kind"))
    monkeypatch.setattr(kind, "helm_binaries", lambda: type("B", (), {"helm": "helm"})())
    monkeypatch.setattr(kind, "kubectl_binary", lambda: Path("kubectl"))
    return calls


def test_install_puts_the_crds_in_before_any_chart_and_ngf_from_its_registry_at_the_pinned_version(recorded):
    kind.install()
    helm_installs = [(i, c) for i, c in enumerate(recorded) if c[:3] == ["helm", "upgrade", "--install"]]
    releases = [c[3] for _, c in helm_installs]
    assert releases == ["gateway-api-crds", "nginx-gateway-fabric-crds", "vtc-cluster-config", "ngf-blue", "vtc-blue"]
    crd_applies = [i for i, c in enumerate(recorded) if c[:2] == ["kubectl", "apply"] and "crd-schemas" in c[-1]]
    assert len(crd_applies) == len(list((ROOT / "charts" / "crd-schemas").glob("*.yaml")))
    first_chart = helm_installs[2][0]
    assert max(crd_applies) < first_chart and helm_installs[1][0] < first_chart
    established = next(i for i, c in enumerate(recorded) if "--for=condition=Established" in c)
    assert max(crd_applies) < established < first_chart
    pull = next(c for c in recorded if c[:2] == ["helm", "pull"])
    assert pull[2] == "oci://ghcr.io/nginx/charts/nginx-gateway-fabric"
    assert pull[pull.index("--version") + 1] == DEFAULT_CHART_VERSIONS["nginx-gateway-fabric"]
    ngf = dict(helm_installs)[helm_installs[3][0]]
    assert "--skip-crds" in ngf and ngf[4].endswith(f"nginx-gateway-fabric-{DEFAULT_CHART_VERSIONS['nginx-gateway-fabric']}.tgz")
    for _, command in helm_installs[2:]:
        assert Path(command[command.index("--values") + 1]).name == f"{command[3]}.json"
    # the services only once their Gateway is programmed (NGINX provisioned)
    programmed = next(i for i, c in enumerate(recorded) if "--for=condition=Programmed" in c)
    assert f"gateway/{gateway_name('blue')}" in recorded[programmed] and programmed < helm_installs[4][0]


def test_the_stand_in_image_is_built_in_the_job_and_loaded_for_every_service(recorded):
    kind.image()
    build = next(c for c in recorded if c[:2] == ["docker", "build"])
    assert build[-1] == str(kind.STANDIN) and "--pull" in build
    load = next(c for c in recorded if c[1:3] == ["load", "docker-image"])
    assert load[load.index("--name") + 2:] == [f"{kind.IMAGE_REPOSITORY}/{s}:{kind.IMAGE_TAG}" for s in SERVICES]


def test_create_uses_the_pinned_configuration_and_the_clusters_own_kubectl(recorded, tmp_path):
    kind.create()
    create = next(c for c in recorded if c[1:3] == ["create", "cluster"])
    assert json.loads(Path(create[create.index("--config") + 1]).read_text()) == kind.cluster_config()
    assert any(c[:2] == ["docker", "cp"] and c[2].endswith(":/usr/bin/kubectl") for c in recorded)


def test_all_runs_every_step_then_diagnoses_a_failure_and_deletes_the_cluster(monkeypatch):
    ran = []
    for name in (*STEPS, "diagnose", "delete"):
        monkeypatch.setattr(kind, name, lambda name=name: ran.append(name))
    assert kind.main(["all"]) == 0 and ran == [*STEPS, "delete"]
    ran.clear()
    monkeypatch.setattr(kind, "smoke", lambda: (ran.append("smoke"), sys.exit("smoke failed")))
    with pytest.raises(SystemExit):
        kind.main(["all"])
    assert ran == ["create", "image", "install", "smoke", "diagnose", "delete"]


# --- the values: the project's own code, rendered by the charts -------------------------------------------------------

@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    return kind.write_values(tmp_path_factory.mktemp("kind-values"))


def test_the_values_are_the_projects_own_with_only_the_kind_differences(written):
    loaded = {release: json.loads(path.read_text()) for release, path in written.items()}
    assert set(loaded) == {"vtc-cluster-config", "ngf-blue", "vtc-blue"}
    w = kind.kind_workloads()
    assert loaded["ngf-blue"] == json.loads(json.dumps(gateway_values(
        w, "blue", namespace=w.gateway_namespace, load_balancer_cidrs=kind.NO_LOAD_BALANCER, cert_manager=False)))
    assert loaded["ngf-blue"]["certGenerator"]["enable"] is True  # no cert-manager in the Kind cluster
    # valid against NGINX Gateway Fabric 2.6.7's own values schema
    jsonschema.validate(loaded["ngf-blue"], json.loads(NGF_VALUES_SCHEMA.read_text()))
    services = loaded["vtc-blue"]
    expected = w.chart_values("blue", environment=kind.ENVIRONMENT, region=kind.REGION,
                              role_arn=services["serviceAccount"]["roleArn"],
                              database_host=services["database"]["host"], database_cidrs=kind.NO_LOAD_BALANCER)
    assert expected["image"].pop("pullPolicy") == "Always" and services["image"].pop("pullPolicy") == "IfNotPresent"
    assert services == expected


def _render(release: str, chart: str, namespace: str, values: Path) -> list[dict]:
    out = helm.run(["template", release, str(ROOT / "charts" / chart), "--namespace", namespace, "--values",
                    str(values)]).stdout
    return [doc for doc in safe_load_all(out) if doc]


@pytest.fixture(scope="module")
def rendered(written) -> dict[str, list[dict]]:
    return {"vtc-blue": _render("vtc-blue", "vision-to-code", "vision-to-code", written["vtc-blue"]),
            "vtc-cluster-config": _render("vtc-cluster-config", "vtc-cluster-config", "monitoring",
                                          written["vtc-cluster-config"])}


def test_the_charts_accept_the_values_and_run_the_stand_in(rendered):
    deployments = [d for d in rendered["vtc-blue"] if d["kind"] == "Deployment"]
    assert len(deployments) == len(SERVICES)
    for deployment in deployments:
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"] == f"{kind.IMAGE_REPOSITORY}/{container['name']}:{kind.IMAGE_TAG}"
        assert container["imagePullPolicy"] == "IfNotPresent"
        # the stand-in answers every probe path the chart gives
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert standin.answer(container[f"{probe}"]["httpGet"]["path"], container["name"], "blue")[0] == 200
    config = rendered["vtc-cluster-config"]
    gateways = {d["metadata"]["name"] for d in config if d["kind"] == "Gateway"}
    assert gateway_name("blue") in gateways
    levels = {d["metadata"]["name"]: d["metadata"]["labels"].get("pod-security.kubernetes.io/enforce")
              for d in config if d["kind"] == "Namespace"}
    assert levels == {"nginx-gateway": "restricted", "vision-to-code": "restricted", "external-secrets": "restricted"}
    # every CRD-backed kind the two charts render has its CRD installed first (the local CRD charts, crd-schemas)
    crd_kinds = {next(safe_load_all(p.read_text()))["spec"]["names"]["kind"]
                 for p in (ROOT / "charts" / "crd-schemas").glob("*.yaml")}
    core = {"Deployment", "Service", "ServiceAccount", "HorizontalPodAutoscaler", "PodDisruptionBudget",
            "NetworkPolicy", "ConfigMap", "Namespace", "StorageClass", "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding", "Role", "RoleBinding"}
    gateway_api = {"Gateway", "HTTPRoute"}
    used = {d["kind"] for docs in rendered.values() for d in docs}
    assert used - core - gateway_api <= crd_kinds, used - core - gateway_api - crd_kinds


def test_the_netpol_probe_is_outside_every_allowed_set_and_asks_every_service(rendered):
    pod = kind.probe_pod()
    labels, namespace = pod["metadata"]["labels"], pod["metadata"]["namespace"]
    allowed = []
    for policy in (d for d in rendered["vtc-blue"] if d["kind"] == "NetworkPolicy"):
        for rule in policy["spec"].get("ingress", []):
            for source in rule["from"]:
                if "ipBlock" in source:  # the kubelet's probes of ambient pods, a link-local address: never a pod's
                    assert source == {"ipBlock": {"cidr": "169.254.7.127/32"}}, source
                    continue
                allowed.append((source["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
                                source["podSelector"]["matchLabels"]))
    assert allowed, "the chart admits some pods (NGINX, Prometheus)"
    for allowed_namespace, selector in allowed:
        assert not (allowed_namespace == namespace and selector.items() <= labels.items())
    default_deny = next(d for d in rendered["vtc-blue"] if d["metadata"]["name"].endswith("-default-deny"))
    assert not default_deny["spec"]["podSelector"]["matchLabels"].items() <= labels.items(), \
        "the probe must not be one of the services' pods"
    [container] = pod["spec"]["containers"]
    services = {(d["metadata"]["name"], d["spec"]["ports"][0]["port"]) for d in rendered["vtc-blue"]
                if d["kind"] == "Service"}
    refused = [a.split("=", 1)[1] for a in container["args"] if a.startswith("--refused=")]
    assert {(re.match(r"http://([^.]+)\.", url)[1], 80) for url in refused} == services
    assert any(a.startswith("--open=kube-dns.kube-system") for a in container["args"]), "a positive control"
    # it meets the namespace's restricted Pod Security level
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert pod["spec"]["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"


# --- the stand-in server, in-process on 127.0.0.1 -----------------------------------------------------------------------

@contextmanager
def serving(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_stand_in_answers_health_readiness_and_its_path():
    with serving(standin.make_server("127.0.0.1", 0, "core", "blue")) as url:
        assert get(url + "/healthz") == (200, {"status": "ok", "service": "core"})
        for path in ("/readyz", "/core/readyz"):
            status, body = get(url + path)
            assert status == 200 and body["database"] == "ok" and body["standin"] is True
        assert get(url + "/core/healthz")[0] == 200
        assert get(url + "/core/things?x=1") == (200, {"service": "core", "colour": "blue", "path": "/core/things"})
        assert get(url + "/business/healthz")[0] == 404 and get(url + "/corex")[0] == 404
        # what environments/smoke.py asks of a service, answered
        report = run_smoke(url, services=["core"])
        assert report.ok and len(report.results) == 2


def test_the_stand_in_refuses_an_unknown_service(capsys, monkeypatch):
    monkeypatch.setenv("VTC_SERVICE", "billing")
    assert standin.main(["serve", "--host", "127.0.0.1", "--port", "0"]) == 1
    assert "VTC_SERVICE must be one of" in capsys.readouterr().err


def test_the_probe_passes_only_when_refused_urls_get_no_answer_and_the_control_connects():
    closed = standin.make_server("127.0.0.1", 0, "core", "blue")
    closed_port = closed.server_address[1]
    closed.server_close()  # a port nothing listens on: no answer
    with serving(standin.make_server("127.0.0.1", 0, "core", "blue")) as url:
        open_ = url.removeprefix("http://")
        nothing = f"http://127.0.0.1:{closed_port}/core/healthz"
        assert standin.probe([nothing], [open_], timeout=2) == 0
        assert standin.probe([url + "/core/healthz"], [open_], timeout=2) == 1, "an answer fails the check"
        assert standin.probe([url + "/business/healthz"], [open_], timeout=2) == 1, "even a 404 is an answer"
        assert standin.probe([nothing], [f"127.0.0.1:{closed_port}"], timeout=2) == 1, "a broken control fails"


# --- the smoke step, against stand-ins behind a path router (what the colour's HTTPRoutes make NGINX do) --------------

class Router(BaseHTTPRequestHandler):
    """NGINX as the chart's HTTPRoutes configure it: /<service>... to that service, /-/ready to core's /readyz."""
    down: set[str] = set()

    def do_GET(self):  # noqa: N802
        if self.path == "/-/ready":  # the health route: core's readiness, the path rewritten
            service, path = "core", "/readyz"
        else:
            service, path = self.path.split("/")[1], self.path
        if service not in SERVICES:
            status, body = 404, {}
        elif service in self.down:
            status, body = 503, {"error": "no upstream"}
        else:
            status, body = standin.answer(path, service, "blue")
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_the_smoke_step_runs_the_projects_smoke_checks_and_the_health_route(monkeypatch, capsys):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Router)
    forward = type("Forward", (), {"terminate": lambda self: None, "wait": lambda self, timeout=None: 0})()
    monkeypatch.setattr(kind, "_port_forward", lambda deadline: forward)
    monkeypatch.setattr(kind, "LOCAL_PORT", server.server_address[1])
    with serving(server):
        kind.smoke(wait_seconds=0)
        out = capsys.readouterr().out
        assert out.count("smoke PASS") == 2 * len(default_services()) and "/-/ready: 200" in out
        monkeypatch.setattr(Router, "down", {"swarm"})
        with pytest.raises(SystemExit, match="smoke checks failed"):
            kind.smoke(wait_seconds=0)
