"""Fine-grained assertions on the EksCluster construct and every branch of its validation."""

from __future__ import annotations

import dataclasses
import re

import pytest

from tests.helpers import assert_one_problem, by_path, ref, resources, synth, synth_outputs
from vtc_constructs import (
    CapacityType,
    ClusterNetwork,
    ConfigError,
    DesiredSizeOwner,
    EksCluster,
    EksClusterProps,
    Network,
    NetworkProps,
    NodeGroupProps,
    Taint,
    TaintEffect,
)

NETWORK = NetworkProps(name="vtc-test", vpc_cidr="10.20.0.0/16",
                       availability_zones=("eu-west-1a", "eu-west-1b", "eu-west-1c"))
PLANNED = ClusterNetwork(vpc_id="vpc-1", subnet_ids=("subnet-a", "subnet-b", "subnet-c"), dns_support=True,
                         dns_hostnames=True, subnets_have_nat_route=True)
ADMIN = "arn:aws:iam::111122223333:role/platform-admin"
PROPS = EksClusterProps(
    name="vtc-test", kubernetes_version="1.33", network=PLANNED, admin_principal_arns=(ADMIN,),
    addon_versions={"vpc-cni": "v1.19.6-eksbuild.1"},
    node_groups=(NodeGroupProps(name="general", instance_types=("m6i.large",), min_size=2, desired_size=3,
                                max_size=6, labels={"workload": "api"},
                                taints=(Taint(key="dedicated", value="api", effect=TaintEffect.NO_SCHEDULE),)),
                 NodeGroupProps(name="spot", capacity_type=CapacityType.SPOT,
                                desired_size_owner=DesiredSizeOwner.AUTOSCALER)),
)


def build(props: EksClusterProps = PROPS):
    captured = {}

    def build_in(scope):
        network = Network(scope, "network", NETWORK)
        captured["eks"] = EksCluster(scope, "eks", dataclasses.replace(props, network=network.cluster_network()))

    tf = synth(build_in)
    return tf, captured["eks"]


@pytest.fixture(scope="module")
def tf():
    return build()[0]


def statements(tf: dict, path: str) -> list[dict]:
    return by_path(tf, "aws_iam_policy_document", path, data=True)["statement"]


# --- cluster ----------------------------------------------------------------------------------------------------------

def test_cluster_is_private_encrypted_and_logs_everything(tf):
    cluster = by_path(tf, "aws_eks_cluster", "cluster")
    assert cluster["name"] == "vtc-test" and cluster["version"] == "1.33"
    vpc = cluster["vpc_config"]
    assert vpc["endpoint_private_access"] is True and vpc["endpoint_public_access"] is False
    assert "public_access_cidrs" not in vpc
    assert vpc["subnet_ids"] == [ref(tf, "aws_subnet", f"private-{i}") for i in range(3)]
    assert vpc["security_group_ids"] == [ref(tf, "aws_security_group", "cluster-sg")]
    assert cluster["encryption_config"] == {"resources": ["secrets"],
                                            "provider": {"key_arn": ref(tf, "aws_kms_key", "eks/key", "arn")}}
    # Written out, not imported: shrinking the code's list must fail here (issue 16).
    assert cluster["enabled_cluster_log_types"] == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    assert cluster["access_config"] == {"authentication_mode": "API",
                                        "bootstrap_cluster_creator_admin_permissions": False}


def test_log_group_exists_before_the_cluster_encrypted_with_the_cluster_key(tf):
    group = by_path(tf, "aws_cloudwatch_log_group", "eks/log-group")
    assert group["name"] == "/aws/eks/vtc-test/cluster"  # the name EKS writes to: it must not create its own
    assert group["retention_in_days"] == 365
    assert group["kms_key_id"] == ref(tf, "aws_kms_key", "eks/key", "arn")
    depends = by_path(tf, "aws_eks_cluster", "cluster")["depends_on"]
    assert ref(tf, "aws_cloudwatch_log_group", "eks/log-group").removeprefix("${").removesuffix(".id}") in depends


def test_key_rotates_and_the_account_always_administers_it(tf):
    assert by_path(tf, "aws_kms_key", "eks/key")["enable_key_rotation"] is True
    admin = next(s for s in statements(tf, "eks/key-policy") if s["sid"] == "AccountAdministration")
    assert admin["actions"] == ["kms:*"]
    assert admin["principals"][0]["identifiers"][0].endswith(":root")


def test_cluster_role_has_only_the_cluster_policy(tf):
    attachments = [a for a in resources(tf, "aws_iam_role_policy_attachment").values()
                   if a["role"] == ref(tf, "aws_iam_role", "cluster-role", "name")]
    assert [a["policy_arn"].rsplit("/", 1)[1] for a in attachments] == ["AmazonEKSClusterPolicy"]
    trust = statements(tf, "cluster-role-assume")[0]
    assert trust["principals"][0]["identifiers"] == ["eks.amazonaws.com"]


def test_admins_get_access_entries_with_cluster_admin(tf):
    entry = by_path(tf, "aws_eks_access_entry", "admin-0")
    assert entry["principal_arn"] == ADMIN and entry["type"] == "STANDARD"
    association = by_path(tf, "aws_eks_access_policy_association", "admin-0-policy")
    assert association["policy_arn"].endswith(":cluster-access-policy/AmazonEKSClusterAdminPolicy")
    assert association["access_scope"] == {"type": "cluster"}


