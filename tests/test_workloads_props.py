"""WorkloadsProps: every rule refuses what it must (with path, value and fix) and never raises on a wrong type; the
chart values it gives pass the chart's own values.schema.json; its annotations give a TOML shape.

The ``[workloads]`` tables of the environment files are read from ``environments/*.toml`` once they hold them; until
then from :data:`PROPOSED`, the text proposed for those files (the same text, so the tests do not change when it
moves there).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import tomllib
from pathlib import Path

import pytest

from environments.schema import MapOf, Table, check_table, props_spec
from vtc_constructs.errors import ConfigError, Problem
from vtc_constructs.network import NetworkProps, plan_subnets
from vtc_constructs.workloads import (
    ADDON_CHARTS,
    CHART_PATH,
    SEED_REPLICA_RANGES,
    SERVICES,
    Colour,
    ImageTags,
    Resources,
    ServiceProps,
    Services,
    WorkloadsProps,
    cpu_cores,
    gateway_class,
    gateway_name,
    gateway_release,
    gateway_service_name,
    memory_bytes,
    release_name,
)

REPO = Path(__file__).resolve().parent.parent
ENVIRONMENTS = REPO / "environments"
SCHEMA = REPO / CHART_PATH / "values.schema.json"
ENVIRONMENT_NAMES = ("staging", "production")

#: The [workloads] text proposed for environments/base.toml, staging.toml and production.toml.
PROPOSED = {
    "base": '''
# The four services, released once per colour from charts/vision-to-code (vtc_constructs/workloads.py).
[workloads]
namespace = "vision-to-code"
# The SLOs the alert rules check: p99 under 100 ms, under 1 % of requests failing.
slo_p99_latency_ms = 100
slo_error_rate_percent = 1.0

# What each pod of a service reserves and may use; an environment overrides a service's table.
[workloads.services.business.resources]
cpu_request = "250m"
memory_request = "512Mi"
cpu_limit = "1"
memory_limit = "1Gi"

[workloads.services.core.resources]
cpu_request = "500m"
memory_request = "1Gi"
cpu_limit = "2"
memory_limit = "2Gi"

[workloads.services.swarm.resources]
cpu_request = "250m"
memory_request = "512Mi"
cpu_limit = "1"
memory_limit = "1Gi"

[workloads.services.development.resources]
cpu_request = "250m"
memory_request = "512Mi"
cpu_limit = "1"
memory_limit = "1Gi"
''',
    "staging": '''
[workloads]
# One repository per service under this path, in the environment's own account.
image_repository = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/vtc"

# The release each colour runs; a deploy of a new release sets the idle colour's tag, then shifts the weights.
[workloads.image_tags]
blue = "1.0.0"
green = "1.0.0"

# Smaller than production's ranges (both colours at their minimum fit on the two spot nodes), still at least 2 each.
[workloads.services.business]
min_replicas = 2
max_replicas = 4

[workloads.services.core]
min_replicas = 2
max_replicas = 6

[workloads.services.swarm]
min_replicas = 2
max_replicas = 6

[workloads.services.development]
min_replicas = 2
max_replicas = 4

[workloads.services.business.resources]
cpu_request = "100m"
memory_request = "256Mi"

[workloads.services.core.resources]
cpu_request = "100m"
memory_request = "256Mi"

[workloads.services.swarm.resources]
cpu_request = "100m"
memory_request = "256Mi"

[workloads.services.development.resources]
cpu_request = "100m"
memory_request = "256Mi"
''',
    "production": '''
[workloads]
image_repository = "222222222222.dkr.ecr.eu-west-1.amazonaws.com/vtc"

[workloads.image_tags]
blue = "1.0.0"
green = "1.0.0"

# The seed's ranges: business 3-10, core 5-15, swarm 3-20, development 3-10 replicas.
[workloads.services.business]
min_replicas = 3
max_replicas = 10

[workloads.services.core]
min_replicas = 5
max_replicas = 15

[workloads.services.swarm]
min_replicas = 3
max_replicas = 20

[workloads.services.development]
min_replicas = 3
max_replicas = 10
''',
}


# --- the environment files' [workloads] tables, and props built from them ----------------------------------------------

def _merge(base: dict, override: dict) -> dict:
    """Tables merge key by key, any other value replaces (as environments/model.py merges files)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def environment_tables(name: str) -> dict:
    """The environment's whole table (base merged with its file), with [workloads] from :data:`PROPOSED` where the
    files do not hold one yet."""
    base = tomllib.loads((ENVIRONMENTS / "base.toml").read_text(encoding="utf-8"))
    own = tomllib.loads((ENVIRONMENTS / f"{name}.toml").read_text(encoding="utf-8"))
    if "workloads" not in base and "workloads" not in own:
        base = _merge(base, tomllib.loads(PROPOSED["base"]))
        own = _merge(own, tomllib.loads(PROPOSED[name]))
    return _merge(base, own)


