"""CiIdentity: GitHub's OIDC provider, the deploy and traffic roles, the runner's security group; the [ci] table of
the environment files. Assertions on the synthesized Terraform JSON: trust conditions and the traffic role's whole
power exactly, the runner's egress, every validation branch."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
import cdktf
from cdktf import TerraformStack

from environments.model import load_environments
from tests.helpers import by_path, ref, resources, synth, synth_outputs
from tests.test_environments import env_dir, problems, rewrite
from tooling.paths import REPO
from vtc_constructs import CiIdentity, CiIdentityProps, ConfigError
from vtc_constructs.ci_identity import (
    DEPLOY_SERVICES,
    GITHUB_OIDC_HOST,
    GLOBAL_ACTIONS,
    LONG_LIVED_CREDENTIAL_ACTIONS,
    PLATFORM_MANAGED_POLICIES,
)

LISTENER = ("arn:aws:elasticloadbalancing:eu-west-1:111111111111:listener/app/vtc-test/0123456789abcdef/"
            "fedcba9876543210")
RULES = ("arn:aws:elasticloadbalancing:eu-west-1:111111111111:listener-rule/app/vtc-test/0123456789abcdef/"
         "fedcba9876543210/*")
CLUSTER_SG = "sg-0123456789abcdef0"
PROVIDER_ARN = f"arn:aws:iam::111111111111:oidc-provider/{GITHUB_OIDC_HOST}"
PROPS = CiIdentityProps(name="vtc-test", github_repository="vision-to-code/vtc-infra", github_environment="staging",
                        https_listener_arn=LISTENER, cluster_security_group_id=CLUSTER_SG,
                        vpc_id="vpc-0123456789abcdef0", state_bucket="vtc-terraform-state",
                        state_keys=("vtc/staging/terraform.tfstate", "vtc/staging/terraform-workloads.tfstate"))
PARTITION = "${data.aws_partition.account-partition.partition}"
ACCOUNT = "${data.aws_caller_identity.account-caller.account_id}"
REGION = "${data.aws_region.account-region.name}"


def build(props: CiIdentityProps = PROPS) -> dict:
    return synth(lambda stack: CiIdentity(stack, "ci", props))


@pytest.fixture(scope="module")
def tf() -> dict:
    return build()


def statements(tf: dict, path: str) -> list[dict]:
    return by_path(tf, "aws_iam_policy_document", path, data=True)["statement"]


def by_sid(tf: dict, path: str) -> dict[str, dict]:
    return {s["sid"]: s for s in statements(tf, path)}


# --- trust -----------------------------------------------------------------------------------------------------------

def test_the_deploy_role_trusts_exactly_this_repositorys_environment(tf):
    provider = ref(tf, "aws_iam_openid_connect_provider", "ci/github-oidc-provider", "arn")
    assert statements(tf, "ci/deploy-role-trust") == [{
        "sid": "GitHubActionsOfThisRepositoryAndEnvironment", "actions": ["sts:AssumeRoleWithWebIdentity"],
        "principals": [{"type": "Federated", "identifiers": [provider]}],
        "condition": [
            {"test": "StringEquals", "variable": "token.actions.githubusercontent.com:aud",
             "values": ["sts.amazonaws.com"]},
            {"test": "StringEquals", "variable": "token.actions.githubusercontent.com:sub",
             "values": ["repo:vision-to-code/vtc-infra:environment:staging"]}]}]
    role = by_path(tf, "aws_iam_role", "ci/deploy-role")
    assert role["name"] == "vtc-test-ci-deploy"
    assert role["assume_role_policy"] == ref(tf, "aws_iam_policy_document", "ci/deploy-role-trust", "json", data=True)


def test_the_traffic_role_trusts_the_environment_and_its_traffic_environment(tf):
    (statement,) = statements(tf, "ci/traffic-role-trust")
    assert statement["condition"] == [
        {"test": "StringEquals", "variable": "token.actions.githubusercontent.com:aud",
         "values": ["sts.amazonaws.com"]},
        {"test": "StringEquals", "variable": "token.actions.githubusercontent.com:sub",
         "values": ["repo:vision-to-code/vtc-infra:environment:staging",
                    "repo:vision-to-code/vtc-infra:environment:staging-traffic"]}]
    assert by_path(tf, "aws_iam_role", "ci/traffic-role")["name"] == "vtc-test-ci-traffic"


def test_workflow_refs_pin_the_roles_through_the_customised_subject():
    tf = build(dataclasses.replace(PROPS, deploy_workflow_refs=(".github/workflows/deploy.yml@refs/heads/main",),
                                   traffic_workflow_refs=(".github/workflows/rollback.yml@refs/heads/main",
                                                          ".github/workflows/release.yml@refs/tags/v*")))
    repo = "repo:vision-to-code/vtc-infra"
    job = "job_workflow_ref:vision-to-code/vtc-infra/.github/workflows"
    (deploy,) = statements(tf, "ci/deploy-role-trust")
    assert deploy["condition"][1] == {
        "test": "StringLike", "variable": "token.actions.githubusercontent.com:sub",
        "values": [f"{repo}:environment:staging:{job}/deploy.yml@refs/heads/main"]}
    (traffic,) = statements(tf, "ci/traffic-role-trust")
    assert traffic["condition"][1]["values"] == [
        f"{repo}:environment:staging:{job}/rollback.yml@refs/heads/main",
        f"{repo}:environment:staging:{job}/release.yml@refs/tags/v*",
        f"{repo}:environment:staging-traffic:{job}/rollback.yml@refs/heads/main",
        f"{repo}:environment:staging-traffic:{job}/release.yml@refs/tags/v*"]


def test_the_oidc_provider_is_githubs_with_the_sts_audience(tf):
    (provider,) = resources(tf, "aws_iam_openid_connect_provider").values()
    assert provider["url"] == "https://token.actions.githubusercontent.com"
    assert provider["client_id_list"] == ["sts.amazonaws.com"]


def test_an_existing_provider_is_reused_not_created():
    tf = build(dataclasses.replace(PROPS, oidc_provider_arn=PROVIDER_ARN))
    assert resources(tf, "aws_iam_openid_connect_provider") == {}
    for path in ("ci/deploy-role-trust", "ci/traffic-role-trust"):
        (statement,) = statements(tf, path)
        assert statement["principals"] == [{"type": "Federated", "identifiers": [PROVIDER_ARN]}]


# --- the traffic role: its whole power -----------------------------------------------------------------------------

def test_the_traffic_role_may_change_this_listener_read_the_checks_and_write_the_release_record(tf):
    assert [{k: s[k] for k in ("sid", "actions", "resources")} | {"extra": sorted(set(s) - {"sid", "actions",
                                                                                             "resources"})}
            for s in statements(tf, "ci/traffic-policy-document")] == [
        {"sid": "ShiftTrafficOnThisListener", "extra": [],
         "actions": ["elasticloadbalancing:ModifyListener", "elasticloadbalancing:CreateRule"],
         "resources": [LISTENER]},
        {"sid": "RulesOfThisListener", "extra": [],
         "actions": ["elasticloadbalancing:CreateRule", "elasticloadbalancing:ModifyRule",
                     "elasticloadbalancing:DeleteRule", "elasticloadbalancing:AddTags"],
         "resources": [RULES]},
        {"sid": "ReadLoadBalancingAlarmsAndMetrics", "extra": [],
         "actions": ["elasticloadbalancing:Describe*", "cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData"],
         "resources": ["*"]},
        {"sid": "TheReleaseRecord", "extra": [],
         "actions": ["ssm:GetParameter", "ssm:PutParameter", "ssm:DeleteParameter"],
         "resources": [f"arn:{PARTITION}:ssm:{REGION}:{ACCOUNT}:parameter/vtc/staging/release*"]}]
    policies = [p for p in resources(tf, "aws_iam_role_policy_attachment").values()
                if p["role"] == ref(tf, "aws_iam_role", "ci/traffic-role", "name")]
    assert [p["policy_arn"] for p in policies] == [ref(tf, "aws_iam_policy", "ci/traffic-policy", "arn")]


def test_a_listener_given_as_a_reference_scopes_its_rules_by_the_same_reference():
    def build_with_reference(stack):
        from cdktf import TerraformVariable
        arn = TerraformVariable(stack, "listener", type="string").string_value
        CiIdentity(stack, "ci", dataclasses.replace(PROPS, https_listener_arn=arn))

    tf = synth(build_with_reference)
    rules = by_sid(tf, "ci/traffic-policy-document")["RulesOfThisListener"]["resources"]
    assert rules == ['${replace(var.listener, ":listener/", ":listener-rule/")}/*']


def test_a_release_parameter_path_replaces_the_default():
    tf = build(dataclasses.replace(PROPS, release_parameter_path="/acme/releases"))
    assert by_sid(tf, "ci/traffic-policy-document")["TheReleaseRecord"]["resources"] == [
        f"arn:{PARTITION}:ssm:{REGION}:{ACCOUNT}:parameter/acme/releases*"]


# --- the deploy role -------------------------------------------------------------------------------------------------

def test_the_deploy_role_reaches_only_its_own_state_objects_and_buckets(tf):
    allowed = by_sid(tf, "ci/deploy-policy-document")
    state = f"arn:{PARTITION}:s3:::vtc-terraform-state"
    keys = [f"{state}/vtc/staging/terraform.tfstate", f"{state}/vtc/staging/terraform.tfstate.tflock",
            f"{state}/vtc/staging/terraform-workloads.tfstate",
            f"{state}/vtc/staging/terraform-workloads.tfstate.tflock"]
    assert allowed["ThisEnvironmentsStateObjects"]["resources"] == keys
    assert allowed["ThisEnvironmentsBuckets"]["resources"] == [f"arn:{PARTITION}:s3:::vtc-test-*",
                                                              f"arn:{PARTITION}:s3:::vtc-test-*/*"]
    assert allowed["DeployThePlatformsServices"]["actions"] == [f"{s}:*" for s in DEPLOY_SERVICES]
    assert not any(a.startswith(("iam:*", "s3:*")) for a in allowed["DeployThePlatformsServices"]["actions"])
    iam = allowed["ThisEnvironmentsRolesPoliciesAndClusterOidcProvider"]["resources"]
    assert iam == [f"arn:{PARTITION}:iam::{ACCOUNT}:role/vtc-test-*",
                   f"arn:{PARTITION}:iam::{ACCOUNT}:policy/vtc-test-*",
                   f"arn:{PARTITION}:iam::{ACCOUNT}:oidc-provider/oidc.eks.{REGION}.amazonaws.com/id/*"]
    denied = by_sid(tf, "ci/deploy-guardrails-document")
    assert denied["NoObjectsButThisEnvironments"]["not_resources"] == keys + [f"arn:{PARTITION}:s3:::vtc-test-*/*"]
    assert denied["TheStateBucketStaysAsItIs"]["resources"] == [state]


def test_the_deploy_roles_guardrails_deny_credentials_self_changes_and_other_regions(tf):
    denied = by_sid(tf, "ci/deploy-guardrails-document")
    assert all(s["effect"] == "Deny" for s in denied.values())
    assert denied["NoLongLivedCredentials"]["actions"] == list(LONG_LIVED_CREDENTIAL_ACTIONS)
    assert {"iam:CreateUser", "iam:CreateAccessKey"} <= set(denied["NoLongLivedCredentials"]["actions"])
    assert denied["NoChangeToTheCiIdentity"]["resources"] == [
        f"arn:{PARTITION}:iam::{ACCOUNT}:role/vtc-test-ci-*", f"arn:{PARTITION}:iam::{ACCOUNT}:policy/vtc-test-ci-*",
        f"arn:{PARTITION}:iam::{ACCOUNT}:oidc-provider/{GITHUB_OIDC_HOST}"]
    region = denied["NoRequestOutsideTheEnvironmentsRegions"]
    assert region["not_actions"] == list(GLOBAL_ACTIONS) and "actions" not in region
    assert region["condition"] == [{"test": "StringNotEquals", "variable": "aws:RequestedRegion",
                                    "values": [REGION]}]
    managed = denied["NoAwsManagedPoliciesButThePlatforms"]["condition"]
    assert managed[1]["values"] == [f"arn:*:iam::aws:policy/{p}" for p in PLATFORM_MANAGED_POLICIES]
    assert not any("AdministratorAccess" in v for v in managed[1]["values"])
    attached = {p["policy_arn"] for p in resources(tf, "aws_iam_role_policy_attachment").values()
                if p["role"] == ref(tf, "aws_iam_role", "ci/deploy-role", "name")}
    assert attached == {ref(tf, "aws_iam_policy", "ci/deploy-policy", "arn"),
                        ref(tf, "aws_iam_policy", "ci/deploy-guardrails", "arn")}


def test_the_state_region_and_lock_table_are_covered():
    tf = build(dataclasses.replace(PROPS, state_region="eu-central-1", state_lock_table="vtc-locks"))
    region = by_sid(tf, "ci/deploy-guardrails-document")["NoRequestOutsideTheEnvironmentsRegions"]
    assert region["condition"][0]["values"] == [REGION, "eu-central-1"]
    assert by_sid(tf, "ci/deploy-policy-document")["TheStateLockTable"]["resources"] == [
        f"arn:{PARTITION}:dynamodb:eu-central-1:{ACCOUNT}:table/vtc-locks"]


#: Terraform type prefixes and the IAM service each belongs to (types of no service: pure functions of the provider).
_TYPE_SERVICES = [("aws_acm", "acm"), ("aws_cloudwatch_log", "logs"), ("aws_cloudwatch", "cloudwatch"),
                  ("aws_db_", "rds"), ("aws_ecr_", "ecr"), ("aws_eks", "eks"), ("aws_elasticache", "elasticache"), ("aws_opensearch", "es"), ("aws_iam", "iam"), ("aws_kms", "kms"),
                  ("aws_lambda", "lambda"), ("aws_lb", "elasticloadbalancing"), ("aws_route53", "route53"),
                  ("aws_s3", "s3"), ("aws_secretsmanager", "secretsmanager"), ("aws_sns", "sns"),
                  ("aws_ssm", "ssm"), ("aws_wafv2", "wafv2"), ("aws_elb_service_account", None),
                  ("aws_caller_identity", None), ("aws_partition", None), ("aws_region", None),
                  ("aws_default_security_group", "ec2"), ("aws_eip", "ec2"), ("aws_flow_log", "ec2"),
                  ("aws_internet_gateway", "ec2"), ("aws_launch_template", "ec2"), ("aws_nat_gateway", "ec2"),
                  ("aws_route", "ec2"), ("aws_security_group", "ec2"), ("aws_subnet", "ec2"), ("aws_vpc", "ec2")]


@pytest.mark.parametrize("stack", ["staging", "production"])
def test_the_deploy_role_covers_every_service_and_managed_policy_of_the_stacks(stack):
    """The golden files are the synthesized stacks: a construct that starts using another service, or attaching
    another AWS managed policy, fails here rather than in a CI deploy."""
    tf = json.loads((REPO / "snapshots" / f"{stack}.json").read_text())
    types = set(tf["resource"]) | set(tf["data"])
    for kind in sorted(types):
        service = next((s for prefix, s in _TYPE_SERVICES if kind.startswith(prefix)), "unmapped")
        assert service in (*DEPLOY_SERVICES, "iam", "s3", None), f"{kind}: {service}"
    managed = {re.sub(r"^.*:policy/", "", a["policy_arn"]) for a in tf["resource"]["aws_iam_role_policy_attachment"]
               .values() if ":iam::aws:policy/" in a["policy_arn"]}
    assert managed and managed <= set(PLATFORM_MANAGED_POLICIES)


# --- the runner ------------------------------------------------------------------------------------------------------

def test_the_runner_has_no_ingress_and_only_https_out(tf):
    group = by_path(tf, "aws_security_group", "ci/runner-security-group")
    assert "ingress" not in group and "egress" not in group
    runner = ref(tf, "aws_security_group", "ci/runner-security-group")
    ingress = resources(tf, "aws_vpc_security_group_ingress_rule").values()
    assert [r for r in ingress if r["security_group_id"] == runner] == []
    egress = [r for r in resources(tf, "aws_vpc_security_group_egress_rule").values()
              if r["security_group_id"] == runner]
    assert sorted((r["ip_protocol"], r["from_port"], r["to_port"], r.get("referenced_security_group_id", ""),
                   r.get("cidr_ipv4", "")) for r in egress) == [("tcp", 443, 443, "", "0.0.0.0/0"),
                                                                ("tcp", 443, 443, CLUSTER_SG, "")]


def test_the_cluster_security_group_admits_the_runner_on_443_only(tf):
    runner = ref(tf, "aws_security_group", "ci/runner-security-group")
    rule = by_path(tf, "aws_vpc_security_group_ingress_rule", "ci/cluster-api-from-runner")
    assert (rule["security_group_id"], rule["referenced_security_group_id"], rule["ip_protocol"],
            rule["from_port"], rule["to_port"]) == (CLUSTER_SG, runner, "tcp", 443, 443)


def test_runner_egress_can_be_narrowed():
    tf = build(dataclasses.replace(PROPS, runner_egress_cidrs=("10.99.0.0/24", "10.98.0.0/24")))
    cidrs = sorted(r["cidr_ipv4"] for r in resources(tf, "aws_vpc_security_group_egress_rule").values()
                   if "cidr_ipv4" in r)
    assert cidrs == ["10.98.0.0/24", "10.99.0.0/24"]


def test_typed_outputs_name_their_resources():
    tf, out = synth_outputs(lambda stack: (lambda ci: {
        "deploy": ci.deploy_role_arn, "traffic": ci.traffic_role_arn, "oidc": ci.oidc_provider_arn,
        "runner": ci.runner_security_group_id})(CiIdentity(stack, "ci", PROPS)))
    assert out == {"deploy": ref(tf, "aws_iam_role", "ci/deploy-role", "arn"),
                   "traffic": ref(tf, "aws_iam_role", "ci/traffic-role", "arn"),
                   "oidc": ref(tf, "aws_iam_openid_connect_provider", "ci/github-oidc-provider", "arn"),
                   "runner": ref(tf, "aws_security_group", "ci/runner-security-group")}
    assert CiIdentity(TerraformStack(cdktf.Testing.app(), "x"), "ci", dataclasses.replace(
        PROPS, oidc_provider_arn=PROVIDER_ARN)).oidc_provider_arn == PROVIDER_ARN


# --- validation: every branch ----------------------------------------------------------------------------------------

def refuse(match: str, **changes) -> None:
    with pytest.raises(ConfigError, match=match):
        CiIdentity(TerraformStack(cdktf.Testing.app(), "test"), "ci", dataclasses.replace(PROPS, **changes))


@pytest.mark.parametrize("changes, match", [
    ({"name": "Vtc_Test"}, r"ci\.name: invalid value \(got 'Vtc_Test'\); allowed: 3-50 characters"),
    ({"github_repository": "vtc-infra"}, r"ci\.github_repository: not a GitHub repository .*fix: e\.g\. "
                                         r"'vision-to-code/vtc-infra'"),
    ({"github_environment": "prod:uction"}, r"ci\.github_environment: .*no ':'"),
    ({"https_listener_arn": "arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/x/1"},
     r"ci\.https_listener_arn: .*fix: pass edge\.https_listener_arn"),
    ({"cluster_security_group_id": "node-sg"}, r"ci\.cluster_security_group_id: .*eks\.cluster_security_group_id"),
    ({"vpc_id": "vpc"}, r"ci\.vpc_id: .*fix: pass network\.vpc_id"),
    ({"state_bucket": 7}, r"ci\.state_bucket: invalid value \(got 7\); allowed: an S3 bucket name"),
    ({"state_bucket": "Bad_Bucket"}, r"ci\.state_bucket: "),
    ({"state_bucket": "vtc-test-state"}, r"ci\.state_bucket: state bucket inside the deploy role's buckets"),
    ({"state_keys": "vtc/staging/terraform.tfstate"}, r"ci\.state_keys: not a list .*wrap it in a list"),
    ({"state_keys": ()}, r"ci\.state_keys: no state key"),
    ({"state_keys": ("vtc/*",)}, r"ci\.state_keys\[0\]: .*a wildcard would open other environments' state"),
    ({"state_keys": ("/vtc/x",)}, r"ci\.state_keys\[0\]: .*not starting or ending with '/'"),
    ({"state_region": "eu-west-9"}, r"ci\.state_region: unknown region"),
    ({"state_lock_table": "x"}, r"ci\.state_lock_table: .*a DynamoDB table name"),
    ({"oidc_provider_arn": "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X"},
     r"ci\.oidc_provider_arn: not GitHub's OIDC provider"),
    ({"deploy_workflow_refs": ".github/workflows/x.yml@refs/heads/main"},
     r"ci\.deploy_workflow_refs: not a list"),
    ({"deploy_workflow_refs": ("deploy.yml",), "traffic_workflow_refs": (".github/workflows/r.yml@refs/heads/main",)},
     r"ci\.deploy_workflow_refs\[0\]: not a workflow ref"),
    ({"deploy_workflow_refs": (".github/workflows/*.yml@refs/heads/main",),
      "traffic_workflow_refs": (".github/workflows/r.yml@refs/heads/main",)},
     r"ci\.deploy_workflow_refs\[0\]: not a workflow ref .*'\*' only in the ref"),
    ({"deploy_workflow_refs": (".github/workflows/d.yml@refs/heads/main",) * 2,
      "traffic_workflow_refs": (".github/workflows/r.yml@refs/heads/main",)},
     r"ci\.deploy_workflow_refs: repeated workflow ref"),
    ({"deploy_workflow_refs": (".github/workflows/d.yml@refs/heads/main",)},
     r"ci\.traffic_workflow_refs: one role pinned to workflows, the other not .*give both lists or neither"),
    ({"release_parameter_path": "vtc/release*"}, r"ci\.release_parameter_path: .*no wildcard"),
    ({"runner_egress_cidrs": "0.0.0.0/0"}, r"ci\.runner_egress_cidrs: not a list"),
    ({"runner_egress_cidrs": ()}, r"ci\.runner_egress_cidrs: runner cut off from GitHub"),
    ({"runner_egress_cidrs": ("10.0.0.1/8",)}, r"ci\.runner_egress_cidrs\[0\]: malformed CIDR"),
])
def test_every_invalid_prop_is_refused_with_its_path_and_a_fix(changes, match):
    refuse(match, **changes)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError, match=r"^3 configuration problems") as raised:
        CiIdentity(TerraformStack(cdktf.Testing.app(), "test"), "ci", dataclasses.replace(
            PROPS, name="X", github_repository="x", runner_egress_cidrs=()))
    assert all("; fix: " in str(p) for p in raised.value.problems)


def test_props_of_another_kind_are_a_type_error():
    with pytest.raises(TypeError, match=r"props must be a vtc_constructs\.CiIdentityProps \(got dict\)"):
        CiIdentity(TerraformStack(cdktf.Testing.app(), "test"), "ci", {"name": "vtc-test"})


def test_two_identities_creating_the_provider_in_one_stack_are_refused():
    stack = TerraformStack(cdktf.Testing.app(), "test")
    CiIdentity(stack, "ci", PROPS)
    with pytest.raises(ConfigError, match=r"IAM OIDC provider already claimed by test/ci"):
        CiIdentity(stack, "ci2", dataclasses.replace(PROPS, name="vtc-other"))
    CiIdentity(stack, "ci3", dataclasses.replace(PROPS, name="vtc-third", oidc_provider_arn=PROVIDER_ARN))


# --- the environment files' [ci] ---------------------------------------------------------------------------------

def test_each_environment_gets_its_ci_identity_from_its_own_name_and_state(environments):
    for name, env in environments.items():
        assert (env.ci.name, env.ci.github_environment) == (f"vtc-{name}", name)
        assert env.ci.github_repository == "vision-to-code/vtc-infra"
        assert env.ci.state_keys == (env.state.key, env.workloads_state_key)
        assert env.ci.state_bucket == env.state.bucket and env.ci.oidc_provider_arn is None


def test_the_stack_wires_the_listener_and_the_cluster_security_group():
    tf = json.loads((REPO / "snapshots" / "staging.json").read_text())
    rules = next(s for d in tf["data"]["aws_iam_policy_document"].values() for s in d["statement"]
                 if s.get("sid") == "RulesOfThisListener")
    assert rules["resources"] == ['${replace(aws_lb_listener.edge_https-listener_029C90FC.arn, ":listener/", '
                                  '":listener-rule/")}/*']
    to_api = next(r for r in tf["resource"]["aws_vpc_security_group_egress_rule"].values()
                  if r["//"]["metadata"]["path"] == "staging/ci/runner-to-cluster-api")
    assert to_api["referenced_security_group_id"] == "${aws_security_group.eks_cluster-sg_2CA7AFC3.id}"
    assert {"ci_deploy_role_arn", "ci_traffic_role_arn", "ci_runner_security_group_id"} <= set(tf["output"])


def test_a_missing_ci_table_is_reported(tmp_path):
    directory = env_dir(tmp_path)
    rewrite(directory, "base", '[ci]\ngithub_repository = "vision-to-code/vtc-infra"\n', "")
    rewrite(directory, "base", 'runner_egress_cidrs = ["0.0.0.0/0"]\n', "")
    found = problems(directory)
    assert "production.ci: missing table (got None); allowed: a [ci] table; fix: add a [ci] table" in found
    assert "staging.ci: missing table (got None); allowed: a [ci] table; fix: add a [ci] table" in found


@pytest.mark.parametrize("text, expected", [
    ('[ci]\nname = "vtc-x"\n', r"^staging\.ci\.name: unknown field \(got 'vtc-x'\); allowed: deploy_workflow_refs, "
                               r"github_repository, oidc_provider_arn, release_parameter_path, runner_egress_cidrs, "
                               r"traffic_workflow_refs"),
    ('[ci]\ngithub_repository = 7\n', r"^staging\.ci\.github_repository: wrong type: a whole number"),
    ('[ci]\ngithub_repository = "nope"\n', r"^staging\.ci\.github_repository: not a GitHub repository"),
    ('[ci]\nrunner_egress_cidrs = ["10.0.0.1/8"]\n', r"^staging\.ci\.runner_egress_cidrs\[0\]: malformed CIDR"),
    ('[ci]\noidc_provider_arn = "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"\n',
     r"^staging\.ci\.oidc_provider_arn: provider in another account .*allowed: the GitHub OIDC provider of account "
     r"111111111111"),
])
def test_the_ci_table_is_checked_like_the_others(tmp_path, text, expected):
    found = problems(env_dir(tmp_path, staging=text))
    assert len(found) == 1 and re.search(expected, found[0]), found
    assert "; fix: " in found[0]


def test_a_state_bucket_inside_the_environments_own_buckets_is_reported_at_state_bucket(tmp_path):
    directory = env_dir(tmp_path)
    rewrite(directory, "staging", "[state]\n", '[state]\nbucket = "vtc-staging-state"\n')
    found = problems(directory)
    assert len(found) == 1 and found[0].startswith(
        "staging.state.bucket: state bucket inside the deploy role's buckets (got 'vtc-staging-state')"), found


def test_two_environments_in_one_account_create_the_provider_once(tmp_path):
    directory = env_dir(tmp_path)
    rewrite(directory, "production", 'account_id = "222222222222"', 'account_id = "111111111111"')
    rewrite(directory, "production", "arn:aws:iam::222222222222:role/vtc-platform-admin",
            "arn:aws:iam::111111111111:role/vtc-platform-admin")
    rewrite(directory, "production", "222222222222.dkr", "111111111111.dkr")
    found = problems(directory)
    assert found == [
        "staging.ci.oidc_provider_arn: GitHub OIDC provider created twice (got None); allowed: "
        "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com (the provider production "
        "creates in account 111111111111); fix: add oidc_provider_arn = \"arn:aws:iam::111111111111:oidc-provider/"
        "token.actions.githubusercontent.com\" to [ci] in staging.toml: IAM holds one GitHub OIDC provider per "
        "account, and both environments would create it"]
    staging_file = directory / "staging.toml"
    staging_file.write_text(staging_file.read_text() + f'\n[ci]\noidc_provider_arn = "{PROVIDER_ARN}"\n')
    (staging,) = load_environments(["staging"], directory)
    assert staging.ci.oidc_provider_arn == f"arn:aws:iam::111111111111:oidc-provider/{GITHUB_OIDC_HOST}"