def test_oidc_provider_trusts_sts_for_the_clusters_issuer(tf):
    provider = by_path(tf, "aws_iam_openid_connect_provider", "oidc-provider")
    assert provider["client_id_list"] == ["sts.amazonaws.com"]
    assert provider["url"] == "${aws_eks_cluster." + next(iter(resources(tf, "aws_eks_cluster"))) + \
        ".identity[0].oidc[0].issuer}"


def test_public_endpoint_only_for_listed_cidrs():
    tf, _ = build(dataclasses.replace(PROPS, endpoint_public_access_cidrs=("52.94.76.0/22",)))
    vpc = by_path(tf, "aws_eks_cluster", "cluster")["vpc_config"]
    assert vpc["endpoint_public_access"] is True and vpc["public_access_cidrs"] == ["52.94.76.0/22"]
    assert vpc["endpoint_private_access"] is True


# --- security groups -----------------------------------------------------------------------------------------------

def test_security_group_rules_are_only_what_nodes_and_control_plane_need(tf):
    cluster, node = ref(tf, "aws_security_group", "cluster-sg"), ref(tf, "aws_security_group", "node-sg")
    # (The network's own groups, e.g. its interface endpoints', are the network's tests' business.)
    ingress = {(r["security_group_id"], r.get("referenced_security_group_id"), r["ip_protocol"], r.get("from_port"),
                r.get("to_port")) for r in resources(tf, "aws_vpc_security_group_ingress_rule").values()
               if r["security_group_id"] in (cluster, node)}
    assert ingress == {
        (cluster, node, "tcp", 443, 443),
        (node, cluster, "tcp", 443, 443), (node, cluster, "tcp", 10250, 10250), (node, cluster, "tcp", 4443, 9443),
        (node, node, "-1", None, None),  # issue 12 item 9: pods on any port and protocol (UDP, port 80) across nodes
    }
    assert not [r for r in resources(tf, "aws_vpc_security_group_ingress_rule").values()
                if "cidr_ipv4" in r and r["security_group_id"] in (cluster, node)]
    to_internet = [r for r in resources(tf, "aws_vpc_security_group_egress_rule").values()
                   if "cidr_ipv4" in r and r["security_group_id"] in (cluster, node)]
    assert [(r["security_group_id"], r["cidr_ipv4"], r["from_port"], r["to_port"]) for r in to_internet] == [
        (node, "0.0.0.0/0", 443, 443)]
    assert by_path(tf, "aws_security_group", "node-sg")["tags"]["kubernetes.io/cluster/vtc-test"] == "owned"


# --- nodes ---------------------------------------------------------------------------------------------------------

def test_launch_template_requires_imdsv2_and_encrypts_gp3_root_volumes(tf):
    template = by_path(tf, "aws_launch_template", "general-launch-template")
    assert template["metadata_options"] == {"http_endpoint": "enabled", "http_tokens": "required",
                                            "http_put_response_hop_limit": 1, "instance_metadata_tags": "disabled"}
    (disk,) = template["block_device_mappings"]
    assert disk["ebs"] == {"volume_size": 50, "volume_type": "gp3", "encrypted": "true",
                           "delete_on_termination": "true"}
    assert template["vpc_security_group_ids"] == [ref(tf, "aws_security_group", "node-sg")]


def test_node_group_sizes_types_labels_taints_and_private_subnets(tf):
    group = by_path(tf, "aws_eks_node_group", "general-node-group")
    assert group["scaling_config"] == {"min_size": 2, "desired_size": 3, "max_size": 6}
    assert group["instance_types"] == ["m6i.large"] and group["capacity_type"] == "ON_DEMAND"
    assert group["subnet_ids"] == [ref(tf, "aws_subnet", f"private-{i}") for i in range(3)]
    assert group["labels"] == {"vtc/node-group": "general", "workload": "api"}
    assert group["taint"] == [{"key": "dedicated", "value": "api", "effect": "NO_SCHEDULE"}]
    assert group["launch_template"]["id"] == ref(tf, "aws_launch_template", "general-launch-template")
    assert group["tags"]["k8s.io/cluster-autoscaler/vtc-test"] == "owned"
    assert "lifecycle" not in group  # Terraform owns the desired size; no create_before_destroy (issue 13 item 5)


def test_x86_groups_get_the_x86_ami_and_graviton_groups_the_arm64_ami(tf):
    assert by_path(tf, "aws_eks_node_group", "general-node-group")["ami_type"] == "AL2023_x86_64_STANDARD"
    graviton, _ = build(dataclasses.replace(PROPS, node_groups=(
        NodeGroupProps(name="graviton", instance_types=("m7g.large", "c7g.large")),)))
    assert by_path(graviton, "aws_eks_node_group", "graviton-node-group")["ami_type"] == "AL2023_ARM_64_STANDARD"


def test_autoscaler_owned_group_is_ignored_by_terraform_after_creation(tf):
    group = by_path(tf, "aws_eks_node_group", "spot-node-group")
    assert group["capacity_type"] == "SPOT"
    assert group["lifecycle"]["ignore_changes"] == ["scaling_config[0].desired_size"]


def test_node_role_has_no_cni_policy_the_cni_has_its_own_role(tf):
    attachments = {a["policy_arn"].rsplit("/", 1)[1]: a["role"]
                   for a in resources(tf, "aws_iam_role_policy_attachment").values()
                   if a["policy_arn"].startswith("arn:")}  # AWS managed policies
    assert attachments["AmazonEKSWorkerNodePolicy"] == ref(tf, "aws_iam_role", "node-role", "name")
    assert attachments["AmazonEKS_CNI_Policy"] == ref(tf, "aws_iam_role", "vpc-cni-role", "name")


