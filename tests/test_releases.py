"""The workloads stacks (``<env>-workloads``): the Helm releases onto each environment's cluster, as synthesized.

No Helm or Kubernetes provider can be installed on these machines, so these stacks cannot be ``terraform init``-ed
here; what Terraform and Helm would get is checked instead: the provider's authentication, every release's chart,
version, safety settings, order and values, and that every value known only at apply is a reference to the
environment's AWS stack (cdktf's cross-stack outputs) that exists there. The in-repository charts are rendered by
real helm in tests/test_chart.py and tests/test_cluster_config_chart.py.
"""

from __future__ import annotations

import json
import re

import pytest

from environments.model import load_environments
from tooling.paths import REPO
from tests.conftest import ENVIRONMENT_NAMES
from tests.test_chart import KUBERNETES_VERSION
from tests.helpers import safe_load_all
from vtc_constructs.cluster_config import SECRETS_STORE_SERVICE_ACCOUNT
from vtc_constructs.eks import ADOT_COLLECTOR_SERVICE_ACCOUNT, FLUENT_BIT_SERVICE_ACCOUNT
from vtc_constructs.errors import ConfigError
from vtc_constructs.platform import ALERTMANAGER_SERVICE_ACCOUNT, GRAFANA_SERVICE_ACCOUNT
from vtc_constructs.releases import (
    CHART_REPOSITORIES,
    CLUSTER_AUTOSCALER_IMAGES,
    CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
    DEFAULT_CHART_VERSIONS,
    EXTERNAL_SECRETS_SERVICE_ACCOUNT,
    LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT,
    NGINX_PRESTOP_SECONDS,
    split_references,
)
from vtc_constructs.workloads import (
    ADDON_CHARTS,
    DEREGISTRATION_DELAY_SECONDS,
    GATEWAY_HEALTH_PATH,
    GATEWAY_PORT,
    SEED_REPLICA_RANGES,
    SERVICES,
    Colour,
)

RELEASES = ("gateway-api-crds", "nginx-gateway-fabric-crds", "aws-load-balancer-controller", "metrics-server",
            "cluster-autoscaler", "external-secrets", "sealed-secrets-controller", "fluent-bit", "vtc-cluster-config",
            "kube-prometheus-stack", "otel-collector", "ngf-blue", "ngf-green", "vtc-blue", "vtc-green",
            # Encryption in transit (issue 26): cert-manager and Istio's ambient mesh.
            "cert-manager", "istio-base", "istiod", "istio-cni", "ztunnel")
#: The releases a search domain adds (both environments have one: [search]).
SEARCH_RELEASES = ("search-setup", "jaeger")
LOCAL_CHARTS = {"gateway-api-crds": "gateway-api-crds", "nginx-gateway-fabric-crds": "nginx-gateway-fabric-crds",
                "vtc-cluster-config": "vtc-cluster-config",
                "vtc-blue": "vision-to-code", "vtc-green": "vision-to-code"}
#: The local charts with namespaced objects (the CRD charts have only cluster-wide CRDs: tests/test_gateway_api_crds.py).
NAMESPACED_CHARTS = ("vtc-cluster-config", "vtc-blue", "vtc-green")
#: What each release must wait for (directly): the order the module docstring gives.
NEEDS = {
    "vtc-cluster-config": {"gateway-api-crds", "aws-load-balancer-controller", "external-secrets",
                           "sealed-secrets-controller", "cert-manager", "ztunnel"},
    # Istio in its documented order (node agents after the control plane), after the Gateway API's CRDs.
    "istio-base": {"gateway-api-crds"}, "istiod": {"istio-base"}, "istio-cni": {"istiod"}, "ztunnel": {"istio-cni"},
    "fluent-bit": {"vtc-cluster-config"},
    "kube-prometheus-stack": {"vtc-cluster-config"},
    "otel-collector": {"kube-prometheus-stack"},
    "ngf-blue": {"nginx-gateway-fabric-crds", "vtc-cluster-config", "kube-prometheus-stack"},
    "ngf-green": {"nginx-gateway-fabric-crds", "vtc-cluster-config", "kube-prometheus-stack"},
    "vtc-blue": {"ngf-blue", "otel-collector", "kube-prometheus-stack"},
    "vtc-green": {"ngf-green", "otel-collector", "kube-prometheus-stack"},
}
REMOTE = re.compile(r"^\$\{data\.terraform_remote_state\.cross-stack-reference-input-(?P<env>[a-z0-9-]+)\.outputs\."
                    r"(?P<output>[A-Za-z0-9_.-]+)\}$")
#: A reference inside an expression (``${replace(data.terraform_remote_state.x.outputs.y, ...)}``).
REMOTE_INSIDE = re.compile(r"data\.terraform_remote_state\.cross-stack-reference-input-(?P<env>[a-z0-9-]+)\.outputs\."
                           r"(?P<output>[A-Za-z0-9_-]+)")


def releases_of(stack: dict) -> dict[str, dict]:
    """The stack's helm_release resources by release name."""
    return {r["name"]: r for r in stack["resource"]["helm_release"].values()}


def values_of(release: dict) -> dict:
    [document] = release["values"]
    return json.loads(document)


def sets_of(release: dict) -> dict[str, str]:
    return {s["name"]: s["value"] for s in release.get("set", [])}


def address_to_name(stack: dict) -> dict[str, str]:
    return {f"helm_release.{key}": r["name"] for key, r in stack["resource"]["helm_release"].items()}


@pytest.fixture(scope="module")
def configs():
    return {env.name: env for env in load_environments()}


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_every_release_is_there_once_pinned_and_atomic(env, workloads_stacks, configs):
    releases = releases_of(workloads_stacks[env])
    assert sorted(releases) == sorted(RELEASES + SEARCH_RELEASES)
    versions = {**DEFAULT_CHART_VERSIONS, **dict(configs[env].workloads.addon_chart_versions)}
    for name, release in releases.items():
        assert (release["atomic"], release["wait"], release["cleanup_on_fail"], release["create_namespace"]) == \
            (True, True, True, True), name
        assert release["timeout"] == configs[env].workloads.release_timeout_seconds and release["max_history"] == 10
        if name in {**LOCAL_CHARTS, "search-setup": "vtc-search-setup"}:
            # The in-repository charts travel with the stack as assets: a path inside the stack folder.
            assert re.fullmatch(rf"\./assets/releases_{name}-chart_[0-9A-F]{{8}}/[0-9A-F]{{32}}", release["chart"]), \
                release["chart"]
            assert "repository" not in release and "version" not in release
        else:
            chart = next(c for c, (_, chart_name) in CHART_REPOSITORIES.items() if chart_name == release["chart"])
            assert release["repository"] == CHART_REPOSITORIES[chart][0].rstrip("/")
            assert release["repository"].startswith(("https://", "oci://"))
            # (cert-manager's chart versions carry a "v")
            assert re.fullmatch(r"v?[0-9]+\.[0-9]+\.[0-9]+", release["version"]) and release["version"] == versions[chart]


def test_every_add_on_chart_has_a_source_and_a_pinned_default():
    assert set(CHART_REPOSITORIES) == set(ADDON_CHARTS) == set(DEFAULT_CHART_VERSIONS)


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_releases_wait_for_what_they_need(env, workloads_stacks):
    stack = workloads_stacks[env]
    names = address_to_name(stack)
    # With a search domain, its writers wait for the setup Job (test_with_a_search_domain_... below).
    needs = {**NEEDS, "search-setup": {"vtc-cluster-config"}, "fluent-bit": {"vtc-cluster-config", "search-setup"},
             "jaeger": {"vtc-cluster-config", "search-setup"}}
    for name, release in releases_of(stack).items():
        assert {names[a] for a in release.get("depends_on", [])} == needs.get(name, set()), name


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_helm_signs_in_with_short_lived_eks_tokens_only(env, workloads_stacks, stacks, configs):
    [provider] = workloads_stacks[env]["provider"]["helm"]
    kubernetes = provider["kubernetes"]
    assert set(kubernetes) == {"host", "cluster_ca_certificate", "exec"}, "no token, password, key or kubeconfig"
    exec_ = kubernetes["exec"]
    assert exec_["command"] == "aws" and exec_["api_version"] == "client.authentication.k8s.io/v1beta1"
    assert exec_["args"][:3] == ["eks", "get-token", "--cluster-name"]
    assert exec_["args"][4:] == ["--region", configs[env].region, "--output", "json"]
    outputs = stacks[env]["output"]
    for value in (kubernetes["host"], exec_["args"][3]):
        match = REMOTE.match(value)
        assert match and match["env"] == env and match["output"] in outputs
        assert outputs[match["output"]]["value"].startswith("${aws_eks_cluster.")
    assert kubernetes["cluster_ca_certificate"].startswith("${base64decode(data.terraform_remote_state.")


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_workloads_stack_reads_its_own_environments_state_and_nothing_else(env, workloads_stacks, configs):
    stack = workloads_stacks[env]
    remote = stack["data"]["terraform_remote_state"]
    assert list(remote) == [f"cross-stack-reference-input-{env}"]
    state = configs[env].state
    config = remote[f"cross-stack-reference-input-{env}"]["config"]
    assert (config["bucket"], config["key"], config["region"], config["encrypt"]) == \
        (state.bucket, state.key, state.region, True)
    backend = stack["terraform"]["backend"]["s3"]
    assert backend["key"] == configs[env].workloads_state_key != state.key and backend["encrypt"] is True
    assert set(stack["terraform"]["required_providers"]) == {"helm"}, "no AWS provider: nothing AWS is made here"


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_every_reference_is_an_output_of_the_environments_aws_stack(env, workloads_stacks, stacks):
    outputs = stacks[env]["output"]
    for name, release in releases_of(workloads_stacks[env]).items():
        for path, value in sets_of(release).items():
            found = list(REMOTE_INSIDE.finditer(value))
            # An expression, or a URL scheme before one (Jaeger's server URL: https:// and the domain's endpoint).
            assert found and value.removeprefix("https://").startswith("${") and value.endswith("}"), \
                f"{name} {path}: {value} is not an expression of the AWS stack's outputs"
            assert all(m["env"] == env and m["output"] in outputs for m in found), (name, path)
        assert "TfToken" not in json.dumps(release), name
        assert all(s["type"] == "string" for s in release.get("set", [])), name


