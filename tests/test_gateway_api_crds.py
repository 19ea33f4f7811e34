"""The Gateway API and NGINX Gateway Fabric CRD chart (charts/gateway-api-crds) and tooling/crds.py:

- the upstream files are the ones recorded (SHA-256 table in the chart's README), nothing else is in ``upstream/``;
- one render installs every object of every upstream file exactly once, equal to upstream's but for
  ``helm.sh/resource-policy: keep``, which every object carries;
- the Gateway API CRDs are the v1.5.1 standard channel; the kinds the platform uses are served;
- the release record Helm stores fits its Secret; ``helm lint --strict`` passes; the chart takes no values;
- :func:`tooling.crds.crd_document` finds the CRD a manifest's ``apiVersion`` and ``kind`` name.

Helm renders once and lints once. The render is ``helm install --dry-run=client -o json``: ``helm template``'s render
(no cluster is asked; Helm's default capabilities, which pass the chart's kubeVersion) plus the release record Helm
would store, so that the size is measured on what Helm really writes. Each check is a
function that returns its problems, so that the tests at the end can show it finds them.
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
from pathlib import Path

import jsonschema
import pytest
import yaml

from tooling import crds, helm
from tooling.crds import crd_document, served_schema
from tooling.paths import REPO

CHART = REPO / "charts" / "gateway-api-crds"
UPSTREAM = CHART / "upstream"
README = CHART / "README.md"
RELEASE = "gateway-crds"
KEEP = "helm.sh/resource-policy"
GATEWAY_API_GROUP = "gateway.networking.k8s.io"
NGF_GROUP = "gateway.nginx.org"
GATEWAY_API_VERSION = "v1.5.1"
NGF_VERSION = "v2.6.7"
#: What the two upstream paths hold at these tags: 8 Gateway API CRDs, NGF's 11, and the safe-upgrades policy.
GATEWAY_API_KINDS = {"GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "ReferenceGrant", "BackendTLSPolicy",
                     "ListenerSet", "TLSRoute"}
NGF_KINDS = {"AuthenticationFilter", "ClientSettingsPolicy", "NginxGateway", "NginxProxy", "ObservabilityPolicy",
             "ProxySettingsPolicy", "RateLimitPolicy", "SnippetsFilter", "SnippetsPolicy", "UpstreamSettingsPolicy",
             "WAFPolicy"}
#: The kinds the platform renders or configures (docs/design/nginx-gateway-fabric.md), at the versions it uses.
PLATFORM_KINDS = [(f"{GATEWAY_API_GROUP}/v1", "GatewayClass"), (f"{GATEWAY_API_GROUP}/v1", "Gateway"),
                  (f"{GATEWAY_API_GROUP}/v1", "HTTPRoute"), (f"{NGF_GROUP}/v1alpha2", "NginxProxy"),
                  (f"{NGF_GROUP}/v1alpha1", "NginxGateway")]
#: Kubernetes refuses a Secret whose data exceeds 1 MiB; Helm keeps each revision in one Secret.
SECRET_LIMIT = 1024 * 1024
#: The release record may use this share of it: the rest is headroom for Go's gzip (a little less compact than the
#: zlib measured here) and for the fields a real install adds (status, timestamps, values).
RECORD_SHARE = 0.95
#: The rendered manifest alone must stay well under the limit (it is a third of the record).
MANIFEST_SHARE = 0.5
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_UPSTREAM_COMMENT = re.compile(r"^# Upstream: upstream/(\S+)$", re.MULTILINE)
_CHECKSUM_ROW = re.compile(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$", re.MULTILINE)


def _key(obj: dict) -> tuple[str, str, str]:
    return obj["apiVersion"], obj["kind"], obj["metadata"]["name"]


def _upstream_objects(root: Path = UPSTREAM) -> dict[str, list[dict]]:
    """Every file under ``root`` (its path relative to it) -> the objects in it, parsed as upstream wrote them."""
    found = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        with path.open("rb") as stream:
            found[path.relative_to(root).as_posix()] = [d for d in yaml.load_all(stream, Loader=_LOADER) if d]
    return found


def _secret_size(text: str) -> int:
    """How many bytes Helm's Secret driver stores for ``text``: base64 of its gzip at best compression."""
    return len(base64.b64encode(gzip.compress(text.encode(), compresslevel=9)))


@pytest.fixture(scope="module")
def release() -> dict:
    """The release record of a first install, as Helm would store it (no cluster: ``--dry-run=client``)."""
    started = time.perf_counter()
    result = helm.run(["install", RELEASE, str(CHART), "--dry-run=client", "--output", "json"])
    record = json.loads(result.stdout)
    record["raw"] = result.stdout.strip()  # Go's own JSON (its escapes), as the Secret driver marshals it
    record["objects"] = [d for d in yaml.load_all(record["manifest"], Loader=_LOADER) if d]
    print(f"helm render: {time.perf_counter() - started:.2f} s, {len(record['objects'])} objects")
    return record


