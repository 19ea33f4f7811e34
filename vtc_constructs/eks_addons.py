"""What runs on an :class:`~vtc_constructs.eks.EksCluster` and what it may do in AWS: the EKS managed add-ons (which
go before the nodes, their settings), the add-on releases' service accounts and IRSA roles, the container log groups
Fluent Bit writes to, and the EBS CSI driver's volume key. Every name here is also importable from
``vtc_constructs.eks``, where it was until issue 27 (kept for existing imports; new code imports it from
``vtc_constructs`` or this module).

IRSA roles for the add-on releases (issue 14), each trusting exactly one service account (``:sub`` and ``:aud``,
StringEquals): the AWS Load Balancer Controller (register targets of target groups tagged for this cluster), the
cluster autoscaler (scale this cluster's groups), external-secrets (read ``<secrets_prefix>*``, by default
``<name>/*``), the OpenTelemetry collector (:data:`ADOT_COLLECTOR_SERVICE_ACCOUNT`: X-Ray's five write and sampling
actions) and Fluent Bit (:data:`FLUENT_BIT_SERVICE_ACCOUNT`: log streams and events of the container log groups
only). The container log groups (:data:`CONTAINER_LOG_GROUPS`, ``/aws/eks/<name>/containers/<kind>``) are
Terraform's: encrypted with a key of their own that CloudWatch Logs may use for those groups only, kept
``container_log_retention_days``. The EBS CSI driver's volumes get a key of their own
(:attr:`~vtc_constructs.eks.EksCluster.ebs_kms_key_arn`, the StorageClass's ``kmsKeyId``), which the driver's role may
use only through EC2. :func:`irsa_role_problems` checks what :meth:`~vtc_constructs.eks.EksCluster.irsa_role` is given
(Kubernetes names, AWS managed policies).

Usage (:class:`~vtc_constructs.eks.EksCluster` does this, in its own scope: every construct ID and path is the one it
had when this code was part of ``eks.py``, ``<eks>/fluent-bit-role``, ``<eks>/addon-vpc-cni``, ...)::

    roles = add_addon_roles(cluster.irsa_role, account=account, name="vtc-staging", secrets_prefix=None,
                            container_log_groups=["/aws/eks/vtc-staging/containers/application", ...], tags=tags)
    ebs_key = add_ebs_key(cluster, account=account, name="vtc-staging", csi_role_arn=roles.ebs_csi.arn, tags=tags)
    add_managed_addons(cluster, BEFORE_NODES, cluster_name=..., versions={}, roles=roles, tags=tags, depends_on=None)
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from constructs import Construct

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.eks_addon import EksAddon
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.kms_key import KmsKey

from ._common import Account, Statement, account_admin_statement, kms_key, logs_statement, policy_document
from .errors import Problem, is_reference, not_a_list, token_kind, unresolved_problem
from .workload_inputs import is_dns_label, is_dns_subdomain
from .cluster_config import SECRETS_STORE_SERVICE_ACCOUNT
from .namespaces import COLLECTOR_NAMESPACE, COLLECTOR_RELEASE

#: The add-ons installed before the node groups: DaemonSets every node needs before its first pod runs (pod
#: networking, service routing, pod identity). The others (CoreDNS, the EBS CSI controller, the CloudWatch agent)
#: run as pods and are installed once nodes exist. Ref: terraform-aws-modules/eks ``before_compute``.
BEFORE_NODES = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")

#: The tag that lets this cluster's AWS Load Balancer Controller register pods into a target group; its value is the
#: cluster's name. :class:`~vtc_constructs.edge.Edge` tags its target groups with it
#: (``EdgeProps.target_group_binding_cluster``).
TARGET_GROUP_BINDING_TAG = "vtc/target-group-binding-cluster"

#: Where the add-on releases of the workloads stack run, and the service accounts their IRSA roles trust (exactly
#: one each): the releases must set ``serviceAccount.name`` (and the namespace) to these.
#: ``opentelemetry/otel-collector`` matches :class:`~vtc_constructs.workloads.WorkloadsProps`' defaults
#: ``collector_namespace`` and ``collector_release``.
ADOT_COLLECTOR_SERVICE_ACCOUNT = (COLLECTOR_NAMESPACE, COLLECTOR_RELEASE)
#: The EKS add-ons' configuration values, where a default would weaken the platform.
ADDON_CONFIGURATION: Mapping[str, Mapping[str, Any]] = {
    "vpc-cni": {"enableNetworkPolicy": "true"},
    "amazon-cloudwatch-observability": {"containerLogs": {"enabled": False}},
}
FLUENT_BIT_SERVICE_ACCOUNT = ("logging", "fluent-bit")
#: Jaeger v2 (traces beside X-Ray, stored in the platform's OpenSearch domain) and the Job that sets the domain up
#: (index lifecycle, security-plugin roles and their mappings) before anything writes: the IRSA roles
#: :class:`~vtc_constructs.platform.VisionToCodePlatform` makes when it has a search domain trust these.
JAEGER_SERVICE_ACCOUNT = ("tracing", "jaeger")
SEARCH_ADMIN_SERVICE_ACCOUNT = ("logging", "search-admin")

#: The log groups Fluent Bit writes container logs to, each ``/aws/eks/<cluster>/containers/<kind>``: ``application``
#: for the services' pods, ``add-ons`` for every other pod (NGINX, Prometheus, the controllers). Terraform
#: makes them (KMS-encrypted, with retention); Fluent Bit may not create groups, so none escapes either.
CONTAINER_LOG_GROUPS = ("application", "add-ons")

#: What the EBS CSI driver's role may do with the volumes' key, through EC2 only (``kms:ViaService``): AWS's KMS
#: policy for the driver, with grants limited to AWS resources. Ref: https://docs.aws.amazon.com/eks/latest/userguide/
#: ebs-csi.html ("If you use a custom KMS key")
EBS_KEY_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey")
EBS_KEY_GRANT_ACTIONS = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")

#: The X-Ray actions an OpenTelemetry collector's ``awsxray`` exporter and sampler call: exactly those of AWS's
#: ``AWSXRayDaemonWriteAccess`` managed policy, written out here so that a change of that policy changes nothing.
#: X-Ray has no resource-level permissions for them. Ref:
#: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
XRAY_WRITE_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                      "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries")


# --- the add-on releases' roles --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AddonRoles:
    """The IRSA role of every add-on (:func:`add_addon_roles`); :class:`~vtc_constructs.eks.EksCluster` keeps each as
    its ``<field>_role`` attribute (``load_balancer_controller_role``, ...)."""

    load_balancer_controller: IamRole
    cluster_autoscaler: IamRole
    adot_collector: IamRole
    fluent_bit: IamRole
    external_secrets: IamRole
    vpc_cni: IamRole
    ebs_csi: IamRole
    cloudwatch: IamRole

    def of_managed_addons(self) -> dict[str, IamRole]:
        """The role of each EKS managed add-on that takes one (the others use none)."""
        return {"vpc-cni": self.vpc_cni, "aws-ebs-csi-driver": self.ebs_csi,
                "amazon-cloudwatch-observability": self.cloudwatch}


def add_addon_roles(irsa_role: Callable[..., IamRole], *, account: Account, name: str, secrets_prefix: str | None,
                    container_log_groups: Sequence[str], tags: Mapping[str, str]) -> AddonRoles:
    """Every add-on's role, each made by ``irsa_role`` (:meth:`~vtc_constructs.eks.EksCluster.irsa_role`: trusting
    exactly its service account), in this order: their construct IDs are the ones below."""
    # The ALB, its target groups and the node security group's rule admitting the ALB are Terraform's (the edge
    # construct); the controller only registers pods into target groups (TargetGroupBinding, without its
    # ``networking`` section). It creates no load balancer and edits no security group. Which target groups: those
    # tagged for this cluster (TARGET_GROUP_BINDING_TAG), whatever their names: the edge sets the tag.
    load_balancer_controller = irsa_role(
        "lb-controller-role", "kube-system", "aws-load-balancer-controller", tags=tags, statements=[
            Statement(sid="Describe", resources=["*"], actions=[
                "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeTags", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
                "ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeNetworkInterfaces"]),
            Statement(sid="RegisterTargetsOfTargetGroupsTaggedForThisCluster",
                      actions=["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
                      resources=[account.arn("elasticloadbalancing", "targetgroup/*/*")],
                      conditions=[("StringEquals", f"aws:ResourceTag/{TARGET_GROUP_BINDING_TAG}", [name])]),
        ])
    cluster_autoscaler = irsa_role(
        "autoscaler-role", "kube-system", "cluster-autoscaler", tags=tags, statements=[
            Statement(sid="Describe", resources=["*"], actions=[
                "autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeScalingActivities",
                "ec2:DescribeImages", "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplateVersions",
                "ec2:GetInstanceTypesFromInstanceRequirements"]),
            Statement(sid="DescribeThisClustersNodeGroups", actions=["eks:DescribeNodegroup"],
                      resources=[account.arn("eks", f"nodegroup/{name}/*")]),
            Statement(sid="ScaleOnlyThisClustersGroups",
                      actions=["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                      resources=[account.arn("autoscaling", "autoScalingGroup:*:autoScalingGroupName/*")],
                      conditions=[("StringEquals", f"aws:ResourceTag/k8s.io/cluster-autoscaler/{name}",
                                   ["owned"])]),
        ])
    # The OpenTelemetry collector (ADOT) sends traces to X-Ray and asks it for sampling rules; nothing else.
    adot_collector = irsa_role(
        "adot-collector-role", *ADOT_COLLECTOR_SERVICE_ACCOUNT, tags=tags, statements=[
            Statement(sid="SendTracesToXRay", actions=list(XRAY_WRITE_ACTIONS), resources=["*"])])
    # Fluent Bit writes into the groups Terraform made (never creates one, never changes retention or the key).
    # Ref: https://docs.fluentbit.io/manual/pipeline/outputs/cloudwatch (auto_create_group off)
    groups = list(container_log_groups)
    fluent_bit = irsa_role(
        "fluent-bit-role", *FLUENT_BIT_SERVICE_ACCOUNT, tags=tags, statements=[
            Statement(sid="StreamsOfTheContainerLogGroups",
                      actions=["logs:CreateLogStream", "logs:DescribeLogStreams"],
                      # The group's ARN in both forms IAM may be asked about: with and without ":*".
                      resources=[arn for group in groups for arn in (
                          account.arn("logs", f"log-group:{group}"), account.arn("logs", f"log-group:{group}:*"))]),
            Statement(sid="WriteToTheContainerLogGroups", actions=["logs:PutLogEvents"],
                      resources=[account.arn("logs", f"log-group:{group}:log-stream:*") for group in groups])])
    # Only this environment's secrets: the prefix ends with "/" (validated), so "vtc-staging/" cannot match
    # another environment's "vtc-staging-2/..." names.
    prefix = secrets_prefix or f"{name}/"
    # Trusted by the ClusterSecretStore's own service account only, not the controller's (a SecretStore without
    # auth would fall back to the controller's identity: issue 26). Same construct ID: the role is updated in place.
    external_secrets = irsa_role(
        "external-secrets-role", *SECRETS_STORE_SERVICE_ACCOUNT, tags=tags, statements=[
            Statement(sid="ReadThisEnvironmentsSecrets",
                      actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret",
                               "secretsmanager:ListSecretVersionIds"],
                      resources=[account.arn("secretsmanager", f"secret:{prefix}*")]),
        ])
    vpc_cni = irsa_role("vpc-cni-role", "kube-system", "aws-node", tags=tags, managed=["AmazonEKS_CNI_Policy"])
    ebs_csi = irsa_role("ebs-csi-role", "kube-system", "ebs-csi-controller-sa", tags=tags,
                        managed=["service-role/AmazonEBSCSIDriverPolicy"])
    cloudwatch = irsa_role("cloudwatch-role", "amazon-cloudwatch", "cloudwatch-agent", tags=tags,
                           managed=["CloudWatchAgentServerPolicy"])
    return AddonRoles(load_balancer_controller=load_balancer_controller, cluster_autoscaler=cluster_autoscaler,
                      adot_collector=adot_collector, fluent_bit=fluent_bit, external_secrets=external_secrets,
                      vpc_cni=vpc_cni, ebs_csi=ebs_csi, cloudwatch=cloudwatch)


# --- what the add-ons write to: container log groups, the volumes' key -----------------------------------------------

def add_container_log_groups(scope: Construct, *, account: Account, name: str, group_names: Mapping[str, str],
                             retention_in_days: int, tags: Mapping[str, str]
                             ) -> tuple[KmsKey, dict[str, CloudwatchLogGroup]]:
    """The log groups Fluent Bit ships container logs to (``group_names``: by kind), encrypted with a key of their
    own whose policy lets CloudWatch Logs use it for exactly these groups (not the secrets key: application logs and
    Kubernetes secrets do not share a key); made in ``scope``. Returns the key and the groups by kind."""
    names = list(group_names.values())
    key_policy = policy_document(scope, "container-logs-key-policy", account_admin_statement(account),
                                 logs_statement(account, names))
    key = kms_key(scope, "container-logs-key", description=f"{name} EKS container logs",
                  alias=f"{name}-eks-containers", policy=key_policy, tags=tags)
    return key, {kind: CloudwatchLogGroup(scope, f"container-log-group-{kind}", name=group,
                                          retention_in_days=retention_in_days, kms_key_id=key.arn, tags=tags)
                 for kind, group in group_names.items()}


def add_ebs_key(scope: Construct, *, account: Account, name: str, csi_role_arn: str, tags: Mapping[str, str]) -> KmsKey:
    """The key of the volumes the EBS CSI driver makes (the StorageClass's ``kmsKeyId``), made in ``scope``: the
    driver's role may use it only through EC2 (``kms:ViaService``), and create grants only for AWS resources (the
    attached volume's grant to the instance). Not the secrets key: volumes and Kubernetes secrets do not share a key.
    Ref: https://docs.aws.amazon.com/eks/latest/userguide/ebs-csi.html (the KMS policy for encrypted volumes);
    https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service"""
    through_ec2 = [("StringEquals", "kms:ViaService", [f"ec2.{account.region}.amazonaws.com"]),
                   ("StringEquals", "kms:CallerAccount", [account.id])]
    csi = {"AWS": [csi_role_arn]}
    key_policy = policy_document(
        scope, "ebs-key-policy", account_admin_statement(account),
        Statement(sid="EbsCsiDriverThroughEc2", actions=list(EBS_KEY_ACTIONS), resources=["*"], principals=csi,
                  conditions=through_ec2),
        Statement(sid="EbsCsiDriverGrantsForAttachedVolumes", actions=list(EBS_KEY_GRANT_ACTIONS),
                  resources=["*"], principals=csi,
                  conditions=[*through_ec2, ("Bool", "kms:GrantIsForAWSResource", ["true"])]))
    return kms_key(scope, "ebs-key", description=f"{name} EBS volumes of the cluster's StorageClass",
                   alias=f"{name}-ebs", policy=key_policy, tags=tags)


# --- the EKS managed add-ons -----------------------------------------------------------------------------------------

def add_managed_addons(scope: Construct, addons: Sequence[str], *, cluster_name: str, versions: Mapping[str, str],
                       roles: AddonRoles, tags: Mapping[str, str], depends_on) -> dict[str, EksAddon]:
    """The EKS managed add-ons ``addons`` (``addon-<name>`` each, in ``scope``), at ``versions`` (an empty or missing
    version: EKS's default for the cluster), with their roles and :data:`ADDON_CONFIGURATION`."""
    # The add-ons' own settings (each add-on's configuration schema: aws eks describe-addon-configuration):
    # vpc-cni enforces NetworkPolicies (off by default: the services' default-deny policies would be ignored);
    # the observability add-on keeps metrics but ships no container logs of its own (Fluent Bit of the workloads
    # stack ships them, into the KMS-encrypted groups made here, not groups the add-on would create unencrypted).
    by_addon = roles.of_managed_addons()
    return {addon: EksAddon(
        scope, f"addon-{addon}", cluster_name=cluster_name, addon_name=addon,
        addon_version=versions.get(addon) or None,
        service_account_role_arn=by_addon[addon].arn if addon in by_addon else None,
        configuration_values=json.dumps(ADDON_CONFIGURATION[addon], sort_keys=True)
        if addon in ADDON_CONFIGURATION else None,
        resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="PRESERVE", tags=tags,
        depends_on=depends_on) for addon in addons}


#: An AWS managed policy's ARN (``arn:<partition>:iam::aws:policy/<path/>name``); the names: 1-128 of letters, digits
#: and ``+=,.@-_``.
#: Ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names
_MANAGED_POLICY_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::aws:policy/([A-Za-z0-9+=,.@_-]+/)*"
                                 r"[A-Za-z0-9+=,.@_-]{1,128}$")
_MANAGED_POLICY_NAME = re.compile(r"^([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,128}$")


def _platform_policy_near(policy: str, known: Sequence[str]) -> str | None:
    """The platform policy ``policy`` is taken for a mistake of, if any. Any AWS managed policy may be named (AWS has
    over a thousand: IAM refuses an unknown one at apply); one the platform uses but in another case, without its
    path (``AmazonEBSCSIDriverPolicy`` for ``service-role/AmazonEBSCSIDriverPolicy``), or a letter or two away is a
    mistake. The cutoff 0.9 keeps real neighbours out: ``AmazonEKSWorkerNodeMinimalPolicy`` (0.88 against
    ``AmazonEKSWorkerNodePolicy``), ``AmazonEC2ContainerRegistryPullOnly`` (0.88), ``AmazonEKSComputePolicy`` (0.86)."""
    if policy in known:
        return None
    folded = policy.casefold()
    for name in known:
        if folded in (name.casefold(), name.rsplit("/", 1)[-1].casefold()):
            return name
    near = difflib.get_close_matches(folded, [name.casefold() for name in known], n=1, cutoff=0.9)
    return next((name for name in known if name.casefold() == near[0]), None) if near else None


def irsa_role_problems(namespace: object, service_account: object, managed: object = ()) -> list[Problem]:
    """The inputs of :meth:`~vtc_constructs.eks.EksCluster.irsa_role`: ``namespace`` a DNS-1123 label, each service
    account a DNS-1123 subdomain (Kubernetes' rules for their names; a Terraform reference passes), each once, at
    least one; each of ``managed`` an AWS managed policy's name (with its path: ``service-role/...``; the role's ARN
    is built in the stack's partition) or full ARN, each policy once, and not a letter or two away from one of
    :data:`~vtc_constructs.ci_identity.PLATFORM_MANAGED_POLICIES` (taken for a typo of it). Another name is not
    checked against AWS's list (IAM refuses an unknown one at apply)."""
    from .ci_identity import PLATFORM_MANAGED_POLICIES  # lazy: ci_identity imports the constructs' shared code

    problems = []
    if not (is_reference(namespace) or is_dns_label(namespace)):
        problems.append(Problem("namespace", namespace, "a Kubernetes namespace name: a DNS-1123 label, 1-63 of a-z, "
                                "0-9 and '-', starting and ending with a letter or digit",
                                "write the namespace as Kubernetes names it, e.g. 'my-ns'", "not a namespace name"))
    accounts = [service_account] if isinstance(service_account, str) else service_account
    if not isinstance(accounts, (tuple, list)):
        problems.append(Problem("service_account", service_account, "a service account name, or a list of them",
                                "give the name, e.g. 'my-app', or a list ('a', 'b')", "not a name or a list"))
        accounts = []
    elif not accounts or len(set(map(repr, accounts))) != len(accounts):
        problems.append(Problem("service_account", list(accounts), "one or more service account names, each once",
                                "list each service account once", "give each service account once, at least one"))
    for index, account in enumerate(accounts):
        if not (is_reference(account) or is_dns_subdomain(account)):
            where = "service_account" if isinstance(service_account, str) else f"service_account[{index}]"
            problems.append(Problem(where, account, "a Kubernetes service account name: a DNS-1123 subdomain, at most "
                                    "253 of a-z, 0-9, '-' and '.', each part starting and ending with a letter or "
                                    "digit", "write the name as Kubernetes names it, e.g. 'my-app'",
                                    "not a service account name"))
    if isinstance(managed, str) or not isinstance(managed, (tuple, list)):
        return problems + [not_a_list("managed", managed, "AWS managed policy names or ARNs",
                                      "['AmazonEKS_CNI_Policy']")]
    attached: dict[str, int] = {}
    for index, policy in enumerate(managed):
        where = f"managed[{index}]"
        if token_kind(policy) is not None:
            problems.append(unresolved_problem(where, policy, "an AWS managed policy's name or ARN, written out",
                                               "write the name or ARN itself: it is part of the attachment's "
                                               "construct ID, which must not change between synths"))
            continue
        if isinstance(policy, str) and policy.startswith("arn:"):
            if not _MANAGED_POLICY_ARN.match(policy):
                problems.append(Problem(where, policy, "an AWS managed policy's ARN, arn:aws:iam::aws:policy/<name>",
                                        "copy the ARN from the IAM console; for a policy of your own, pass its "
                                        "statements (statements=...) instead", "not an AWS managed policy ARN"))
                continue
            prefix, named = policy.split(":policy/", 1)
            prefix += ":policy/"
        elif not isinstance(policy, str) or not _MANAGED_POLICY_NAME.match(policy):
            problems.append(Problem(where, policy, "an AWS managed policy's name (its path too, e.g. "
                                    "'service-role/AmazonEBSCSIDriverPolicy': 1-128 of letters, digits and +=,.@_- "
                                    "per part) or its ARN", "write the name as the IAM console shows it",
                                    "not an AWS managed policy name"))
            continue
        else:
            prefix, named = "", policy
        near = _platform_policy_near(named, PLATFORM_MANAGED_POLICIES)
        if near:
            problems.append(Problem(where, policy, "an AWS managed policy's name (with its path) or ARN",
                                    f"use {prefix + near!r} (or, if you mean another policy, give its full ARN)",
                                    f"looks like a mistake for {near!r}"))
            continue
        # One attachment per policy: its construct ID ends in the policy's name, so the same policy twice (by name
        # and by ARN too) would be two constructs of one ID.
        name = policy.rsplit("/", 1)[-1]
        if name in attached:
            problems.append(Problem(where, policy, "each policy once", "remove the repeat",
                                    f"the same policy as managed[{attached[name]}]"))
        attached.setdefault(name, index)
    return problems
