"""The services' container registry (vtc_constructs/registry.py), as the environments' AWS stacks hold it (the
session's synth: no synth of its own), its props' rules, the lifecycle rule's promise (no image an environment names
is ever expired), and the environment model's digest rule (production refused without digests, staging warned)."""

from __future__ import annotations

import json

import pytest

from environments.model import load_environments
from tests.standins import GROUP
from tests.test_environments import env_dir, problems, rewrite
from vtc_constructs.errors import ConfigError
from vtc_constructs.registry import (
    IMAGE_PULL_ACTIONS,
    IMAGE_PUSH_ACTIONS,
    PUSH_ROLE_ACTIONS,
    ContainerRegistry,
    RegistryProps,
    expired_by,
    lifecycle_policy,
)
from vtc_constructs.workloads import SERVICES, Colour

ROLE = "arn:aws:iam::111111111111:role/vtc-staging-node"
PROVIDER = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"


def _registry(stack: dict, kind: str) -> dict:
    return {name: config for name, config in stack["resource"].get(kind, {}).items() if name.startswith("registry_")}


def _document(stack: dict, name: str) -> dict:
    [config] = [c for n, c in stack["data"]["aws_iam_policy_document"].items() if n.startswith(f"registry_{name}_")]
    return config


# --- the stacks --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("env", ["staging", "production"])
def test_a_repository_per_service_immutable_scanned_kms_encrypted(stacks, environments, env):
    stack, config = stacks[env], environments[env]
    repositories = _registry(stack, "aws_ecr_repository")
    prefix = config.workloads.image_repository.split("/", 1)[1]
    assert sorted(r["name"] for r in repositories.values()) == sorted(f"{prefix}/{s}" for s in SERVICES)
    [key] = _registry(stack, "aws_kms_key")
    for repository in repositories.values():
        assert repository["image_tag_mutability"] == "IMMUTABLE"
        assert repository["image_scanning_configuration"] == {"scan_on_push": True}
        assert repository["encryption_configuration"] == [{"encryption_type": "KMS",
                                                           "kms_key": f"${{aws_kms_key.{key}.arn}}"}]
    guarded = not config.registry.disposable
    assert guarded == (env == "production")
    for resource in [*repositories.values(), _registry(stack, "aws_kms_key")[key]]:
        assert resource.get("lifecycle", {}).get("prevent_destroy", False) is guarded
    assert all(r["force_delete"] is not guarded for r in repositories.values())
    policies = _registry(stack, "aws_ecr_lifecycle_policy")
    assert len(policies) == 4 and all(json.loads(p["policy"]) == lifecycle_policy(14) for p in policies.values())


def test_pulls_by_the_nodes_only_and_pushes_by_the_push_role_only(stacks):
    stack = stacks["production"]
    assert len(_registry(stack, "aws_ecr_repository_policy")) == 4
    pull, push = _document(stack, "core-policy-document")["statement"]
    [role] = _registry(stack, "aws_iam_role")
    node_role = "${aws_iam_role.eks_node-role_088D8AAD.arn}"
    assert (pull["effect"], pull["actions"], pull["principals"]) == ("Deny", list(IMAGE_PULL_ACTIONS),
                                                                     [{"type": "AWS", "identifiers": ["*"]}])
    assert pull["condition"] == [{"test": "ArnNotEquals", "variable": "aws:PrincipalArn",
                                  "values": [node_role, f"${{aws_iam_role.{role}.arn}}"]}]
    assert (push["effect"], push["actions"]) == ("Deny", list(IMAGE_PUSH_ACTIONS))
    assert push["condition"][0]["values"] == [f"${{aws_iam_role.{role}.arn}}"]
    assert all(s["effect"] == "Deny" for s in _document(stack, "core-policy-document")["statement"])


