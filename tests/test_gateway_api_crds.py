"""The two CRD charts, charts/gateway-api-crds (Gateway API v1.5.1 standard channel) and
charts/nginx-gateway-fabric-crds (NGINX Gateway Fabric 2.6.7's own CRDs), and tooling/crds.py:

- the two charts are one mechanism: everything but ``Chart.yaml``, ``README.md`` and ``upstream/`` is byte-identical;
- each chart's upstream files are the ones recorded (SHA-256 table in its README), nothing else is in ``upstream/``,
  and each project's LICENSE is there;
- one render per chart installs every object of every upstream file exactly once, equal to upstream's but for
  ``helm.sh/resource-policy: keep``, which every object carries;
- the Gateway API CRDs are the v1.5.1 standard channel, the version NGF pins; the kinds the platform uses are served;
- each release record Helm stores fits well inside its Secret; ``helm lint --strict`` passes; no values are taken;
- :func:`tooling.crds.crd_document` finds the CRD a manifest's ``apiVersion`` and ``kind`` name, in either chart.

Helm renders each chart once (the two in parallel) and lints both in one call. The render is ``helm install
--dry-run=client -o json``: ``helm template``'s render (no cluster is asked; Helm's default capabilities, which pass
the charts' kubeVersion) plus the release record Helm would store, so that the size is measured on what Helm really
writes. Each check is a function that returns its problems, so that the tests at the end can show it finds them.
"""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import json
import random
import re
import shutil
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
import yaml

from tooling import crds, helm
from tooling.crds import SAFE_LOADER, crd_document, served_schema
from tooling.paths import REPO

KEEP = "helm.sh/resource-policy"
GATEWAY_API_GROUP = "gateway.networking.k8s.io"
NGF_GROUP = "gateway.nginx.org"
GATEWAY_API_VERSION = "v1.5.1"
NGF_VERSION = "v2.6.7"


@dataclass(frozen=True)
class Chart:
    """One CRD chart: its folder (also the release name), its one upstream project and what that holds."""
    name: str
    project: str  # upstream/<project>/
    group: str
    kinds: frozenset[str]  # of the CRDs
    others: frozenset[str]  # kinds of the objects that are not CRDs
    yaml_files: int
    app_version: str
    annotations: dict[str, str]

    @property
    def path(self) -> Path:
        return REPO / "charts" / self.name

    @property
    def upstream(self) -> Path:
        return self.path / "upstream"

    @property
    def readme(self) -> str:
        return (self.path / "README.md").read_text(encoding="utf-8")