def build(spec: Table, table: dict):
    """Props from a checked table: nested tables become their dataclasses, lists tuples."""
    kwargs = {}
    for key, value in table.items():
        field_spec = spec.fields[key]
        if isinstance(field_spec, Table) and field_spec.cls is not None:
            kwargs[key] = build(field_spec, value)
        elif isinstance(field_spec, MapOf):
            kwargs[key] = dict(value)
        elif isinstance(value, list):
            kwargs[key] = tuple(value)
        else:
            kwargs[key] = value
    return spec.cls(**kwargs)


def workloads_props(name: str) -> WorkloadsProps:
    table = environment_tables(name)["workloads"]
    spec = props_spec(WorkloadsProps)
    assert check_table(table, spec, "workloads") == []
    return build(spec, table)


def chart_inputs(name: str) -> dict:
    """What the workloads stack would pass to chart_values: the environment's region, the role and database it makes
    (placeholders shaped as AWS gives them), the database subnets the network construct plans."""
    env = environment_tables(name)
    network = NetworkProps(name=f"vtc-{name}", **{k: tuple(v) if isinstance(v, list) else v
                                                   for k, v in env["network"].items()})
    return dict(environment=name, region=env["region"],
                role_arn=f"arn:aws:iam::{env['account_id']}:role/vtc-{name}-workloads",
                database_host=f"vtc-{name}.c0abcdefghij.{env['region']}.rds.amazonaws.com",
                database_cidrs=plan_subnets(network).database,
                host=env["edge"]["certificate"]["domain_name"])


def values_for(name: str, colour: Colour) -> dict:
    return workloads_props(name).chart_values(colour, **chart_inputs(name))


def _props(**overrides) -> WorkloadsProps:
    kwargs = dict(image_repository="111111111111.dkr.ecr.eu-west-1.amazonaws.com/vtc",
                  image_tags=ImageTags(blue="1.4.2", green="1.5.0"))
    return WorkloadsProps(**{**kwargs, **overrides})


def _inputs(**overrides) -> dict:
    return {**dict(environment="staging", region="eu-west-1", role_arn="arn:aws:iam::111111111111:role/vtc-app",
                   database_host="vtc.c0abc.eu-west-1.rds.amazonaws.com", database_cidrs=("10.20.96.0/23",)),
            **overrides}


def _paths(problems: list[Problem]) -> set[str]:
    return {p.path for p in problems}


# --- the environments ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ENVIRONMENT_NAMES)
def test_the_environment_tables_have_the_props_shape_and_are_valid(name):
    props = workloads_props(name)
    assert props.validate() == []
    for colour in Colour:
        assert props.chart_values(colour, **chart_inputs(name))["colour"] == colour.value


def test_production_runs_the_seeds_ranges_and_staging_smaller_ones_of_at_least_two():
    production, staging = workloads_props("production"), workloads_props("staging")
    assert {n: (s.min_replicas, s.max_replicas) for n, s in production.services.items()} == SEED_REPLICA_RANGES
    for (name, small), (_, full) in zip(staging.services.items(), production.services.items()):
        assert 2 <= small.min_replicas <= full.min_replicas and small.max_replicas <= full.max_replicas, name


def test_the_props_defaults_are_the_seeds_ranges_and_objectives():
    props = _props()
    assert {n: (s.min_replicas, s.max_replicas) for n, s in props.services.items()} == \
        {"business": (3, 10), "core": (5, 15), "swarm": (3, 20), "development": (3, 10)}
    assert (props.slo_p99_latency_ms, props.slo_error_rate_percent) == (100, 1.0)
    assert props.validate() == []