@pytest.fixture(scope="module")
def upstream() -> dict[str, list[dict]]:
    return _upstream_objects()


# --- the chart and its upstream files -------------------------------------------------------------------------------------

def test_chart_metadata_names_the_upstream_versions():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8"))
    assert (chart["apiVersion"], chart["name"], chart["type"]) == ("v2", "gateway-api-crds", "application")
    assert re.fullmatch(r"\d+\.\d+\.\d+", chart["version"])
    assert chart["appVersion"] == GATEWAY_API_VERSION.removeprefix("v")
    assert chart["kubeVersion"] == ">=1.33.0-0"
    assert chart["annotations"] == {"vision-to-code.io/gateway-api-version": GATEWAY_API_VERSION,
                                    "vision-to-code.io/gateway-api-channel": "standard",
                                    "vision-to-code.io/nginx-gateway-fabric-version": NGF_VERSION}
    assert "dependencies" not in chart
    # Helm's crds/ folder is installed once and never upgraded: everything here must be a template.
    assert not (CHART / "crds").exists()
    assert sorted(p.name for p in (CHART / "templates").iterdir()) == ["crds.yaml"]
    readme = README.read_text(encoding="utf-8")
    assert f"| `{GATEWAY_API_VERSION}` |" in readme and f"| `{NGF_VERSION}` |" in readme
    assert helm.version().startswith("v4.1.4")


def checksum_problems(files: dict[str, bytes], readme: str) -> list[str]:
    """Every difference between the files (relative path -> bytes) and the README's SHA-256 table."""
    recorded = dict(_CHECKSUM_ROW.findall(readme))
    problems = [f"{name}: in upstream/ but not in the README's table" for name in sorted(set(files) - set(recorded))]
    problems += [f"{name}: in the README's table but not in upstream/" for name in sorted(set(recorded) - set(files))]
    problems += [f"{name}: SHA-256 {hashlib.sha256(data).hexdigest()}, the README records {recorded[name]}"
                 for name, data in sorted(files.items())
                 if name in recorded and hashlib.sha256(data).hexdigest() != recorded[name]]
    return problems


def _files() -> dict[str, bytes]:
    return {p.relative_to(UPSTREAM).as_posix(): p.read_bytes() for p in UPSTREAM.rglob("*") if p.is_file()}


def test_the_upstream_files_are_the_recorded_ones():
    files = _files()
    assert Counter(name.split("/")[0] for name in files) == {"gateway-api": 9, "nginx-gateway-fabric": 11}
    assert checksum_problems(files, README.read_text(encoding="utf-8")) == []


# --- the render -------------------------------------------------------------------------------------------------------------

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


def test_every_upstream_object_is_rendered_once_as_upstream_wrote_it_but_kept(release, upstream):
    assert len(release["objects"]) == 21
    assert render_problems(release["manifest"], release["objects"], upstream) == []


def test_every_object_is_kept_and_cluster_scoped(release):
    assert {_key(o): o["metadata"]["annotations"].get(KEEP) for o in release["objects"]} == \
        {_key(o): "keep" for o in release["objects"]}
    assert [o["metadata"]["name"] for o in release["objects"] if "namespace" in o["metadata"]] == []
    assert "hooks" not in release  # nothing runs outside the manifest