# --- add-ons and IRSA ----------------------------------------------------------------------------------------------

def test_every_addon_is_installed_pinned_where_asked_with_its_role(tf):
    addons = {a["addon_name"]: a for a in resources(tf, "aws_eks_addon").values()}
    assert set(addons) == {"vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent", "aws-ebs-csi-driver",
                           "amazon-cloudwatch-observability"}  # the six add-ons, written out (issue 16)
    assert addons["vpc-cni"]["addon_version"] == "v1.19.6-eksbuild.1"
    assert "addon_version" not in addons["coredns"]  # not pinned in these props: EKS's default
    assert addons["vpc-cni"]["service_account_role_arn"] == ref(tf, "aws_iam_role", "vpc-cni-role", "arn")
    assert addons["aws-ebs-csi-driver"]["service_account_role_arn"] == ref(tf, "aws_iam_role", "ebs-csi-role", "arn")
    groups = [ref(tf, "aws_eks_node_group", f"{g}-node-group").removeprefix("${").removesuffix(".id}")
              for g in ("general", "spot")]
    assert addons["coredns"]["depends_on"] == groups  # waits for nodes


@pytest.mark.parametrize("role, namespace, account", [
    ("lb-controller-role", "kube-system", "aws-load-balancer-controller"),
    ("autoscaler-role", "kube-system", "cluster-autoscaler"),
    ("external-secrets-role", "external-secrets", "secrets-store-aws"),  # the store's own account, not the controller's
    ("vpc-cni-role", "kube-system", "aws-node"),
    ("ebs-csi-role", "kube-system", "ebs-csi-controller-sa"),
    ("cloudwatch-role", "amazon-cloudwatch", "cloudwatch-agent"),
    ("adot-collector-role", "opentelemetry", "otel-collector"),
    ("fluent-bit-role", "logging", "fluent-bit"),
])
def test_irsa_roles_trust_exactly_one_service_account(tf, role, namespace, account):
    (trust,) = statements(tf, f"{role}-assume")
    assert trust["actions"] == ["sts:AssumeRoleWithWebIdentity"]
    assert trust["principals"] == [{"type": "Federated",
                                    "identifiers": [ref(tf, "aws_iam_openid_connect_provider", "oidc-provider",
                                                        "arn")]}]
    # The exact condition keys and operators: the issuer's host and path with the scheme stripped (a key that keeps
    # "https://" never matches, so no pod could assume the role), then ":sub" and ":aud" (issue 16).
    issuer = ("${replace(" + ref(tf, "aws_iam_openid_connect_provider", "oidc-provider", "url")[2:-1]
              + ', "https://", "")}')
    assert trust["condition"] == [
        {"test": "StringEquals", "variable": f"{issuer}:sub",
         "values": [f"system:serviceaccount:{namespace}:{account}"]},
        {"test": "StringEquals", "variable": f"{issuer}:aud", "values": ["sts.amazonaws.com"]}]


def test_load_balancer_controller_may_only_bind_targets_of_groups_tagged_for_this_cluster(tf):
    # Issue 12 item 9: no security-group edits (Terraform owns the rule admitting the ALB), and target groups are
    # chosen by a tag the edge sets, not by a name that had to start with the cluster's name.
    by_sid = {s["sid"]: s for s in statements(tf, "lb-controller-role-policy-document")}
    assert set(by_sid) == {"Describe", "RegisterTargetsOfTargetGroupsTaggedForThisCluster"}
    assert all(a.split(":")[1].startswith("Describe") for a in by_sid["Describe"]["actions"])
    register = by_sid["RegisterTargetsOfTargetGroupsTaggedForThisCluster"]
    assert register["actions"] == ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"]
    assert register["resources"][0].endswith(":targetgroup/*/*")
    assert register["condition"] == [{"test": "StringEquals", "values": ["vtc-test"],
                                      "variable": "aws:ResourceTag/vtc/target-group-binding-cluster"}]
    every_action = {a for s in by_sid.values() for a in s["actions"]}
    assert not any(a.startswith("ec2:") and not a.startswith("ec2:Describe") for a in every_action)
    assert not any(a.startswith("elasticloadbalancing:Create") or a.startswith("elasticloadbalancing:Delete")
                   for a in every_action)


# --- issue 12: upgrades, ordering, support policy --------------------------------------------------------------------

def test_node_groups_run_the_control_planes_version_and_upgrade_after_it(tf):
    for name in ("general", "spot"):
        group = by_path(tf, "aws_eks_node_group", f"{name}-node-group")
        assert group["version"] == ref(tf, "aws_eks_cluster", "cluster", "version")
        assert "release_version" not in group  # the latest AMI release of that version


def test_an_ami_release_can_be_pinned_per_group_and_must_match_the_kubernetes_version():
    pinned, _ = build(dataclasses.replace(PROPS, node_groups=(
        NodeGroupProps(name="general", release_version="1.33.0-20250704"),)))
    assert by_path(pinned, "aws_eks_node_group", "general-node-group")["release_version"] == "1.33.0-20250704"
    problems = [str(p) for p in dataclasses.replace(PROPS, node_groups=(
        NodeGroupProps(name="a", release_version="1.32.3-20250704"),
        NodeGroupProps(name="b", release_version="latest"))).validate()]
    assert len(problems) == 2, problems
    assert re.match(r"^node_groups\.a\.release_version: AMI of another Kubernetes version \(got '1\.32\.3-20250704'"
                    r"\); allowed: an AMI release of Kubernetes 1\.33 .*fix: raise the AMI release with "
                    r"kubernetes_version", problems[0])
    assert re.match(r"^node_groups\.b\.release_version: not an AMI release \(got 'latest'\)", problems[1])


