"""The cluster configuration chart (charts/vtc-cluster-config) with real tools, for every environment:

- ``helm lint --strict`` and ``helm template`` (tooling/helm.py's Helm v4), with the values
  :func:`~vtc_constructs.cluster_config.cluster_config_values` gives for the environment, built as the workloads stack
  builds them (its region, target group ARNs shaped as AWS gives them, the secrets prefix of its EKS cluster, the SLOs
  of its ``[workloads]`` table);
- every rendered manifest validated against the Kubernetes 1.36 schemas (``kubernetes-validate``, strict), and the
  custom kinds (ClusterSecretStore, ExternalSecret, PushSecret, Password: external-secrets 2.9.0; TargetGroupBinding: AWS Load Balancer
  Controller 3.5.0; Gateway: Gateway API 1.5.1) against the ``openAPIV3Schema`` of their own CRDs in
  charts/crd-schemas/ and charts/gateway-api-crds/, as strictly: with tests/test_chart.py's own validator;
- checkov's kubernetes framework over every render, with zero failures outside
  tests/policy/checkov_kubernetes_suppressions.toml (and none there for this chart);
- what the manifests must say: the encrypted storage class, one Gateway per colour with an IP TargetGroupBinding on
  its NGINX, a disruption budget and a network policy, the Grafana admin password generated in the cluster and pushed to Secrets Manager, dashboards that parse and ask for the metrics the SLO rules use
  with the rules' own expressions;
- values the schema refuses, refused by ``helm lint`` and ``helm template``; values that contradict each other,
  refused by ``helm template``; the library function's own argument checks.
"""

from __future__ import annotations

import copy
import json
import re
import tempfile
from collections import Counter
from pathlib import Path
from unittest import mock

import kubernetes_validate
import pytest
import yaml

from tests.helpers import safe_load_all
from tests import test_chart
from tests.test_chart import KUBERNETES_VERSION, Render, _unsuppressed, checkov_scan, load_suppressions
from tests.test_workloads_props import ENVIRONMENT_NAMES, environment_tables, values_for, workloads_props
from tooling import helm
from tooling.paths import CHECKOV, REPO
from vtc_constructs.cluster_config import (
    CACHE_CLUSTER_ID,
    CHART_NAME,
    CHART_PATH,
    CLOUDWATCH_UID,
    CHART_VERSION,
    DASHBOARDS,
    GRAFANA_ADMIN_KEYS,
    IAM_ROLE_ARN,
    SECRET_STORE_AUTH_POLICY,
    SECRETS_STORE_SERVICE_ACCOUNT,
    KMS_KEY_ARN,
    RELEASE_NAME,
    SECRET_NAME,
    TARGET_GROUP_ARN,
    TARGET_GROUP_ARN_VALUE_PATHS,
    cluster_config_values,
    target_group_binding_name,
)
from vtc_constructs.errors import ConfigError
from vtc_constructs.releases import control_plane_certificates, gateway_values
from vtc_constructs.network_policies import DEFAULT_DENY, NetworkPolicyInputs, namespace_network_policies
from vtc_constructs.workloads import SERVICES, Colour, release_name

CHART = REPO / CHART_PATH
SCHEMA = CHART / "values.schema.json"
#: The namespace helm is given: only the release's record goes there, every object names its own.
RELEASE_NAMESPACE = "kube-system"
#: The custom kinds of this chart and their CRDs (charts/crd-schemas/, verbatim upstream copies; README there).
CUSTOM_KINDS = {("external-secrets.io/v1", "ClusterSecretStore"): "external-secrets.io_clustersecretstores.yaml",
                ("external-secrets.io/v1", "ExternalSecret"): "external-secrets.io_externalsecrets.yaml",
                ("external-secrets.io/v1alpha1", "PushSecret"): "external-secrets.io_pushsecrets.yaml",
                ("generators.external-secrets.io/v1alpha1", "Password"): "generators.external-secrets.io_passwords.yaml",
                ("elbv2.k8s.aws/v1beta1", "TargetGroupBinding"): "elbv2.k8s.aws_targetgroupbindings.yaml",
                ("gateway.networking.k8s.io/v1", "Gateway"): None,
                ("bitnami.com/v1alpha1", "SealedSecret"): "bitnami.com_sealedsecrets.yaml"}  # charts/gateway-api-crds (tooling/crds.py)
#: What one environment's release renders: the storage class, the store and the Grafana admin secret, per colour a
#: Gateway, binding, disruption budget and network policy, a ConfigMap per dashboard.
#: The store's own service account and the admission policy refusing SecretStores without auth; the namespaces' network
#: policies (5 namespaces without a search domain: a default deny and a base egress (DNS, the API server) each, and 11
#: openings).
#: Encryption in transit: the CA's two ClusterIssuers, the root and one listener Certificate per colour, NGINX Gateway
#: Fabric's server and agent Certificates per colour; a STRICT
#: PeerAuthentication per enrolled namespace (4 without a search domain); cert-manager's and istio-system's namespaces
#: with their default deny and base egress, the cert-manager webhook's opening and a probe opening per enrolled one
#: (3: the services' namespace's is its chart's).
EXPECTED_KINDS = {"StorageClass": 1, "ClusterSecretStore": 1, "ExternalSecret": 1, "Password": 1, "PushSecret": 1,
                  "TargetGroupBinding": 2,
                  "Gateway": 2, "PodDisruptionBudget": 2, "NetworkPolicy": 2 + 14 + 11 + 1 + 3, "ConfigMap": 3,
                  "Namespace": 8, "ServiceAccount": 1, "Role": 1, "RoleBinding": 1, "ValidatingAdmissionPolicy": 1,
                  "ValidatingAdmissionPolicyBinding": 1, "ClusterIssuer": 2, "Certificate": 3 + 4, "PeerAuthentication": 4}
CLUSTER_SCOPED = {"StorageClass", "ClusterSecretStore", "Namespace", "ValidatingAdmissionPolicy",
                  "ValidatingAdmissionPolicyBinding", "ClusterIssuer"}
#: The namespaces the workloads stack has this release make (ClusterReleases.namespaces), with their levels.
NAMESPACES = {"nginx-gateway": "restricted", "vision-to-code": "restricted", "opentelemetry": "baseline",
              "logging": "privileged", "external-secrets": "restricted", "monitoring": "privileged",
              "cert-manager": "restricted", "istio-system": "privileged"}
#: The namespaces ClusterReleases enrols in the ambient mesh (without a search domain: no tracing namespace).
MESH = ("nginx-gateway", "vision-to-code", "opentelemetry", "monitoring")
#: A staging-like VPC (LOAD_BALANCER_CIDRS are its public subnets) and the store's IRSA role.
VPC_CIDR = "10.20.0.0/16"
STORE_ROLE = "arn:aws:iam::111111111111:role/vtc-staging-external-secrets-role-20260101"
#: The ALB's subnets (a staging-like plan's public subnets): the only sources of NGINX's listener port.
LOAD_BALANCER_CIDRS = ("10.20.0.0/24", "10.20.1.0/24", "10.20.2.0/24")
KMS_KEY = "arn:aws:kms:eu-west-1:111111111111:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"


def target_group_arn(env: str, colour: Colour) -> str:
    """The ARN AWS gives the Edge's target group of ``colour`` (``vtc-<env>-<colour>-<hash>``), a placeholder id."""
    tables = environment_tables(env)
    return (f"arn:aws:elasticloadbalancing:{tables['region']}:{tables['account_id']}:targetgroup/"
            f"vtc-{env}-{colour.value}-1a2b/{'0123456789abcdef' if colour is Colour.BLUE else 'fedcba9876543210'}")


def cache_member_cluster_ids(env: str) -> tuple[str, ...]:
    """The environment's cache's nodes (``[cache]``; every environment here has one), as the platform names them."""
    from vtc_constructs.cache import CacheProps

    return CacheProps(name=f"vtc-{env}", **environment_tables(env)["cache"]).member_cluster_ids


def stack_inputs(env: str) -> dict:
    """What the workloads stack passes: the environment's region, the Edge's target groups, the Grafana secret under
    the EKS cluster's secrets prefix (``vtc-<env>/``, its default), the SLOs of the environment's ``[workloads]``, its
    cache's nodes."""
    props = workloads_props(env)
    return dict(environment=env, region=environment_tables(env)["region"],
                cache_member_cluster_ids=cache_member_cluster_ids(env),
                target_group_arns={c.value: target_group_arn(env, c) for c in Colour},
                grafana_admin_secret_name=f"vtc-{env}/grafana-admin", secrets_prefix=f"vtc-{env}/",
                slo_p99_latency_ms=props.slo_p99_latency_ms, slo_error_rate_percent=props.slo_error_rate_percent,
                namespaces=NAMESPACES, load_balancer_cidrs=LOAD_BALANCER_CIDRS, external_secrets_role_arn=STORE_ROLE,
                mesh_namespaces=MESH, control_plane_certificates=control_plane_certificates("nginx-gateway"),
                # As ClusterReleases passes them for a network with every interface endpoint (the environments'):
                # HTTPS to AWS on the VPC's range only (tests/test_endpoints.py checks the synthesized stacks).
                network_policies=namespace_network_policies(NetworkPolicyInputs(
                    vpc_cidr=VPC_CIDR, aws_api_cidrs=(VPC_CIDR,), cert_manager_namespace="cert-manager",
                    istio_namespace="istio-system", mesh_namespaces=MESH)))


def helm_template(values: Path, *extra: str, ok=(0,)):
    return helm.run(["template", RELEASE_NAME, str(CHART), "--namespace", RELEASE_NAMESPACE, "-f", str(values),
                     "--kube-version", KUBERNETES_VERSION, *extra], ok=ok)


def helm_lint(values: Path, ok=(0,)):
    return helm.run(["lint", "--strict", str(CHART), "--namespace", RELEASE_NAMESPACE, "-f", str(values),
                     "--kube-version", KUBERNETES_VERSION], ok=ok)


def write_values(path: Path, values: dict) -> Path:
    path.write_text(json.dumps(values, indent=2), encoding="utf-8")
    return path


def render(root: Path, name: str, env: str, values: dict) -> Render:
    """Render into ``root/name/manifests.yaml`` (the values beside it, out of checkov's sight)."""
    folder = root / name
    folder.mkdir()
    values_file = write_values(root / f"{name}.values.json", values)
    out = helm_template(values_file).stdout
    (folder / "manifests.yaml").write_text(out, encoding="utf-8")
    return Render(env, None, values, values_file, folder, [d for d in safe_load_all(out) if d])


