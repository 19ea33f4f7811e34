"""The composed API as another team uses it: its own names, region, account, database identity and namespace, in
its own project (not this repository's environments). The platform and its releases in two stacks, wired end to
end: the services' chart gets the database the platform made and the namespace its role trusts (rendered by real
helm), the AWS stack passes ``terraform validate``; and what is given twice is checked to agree, with errors that
name both places.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from cdktf import App, TerraformStack

from tests.test_releases import render_release, releases_of, values_of
from tooling import terraform
from vtc_constructs import (
    AlarmsProps,
    Certificate,
    ClusterReleases,
    ClusterReleasesProps,
    ConfigError,
    DatabaseProps,
    EdgeProps,
    EksClusterProps,
    ImageTags,
    NetworkProps,
    NodeGroupProps,
    PlatformProps,
    VisionToCodePlatform,
    WorkloadsProps,
    eks_helm_provider,
)

REGION, ACCOUNT = "ap-southeast-2", "444455556666"
WORKLOADS = WorkloadsProps(image_repository=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/acme",
                           image_tags=ImageTags(blue="2.0.0", green="2.1.0"), namespace="acme-apps")
PROPS = PlatformProps(
    name="acme-syd",
    network=NetworkProps(vpc_cidr="10.60.0.0/16", availability_zones=(f"{REGION}a", f"{REGION}b", f"{REGION}c")),
    eks=EksClusterProps(kubernetes_version="1.33", node_groups=(NodeGroupProps(name="general"),),
                        admin_principal_arns=(f"arn:aws:iam::{ACCOUNT}:role/acme-admin",)),
    database=DatabaseProps(engine_version="16.8", database_name="acme", app_role="acme_svc", app_schema="acme_data"),
    edge=EdgeProps(certificate=Certificate(domain_name="app.acme.example", hosted_zone_name="acme.example")),
    alarms=AlarmsProps(page_email_endpoints=("oncall@acme.example",)),
    workloads_namespace="acme-apps",
)


def compose(outdir, *, props: PlatformProps = PROPS, workloads: WorkloadsProps = WORKLOADS, region: str = REGION,
            releases_in_the_aws_stack: bool = False, helm_provider: bool = True):
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    app = App(outdir=str(outdir))
    stack = TerraformStack(app, "acme-syd")
    AwsProvider(stack, "aws", region=REGION, allowed_account_ids=[ACCOUNT])
    platform = VisionToCodePlatform(stack, "platform", props)
    target = stack if releases_in_the_aws_stack else TerraformStack(app, "acme-syd-workloads")
    if helm_provider:
        eks = platform.eks
        eks_helm_provider(target, "helm", cluster_name=eks.cluster_name, endpoint=eks.cluster_endpoint,
                          certificate_authority_data=eks.cluster_certificate_authority_data, region=region)
    ClusterReleases(target, "releases", ClusterReleasesProps.from_platform(
        platform, environment="syd", region=region, workloads=workloads))
    app.synth()
    return {name: json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text())
            for name in ("acme-syd", "acme-syd-workloads") if (outdir / "stacks" / name).is_dir()}


@pytest.fixture(scope="module")
def composed(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("consumer") / "cdktf.out"
    return outdir, compose(outdir)


def test_the_services_sign_in_to_the_database_the_platform_made_as_the_role_it_made(composed, tmp_path):
    _, stacks = composed
    aws, workloads = stacks["acme-syd"], stacks["acme-syd-workloads"]
    releases = releases_of(workloads)
    for colour in ("blue", "green"):
        release = releases[f"vtc-{colour}"]
        assert release["namespace"] == "acme-apps"
        database = values_of(release)["database"]
        assert (database["name"], database["user"], database["schema"]) == ("acme", "acme_svc", "acme_data")
        assert values_of(release)["aws"]["region"] == REGION
    # The role the services take may connect as exactly that user, and trusts exactly that namespace's accounts.
    text = json.dumps(aws["data"]["aws_iam_policy_document"])
    assert ":dbuser:" in text and "/acme_svc" in text and "system:serviceaccount:acme-apps:vtc-blue-core" in text
    # The database made with that identity (the bootstrap's invocation creates the role and schema it is given).
    (instance,) = aws["resource"]["aws_db_instance"].values()
    (invocation,) = aws["resource"]["aws_lambda_invocation"].values()
    assert instance["db_name"] == "acme"
    for key, value in (("database", "acme"), ("app_role", "acme_svc"), ("app_schema", "acme_data")):
        assert f'"{key}" = "{value}"' in invocation["input"], invocation["input"]
    rendered = render_release(releases["vtc-blue"], tmp_path)
    (deployment,) = [d for d in rendered if d["kind"] == "Deployment" and d["metadata"]["name"] == "vtc-blue-core"]
    env = {e["name"]: e.get("value") for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert (env["PGDATABASE"], env["PGUSER"], env["PGOPTIONS"]) == ("acme", "acme_svc", "-c search_path=acme_data")
    assert {d["metadata"]["namespace"] for d in rendered if "namespace" in d["metadata"]} == {"acme-apps"}


def test_the_consumers_aws_stack_is_valid_terraform(composed, tmp_path):
    outdir, _ = composed
    report = terraform.validate(terraform.copy_stack(outdir / "stacks" / "acme-syd", tmp_path / "acme-syd"))
    assert report["valid"] is True and report["error_count"] == 0


def test_a_namespace_the_services_role_does_not_trust_is_refused_naming_both_places(tmp_path):
    with pytest.raises(ConfigError, match=r"workloads\.namespace: differs from the platform's \(got 'other'\); "
                                          r"allowed: 'acme-apps', the namespace the platform's services role trusts "
                                          r"\(PlatformProps\.workloads_namespace\)"):
        compose(tmp_path / "out", workloads=dataclasses.replace(WORKLOADS, namespace="other"))


def test_a_region_other_than_the_platform_stacks_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"(?m)^  - region: differs from the platform's \(got 'eu-west-1'\); allowed: "
                                          r"'ap-southeast-2', the region of the AWS provider of the platform's stack"):
        compose(tmp_path / "out", region="eu-west-1")


def test_a_helm_provider_signing_in_to_another_region_is_refused(tmp_path):
    import vtc_constructs.releases as releases

    def build(outdir):
        from cdktf_cdktf_provider_aws.provider import AwsProvider

        app = App(outdir=str(outdir))
        stack = TerraformStack(app, "acme-syd")
        AwsProvider(stack, "aws", region=REGION)
        platform = VisionToCodePlatform(stack, "platform", PROPS)
        workloads = TerraformStack(app, "acme-syd-workloads")
        eks = platform.eks
        releases.eks_helm_provider(workloads, "helm", cluster_name=eks.cluster_name, endpoint=eks.cluster_endpoint,
                                   certificate_authority_data=eks.cluster_certificate_authority_data,
                                   region="eu-west-1")
        ClusterReleases(workloads, "releases", ClusterReleasesProps.from_platform(
            platform, environment="syd", region=REGION, workloads=WORKLOADS))

    with pytest.raises(ConfigError, match=r"releases\.region: differs from the Helm provider's \(got "
                                          r"'ap-southeast-2'\); allowed: 'eu-west-1', the region the stack's Helm "
                                          r"provider signs in to the cluster with"):
        build(tmp_path / "out")


def test_the_releases_in_the_clusters_own_stack_are_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"releases\.scope: the cluster 'acme-syd' is made in the same stack "
                                          r"\(got 'acme-syd'\); allowed: a stack without the EKS cluster") as refused:
        compose(tmp_path / "out", releases_in_the_aws_stack=True)
    # The fix names what the package gives another team (not this repository's environments/ code).
    assert "eks_helm_provider(...)" in str(refused.value) and "environments/" not in str(refused.value)


def test_a_workloads_stack_without_a_helm_provider_is_refused_with_the_fix(tmp_path):
    with pytest.raises(ConfigError, match=r"releases\.scope: no Helm provider \(got 'acme-syd-workloads'\); allowed: "
                                          r"a stack with a Helm provider; fix: add one first: eks_helm_provider"):
        compose(tmp_path / "out", helm_provider=False)


def test_availability_zones_of_another_region_than_the_stacks_are_refused(tmp_path):
    other = dataclasses.replace(PROPS, network=dataclasses.replace(
        PROPS.network, availability_zones=("eu-west-1a", f"{REGION}b", "eu-west-1c")))
    with pytest.raises(ConfigError) as raised:
        compose(tmp_path / "out", props=other)
    assert [p.path for p in raised.value.problems] == ["network.availability_zones[0]",
                                                        "network.availability_zones[2]"]
    assert "AZ outside the region (got 'eu-west-1a'); allowed: an AZ of ap-southeast-2" in str(raised.value)


@pytest.mark.parametrize("wrong", ["stack", "part", None])
def test_from_platform_given_something_else_says_what_to_pass(wrong):
    app = App()
    stack = TerraformStack(app, "s")
    given = {"stack": stack, "part": object(), None: None}[wrong]
    with pytest.raises(ConfigError, match=r"(?m)^  - platform: not a platform \(got '\w+'\); allowed: a VisionToCodePlatform; "
                                          r"fix: pass the platform construct itself"):
        ClusterReleasesProps.from_platform(given, environment="syd", region=REGION, workloads=WORKLOADS)


@pytest.fixture(scope="module")
def platform():
    return VisionToCodePlatform(TerraformStack(App(), "acme-syd"), "platform", PROPS)


#: Every keyword of from_platform with every wrong value: None is host's and charts_dir's default (the certificate's
#: domain; the package's charts), and '' is a valid host (any host name).
WRONG_ARGUMENTS = [(keyword, value) for keyword in ("environment", "region", "workloads", "host", "charts_dir")
                   for value in (None, 3, 2.5, True, "", "Not A Name!", ["x"], {"x": 1}, object())
                   if not (value is None and keyword in ("host", "charts_dir")) and (keyword, value) != ("host", "")]


@pytest.mark.parametrize("keyword, value", WRONG_ARGUMENTS)
def test_every_argument_of_from_platform_of_a_wrong_type_or_value_is_one_problem_at_its_name(platform, keyword, value):
    arguments = {"environment": "syd", "region": REGION, "workloads": WORKLOADS, keyword: value}
    try:
        problems = ClusterReleasesProps.from_platform(platform, **arguments).validate()
    except ConfigError as error:  # what from_platform checks against the platform itself (the region)
        problems = error.problems
    assert [p.path.split(".")[0] for p in problems] == [keyword], [str(p) for p in problems]
    assert all("; fix: " in str(p) for p in problems)


def test_a_relative_charts_folder_is_taken_from_the_working_folder(platform, monkeypatch, tmp_path):
    # cdktf's assets need an absolute path: a relative one (from the program's folder) is resolved, not passed on.
    from vtc_constructs.releases import default_charts_dir

    monkeypatch.chdir(default_charts_dir().parent)
    props = ClusterReleasesProps.from_platform(platform, environment="syd", region=REGION, workloads=WORKLOADS,
                                               charts_dir="charts")
    assert props.validate() == []
    app = App(outdir=str(tmp_path / "out"))
    stack = TerraformStack(app, "acme-syd-workloads")
    eks_helm_provider(stack, "helm", cluster_name="acme-syd", endpoint="https://example.invalid",
                      certificate_authority_data="Y2E=", region=REGION)
    ClusterReleases(stack, "releases", dataclasses.replace(props, target_group_arns={
        "blue": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/b/0123456789abcdef",
        "green": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/g/0123456789abcdef"}))
    monkeypatch.chdir(tmp_path)
    app.synth()
    assert (tmp_path / "out" / "stacks" / "acme-syd-workloads" / "cdk.tf.json").is_file()


def test_references_known_only_at_apply_are_accepted_where_values_are_checked(platform, tmp_path):
    # A consumer wiring its own resources in: the database's ranges from Fn.cidrsubnet, its name from a reference.
    # Nothing to check before apply (Terraform and Helm do then), so nothing is refused, and the stack synthesizes
    # with each one passed on as the reference it is. (The region stays a plain string: the releases need it.)
    from cdktf import Fn, TerraformVariable

    app = App(outdir=str(tmp_path / "out"))
    stack = TerraformStack(app, "acme-syd-workloads")
    name = TerraformVariable(stack, "database-name", type="string").string_value
    props = dataclasses.replace(
        ClusterReleasesProps.from_platform(platform, environment="syd", region=REGION, workloads=WORKLOADS),
        database_cidrs=(Fn.cidrsubnet("10.60.0.0/16", 7, 48),), database_name=name,
        target_group_arns={"blue": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/b/0123456789abcdef",
                           "green": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/g/0123456789abcdef"})
    assert props.validate() == []
    eks_helm_provider(stack, "helm", cluster_name="acme-syd", endpoint="https://example.invalid",
                      certificate_authority_data="Y2E=", region=REGION)
    ClusterReleases(stack, "releases", props)
    app.synth()
    text = (tmp_path / "out" / "stacks" / "acme-syd-workloads" / "cdk.tf.json").read_text()
    assert "cidrsubnet(" in text and "${var.database-name}" in text