def test_the_addons_every_node_needs_exist_before_the_first_node(tf):
    addons = {a["addon_name"]: a for a in resources(tf, "aws_eks_addon").values()}
    for name in ("general", "spot"):
        depends = by_path(tf, "aws_eks_node_group", f"{name}-node-group")["depends_on"]
        for addon in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"):
            assert "depends_on" not in addons[addon]
            address = next(f"aws_eks_addon.{k}" for k, v in resources(tf, "aws_eks_addon").items()
                           if v["addon_name"] == addon)
            assert address in depends
    for addon in ("coredns", "aws-ebs-csi-driver", "amazon-cloudwatch-observability"):
        assert all(d.startswith("aws_eks_node_group.") for d in addons[addon]["depends_on"])


def test_the_cluster_stays_on_standard_support_unless_told(tf):
    assert by_path(tf, "aws_eks_cluster", "cluster")["upgrade_policy"] == {"support_type": "STANDARD"}
    extended, _ = build(dataclasses.replace(PROPS, support_type="EXTENDED"))
    assert by_path(extended, "aws_eks_cluster", "cluster")["upgrade_policy"] == {"support_type": "EXTENDED"}
    assert_one_problem(dataclasses.replace(PROPS, support_type="LONG").validate(),
                       r"^support_type: invalid value \(got 'LONG'\); allowed: STANDARD, EXTENDED")


def test_autoscaler_may_scale_only_groups_tagged_for_this_cluster(tf):
    scale = next(s for s in statements(tf, "autoscaler-role-policy-document") if s["sid"] == "ScaleOnlyThisClustersGroups")
    assert scale["condition"] == [{"test": "StringEquals", "variable": "aws:ResourceTag/k8s.io/cluster-autoscaler/vtc-test",
                                   "values": ["owned"]}]


def test_external_secrets_reads_only_this_environments_secrets(tf):
    (read,) = statements(tf, "external-secrets-role-policy-document")
    assert read["resources"][0].endswith(":secret:vtc-test/*")
    assert all(a.startswith("secretsmanager:") and not a.startswith("secretsmanager:Put") for a in read["actions"])


ACCOUNT = ("arn:${data.aws_partition.account-partition.partition}:{service}:${data.aws_region.account-region.name}:"
           "${data.aws_caller_identity.account-caller.account_id}:")


def arn(service: str, resource: str) -> str:
    return ACCOUNT.replace("{service}", service) + resource


def test_external_secrets_reads_exactly_the_prefix_and_nothing_else(tf):
    (read,) = statements(tf, "external-secrets-role-policy-document")
    assert read == {"sid": "ReadThisEnvironmentsSecrets", "resources": [arn("secretsmanager", "secret:vtc-test/*")],
                    "actions": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret",
                                "secretsmanager:ListSecretVersionIds"]}
    other, _ = build(dataclasses.replace(PROPS, secrets_prefix="platform/vtc-test/"))
    (read,) = statements(other, "external-secrets-role-policy-document")
    assert read["resources"] == [arn("secretsmanager", "secret:platform/vtc-test/*")]
    # Without the final "/", "vtc-test" would match another environment's "vtc-test-2/..." secrets.
    assert_one_problem(dataclasses.replace(PROPS, secrets_prefix="vtc-test").validate(),
                       r"^secrets_prefix: invalid value \(got 'vtc-test'\); allowed: .* ending with '/'; fix: use e\.g\. "
                       r"'my-service/': without the final '/'")


# --- issue 14: the add-ons' roles, container logs ---------------------------------------------------------------------

def test_the_collector_may_only_send_traces_to_xray(tf):
    (send,) = statements(tf, "adot-collector-role-policy-document")
    assert send == {"sid": "SendTracesToXRay", "resources": ["*"],
                    "actions": ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                                "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"]}
    role = by_path(tf, "aws_iam_role", "adot-collector-role")
    assert role["name_prefix"] == "vtc-test-adot-collector-role-"
    attachment = by_path(tf, "aws_iam_role_policy_attachment", "adot-collector-role-policy-attachment")
    assert attachment == {**attachment, "role": ref(tf, "aws_iam_role", "adot-collector-role", "name"),
                          "policy_arn": ref(tf, "aws_iam_policy", "adot-collector-role-policy", "arn")}
    # No managed policy: the collector gets these five actions and nothing else.
    assert [a["policy_arn"] for a in resources(tf, "aws_iam_role_policy_attachment").values()
            if a["role"] == attachment["role"]] == [attachment["policy_arn"]]


def test_container_log_groups_are_terraforms_encrypted_with_their_own_key_and_kept_as_long_as_the_control_plane(tf):
    key = ref(tf, "aws_kms_key", "container-logs-key", "arn")
    for kind in ("application", "add-ons"):
        group = by_path(tf, "aws_cloudwatch_log_group", f"container-log-group-{kind}")
        assert (group["name"], group["kms_key_id"], group["retention_in_days"]) == (
            f"/aws/eks/vtc-test/containers/{kind}", key, 365)
    assert by_path(tf, "aws_kms_key", "container-logs-key")["enable_key_rotation"] is True
    assert by_path(tf, "aws_kms_alias", "container-logs-key-alias")["name"] == "alias/vtc-test-eks-containers"
    by_sid = {s["sid"]: s for s in statements(tf, "container-logs-key-policy")}
    assert set(by_sid) == {"AccountAdministration", "CloudWatchLogsThisLogGroup"}
    logs = by_sid["CloudWatchLogsThisLogGroup"]
    assert logs["principals"] == [{"type": "Service", "identifiers": ["logs.${data.aws_region.account-region.name}"
                                                                     ".amazonaws.com"]}]
    assert logs["condition"] == [{"test": "ArnEquals", "variable": "kms:EncryptionContext:aws:logs:arn", "values": [
        arn("logs", "log-group:/aws/eks/vtc-test/containers/application"),
        arn("logs", "log-group:/aws/eks/vtc-test/containers/add-ons")]}]
    # The secrets key stays the control plane's alone.
    (control_plane,) = [s for s in statements(tf, "key-policy") if s["sid"] == "CloudWatchLogsThisLogGroup"]
    assert control_plane["condition"][0]["values"] == [arn("logs", "log-group:/aws/eks/vtc-test/cluster")]