def test_the_gateway_api_crds_are_the_standard_channel_of_v1_5_1(release):
    crds_of = {}
    for obj in release["objects"]:
        if obj["kind"] == "CustomResourceDefinition":
            crds_of.setdefault(obj["spec"]["group"], []).append(obj)
    assert {g: len(c) for g, c in crds_of.items()} == {GATEWAY_API_GROUP: 8, NGF_GROUP: 11}
    assert {c["spec"]["names"]["kind"] for c in crds_of[GATEWAY_API_GROUP]} == GATEWAY_API_KINDS
    assert {c["spec"]["names"]["kind"] for c in crds_of[NGF_GROUP]} == NGF_KINDS
    for crd in crds_of[GATEWAY_API_GROUP]:
        annotations = crd["metadata"]["annotations"]
        assert annotations[f"{GATEWAY_API_GROUP}/bundle-version"] == GATEWAY_API_VERSION, crd["metadata"]["name"]
        assert annotations[f"{GATEWAY_API_GROUP}/channel"] == "standard", crd["metadata"]["name"]
    others = {o["kind"]: o for o in release["objects"] if o["kind"] != "CustomResourceDefinition"}
    assert set(others) == {"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}
    policy, binding = others["ValidatingAdmissionPolicy"], others["ValidatingAdmissionPolicyBinding"]
    assert binding["spec"]["policyName"] == policy["metadata"]["name"] == "safe-upgrades.gateway.networking.k8s.io"
    assert binding["spec"]["validationActions"] == ["Deny"]


@pytest.mark.parametrize("api_version, kind", PLATFORM_KINDS, ids=[k for _, k in PLATFORM_KINDS])
def test_the_kinds_the_platform_uses_are_served(release, api_version, kind):
    group, version = api_version.split("/")
    [crd] = [o for o in release["objects"] if o["kind"] == "CustomResourceDefinition"
             and o["spec"]["group"] == group and o["spec"]["names"]["kind"] == kind]
    [served] = [v for v in crd["spec"]["versions"] if v["name"] == version]
    assert served["served"] is True and served["storage"] is True and not served.get("deprecated")
    assert served["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert crd_document(api_version, kind)["metadata"]["name"] == crd["metadata"]["name"]


def size_problems(record: str, manifest: str) -> tuple[list[str], dict[str, int]]:
    """The shares of a release Secret the record and the manifest alone exceed, and the sizes measured."""
    sizes = {"manifest": len(manifest.encode()), "manifest_stored": _secret_size(manifest),
             "record": len(record.encode()), "record_stored": _secret_size(record)}
    problems = []
    if sizes["manifest_stored"] > MANIFEST_SHARE * SECRET_LIMIT:
        problems.append(f"the rendered manifest takes {sizes['manifest_stored']} B gzipped and base64-encoded, "
                        f"over {MANIFEST_SHARE:.0%} of a Secret's {SECRET_LIMIT} B")
    if sizes["record_stored"] > RECORD_SHARE * SECRET_LIMIT:
        problems.append(f"the release record takes {sizes['record_stored']} B as Helm stores it, over "
                        f"{RECORD_SHARE:.0%} of a Secret's {SECRET_LIMIT} B: split the chart (README, 'Size')")
    return problems, sizes


def test_the_release_fits_a_helm_release_secret(release):
    """Helm keeps a revision as base64(gzip(json(release))) in one Secret; the record holds the chart's files (the
    upstream copies, base64 inside the JSON) and the rendered manifest."""
    problems, sizes = size_problems(release["raw"], release["manifest"])
    print(", ".join(f"{k} {v} B" for k, v in sizes.items()),
          f"({sizes['record_stored'] / SECRET_LIMIT:.0%} of {SECRET_LIMIT} B)")
    assert problems == []
    stored = {f["name"] for f in release["chart"]["files"]}
    assert {f"upstream/{name}" for name in _files()} <= stored  # what is measured holds the upstream files
    upstream_bytes = sum(len(data) for data in _files().values())
    assert sizes["manifest"] > 0.9 * upstream_bytes and sizes["record"] > 2 * sizes["manifest"]


def test_helm_lint_strict_passes():
    result = helm.run(["lint", "--strict", str(CHART), "--kube-version", "1.36.0"])
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout
    assert "[ERROR]" not in result.stdout and "[WARNING]" not in result.stdout


def test_the_chart_takes_no_values():
    """values.schema.json refuses every value, so a misplaced values file fails instead of being ignored (helm
    enforces the schema in lint, template and install)."""
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    assert list(validator.iter_errors({})) == []
    assert list(validator.iter_errors({"crds": {"keep": False}}))
    assert yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8")) is None


# --- tooling/crds.py ------------------------------------------------------------------------------------------------------

def test_crd_document_returns_the_upstream_crd_of_a_served_version(upstream):
    route = crd_document("gateway.networking.k8s.io/v1", "HTTPRoute")
    [expected] = upstream["gateway-api/gateway.networking.k8s.io_httproutes.yaml"]
    assert route == expected
    assert crd_document("gateway.networking.k8s.io/v1beta1", "HTTPRoute") == expected  # also served
    [proxy] = upstream["nginx-gateway-fabric/gateway.nginx.org_nginxproxies.yaml"]
    assert crd_document("gateway.nginx.org/v1alpha2", "NginxProxy") == proxy
    assert served_schema("gateway.nginx.org/v1alpha2", "NginxProxy") == \
        proxy["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    # Every CRD of every file is found under each of its served versions.
    for objects in upstream.values():
        for obj in objects:
            if obj["kind"] == "CustomResourceDefinition":
                for version in obj["spec"]["versions"]:
                    found = crd_document(f"{obj['spec']['group']}/{version['name']}", obj["spec"]["names"]["kind"])
                    assert (found == obj) is version["served"], (obj["metadata"]["name"], version["name"])


@pytest.mark.parametrize("api_version, kind", [
    ("gateway.networking.k8s.io/v1alpha2", "TLSRoute"),   # listed, no longer served
    ("gateway.networking.k8s.io/v1", "TCPRoute"),         # experimental channel only
    ("gateway.nginx.org/v1alpha1", "NginxProxy"),         # an older NGF's version
    ("v1", "Service"),                                     # a core kind
    ("monitoring.coreos.com/v1", "ServiceMonitor"),        # another project's (charts/crd-schemas/)
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"),  # in upstream/, but not a CRD
], ids=["unserved", "experimental", "old-version", "core", "other-project", "not-a-crd"])
def test_crd_document_is_none_for_what_the_chart_does_not_serve(api_version, kind):
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
    source = UPSTREAM / "gateway-api" / "gateway.networking.k8s.io_gateways.yaml"
    one = tmp_path / "one"
    (one / "a").mkdir(parents=True)
    (one / "a" / "gateways.yaml").write_bytes(source.read_bytes())
    assert crd_document("gateway.networking.k8s.io/v1", "Gateway", root=one)["spec"]["names"]["kind"] == "Gateway"
    # A second copy beside the first, as an update that adds the new tag's files without removing the old ones
    # (after a leading document of comments only, which is skipped).
    two = tmp_path / "two"
    shutil.copytree(one, two)
    (two / "b").mkdir()
    (two / "b" / "gateways.yaml").write_bytes(b"# a comment document\n---\n" + source.read_bytes())
    with pytest.raises(ValueError, match=r"gateway.networking.k8s.io/v1 Gateway is served by two CRDs, in "
                                         r"a/gateways.yaml and b/gateways.yaml; keep one file per CRD"):
        crd_document("gateway.networking.k8s.io/v1", "Gateway", root=two)


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


# --- the checks can fail ----------------------------------------------------------------------------------------------------

def test_the_checks_find_what_they_look_for(release, upstream):
    files = _files()
    readme = README.read_text(encoding="utf-8")
    edited = {**files, "gateway-api/gateway.networking.k8s.io_gateways.yaml": files[
        "gateway-api/gateway.networking.k8s.io_gateways.yaml"] + b"\n"}  # one byte more: an accidental edit
    assert [p.split(":")[0] for p in checksum_problems(edited, readme)] == \
        ["gateway-api/gateway.networking.k8s.io_gateways.yaml"]
    assert checksum_problems({**files, "gateway-api/extra.yaml": b""}, readme) == \
        ["gateway-api/extra.yaml: in upstream/ but not in the README's table"]
    assert len(checksum_problems(files, readme.replace("_wafpolicies.yaml", "_wafpolicy.yaml"))) == 2

    manifest, objects = release["manifest"], release["objects"]
    first_crd = next(i for i, o in enumerate(objects) if o["kind"] == "CustomResourceDefinition")
    unkept = list(objects)  # a copy of the list; only the object changed is copied deeply
    unkept[first_crd] = copy.deepcopy(objects[first_crd])
    del unkept[first_crd]["metadata"]["annotations"][KEEP]
    assert [p.endswith(f"{KEEP} is not keep") for p in render_problems(manifest, unkept, upstream)] == [True]
    changed = list(objects)
    changed[first_crd] = crd = copy.deepcopy(objects[first_crd])
    crd["spec"]["scope"] = "Cluster" if crd["spec"]["scope"] == "Namespaced" else "Namespaced"
    assert [p.endswith("differs from upstream beyond the helm.sh/resource-policy annotation")
            for p in render_problems(manifest, changed, upstream)] == [True]
    twice = objects + [objects[5]]
    assert any("rendered 2 times" in p for p in render_problems(manifest, twice, upstream))
    assert any("not rendered" in p for p in render_problems(manifest, objects[1:], upstream))
    first_file = next(iter(upstream))
    assert any(p.startswith(f"{first_file}: 1 object(s) upstream, rendered 0")
               for p in render_problems(manifest.replace(f"# Upstream: upstream/{first_file}\n", ""), objects,
                                        upstream))

    # 400 kB of random bytes, base64-encoded: text gzip cannot shrink much, as the chart's files in the record.
    noise = base64.b64encode(random.Random(0).randbytes(400_000)).decode()
    assert size_problems(release["raw"], release["manifest"])[0] == []
    assert [p.startswith("the release record takes ") for p in
            size_problems(release["raw"] + noise, release["manifest"])[0]] == [True]
    assert [p.startswith("the rendered manifest takes ") for p in
            size_problems(release["raw"], release["manifest"] + noise)[0]] == [True]