GATEWAY_API = Chart(
    "gateway-api-crds", "gateway-api", GATEWAY_API_GROUP,
    frozenset({"GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "ReferenceGrant", "BackendTLSPolicy",
               "ListenerSet", "TLSRoute"}),
    frozenset({"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}),  # safe-upgrades
    9, GATEWAY_API_VERSION.removeprefix("v"),
    {"vision-to-code.io/gateway-api-version": GATEWAY_API_VERSION, "vision-to-code.io/gateway-api-channel": "standard"})
NGF = Chart(
    "nginx-gateway-fabric-crds", "nginx-gateway-fabric", NGF_GROUP,
    frozenset({"AuthenticationFilter", "ClientSettingsPolicy", "NginxGateway", "NginxProxy", "ObservabilityPolicy",
               "ProxySettingsPolicy", "RateLimitPolicy", "SnippetsFilter", "SnippetsPolicy", "UpstreamSettingsPolicy",
               "WAFPolicy"}),
    frozenset(), 11, NGF_VERSION.removeprefix("v"),
    # The Gateway API version NGF 2.6.7 pins: the one GATEWAY_API must install.
    {"vision-to-code.io/nginx-gateway-fabric-version": NGF_VERSION,
     "vision-to-code.io/gateway-api-version": GATEWAY_API_VERSION})
CHARTS = {chart.name: chart for chart in (GATEWAY_API, NGF)}
#: What only the chart's own files may differ in; everything else is the shared mechanism, byte for byte.
OWN = ("Chart.yaml", "README.md", "upstream/")
#: The kinds the platform renders or configures (docs/design/nginx-gateway-fabric.md), at the versions it uses.
PLATFORM_KINDS = [(f"{GATEWAY_API_GROUP}/v1", "GatewayClass"), (f"{GATEWAY_API_GROUP}/v1", "Gateway"),
                  (f"{GATEWAY_API_GROUP}/v1", "HTTPRoute"), (f"{NGF_GROUP}/v1alpha2", "NginxProxy"),
                  (f"{NGF_GROUP}/v1alpha1", "NginxGateway")]
#: Kubernetes refuses a Secret whose data exceeds 1 MiB; Helm keeps each revision in one Secret.
SECRET_LIMIT = 1024 * 1024
#: Each release record may use this share of it: the rest is headroom for Go's gzip (a little less compact than the
#: zlib measured here), for the fields a real install adds (status, timestamps) and for CRDs that grow.
RECORD_SHARE = 0.60
_UPSTREAM_COMMENT = re.compile(r"^# Upstream: upstream/(\S+)$", re.MULTILINE)
_CHECKSUM_ROW = re.compile(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$", re.MULTILINE)
_SIZE_ROW = re.compile(r"^\| whole release record \(chart files \+ manifest\) \| ([\d,]+) B \| ([\d,]+) B ",
                       re.MULTILINE)

each_chart = pytest.mark.parametrize("chart", list(CHARTS.values()), ids=list(CHARTS))


def _key(obj: dict) -> tuple[str, str, str]:
    return obj["apiVersion"], obj["kind"], obj["metadata"]["name"]


def _files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (its path relative to it, POSIX) -> its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _upstream_objects(root: Path) -> dict[str, list[dict]]:
    """Every ``*.yaml`` file under ``root`` (its path relative to it) -> the objects in it, as upstream wrote them."""
    found = {}
    for path in sorted(root.rglob("*.yaml")):
        with path.open("rb") as stream:
            found[path.relative_to(root).as_posix()] = [d for d in yaml.load_all(stream, Loader=SAFE_LOADER) if d]
    return found


def _secret_size(text: str) -> int:
    """How many bytes Helm's Secret driver stores for ``text``: base64 of its gzip at best compression."""
    return len(base64.b64encode(gzip.compress(text.encode(), compresslevel=9)))


def _render(chart: Chart) -> dict:
    result = helm.run(["install", chart.name, str(chart.path), "--dry-run=client", "--output", "json"])
    record = json.loads(result.stdout)
    record["raw"] = result.stdout.strip()  # Go's own JSON (its escapes), as the Secret driver marshals it
    record["objects"] = [d for d in yaml.load_all(record["manifest"], Loader=SAFE_LOADER) if d]
    return record


@pytest.fixture(scope="module")
def releases() -> dict[str, dict]:
    """Each chart's release record of a first install, as Helm would store it (no cluster: ``--dry-run=client``);
    one render per chart, the two at once."""
    started = time.perf_counter()
    with ThreadPoolExecutor(len(CHARTS)) as pool:
        rendered = dict(zip(CHARTS, pool.map(_render, CHARTS.values())))
    print(f"helm renders: {time.perf_counter() - started:.2f} s,",
          ", ".join(f"{name} {len(r['objects'])} objects" for name, r in rendered.items()))
    return rendered


@pytest.fixture(scope="module")
def upstream() -> dict[str, dict[str, list[dict]]]:
    return {name: _upstream_objects(chart.upstream) for name, chart in CHARTS.items()}


# --- the charts and their upstream files ------------------------------------------------------------------------------

@each_chart
def test_chart_metadata_names_the_upstream_versions(chart):
    meta = yaml.safe_load((chart.path / "Chart.yaml").read_text(encoding="utf-8"))
    assert (meta["apiVersion"], meta["name"], meta["type"]) == ("v2", chart.name, "application")
    assert re.fullmatch(r"\d+\.\d+\.\d+", meta["version"])
    assert meta["appVersion"] == chart.app_version
    assert meta["kubeVersion"] == ">=1.33.0-0"
    assert meta["annotations"] == chart.annotations
    assert "dependencies" not in meta
    # Helm's crds/ folder is installed once and never upgraded: everything here must be a template.
    assert not (chart.path / "crds").exists()
    assert sorted(p.name for p in (chart.path / "templates").iterdir()) == ["crds.yaml"]
    assert f"| `v{chart.app_version}` |" in chart.readme


def test_ngf_pins_the_gateway_api_version_that_gateway_api_crds_installs():
    """NGF 2.6.7 supports exactly the Gateway API it pins; the two charts move separately, so they are checked
    against each other (and the CRDs' own bundle version against the chart: below)."""
    pinned = {name: yaml.safe_load((chart.path / "Chart.yaml").read_text(encoding="utf-8"))["annotations"][
        "vision-to-code.io/gateway-api-version"] for name, chart in CHARTS.items()}
    assert pinned == {GATEWAY_API.name: GATEWAY_API_VERSION, NGF.name: GATEWAY_API_VERSION}
    assert helm.version().startswith("v4.1.4")


def drift_problems(one: Path, other: Path) -> list[str]:
    """Every file outside :data:`OWN` that is not byte-identical in the two chart folders (or not in both)."""
    files = [{name: data for name, data in _files(root).items() if not name.startswith(OWN)} for root in (one, other)]
    problems = [f"{name}: only in {root.name}" for root, mine, theirs in ((one, *files), (other, *files[::-1]))
                for name in sorted(set(mine) - set(theirs))]
    problems += [f"{name}: differs between {one.name} and {other.name}"
                 for name in sorted(set(files[0]) & set(files[1])) if files[0][name] != files[1][name]]
    return problems


def test_the_two_charts_share_one_mechanism_byte_for_byte():
    """templates/crds.yaml, values.yaml, values.schema.json and .helmignore: one copy in two places (READMEs)."""
    shared = sorted(name for name in _files(GATEWAY_API.path) if not name.startswith(OWN))
    assert shared == [".helmignore", "templates/crds.yaml", "values.schema.json", "values.yaml"]
    assert drift_problems(GATEWAY_API.path, NGF.path) == []


def checksum_problems(files: dict[str, bytes], readme: str) -> list[str]:
    """Every difference between the files (relative path -> bytes) and the README's SHA-256 table."""
    recorded = dict(_CHECKSUM_ROW.findall(readme))
    problems = [f"{name}: in upstream/ but not in the README's table" for name in sorted(set(files) - set(recorded))]
    problems += [f"{name}: in the README's table but not in upstream/" for name in sorted(set(recorded) - set(files))]
    problems += [f"{name}: SHA-256 {hashlib.sha256(data).hexdigest()}, the README records {recorded[name]}"
                 for name, data in sorted(files.items())
                 if name in recorded and hashlib.sha256(data).hexdigest() != recorded[name]]
    return problems


@each_chart
def test_the_upstream_files_are_the_recorded_ones_with_their_licence(chart):
    files = _files(chart.upstream)
    assert Counter(name.split("/")[0] for name in files) == {chart.project: chart.yaml_files + 1}
    assert sum(name.endswith(".yaml") for name in files) == chart.yaml_files
    assert checksum_problems(files, chart.readme) == []
    licence = files[f"{chart.project}/LICENSE"].decode()
    assert licence.split()[:5] == ["Apache", "License", "Version", "2.0,", "January"]
    assert "END OF TERMS AND CONDITIONS" in licence


# --- the renders ------------------------------------------------------------------------------------------------------

def render_problems(manifest: str, objects: list[dict], upstream: dict[str, list[dict]]) -> list[str]:
    """Every way the render differs from "each upstream object once, as upstream wrote it, plus keep"."""
    problems = []
    rendered_from = Counter(_UPSTREAM_COMMENT.findall(manifest))
    for name, expected in upstream.items():
        if rendered_from[name] != len(expected):
            problems.append(f"{name}: {len(expected)} object(s) upstream, rendered {rendered_from[name]} time(s)")
    for name in sorted(set(rendered_from) - set(upstream)):
        problems.append(f"{name}: rendered, but no such upstream file")
    wanted = {_key(obj): obj for objs in upstream.values() for obj in objs}
    counts = Counter(_key(obj) for obj in objects)
    problems += [f"{'/'.join(key)}: rendered {n} times" for key, n in counts.items() if n > 1]
    problems += [f"{'/'.join(key)}: not rendered" for key in wanted if key not in counts]
    for obj in objects:
        key = _key(obj)
        if key not in wanted:
            problems.append(f"{'/'.join(key)}: rendered, not upstream")
            continue
        annotations = dict(obj["metadata"].get("annotations") or {})
        if annotations.pop(KEEP, None) != "keep":
            problems.append(f"{'/'.join(key)}: {KEEP} is not keep")
        metadata = {k: v for k, v in obj["metadata"].items() if k != "annotations"}
        if annotations or "annotations" in wanted[key]["metadata"]:
            metadata["annotations"] = annotations
        without_keep = {**obj, "metadata": metadata}  # shallow: the rendered object is left as it is
        if without_keep != wanted[key]:
            problems.append(f"{'/'.join(key)}: differs from upstream beyond the {KEEP} annotation")
    return problems


@each_chart
def test_every_upstream_object_is_rendered_once_as_upstream_wrote_it_but_kept(chart, releases, upstream):
    release = releases[chart.name]
    assert len(release["objects"]) == len(chart.kinds) + len(chart.others)
    assert render_problems(release["manifest"], release["objects"], upstream[chart.name]) == []


@each_chart
def test_every_object_is_kept_and_cluster_scoped(chart, releases):
    objects = releases[chart.name]["objects"]
    assert {_key(o): o["metadata"]["annotations"].get(KEEP) for o in objects} == {_key(o): "keep" for o in objects}
    assert [o["metadata"]["name"] for o in objects if "namespace" in o["metadata"]] == []
    assert "hooks" not in releases[chart.name]  # nothing runs outside the manifest


@each_chart
def test_each_chart_installs_its_project_only(chart, releases):
    objects = releases[chart.name]["objects"]
    crds_ = [o for o in objects if o["kind"] == "CustomResourceDefinition"]
    assert {c["spec"]["group"] for c in crds_} == {chart.group}
    assert {c["spec"]["names"]["kind"] for c in crds_} == chart.kinds
    assert {o["kind"] for o in objects if o["kind"] != "CustomResourceDefinition"} == chart.others


def test_the_gateway_api_crds_are_the_standard_channel_of_v1_5_1(releases):
    objects = releases[GATEWAY_API.name]["objects"]
    for crd in (o for o in objects if o["kind"] == "CustomResourceDefinition"):
        annotations = crd["metadata"]["annotations"]
        assert annotations[f"{GATEWAY_API_GROUP}/bundle-version"] == GATEWAY_API_VERSION, crd["metadata"]["name"]
        assert annotations[f"{GATEWAY_API_GROUP}/channel"] == "standard", crd["metadata"]["name"]
    others = {o["kind"]: o for o in objects if o["kind"] != "CustomResourceDefinition"}
    policy, binding = others["ValidatingAdmissionPolicy"], others["ValidatingAdmissionPolicyBinding"]
    assert binding["spec"]["policyName"] == policy["metadata"]["name"] == "safe-upgrades.gateway.networking.k8s.io"
    assert binding["spec"]["validationActions"] == ["Deny"]


@pytest.mark.parametrize("api_version, kind", PLATFORM_KINDS, ids=[k for _, k in PLATFORM_KINDS])
def test_the_kinds_the_platform_uses_are_served(releases, api_version, kind):
    group, version = api_version.split("/")
    [chart] = [c for c in CHARTS.values() if c.group == group]
    [crd] = [o for o in releases[chart.name]["objects"] if o["kind"] == "CustomResourceDefinition"
             and o["spec"]["names"]["kind"] == kind]
    [served] = [v for v in crd["spec"]["versions"] if v["name"] == version]
    assert served["served"] is True and served["storage"] is True and not served.get("deprecated")
    assert served["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert crd_document(api_version, kind)["metadata"]["name"] == crd["metadata"]["name"]


def size_problems(record: str) -> tuple[list[str], int]:
    """Whether the record, as Helm stores it, exceeds :data:`RECORD_SHARE` of a Secret; and its stored size."""
    stored = _secret_size(record)
    if stored > RECORD_SHARE * SECRET_LIMIT:
        return [f"the release record takes {stored} B as Helm stores it, over {RECORD_SHARE:.0%} of a Secret's "
                f"{SECRET_LIMIT} B (README, 'Size of the release')"], stored
    return [], stored


@each_chart
def test_the_release_fits_a_helm_release_secret(chart, releases):
    """Helm keeps a revision as base64(gzip(json(release))) in one Secret; the record holds the chart's files (the
    upstream copies, base64 inside the JSON) and the rendered manifest. The README's figures are the measured ones."""
    release = releases[chart.name]
    problems, stored = size_problems(release["raw"])
    manifest = release["manifest"]
    print(f"{chart.name}: upstream {sum(len(d) for d in _files(chart.upstream).values())} B, manifest "
          f"{len(manifest.encode())} B ({_secret_size(manifest)} B stored), record {len(release['raw'].encode())} B "
          f"({stored} B stored, {stored / SECRET_LIMIT:.1%} of {SECRET_LIMIT} B)")
    assert problems == []
    files = _files(chart.upstream)
    assert {f"upstream/{name}" for name in files} <= {f["name"] for f in release["chart"]["files"]}
    [(raw, recorded)] = _SIZE_ROW.findall(chart.readme)
    assert abs(int(recorded.replace(",", "")) - stored) < 0.01 * stored, "update the README's size table"
    assert abs(int(raw.replace(",", "")) - len(release["raw"].encode())) < 0.01 * len(release["raw"].encode())


def test_helm_lint_strict_passes():
    result = helm.run(["lint", "--strict", *(str(chart.path) for chart in CHARTS.values()), "--kube-version", "1.36.0"])
    assert f"{len(CHARTS)} chart(s) linted, 0 chart(s) failed" in result.stdout
    assert "[ERROR]" not in result.stdout and "[WARNING]" not in result.stdout


def test_the_charts_take_no_values():
    """values.schema.json (one file in both charts) refuses every value, so a misplaced values file fails instead of
    being ignored (helm enforces the schema in lint, template and install)."""
    schema = json.loads((GATEWAY_API.path / "values.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    assert list(validator.iter_errors({})) == []
    assert list(validator.iter_errors({"crds": {"keep": False}}))
    assert yaml.safe_load((GATEWAY_API.path / "values.yaml").read_text(encoding="utf-8")) is None


# --- tooling/crds.py --------------------------------------------------------------------------------------------------

def test_crd_document_searches_both_charts_by_default(upstream):
    assert crds.UPSTREAMS == (GATEWAY_API.upstream, NGF.upstream)
    [route] = upstream[GATEWAY_API.name]["gateway-api/gateway.networking.k8s.io_httproutes.yaml"]
    assert crd_document("gateway.networking.k8s.io/v1", "HTTPRoute") == route
    assert crd_document("gateway.networking.k8s.io/v1beta1", "HTTPRoute") == route  # also served
    [proxy] = upstream[NGF.name]["nginx-gateway-fabric/gateway.nginx.org_nginxproxies.yaml"]
    assert crd_document("gateway.nginx.org/v1alpha2", "NginxProxy") == proxy
    assert served_schema("gateway.nginx.org/v1alpha2", "NginxProxy") == \
        proxy["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    # Every CRD of every file of both charts is found under each of its served versions.
    for files in upstream.values():
        for objects in files.values():
            for obj in (o for o in objects if o["kind"] == "CustomResourceDefinition"):
                for version in obj["spec"]["versions"]:
                    found = crd_document(f"{obj['spec']['group']}/{version['name']}", obj["spec"]["names"]["kind"])
                    assert (found == obj) is version["served"], (obj["metadata"]["name"], version["name"])
    # One folder (a Path or a str) searches that chart only.
    assert crd_document("gateway.networking.k8s.io/v1", "HTTPRoute", root=str(GATEWAY_API.upstream)) == route
    assert crd_document("gateway.nginx.org/v1alpha2", "NginxProxy", root=GATEWAY_API.upstream) is None
    assert served_schema("gateway.networking.k8s.io/v1", "HTTPRoute", root=[NGF.upstream]) is None


@pytest.mark.parametrize("api_version, kind", [
    ("gateway.networking.k8s.io/v1alpha2", "TLSRoute"),   # listed, no longer served
    ("gateway.networking.k8s.io/v1", "TCPRoute"),         # experimental channel only
    ("gateway.nginx.org/v1alpha1", "NginxProxy"),         # an older NGF's version
    ("v1", "Service"),                                     # a core kind
    ("monitoring.coreos.com/v1", "ServiceMonitor"),        # another project's (charts/crd-schemas/)
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"),  # in upstream/, but not a CRD
], ids=["unserved", "experimental", "old-version", "core", "other-project", "not-a-crd"])
def test_crd_document_is_none_for_what_the_charts_do_not_serve(api_version, kind):
    assert crd_document(api_version, kind) is None
    assert served_schema(api_version, kind) is None


def test_crd_document_parses_once_and_hands_out_copies():
    crd_document("gateway.networking.k8s.io/v1", "Gateway")  # warm
    started = time.perf_counter()
    first = crd_document("gateway.nginx.org/v1alpha2", "NginxProxy")
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5, f"a cached lookup took {elapsed:.2f} s"
    assert crds._index.cache_info().currsize >= 1
    first["spec"]["versions"].clear()
    assert crd_document("gateway.nginx.org/v1alpha2", "NginxProxy")["spec"]["versions"]


def test_crd_document_refuses_wrong_arguments_and_two_crds_of_one_kind(tmp_path):
    with pytest.raises(TypeError, match=r"api_version: must be a string .*\(got None of type NoneType\)"):
        crd_document(None, "Gateway")
    with pytest.raises(TypeError, match=r"kind: must be a string .*\(got 1 of type int\)"):
        crd_document("gateway.networking.k8s.io/v1", 1)
    with pytest.raises(ValueError, match=r"root: no folder given"):
        crd_document("gateway.networking.k8s.io/v1", "Gateway", root=[])
    with pytest.raises(FileNotFoundError, match=r"root: .*/no-such-chart/upstream is not a directory"):
        crd_document("gateway.networking.k8s.io/v1", "Gateway", root=(GATEWAY_API.upstream,
                                                                      REPO / "charts" / "no-such-chart" / "upstream"))
    source = GATEWAY_API.upstream / "gateway-api" / "gateway.networking.k8s.io_gateways.yaml"
    one = tmp_path / "one"
    (one / "a").mkdir(parents=True)
    (one / "a" / "gateways.yaml").write_bytes(source.read_bytes())
    assert crd_document("gateway.networking.k8s.io/v1", "Gateway", root=one)["spec"]["names"]["kind"] == "Gateway"
    # The same folder twice, or a folder and one inside it: each file is read once, not taken for a second CRD.
    assert crd_document("gateway.networking.k8s.io/v1", "Gateway", root=[one, one / "a", one])
    # A second copy beside the first, as an update that adds the new tag's files without removing the old ones
    # (after a leading document of comments only, which is skipped).
    two = tmp_path / "two"
    shutil.copytree(one, two)
    (two / "b").mkdir()
    (two / "b" / "gateways.yaml").write_bytes(b"# a comment document\n---\n" + source.read_bytes())
    with pytest.raises(ValueError, match=r"gateway.networking.k8s.io/v1 Gateway is served by two CRDs, in "
                                         r"a/gateways.yaml and b/gateways.yaml; keep one file per CRD"):
        crd_document("gateway.networking.k8s.io/v1", "Gateway", root=two)
    # A copy in each of two folders searched together, as the Gateway API's CRDs copied into the NGF chart.
    with pytest.raises(ValueError, match=r"Gateway is served by two CRDs, in one/a/gateways.yaml and "
                                         r"three/gateways.yaml"):
        shutil.copytree(one / "a", tmp_path / "three")
        crd_document("gateway.networking.k8s.io/v1", "Gateway", root=[one, tmp_path / "three"])


def test_crd_document_plugs_into_the_strict_validator_of_the_chart_tests():
    """tests/test_chart.py's ``_strict`` (unknown fields are errors) over :func:`served_schema` accepts an HTTPRoute
    as the services chart will render it and refuses a misspelled field and a wrong type."""
    from tests.test_chart import _strict

    validator = jsonschema.Draft7Validator(_strict(served_schema("gateway.networking.k8s.io/v1", "HTTPRoute")))
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": "vtc-blue-core", "namespace": "vision-to-code"},
             "spec": {"parentRefs": [{"name": "vtc-blue", "namespace": "nginx-gateway"}],
                      "hostnames": ["app.example.com"],
                      "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/core"}}],
                                 "backendRefs": [{"name": "vtc-blue-core", "port": 8080}]}]}}
    assert [e.message for e in validator.iter_errors(route)] == []
    misspelled = copy.deepcopy(route)
    misspelled["spec"]["rules"][0]["backendRef"] = misspelled["spec"]["rules"][0].pop("backendRefs")
    assert list(validator.iter_errors(misspelled))
    wrong_type = copy.deepcopy(route)
    wrong_type["spec"]["rules"][0]["backendRefs"][0]["port"] = "http"
    assert list(validator.iter_errors(wrong_type))


# --- the checks can fail ----------------------------------------------------------------------------------------------

def test_the_checks_find_what_they_look_for(releases, upstream, tmp_path):
    files = _files(GATEWAY_API.upstream)
    readme = GATEWAY_API.readme
    edited = {**files, "gateway-api/gateway.networking.k8s.io_gateways.yaml": files[
        "gateway-api/gateway.networking.k8s.io_gateways.yaml"] + b"\n"}  # one byte more: an accidental edit
    assert [p.split(":")[0] for p in checksum_problems(edited, readme)] == \
        ["gateway-api/gateway.networking.k8s.io_gateways.yaml"]
    assert checksum_problems({**files, "gateway-api/extra.yaml": b""}, readme) == \
        ["gateway-api/extra.yaml: in upstream/ but not in the README's table"]
    assert len(checksum_problems(files, readme.replace("_tlsroutes.yaml", "_tlsroute.yaml"))) == 2
    assert [p.split(":")[0] for p in checksum_problems({k: v for k, v in files.items() if k.endswith(".yaml")},
                                                        readme)] == ["gateway-api/LICENSE"]

    release, objects = releases[GATEWAY_API.name], releases[GATEWAY_API.name]["objects"]
    manifest, expected = release["manifest"], upstream[GATEWAY_API.name]
    first_crd = next(i for i, o in enumerate(objects) if o["kind"] == "CustomResourceDefinition")
    unkept = list(objects)  # a copy of the list; only the object changed is copied deeply
    unkept[first_crd] = copy.deepcopy(objects[first_crd])
    del unkept[first_crd]["metadata"]["annotations"][KEEP]
    assert [p.endswith(f"{KEEP} is not keep") for p in render_problems(manifest, unkept, expected)] == [True]
    changed = list(objects)
    changed[first_crd] = crd = copy.deepcopy(objects[first_crd])
    crd["spec"]["scope"] = "Cluster" if crd["spec"]["scope"] == "Namespaced" else "Namespaced"
    assert [p.endswith("differs from upstream beyond the helm.sh/resource-policy annotation")
            for p in render_problems(manifest, changed, expected)] == [True]
    twice = objects + [objects[5]]
    assert any("rendered 2 times" in p for p in render_problems(manifest, twice, expected))
    assert any("not rendered" in p for p in render_problems(manifest, objects[1:], expected))
    first_file = next(iter(expected))
    assert any(p.startswith(f"{first_file}: 1 object(s) upstream, rendered 0")
               for p in render_problems(manifest.replace(f"# Upstream: upstream/{first_file}\n", ""), objects,
                                        expected))
    # The other chart's render is not this chart's upstream.
    assert any(p.endswith("rendered, not upstream") for p in
               render_problems(manifest, objects + releases[NGF.name]["objects"], expected))

    # 400 kB of random bytes, base64-encoded: text gzip cannot shrink much, as the chart's files in the record.
    noise = base64.b64encode(random.Random(0).randbytes(400_000)).decode()
    for name in CHARTS:
        assert size_problems(releases[name]["raw"])[0] == []
        assert [p.startswith("the release record takes ") for p in
                size_problems(releases[name]["raw"] + noise)[0]] == [True]

    # The shared files drift: a template edited in one chart only, a file added to one.
    copies = {}
    for chart in CHARTS.values():
        copies[chart.name] = tmp_path / chart.name
        shutil.copytree(chart.path, copies[chart.name], ignore=shutil.ignore_patterns("upstream"))
    assert drift_problems(*copies.values()) == []
    template = copies[NGF.name] / "templates" / "crds.yaml"
    template.write_text(template.read_text(encoding="utf-8").replace("keep", "keep ", 1), encoding="utf-8")
    (copies[GATEWAY_API.name] / "templates" / "NOTES.txt").write_text("installed\n", encoding="utf-8")
    assert drift_problems(*copies.values()) == [
        "templates/NOTES.txt: only in gateway-api-crds",
        "templates/crds.yaml: differs between gateway-api-crds and nginx-gateway-fabric-crds"]