def test_the_ebs_key_is_the_csi_drivers_through_ec2_only_and_grants_only_for_aws_resources(tf):
    """Issue 26: the StorageClass's volumes encrypted with the platform's key. The EBS CSI driver's role may use it
    only through EC2 in the cluster's region (kms:ViaService) and create grants only for attached AWS resources;
    nobody else but the account's administration is named."""
    key = by_path(tf, "aws_kms_key", "ebs-key")
    assert key["enable_key_rotation"] is True and "data.aws_iam_policy_document.eks_ebs-key-policy_" in key["policy"]
    assert by_path(tf, "aws_kms_alias", "ebs-key-alias")["name"] == "alias/vtc-test-ebs"
    by_sid = {s["sid"]: s for s in statements(tf, "ebs-key-policy")}
    assert set(by_sid) == {"AccountAdministration", "EbsCsiDriverThroughEc2", "EbsCsiDriverGrantsForAttachedVolumes"}
    csi = [{"type": "AWS", "identifiers": [ref(tf, "aws_iam_role", "ebs-csi-role", "arn")]}]
    through_ec2 = [
        {"test": "StringEquals", "variable": "kms:ViaService",
         "values": ["ec2.${data.aws_region.account-region.name}.amazonaws.com"]},
        {"test": "StringEquals", "variable": "kms:CallerAccount",
         "values": ["${data.aws_caller_identity.account-caller.account_id}"]}]
    use, grants = by_sid["EbsCsiDriverThroughEc2"], by_sid["EbsCsiDriverGrantsForAttachedVolumes"]
    assert (use["principals"], use["condition"], use["resources"]) == (csi, through_ec2, ["*"])
    assert use["actions"] == ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                              "kms:DescribeKey"]
    assert (grants["principals"], grants["resources"]) == (csi, ["*"])
    assert grants["actions"] == ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
    assert grants["condition"] == [*through_ec2, {"test": "Bool", "variable": "kms:GrantIsForAWSResource",
                                                  "values": ["true"]}]


def test_container_log_retention_comes_from_props():
    changed, _ = build(dataclasses.replace(PROPS, log_retention_days=90, container_log_retention_days=30))
    assert by_path(changed, "aws_cloudwatch_log_group", "log-group")["retention_in_days"] == 90
    for kind in ("application", "add-ons"):
        assert by_path(changed, "aws_cloudwatch_log_group", f"container-log-group-{kind}")["retention_in_days"] == 30
    default, _ = build(dataclasses.replace(PROPS, log_retention_days=90))
    assert by_path(default, "aws_cloudwatch_log_group", "container-log-group-application")["retention_in_days"] == 90


def test_fluent_bit_may_only_write_streams_of_the_container_log_groups(tf):
    by_sid = {s["sid"]: s for s in statements(tf, "fluent-bit-role-policy-document")}
    assert by_sid == {
        "StreamsOfTheContainerLogGroups": {
            "sid": "StreamsOfTheContainerLogGroups", "actions": ["logs:CreateLogStream", "logs:DescribeLogStreams"],
            "resources": [arn("logs", "log-group:/aws/eks/vtc-test/containers/application"),
                          arn("logs", "log-group:/aws/eks/vtc-test/containers/application:*"),
                          arn("logs", "log-group:/aws/eks/vtc-test/containers/add-ons"),
                          arn("logs", "log-group:/aws/eks/vtc-test/containers/add-ons:*")]},
        "WriteToTheContainerLogGroups": {
            "sid": "WriteToTheContainerLogGroups", "actions": ["logs:PutLogEvents"],
            "resources": [arn("logs", "log-group:/aws/eks/vtc-test/containers/application:log-stream:*"),
                          arn("logs", "log-group:/aws/eks/vtc-test/containers/add-ons:log-stream:*")]}}
    # It creates no log group (so none escapes Terraform's key and retention) and changes none.
    every_action = {a for s in by_sid.values() for a in s["actions"]}
    assert not every_action & {"logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
                               "logs:AssociateKmsKey", "logs:DisassociateKmsKey"}