def _hours():
    return {"type": "string", "pattern": "^[0-9]+h$"}


def _closed(required, **properties):
    return {"type": "object", "additionalProperties": False, "required": list(required), "properties": properties}


_ISSUER_REF = _closed(["name"], name={"type": "string"}, kind={"type": "string"}, group={"type": "string"})
#: The fields of cert-manager's and Istio's kinds that this chart uses, closed (no other field), with the enums their
#: CRDs give them: cert-manager v1.21.1 deploy/crds/cert-manager.io_{certificates,clusterissuers}.yaml (usages,
#: privateKey.algorithm and rotationPolicy), Istio release-1.31 manifests/charts/base/files/crd-all.gen.yaml
#: (PeerAuthentication mtls.mode). Their CRDs are not vendored here (charts/crd-schemas holds the other kinds'), so
#: these stand in: narrower than the CRDs, never wider.
MESH_TLS_SCHEMAS = {
    ("cert-manager.io/v1", "ClusterIssuer"): _closed(
        ["apiVersion", "kind", "metadata", "spec"], apiVersion={"type": "string"}, kind={"type": "string"},
        metadata={"type": "object"}, spec={"type": "object", "additionalProperties": False, "minProperties": 1,
                                           "maxProperties": 1, "properties": {
                                               "selfSigned": _closed([]), "ca": _closed(["secretName"],
                                                                                        secretName={"type": "string"})}}),
    ("cert-manager.io/v1", "Certificate"): _closed(
        ["apiVersion", "kind", "metadata", "spec"], apiVersion={"type": "string"}, kind={"type": "string"},
        metadata={"type": "object"}, spec=_closed(
            ["secretName", "issuerRef", "duration", "renewBefore", "privateKey"],
            secretName={"type": "string"}, isCA={"type": "boolean"}, commonName={"type": "string", "maxLength": 64},
            duration=_hours(), renewBefore=_hours(), dnsNames={"type": "array", "items": {"type": "string"}},
            usages={"type": "array", "items": {"enum": ["signing", "digital signature", "content commitment",
                                                       "key encipherment", "key agreement", "data encipherment",
                                                       "cert sign", "crl sign", "encipher only", "decipher only",
                                                       "any", "server auth", "client auth", "code signing",
                                                       "email protection", "s/mime", "ipsec end system",
                                                       "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
                                                       "microsoft sgc", "netscape sgc"]}},
            privateKey=_closed(["algorithm", "rotationPolicy"], algorithm={"enum": ["RSA", "ECDSA", "Ed25519"]},
                               size={"type": "integer"}, rotationPolicy={"enum": ["Never", "Always"]}),
            issuerRef=_ISSUER_REF)),
    ("security.istio.io/v1", "PeerAuthentication"): _closed(
        ["apiVersion", "kind", "metadata", "spec"], apiVersion={"type": "string"}, kind={"type": "string"},
        metadata={"type": "object"}, spec=_closed(
            ["mtls"], mtls=_closed(["mode"], mode={"enum": ["UNSET", "DISABLE", "PERMISSIVE", "STRICT"]}))),
}


def validate(doc: dict) -> list[str]:
    """test_chart.py's validator (Kubernetes 1.36 strict, or the kind's CRD as strictly), knowing this chart's kinds;
    cert-manager's and Istio's kinds against :data:`MESH_TLS_SCHEMAS`."""
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key in MESH_TLS_SCHEMAS:
        import jsonschema

        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in jsonschema.Draft7Validator(MESH_TLS_SCHEMAS[key]).iter_errors(doc)]
    with mock.patch.dict(test_chart.CUSTOM_KINDS, CUSTOM_KINDS):
        return test_chart.validate(doc)


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="vtc-cluster-config-") as tmp:
        yield Path(tmp)


@pytest.fixture(scope="module")
def renders(workdir) -> dict[str, Render]:
    root = workdir / "renders"
    root.mkdir()
    return {env: render(root, env, env, cluster_config_values(**stack_inputs(env))) for env in ENVIRONMENT_NAMES}


@pytest.fixture(scope="module")
def canary(renders, workdir) -> Path:
    """A copy of staging's dashboards ConfigMap without its namespace (so in ``default``): checkov must fail it."""
    root = workdir / "renders" / "staging-canary"
    root.mkdir()
    doc = copy.deepcopy(renders["staging"].one("ConfigMap", "vtc-services-dashboard"))
    del doc["metadata"]["namespace"]
    (root / "manifests.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return root


# --- the chart and the library ----------------------------------------------------------------------------------------

def test_chart_metadata_is_pinned_and_matches_the_library():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8"))
    assert (chart["apiVersion"], chart["name"], chart["version"], chart["type"]) == \
        ("v2", CHART_NAME, CHART_VERSION, "application")
    assert chart["version"] == "0.3.0"  # 0.3.0: HTTPS listeners with the platform's CA, the ambient mesh (issue 26)
    assert "dependencies" not in chart  # nothing to download: the chart renders offline
    assert sorted(p.stem for p in (CHART / "dashboards").glob("*.json")) == sorted(DASHBOARDS)


def _objects(schema, path="$"):
    """Every object-typed node of a JSON schema, with its path."""
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            yield path, schema
        for key, value in schema.items():
            yield from _objects(value, f"{path}/{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            yield from _objects(value, f"{path}/{i}")


def test_the_schema_is_strict_at_every_level():
    """Every object: no field the schema does not name, and every field it names required (values.yaml and the
    library give them all)."""
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    objects = dict(_objects(schema))
    assert len(objects) == 22  # the root, storageClass, externalSecrets (2 inside), a binding, dashboards (slo),
    # a namespace and its podSecurity, gateway and its listener, a sealed secret and its encryptedData, a network
    # policy and its spec, tls (rootCa, listenerCertificate, a control-plane certificate, their lifetime), mesh
    loose = {path for path, node in objects.items() if node.get("additionalProperties") is not False}
    # The one table of the user's keys (a Secret's): every key named by pattern, every value a sealed string; and a
    # NetworkPolicy's spec, which the rendered manifest's validation against Kubernetes' own schema checks strictly.
    assert loose == {"$/properties/sealedSecrets/items/properties/encryptedData",
                     "$/properties/networkPolicies/items/properties/spec"}
    encrypted = objects["$/properties/sealedSecrets/items/properties/encryptedData"]
    assert encrypted["propertyNames"]["pattern"] and encrypted["additionalProperties"]["type"] == "string"
    unrequired = {path: set(node["properties"]) - set(node["required"]) for path, node in objects.items()
                  if set(node.get("properties", ())) - set(node.get("required", ()))}
    assert unrequired == {}


def test_the_library_checks_the_schemas_patterns():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    binding = schema["$defs"]["targetGroupBinding"]["properties"]
    assert binding["targetGroupArn"]["pattern"] == TARGET_GROUP_ARN.pattern
    assert TARGET_GROUP_ARN.pattern.startswith("^arn:aws[a-z-]*:elasticloadbalancing:")
    assert schema["properties"]["storageClass"]["properties"]["kmsKeyArn"]["pattern"] == KMS_KEY_ARN.pattern
    grafana = schema["properties"]["externalSecrets"]["properties"]["grafanaAdmin"]["properties"]
    assert grafana["remoteSecretName"]["pattern"] == SECRET_NAME.pattern
    store = schema["properties"]["externalSecrets"]["properties"]["serviceAccount"]["properties"]
    assert store["roleArn"]["pattern"] == IAM_ROLE_ARN.pattern
    cache = schema["properties"]["dashboards"]["properties"]["cacheClusterIds"]
    assert cache["items"]["pattern"] == CACHE_CLUSTER_ID.pattern and cache["uniqueItems"] is True


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_library_values_pass_the_schema(env):
    import jsonschema

    values = cluster_config_values(**stack_inputs(env))
    assert list(jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).iter_errors(values)) \
        == []
    for colour, path in TARGET_GROUP_ARN_VALUE_PATHS.items():
        index = int(re.fullmatch(r"targetGroupBindings\[(\d)\]\.targetGroupArn", path).group(1))
        assert values["targetGroupBindings"][index]["colour"] == colour
        assert values["targetGroupBindings"][index]["targetGroupArn"] == target_group_arn(env, Colour(colour))
    assert "password" not in json.dumps(values).lower()


def test_the_external_secrets_role_trusts_the_stores_account_and_reads_the_grafana_secret():
    """The store authenticates as the service account EksCluster's external-secrets role trusts (its own, not the
    controller's), and that role may read the Grafana secret's prefix (the synthesized stacks,
    snapshots/<env>.json)."""
    namespace, name = SECRETS_STORE_SERVICE_ACCOUNT
    for env in ENVIRONMENT_NAMES:
        stack = (REPO / "snapshots" / f"{env}.json").read_text(encoding="utf-8")
        assert f"system:serviceaccount:{namespace}:{name}" in stack
        assert "system:serviceaccount:external-secrets:external-secrets\"" not in stack  # the controller's
        assert f":secret:{stack_inputs(env)['secrets_prefix']}*" in stack


def test_the_bare_chart_is_refused_naming_every_required_value():
    result = helm.run(["lint", "--strict", str(CHART)], ok=(1,))
    for path in ("/environment", "/region", "/externalSecrets/grafanaAdmin/remoteSecretName", "/targetGroupBindings"):
        assert f"at '{path}'" in result.stdout + result.stderr, path


# --- lint, render, schemas --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_helm_lint_strict_passes(renders, env):
    result = helm_lint(renders[env].values_file)
    assert "0 chart(s) failed" in result.stdout
    assert "[ERROR]" not in result.stdout and "[WARNING]" not in result.stdout


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_a_release_renders_every_object_once_each_in_its_own_namespace(renders, env):
    docs = renders[env].docs
    assert Counter(d["kind"] for d in docs) == EXPECTED_KINDS
    names = [(d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]) for d in docs]
    assert len(names) == len(set(names))
    for doc in docs:
        namespace = doc["metadata"].get("namespace")
        if doc["kind"] in CLUSTER_SCOPED:
            assert namespace is None, doc["metadata"]["name"]
        else:  # written in the template, never the release's namespace (nor the default)
            assert namespace in set(NAMESPACES), doc["metadata"]["name"]


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_every_manifest_is_valid_kubernetes_of_the_clusters_version_or_valid_against_its_crd(renders, env):
    docs = renders[env].docs
    errors = {f"{d['kind']}/{d['metadata']['name']}": validate(d) for d in docs}
    assert {k: v for k, v in errors.items() if v} == {}
    custom = [d for d in docs if (d["apiVersion"], d["kind"]) in CUSTOM_KINDS]
    # the store, the ExternalSecret, its Password generator and PushSecret, two bindings, two Gateways: checked against
    # their CRDs; the ClusterIssuers, Certificates and PeerAuthentications against MESH_TLS_SCHEMAS
    assert len(custom) == 8
    assert len([d for d in docs if (d["apiVersion"], d["kind"]) in MESH_TLS_SCHEMAS]) == 2 + 7 + 4