def terraform_console(expression: str) -> str:
    """``expression`` evaluated by ``terraform console`` in an empty folder (no provider, no state)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        result = subprocess.run(["terraform", "console"], input=expression + "\n", cwd=folder, capture_output=True,
                                text=True, timeout=60, env={**__import__("os").environ, "CHECKPOINT_DISABLE": "1"})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def referenced(stacks, env: str, value: str) -> str:
    """The AWS stack's expression behind a cross-stack reference."""
    return stacks[env]["output"][REMOTE.match(value)["output"]]["value"]


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_each_add_on_takes_its_own_irsa_role(env, workloads_stacks, stacks):
    releases = releases_of(workloads_stacks[env])
    expected = {
        "aws-load-balancer-controller": ("serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn", "lb-controller-role",
                                         LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT, ("serviceAccount", "name")),
        "cluster-autoscaler": ("rbac.serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn", "autoscaler-role",
                               CLUSTER_AUTOSCALER_SERVICE_ACCOUNT, ("rbac", "serviceAccount", "name")),
        # Not the controller's account: the ClusterSecretStore's own (vtc-cluster-config makes it).
        "vtc-cluster-config": ("externalSecrets.serviceAccount.roleArn", "external-secrets-role",
                               ("monitoring", SECRETS_STORE_SERVICE_ACCOUNT[1]),
                               ("externalSecrets", "serviceAccount", "name")),
        "fluent-bit": ("serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn", "fluent-bit-role",
                       FLUENT_BIT_SERVICE_ACCOUNT, ("serviceAccount", "name")),
        "otel-collector": ("serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn", "adot-collector-role",
                           ADOT_COLLECTOR_SERVICE_ACCOUNT, ("serviceAccount", "name")),
        "kube-prometheus-stack": ("alertmanager.serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn",
                                  "alertmanager-role", ALERTMANAGER_SERVICE_ACCOUNT,
                                  ("alertmanager", "serviceAccount", "name")),
        # Both environments have a cache: Grafana reads its metrics from CloudWatch.
        "kube-prometheus-stack/grafana": ("grafana.serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn",
                                          "grafana-role", GRAFANA_SERVICE_ACCOUNT, ("grafana", "serviceAccount", "name")),
    }
    for name, (path, role, (namespace, account), account_path) in expected.items():
        release = releases[name.split("/")[0]]
        assert re.fullmatch(rf"\$\{{aws_iam_role\.eks_{role}_[0-9A-F]{{8}}\.arn\}}",
                            referenced(stacks, env, sets_of(release)[path])), name
        assert release["namespace"] == namespace, name
        value = values_of(release)
        for key in account_path:
            value = value[key]
        assert value == account, name
    for colour in Colour:
        role = referenced(stacks, env, sets_of(releases[f"vtc-{colour.value}"])["serviceAccount.roleArn"])
        assert re.fullmatch(r"\$\{aws_iam_role\.eks_services-role_[0-9A-F]{8}\.arn\}", role)
    # The external-secrets controller has no AWS identity (a SecretStore without auth would fall back to it), and the
    # chart's aggregation of SecretStore rights into the built-in edit and admin roles is off (issue 26).
    eso = releases["external-secrets"]
    assert not any("role-arn" in path for path in sets_of(eso)) and "annotations" not in values_of(eso)["serviceAccount"]
    assert values_of(eso)["serviceAccount"]["name"] == EXTERNAL_SECRETS_SERVICE_ACCOUNT[1]
    assert values_of(eso)["rbac"] == {"aggregateToEdit": False, "aggregateToAdmin": False,
                                      "serviceAccountTokenCreate": False}
    assert values_of(releases["vtc-cluster-config"])["externalSecrets"]["serviceAccount"]["namespace"] == \
        SECRETS_STORE_SERVICE_ACCOUNT[0]


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_storage_class_encrypts_with_the_clusters_ebs_key(env, workloads_stacks, stacks):
    """Issue 26: the StorageClass's ``kmsKeyId`` is the EKS cluster's EBS key (the one the CSI driver's role may use
    through EC2), not EBS's AWS-managed key: from the AWS stack through from_platform to the chart's values."""
    release = releases_of(workloads_stacks[env])["vtc-cluster-config"]
    assert "kmsKeyArn" not in values_of(release)["storageClass"]  # set from the reference, not left empty
    key = referenced(stacks, env, sets_of(release)["storageClass.kmsKeyArn"])
    assert re.fullmatch(r"\$\{aws_kms_key\.eks_ebs-key_[0-9A-F]{8}\.arn\}", key), key


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_autoscaler_discovers_this_clusters_groups_with_the_clusters_minor(env, workloads_stacks, stacks,
                                                                                configs):
    release = releases_of(workloads_stacks[env])["cluster-autoscaler"]
    values, sets = values_of(release), sets_of(release)
    assert referenced(stacks, env, sets["autoDiscovery.clusterName"]).startswith("${aws_eks_cluster.")
    minor = configs[env].eks.kubernetes_version
    assert values["image"]["tag"] == CLUSTER_AUTOSCALER_IMAGES[minor] and \
        values["image"]["tag"].startswith(f"v{minor}.")
    assert values["awsRegion"] == configs[env].region and values["cloudProvider"] == "aws"


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_load_balancer_controller_is_told_vpc_and_region_and_takes_nothing_over(env, workloads_stacks, stacks,
                                                                                     configs):
    release = releases_of(workloads_stacks[env])["aws-load-balancer-controller"]
    values, sets = values_of(release), sets_of(release)
    assert values["region"] == configs[env].region
    assert referenced(stacks, env, sets["vpcId"]).startswith("${aws_vpc.network_vpc_")
    assert referenced(stacks, env, sets["clusterName"]).startswith("${aws_eks_cluster.")
    assert values["enableServiceMutatorWebhook"] is False and values["createIngressClassResource"] is False
    assert values["replicaCount"] >= 2
    # Nor the Gateways: NGINX Gateway Fabric's (the controller's own Gateway API controllers are off).
    assert values["controllerConfig"]["featureGates"] == {"ALBGatewayAPI": False, "NLBGatewayAPI": False}


NGF_VALUES_SCHEMA = REPO / "tests" / "upstream" / "nginx-gateway-fabric-2.6.7.values.schema.json"


def _undeclared(values, schema, path="") -> list[str]:
    """Every key of ``values`` the chart's schema does not declare (where it lists properties): a misspelled value the
    chart would ignore silently (its schema allows unknown keys)."""
    if not isinstance(values, dict) or "properties" not in schema:
        return []
    found = []
    for key, value in values.items():
        if key not in schema["properties"]:
            found.append(f"{path}.{key}")
        else:
            found += _undeclared(value, schema["properties"][key], f"{path}.{key}")
    return found


def _defaults(schema: dict) -> dict:
    """The chart's default values, from its values.schema.json (each property's ``default``, objects recursed)."""
    return {key: spec["default"] if "default" in spec else _defaults(spec)
            for key, spec in schema.get("properties", {}).items()
            if "properties" in spec or "default" in spec}


def _merged(defaults, values):
    if isinstance(defaults, dict) and isinstance(values, dict):
        return {**defaults, **{k: _merged(defaults.get(k), v) for k, v in values.items()}}
    return values