def test_an_irsa_role_may_trust_several_service_accounts_of_one_namespace_and_no_other():
    captured = {}

    def build_in(scope):
        network = Network(scope, "network", NETWORK)
        eks = EksCluster(scope, "eks", dataclasses.replace(PROPS, network=network.cluster_network()))
        eks.irsa_role("two-role", "apps", ("a", "b"))
        with pytest.raises(ValueError, match=r"give each service account once, at least one \(got \['a', 'a'\]\)"):
            eks.irsa_role("twice-role", "apps", ("a", "a"))
        with pytest.raises(ValueError, match=r"at least one"):
            eks.irsa_role("none-role", "apps", ())
        captured["eks"] = eks

    tf = synth(build_in)
    (trust,) = statements(tf, "two-role-assume")
    issuer = "${replace(" + ref(tf, "aws_iam_openid_connect_provider", "oidc-provider", "url")[2:-1] + \
        ', "https://", "")}'
    assert trust["condition"] == [
        {"test": "StringEquals", "variable": f"{issuer}:sub",
         "values": ["system:serviceaccount:apps:a", "system:serviceaccount:apps:b"]},
        {"test": "StringEquals", "variable": f"{issuer}:aud", "values": ["sts.amazonaws.com"]}]
    assert "two-role-policy" not in str([r["//"]["metadata"]["path"] for r in resources(tf, "aws_iam_policy").values()])


def test_the_add_on_service_accounts_are_those_the_workloads_expect():
    from vtc_constructs.eks import ADOT_COLLECTOR_SERVICE_ACCOUNT, FLUENT_BIT_SERVICE_ACCOUNT
    from vtc_constructs.workloads import WorkloadsProps

    assert ADOT_COLLECTOR_SERVICE_ACCOUNT == ("opentelemetry", "otel-collector")
    assert FLUENT_BIT_SERVICE_ACCOUNT == ("logging", "fluent-bit")
    defaults = {f.name: f.default for f in dataclasses.fields(WorkloadsProps)}
    assert (defaults["collector_namespace"], defaults["collector_release"]) == ADOT_COLLECTOR_SERVICE_ACCOUNT


def test_typed_outputs_resolve_to_the_resources():
    """Each typed output references the right attribute of the right resource (issue 16), reference by reference."""
    names = ("cluster_name", "cluster_arn", "cluster_endpoint", "cluster_certificate_authority_data",
             "cluster_oidc_issuer_url", "oidc_provider_arn", "cluster_security_group_id", "node_security_group_id",
             "node_role_arn", "load_balancer_controller_role_arn", "cluster_autoscaler_role_arn",
             "external_secrets_role_arn", "adot_collector_role_arn", "fluent_bit_role_arn", "container_log_key_arn",
             "container_log_group_names")

    def build_in(scope):
        network = Network(scope, "network", NETWORK)
        eks = EksCluster(scope, "eks", dataclasses.replace(PROPS, network=network.cluster_network()))
        return {name: getattr(eks, name) for name in names}

    tf, out = synth_outputs(build_in)
    cluster = ref(tf, "aws_eks_cluster", "eks/cluster", "")[:-1]  # "${aws_eks_cluster.<id>."
    assert out == {
        "cluster_name": cluster + "name}",
        "cluster_arn": cluster + "arn}",
        "cluster_endpoint": cluster + "endpoint}",
        "cluster_certificate_authority_data": cluster + "certificate_authority[0].data}",
        "cluster_oidc_issuer_url": cluster + "identity[0].oidc[0].issuer}",
        "oidc_provider_arn": ref(tf, "aws_iam_openid_connect_provider", "eks/oidc-provider", "arn"),
        "cluster_security_group_id": ref(tf, "aws_security_group", "eks/cluster-sg"),
        "node_security_group_id": ref(tf, "aws_security_group", "eks/node-sg"),
        "node_role_arn": ref(tf, "aws_iam_role", "eks/node-role", "arn"),
        "load_balancer_controller_role_arn": ref(tf, "aws_iam_role", "eks/lb-controller-role", "arn"),
        "cluster_autoscaler_role_arn": ref(tf, "aws_iam_role", "eks/autoscaler-role", "arn"),
        "external_secrets_role_arn": ref(tf, "aws_iam_role", "eks/external-secrets-role", "arn"),
        "adot_collector_role_arn": ref(tf, "aws_iam_role", "eks/adot-collector-role", "arn"),
        "fluent_bit_role_arn": ref(tf, "aws_iam_role", "eks/fluent-bit-role", "arn"),
        "container_log_key_arn": ref(tf, "aws_kms_key", "eks/container-logs-key", "arn"),
        "container_log_group_names": {
            kind: ref(tf, "aws_cloudwatch_log_group", f"eks/container-log-group-{kind}", "name")
            for kind in ("application", "add-ons")},
    }


# --- validation: every branch ------------------------------------------------------------------------------------------

def problems_of(props: EksClusterProps) -> list[str]:
    return [str(p) for p in props.validate()]


def group(**changes) -> EksClusterProps:
    return dataclasses.replace(PROPS, node_groups=(dataclasses.replace(PROPS.node_groups[0], **changes),))


def test_valid_props_have_no_problem():
    assert problems_of(PROPS) == []