def test_the_validation_can_fail(renders):
    """The harness sees a misspelled field, a wrong value and an unknown field, in each kind."""
    render_ = renders["staging"]
    bad = []
    storage = copy.deepcopy(render_.of("StorageClass")[0])
    storage["allowVolumeExpansions"] = True
    bad.append(storage)
    config_map = copy.deepcopy(render_.of("ConfigMap")[0])
    config_map["data"]["x"] = 1
    bad.append(config_map)
    binding = copy.deepcopy(render_.of("TargetGroupBinding")[0])
    binding["spec"]["targetType"] = "pod"
    bad.append(binding)
    gateway = copy.deepcopy(render_.of("Gateway")[0])
    gateway["spec"]["listeners"][0]["protocol"] = 80  # a number where the protocol's name goes
    bad.append(gateway)
    store = copy.deepcopy(render_.of("ClusterSecretStore")[0])
    store["spec"]["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"]["account"] = "x"
    bad.append(store)
    secret = copy.deepcopy(render_.of("ExternalSecret")[0])
    secret["spec"]["dataFrom"][0]["sourceRef"]["generatorRef"]["kind"] = "Passwords"
    bad.append(secret)
    generator = copy.deepcopy(render_.of("Password")[0])
    generator["spec"]["lenght"] = 32
    bad.append(generator)
    certificate = copy.deepcopy(render_.of("Certificate")[0])
    certificate["spec"]["privateKey"]["rotationPolicy"] = "Sometimes"
    bad.append(certificate)
    issuer = copy.deepcopy(render_.of("ClusterIssuer")[0])
    issuer["spec"]["selfsigned"] = issuer["spec"].pop(next(iter(issuer["spec"])))
    bad.append(issuer)
    peer = copy.deepcopy(render_.of("PeerAuthentication")[0])
    peer["spec"]["mtls"]["mode"] = "STRICTLY"
    bad.append(peer)
    push = copy.deepcopy(render_.of("PushSecret")[0])
    push["spec"]["data"][0]["match"]["remoteRef"]["key"] = push["spec"]["data"][0]["match"]["remoteRef"].pop("remoteKey")
    bad.append(push)
    assert all(validate(doc) for doc in bad)
    # a version no schema here describes (external-secrets 2.9.0 no longer serves v1beta1) is an error, not a pass
    old = copy.deepcopy(render_.of("ExternalSecret")[0])
    old["apiVersion"] = "external-secrets.io/v1beta1"
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        validate(old)


# --- checkov ----------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def search_setup(workdir, search_releases) -> Path:
    """The search domain's setup chart (charts/vtc-search-setup) rendered with the values the workloads stack gives it
    (tests/test_search_setup_chart.py checks the render itself), scanned in the same checkov run as this chart."""
    from tests.test_search_setup_chart import CHART as SETUP_CHART, NAMESPACE as SETUP_NAMESPACE, release_values

    folder = workdir / "renders" / "staging-search-setup"
    folder.mkdir()
    values_file = write_values(workdir / "staging-search-setup.values.json", release_values(search_releases))
    out = helm.run(["template", "search-setup", str(SETUP_CHART), "--namespace", SETUP_NAMESPACE, "-f",
                    str(values_file), "--kube-version", KUBERNETES_VERSION]).stdout
    (folder / "manifests.yaml").write_text(out, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def checkov_report(renders, canary, search_setup, workdir):
    del renders, canary, search_setup  # requested so that every render is in workdir before the one scan below
    assert CHECKOV.exists(), f"checkov is not installed at {CHECKOV} (scripts/setup.sh installs it)"
    return checkov_scan(workdir)


def _resources(render_: Render) -> set[str]:
    """checkov's names of a render's objects (Kind.namespace.name)."""
    return {f"{d['kind']}.{d['metadata'].get('namespace', 'default')}.{d['metadata']['name']}" for d in render_.docs}


def test_checkov_scanned_every_render_and_parsed_everything(checkov_report):
    findings, meta = checkov_report
    assert meta["parsing_errors"] == []
    assert {f.folder for f in findings} == {*ENVIRONMENT_NAMES, "staging-canary", "staging-search-setup"}
    for env in ENVIRONMENT_NAMES:
        assert sum(1 for f in findings if f.folder == env and f.passed) >= 3, env
    print(f"checkov kubernetes: {meta['summary']}")


def test_no_checkov_failure_outside_the_suppression_file_and_no_stale_suppression(checkov_report, renders, search_setup):
    findings, _ = checkov_report
    setup_docs = [d for d in safe_load_all((search_setup / "manifests.yaml").read_text()) if d]
    ours = set().union(*(_resources(r) for r in renders.values()),
                       {f"{d['kind']}.{d['metadata'].get('namespace', 'default')}.{d['metadata']['name']}"
                        for d in setup_docs})
    suppressions = [s for s in load_suppressions() if set(s["resources"]) & ours]
    failed, stale = _unsuppressed([f for f in findings if f.folder != "staging-canary"], suppressions)
    assert failed == []
    assert stale == []


def test_an_unsuppressed_checkov_failure_is_caught(checkov_report):
    findings, _ = checkov_report
    failed, _ = _unsuppressed([f for f in findings if f.folder == "staging-canary"], load_suppressions())
    assert [(f.check, f.resource) for f in failed] == [("CKV_K8S_21", "ConfigMap.default.vtc-services-dashboard")]


# --- what the manifests say -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_storage_class_is_encrypted_gp3_kept_and_not_the_default(renders, env):
    [storage] = renders[env].of("StorageClass")
    assert storage["metadata"]["name"] == "gp3-encrypted"
    assert storage["provisioner"] == "ebs.csi.aws.com"
    assert storage["parameters"] == {"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4"}
    assert (storage["reclaimPolicy"], storage["volumeBindingMode"], storage["allowVolumeExpansion"]) == \
        ("Retain", "WaitForFirstConsumer", True)
    assert storage["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "false"


def test_a_kms_key_encrypts_the_volumes_when_given(workdir):
    root = workdir / "kms"
    root.mkdir()
    values = cluster_config_values(**stack_inputs("staging"), ebs_kms_key_arn=KMS_KEY)
    [storage] = render(root, "staging-kms", "staging", values).of("StorageClass")
    assert storage["parameters"] == {"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4",
                                     "kmsKeyId": KMS_KEY}


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_each_colour_has_its_gateway_and_binds_its_nginx_to_its_target_group_by_ip(renders, env):
    render_ = renders[env]
    bindings = {b["metadata"]["name"]: b for b in render_.of("TargetGroupBinding")}
    assert set(bindings) == {target_group_binding_name(c) for c in Colour} == {"gateway-blue", "gateway-green"}
    for colour in Colour:
        c = colour.value
        binding = bindings[f"gateway-{c}"]
        assert binding["metadata"]["namespace"] == "nginx-gateway"
        assert binding["metadata"]["labels"]["vision-to-code.io/colour"] == c
        # The Service NGINX Gateway Fabric makes for the Gateway vtc-<colour> of class nginx-<colour>.
        assert binding["spec"] == {"targetType": "ip", "ipAddressType": "ipv4",
                                   "targetGroupARN": target_group_arn(env, colour),
                                   "serviceRef": {"name": f"vtc-{c}-nginx-{c}", "port": 8443}}
        gateway = render_.one("Gateway", f"vtc-{c}")
        assert gateway["metadata"]["namespace"] == "nginx-gateway"
        assert gateway["spec"]["gatewayClassName"] == f"nginx-{c}"
        # ztunnel leaves the NGINX pods' inbound plaintext (the ALB's TLS) alone (NGINX Gateway Fabric copies the
        # infrastructure annotations onto the pods).
        assert gateway["spec"]["infrastructure"] == {"labels": {"vision-to-code.io/colour": c}, "annotations": {
            "ambient.istio.io/bypass-inbound-capture": "true"}}
        # One HTTPS listener on the target groups' port, terminated with the colour's certificate; routes of the
        # services' namespace only.
        assert gateway["spec"]["listeners"] == [{
            "name": "https", "protocol": "HTTPS", "port": 8443,
            "tls": {"mode": "Terminate", "certificateRefs": [{"group": "", "kind": "Secret", "name": f"vtc-{c}-tls"}]},
            "allowedRoutes": {
                "kinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
                "namespaces": {"from": "Selector",
                               "selector": {"matchLabels": {"kubernetes.io/metadata.name": "vision-to-code"}}}}}]
        nginx_pods = {"matchLabels": {"gateway.networking.k8s.io/gateway-name": f"vtc-{c}"}}
        budget = render_.one("PodDisruptionBudget", f"vtc-{c}-nginx")["spec"]
        assert budget == {"minAvailable": 1, "selector": nginx_pods}
        policy = render_.one("NetworkPolicy", f"vtc-{c}-nginx-ingress")["spec"]
        assert policy["podSelector"] == nginx_pods and policy["policyTypes"] == ["Ingress"]
        load_balancer, prometheus = policy["ingress"]
        assert load_balancer == {"from": [{"ipBlock": {"cidr": cidr}} for cidr in LOAD_BALANCER_CIDRS],
                                 "ports": [{"protocol": "TCP", "port": 8443}]}
        assert prometheus == {"from": [{
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}],
            "ports": [{"protocol": "TCP", "port": 9113}, {"protocol": "TCP", "port": 15008}]}


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_grafana_admin_password_is_generated_in_the_cluster_and_pushed_to_secrets_manager(renders, env):
    """Issue 26: Grafana's admin password never passes through Terraform. It is generated in the cluster (external-
    secrets' Password generator), once (CreatedOnce, an immutable Secret: no refresh regenerates it under a running
    Grafana), and pushed to the Secrets Manager secret Terraform made (a break-glass copy), through the restricted
    store; nothing reads it back from there."""
    [store] = renders[env].of("ClusterSecretStore")
    [secret] = renders[env].of("ExternalSecret")
    [generator] = renders[env].of("Password")
    [push] = renders[env].of("PushSecret")
    assert store["metadata"]["name"] == "aws-secrets-manager"
    assert store["spec"]["provider"] == {"aws": {
        "service": "SecretsManager", "region": environment_tables(env)["region"],
        "auth": {"jwt": {"serviceAccountRef": {"name": "secrets-store-aws", "namespace": "external-secrets"}}}}}
    # Its own service account, with the IRSA role, no token mounted anywhere.
    [account] = renders[env].of("ServiceAccount")
    assert (account["metadata"]["namespace"], account["metadata"]["name"]) == SECRETS_STORE_SERVICE_ACCOUNT
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": STORE_ROLE}
    assert account["automountServiceAccountToken"] is False
    # Only the controller may ask a token for it, and the controller for no other account (its chart's grant is off).
    [role], [binding] = renders[env].of("Role"), renders[env].of("RoleBinding")
    assert role["metadata"]["namespace"] == binding["metadata"]["namespace"] == SECRETS_STORE_SERVICE_ACCOUNT[0]
    assert role["rules"] == [{"apiGroups": [""], "resources": ["serviceaccounts/token"],
                              "resourceNames": [SECRETS_STORE_SERVICE_ACCOUNT[1]], "verbs": ["create"]}]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                  "name": role["metadata"]["name"]}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "external-secrets",
                                    "namespace": "external-secrets"}]
    assert store["spec"]["conditions"] == [{"namespaces": ["monitoring"]}]  # only Grafana's namespace may use it
    for doc in (secret, generator, push):
        assert doc["metadata"]["namespace"] == "monitoring"
    assert secret["metadata"]["name"] == push["metadata"]["name"] == "grafana-admin-credentials"
    spec = secret["spec"]
    assert "data" not in spec and "secretStoreRef" not in spec, "nothing read from Secrets Manager"
    assert spec["dataFrom"] == [{"sourceRef": {"generatorRef": {
        "apiVersion": "generators.external-secrets.io/v1alpha1", "kind": "Password",
        "name": generator["metadata"]["name"]}}}]
    assert spec["refreshPolicy"] == "CreatedOnce" and "refreshInterval" not in spec
    assert spec["target"] == {"name": "grafana-admin-credentials", "creationPolicy": "Owner", "immutable": True,
                              "template": {"mergePolicy": "Merge", "data": {GRAFANA_ADMIN_KEYS[0]: "admin"}}}
    assert generator["spec"]["secretKeys"] == [GRAFANA_ADMIN_KEYS[1]]
    assert generator["spec"]["length"] >= 32 and generator["spec"]["symbols"] == 0
    push_spec = push["spec"]
    assert push_spec["selector"] == {"secret": {"name": "grafana-admin-credentials"}}
    assert push_spec["secretStoreRefs"] == [{"kind": "ClusterSecretStore", "name": store["metadata"]["name"]}]
    assert (push_spec["updatePolicy"], push_spec["deletionPolicy"]) == ("Replace", "None")
    remote = f"vtc-{env}/grafana-admin"
    assert {d["match"]["secretKey"]: d["match"]["remoteRef"] for d in push_spec["data"]} == {
        GRAFANA_ADMIN_KEYS[0]: {"remoteKey": remote, "property": "username"},
        GRAFANA_ADMIN_KEYS[1]: {"remoteKey": remote, "property": "password"}}
    assert {d["metadata"]["spec"]["secretPushFormat"] for d in push_spec["data"]} == {"string"}


