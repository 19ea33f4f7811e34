"""Interface endpoints and the pods' HTTPS held to the VPC (issue 26, item 2): the caller table against the code, the
endpoints in the synthesized stacks, and every 443 opening of the synthesized releases inside the VPC's range.

Reads the session's one synth (``stacks``, ``workloads_stacks``); the rest is pure functions: no synth, no render."""

from __future__ import annotations

import ipaddress
import json

import pytest

from tests.conftest import ENVIRONMENT_NAMES
from vtc_constructs.aws_api_callers import (AWS_API_CALLERS, DEFAULT_INTERFACE_ENDPOINTS, POLICY_CALLERS,
                                            apis_without_endpoint)
from vtc_constructs.network import INTERFACE_ENDPOINT_SERVICES, NetworkProps
from vtc_constructs.network_policies import PAGERDUTY_EVENTS_CIDRS, NetworkPolicyInputs, namespace_network_policies

#: IAM action prefix -> the endpoint service (table row) its calls go to.
_ENDPOINT_OF_PREFIX = {"cloudwatch": "monitoring", "ecr": "ecr.api"}


def _actions(document: dict) -> set[str]:
    return {a for statement in document.get("statement", []) for a in statement.get("actions", [])}


# --- the table ---------------------------------------------------------------------------------------------------------

def test_every_aws_api_in_the_caller_table_has_an_endpoint_or_a_stated_reason():
    services = {row.service for row in AWS_API_CALLERS}
    for row in AWS_API_CALLERS:
        assert row.service in DEFAULT_INTERFACE_ENDPOINTS or len(row.no_endpoint) > 40, row
        assert row.policy_caller is None or row.policy_caller in POLICY_CALLERS, row
        assert row.caller and row.calls, row
    # What the brief names, each either made or reasoned about; and nothing made that the table does not justify.
    assert {"sts", "secretsmanager", "sns", "logs", "xray", "kms", "ecr.api", "ecr.dkr", "monitoring",
            "elasticloadbalancing"} <= services
    assert set(DEFAULT_INTERFACE_ENDPOINTS) <= set(INTERFACE_ENDPOINT_SERVICES)
    assert NetworkProps.__dataclass_fields__["interface_endpoints"].default == DEFAULT_INTERFACE_ENDPOINTS
    # Every namespace under the project's policies has a caller row, so none is narrowed blind.
    assert {row.policy_caller for row in AWS_API_CALLERS} - {None} == set(POLICY_CALLERS)


def test_every_action_the_cluster_roles_hold_is_in_the_caller_table(stacks):
    """The IRSA roles' and the bootstrap function's policies, as synthesized: each action's service is a row of the
    table (a new call added to a role without a row fails here)."""
    documents = stacks["production"]["data"]["aws_iam_policy_document"]
    roles = {key: doc for key, doc in documents.items()
             if key.startswith(("eks_", "database_bootstrap-role-policy", "search-writers_"))
             and "-policy-document" in key}
    assert len(roles) >= 10, sorted(roles)
    table = {row.service for row in AWS_API_CALLERS}
    missing = {(key, action) for key, doc in roles.items() for action in _actions(doc)
               if _ENDPOINT_OF_PREFIX.get(action.split(":")[0], action.split(":")[0]) not in table}
    assert missing == set()