@pytest.mark.parametrize("props, expected", [
    (dataclasses.replace(PROPS, name="Bad_Name"), r"^name: invalid value \(got 'Bad_Name'\)"),
    (dataclasses.replace(PROPS, kubernetes_version="1.25"), r"^kubernetes_version: unsupported Kubernetes version "
                                                             r"\(got '1\.25'\); allowed: 1\.3\d, 1\.3\d"),
    (dataclasses.replace(PROPS, network=dataclasses.replace(PLANNED, dns_hostnames=False)),
     r"^network\.dns_support: private endpoint without VPC DNS .*fix: enable DNS support and DNS hostnames"),
    (dataclasses.replace(PROPS, network=dataclasses.replace(PLANNED, subnets_have_nat_route=False)),
     r"^network\.subnets_have_nat_route: nodes cannot reach AWS \(got False\).*add endpoints for ec2, ecr\.api"),
    (dataclasses.replace(PROPS, network=dataclasses.replace(PLANNED, subnet_ids=("subnet-a",))),
     r"^network\.subnet_ids: too few subnets"),
    (dataclasses.replace(PROPS, node_groups=()), r"^node_groups: no nodes \(got \[\]\)"),
    (dataclasses.replace(PROPS, node_groups=(PROPS.node_groups[0], PROPS.node_groups[0])),
     r"^node_groups: repeated node group .*rename one of the 'general' groups"),
    (dataclasses.replace(PROPS, admin_principal_arns=("admins",)), r"^admin_principal_arns\[0\]: not an IAM principal "
                                                                   r"ARN \(got 'admins'\); allowed: an IAM role or user ARN"),
    (dataclasses.replace(PROPS, endpoint_public_access_cidrs=("0.0.0.0/0",)),
     r"^endpoint_public_access_cidrs\[0\]: endpoint open to the internet \(got '0\.0\.0\.0/0'\)"),
    (dataclasses.replace(PROPS, endpoint_public_access_cidrs=("10.0.0.1/24",)),
     r"^endpoint_public_access_cidrs\[0\]: malformed CIDR"),
    (dataclasses.replace(PROPS, control_plane_log_types=("api", "kubelet")),
     r"^control_plane_log_types: invalid value \(got \['api', 'kubelet'\]\)"),
    (dataclasses.replace(PROPS, control_plane_log_types=()), r"^control_plane_log_types: invalid value \(got \[\]\)"),
    (dataclasses.replace(PROPS, log_retention_days=42), r"^log_retention_days: invalid value \(got 42\)"),
    (dataclasses.replace(PROPS, addon_versions={"istio": "v1.0.0-eksbuild.1"}), r"^addon_versions\.istio: unknown "
                                                                                r"add-on"),
    (dataclasses.replace(PROPS, addon_versions={"coredns": "1.11"}), r"^addon_versions\.coredns: invalid add-on version "
                                                                     r"\(got '1\.11'\); allowed: an EKS add-on version"),
    (group(name="General Nodes"), r"^node_groups\.General Nodes\.name: invalid value"),
    (group(instance_types=()), r"^node_groups\.general\.instance_types: no instance type \(got \[\]\)"),
    (group(instance_types=("large",)), r"^node_groups\.general\.instance_types\[0\]: unknown instance type "
                                       r"\(got 'large'\).*fix: correct the type's name$"),
    (group(capacity_type="RESERVED"), r"^node_groups\.general\.capacity_type: invalid value \(got 'RESERVED'\)"),
    (group(desired_size_owner="karpenter"), r"^node_groups\.general\.desired_size_owner: invalid value"),
    (group(min_size=4, desired_size=3, max_size=6), r"^node_groups\.general\.desired_size: sizes out of order "
                                                    r"\(got \{'min_size': 4, 'desired_size': 3, 'max_size': 6\}\); "
                                                    r"allowed: min_size <= desired_size <= max_size"),
    (group(min_size=-1), r"^node_groups\.general\.min_size: invalid value \(got -1\)"),
    (group(min_size=0, desired_size=0, max_size=0), r"^node_groups\.general\.max_size: invalid value \(got 0\); "
                                                    r"allowed: >= 1"),
    (group(disk_size_gib=8), r"^node_groups\.general\.disk_size_gib: invalid value \(got 8\); allowed: 20 to 16384"),
    (group(labels={"kubernetes.io/role": "x"}), r"^node_groups\.general\.labels\.kubernetes\.io/role: invalid value"),
    (group(taints=(Taint(key="a", effect="NoSchedule"),)), r"^node_groups\.general\.taints\[0\]\.effect: invalid "
                                                           r"value \(got 'NoSchedule'\)"),
    (group(taints=(Taint(key="bad key"),)), r"^node_groups\.general\.taints\[0\]\.key: invalid value"),
    (group(taints=(Taint(key="dedicated", value="a b"),)),
     r"^node_groups\.general\.taints\[0\]\.value: invalid value \(got 'a b'\).*fix: correct the taint's value$"),
    (group(taints=("dedicated=api:NoSchedule",)),
     r"^node_groups\.general\.taints\[0\]: not a taint .*fix: build the taint with vtc_constructs\.Taint$"),
    (group(labels={"workload": "a b"}), r"^node_groups\.general\.labels\.workload: invalid value \(got 'a b'\)"),
    (group(labels=["workload"]), r"^node_groups\.general\.labels: not a table \(got \['workload'\]\)"),
    (group(instance_types=("m6i.large", "m7g.large")),
     r"^node_groups\.general\.instance_types: mixed architectures \(got \['m6i\.large', 'm7g\.large'\]\); allowed: "
     r"instance types of one architecture \(x86_64 or arm64\); fix: split the group in two: arm64: m7g\.large and "
     r"x86_64: m6i\.large$"),
    (group(instance_types=("m6i.large", "m6i.giant")),
     r"^node_groups\.general\.instance_types\[1\]: unknown instance type \(got 'm6i\.giant'\)"),
    (group(desired_size=3.0), r"^node_groups\.general\.desired_size: invalid value \(got 3\.0\); allowed: a whole "),
    (dataclasses.replace(PROPS, node_groups=(PROPS.node_groups[0], "spot")),
     r"^node_groups\[1\]: not a node group \(got 'spot'\).*fix: build each group with vtc_constructs\.NodeGroupProps$"),
    (dataclasses.replace(PROPS, network={"vpc_id": "vpc-1"}),
     r"^network: not a ClusterNetwork \(got \{'vpc_id': 'vpc-1'\}\).*fix: pass network\.cluster_network\(\)$"),
    (dataclasses.replace(PROPS, network=dataclasses.replace(PLANNED, subnet_ids="subnet-a")),
     r"^network\.subnet_ids: not a list \(got 'subnet-a'\).*fix: wrap it in a list: \['subnet-a'\]$"),
    (dataclasses.replace(PROPS, admin_principal_arns=("arn:aws:sts::111122223333:assumed-role/platform-admin/alice",)),
     r"^admin_principal_arns\[0\]: assumed-role session ARN \(got 'arn:aws:sts::111122223333:assumed-role/"
     r"platform-admin/alice'\); allowed: an IAM role or user ARN; fix: use the role's ARN, "
     r"'arn:aws:iam::111122223333:role/platform-admin'"),
    (dataclasses.replace(PROPS, admin_principal_arns=(ADMIN, ADMIN)),
     r"^admin_principal_arns\[1\]: repeated principal .*fix: remove the repeat of admin_principal_arns\[0\]$"),
    (dataclasses.replace(PROPS, endpoint_public_access_cidrs=("0.0.0.0/1", "52.94.76.0/22")),
     r"^endpoint_public_access_cidrs\[0\]: range too broad \(got '0\.0\.0\.0/1'\); allowed: specific public ranges "
     r"\(office, VPN\), /16 or narrower"),
    (dataclasses.replace(PROPS, endpoint_public_access_cidrs=("0.0.0.0/0.0.0.0",)),
     r"^endpoint_public_access_cidrs\[0\]: endpoint open to the internet"),
    (dataclasses.replace(PROPS, endpoint_public_access_cidrs=("192.168.10.0/24",)),
     r"^endpoint_public_access_cidrs\[0\]: private range on a public endpoint \(got '192\.168\.10\.0/24'\).*fix: a "
     r"public endpoint sees only public source addresses"),
    (dataclasses.replace(PROPS, endpoint_public_access_cidrs=tuple(f"52.94.{i}.0/24" for i in range(41))),
     r"^endpoint_public_access_cidrs: too many CIDRs \(got '41 CIDRs'\); allowed: at most 40 \(EKS's quota\)"),
    (dataclasses.replace(PROPS, addon_versions={"kube-proxy": "v1.32.6-eksbuild.2"}),
     r"^addon_versions\.kube-proxy: add-on built for another Kubernetes version \(got 'v1\.32\.6-eksbuild\.2'\).*fix: "
     r"pin the kube-proxy built for 1\.33"),
    (dataclasses.replace(PROPS, addon_versions={"coredns": "v1.11.4-eksbuild.24"}),
     r"^addon_versions\.coredns: add-on built for another Kubernetes version .*allowed: CoreDNS v1\.12\.x or v1\.13\.x or v1\.14\.x"),
    (dataclasses.replace(PROPS, addon_versions=["vpc-cni"]), r"^addon_versions: not a table \(got \['vpc-cni'\]\)"),
    (dataclasses.replace(PROPS, log_retention_days=365.0), r"^log_retention_days: invalid value \(got 365\.0\)"),
    (dataclasses.replace(PROPS, secrets_prefix="my prefix"), r"^secrets_prefix: invalid value \(got 'my prefix'\)"),
    (dataclasses.replace(PROPS, container_log_retention_days=100),
     r"^container_log_retention_days: invalid value \(got 100\); allowed: one of CloudWatch's retention values "
     r"\[1, 3, 5, .*\]; fix: pick the nearest allowed value, or leave it out"),
    (dataclasses.replace(PROPS, container_log_retention_days=True),
     r"^container_log_retention_days: invalid value \(got True\)"),
    (dataclasses.replace(PROPS, control_plane_log_types=("api", "api")),
     r"^control_plane_log_types: invalid value \(got \['api', 'api'\]\)"),
])
def test_each_invalid_field_is_reported(props, expected):
    assert_one_problem(props.validate(), expected)