def _dashboards(render_: Render) -> dict[str, dict]:
    """Each dashboard ConfigMap's JSON, by the dashboard's name (the one data key: vtc-<name>.json)."""
    out = {}
    for config_map in render_.of("ConfigMap"):
        [(key, text)] = config_map["data"].items()
        out[key.removeprefix("vtc-").removesuffix(".json")] = json.loads(text)
    return out


def _exprs(dashboard: dict) -> list[str]:
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", ()) if "expr" in t]


#: The services dashboard's Cache row (CloudWatch): the panels' titles and what each asks per node.
CACHE_PANELS = {"Cache hit rate": ("CacheHitRate", "Average"), "Cache evictions": ("Evictions", "Sum")}


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_dashboards_are_grafana_json_for_the_sidecar(renders, env):
    render_ = renders[env]
    for config_map in render_.of("ConfigMap"):
        assert config_map["metadata"]["namespace"] == "monitoring"
        assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboards = _dashboards(render_)
    assert set(dashboards) == set(DASHBOARDS)
    for name, dashboard in dashboards.items():
        assert dashboard["uid"] == f"vtc-{name}" and dashboard["title"].startswith("Vision-to-Code: ")
        assert isinstance(dashboard["schemaVersion"], int) and dashboard["schemaVersion"] >= 36
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        assert (variables["datasource"]["type"], variables["datasource"]["query"]) == ("datasource", "prometheus")
        panels = [p for p in dashboard["panels"] if p["type"] not in ("row", "text")]
        assert len(panels) >= 5 and len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
        for panel in panels:
            cloudwatch = name == "services" and panel["title"] in CACHE_PANELS  # the Cache row's (below)
            assert panel["datasource"] == ({"type": "cloudwatch", "uid": CLOUDWATCH_UID} if cloudwatch else
                                           {"type": "prometheus", "uid": "${datasource}"}), panel["title"]
            assert panel["targets"] and all(t["datasource"] == panel["datasource"] and (cloudwatch or t["expr"])
                                            for t in panel["targets"]), panel["title"]
        # the file, as Grafana gets it: only the constant variables and the cache's nodes are the chart's
        source = json.loads((CHART / "dashboards" / f"{name}.json").read_text(encoding="utf-8"))
        constants = {v["name"] for v in source["templating"]["list"] if v["type"] == "constant"} | {"cache_node"}
        strip = [v for v in dashboard["templating"]["list"] if v["name"] not in constants]
        assert {**dashboard, "templating": {"list": strip}} == \
            {**source, "templating": {"list": [v for v in source["templating"]["list"] if v["name"] not in constants]}}


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_services_dashboard_draws_this_environments_cache_nodes_from_cloudwatch(renders, env):
    dashboard = _dashboards(renders[env])["services"]
    [node] = [v for v in dashboard["templating"]["list"] if v["name"] == "cache_node"]
    ids = list(cache_member_cluster_ids(env))  # staging one node, production a primary and a replica
    assert (node["type"], node["hide"], node["multi"], node["query"]) == ("custom", 2, True, ",".join(ids))
    assert node["current"]["value"] == ids and [o["value"] for o in node["options"] if o["selected"]] == ids
    [row] = [p for p in dashboard["panels"] if p["type"] == "row" and p["title"] == "Cache"]
    cache = [p for p in dashboard["panels"] if p["title"] in CACHE_PANELS]
    assert [p["gridPos"]["y"] for p in cache] == [row["gridPos"]["y"] + 1] * 2  # the last row, below the errors
    for panel in cache:
        [target] = panel["targets"]
        # One search of exactly these nodes (Grafana expands the multi-valued variable into an exact match of each
        # CacheClusterId), a line per node named after it, the data source's region (the environment's).
        assert (target["namespace"], target["metricName"], target["statistic"]) == \
            ("AWS/ElastiCache", *CACHE_PANELS[panel["title"]])
        assert target["dimensions"] == {"CacheClusterId": "$cache_node"} and target["matchExact"] is True
        assert (target["queryMode"], target["region"], target["label"]) == \
            ("Metrics", "default", "${PROP('Dim.CacheClusterId')}")


def test_without_a_cache_the_services_dashboard_has_no_cache_row_nor_cloudwatch_panel(workdir):
    root = workdir / "renders-no-cache"
    root.mkdir()
    values = cluster_config_values(**{**stack_inputs("staging"), "cache_member_cluster_ids": ()})
    dashboard = _dashboards(render(root, "staging", "staging", values))["services"]
    source = json.loads((CHART / "dashboards" / "services.json").read_text(encoding="utf-8"))
    # Everything else as the file has it: the same panels, in the same places.
    assert [p["title"] for p in dashboard["panels"]] == \
        [p["title"] for p in source["panels"] if p.get("datasource", {}).get("type") != "cloudwatch"]
    assert "cloudwatch" not in json.dumps(dashboard) and "cache_node" not in json.dumps(dashboard)


@pytest.fixture(scope="module")
def slo_rules(workdir) -> dict[str, list[str]]:
    """The alert expressions of the services' chart (blue's release of staging), by alert."""
    values = write_values(workdir / "vision-to-code.values.json", values_for("staging", Colour.BLUE))
    docs = [d for d in safe_load_all(test_chart.template(release_name(Colour.BLUE), values).stdout) if d]
    [rule] = [d for d in docs if d["kind"] == "PrometheusRule"]
    alerts: dict[str, list[str]] = {}
    for r in (r for g in rule["spec"]["groups"] for r in g["rules"]):
        alerts.setdefault(r["alert"], []).append(r["expr"])
    return alerts