def test_the_push_role_trusts_the_services_repositories_in_the_environment_and_pushes_there_only(stacks,
                                                                                                  environments):
    stack, config = stacks["production"], environments["production"]
    [role] = _registry(stack, "aws_iam_role").values()
    assert role["name"] == "vtc-production-image-push" and role["max_session_duration"] == 3600
    [trust] = _document(stack, "push-role-trust")["statement"]
    assert trust["principals"][0]["identifiers"] == ["${aws_iam_openid_connect_provider.ci_github-oidc-provider_"
                                                     + trust["principals"][0]["identifiers"][0].split("_")[-1]]
    assert trust["condition"][1] == {"test": "StringEquals", "variable": "token.actions.githubusercontent.com:sub",
                                     "values": [f"repo:{r}:environment:production"
                                                for r in config.registry.github_repositories]}
    sign_in, images = _document(stack, "push-policy-document")["statement"]
    assert (sign_in["actions"], sign_in["resources"]) == (["ecr:GetAuthorizationToken"], ["*"])
    assert images["actions"] == list(PUSH_ROLE_ACTIONS) and len(images["resources"]) == 4
    assert all(r.startswith("${aws_ecr_repository.registry_") for r in images["resources"])
    assert {"registry_repository_urls", "registry_push_role_arn"} <= set(stack["output"])


@pytest.mark.xdist_group(GROUP)
def test_terraform_validate_finds_nothing_in_the_registry(scans):
    assert [d for d in scans.diagnostics(("staging", "production"), "error")] == []
    assert not [d for d in scans.diagnostics(("staging", "production"), "warning")
                if "ecr" in json.dumps(d)]


# --- the lifecycle rule --------------------------------------------------------------------------------------------------

def test_no_image_an_environment_names_is_ever_expired_and_untagged_images_are(environments):
    policy = lifecycle_policy(14)
    named = {env.workloads.image_tags.of(c) for env in environments.values() for c in Colour}
    assert named and not any(expired_by(policy, (tag,)) for tag in named)
    # cosign's signature and SBOM attestation of an image (tagged: image-build.yml stores them the legacy way)
    assert not expired_by(policy, ("sha256-" + "a" * 64 + ".sig",)) and not expired_by(policy, ("x.att",))
    assert expired_by(policy, ())
    [rule] = policy["rules"]
    assert rule["selection"] == {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                                 "countNumber": 14}


def test_the_promise_checker_sees_a_rule_that_would_expire_tagged_images():
    keep_ten = {"rules": [{"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPatternList": ["*"],
                                                            "countType": "imageCountMoreThan", "countNumber": 10},
                           "action": {"type": "expire"}}]}
    assert expired_by(keep_ten, ("1.0.0",))
    assert expired_by({"rules": [{"selection": {"tagStatus": "tagged", "tagPrefixList": ["1."]}}]}, ("1.0.0",))
    assert expired_by({"rules": [{"selection": {"tagStatus": "any"}}]}, ("1.0.0",))


# --- the props -----------------------------------------------------------------------------------------------------------

def _props(**overrides) -> RegistryProps:
    return RegistryProps(**{**dict(name="vtc-staging", node_role_arn=ROLE, oidc_provider_arn=PROVIDER,
                                   github_repositories=("vision-to-code/vtc-services",),
                                   github_environment="staging"), **overrides})


def test_valid_props_have_no_problem_and_name_the_repositories():
    assert _props().validate() == []
    assert _props(repository_prefix="acme/vtc").repository_names()["core"] == "acme/vtc/core"


@pytest.mark.parametrize("overrides, path, what", [
    (dict(name="Vtc"), "name", "invalid value"),
    (dict(node_role_arn="node"), "node_role_arn", "invalid value"),
    (dict(oidc_provider_arn="arn:aws:iam::111111111111:oidc-provider/example.com"), "oidc_provider_arn",
     "not GitHub's OIDC provider"),
    (dict(github_repositories=()), "github_repositories", "nobody could push"),
    (dict(github_repositories="owner/repo"), "github_repositories", "not a list"),
    (dict(github_repositories=("owner",)), "github_repositories[0]", "not a GitHub repository"),
    (dict(github_repositories=("o/r", "o/r")), "github_repositories", "repeated repository"),
    (dict(github_environment="prod:x"), "github_environment", "invalid value"),
    (dict(repository_prefix="VTC/"), "repository_prefix", "invalid value"),
    (dict(untagged_expiry_days=0), "untagged_expiry_days", "invalid value"),
    (dict(disposable="no"), "disposable", "invalid value"),
])
def test_each_rule_reports_its_field(overrides, path, what):
    [problem] = _props(**overrides).validate()
    assert (problem.path, problem.what) == (path, what) and problem.fix