# --- the endpoints in the stacks ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_stacks_have_private_dns_interface_endpoints_behind_https_from_the_vpc_only(env, stacks, environments):
    stack, network = stacks[env], environments[env].network
    endpoints = {e["service_name"].split("}.", 1)[-1]: e for e in stack["resource"]["aws_vpc_endpoint"].values() if e["vpc_endpoint_type"] == "Interface"}
    assert sorted(endpoints) == sorted(DEFAULT_INTERFACE_ENDPOINTS)
    zones = network.interface_endpoint_zones or len(network.availability_zones)
    assert (env, zones) in {("staging", 1), ("production", 3)}
    for endpoint in endpoints.values():
        assert endpoint["private_dns_enabled"] is True and len(endpoint["subnet_ids"]) == zones
        assert all("aws_subnet.network_private-" in s for s in endpoint["subnet_ids"])
        assert endpoint["policy"].startswith("${data.aws_iam_policy_document.network_endpoint-")
    [group] = [g for k, g in stack["resource"]["aws_security_group"].items() if k.startswith("network_endpoints-sg")]
    assert "ingress" not in group and "egress" not in group
    rules = [r for r in stack["resource"]["aws_vpc_security_group_ingress_rule"].values()
             if "network_endpoints-sg" in r["security_group_id"]]
    assert [(r["cidr_ipv4"], r["from_port"], r["to_port"], r["ip_protocol"]) for r in rules] == \
        [(network.vpc_cidr, 443, 443, "tcp")]
    assert not any("network_endpoints-sg" in r["security_group_id"]
                   for r in stack["resource"].get("aws_vpc_security_group_egress_rule", {}).values())
    documents = stack["data"]["aws_iam_policy_document"]
    sts = documents[next(k for k in documents if k.startswith("network_endpoint-sts-policy"))]["statement"]
    assert [s["sid"] for s in sts] == ["ThisAccountsPrincipalsOnly", "WebIdentityForThisAccountsRoles"]
    # (the account: the provider's caller identity, which allowed_account_ids holds to the environment's account)
    account = "${data.aws_caller_identity.account-caller.account_id}"
    assert sts[0]["condition"] == [{"test": "StringEquals", "variable": "aws:PrincipalAccount", "values": [account]}]
    assert sts[1]["actions"] == ["sts:AssumeRoleWithWebIdentity"] and \
        sts[1]["resources"][0].endswith(f":iam::{account}:role/*")
    assert sts[0]["actions"] == ["sts:*"]
    others = {k.split("_")[1].rsplit("-policy", 1)[0]: documents[k]["statement"] for k in documents
              if k.startswith("network_endpoint-")}
    assert len(others) == len(DEFAULT_INTERFACE_ENDPOINTS)
    assert others["endpoint-monitoring"][0]["actions"] == ["cloudwatch:*"] and \
        others["endpoint-ecr-dkr"][0]["actions"] == ["ecr:*"]
    assert all(s[0]["condition"] == sts[0]["condition"] and s[0]["principals"] == sts[0]["principals"]
               for s in others.values())


# --- the pods' HTTPS ------------------------------------------------------------------------------------------------------

def _https_blocks(values: object) -> list[str]:
    """Every address block a 443 egress rule opens (NetworkPolicy egress lists at any depth), and the charts' AWS
    ranges (``apiCidrs``, ``awsApiCidrs``) which their templates render into one."""
    found: list[str] = []
    if isinstance(values, dict):
        for key, value in values.items():
            if key in ("apiCidrs", "awsApiCidrs"):
                found += list(value)
            elif key == "egress" and isinstance(value, list):
                for rule in value:
                    if any(p.get("port") == 443 for p in rule.get("ports") or []):
                        found += [peer["ipBlock"]["cidr"] for peer in rule.get("to") or [] if "ipBlock" in peer]
            else:
                found += _https_blocks(value)
    elif isinstance(values, list):
        for item in values:
            found += _https_blocks(item)
    return found


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_every_https_opening_of_the_synthesized_releases_stays_in_the_vpc(env, workloads_stacks, environments):
    vpc = ipaddress.ip_network(environments[env].network.vpc_cidr)
    assert environments[env].workloads.alertmanager_pagerduty_secret is None  # else: see the PagerDuty test below
    by_release = {}
    for release in workloads_stacks[env]["resource"]["helm_release"].values():
        blocks = _https_blocks([json.loads(v) for v in release.get("values", [])])
        if blocks:
            by_release[release["name"]] = blocks
    # The services (both colours), the cluster config's policies, the search setup Job, Jaeger: all narrowed.
    assert {"vtc-blue", "vtc-green", "vtc-cluster-config", "search-setup", "jaeger"} <= set(by_release)
    outside = {name: [b for b in blocks if not ipaddress.ip_network(b).subnet_of(vpc)]
               for name, blocks in by_release.items()}
    assert {name: b for name, b in outside.items() if b} == {}