def _as_dashboard_query(expr: str, window: str) -> tuple[str, float]:
    """A rule of the services' chart as the services dashboard asks it, for every service and colour at once: grouped
    by colour and job, selected by the dashboard's variables; and its threshold."""
    query, threshold = expr.rsplit(" > ", 1)
    query = re.sub(r'namespace="vision-to-code", job="vtc-blue-[a-z]+"',
                   'namespace="$namespace", colour=~"$colour", job=~"$job"', query)
    query = query.replace("sum by (le) (", "sum by (le, colour, job) (").replace("sum(", "sum by (colour, job) (")
    return query.replace(f"[{window}]", "[$slo_window]"), float(threshold)


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_services_dashboard_asks_what_the_slo_rules_ask_and_draws_their_objectives(renders, slo_rules, env):
    dashboard = _dashboards(renders[env])["services"]
    constants = {v["name"]: v["query"] for v in dashboard["templating"]["list"] if v["type"] == "constant"}
    props = workloads_props(env)
    assert float(constants["slo_p99_seconds"]) == props.slo_p99_latency_ms / 1000
    assert float(constants["slo_error_rate_percent"]) == props.slo_error_rate_percent
    exprs = _exprs(dashboard)
    for alert, constant in (("VtcLatencyP99AboveObjective", "slo_p99_seconds"),
                            ("VtcErrorRateAboveObjective", "slo_error_rate_percent")):
        queries = {_as_dashboard_query(e, constants["slo_window"]) for e in slo_rules[alert]}
        assert len(slo_rules[alert]) == len(SERVICES)
        [(query, threshold)] = queries  # one query per alert for every service
        assert query in exprs, alert
        assert f"vector(${constant})" in exprs and threshold == float(constants[constant])
    assert "http_server_request_duration_seconds_bucket" in " ".join(exprs)
    assert any('http_response_status_code=~"5.."' in e for e in exprs)
    for q in ("0.5", "0.95", "0.99"):
        assert any(e.startswith(f"histogram_quantile({q}, sum by (le, colour, job) (rate("
                                f"http_server_request_duration_seconds_bucket{{") for e in exprs), q


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_resources_and_database_dashboards_ask_for_their_metrics(renders, env):
    dashboards = _dashboards(renders[env])
    resources = " ".join(_exprs(dashboards["resources"]))
    for metric in ("container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
                   "kube_pod_container_resource_requests", "kube_pod_container_resource_limits",
                   "kube_horizontalpodautoscaler_status_current_replicas",
                   "kube_horizontalpodautoscaler_status_desired_replicas",
                   "kube_horizontalpodautoscaler_spec_max_replicas"):
        assert metric in resources, metric
    services = {v["name"]: v for v in dashboards["resources"]["templating"]["list"]}["service"]
    assert services["query"].split(",") == list(SERVICES)
    database = dashboards["database"]
    exprs = _exprs(database)
    for q in ("0.5", "0.95", "0.99"):
        assert any(e.startswith(f"histogram_quantile({q}, sum by (le, colour, job) (rate("
                                f"db_client_operation_duration_seconds_bucket{{") for e in exprs), q
    assert any("db_client_connection_count{" in e for e in exprs)
    [note] = [p for p in database["panels"] if p["type"] == "text"]
    assert "CloudWatch" in note["options"]["content"] and "rds-cpu" in note["options"]["content"]


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_every_object_carries_the_recommended_labels(renders, env):
    for doc in renders[env].docs:
        labels = doc["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == CHART_NAME
        assert labels["app.kubernetes.io/instance"] == RELEASE_NAME
        assert labels["app.kubernetes.io/version"] == CHART_VERSION
        assert labels["app.kubernetes.io/part-of"] == "vision-to-code"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["helm.sh/chart"] == f"{CHART_NAME}-{CHART_VERSION}"
        assert labels["vision-to-code.io/environment"] == env
        assert labels["app.kubernetes.io/component"] in {"storage", "secrets", "gateway", "dashboards", "namespaces",
                                                           "network", "tls", "mesh"}


# --- the ARNs given apart (helm --set), as the workloads stack passes them --------------------------------------------

def test_an_unresolved_reference_is_refused_by_the_schema_and_a_set_arn_renders(workdir):
    """The library passes a Terraform reference through; Helm must see the resolved ARN: a reference left in the
    values is refused, and the ARN given with --set at the library's path is the one rendered."""
    values = cluster_config_values(**{**stack_inputs("staging"), "target_group_arns": {
        "blue": target_group_arn("staging", Colour.BLUE), "green": "${TfToken[TOKEN.42]}"}})
    path = write_values(workdir / "unresolved.values.json", values)
    assert "at '/targetGroupBindings/1/targetGroupArn'" in helm_lint(path, ok=(1,)).stdout
    green = target_group_arn("staging", Colour.GREEN)
    out = helm_template(path, "--set", f"{TARGET_GROUP_ARN_VALUE_PATHS['green']}={green}").stdout
    bindings = {d["metadata"]["name"]: d for d in safe_load_all(out) if d and d["kind"] == "TargetGroupBinding"}
    assert bindings["gateway-green"]["spec"]["targetGroupARN"] == green
    path.unlink()


# --- bad values are refused -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mutate, message", [
    (lambda v: v["targetGroupBindings"][0].update(targetGroupArn="arn:aws:iam::111111111111:role/x"),
     "at '/targetGroupBindings/0/targetGroupArn'"),
    (lambda v: v["targetGroupBindings"][0].update(colour="purple"),
     "at '/targetGroupBindings/0/colour': value must be one of 'blue', 'green'"),
    (lambda v: v["targetGroupBindings"][0].update(servicePort=0), "at '/targetGroupBindings/0/servicePort'"),
    (lambda v: v["targetGroupBindings"][0].update(targetType="instance"),
     "additional properties 'targetType' not allowed"),
    (lambda v: v["targetGroupBindings"].append(v["targetGroupBindings"][0]), "at '/targetGroupBindings': maxItems"),
    (lambda v: v["storageClass"].update(kmsKeyArn="alias/aws/ebs"), "at '/storageClass/kmsKeyArn'"),
    (lambda v: v["storageClass"].update(isDefault=True), "additional properties 'isDefault' not allowed"),
    (lambda v: v["externalSecrets"]["grafanaAdmin"].update(
        remoteSecretName="arn:aws:secretsmanager:eu-west-1:111111111111:secret:vtc-staging/grafana-admin"),
     "at '/externalSecrets/grafanaAdmin/remoteSecretName'"),
    (lambda v: v["externalSecrets"]["serviceAccount"].update(namespace=None),  # null removes a default
     "at '/externalSecrets/serviceAccount': missing property 'namespace'"),
    (lambda v: v["dashboards"]["slo"].update(window="5 minutes"), "at '/dashboards/slo/window'"),
    (lambda v: v.update(region="Ireland"), "at '/region'"),
], ids=["arn", "colour", "port", "unknown-field", "three-bindings", "kms-alias-name", "storage-unknown",
        "secret-arn", "service-account", "window", "region"])
def test_values_the_schema_refuses_fail_lint_and_template(renders, workdir, mutate, message):
    values = copy.deepcopy(renders["staging"].values)
    mutate(values)
    bad = write_values(workdir / "bad-values.json", values)
    lint = helm_lint(bad, ok=(1,))
    rendered = helm_template(bad, ok=(1,))
    assert message in lint.stdout + lint.stderr
    assert message in rendered.stderr
    bad.unlink()


@pytest.mark.parametrize("mutate, message", [
    (lambda v: v["targetGroupBindings"][1].update(colour="blue"),
     "targetGroupBindings[1]: colour blue is also targetGroupBindings[0]'s"),
    (lambda v: v["targetGroupBindings"][1].update(targetGroupArn=v["targetGroupBindings"][0]["targetGroupArn"]),
     "targetGroupBindings[1]: target group arn:aws:elasticloadbalancing:"),
], ids=["colour-twice", "one-group"])
def test_values_that_contradict_each_other_fail_template(renders, workdir, mutate, message):
    values = copy.deepcopy(renders["staging"].values)
    mutate(values)
    bad = write_values(workdir / "contradicting-values.json", values)
    assert message in helm_template(bad, ok=(1,)).stderr
    bad.unlink()


# --- the library function ---------------------------------------------------------------------------------------------

def test_the_library_accepts_colours_as_enum_members_and_terraform_references():
    inputs = stack_inputs("staging")
    values = cluster_config_values(**{**inputs, "target_group_arns": {
        Colour.BLUE: "${TfToken[TOKEN.7]}", Colour.GREEN: target_group_arn("staging", Colour.GREEN)}},
        gateway_port=8443,
        ebs_kms_key_arn="${TfToken[TOKEN.8]}")
    blue, green = values["targetGroupBindings"]
    assert (blue["colour"], blue["targetGroupArn"], blue["serviceName"]) == \
        ("blue", "${TfToken[TOKEN.7]}", "vtc-blue-nginx-blue")
    assert (green["serviceName"], green["servicePort"]) == ("vtc-green-nginx-green", 8443)
    assert values["gateway"]["listener"] == {"name": "https", "port": 8443, "protocol": "HTTPS"}
    assert values["storageClass"]["kmsKeyArn"] == "${TfToken[TOKEN.8]}"
    assert values["dashboards"]["slo"] == {"p99LatencySeconds": 0.1, "errorRatePercent": 1.0, "window": "5m"}


@pytest.mark.parametrize("overrides, paths", [
    (dict(environment="Staging", region="Ireland"), {"environment", "region"}),
    (dict(target_group_arns={"blue": "arn:aws:iam::111111111111:role/x"}),
     {"target_group_arns.blue", "target_group_arns.green"}),
    (dict(target_group_arns={"blue": "x", "purple": "y", "green": 3}),
     {"target_group_arns.blue", "target_group_arns.purple", "target_group_arns.green"}),
    (dict(target_group_arns=["arn"]), {"target_group_arns"}),
    (dict(target_group_arns={c.value: target_group_arn("staging", Colour.BLUE) for c in Colour}),
     {"target_group_arns"}),
    (dict(grafana_admin_secret_name="vtc-production/grafana-admin"), {"grafana_admin_secret_name"}),
    (dict(grafana_admin_secret_name="arn:aws:secretsmanager:eu-west-1:1:secret:x", secrets_prefix=None),
     {"grafana_admin_secret_name"}),
    (dict(gateway_port=80, load_balancer_cidrs=("10.0.0.1/16",)), {"gateway_port", "load_balancer_cidrs[0]"}),
    (dict(gateway_namespace="Gateways", routes_namespace=""), {"gateway_namespace", "routes_namespace", "namespaces"}),
    (dict(ebs_kms_key_arn="aws/ebs", storage_class_name="GP3", monitoring_namespace="",
          slo_p99_latency_ms=0.1, slo_error_rate_percent=0),
     {"ebs_kms_key_arn", "storage_class_name", "monitoring_namespace", "slo_p99_latency_ms",
      "slo_error_rate_percent"}),
    (dict(cache_member_cluster_ids=("vtc-staging-cache-001", "VTC_2", None)),
     {"cache_member_cluster_ids[1]", "cache_member_cluster_ids[2]"}),
    (dict(cache_member_cluster_ids="vtc-staging-cache-001"), {"cache_member_cluster_ids"}),
    (dict(cache_member_cluster_ids=("vtc-staging-cache-001",) * 2), {"cache_member_cluster_ids"}),
], ids=["names", "missing-colour", "bad-arns", "not-a-table", "one-group", "other-prefix", "arn-not-name", "gateway",
        "namespaces", "the-rest", "cache-ids", "cache-ids-a-string", "cache-ids-twice"])