def test_the_construct_refuses_every_problem_at_once():
    from cdktf import Testing, TerraformStack

    stack = TerraformStack(Testing.app(), "registry-refused")
    with pytest.raises(ConfigError) as raised:
        ContainerRegistry(stack, "registry", _props(name="X", untagged_expiry_days=-1))
    assert [p.path for p in raised.value.problems] == ["registry.name", "registry.untagged_expiry_days"]
    with pytest.raises(TypeError, match="props must be a vtc_constructs.RegistryProps"):
        ContainerRegistry(stack, "other", {"name": "vtc"})


# --- the environments: the registry's table, and digests by tier ----------------------------------------------------------

def test_the_registry_follows_the_workloads_repository(tmp_path):
    directory = env_dir(tmp_path)
    rewrite(directory, "staging", 'image_repository = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/vtc"',
            'image_repository = "registry.example.com/vtc"')
    [found] = problems(directory)
    assert found.startswith("staging.workloads.image_repository: not the environment's registry (got "
                            "'registry.example.com/vtc'); allowed: <account>.dkr.ecr.<region>.amazonaws.com/<path>")


def test_production_without_a_digest_for_every_service_is_refused(tmp_path):
    directory = env_dir(tmp_path)
    rewrite(directory, "production", 'core = "sha256:0000000000000000000000000000000000000000000000000000000000000002"\n'
            'swarm = "sha256:0000000000000000000000000000000000000000000000000000000000000003"\n'
            'development = "sha256:0000000000000000000000000000000000000000000000000000000000000004"\n\n'
            '[workloads.image_digests.green]', '\n[workloads.image_digests.green]')
    [found] = problems(directory)
    assert found == (
        "production.workloads.image_digests.blue: no digest for core, swarm, development (got ['business']); "
        "allowed: a sha256 digest for each of business, core, swarm, development (the production tier runs every "
        "image by digest); fix: merge the image-build workflow's pull request for blue, or add "
        '[workloads.image_digests.blue] with core = "sha256:...", swarm = "sha256:...", development = "sha256:..." '
        "(the digests ECR reports for the pushed tag)")


def test_a_malformed_digest_is_reported_once_at_its_path(tmp_path):
    directory = env_dir(tmp_path)
    rewrite(directory, "production", 'core = "sha256:0000000000000000000000000000000000000000000000000000000000000002"',
            'core = "sha256:XYZ"')  # (both colours name the same build)
    found = problems(directory)
    assert [f.split(":")[0] for f in found] == [f"production.workloads.image_digests.{c}.core" for c in
                                                ("blue", "green")]  # and no "no digest" problem beside them
    assert found[0].startswith("production.workloads.image_digests.blue.core: invalid value (got 'sha256:XYZ'); "
                               "allowed: sha256: and 64 lower-case hex digits")


def test_staging_runs_by_tag_with_a_warning_per_colour(environments):
    warnings = [w for w in environments["staging"].warnings if ".image_digests." in w.path]
    assert [(w.path, w.what) for w in warnings] == [
        (f"staging.workloads.image_digests.{c}", f"{c} runs business, core, swarm, development by tag")
        for c in ("blue", "green")]
    assert not [w for w in environments["production"].warnings if ".image_digests." in w.path]


def test_the_props_digests_reach_each_colours_release(environments):
    from tests.test_workloads_props import chart_inputs

    workloads = environments["production"].workloads
    for colour in Colour:
        values = workloads.chart_values(colour, **chart_inputs("production"))
        assert values["image"]["digests"] == dict(workloads.image_digests.of(colour))
    assert "digests" not in environments["staging"].workloads.chart_values(Colour.BLUE, **chart_inputs("staging"))[
        "image"]
    assert load_environments(["staging"])[0].workloads.image_digests is None