def test_the_toml_shape_comes_from_the_annotations_with_typos_caught():
    spec = props_spec(WorkloadsProps)
    assert spec.required == {"image_repository", "image_tags"}
    problems = check_table({"image_repository": "r", "image_tags": {"blue": "1", "green": 2},
                            "services": {"busines": {}, "core": {"min_replicas": "3", "max_replicas": 4}},
                            "slo_p99_latency_ms": 0.1}, spec, "workloads")
    text = "\n".join(map(str, problems))
    assert "workloads.services.busines: unknown field" in text and "did you mean 'business'" in text
    assert "workloads.image_tags.green: wrong type" in text
    assert "workloads.services.core.min_replicas: wrong type" in text
    assert "workloads.slo_p99_latency_ms: wrong type" in text


# --- the chart values --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ENVIRONMENT_NAMES)
@pytest.mark.parametrize("colour", list(Colour))
def test_chart_values_pass_the_charts_own_schema(name, colour):
    import jsonschema
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    values = values_for(name, colour)
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(values)) == []
    assert values["image"]["tag"] == getattr(workloads_props(name).image_tags, colour.value)
    assert values["database"]["user"] == "vtc_app" and values["database"]["port"] == 5432
    assert "password" not in json.dumps(values).lower()


def test_the_schema_refuses_what_the_props_refuse():
    import jsonschema
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    good = _props().chart_values("blue", **_inputs())
    for path, bad in ((("image", "tag"), "latest"), (("colour",), "purple"), (("services", "core", "minReplicas"), 1),
                      (("podSecurity", "runAsUser"), 0), (("database", "sslMode"), "disable"),
                      (("database", "cidrs"), []), (("services", "core", "resources", "limits", "memory"), "1G")):
        values = copy.deepcopy(good)
        target = values
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = bad
        assert list(validator.iter_errors(values)), path
    extra = copy.deepcopy(good)
    extra["services"]["frontend"] = extra["services"]["core"]
    assert list(validator.iter_errors(extra))


def test_chart_values_per_colour_differ_only_in_colour_and_tag():
    props = _props()
    blue, green = (props.chart_values(c, **_inputs()) for c in Colour)
    assert (blue["colour"], blue["image"]["tag"], green["colour"], green["image"]["tag"]) == \
        ("blue", "1.4.2", "green", "1.5.0")
    blue.update(colour=None), green.update(colour=None)
    blue["image"]["tag"] = green["image"]["tag"] = None
    assert blue == green


def test_chart_values_carry_the_digests_it_is_given_and_refuse_bad_ones():
    digest = "sha256:" + "0" * 64
    values = _props().chart_values("blue", **_inputs(image_digests={"core": digest}))
    assert values["image"]["digests"] == {"core": digest}
    with pytest.raises(ConfigError, match=r"image_digests\.core: invalid value .*fix: copy the digest") as err:
        _props().chart_values("blue", **_inputs(image_digests={"core": "sha256:abc", "web": digest}))
    assert "image_digests.web: unknown service" in str(err.value)


def test_chart_values_report_every_bad_argument_and_props_problem_at_once():
    props = _props(image_tags=ImageTags(blue="latest", green="1"))
    with pytest.raises(ConfigError) as err:
        props.chart_values("purple", environment="Staging", region="eu-west", role_arn="arn:aws:iam::1:user/x",
                           database_host="DB", database_cidrs="10.0.0.0/8", database_name="Vtc",
                           database_user="1x", database_schema="", host="no-dot")
    assert _paths(list(err.value.problems)) == {
        "image_tags.blue", "colour", "environment", "region", "role_arn", "database_host", "database_cidrs",
        "database_name", "database_user", "database_schema", "host"}
    assert "colour: invalid value (got 'purple'); allowed: blue, green" in str(err.value)


def test_names_that_tie_a_colour_together():
    assert [release_name(c) for c in Colour] == ["vtc-blue", "vtc-green"]
    assert [gateway_class(c) for c in ("blue", "green")] == ["nginx-blue", "nginx-green"]
    assert gateway_release(Colour.GREEN) == "ngf-green" and gateway_name("green") == "vtc-green"
    # NGINX Gateway Fabric names what it provisions for a Gateway <gateway>-<gatewayclass>.
    assert gateway_service_name(Colour.BLUE) == "vtc-blue-nginx-blue"
    props = _props()
    assert props.service_account_names("green") == tuple(f"vtc-green-{s}" for s in SERVICES)
    assert len(props.service_account_subjects()) == 8
    assert props.service_account_subjects()[0] == "system:serviceaccount:vision-to-code:vtc-blue-business"
    with pytest.raises(ValueError):
        release_name("purple")


# --- every validation branch -------------------------------------------------------------------------------------------