def test_the_library_reports_every_problem_with_its_path(overrides, paths):
    with pytest.raises(ConfigError) as caught:
        cluster_config_values(**{**stack_inputs("staging"), **overrides})
    assert {p.path for p in caught.value.problems} == paths
    assert all(p.fix for p in caught.value.problems)


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_namespaces_enforce_their_pod_security_level_and_report_above_restricted(renders, env):
    namespaces = {d["metadata"]["name"]: d["metadata"]["labels"] for d in renders[env].of("Namespace")}
    assert {name: labels["pod-security.kubernetes.io/enforce"] for name, labels in namespaces.items()} == NAMESPACES
    assert all(labels["pod-security.kubernetes.io/warn"] == labels["pod-security.kubernetes.io/audit"] == "restricted"
               for labels in namespaces.values())


def test_namespaces_without_the_gateway_namespace_or_with_an_unknown_level_are_refused():
    inputs = stack_inputs("staging")
    with pytest.raises(ConfigError) as error:
        cluster_config_values(**{**inputs, "namespaces": {"vision-to-code": "strict"}})
    assert {(p.path, str(p.got)) for p in error.value.problems} >= {
        ("namespaces.vision-to-code", "strict"), ("namespaces", "{'vision-to-code': 'strict'}")}


# --- Sealed Secrets --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster_key():
    """A stand-in for the controller's key pair (4096-bit RSA, as sealed-secrets 0.36 makes)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=4096)


def test_a_sealed_secret_renders_valid_and_only_the_clusters_key_opens_it(tmp_path, cluster_key):
    from cryptography.hazmat.primitives.asymmetric import rsa

    from tests.helpers import seal, unseal
    from vtc_constructs.workloads import SealedSecretProps

    token = b"pd-integration-key-0123456789"
    sealed = seal(cluster_key.public_key(), "monitoring", "pagerduty", token)
    values = cluster_config_values(**stack_inputs("staging"), sealed_secrets={
        "pagerduty": SealedSecretProps(namespace="monitoring", encrypted_data={"integration-key": sealed})})
    docs = render(tmp_path, "staging-sealed", "staging", values).docs
    [secret] = [d for d in docs if d["kind"] == "SealedSecret"]
    assert validate(secret) == []
    assert (secret["metadata"]["name"], secret["metadata"]["namespace"]) == ("pagerduty", "monitoring")
    assert secret["spec"]["template"]["metadata"] | {"labels": None} == {
        "name": "pagerduty", "namespace": "monitoring", "labels": None}
    assert secret["spec"]["template"]["type"] == "Opaque"
    ciphertext = secret["spec"]["encryptedData"]["integration-key"]
    assert token.decode() not in json.dumps(values) and token.decode() not in json.dumps(secret)
    # What the controller will do: strict scope, so only this name and namespace, and only with the cluster's key.
    assert unseal(cluster_key, "monitoring", "pagerduty", ciphertext) == token
    for namespace, name, key in (("vision-to-code", "pagerduty", cluster_key), ("monitoring", "other", cluster_key),
                                 ("monitoring", "pagerduty", rsa.generate_private_key(65537, 2048))):
        with pytest.raises(ValueError):
            unseal(key, namespace, name, ciphertext)


def test_a_plain_value_where_a_sealed_one_belongs_is_refused_without_echoing_it(cluster_key):
    from tests.helpers import seal
    from vtc_constructs.workloads import SealedSecretProps

    sealed = seal(cluster_key.public_key(), "monitoring", "pagerduty", b"x")
    with pytest.raises(ConfigError) as caught:
        cluster_config_values(**stack_inputs("staging"), sealed_secrets={
            "pagerduty": SealedSecretProps(namespace="monitoring", encrypted_data={
                "integration-key": "pd-plain-token-123", "ok": sealed, "bad key": sealed}),
            "Bad_Name": SealedSecretProps(namespace="", encrypted_data={})})
    assert {p.path for p in caught.value.problems} == {
        "sealed_secrets.pagerduty.encrypted_data.integration-key", "sealed_secrets.pagerduty.encrypted_data.bad key",
        "sealed_secrets.Bad_Name", "sealed_secrets.Bad_Name.namespace", "sealed_secrets.Bad_Name.encrypted_data"}
    assert "pd-plain-token-123" not in str(caught.value)


# --- least privilege inside the cluster (issue 26, item 2) ------------------------------------------------------------

def _secret_store(namespace: str, provider: dict) -> dict:
    return {"apiVersion": "external-secrets.io/v1", "kind": "SecretStore",
            "metadata": {"name": "store", "namespace": namespace}, "spec": {"provider": provider}}


AWS = {"service": "SecretsManager", "region": "eu-west-1"}
#: Sample SecretStores and whether the policy admits them.
SECRET_STORES = [
    (_secret_store("team-a", {"aws": AWS}), False),  # no auth: the controller's credentials
    (_secret_store("team-a", {"aws": {**AWS, "auth": {"jwt": {"serviceAccountRef": {"name": "reader"}}}}}), True),
    (_secret_store("team-a", {"aws": {**AWS, "auth": {"jwt": {"serviceAccountRef": {
        "name": "reader", "namespace": "team-a"}}}}}), True),
    (_secret_store("team-a", {"aws": {**AWS, "auth": {"jwt": {"serviceAccountRef": {
        "name": SECRETS_STORE_SERVICE_ACCOUNT[1], "namespace": SECRETS_STORE_SERVICE_ACCOUNT[0]}}}}}), False),
    (_secret_store("team-a", {"aws": {**AWS, "auth": {"secretRef": {"accessKeyIDSecretRef": {
        "name": "keys", "key": "id"}, "secretAccessKeySecretRef": {"name": "keys", "key": "secret"}}}}}), True),
    (_secret_store("team-a", {"vault": {"server": "https://vault.example", "auth": {"tokenSecretRef": {
        "name": "t", "key": "token"}}}}), True),  # another provider: not AWS's ambient credentials
]


def test_a_secret_store_without_explicit_auth_is_refused_by_the_admission_policy(renders):
    """The ValidatingAdmissionPolicy's CEL evaluated for real (common-expression-language, the Rust cel crate; no API
    server runs here) against sample SecretStores: refused without auth, or with another namespace's service account;
    bound with Deny; matching namespaced SecretStores only (the cluster's own ClusterSecretStore is an admin's)."""
    import cel

    policy = renders["staging"].one("ValidatingAdmissionPolicy", SECRET_STORE_AUTH_POLICY)
    binding = renders["staging"].one("ValidatingAdmissionPolicyBinding", SECRET_STORE_AUTH_POLICY)
    assert binding["spec"] == {"policyName": SECRET_STORE_AUTH_POLICY, "validationActions": ["Deny"]}
    assert policy["spec"]["failurePolicy"] == "Fail"
    assert policy["spec"]["matchConstraints"]["resourceRules"] == [{
        "apiGroups": ["external-secrets.io"], "apiVersions": ["*"], "operations": ["CREATE", "UPDATE"],
        "resources": ["secretstores"]}]
    expressions = [v["expression"] for v in policy["spec"]["validations"]]
    assert len(expressions) == 2
    for store, admitted in SECRET_STORES:
        results = [cel.evaluate(expression, {"object": store}) for expression in expressions]
        assert all(r in (True, False) for r in results), results
        assert all(results) is admitted, (store["spec"], results)


# A small NetworkPolicy evaluator (Kubernetes' semantics: a pod selected by no policy of a direction is open in that
# direction; else a connection must match a rule of some policy selecting it, on both ends).

def _labels_match(selector: dict, labels: dict) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "Exists", expression  # the only operator these policies use
        if expression["key"] not in labels:
            return False
    return True


def _peer_matches(peer: dict, pod: dict, policy_namespace: str) -> bool:
    import ipaddress

    if "ipBlock" in peer:
        return ipaddress.ip_address(pod["ip"]) in ipaddress.ip_network(peer["ipBlock"]["cidr"]) and not any(
            ipaddress.ip_address(pod["ip"]) in ipaddress.ip_network(c) for c in peer["ipBlock"].get("except", ()))
    if "namespaceSelector" in peer:
        if not _labels_match(peer["namespaceSelector"], {"kubernetes.io/metadata.name": pod["namespace"]}):
            return False
    elif pod["namespace"] != policy_namespace:
        return False
    return "podSelector" not in peer or _labels_match(peer["podSelector"], pod["labels"])


def _admits(policies: list[dict], pod: dict, other: dict, port: int, protocol: str, direction: str) -> bool:
    """Whether ``pod``'s policies admit ``other`` (the source for Ingress, the destination for Egress)."""
    kind, key, peers = ("Ingress", "ingress", "from") if direction == "in" else ("Egress", "egress", "to")
    selecting = [p for p in policies if p["metadata"]["namespace"] == pod["namespace"]
                 and kind in p["spec"]["policyTypes"] and _labels_match(p["spec"]["podSelector"], pod["labels"])]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get(key, []):
            ports = rule.get("ports")
            if ports and not any(p["port"] == port and p.get("protocol", "TCP") == protocol for p in ports):
                continue
            if peers not in rule or any(_peer_matches(peer, other, policy["metadata"]["namespace"])
                                        for peer in rule[peers]):
                return True
    return False


def reaches(policies: list[dict], source: dict, destination: dict, port: int, protocol: str = "TCP") -> bool:
    return _admits(policies, source, destination, port, protocol, "out") and \
        _admits(policies, destination, source, port, protocol, "in")


def _pod(namespace: str, ip: str, **labels: str) -> dict:
    return {"namespace": namespace, "ip": ip, "labels": labels}


