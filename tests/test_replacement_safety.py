"""Replacement safety (issue 13, item 5): nothing with a fixed AWS name is planned create-before-destroy, in this
repository's stacks and in any stack a library user builds from the constructs (checked by cdktf at synth)."""

from __future__ import annotations

import dataclasses
import re

import pytest
from cdktf import App, TerraformStack

from cdktf_cdktf_provider_aws.provider import AwsProvider
from tests.conftest import ENVIRONMENT_NAMES
from vtc_constructs import EksCluster, Network
from vtc_constructs._common import replacement_safety_problems


@pytest.mark.parametrize("name", ENVIRONMENT_NAMES)
def test_no_fixed_name_is_planned_create_before_destroy_in_any_environment(name, stacks):
    # Before issue 13: the node group's create_before_destroy passed to the cluster vtc-<env> and its log group.
    assert [str(p) for p in replacement_safety_problems(stacks[name])] == []


def _stack(resources: dict, data: dict | None = None) -> dict:
    return {"resource": resources, **({"data": data} if data else {})}


CBD = {"create_before_destroy": True}


def test_a_fixed_name_inheriting_create_before_destroy_through_a_chain_is_found_with_the_chain():
    tf = _stack({
        "aws_cloudwatch_log_group": {"logs": {"name": "/aws/eks/x/cluster"}},
        "aws_eks_cluster": {"c": {"name": "x", "depends_on": ["aws_cloudwatch_log_group.logs"]}},
        "aws_eks_node_group": {"n": {"cluster_name": "${aws_eks_cluster.c.name}", "node_group_name_prefix": "g-",
                                     "lifecycle": CBD}},
    })
    found = {p.path: str(p) for p in replacement_safety_problems(tf)}
    assert set(found) == {"aws_cloudwatch_log_group.logs", "aws_eks_cluster.c"}
    assert found["aws_eks_cluster.c"] == (
        "aws_eks_cluster.c: fixed name planned create-before-destroy: aws_eks_node_group.n sets create_before_destroy "
        "and depends on it (aws_eks_cluster.c <- aws_eks_node_group.n) (got 'x'); allowed: aws_eks_cluster replaced "
        "destroy-first (no create_before_destroy on it or on anything that depends on it), or a name that changes "
        "with every replacement; fix: remove create_before_destroy from aws_eks_node_group.n (or its dependency on "
        "aws_eks_cluster.c), or give aws_eks_cluster.c a generated name (name_prefix, where the type has one)")
    assert "aws_cloudwatch_log_group.logs <- aws_eks_cluster.c <- aws_eks_node_group.n" in \
        found["aws_cloudwatch_log_group.logs"]


def test_the_chain_may_pass_through_data_sources():
    tf = _stack({"aws_iam_role": {"r": {"name": "fixed-role", "assume_role_policy": "{}"}},
                 "aws_iam_policy": {"p": {"name_prefix": "p-", "policy": "${data.aws_iam_policy_document.d.json}",
                                          "lifecycle": CBD}}},
                {"aws_iam_policy_document": {"d": {"statement": [{"resources": ["${aws_iam_role.r.arn}"]}]}}})
    (problem,) = replacement_safety_problems(tf)
    assert problem.path == "aws_iam_role.r" and "data.aws_iam_policy_document.d" in problem.what


def test_own_create_before_destroy_on_a_fixed_name_is_found():
    (problem,) = replacement_safety_problems(_stack({"aws_lb_target_group": {"t": {"name": "x-blue",
                                                                                  "lifecycle": CBD}}}))
    assert "aws_lb_target_group.t sets create_before_destroy itself" in str(problem)


@pytest.mark.parametrize("config", [
    {"name_prefix": "x-", "lifecycle": CBD},  # AWS generates the name
    {"name": "x-${substr(sha1(\"8080/HTTP\"), 0, 4)}", "lifecycle": CBD},  # derived: changes with its replacement
    {"name": "x"},  # fixed, replaced destroy-first
])
def test_generated_derived_or_destroy_first_names_are_fine(config):
    assert replacement_safety_problems(_stack({"aws_lb_target_group": {"t": config},
                                               "aws_vpc": {"v": {"cidr_block": "10.0.0.0/16"}}})) == []


def test_a_dependent_without_create_before_destroy_passes_nothing_on():
    tf = _stack({"aws_eks_cluster": {"c": {"name": "x"}},
                 "aws_eks_node_group": {"n": {"cluster_name": "${aws_eks_cluster.c.name}"}},
                 "aws_security_group": {"s": {"name_prefix": "s-", "lifecycle": CBD}}})
    assert replacement_safety_problems(tf) == []


def test_a_library_user_gets_the_check_when_the_stack_synthesizes(tmp_path):
    from tests.test_eks import NETWORK, PROPS

    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "foreign")
    AwsProvider(stack, "aws", region="eu-west-1")
    network = Network(stack, "network", NETWORK)
    cluster = EksCluster(stack, "eks", dataclasses.replace(PROPS, network=network.cluster_network()))
    # What the node groups did before issue 13, done by a user's override:
    cluster.node_groups["general"].add_override("lifecycle.create_before_destroy", True)
    with pytest.raises(RuntimeError, match=r"foreign/eks/cluster: fixed name planned create-before-destroy: "
                                        r"aws_eks_node_group\.eks_general-node-group_[0-9A-F]{8} sets "
                                        r"create_before_destroy"):
        app.synth()


def test_a_refused_synth_writes_nothing_and_the_stack_validates_on_its_own(tmp_path):
    """The check is the stack's own validation: it runs before cdktf writes any file (a refused synth leaves the
    output folder as it was), and ``stack.node.validate()`` (what ``Testing.synth(..., run_validations=True)`` runs)
    finds it without an App synth. Added once per stack, however often asked."""
    from cdktf import TerraformResourceLifecycle

    from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
    from vtc_constructs._common import guard_replacement_safety

    app = App(outdir=str(tmp_path))
    stack = TerraformStack(app, "guarded")
    AwsProvider(stack, "aws", region="eu-west-1")
    CloudwatchLogGroup(stack, "logs", name="fixed", lifecycle=TerraformResourceLifecycle(create_before_destroy=True))
    guard_replacement_safety(stack)
    guard_replacement_safety(stack)
    problem = r"guarded/logs: fixed name planned create-before-destroy: aws_cloudwatch_log_group\.logs sets"
    found = stack.node.validate()
    assert len(found) == 1 and re.search(problem, found[0]), found
    with pytest.raises(RuntimeError, match=problem):
        app.synth()
    assert not list(tmp_path.rglob("*.json"))  # (cdktf may have made the empty folders)