def _sealed(namespace: str, key: str):
    from tests.conftest import SEALED_STAND_IN
    from vtc_constructs.workloads import SealedSecretProps

    return SealedSecretProps(namespace=namespace, encrypted_data={key: SEALED_STAND_IN})


def _core(**fields) -> dict:
    """The overrides of a props whose core service (2 to 3 replicas) has ``fields``."""
    return {"services": Services(core=ServiceProps(min_replicas=2, max_replicas=3, **fields))}


def test_narrowed_aws_ranges_are_accepted_with_a_pagerduty_key_which_has_its_own_opening():
    """PagerDuty's Events API is reached through Alertmanager's own opening (network_policies.PAGERDUTY_EVENTS_CIDRS,
    tests/test_endpoints.py), no longer through aws_api_cidrs: narrowing them to the VPC is no problem."""
    props = _props(alertmanager_pagerduty_secret="pd", sealed_secrets={"pd": _sealed("monitoring", "routing-key")},
                   aws_api_cidrs=("10.20.0.0/16",))
    assert props.validate() == []
    assert _props().aws_api_cidrs is None  # default: derived per namespace by the releases


@pytest.mark.parametrize("overrides, path, match", [
    ({"image_repository": "Registry/VTC"}, "image_repository", "a registry path in lower case"),
    ({"image_repository": "reg.io/vtc:1.0"}, "image_repository", "without a tag"),
    ({"image_tags": ImageTags(blue="latest", green="1")}, "image_tags.blue", "mutable tag"),
    ({"image_tags": ImageTags(blue="1", green="-1")}, "image_tags.green", "starting and ending with a letter"),
    ({"image_tags": ImageTags(blue="1", green="a" * 64)}, "image_tags.green", "1-63"),
    ({"image_tags": {"blue": "1", "green": "2"}}, "image_tags", "not an ImageTags"),
    ({"services": {"business": {}}}, "services", "not a Services"),
    ({"services": Services(core="big")}, "services.core", "not a ServiceProps"),
    ({"services": Services(core=ServiceProps(min_replicas=1, max_replicas=3))}, "services.core.min_replicas",
     "from 2 to 1000"),
    ({"services": Services(core=ServiceProps(min_replicas=5, max_replicas=4))}, "services.core.max_replicas",
     "range out of order"),
    (_core(max_unavailable=2), "services.core.max_unavailable", "budget allows a full outage"),
    (_core(max_unavailable=0), "services.core.max_unavailable", ">= 1"),
    (_core(target_cpu_percent=99), "services.core.target_cpu_percent", "from 10 to 95"),
    (_core(path="core"), "services.core.path", "a URL path prefix"),
    (_core(path="/swarm"), "services.swarm.path", "path taken"),
    (_core(resources="big"), "services.core.resources", "not a Resources"),
    (_core(resources=Resources(cpu_request="0.5 cores")), "services.core.resources.cpu_request", "a CPU quantity"),
    (_core(resources=Resources(memory_limit="1GB")), "services.core.resources.memory_limit", "binary suffix"),
    (_core(resources=Resources(cpu_request="2", cpu_limit="1500m")),
     "services.core.resources.cpu_limit", "limit below request"),
    (_core(resources=Resources(memory_request="2Gi", memory_limit="1024Mi")),
     "services.core.resources.memory_limit", "limit below request"),
    ({"namespace": "Vision_To_Code"}, "namespace", "a DNS label"),
    ({"monitoring_release": "-x"}, "monitoring_release", "a DNS label"),
    ({"aws_api_cidrs": "0.0.0.0/0"}, "aws_api_cidrs", "not a list"),
    ({"aws_api_cidrs": ()}, "aws_api_cidrs", "empty list"),
    ({"aws_api_cidrs": ("10.0.0.1/8",)}, "aws_api_cidrs[0]", "malformed CIDR"),
    ({"aws_api_cidrs": ("10.0.0.0/8", "10.0.0.0/8")}, "aws_api_cidrs", "repeated range"),
    ({"slo_p99_latency_ms": 0.1}, "slo_p99_latency_ms", "whole number of milliseconds"),
    ({"slo_error_rate_percent": 0}, "slo_error_rate_percent", "above 0"),
    ({"addon_chart_versions": ["nginx-gateway-fabric"]}, "addon_chart_versions", "not a table"),
    ({"addon_chart_versions": {"nginx": "1.0.0"}}, "addon_chart_versions.nginx", "unknown add-on chart"),
    ({"addon_chart_versions": {"nginx-gateway-fabric": "^2.6"}}, "addon_chart_versions.nginx-gateway-fabric",
     "exact version"),
    # Issue 22: what Kubernetes or AWS would refuse, or what does the wrong thing.
    (_core(resources=Resources(cpu_request="0")), "services.core.resources.cpu_request", "zero (got '0')"),
    (_core(resources=Resources(cpu_request="0.000", cpu_limit="0")), "services.core.resources.cpu_limit", "zero"),
    ({"namespace": "kube-system"}, "namespace", "reserved namespace"),
    ({"namespace": "default"}, "namespace", "reserved namespace"),
    ({"namespace": "kube-apps"}, "namespace", "reserved namespace"),
    ({"namespace": "monitoring"}, "namespace", "shared with an add-on (got 'monitoring'); allowed: a namespace no "
                                               "add-on uses (monitoring_namespace is 'monitoring')"),
    ({"slo_error_rate_percent": 99.9}, "slo_error_rate_percent", "an availability, not an error rate (got 99.9); "
                                                                 "allowed: the share of requests that may fail"),
    ({"image_repository": "vtc/core"}, "image_repository", "no registry host"),
    ({"image_repository": "11111111111.dkr.ecr.eu-west-1.amazonaws.com/vtc"}, "image_repository",
     "malformed ECR host"),
    ({"image_repository": "111111111111.dkr.ecr.eu-west.amazonaws.com/vtc"}, "image_repository",
     "malformed ECR host"),
    # Issue 26: Alertmanager's PagerDuty key is one of the sealed secrets, for its namespace, under its key.
    ({"alertmanager_pagerduty_secret": "pagerduty"}, "alertmanager_pagerduty_secret",
     "no such sealed secret (got 'pagerduty'); allowed: the name of one of sealed_secrets (none given)"),
    ({"alertmanager_pagerduty_secret": "pd", "sealed_secrets": {"pd": _sealed("vision-to-code", "routing-key")}},
     "alertmanager_pagerduty_secret", "wrong namespace"),
    ({"alertmanager_pagerduty_secret": "pd", "sealed_secrets": {"pd": _sealed("monitoring", "integration-key")}},
     "alertmanager_pagerduty_secret", "missing key (got 'pd'); allowed: a secret with the key 'routing-key'"),
])
def test_each_rule_refuses_with_path_value_and_fix(overrides, path, match):
    problems = _props(**overrides).validate()
    hits = [p for p in problems if p.path == path]
    assert hits, problems
    assert any(match in str(p) for p in hits), hits
    assert all(p.fix and p.allowed for p in problems)
    with pytest.raises(ConfigError, match=path.replace(".", r"\.").replace("[", r"\[").replace("]", r"\]")):
        _props(**overrides).chart_values("blue", **_inputs())