def test_every_namespace_denies_by_default_and_opens_only_what_its_components_need(renders):
    """The rendered policies, with the chart's gateway policies beside them, evaluated: who may reach whom."""
    policies = renders["staging"].of("NetworkPolicy")
    made = {d["metadata"]["name"] for d in renders["staging"].of("Namespace")} - {"vision-to-code"}  # (its chart's own)
    denies = {p["metadata"]["namespace"] for p in policies if p["metadata"]["name"] == DEFAULT_DENY}
    assert denies == made
    for policy in (p for p in policies if p["metadata"]["name"] == DEFAULT_DENY):
        assert policy["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [], "egress": []}
    name = "app.kubernetes.io/name"
    prometheus = _pod("monitoring", "10.20.10.11", **{name: "prometheus"})
    grafana = _pod("monitoring", "10.20.10.12", **{name: "grafana"})
    alertmanager = _pod("monitoring", "10.20.10.13", **{name: "alertmanager"})
    peer = _pod("monitoring", "10.20.11.13", **{name: "alertmanager"})
    stranger = _pod("vision-to-code", "10.20.10.50", app="anything")       # any pod of the cluster
    neighbour = _pod("monitoring", "10.20.10.51", app="anything")          # even one of the monitoring namespace
    service = _pod("vision-to-code", "10.20.10.60", **{"app.kubernetes.io/instance": "vtc-blue"})
    collector = _pod("opentelemetry", "10.20.10.70", **{"app.kubernetes.io/instance": "otel-collector"})
    dns = _pod("kube-system", "10.20.10.2", **{"k8s-app": "kube-dns"})
    api_server = _pod("", "10.20.12.5")                                    # an EKS control-plane interface
    sns = _pod("", "10.20.0.40")                                          # an interface endpoint of the VPC
    internet = _pod("", "52.94.1.1")                                       # AWS's public endpoints, or anything else
    eso = _pod("external-secrets", "10.20.10.80", **{name: "external-secrets"})
    webhook = _pod("external-secrets", "10.20.10.81", **{name: "external-secrets-webhook"})
    nginx = _pod("nginx-gateway", "10.20.10.90", **{"gateway.networking.k8s.io/gateway-name": "vtc-blue"})
    control_plane = _pod("nginx-gateway", "10.20.10.91", **{name: "nginx-gateway-fabric"})
    fluent_bit = _pod("logging", "10.20.10.95", **{name: "aws-for-fluent-bit"})
    allowed = [
        (prometheus, alertmanager, 9093), (grafana, prometheus, 9090), (grafana, alertmanager, 9093),
        (prometheus, grafana, 3000), (alertmanager, peer, 9094), (alertmanager, sns, 443), (grafana, sns, 443),
        (prometheus, collector, 8888), (prometheus, nginx, 9113), (prometheus, control_plane, 9113),
        (service, collector, 4317), (service, collector, 4318), (collector, sns, 443), (eso, sns, 443),
        (api_server, webhook, 10250), (nginx, service, 8000), (nginx, control_plane, 8443),
        (fluent_bit, sns, 443), (control_plane, api_server, 443), (eso, api_server, 443),
        *((pod, dns, 53) for pod in (prometheus, alertmanager, collector, eso, nginx, fluent_bit)),
    ]
    denied = [
        (stranger, alertmanager, 9093), (neighbour, alertmanager, 9093), (stranger, prometheus, 9090),
        (neighbour, prometheus, 9090), (stranger, grafana, 3000), (stranger, collector, 8888),
        (stranger, control_plane, 8443), (stranger, eso, 8080), (alertmanager, sns, 80),
        (alertmanager, stranger, 8000), (nginx, collector, 4317), (eso, stranger, 8000), (collector, stranger, 8000),
        (fluent_bit, stranger, 8000),
        # Issue 26: with the interface endpoints, no pod's HTTPS leaves the VPC (PagerDuty has no key here). (A pod
        # whose 443 to the VPC is open for the API server, or Prometheus's scrapes, reaches an endpoint's interface
        # too: without its own IAM role that gets it nothing, and the endpoint policies admit this account only.)
        *((pod, internet, 443) for pod in (alertmanager, grafana, collector, eso, fluent_bit, prometheus, webhook)),
    ]
    assert [(s["labels"], d["labels"] or d["ip"], p) for s, d, p in allowed
            if not reaches(policies, s, d, p)] == []
    assert [(s["labels"], d["labels"] or d["ip"], p) for s, d, p in denied if reaches(policies, s, d, p)] == []
    assert reaches(policies, alertmanager, peer, 9094, "UDP") and reaches(policies, prometheus, dns, 53, "UDP")


# --- encryption in transit: every hop past the ALB (issue 26 item 1, docs/design/encryption-in-transit.md) ------------

ALB_TLS, MESH_MTLS, TLS_NATIVE, EXEMPT = "ALB-TLS", "mesh", "TLS-native", "exempt"
#: Every opening into a pod that the rendered NetworkPolicies make (this chart's and the services' chart's), keyed by
#: (namespace, policy, port, protocol) with colours and services generalised, and how that hop is encrypted: ALB-TLS
#: (the ALB's HTTPS target group to NGINX's HTTPS listener), mesh (both ends in enrolled namespaces: ztunnel's mTLS,
#: STRICT), TLS-native (the server speaks TLS itself, outside the mesh), or an exemption with its reason. An opening
#: that is not listed fails test_every_opening_into_a_pod_is_a_listed_hop: a new port needs its encryption stated here.
HOP_INVENTORY = {
    ("nginx-gateway", "vtc-<colour>-nginx-ingress", 8443, "TCP"): (ALB_TLS, "the ALB's HTTPS target group"),
    ("nginx-gateway", "vtc-<colour>-nginx-ingress", 9113, "TCP"): (MESH_MTLS, "Prometheus scrapes NGINX's metrics"),
    ("nginx-gateway", "vtc-nginx-gateway-fabric", 8443, "TCP"): (MESH_MTLS, "NGINX's agent to its control plane "
                                                                           "(gRPC, TLS itself too)"),
    ("nginx-gateway", "vtc-nginx-gateway-fabric", 9113, "TCP"): (MESH_MTLS, "Prometheus scrapes the control plane"),
    ("vision-to-code", "vtc-<colour>-<service>-ingress", "http", "TCP"): (MESH_MTLS, "NGINX to the services"),
    ("vision-to-code", "vtc-<colour>-<service>-ingress", "metrics", "TCP"): (MESH_MTLS, "Prometheus's scrapes"),
    ("opentelemetry", "vtc-collector", 4317, "TCP"): (MESH_MTLS, "the services' OTLP gRPC"),
    ("opentelemetry", "vtc-collector", 4318, "TCP"): (MESH_MTLS, "the services' OTLP HTTP"),
    ("opentelemetry", "vtc-collector", 8888, "TCP"): (MESH_MTLS, "Prometheus scrapes the collector"),
    ("monitoring", "vtc-prometheus", 9090, "TCP"): (MESH_MTLS, "Grafana's queries, Prometheus's self-scrape"),
    ("monitoring", "vtc-prometheus", 8080, "TCP"): (MESH_MTLS, "the config reloader's metrics"),
    ("monitoring", "vtc-alertmanager", 9093, "TCP"): (MESH_MTLS, "alerts from Prometheus, Grafana's reads"),
    ("monitoring", "vtc-alertmanager", 8080, "TCP"): (MESH_MTLS, "the config reloader's metrics"),
    ("monitoring", "vtc-alertmanager", 9094, "TCP"): (MESH_MTLS, "the peers' cluster gossip"),
    ("monitoring", "vtc-alertmanager", 9094, "UDP"): (EXEMPT, "the peers' gossip over UDP: ambient carries TCP only; "
                                                              "silences and notification state, no user data"),
    ("monitoring", "vtc-grafana", 3000, "TCP"): (MESH_MTLS, "Prometheus scrapes Grafana"),
    ("monitoring", "vtc-kube-state-metrics", 8080, "TCP"): (MESH_MTLS, "Prometheus's scrapes"),
    ("monitoring", "vtc-kube-state-metrics", 8081, "TCP"): (MESH_MTLS, "Prometheus's scrapes"),
    ("monitoring", "vtc-prometheus-operator", 10250, "TCP"): (TLS_NATIVE, "the API server's admission webhook calls "
                                                                         "and Prometheus's scrape, HTTPS; the pod is "
                                                                         "kept out of the mesh"),
    ("external-secrets", "vtc-external-secrets-webhook", 10250, "TCP"): (TLS_NATIVE, "the API server's webhook calls"),
    ("cert-manager", "vtc-cert-manager-webhook", 10250, "TCP"): (TLS_NATIVE, "the API server's webhook calls"),
    **{(ns, "vtc-ambient-probes", None, None): (EXEMPT, "the kubelet's probes (istio-cni's SNAT address), node-local")
       for ns in ("nginx-gateway", "opentelemetry", "monitoring")},
    ("vision-to-code", "vtc-<colour>-mesh-probes", None, None): (EXEMPT, "the kubelet's probes, node-local"),
}
#: Plaintext outside any rendered policy, by design (no NetworkPolicy selects these ends): node-exporter and CoreDNS
#: metrics (host network and kube-system, which cannot be enrolled), scraped by Prometheus. Kubelets (10250) and the
#: API server are HTTPS; everything to AWS's APIs is HTTPS.
OUTSIDE_THE_MESH = {("node-exporter", 9100): "host network: node-local metrics, no user data",
                    ("kube-dns", 9153): "EKS's CoreDNS in kube-system: DNS metrics, no user data"}


def _generalised(name: str) -> str:
    name = re.sub(r"^vtc-(blue|green)-", "vtc-<colour>-", name)
    return re.sub(r"^vtc-<colour>-(" + "|".join(SERVICES) + r")-ingress$", "vtc-<colour>-<service>-ingress", name)


def _openings(policies: list[dict]):
    """Each (namespace, generalised policy name, port, protocol, rule) an ingress rule opens (port None: all)."""
    for policy in policies:
        namespace, name = policy["metadata"]["namespace"], _generalised(policy["metadata"]["name"])
        for rule in policy["spec"].get("ingress") or []:
            ports = [p for p in rule.get("ports") or [] if p["port"] != 15008]
            for port in ports or [{"port": None, "protocol": None}]:
                yield namespace, name, port["port"], port.get("protocol", "TCP") if port["port"] else None, rule


@pytest.fixture(scope="module")
def services_render(workdir) -> list[dict]:
    """staging's blue services' release (charts/vision-to-code), rendered once here."""
    values = write_values(workdir / "services.values.json", test_chart.values_for("staging", Colour.BLUE))
    out = test_chart.template(release_name(Colour.BLUE), values).stdout
    return [d for d in safe_load_all(out) if d]


#: With a search domain, Jaeger's namespace too (its policy is the jaeger chart's: releases.jaeger_values).
SEARCH_HOPS = {("tracing", "jaeger", 4317, "TCP"): (MESH_MTLS, "the collector's spans to Jaeger (OTLP gRPC)"),
               ("tracing", "vtc-ambient-probes", None, None): (EXEMPT, "the kubelet's probes, node-local")}


def unlisted_hops(policies: list[dict], namespaces: dict[str, dict], peer_authentications: list[dict],
                  inventory: dict = HOP_INVENTORY) -> list:
    """Every opening of ``policies`` that breaks the inventory: not listed, or listed as mesh while an end is outside
    an enrolled namespace with STRICT mTLS, or without the tunnel port beside it."""
    strict = {p["metadata"]["namespace"] for p in peer_authentications if p["spec"]["mtls"]["mode"] == "STRICT"}
    enrolled = {name for name, labels in namespaces.items() if labels.get("istio.io/dataplane-mode") == "ambient"}
    meshed = strict & enrolled
    problems = []
    for namespace, name, port, protocol, rule in _openings(policies):
        listed = inventory.get((namespace, name, port, protocol))
        if listed is None:
            problems.append(("unlisted", namespace, name, port, protocol))
        elif listed[0] == MESH_MTLS:
            peers = {peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name",
                                                                                  namespace)
                     if "ipBlock" not in peer else None for peer in rule.get("from", [None])}
            if namespace not in meshed or not peers <= meshed or {"protocol": "TCP", "port": 15008} not in rule["ports"]:
                problems.append(("not in the mesh", namespace, name, port, protocol))
    return problems