def nginx_proxy(release: str, values: dict, schema: dict) -> dict:
    """The GatewayClass's NginxProxy the nginx-gateway-fabric 2.6.7 chart makes from ``nginx.*`` over its defaults
    (templates/nginxproxy.yaml, read, not copied: ``<release>-proxy-config`` in the release's namespace; ``config`` is
    the spec's top level; replicas, pod, container (its empty fields dropped: filterEmptyFields) and the image under
    ``kubernetes.deployment``, the service's non-empty fields under ``kubernetes.service``)."""
    defaults = _defaults(schema)["nginx"]  # the image's and the service's leaves (the schema has no other defaults
    nginx = _merged({k: defaults[k] for k in ("image", "service")}, values["nginx"])  # for what the template reads)
    filled = lambda table: {k: v for k, v in table.items() if v not in ({}, [], "", None)}  # noqa: E731
    deployment = {"replicas": nginx["replicas"], "pod": nginx["pod"],
                  "container": {**filled(nginx["container"]), "image": nginx["image"]}}
    return {"apiVersion": "gateway.nginx.org/v1alpha2", "kind": "NginxProxy",
            "metadata": {"name": f"{release}-proxy-config", "namespace": "nginx-gateway"},
            "spec": {**nginx["config"], "kubernetes": {"deployment": deployment, "service": filled(nginx["service"])}}}


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_nginx_one_gateway_fabric_per_colour_with_values_its_chart_and_crd_accept(env, workloads_stacks, stacks):
    """Each colour its own control plane, class and controller name (an upgrade reaches the idle colour first); the
    values valid against the pinned chart's values.schema.json with no key it does not declare; the NginxProxy the
    chart makes of them valid against NGINX Gateway Fabric's CRD (tests/test_chart.py's strict validator)."""
    import jsonschema

    from tests.test_chart import crd_validator, validate as chart_validate

    schema = json.loads(NGF_VALUES_SCHEMA.read_text(encoding="utf-8"))
    releases = releases_of(workloads_stacks[env])
    vpc_public = set(stacks[env]["resource"]["aws_subnet"][k]["cidr_block"]
                     for k in stacks[env]["resource"]["aws_subnet"] if "public" in k)
    seen = set()
    for colour in Colour:
        release = releases[f"ngf-{colour.value}"]
        values = values_of(release)
        assert release["chart"] == "nginx-gateway-fabric" and release["repository"] == "oci://ghcr.io/nginx/charts"
        assert release["skip_crds"] is True, "gateway-api-crds owns the CRDs (the chart's crds/ never upgrade)"
        assert release["namespace"] == "nginx-gateway"
        assert list(jsonschema.Draft7Validator(schema).iter_errors(values)) == []
        assert _undeclared(values, schema) == []
        gateway = values["nginxGateway"]
        own = (gateway["gatewayClassName"], gateway["gatewayControllerName"],
               values["certGenerator"]["serverTLSSecretName"], values["certGenerator"]["agentTLSSecretName"])
        assert own[0] == f"nginx-{colour.value}" and all(colour.value in name for name in own)
        assert not seen & set(own), "two colours share a class, controller or certificate"
        seen |= set(own)
        assert gateway["replicas"] >= 2 and gateway["productTelemetry"] == {"enable": False}
        assert gateway["snippets"] == {"enable": False}  # (also: nothing can rewrite the forwarded headers below)
        nginx = values["nginx"]
        assert nginx["service"] == {"type": "ClusterIP"}, "the ALB reaches the pods directly: no other load balancer"
        assert nginx["replicas"] >= 2
        # X-Forwarded-For trusted from the ALB's subnets only (not the VPC, whose pods have VPC addresses).
        trusted = nginx["config"]["rewriteClientIP"]["trustedAddresses"]
        assert {t["value"] for t in trusted} == vpc_public and all(t["type"] == "CIDR" for t in trusted)
        # (issue 26, item 4) The client address from X-Forwarded-For only, recursively past the trusted ALB hops: no
        # PROXY protocol, no other header; and no range wider than a public subnet (never the VPC's, never anywhere).
        # X-Forwarded-Host needs no setting: NGINX Gateway Fabric 2.6.7 sets it to $host on every proxied request
        # (internal/controller/nginx/config/servers.go, createBaseProxySetHeaders), replacing a client's.
        assert {k: v for k, v in nginx["config"]["rewriteClientIP"].items() if k != "trustedAddresses"} == {
            "mode": "XForwardedFor", "setIPRecursively": True}
        assert all(int(t["value"].split("/")[1]) >= 20 for t in trusted)
        assert nginx["config"]["serverTokens"] == "off"
        # NGINX keeps serving while the ALB drains its target (and the controller deregisters it: 15 s more), within
        # the pod's grace period.
        sleep = nginx["container"]["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert sleep == NGINX_PRESTOP_SECONDS >= DEREGISTRATION_DELAY_SECONDS + 15
        assert nginx["pod"]["terminationGracePeriodSeconds"] >= sleep + 30
        # Roles in the services' namespace (and its own), not a ClusterRole over every Secret of the cluster.
        assert gateway["watchNamespaces"] == ["vision-to-code"]
        # The control plane (on the request path: NGINX's upstreams come from it) keeps a pod through drains; it and
        # NGINX are scraped, each series labelled with the colour.
        extras = {(o["kind"], o["metadata"]["name"]): o for o in map(json.loads, values["extraObjects"])}
        release_name_ = f"ngf-{colour.value}"
        control_plane = {"matchLabels": {"app.kubernetes.io/name": "nginx-gateway-fabric",
                                         "app.kubernetes.io/instance": release_name_}}
        nginx_pods = {"matchLabels": {"gateway.networking.k8s.io/gateway-name": f"vtc-{colour.value}"}}
        assert set(extras) == {("PodDisruptionBudget", f"{release_name_}-control-plane"),
                               ("PodMonitor", f"{release_name_}-control-plane"), ("PodMonitor", f"vtc-{colour.value}-nginx")}
        budget = extras[("PodDisruptionBudget", f"{release_name_}-control-plane")]
        assert budget["spec"] == {"minAvailable": 1, "selector": control_plane}
        assert budget["spec"]["minAvailable"] < gateway["replicas"]
        for (kind, name), selector in (((("PodMonitor", f"{release_name_}-control-plane")), control_plane),
                                       ((("PodMonitor", f"vtc-{colour.value}-nginx")), nginx_pods)):
            monitor = extras[(kind, name)]
            assert [e.message for e in crd_validator("monitoring.coreos.com/v1", kind).iter_errors(monitor)] == []
            assert monitor["metadata"]["namespace"] == release["namespace"]
            assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
            assert monitor["spec"]["selector"] == selector
            assert monitor["spec"]["podTargetLabels"] == ["vision-to-code.io/colour"]
            assert monitor["spec"]["podMetricsEndpoints"] == [{"port": "metrics", "interval": "30s"}]
        assert chart_validate(budget) == []  # Kubernetes 1.36's own schema, strict
        proxy = nginx_proxy(release_name_, values, schema)
        assert [e.message for e in crd_validator("gateway.nginx.org/v1alpha2", "NginxProxy").iter_errors(proxy)] == []
    # The validation can fail: a misspelled value, and an NginxProxy field that does not exist.
    bad = values_of(releases["ngf-blue"])
    bad["nginx"]["containers"] = bad["nginx"].pop("container")
    assert _undeclared(bad, schema) == [".nginx.containers"]
    bad["nginx"]["container"] = {"lifecycle": {"preStop": {"sleep": {"second": 35}}}}
    assert list(crd_validator("gateway.nginx.org/v1alpha2", "NginxProxy").iter_errors(nginx_proxy("ngf-blue", bad,
                                                                                                  schema)))


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_each_colours_binding_names_the_service_its_gateway_gets_and_that_colours_target_group(env, workloads_stacks,
                                                                                               stacks):
    releases = releases_of(workloads_stacks[env])
    config = releases["vtc-cluster-config"]
    sets = sets_of(config)
    values = values_of(config)
    assert values["gateway"]["namespace"] == "nginx-gateway" and values["gateway"]["listener"]["port"] == GATEWAY_PORT
    for i, binding in enumerate(values["targetGroupBindings"]):
        colour = binding["colour"]
        # NGINX Gateway Fabric names the Service of Gateway vtc-<colour> (class nginx-<colour>) <gateway>-<class>.
        assert binding["serviceName"] == f"vtc-{colour}-nginx-{colour}"
        assert binding["servicePort"] == GATEWAY_PORT
        target_group = referenced(stacks, env, sets[f"targetGroupBindings[{i}].targetGroupArn"])
        assert re.fullmatch(rf"\$\{{aws_lb_target_group\.edge_{colour}-target-group_[0-9A-F]{{8}}\.arn\}}",
                            target_group), (colour, target_group)
    assert {b["colour"] for b in values["targetGroupBindings"]} == {"blue", "green"}


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_edge_sends_to_the_port_nginx_listens_on_and_asks_the_colours_health_route(env, stacks):
    resources = stacks[env]["resource"]
    for group in resources["aws_lb_target_group"].values():
        assert group["port"] == GATEWAY_PORT and group["target_type"] == "ip"
        assert group["health_check"]["port"] == "traffic-port" and group["health_check"]["path"] == GATEWAY_HEALTH_PATH
        assert group["health_check"]["matcher"] == "200"
        assert int(group["deregistration_delay"]) == DEREGISTRATION_DELAY_SECONDS
    # The ALB may reach exactly the traffic port on the nodes (pods), and the nodes admit it on it.
    egress = {(r["from_port"], r["to_port"]) for r in resources["aws_vpc_security_group_egress_rule"].values()
              if r["security_group_id"].startswith("${aws_security_group.edge_security-group")}
    assert egress == {(GATEWAY_PORT, GATEWAY_PORT)}
    admitted = {(r["from_port"], r["to_port"]) for r in resources["aws_vpc_security_group_ingress_rule"].values()
                if r.get("referenced_security_group_id", "").startswith("${aws_security_group.edge_security-group")}
    assert admitted == egress


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_services_run_each_colours_tag_with_the_environments_ranges(env, workloads_stacks, configs):
    releases = releases_of(workloads_stacks[env])
    workloads = configs[env].workloads
    for colour in Colour:
        release = releases[f"vtc-{colour.value}"]
        values = values_of(release)
        assert release["namespace"] == workloads.namespace
        assert values["colour"] == colour.value and values["environment"] == env
        assert values["image"]["tag"] == workloads.image_tags.of(colour)
        assert values["image"]["repository"] == workloads.image_repository
        for service in SERVICES:
            props = getattr(workloads.services, service)
            assert (values["services"][service]["minReplicas"], values["services"][service]["maxReplicas"]) == \
                (props.min_replicas, props.max_replicas)
        if configs[env].tier.value == "production":
            assert {s: (v["minReplicas"], v["maxReplicas"]) for s, v in values["services"].items()} == \
                dict(SEED_REPLICA_RANGES)
        assert values["database"]["sslMode"] == "verify-full"
        assert values["gateway"]["host"] == configs[env].edge.certificate.domain_name
        assert "database.host" in sets_of(release)


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_prometheus_keeps_its_data_on_encrypted_volumes_and_alertmanager_sends_to_the_alarm_topics(
        env, workloads_stacks, stacks, configs):
    release = releases_of(workloads_stacks[env])["kube-prometheus-stack"]
    values, sets = values_of(release), sets_of(release)
    workloads = configs[env].workloads
    spec = values["prometheus"]["prometheusSpec"]
    assert spec["retention"] == f"{workloads.prometheus_retention_days}d"
    assert int(spec["retentionSize"].removesuffix("GB")) < workloads.prometheus_storage_gib
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "gp3-encrypted"
    assert claim["resources"]["requests"]["storage"] == f"{workloads.prometheus_storage_gib}Gi"
    # Which alert goes where: tests/test_alertmanager_routing.py. Here: each receiver's topic is the AWS stack's.
    receivers = values["alertmanager"]["config"]["receivers"]
    for i, (name, output) in enumerate((("page", "alarms_page_topic_arn"), ("notify", "alarms_notify_topic_arn"),
                                         ("heartbeat", "alarms_heartbeat_topic_arn")), start=1):
        assert receivers[i]["name"] == name
        [sns] = receivers[i]["sns_configs"]
        assert sns["sigv4"] == {"region": configs[env].region} and sns["send_resolved"] is (name != "heartbeat")
        topic = referenced(stacks, env, sets[f"alertmanager.config.receivers[{i}].sns_configs[0].topic_arn"])
        assert topic == stacks[env]["output"][output]["value"]
    admin = values["grafana"]["admin"]
    made = values_of(releases_of(workloads_stacks[env])["vtc-cluster-config"])["externalSecrets"]["grafanaAdmin"]
    assert admin == {"existingSecret": made["secretName"], "userKey": "admin-user", "passwordKey": "admin-password"}
    assert made["namespace"] == release["namespace"] and made["remoteSecretName"] == f"vtc-{env}/grafana-admin"
    assert "adminPassword" not in values["grafana"]


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_traces_go_to_xray_and_logs_to_the_terraform_made_groups(env, workloads_stacks, stacks, configs):
    releases = releases_of(workloads_stacks[env])
    collector = values_of(releases["otel-collector"])
    pipelines = collector["config"]["service"]["pipelines"]
    # And to Jaeger, where the environment has a search domain to store traces in (test_..._jaeger_... below).
    assert pipelines["traces"]["exporters"] == ["awsxray", *(["otlp/jaeger"] if configs[env].search else [])]
    assert pipelines["traces"]["receivers"] == ["otlp"]
    assert collector["config"]["exporters"]["awsxray"]["region"] == configs[env].region
    assert collector["image"]["repository"].endswith("/aws-otel-collector")
    fluent = releases["fluent-bit"]
    logs = values_of(fluent)["cloudWatchLogs"]
    assert logs["enabled"] is True and logs["autoCreateGroup"] is False
    sets = sets_of(fluent)
    group = referenced(stacks, env, sets["cloudWatchLogs.logGroupName"])
    assert group.startswith("${aws_cloudwatch_log_group.eks_container-log-group-add-ons_")
    # The services' namespace to the application group, the rest to add-ons: a template on the record's log_kind.
    [application] = REMOTE_INSIDE.findall(sets["cloudWatchLogs.logGroupTemplate"])
    assert stacks[env]["output"][application[1]]["value"].startswith(
        "${aws_cloudwatch_log_group.eks_container-log-group-application_")
    # What Terraform makes of the template, evaluated by real Terraform (a regex replacement reads "$name" as a
    # capture group, so the literal "$" of Fluent Bit's record accessor must be written "$$").
    group_name = next(g["name"] for key, g in stacks[env]["resource"]["aws_cloudwatch_log_group"].items()
                      if key.startswith("eks_container-log-group-application_"))
    expression = REMOTE_INSIDE.sub(json.dumps(group_name), sets["cloudWatchLogs.logGroupTemplate"])[2:-1]
    assert terraform_console(expression) == json.dumps(group_name.removesuffix("application") + "$log_kind")
    filters = values_of(fluent)["additionalFilters"]
    assert f"*_{configs[env].workloads.namespace}_*" in filters and filters.count("log_kind") == 2
    assert all(values_of(fluent)[other]["enabled"] is False for other in ("firehose", "kinesis", "elasticsearch"))


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_grafanas_admin_secret_holds_no_value_terraform_knows_and_only_external_secrets_may_push_to_it(env, stacks):
    """Issue 26: the password is generated in the cluster and pushed here (charts/vtc-cluster-config); Terraform makes
    the secret only: no version, no random-password data source (both put the password in the state)."""
    resources, data = stacks[env]["resource"], stacks[env].get("data", {})
    [(key, secret)] = [(k, s) for k, s in resources["aws_secretsmanager_secret"].items()
                       if k.startswith("workload-secrets_grafana-admin_")]
    assert key == "workload-secrets_grafana-admin_9C5E2649", "the construct ID is kept: a rename replaces the secret"
    assert secret["name"] == f"vtc-{env}/grafana-admin"
    assert secret["kms_key_id"] == "${aws_kms_key.workload-secrets_key_6DBEAB1D.arn}"
    assert secret["tags"]["managed-by"] == "external-secrets", "external-secrets pushes only into secrets so tagged"
    assert "aws_secretsmanager_secret_version" not in resources
    assert "aws_secretsmanager_random_password" not in data
    documents = data["aws_iam_policy_document"]
    [policy] = [d for key, d in documents.items() if key.startswith("workload-secrets_external-secrets-policy-document_")]
    via = ["secretsmanager.${data.aws_region.account-region.name}.amazonaws.com"]
    key_arn = "${aws_kms_key.workload-secrets_key_6DBEAB1D.arn}"
    assert [(s["actions"], s["resources"], s.get("condition", [{}])[0].get("values")) for s in policy["statement"]] == [
        (["kms:Decrypt"], [key_arn], via),
        (["secretsmanager:PutSecretValue"], [f"${{aws_secretsmanager_secret.{key}.arn}}"], None),
        (["kms:GenerateDataKey"], [key_arn], via)]
    attachment = [a for key, a in resources["aws_iam_role_policy_attachment"].items()
                  if key.startswith("workload-secrets_external-secrets-policy-attachment_")]
    assert [a["role"] for a in attachment] == ["${aws_iam_role.eks_external-secrets-role_%s.name}" % next(
        key.rsplit("_", 1)[1] for key in resources["aws_iam_role"] if key.startswith("eks_external-secrets-role_"))]


def test_split_references_moves_every_reference_into_set_paths():
    from cdktf import App, TerraformStack, TerraformVariable

    stack = TerraformStack(App(), "s")
    ref = TerraformVariable(stack, "v", type="string").string_value
    static, refs = split_references({"a": {"b.c": ref, "d": 1}, "l": [{"x": ref}, "y"], "e": "plain"})
    assert static == {"a": {"d": 1}, "l": [{}, "y"], "e": "plain"}
    assert refs == {"a.b\\.c": ref, "l[0].x": ref}


def test_bad_release_props_are_all_reported(configs):
    import dataclasses

    from cdktf import App, TerraformStack

    from vtc_constructs.releases import ClusterReleases, ClusterReleasesProps, ReleaseRoles

    roles = ReleaseRoles(**{f.name: "arn:aws:iam::111111111111:role/r" for f in dataclasses.fields(ReleaseRoles)})
    props = ClusterReleasesProps(
        environment="", region="eu-west-1", cluster_name="c", vpc_id="vpc-1", vpc_cidr="10.0.0.0/16",
        kubernetes_version="1.32",
        load_balancer_cidrs=("10.0.0.0/33",),
        workloads=dataclasses.replace(configs["staging"].workloads, ingress_replicas=1,
                                      addon_chart_versions={"metrics-server": "2.12.2"}), roles=roles,
        target_group_arns={"blue": "arn"}, database_host="db.example.com", database_cidrs=("10.0.0.0/24",),
        container_log_groups={"application": "a", "add-ons": "b"}, page_topic_arn="arn:aws:sns:eu-west-1:1:t",
        notify_topic_arn="", heartbeat_topic_arn="arn:aws:sns:eu-west-1:1:h", grafana_admin_secret_name="vtc/grafana-admin", charts_dir="/nonexistent")
    with pytest.raises(ConfigError) as error:
        ClusterReleases(TerraformStack(App(), "s"), "releases", props)
    paths = {p.path for p in error.value.problems}
    assert {"releases.environment", "releases.workloads.ingress_replicas", "releases.target_group_arns",
            "releases.charts_dir", "releases.kubernetes_version", "releases.notify_topic_arn",
            "releases.load_balancer_cidrs[0]",
            "releases.workloads.addon_chart_versions.metrics-server"} <= paths
    assert "an older major version (got '2.12.2'); allowed: major version 3 or later" in str(error.value)
    with pytest.raises(TypeError, match="ClusterReleasesProps"):
        ClusterReleases(TerraformStack(App(), "t"), "releases", {"environment": "x"})


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_grafana_gets_the_cloudwatch_data_source_and_the_dashboard_this_environments_cache_nodes(env, workloads_stacks,
                                                                                                 configs):
    from vtc_constructs.cluster_config import CLOUDWATCH_UID

    releases = releases_of(workloads_stacks[env])
    grafana = values_of(releases["kube-prometheus-stack"])["grafana"]
    # Read as the IRSA role (the SDK's default chain), in the environment's region, under the uid the dashboard names.
    assert grafana["additionalDataSources"] == [{
        "name": "CloudWatch", "type": "cloudwatch", "uid": CLOUDWATCH_UID, "access": "proxy", "editable": False,
        "jsonData": {"authType": "default", "defaultRegion": configs[env].region}}]
    services = json.loads((REPO / "charts" / "vtc-cluster-config" / "dashboards" / "services.json").read_text())
    assert {p["datasource"]["uid"] for p in services["panels"] if p.get("datasource", {}).get("type") == "cloudwatch"} \
        == {CLOUDWATCH_UID}
    # Exactly this environment's nodes (staging one, production a primary and a replica), as plain values.
    ids = values_of(releases["vtc-cluster-config"])["dashboards"]["cacheClusterIds"]
    assert ids == [f"vtc-{env}-cache-{n:03d}" for n in range(1, configs[env].cache.node_count + 1)]


def test_cache_panels_need_grafanas_role_and_valid_node_ids(configs):
    import dataclasses

    props = _search_props(configs)
    no_role = dataclasses.replace(props, roles=dataclasses.replace(props.roles, grafana=None))
    assert [p for p in no_role.validate() if p.path.startswith(("roles", "cache"))] == []  # no role, no panels: fine
    [problem] = [p for p in dataclasses.replace(no_role, cache_member_cluster_ids=("vtc-x-cache-001",)).validate()
                 if p.path.startswith(("roles", "cache"))]
    assert (problem.path, problem.what) == ("roles.grafana", "cache panels without a CloudWatch data source")
    assert "VisionToCodePlatform.grafana_role_arn" in problem.fix
    bad = dataclasses.replace(props, roles=dataclasses.replace(props.roles, grafana="grafana"),
                              cache_member_cluster_ids=("vtc-x-cache-001", "Cache_2"))
    assert sorted(p.path for p in bad.validate() if p.path.startswith(("roles", "cache"))) == \
        ["cache_member_cluster_ids[1]", "roles.grafana"]


# --- the in-repository charts rendered by real helm with exactly what the stack passes ---------------------------

#: Stand-ins for the values Terraform knows only at apply, by the end of their --set path.
APPLY_TIME = {"role-arn": "arn:aws:iam::111111111111:role/test", "roleArn": "arn:aws:iam::111111111111:role/test",
              "targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/t/0123456789abcdef",
              "host": "db.internal.example", "readerHost": "replica.cache.internal.example",
              "replicationGroupId": "vtc-test-cache", "user": "vtc-test-cache-services",
              "backendRoles": "arn:aws:iam::111111111111:role/writer",
              "endpoint": "vpc-vtc-test-abcdefghijklmnop.eu-west-1.es.amazonaws.com",
              "kmsKeyArn": "arn:aws:kms:eu-west-1:111111111111:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"}


def last_key(path: str) -> str:
    """The last key of a Helm --set path (``a.b\\.c/d`` -> ``b.c/d``; ``x[0].y`` -> ``y``; ``x.y[0]`` -> ``y``)."""
    return re.sub(r"\[\d+\]$", "", re.split(r"(?<!\\)\.", path)[-1].replace("\\.", ".").split("/")[-1])


def stand_in(path: str) -> str:
    """The stand-in for ``path``: :data:`APPLY_TIME`'s, told apart by the path's list index (two target groups)."""
    index = re.findall(r"\[(\d+)\]", path)
    return APPLY_TIME[last_key(path)].replace("targetgroup/t/", f"targetgroup/t{''.join(index)}/")


def render_release(release: dict, folder) -> list[dict]:
    """``helm template`` of a release of a chart of this repository, with its values document and its ``set``
    entries as the Helm provider passes them (``--set-string``, the same path syntax), apply-time values stood in."""
    import yaml

    from tooling import helm
    from tooling.paths import REPO

    chart = REPO / "charts" / {"vtc-cluster-config": "vtc-cluster-config", "search-setup": "vtc-search-setup"}.get(
        release["name"], "vision-to-code")
    values = folder / f"{release['name']}.json"
    values.write_text(release["values"][0])
    sets = [arg for path in sets_of(release) for arg in ("--set-string", f"{path}={stand_in(path)}")]
    out = helm.run(["template", release["name"], str(chart), "--namespace", release["namespace"], "-f", str(values),
                    *sets, "--kube-version", KUBERNETES_VERSION, "--api-versions", "monitoring.coreos.com/v1"]).stdout
    return [d for d in safe_load_all(out) if d]


def installed_before(stack: dict, name: str) -> set[str]:
    """Every release ``name`` waits for, directly or not."""
    names, releases = address_to_name(stack), releases_of(stack)
    found: set[str] = set()
    todo = [names[a] for a in releases[name].get("depends_on", [])]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo += [names[a] for a in releases[current].get("depends_on", [])]
    return found


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_every_object_lands_in_a_namespace_that_exists_by_then_and_no_namespace_has_two_owners(env, workloads_stacks,
                                                                                              tmp_path):
    stack = workloads_stacks[env]
    releases = releases_of(stack)
    rendered = {name: render_release(releases[name], tmp_path)
                for name in (*NAMESPACED_CHARTS, *(["search-setup"] if "search-setup" in releases else []))}
    made = {name: {d["metadata"]["name"] for d in docs if d["kind"] == "Namespace"} for name, docs in rendered.items()}
    # Every namespace the releases make carries a Pod Security level: the Helm-made ones too (monitoring, the cluster
    # configuration's own; external-secrets), which the cluster configuration takes over (issue 26).
    assert made["vtc-cluster-config"] >= {"nginx-gateway", "vision-to-code", "opentelemetry", "logging", "monitoring",
                                          "external-secrets"}
    assert {r["namespace"] for r in releases.values()} - {"kube-system"} <= made["vtc-cluster-config"]
    for name, docs in rendered.items():
        available = {"default", "kube-system", releases[name]["namespace"], *made[name]}
        for before in installed_before(stack, name):
            available |= {releases[before]["namespace"], *made.get(before, ())}
        for doc in docs:
            namespace = doc["metadata"].get("namespace")
            assert namespace is None or namespace in available, (name, doc["kind"], doc["metadata"]["name"])
    # A namespace one release makes as an object must not be made first by another release's create_namespace, unless
    # that release takes it over (take_ownership), and keeps it when it goes.
    for name, release in releases.items():
        owner = [o for o, namespaces in made.items() if release["namespace"] in namespaces]
        assert not owner or name in owner or set(owner) <= installed_before(stack, name) or all(
            releases[o].get("take_ownership") for o in owner), (name, owner)
    assert all(d["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
               for d in rendered["vtc-cluster-config"] if d["kind"] == "Namespace")
    # Every namespace it makes denies by default (the services' through their own chart), tracing included (issue 26).
    denies = {d["metadata"]["namespace"] for d in rendered["vtc-cluster-config"]
              if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "vtc-default-deny"}
    assert denies == made["vtc-cluster-config"] - {"vision-to-code"} and "tracing" in denies
    assert any(d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "vtc-blue-default-deny"
               for d in rendered["vtc-blue"])
    levels = {d["metadata"]["name"]: d["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
              for d in rendered["vtc-cluster-config"] if d["kind"] == "Namespace"}
    assert levels["vision-to-code"] == levels["nginx-gateway"] == "restricted"
    # Each colour's routes attach to the Gateway the cluster configuration makes for that colour, whose class is the
    # colour's own NGINX Gateway Fabric's, in the namespace that control plane runs in.
    gateways = {d["metadata"]["name"]: d for d in rendered["vtc-cluster-config"] if d["kind"] == "Gateway"}
    for colour in Colour:
        ngf = releases[f"ngf-{colour.value}"]
        routes = [d for d in rendered[f"vtc-{colour.value}"] if d["kind"] == "HTTPRoute"]
        assert len(routes) == 5
        for route in routes:
            [parent] = route["spec"]["parentRefs"]
            gateway = gateways[parent["name"]]
            assert parent["namespace"] == gateway["metadata"]["namespace"] == ngf["namespace"]
            assert gateway["spec"]["gatewayClassName"] == values_of(ngf)["nginxGateway"]["gatewayClassName"]
            assert parent["sectionName"] in {listener["name"] for listener in gateway["spec"]["listeners"]}
    # The apply-time values reached the objects (the set paths are right).
    bindings = [d for d in rendered["vtc-cluster-config"] if d["kind"] == "TargetGroupBinding"]
    assert [b["spec"]["targetGroupARN"] for b in bindings] == [
        stand_in(f"targetGroupBindings[{i}].targetGroupArn") for i in (0, 1)]
    accounts = [d for d in rendered["vtc-blue"] if d["kind"] == "ServiceAccount"]
    assert {a["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] for a in accounts} == {APPLY_TIME["roleArn"]}


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_add_ons_that_run_our_settings_run_restricted(env, workloads_stacks):
    releases = releases_of(workloads_stacks[env])
    restricted = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                  "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}
    sealed = values_of(releases["sealed-secrets-controller"])
    assert sealed["containerSecurityContext"] == {"enabled": True, "runAsUser": 1001, **restricted}
    assert sealed["podSecurityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert releases["sealed-secrets-controller"]["namespace"] == "kube-system"  # where kubeseal looks by default
    assert values_of(releases["cluster-autoscaler"])["containerSecurityContext"] == restricted
    assert values_of(releases["otel-collector"])["securityContext"] == restricted
    assert values_of(releases["cluster-autoscaler"])["securityContext"]["runAsNonRoot"] is True
    assert values_of(releases["otel-collector"])["podSecurityContext"]["runAsNonRoot"] is True


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_network_policies_are_enforced_and_the_observability_add_on_ships_no_logs_of_its_own(env, stacks):
    addons = {a["addon_name"]: a for a in stacks[env]["resource"]["aws_eks_addon"].values()}
    assert json.loads(addons["vpc-cni"]["configuration_values"]) == {"enableNetworkPolicy": "true"}
    assert json.loads(addons["amazon-cloudwatch-observability"]["configuration_values"]) == {
        "containerLogs": {"enabled": False}}


# --- add-ons sized and observable (issue 23, item 4) -----------------------------------------------------------------

#: Where each row of ADDON_RESOURCES goes: (release, values path), each path read against the pinned chart.
RESOURCE_PATHS = {
    "aws-load-balancer-controller": ("aws-load-balancer-controller", ("resources",)),
    "metrics-server": ("metrics-server", ("resources",)),
    "cluster-autoscaler": ("cluster-autoscaler", ("resources",)),
    "external-secrets": ("external-secrets", ("resources",)),
    "external-secrets-webhook": ("external-secrets", ("webhook", "resources")),
    "external-secrets-cert-controller": ("external-secrets", ("certController", "resources")),
    "sealed-secrets": ("sealed-secrets-controller", ("resources",)),
    "fluent-bit": ("fluent-bit", ("resources",)),
    "prometheus": ("kube-prometheus-stack", ("prometheus", "prometheusSpec", "resources")),
    "alertmanager": ("kube-prometheus-stack", ("alertmanager", "alertmanagerSpec", "resources")),
    "config-reloader": ("kube-prometheus-stack", ("prometheusOperator", "prometheusConfigReloader", "resources")),
    "prometheus-operator": ("kube-prometheus-stack", ("prometheusOperator", "resources")),
    "prometheus-operator-admission-patch": ("kube-prometheus-stack",
                                            ("prometheusOperator", "admissionWebhooks", "patch", "resources")),
    "grafana": ("kube-prometheus-stack", ("grafana", "resources")),
    "grafana-sidecar": ("kube-prometheus-stack", ("grafana", "sidecar", "resources")),
    "kube-state-metrics": ("kube-prometheus-stack", ("kube-state-metrics", "resources")),
    "node-exporter": ("kube-prometheus-stack", ("prometheus-node-exporter", "resources")),
    "otel-collector": ("otel-collector", ("resources",)),
    "nginx-gateway-fabric": ("ngf-blue", ("nginxGateway", "resources")),
    "nginx-gateway-fabric-nginx": ("ngf-blue", ("nginx", "container", "resources")),
    # Released only with a search domain (the search_releases synth).
    "jaeger": ("jaeger", ("jaeger", "resources")),
    "cert-manager": ("cert-manager", ("resources",)),
    "cert-manager-webhook": ("cert-manager", ("webhook", "resources")),
    "cert-manager-cainjector": ("cert-manager", ("cainjector", "resources")),
    "cert-manager-startupapicheck": ("cert-manager", ("startupapicheck", "resources")),
    "istiod": ("istiod", ("resources",)),
    "istio-cni": ("istio-cni", ("resources",)),
    "ztunnel": ("ztunnel", ("resources",)),
}
SEARCH_ONLY_RELEASES = {"jaeger"}


def _at(values: dict, path: tuple[str, ...]):
    for key in path:
        values = values[key]
    return values


def test_every_add_on_container_has_requests_and_a_memory_limit_and_no_cpu_limit():
    from vtc_constructs.releases import ADDON_RESOURCES
    from vtc_constructs.workloads import cpu_cores, memory_bytes

    assert set(ADDON_RESOURCES) == set(RESOURCE_PATHS)
    for name, resources in ADDON_RESOURCES.items():
        requests, limits = resources["requests"], resources["limits"]
        assert set(requests) == {"cpu", "memory"} and set(limits) == {"memory"}, name
        assert cpu_cores(requests["cpu"]) > 0 and memory_bytes(limits["memory"]) >= memory_bytes(requests["memory"])


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_each_add_on_release_gives_its_containers_their_row(env, workloads_stacks):
    from vtc_constructs.releases import ADDON_RESOURCES

    releases = releases_of(workloads_stacks[env])
    for row, (release, path) in RESOURCE_PATHS.items():
        if release in SEARCH_ONLY_RELEASES and release not in releases:  # an environment without a search domain
            continue
        assert _at(values_of(releases[release]), path) == ADDON_RESOURCES[row], row
    green = values_of(releases["ngf-green"])
    assert green["nginxGateway"]["resources"] == ADDON_RESOURCES["nginx-gateway-fabric"]
    assert green["nginx"]["container"]["resources"] == ADDON_RESOURCES["nginx-gateway-fabric-nginx"]


def _allocatable(instance_type: str) -> tuple[float, int]:
    """(cores, bytes) a node of this type offers pods: the EKS AMI's kube-reserved (CPU: 6 % of the first core, 1 % of
    the second, 0.5 % of the third and fourth; memory: 255Mi + 11Mi per pod the type's addresses allow, 29 on a large,
    58 on an xlarge) and its 100Mi eviction threshold taken off."""
    from vtc_constructs.aws_rules import instance_type_capacity

    cores, gib = instance_type_capacity(instance_type)
    reserved_cpu = 0.06 + (0.01 if cores >= 2 else 0) + 0.005 * max(0, min(cores, 4) - 2)
    max_pods = 29 if cores <= 2 else 58
    return cores - reserved_cpu, int(gib * 2 ** 30) - (255 + 11 * max_pods + 100) * 2 ** 20


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_add_ons_and_the_services_minimum_fit_the_smallest_nodes(env, workloads_stacks, configs):
    """Every pod's requests, on the node groups' desired size (what each deploy starts with; the autoscaler adds nodes
    from there) of the smallest node type: the add-ons (each at its replica count, the two daemon sets on every node)
    and both colours' services at their minimum replicas, with a tenth of each node left over. Production's minimum
    size (3 m6i.xlarge) does not hold all that (about 11.7 cores of requests, 7 of them the services'): the
    autoscaler keeps more nodes than the minimum whenever both colours run."""
    from vtc_constructs.releases import ADDON_RESOURCES
    from vtc_constructs.workloads import cpu_cores, memory_bytes

    config = configs[env]
    releases = {name: values_of(r) for name, r in releases_of(workloads_stacks[env]).items()}
    kps = releases["kube-prometheus-stack"]
    esov = releases["external-secrets"]
    # Pods of each row: the replica counts as the releases give them (the charts' default of 1 where none is set).
    pods = {
        "aws-load-balancer-controller": releases["aws-load-balancer-controller"]["replicaCount"],
        "metrics-server": releases["metrics-server"]["replicas"],
        "cluster-autoscaler": releases["cluster-autoscaler"]["replicaCount"],
        "external-secrets": esov["replicaCount"], "external-secrets-webhook": esov["webhook"]["replicaCount"],
        "external-secrets-cert-controller": 1, "sealed-secrets": 1,
        "prometheus": kps["prometheus"]["prometheusSpec"]["replicas"],
        "alertmanager": kps["alertmanager"]["alertmanagerSpec"]["replicas"],
        "config-reloader": kps["prometheus"]["prometheusSpec"]["replicas"]
        + kps["alertmanager"]["alertmanagerSpec"]["replicas"],
        "prometheus-operator": 1, "prometheus-operator-admission-patch": 0,  # a hook job, before the rest
        "grafana": 1, "grafana-sidecar": 2, "kube-state-metrics": 1,
        "otel-collector": releases["otel-collector"]["replicaCount"],
        # Only with a search domain (none of the environments has one yet): Jaeger's pods; the setup is a hook Job.
        "jaeger": releases["jaeger"]["jaeger"]["replicas"] if "jaeger" in releases else 0,
        "nginx-gateway-fabric": 2 * releases["ngf-blue"]["nginxGateway"]["replicas"],
        "nginx-gateway-fabric-nginx": 2 * config.workloads.ingress_replicas,
        "cert-manager": releases["cert-manager"]["replicaCount"],
        "cert-manager-webhook": releases["cert-manager"]["webhook"]["replicaCount"],
        "cert-manager-cainjector": 1, "cert-manager-startupapicheck": 0,  # a hook job, after the install
        "istiod": releases["istiod"]["replicaCount"],
    }
    daemon_sets = ("fluent-bit", "node-exporter", "istio-cni", "ztunnel")
    assert set(pods) | set(daemon_sets) == set(ADDON_RESOURCES)
    per_node_cpu = sum(cpu_cores(ADDON_RESOURCES[d]["requests"]["cpu"]) for d in daemon_sets)
    per_node_memory = sum(memory_bytes(ADDON_RESOURCES[d]["requests"]["memory"]) for d in daemon_sets)
    cpu = sum(n * cpu_cores(ADDON_RESOURCES[row]["requests"]["cpu"]) for row, n in pods.items())
    memory = sum(n * memory_bytes(ADDON_RESOURCES[row]["requests"]["memory"]) for row, n in pods.items())
    for _, props in config.workloads.services.items():
        cpu += 2 * props.min_replicas * cpu_cores(props.resources.cpu_request)
        memory += 2 * props.min_replicas * memory_bytes(props.resources.memory_request)
    for group in config.eks.node_groups:
        smallest = min(group.instance_types, key=_allocatable)
        node_cpu, node_memory = _allocatable(smallest)
        nodes = group.desired_size
        assert per_node_cpu + cpu / nodes <= node_cpu * 0.9, (env, smallest, per_node_cpu + cpu / nodes)
        assert per_node_memory + memory / nodes <= node_memory * 0.9, (env, smallest,
                                                                       (per_node_memory + memory / nodes) / 2 ** 30)
        # The largest single pod beside the daemon sets on one node.
        largest = max(memory_bytes(r["requests"]["memory"]) for r in ADDON_RESOURCES.values())
        assert per_node_memory + largest <= node_memory


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_grafana_reads_configmaps_of_its_own_namespace_only(env, workloads_stacks):
    """(issue 26) kube-prometheus-stack 88.5.3's grafana subchart (12.11.1) grants its sidecars get/list/watch on
    configmaps and secrets through a ClusterRole unless ``rbac.namespaced``; the sidecars then look in Grafana's
    namespace only and for ConfigMaps only."""
    grafana = values_of(releases_of(workloads_stacks[env])["kube-prometheus-stack"])["grafana"]
    assert grafana["rbac"] == {"namespaced": True}
    sidecar = grafana["sidecar"]
    assert sidecar["dashboards"]["searchNamespace"] == "monitoring"
    assert "searchNamespace" not in sidecar["datasources"]  # the chart's default: Grafana's own namespace
    assert sidecar["dashboards"]["resource"] == sidecar["datasources"]["resource"] == "configmap"


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_alertmanager_keeps_its_silences_on_a_small_encrypted_volume(env, workloads_stacks):
    values = values_of(releases_of(workloads_stacks[env])["kube-prometheus-stack"])
    claim = values["alertmanager"]["alertmanagerSpec"]["storage"]["volumeClaimTemplate"]["spec"]
    prometheus = values["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim == {"storageClassName": prometheus["storageClassName"], "accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": "2Gi"}}}
    assert claim["storageClassName"] == "gp3-encrypted"


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_load_balancer_controller_validates_no_ingress(env, workloads_stacks):
    """Nothing uses ALB Ingresses: the controller's Ingress webhook (failurePolicy Fail, every Ingress of the cluster)
    is off, so the controller being down never blocks a change to NGINX's Ingresses."""
    values = values_of(releases_of(workloads_stacks[env])["aws-load-balancer-controller"])
    assert values["webhookConfig"] == {"disableIngressValidation": True}
    assert values["createIngressClassResource"] is False


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_collectors_own_metrics_are_scraped_and_lost_spans_alert(env, workloads_stacks, configs):
    from vtc_constructs.releases import (
        ADOT_COLLECTOR_COMPONENTS,
        ADOT_COLLECTOR_IMAGE,
        COLLECTOR_DROPPED_SPANS_METRICS,
        COLLECTOR_METRICS_PORT,
    )

    workloads = configs[env].workloads
    values = values_of(releases_of(workloads_stacks[env])["otel-collector"])
    assert values["ports"]["metrics"] == {"enabled": True, "containerPort": COLLECTOR_METRICS_PORT,
                                          "servicePort": COLLECTOR_METRICS_PORT}
    release_label = {"release": workloads.monitoring_release}
    assert values["serviceMonitor"]["enabled"] is True and values["serviceMonitor"]["extraLabels"] == release_label
    assert values["serviceMonitor"]["metricsEndpoints"][0]["port"] == "metrics"
    rule = values["prometheusRule"]
    assert rule["enabled"] is True and rule["extraLabels"] == release_label and rule["defaultRules"]["enabled"] is False
    [group] = rule["groups"]
    [alert] = group["rules"]
    assert alert["labels"] == {"severity": "warning"} and alert["for"] == "5m"
    for metric in COLLECTOR_DROPPED_SPANS_METRICS:
        assert f'rate({metric}{{job="{workloads.collector_release}"}}[5m])' in alert["expr"]
    assert "otelcol_exporter_send_failed_spans_total" in alert["expr"]
    # The image matches the configuration: every component the configuration names is in the pinned ADOT build.
    config = values["config"]
    named = collector_component_types(config)
    assert named <= ADOT_COLLECTOR_COMPONENTS, named - ADOT_COLLECTOR_COMPONENTS
    used = {c.split("/")[0] for p in config["service"]["pipelines"].values() if p
            for kind in ("receivers", "processors", "exporters") for c in p[kind]}
    assert used <= named
    assert ADOT_COLLECTOR_IMAGE[1] == "v0.49.0" and values["rewriteDeprecatedComponentNames"] is False


def collector_component_types(config: dict) -> set[str]:
    """The type of every component the collector's configuration names (``otlp/jaeger`` is an ``otlp``)."""
    return {name.split("/")[0] for kind in ("receivers", "processors", "exporters")
            for name, v in config[kind].items() if v is not None} | set(config["service"]["extensions"])


def test_a_colours_own_nginx_gateway_fabric_version_reaches_that_colours_release_only(configs, tmp_path):
    """``gateway_chart_versions``: an NGINX Gateway Fabric upgrade on the idle colour first, the other colour's
    release (and the CRDs, which both share) left as they are."""
    import dataclasses

    from environments.synth import synthesize

    staging = configs["staging"]
    trial = dataclasses.replace(staging, workloads=dataclasses.replace(
        staging.workloads, gateway_chart_versions={"green": "2.7.2"}))
    out = synthesize([trial], tmp_path / "cdktf.out")
    releases = releases_of(json.loads((out / "stacks" / "staging-workloads" / "cdk.tf.json").read_text()))
    assert (releases["ngf-green"]["version"], releases["ngf-blue"]["version"]) == \
        ("2.7.2", DEFAULT_CHART_VERSIONS["nginx-gateway-fabric"])


def test_a_colours_nginx_gateway_fabric_version_is_checked_like_an_add_ons(configs):
    import dataclasses

    from vtc_constructs.releases import ClusterReleasesProps

    workloads = dataclasses.replace(configs["staging"].workloads,
                                    gateway_chart_versions={"blue": "1.6.0", "green": "v2.7", "red": "2.7.2"})
    problems = {(p.path, repr(p.got)) for p in ClusterReleasesProps(
        environment="staging", region="eu-west-1", cluster_name="c", vpc_id="vpc-1", vpc_cidr="10.0.0.0/16",
        kubernetes_version="1.36", workloads=workloads, roles=None, target_group_arns={}, database_host="db",
        database_cidrs=(), container_log_groups={}, page_topic_arn="", notify_topic_arn="", heartbeat_topic_arn="",
        grafana_admin_secret_name="", load_balancer_cidrs=()).validate()}
    assert {("workloads.gateway_chart_versions.blue", "'1.6.0'"),  # an older major than the pinned 2.x
            ("workloads.gateway_chart_versions.green", "'v2.7'"), ("workloads.gateway_chart_versions.red", "'red'")} \
        <= problems


# --- with a search domain (tests/conftest.py's search_releases: one synth, shared) -----------------------------------

#: The keys of aws-for-fluent-bit 0.2.0's ``opensearch`` values (its values.yaml at aws/eks-charts 5239609, each one
#: read by templates/configmap.yaml's ``[OUTPUT] Name opensearch``): a key outside them would be ignored silently.
FLUENT_BIT_OPENSEARCH_KEYS = frozenset({
    "enabled", "match", "host", "port", "tls", "path", "bufferSize", "pipeline", "awsRegion", "awsAuth",
    "awsStsEndpoint", "awsRoleArn", "awsExternalId", "awsServiceName", "httpUser", "httpPasswd", "index", "type",
    "logstashFormat", "logstashPrefix", "logstashDateFormat", "timeKey", "timeKeyFormat", "timeKeyNanos",
    "includeTagKey", "tagKey", "generateId", "idKey", "writeOperation", "replaceDots", "traceOutput", "traceError",
    "currentTimeIndex", "logstashPrefixKey", "suppressTypeName", "extraOutputs"})
#: The jaeger chart 4.11.1's ``jaeger.*`` keys its templates read (templates/jaeger/*.yaml at jaegertracing/helm-charts
#: jaeger-4.11.1), the top-level keys of its values.yaml that this library sets: the chart has no values.schema.json.
JAEGER_CHART_KEYS = {"": {"fullnameOverride", "jaeger", "userconfig", "extraObjects"},
                     "jaeger": {"replicas", "strategy", "image", "serviceAccount", "podSecurityContext",
                                "securityContext", "resources", "extraVolumes", "extraVolumeMounts", "service",
                                "ingress", "httproute"}}


@pytest.fixture(scope="module")
def searched(search_releases):
    stack = search_releases["stack"]
    return {"stack": stack, "search": search_releases["search"], "releases": releases_of(stack),
            "plain": search_releases["plain"]}


def test_without_a_search_domain_nothing_writes_to_one(search_releases):
    releases = releases_of(search_releases["plain"])
    assert not {"jaeger", "search-setup"} & set(releases)
    assert values_of(releases["fluent-bit"])["opensearch"] == {"enabled": False}
    assert "log_index" not in values_of(releases["fluent-bit"])["additionalFilters"]
    config = values_of(releases["otel-collector"])["config"]
    assert config["service"]["pipelines"]["traces"]["exporters"] == ["awsxray"]
    assert "tracing" not in {n["name"] for n in values_of(releases["vtc-cluster-config"])["namespaces"]}


def test_with_a_search_domain_the_writers_start_after_the_setup_and_jaeger_is_pinned_and_atomic(searched):
    stack, releases = searched["stack"], searched["releases"]
    assert set(releases) == set(RELEASES) | {"jaeger", "search-setup"}
    names = address_to_name(stack)
    needs = {name: {names[a] for a in r.get("depends_on", [])} for name, r in releases.items()}
    assert needs["search-setup"] == {"vtc-cluster-config"}
    assert needs["fluent-bit"] == needs["jaeger"] == {"vtc-cluster-config", "search-setup"}
    for name, need in NEEDS.items():
        if name != "fluent-bit":
            assert needs[name] == need, name  # nothing else moves
    jaeger, setup = releases["jaeger"], releases["search-setup"]
    assert (jaeger["chart"], jaeger["repository"], jaeger["version"], jaeger["namespace"]) == \
        ("jaeger", "https://jaegertracing.github.io/helm-charts", "4.11.1", "tracing")
    assert re.fullmatch(r"\./assets/releases_search-setup-chart_[0-9A-F]{8}/[0-9A-F]{32}", setup["chart"])
    assert setup["namespace"] == "logging"
    for release in (jaeger, setup):
        assert (release["atomic"], release["wait"], release["cleanup_on_fail"], release["max_history"]) == \
            (True, True, True, 10)
    # Jaeger's namespace is made first, restricted.
    namespaces = {n["name"]: n["podSecurity"]["enforce"] for n in values_of(releases["vtc-cluster-config"])["namespaces"]}
    assert namespaces["tracing"] == "restricted" and namespaces["logging"] == "privileged"


def test_the_setup_sends_the_search_modules_bodies_and_maps_each_writer_to_its_role(searched):
    from vtc_constructs.search import LOG_INDEX_PATTERNS, TRACE_INDEX_PATTERNS, ism_policy, writer_security_role

    search, setup = searched["search"], searched["releases"]["search-setup"]
    values, sets = values_of(setup), sets_of(setup)
    assert set(sets) == {"search.endpoint"} and sets["search.endpoint"] == "${var.search_endpoint}"
    assert values["serviceAccount"] == {"name": "search-admin", "roleArn": search.admin_role_arn}
    assert values["search"]["region"] == search.region
    assert {p["id"]: p["body"] for p in values["ismPolicies"]} == {
        "vtc-logs": ism_policy("vtc-logs", LOG_INDEX_PATTERNS, hot_days=3, retention_days=14, replicas=0),
        "vtc-traces": ism_policy("vtc-traces", TRACE_INDEX_PATTERNS, hot_days=5, retention_days=5, replicas=0)}
    assert {r["name"]: r["body"] for r in values["securityRoles"]} == {
        "vtc-log-writer": writer_security_role(LOG_INDEX_PATTERNS),
        "vtc-trace-writer": writer_security_role(TRACE_INDEX_PATTERNS)}
    assert {m["role"]: m["backendRoles"] for m in values["roleMappings"]} == {
        "vtc-log-writer": [search.fluent_bit_role_arn], "vtc-trace-writer": [search.jaeger_role_arn],
        "readall": list(search.reader_role_arns)}
    [template] = values["indexTemplates"]
    assert template["body"]["index_patterns"] == list(LOG_INDEX_PATTERNS)
    assert template["body"]["template"]["settings"] == {"number_of_shards": 1, "number_of_replicas": 0}
    assert values["image"] == {"repository": "quay.io/curl/curl", "tag": "8.21.0"}
    assert "password" not in json.dumps(values).lower()


def test_fluent_bit_ships_each_kind_to_its_daily_index_signed_and_keeps_its_cloudwatch_output(searched,
                                                                                              workloads_stacks):
    search, fluent = searched["search"], searched["releases"]["fluent-bit"]
    values, sets = values_of(fluent), sets_of(fluent)
    output = values["opensearch"]
    assert set(output) <= FLUENT_BIT_OPENSEARCH_KEYS, set(output) - FLUENT_BIT_OPENSEARCH_KEYS
    assert {k: output[k] for k in ("enabled", "port", "tls", "awsAuth", "awsRegion", "logstashFormat",
                                   "logstashPrefixKey", "logstashDateFormat", "suppressTypeName")} == {
        "enabled": True, "port": "443", "tls": "On", "awsAuth": "On", "awsRegion": search.region,
        "logstashFormat": "On", "logstashPrefixKey": "$log_index", "logstashDateFormat": "%Y.%m.%d",
        "suppressTypeName": "On"}
    assert sets["opensearch.host"] == "${var.search_endpoint}" and "host" not in output
    assert not {"httpUser", "httpPasswd", "awsRoleArn"} & set(output), "the pod's IRSA role, no credentials"
    # Each kind's index: the namespace's filter marks the services' logs, the catch-all the rest (modify's Add never
    # overwrites), and both fall within the log writer's patterns and the log lifecycle.
    filters = values["additionalFilters"].split("[FILTER]")
    assert "Add    log_index logs-application" in filters[1] and "_vision-to-code_" in filters[1]
    assert "Add    log_index logs-add-ons" in filters[2] and output["logstashPrefix"] == "logs-add-ons"
    # The CloudWatch output exactly as without a search domain (the same synth without one).
    plain = releases_of(searched["plain"])["fluent-bit"]
    def cloudwatch(release):  # every key (set ones included), and the values that are not the groups' references
        keys = set(values_of(release)["cloudWatchLogs"]) | {k.split(".", 1)[1] for k in sets_of(release)
                                                            if k.startswith("cloudWatchLogs.")}
        return keys, {k: v for k, v in values_of(release)["cloudWatchLogs"].items()
                      if k not in ("logGroupName", "logGroupTemplate")}

    assert cloudwatch(fluent) == cloudwatch(plain)
    assert [line for line in values["additionalFilters"].splitlines() if "log_index" not in line] == \
        values_of(plain)["additionalFilters"].splitlines()


def test_jaeger_v2_stores_spans_in_the_domain_through_sigv4_and_serves_its_ui_inside_the_cluster_only(searched):
    from vtc_constructs.components import RETIRED

    search, jaeger = searched["search"], searched["releases"]["jaeger"]
    values, sets = values_of(jaeger), sets_of(jaeger)
    assert set(values) <= JAEGER_CHART_KEYS[""] and set(values["jaeger"]) <= JAEGER_CHART_KEYS["jaeger"]
    chart = values["jaeger"]
    image = f"{chart['image']['registry']}/{chart['image']['repository']}:{chart['image']['tag']}"
    assert image == "docker.io/jaegertracing/jaeger:2.20.0"  # v2, with jaegertracing/jaeger#8760's fix
    assert not any(ref in image for gone in RETIRED for ref in gone.references)
    # The service account the IRSA role trusts: the chart names it after its fullname.
    assert values["fullnameOverride"] == "jaeger" and jaeger["namespace"] == "tracing"
    assert chart["serviceAccount"]["annotations"] == {"eks.amazonaws.com/role-arn": search.jaeger_role_arn}
    assert chart["service"] == {"type": "ClusterIP"}
    assert chart["ingress"] == {"enabled": False} and chart["httproute"] == {"enabled": False}
    assert chart["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                        "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]},
                                        "seccompProfile": {"type": "RuntimeDefault"}}
    assert chart["podSecurityContext"]["runAsNonRoot"] is True and \
        chart["podSecurityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert chart["resources"]["limits"]["memory"] and chart["resources"]["requests"]["cpu"]
    config = values["userconfig"]
    backend = config["extensions"]["jaeger_storage"]["backends"]["opensearch"]["opensearch"]
    assert backend["auth"] == {"authenticator": "sigv4auth"} and "basic" not in json.dumps(backend)
    assert config["extensions"]["sigv4auth"] == {"service": "es", "region": search.region}
    assert "sigv4auth" in config["service"]["extensions"]
    assert sets == {"userconfig.extensions.jaeger_storage.backends.opensearch.opensearch.server_urls[0]":
                    "https://${var.search_endpoint}"}
    assert backend["max_span_age"] == "120h" and backend["create_mappings"] is True
    assert all(backend["indices"][kind]["replicas"] == search.replicas for kind in ("spans", "services"))
    traces = config["service"]["pipelines"]["traces"]
    assert traces["exporters"] == ["jaeger_storage_exporter"] and traces["receivers"] == ["otlp"]
    assert config["receivers"]["otlp"]["protocols"] == {"grpc": {"endpoint": "0.0.0.0:4317"}}
    assert config["extensions"]["healthcheckv2"]["http"]["endpoint"].endswith(":13133")  # the chart's probes
    # In: only the collector's pods, on OTLP gRPC. Out: DNS, and HTTPS to the AWS ranges (the domain, STS).
    extras = {o["kind"]: o for o in values["extraObjects"]}
    policy = extras["NetworkPolicy"]["spec"]
    assert policy["podSelector"]["matchLabels"]["app.kubernetes.io/instance"] == "jaeger"
    [ingress] = policy["ingress"]
    # (and the same through the ambient mesh: ztunnel's HBONE port)
    assert ingress["ports"] == [{"protocol": "TCP", "port": 4317}, {"protocol": "TCP", "port": 15008}]
    assert ingress["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "opentelemetry"}},
                                "podSelector": {"matchLabels": {"app.kubernetes.io/instance": "otel-collector"}}}]
    dns, https = policy["egress"]
    assert {p["port"] for p in dns["ports"]} == {53}
    assert https["ports"] == [{"protocol": "TCP", "port": 443}] and \
        [t["ipBlock"]["cidr"] for t in https["to"]] == ["0.0.0.0/0"]
    assert extras["PodDisruptionBudget"]["spec"]["minAvailable"] < chart["replicas"]
    from tests.test_chart import validate as kubernetes_strict

    assert [kubernetes_strict(o) for o in values["extraObjects"]] == [[], []]


def test_the_search_releases_give_their_containers_their_rows(searched):
    from vtc_constructs.releases import ADDON_RESOURCES

    for row, (release, path) in RESOURCE_PATHS.items():
        if release in SEARCH_ONLY_RELEASES:
            assert _at(values_of(searched["releases"][release]), path) == ADDON_RESOURCES[row], row


def test_the_collector_sends_traces_to_jaeger_beside_xray_with_components_of_its_build(searched):
    from vtc_constructs.releases import ADOT_COLLECTOR_COMPONENTS

    config = values_of(searched["releases"]["otel-collector"])["config"]
    assert config["service"]["pipelines"]["traces"]["exporters"] == ["awsxray", "otlp/jaeger"]
    assert config["exporters"]["otlp/jaeger"]["endpoint"] == "jaeger.tracing.svc:4317"
    assert collector_component_types(config) <= ADOT_COLLECTOR_COMPONENTS


def _search_props(configs, search=(), **fields):
    import dataclasses

    from vtc_constructs.releases import ClusterReleasesProps, ReleaseRoles
    from vtc_constructs.workloads import SearchEndpoint

    arn = "arn:aws:iam::111111111111:role/"
    base = dict(endpoint="vpc-x.eu-west-1.es.amazonaws.com", region="eu-west-1", admin_role_arn=arn + "admin",
                fluent_bit_role_arn=arn + "fb", jaeger_role_arn=arn + "jaeger")
    return ClusterReleasesProps(
        environment="staging", region="eu-west-1", cluster_name="c", vpc_id="vpc-1", vpc_cidr="10.0.0.0/16",
        kubernetes_version="1.36", workloads=configs["staging"].workloads,
        roles=ReleaseRoles(**{f.name: arn + f.name for f in dataclasses.fields(ReleaseRoles)}),
        target_group_arns={}, database_host="db.example.com", database_cidrs=("10.0.0.0/24",),
        container_log_groups={"application": "a", "add-ons": "b"}, page_topic_arn="p", notify_topic_arn="n",
        heartbeat_topic_arn="h", grafana_admin_secret_name="vtc/grafana-admin", load_balancer_cidrs=("10.0.1.0/24",),
        search=SearchEndpoint(**{**base, **fields}) if search is not None else "a search domain")


def test_a_bad_search_endpoint_is_reported_under_search_with_the_rest(configs):
    problems = {p.path: p for p in _search_props(configs, region="eu-central-1", endpoint="https://vpc-x.es.aws",
                                                 replicas=3).validate()}
    assert problems["search.region"].what == "differs from the cluster's" and "'eu-west-1'" in \
        problems["search.region"].allowed
    assert problems["search.endpoint"].fix == "drop the scheme: 'vpc-x.es.aws'"
    assert "search.replicas" in problems and "target_group_arns" in problems  # every problem at once
    [wrong] = [p for p in _search_props(configs, search=None).validate() if p.path == "search"]
    assert wrong.what == "not a SearchEndpoint"


def test_search_endpoint_needs_a_search_domain():
    from vtc_constructs.releases import search_endpoint

    with pytest.raises(ConfigError, match=r"domain: not a search domain \(got 'dict'\)"):
        search_endpoint({}, region="eu-west-1", fluent_bit_role_arn="a", jaeger_role_arn="b")


# --- encryption in transit (issue 26 item 1, docs/design/encryption-in-transit.md) -----------------------------------

@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_cert_manager_and_istios_ambient_mesh_are_released_before_the_cluster_configuration(env, workloads_stacks):
    from vtc_constructs.components import COMPONENTS, unsupported_version_problems

    releases = releases_of(workloads_stacks[env])
    certs = values_of(releases["cert-manager"])
    # Its CRDs with it, kept when it goes (or every Certificate and issuer would be deleted with them).
    assert certs["crds"] == {"enabled": True, "keep": True} and releases["cert-manager"]["namespace"] == "cert-manager"
    assert certs["replicaCount"] == certs["webhook"]["replicaCount"] == 2
    for name in ("istio-base", "istiod", "istio-cni", "ztunnel"):
        release = releases[name]
        assert (release["namespace"], release["repository"], release["version"]) == \
            ("istio-system", "oci://ghcr.io/istio/release/charts", "1.31.1"), name
        values = values_of(release)
        # the ambient profile, and Istio's own NetworkPolicies beside the namespace's default deny
        assert values["profile"] == "ambient" and values["global"]["networkPolicy"] == {"enabled": True}, name
    assert values_of(releases["istiod"])["replicaCount"] == 2
    # The Prometheus operator stays out of the mesh: the API server (outside it) calls its webhook.
    kps = values_of(releases["kube-prometheus-stack"])
    assert kps["prometheusOperator"]["podLabels"] == {"istio.io/dataplane-mode": "none"}
    config = values_of(releases["vtc-cluster-config"])
    levels = {n["name"]: n["podSecurity"]["enforce"] for n in config["namespaces"]}
    assert levels["istio-system"] == "privileged" and levels["cert-manager"] == "restricted"
    assert set(config["mesh"]["namespaces"]) == {"nginx-gateway", "vision-to-code", "opentelemetry", "monitoring",
                                                 "tracing"} & set(levels)
    assert config["gateway"]["listener"] == {"name": "https", "port": 8443, "protocol": "HTTPS"}
    # Each pin supported on the day it was checked (components.py rows, read 2026-12-06).
    rows = [c for c in COMPONENTS if c.name in ("cert-manager", "base", "istiod", "cni", "ztunnel")]
    assert len(rows) == 5 and unsupported_version_problems(rows) == []
    assert all(c.version_unsupported_since is None for c in rows)


def test_istios_four_charts_move_together_and_an_older_cert_manager_major_is_refused():
    from vtc_constructs.releases import addon_version_problems

    assert addon_version_problems({"istiod": "1.31.1", "ztunnel": "1.31.1", "istio-cni": "1.31.1",
                                   "istio-base": "1.31.1"}) == []
    [skew] = addon_version_problems({"istiod": "1.32.0"})
    assert skew.path == "workloads.addon_chart_versions" and "Istio's charts at different versions" in str(skew)
    [old] = addon_version_problems({"cert-manager": "v0.16.1"})
    assert old.path == "workloads.addon_chart_versions.cert-manager"