def test_every_problem_is_reported_at_once():
    props = _props(image_repository="X", image_tags=ImageTags(blue="latest", green="latest"), namespace="",
                   services=Services(business=ServiceProps(min_replicas=9, max_replicas=3)),
                   slo_error_rate_percent=200.0)
    assert _paths(props.validate()) == {"image_repository", "image_tags.blue", "image_tags.green", "namespace",
                                        "services.business.max_replicas", "slo_error_rate_percent"}


@pytest.mark.parametrize("value", [None, 3, 2.5, True, "x", [], {}, ("a",), object()])
def test_a_wrong_type_anywhere_is_a_problem_never_a_traceback(value):
    for field in dataclasses.fields(WorkloadsProps):
        assert isinstance(_props(**{field.name: value}).validate(), list)
    for field in dataclasses.fields(ServiceProps):
        service = ServiceProps(**{"min_replicas": 2, "max_replicas": 3, field.name: value})
        assert isinstance(_props(services=Services(swarm=service)).validate(), list)
    for field in dataclasses.fields(Resources):
        assert isinstance(Resources(**{field.name: value}).validate(), list)
    assert isinstance(ImageTags(blue=value, green=value).validate(), list)
    with pytest.raises(ConfigError):
        _props().chart_values(value, **_inputs(database_cidrs=value, image_digests=value if value else None))