# --- the weakness comes back ----------------------------------------------------------------------------------------------

def _releases_props(endpoints, aws_api_cidrs=None):
    from types import SimpleNamespace

    from vtc_constructs.releases import ClusterReleasesProps

    return SimpleNamespace(vpc_cidr="10.20.0.0/16", interface_endpoints=endpoints,
                           workloads=SimpleNamespace(aws_api_cidrs=aws_api_cidrs),
                           ranges=ClusterReleasesProps.aws_api_cidrs_by_namespace)


NAMESPACES = {"vision-to-code": ("services",), "monitoring": ("alertmanager", "grafana"),
              "external-secrets": ("external-secrets",), "opentelemetry": ("collector",), "logging": ("logging",),
              "tracing": ("tracing",)}


def test_a_namespace_whose_apis_lack_an_endpoint_opens_the_internet_again_and_only_it():
    props = _releases_props(DEFAULT_INTERFACE_ENDPOINTS)
    assert set(props.ranges(props, NAMESPACES).values()) == {("10.20.0.0/16",)}
    without_sns = _releases_props(tuple(s for s in DEFAULT_INTERFACE_ENDPOINTS if s != "sns"))
    ranges = without_sns.ranges(without_sns, NAMESPACES)
    assert {ns for ns, r in ranges.items() if r == ("0.0.0.0/0",)} == {"monitoring"}  # Alertmanager publishes to SNS
    none = _releases_props(())
    assert set(none.ranges(none, NAMESPACES).values()) == {("0.0.0.0/0",)}  # no endpoints: as before
    given = _releases_props(DEFAULT_INTERFACE_ENDPOINTS, aws_api_cidrs=("0.0.0.0/0",))
    assert set(given.ranges(given, NAMESPACES).values()) == {("0.0.0.0/0",)}  # the environment's word wins
    assert apis_without_endpoint(("services",), ("sts",)) == ()
    assert apis_without_endpoint(("logging", "tracing"), ()) == ("logs", "sts")


def _egress_443(policies: list[dict]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for policy in policies:
        for rule in policy["spec"].get("egress", []):
            if any(p.get("port") == 443 for p in rule.get("ports") or []):
                out.setdefault(f"{policy['namespace']}/{policy['name']}", []).extend(
                    peer["ipBlock"]["cidr"] for peer in rule.get("to") or [] if "ipBlock" in peer)
    return out


def test_pagerduty_is_alertmanagers_own_opening_and_nothing_else_leaves_the_vpc():
    vpc = "10.20.0.0/16"
    narrowed = {ns: (vpc,) for ns in NAMESPACES}
    plain = _egress_443(namespace_network_policies(NetworkPolicyInputs(vpc_cidr=vpc,
                                                                       aws_api_cidrs_by_namespace=narrowed)))
    assert {name: cidrs for name, cidrs in plain.items() if set(cidrs) != {vpc}} == {}
    paged = _egress_443(namespace_network_policies(NetworkPolicyInputs(
        vpc_cidr=vpc, aws_api_cidrs_by_namespace=narrowed, pagerduty_cidrs=PAGERDUTY_EVENTS_CIDRS)))
    assert {name: cidrs for name, cidrs in paged.items() if set(cidrs) != {vpc}} == \
        {"monitoring/vtc-alertmanager": [vpc, "0.0.0.0/0"]}
    # The default (no ranges given) is still anywhere: a caller that passes nothing is not narrowed blind.
    default = _egress_443(namespace_network_policies(NetworkPolicyInputs(vpc_cidr=vpc)))
    assert "0.0.0.0/0" in default["monitoring/vtc-grafana"]