def test_every_opening_into_a_pod_is_a_listed_hop_and_mesh_hops_are_strict_mtls(renders, services_render):
    render_ = renders["staging"]
    policies = render_.of("NetworkPolicy") + [d for d in services_render if d["kind"] == "NetworkPolicy"]
    namespaces = {d["metadata"]["name"]: d["metadata"]["labels"] for d in render_.of("Namespace")}
    assert unlisted_hops(policies, namespaces, render_.of("PeerAuthentication")) == []
    # Every listed hop is one the renders make (no stale row).
    made = {(ns, name, port, protocol) for ns, name, port, protocol, _ in _openings(policies)}
    assert set(HOP_INVENTORY) - made == set()
    # Every Service port of the services' chart reaches a listed opening (the pods' named ports).
    for service in (d for d in services_render if d["kind"] == "Service"):
        for port in service["spec"]["ports"]:
            assert ("vision-to-code", "vtc-<colour>-<service>-ingress", port["targetPort"], "TCP") in HOP_INVENTORY, \
                (service["metadata"]["name"], port)


def test_the_hop_inventory_fails_on_an_unlisted_port_or_a_mesh_hop_without_strict_mtls(renders):
    render_ = renders["staging"]
    namespaces = {d["metadata"]["name"]: d["metadata"]["labels"] for d in render_.of("Namespace")}
    policies = copy.deepcopy(render_.of("NetworkPolicy"))
    collector = next(p for p in policies if p["metadata"]["name"] == "vtc-collector")
    collector["spec"]["ingress"][0]["ports"].append({"protocol": "TCP", "port": 9999})
    assert unlisted_hops(policies, namespaces, render_.of("PeerAuthentication")) == [
        ("unlisted", "opentelemetry", "vtc-collector", 9999, "TCP")]
    # the collector's namespace without its STRICT PeerAuthentication: its mesh hops are no longer proven
    others = [p for p in render_.of("PeerAuthentication") if p["metadata"]["namespace"] != "opentelemetry"]
    assert {p[2] for p in unlisted_hops(render_.of("NetworkPolicy"), namespaces, others)} == {"vtc-collector"}
    # a mesh rule without the tunnel port
    policies = copy.deepcopy(render_.of("NetworkPolicy"))
    grafana = next(p for p in policies if p["metadata"]["name"] == "vtc-grafana")
    grafana["spec"]["ingress"][0]["ports"] = [{"protocol": "TCP", "port": 3000}]
    assert unlisted_hops(policies, namespaces, render_.of("PeerAuthentication")) == [
        ("not in the mesh", "monitoring", "vtc-grafana", 3000, "TCP")]


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_each_listener_is_https_with_a_certificate_of_the_platforms_ca_renewed_before_it_expires(renders, env):
    render_ = renders[env]
    certificates = {(c["metadata"]["namespace"], c["spec"]["secretName"]): c for c in render_.of("Certificate")}
    issuers = {i["metadata"]["name"]: i["spec"] for i in render_.of("ClusterIssuer")}
    assert issuers == {"vtc-selfsigned": {"selfSigned": {}}, "vtc-ca": {"ca": {"secretName": "vtc-root-ca"}}}
    root = certificates[("cert-manager", "vtc-root-ca")]["spec"]
    assert root["isCA"] is True and root["issuerRef"]["name"] == "vtc-selfsigned"
    listeners = [(g, listener) for g in render_.of("Gateway") for listener in g["spec"]["listeners"]]
    assert len(listeners) == 2 and not [lst for _, lst in listeners if lst["protocol"] != "HTTPS"]
    hours = lambda text: int(text.removesuffix("h"))  # noqa: E731
    for gateway, listener in listeners:
        assert listener["tls"]["mode"] == "Terminate"
        [ref] = listener["tls"]["certificateRefs"]
        assert (ref["group"], ref["kind"]) == ("", "Secret")
        spec = certificates[(gateway["metadata"]["namespace"], ref["name"])]["spec"]
        assert spec["issuerRef"] == {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "vtc-ca"}
        assert 0 < hours(spec["renewBefore"]) < hours(spec["duration"]) <= 2160
        assert spec["privateKey"]["rotationPolicy"] == "Always" and "server auth" in spec["usages"]
    assert 0 < hours(root["renewBefore"]) < hours(root["duration"])


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_every_hop_namespace_is_enrolled_in_the_mesh_with_strict_mtls_and_nothing_permissive(renders, env):
    render_ = renders[env]
    labels = {d["metadata"]["name"]: d["metadata"]["labels"] for d in render_.of("Namespace")}
    enrolled = {name for name, lbl in labels.items() if lbl.get("istio.io/dataplane-mode") == "ambient"}
    assert enrolled == set(MESH)
    modes = {(p["metadata"]["namespace"], p["spec"]["mtls"]["mode"]) for p in render_.of("PeerAuthentication")}
    assert modes == {(ns, "STRICT") for ns in MESH}
    assert not [p for p in render_.of("PeerAuthentication") if "portLevelMtls" in p["spec"] or "selector" in p["spec"]]


def test_mesh_namespaces_must_be_made_here_and_the_listener_protocol_is_checked():
    inputs = stack_inputs("staging")
    with pytest.raises(ConfigError) as error:
        cluster_config_values(**{**inputs, "mesh_namespaces": ("vision-to-code", "kube-system", "kube-system"),
                                 "listener_protocol": "TLS"})
    # (and the control plane's certificates, which need the CA that only comes with HTTPS)
    assert {p.path for p in error.value.problems} == {"mesh_namespaces[1]", "mesh_namespaces[2]", "mesh_namespaces",
                                                      "listener_protocol", "control_plane_certificates"}


@pytest.mark.parametrize("namespace", ["a" * 64, "Cert-Manager", "-cert-manager", "", None])
def test_cert_manager_namespace_must_be_a_namespace_name(namespace):
    # Kubernetes refuses a namespace name over 63 characters as it refuses the others: at synth, not at apply.
    with pytest.raises(ConfigError) as error:
        cluster_config_values(**{**stack_inputs("staging"), "cert_manager_namespace": namespace})
    assert [p.path for p in error.value.problems] == ["cert_manager_namespace"]
    assert "1-63 of a-z" in str(error.value)


def test_renew_before_not_shorter_than_duration_fails_template(workdir):
    values = cluster_config_values(**stack_inputs("staging"))
    values["tls"]["listenerCertificate"]["renewBefore"] = "2160h"
    result = helm_template(write_values(workdir / "renew.values.json", values), ok=(0, 1))
    assert result.returncode == 1 and "tls.listenerCertificate: renewBefore 2160h is not shorter than duration" \
        in result.stderr


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_nginx_gateway_fabrics_own_certificates_come_from_the_platforms_ca_and_its_job_is_off(renders, env):
    """Each colour's control plane and agents get cert-manager Certificates of ``vtc-ca`` under the Secret names their
    release is told (NGINX Gateway Fabric's 3-year, never-renewed cert-generator Job is off)."""
    certificates = {c["spec"]["secretName"]: c["spec"] for c in renders[env].of("Certificate")
                    if c["metadata"]["namespace"] == "nginx-gateway"}
    workloads = workloads_props(env)
    for colour in Colour:
        values = gateway_values(workloads, colour, namespace="nginx-gateway", load_balancer_cidrs=LOAD_BALANCER_CIDRS)
        generator = values["certGenerator"]
        assert generator["enable"] is False
        server, agent = certificates[generator["serverTLSSecretName"]], certificates[generator["agentTLSSecretName"]]
        assert server["dnsNames"] == [f"ngf-{colour.value}-nginx-gateway-fabric.nginx-gateway.svc"]
        assert "server auth" in server["usages"] and "client auth" in agent["usages"]
        assert agent["dnsNames"] == ["*.cluster.local"]
        for spec in (server, agent):
            assert spec["issuerRef"]["name"] == "vtc-ca" and spec["privateKey"]["rotationPolicy"] == "Always"
            assert int(spec["renewBefore"].removesuffix("h")) < int(spec["duration"].removesuffix("h"))


def test_with_a_search_domain_the_collector_to_jaeger_hop_is_in_the_mesh_too(workdir, search_releases):
    """The workloads stack with a search domain: vtc-cluster-config rendered with its values, and Jaeger's own policy
    (the jaeger release's extraObjects): the tracing namespace is enrolled with STRICT mTLS, and every opening is a
    listed hop."""
    from tests.test_releases import releases_of, sets_of, values_of

    releases = releases_of(search_releases["stack"])
    values = values_of(releases["vtc-cluster-config"])
    for path, value in sets_of(releases["vtc-cluster-config"]).items():  # Terraform references: none expected
        raise AssertionError(f"unexpected apply-time value {path}={value}")
    docs = [d for d in safe_load_all(helm_template(write_values(workdir / "search.values.json", values)).stdout)
            if d]
    jaeger = [json.loads(o) if isinstance(o, str) else o for o in values_of(releases["jaeger"])["extraObjects"]]
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"] + [o for o in jaeger if o["kind"] == "NetworkPolicy"]
    namespaces = {d["metadata"]["name"]: d["metadata"]["labels"] for d in docs if d["kind"] == "Namespace"}
    assert namespaces["tracing"]["istio.io/dataplane-mode"] == "ambient"
    assert unlisted_hops(policies, namespaces, [d for d in docs if d["kind"] == "PeerAuthentication"],
                         {**HOP_INVENTORY, **SEARCH_HOPS}) == []
    collector = next(p for p in policies if p["metadata"]["name"] == "vtc-collector")
    [to_jaeger] = [r for r in collector["spec"]["egress"] if r.get("to") and "namespaceSelector" in r["to"][0]]
    assert {p["port"] for p in to_jaeger["ports"]} == {4317, 15008}