@pytest.mark.parametrize("props", [
    dataclasses.replace(PROPS, endpoint_public_access_cidrs=("52.94.76.0/22", "3.5.140.0/22", "18.0.0.0/16")),
    dataclasses.replace(PROPS, admin_principal_arns=("arn:aws:iam::111122223333:role/teams/platform/admin",
                                                     "arn:aws:iam::111122223333:user/alice")),
    dataclasses.replace(PROPS, addon_versions={"kube-proxy": "v1.33.0-eksbuild.2", "coredns": "v1.12.1-eksbuild.2"}),
    group(instance_types=["m7g.large", "c7g.xlarge"], capacity_type="SPOT", desired_size_owner="autoscaler",
          taints=[Taint(key="dedicated", effect="NO_EXECUTE")]),
])
def test_valid_variants_have_no_problem(props):
    assert problems_of(props) == []


def test_an_unsupported_kubernetes_version_is_one_problem_not_one_per_add_on():
    props = dataclasses.replace(PROPS, kubernetes_version="1.40", addon_versions={"kube-proxy": "v1.33.0-eksbuild.2"})
    assert_one_problem(props.validate(), r"^kubernetes_version: unsupported Kubernetes version \(got '1\.40'\)")


def test_every_problem_at_once_with_the_construct_id_in_front():
    bad = dataclasses.replace(PROPS, kubernetes_version="1.20", log_retention_days=1,
                              node_groups=(dataclasses.replace(PROPS.node_groups[0], max_size=1),))
    with pytest.raises(ConfigError) as raised:
        synth(lambda s: EksCluster(s, "eks", bad))
    assert [p.path for p in raised.value.problems] == ["eks.kubernetes_version", "eks.node_groups.general.desired_size"]