def test_props_are_frozen_and_keyword_only_and_lists_become_tuples():
    props = _props(aws_api_cidrs=["10.0.0.0/8"])
    assert props.aws_api_cidrs == ("10.0.0.0/8",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        props.namespace = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        WorkloadsProps("reg.io/vtc", ImageTags(blue="1", green="1"))  # type: ignore[misc]


def test_quantities():
    assert (cpu_cores("250m"), cpu_cores("1.5"), cpu_cores("2")) == (0.25, 1.5, 2.0)
    assert (memory_bytes("512Mi"), memory_bytes("1Gi")) == (512 * 2 ** 20, 2 ** 30)


def test_addon_charts_are_the_issues_add_ons():
    assert set(ADDON_CHARTS) >= {"aws-load-balancer-controller", "metrics-server", "cluster-autoscaler",
                                 "external-secrets", "nginx-gateway-fabric", "kube-prometheus-stack"}
    assert _props(addon_chart_versions={c: "1.0.0" for c in ADDON_CHARTS}).validate() == []


def test_a_cache_endpoint_is_checked_with_the_rest():
    from vtc_constructs.workloads import CacheEndpoint

    bad = CacheEndpoint(host="Not A Host", reader_host="${TfToken[TOKEN.3]}", user="1user", replication_group_id="",
                        cidrs=("10.0.0.1/16",), port=80)
    with pytest.raises(ConfigError) as caught:
        _props().chart_values("green", environment="staging", region="eu-west-1",
                              role_arn="arn:aws:iam::111111111111:role/r", database_host="db.example.com",
                              database_cidrs=("10.0.0.0/24",), cache=bad)
    assert {p.path for p in caught.value.problems} == {
        "cache.host", "cache.user", "cache.replication_group_id", "cache.cidrs[0]", "cache.port"}


# --- the search domain's contract -------------------------------------------------------------------------------------

_SEARCH_ARN = "arn:aws:iam::111111111111:role/"
_SEARCH = dict(endpoint="vpc-vtc-staging-abc.eu-west-1.es.amazonaws.com", region="eu-west-1",
               admin_role_arn=_SEARCH_ARN + "search-admin", fluent_bit_role_arn=_SEARCH_ARN + "fluent-bit",
               jaeger_role_arn=_SEARCH_ARN + "jaeger")


def test_a_search_endpoint_with_defaults_and_references_passes():
    from vtc_constructs.workloads import SearchEndpoint

    assert SearchEndpoint(**_SEARCH).validate() == []
    token = "${TfToken[TOKEN.7]}"
    assert SearchEndpoint(**{**_SEARCH, "endpoint": token, "admin_role_arn": token}, replicas=0,
                          reader_role_arns=[_SEARCH_ARN + "reader"]).validate() == []
    assert SearchEndpoint(**_SEARCH, reader_role_arns=[_SEARCH_ARN + "r"]).reader_role_arns == (_SEARCH_ARN + "r",)


@pytest.mark.parametrize("field, value, what", [
    ("endpoint", "https://vpc-x.eu-west-1.es.amazonaws.com/", "a URL, not a host name"),
    ("endpoint", "Not A Host", "invalid value"),
    ("region", "Europe", "invalid value"),
    ("admin_role_arn", "arn:aws:iam::111111111111:user/admin", "invalid value"),
    ("jaeger_role_arn", _SEARCH_ARN + "search-admin", "writer is the master"),
    ("index_hot_days", 0, "invalid value"),
    ("log_retention_days", 2, "retention shorter than the hot period"),
    ("trace_retention_days", 7.0, "invalid value"),
    ("replicas", 3, "invalid value"),
    ("reader_role_arns", _SEARCH_ARN + "reader", "not a list"),
])
def test_each_bad_search_field_is_named_with_what_is_allowed(field, value, what):
    from vtc_constructs.workloads import SearchEndpoint

    [problem] = SearchEndpoint(**{**_SEARCH, field: value}).validate()
    assert (problem.path, problem.what) == (field, what)
    assert problem.allowed and problem.fix and repr(value) in str(problem)


def test_every_search_problem_is_reported_at_once():
    from vtc_constructs.workloads import SearchEndpoint

    problems = SearchEndpoint(endpoint="", region="", admin_role_arn="x", fluent_bit_role_arn=None,
                              jaeger_role_arn="y", index_hot_days=5, log_retention_days=1, trace_retention_days=0,
                              replicas=-1, reader_role_arns=("z",)).validate()
    assert [p.path for p in problems] == ["endpoint", "region", "admin_role_arn", "fluent_bit_role_arn",
                                          "jaeger_role_arn", "log_retention_days", "trace_retention_days", "replicas",
                                          "reader_role_arns[0]"]
