"""EksCluster: a private EKS cluster with managed node groups, IRSA, pinned add-ons and least-privilege roles.

Usage::

    from vtc_constructs import EksCluster, EksClusterProps, NodeGroupProps

    cluster = EksCluster(self, "eks", EksClusterProps(
        name="vtc-staging",
        kubernetes_version="1.36",
        network=network.cluster_network(),
        admin_principal_arns=("arn:aws:iam::111122223333:role/platform-admins",),
        node_groups=(NodeGroupProps(name="general", instance_types=("m6i.large",),
                                    min_size=2, desired_size=3, max_size=6),),
    ))
    cluster.cluster_oidc_issuer_url, cluster.node_security_group_id, cluster.load_balancer_controller_role_arn

Fixed, not optional: the API endpoint is reachable privately (public access is off unless CIDRs are listed, never
0.0.0.0/0); Kubernetes secrets are envelope-encrypted with a customer-managed KMS key (rotation on, the account
root always keeps administration of the key); the control-plane log group is created by the construct *before*
the cluster, encrypted with that key, so re-creating a cluster never fails on "log group already exists";
authentication is by access entries only (API mode), the creator gets no implicit admin rights; nodes live in the
private subnets only, launched from a launch template that requires IMDSv2 with a hop limit of 1 (a pod cannot reach
instance metadata, so it cannot take the node role's credentials; every add-on and the AWS Load Balancer Controller
get their own IRSA roles, and the controller takes ``--aws-vpc-id`` and ``--aws-region`` instead of asking the
node) and encrypted gp3 root volumes; nodes run the control plane's Kubernetes version (``version``), so raising
``kubernetes_version`` upgrades the control plane first, then every node group (a rolling update to the AMI of the new
version); the add-ons every node needs (vpc-cni, kube-proxy, the pod identity agent) exist before the first node.

Every add-on release gets an IRSA role trusting exactly its service account (issue 14), the container log groups are
Terraform's (KMS-encrypted, kept ``container_log_retention_days``) and the EBS CSI driver's volumes get a key of their
own (:attr:`EksCluster.ebs_kms_key_arn`). :meth:`EksCluster.irsa_role` makes more (several service accounts of one
namespace may share one, as the services' database role does: :class:`~vtc_constructs.platform.VisionToCodePlatform`).

Where the parts are (issue 27; their names stay importable from here, deprecated: import from ``vtc_constructs`` or
their module): the props and their checks in ``eks_props.py``; the managed add-ons, the add-on releases' service
accounts and roles, the container log groups and the volumes' key in ``eks_addons.py`` (made in this construct's
scope: construct IDs unchanged). Here: the cluster, its network, its nodes, :meth:`EksCluster.irsa_role`, the outputs.

Replacement safety: nothing with a fixed AWS name is planned create-before-destroy (``create_before_destroy`` on a
resource passes to everything it depends on); node groups are replaced delete-first, so a change that replaces one
(instance types, capacity type, AMI type) drains it before its successor exists: add a group under a new name first
when that matters. :func:`~vtc_constructs._common.replacement_safety_problems` checks every stack at synth.
"""

from __future__ import annotations

import functools
from typing import Sequence

from cdktf import Fn, TerraformResourceLifecycle, Token
from constructs import Construct

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.eks_access_entry import EksAccessEntry
from cdktf_cdktf_provider_aws.eks_access_policy_association import (
    EksAccessPolicyAssociation,
    EksAccessPolicyAssociationAccessScope,
)
from cdktf_cdktf_provider_aws.eks_addon import EksAddon
from cdktf_cdktf_provider_aws.eks_cluster import (
    EksCluster as EksClusterResource,
    EksClusterAccessConfig,
    EksClusterEncryptionConfig,
    EksClusterEncryptionConfigProvider,
    EksClusterUpgradePolicy,
    EksClusterVpcConfig,
)
from cdktf_cdktf_provider_aws.eks_node_group import (
    EksNodeGroup,
    EksNodeGroupLaunchTemplate,
    EksNodeGroupScalingConfig,
    EksNodeGroupTaint,
    EksNodeGroupUpdateConfig,
)
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplate,
    LaunchTemplateBlockDeviceMappings,
    LaunchTemplateBlockDeviceMappingsEbs,
    LaunchTemplateMetadataOptions,
    LaunchTemplateMonitoring,
    LaunchTemplateTagSpecifications,
)
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from ._common import (
    Account,
    Statement,
    account_admin_statement,
    claim_names,
    guard_replacement_safety,
    kms_key,
    logs_statement,
    policy_document,
    require_props,
)
from .errors import raise_if_any
# The add-ons, their roles and what they write to are in eks_addons.py since issue 27. Their names stay importable
# from here for code written before (``from vtc_constructs.eks import FLUENT_BIT_SERVICE_ACCOUNT``): deprecated, import
# them from ``vtc_constructs`` (the public ones) or ``vtc_constructs.eks_addons``.
from .eks_addons import (  # noqa: F401  (re-exported: they were defined here)
    ADDON_CONFIGURATION, ADOT_COLLECTOR_SERVICE_ACCOUNT, BEFORE_NODES, CONTAINER_LOG_GROUPS, EBS_KEY_ACTIONS,
    EBS_KEY_GRANT_ACTIONS, FLUENT_BIT_SERVICE_ACCOUNT, JAEGER_SERVICE_ACCOUNT, SEARCH_ADMIN_SERVICE_ACCOUNT,
    TARGET_GROUP_BINDING_TAG, XRAY_WRITE_ACTIONS, add_addon_roles, add_container_log_groups, add_ebs_key,
    add_managed_addons, irsa_role_problems,
)
from .eks_props import (  # noqa: F401  (re-exported: the props are part of this module API)
    ADDONS,
    CONTROL_PLANE_LOG_TYPES,
    PRIVATE_NODE_ENDPOINTS,
    SUPPORTED_KUBERNETES_VERSIONS,
    CapacityType,
    ClusterNetwork,
    DesiredSizeOwner,
    SupportType,
    EksClusterProps,
    NodeGroupProps,
    Taint,
    TaintEffect,
    node_ami_type,
)


class EksCluster(Construct):
    """A private EKS cluster: see the module docstring for what is fixed and :class:`EksClusterProps` for inputs."""

    def __init__(self, scope: Construct, id: str, props: EksClusterProps):
        require_props("EksCluster", props, EksClusterProps, "EksClusterProps(name='my-service', "
                      "kubernetes_version='1.36', network=network.cluster_network(), "
                      "node_groups=(NodeGroupProps(name='general'),))")
        super().__init__(scope, id)
        raise_if_any(problem.prefixed(id) for problem in props.validate())
        guard_replacement_safety(self)
        name = props.name
        self._log_group_name = f"/aws/eks/{name}/cluster"
        self._container_log_group_names = {kind: f"/aws/eks/{name}/containers/{kind}"
                                           for kind in CONTAINER_LOG_GROUPS}
        claim_names(self, id, ("EKS cluster", name), ("CloudWatch log group", self._log_group_name),
                    ("KMS alias", f"alias/{name}-eks"), ("KMS alias", f"alias/{name}-eks-containers"),
                    ("KMS alias", f"alias/{name}-ebs"),
                    *(("CloudWatch log group", group) for group in self._container_log_group_names.values()))
        self.props = props
        self.account = account = Account.of(self)
        tags = {"vtc/cluster": name}

        key_policy = policy_document(self, "key-policy", account_admin_statement(account),
                                     logs_statement(account, [self._log_group_name]))
        self.key = kms_key(self, "key", description=f"{name} EKS secrets and control-plane logs",
                           alias=f"{name}-eks", policy=key_policy, tags=tags)
        self.log_group = CloudwatchLogGroup(self, "log-group", name=self._log_group_name,
                                            retention_in_days=props.log_retention_days, kms_key_id=self.key.arn,
                                            tags=tags)

        self.cluster_role, cluster_role_attachments = self._service_role("cluster-role", "eks.amazonaws.com",
                                                                         ["AmazonEKSClusterPolicy"], tags)
        self._security_groups(tags)

        self.cluster = EksClusterResource(
            self, "cluster", name=name, version=props.kubernetes_version, role_arn=self.cluster_role.arn,
            vpc_config=EksClusterVpcConfig(
                subnet_ids=list(props.network.subnet_ids), security_group_ids=[self.cluster_security_group_id],
                endpoint_private_access=True, endpoint_public_access=props.endpoint_public_access,
                public_access_cidrs=list(props.endpoint_public_access_cidrs) or None),
            encryption_config=EksClusterEncryptionConfig(
                resources=["secrets"], provider=EksClusterEncryptionConfigProvider(key_arn=self.key.arn)),
            enabled_cluster_log_types=list(props.control_plane_log_types),
            access_config=EksClusterAccessConfig(authentication_mode="API",
                                                 bootstrap_cluster_creator_admin_permissions=False),
            upgrade_policy=EksClusterUpgradePolicy(support_type=props.support_type.value),
            tags=tags, depends_on=[self.log_group, *cluster_role_attachments])

        self.oidc_provider = IamOpenidConnectProvider(
            self, "oidc-provider", url=self.cluster.identity.get(0).oidc.get(0).issuer,
            client_id_list=["sts.amazonaws.com"], tags=tags)

        for i, arn in enumerate(props.admin_principal_arns):
            entry = EksAccessEntry(self, f"admin-{i}", cluster_name=self.cluster_name, principal_arn=arn,
                                   type="STANDARD", tags=tags)
            EksAccessPolicyAssociation(
                self, f"admin-{i}-policy", cluster_name=self.cluster_name, principal_arn=arn,
                policy_arn=f"arn:{account.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                access_scope=EksAccessPolicyAssociationAccessScope(type="cluster"), depends_on=[entry])

        # No CNI policy on the node role: the vpc-cni add-on gets it through its own IRSA role (least privilege).
        self.node_role, node_role_attachments = self._service_role(
            "node-role", "ec2.amazonaws.com", ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"], tags)

        # What the add-on releases need from AWS (eks_addons.py), made here in this scope: their IRSA roles, the
        # container log groups Fluent Bit writes to, the key of the EBS CSI driver's volumes.
        self.container_logs_key, self.container_log_groups = add_container_log_groups(
            self, account=account, name=name, group_names=self._container_log_group_names, tags=tags,
            retention_in_days=props.container_log_retention_days or props.log_retention_days)
        self._addon_roles = roles = add_addon_roles(
            self.irsa_role, account=account, name=name, secrets_prefix=props.secrets_prefix, tags=tags,
            container_log_groups=list(self._container_log_group_names.values()))
        self.load_balancer_controller_role = roles.load_balancer_controller
        self.cluster_autoscaler_role = roles.cluster_autoscaler
        self.adot_collector_role = roles.adot_collector
        self.fluent_bit_role = roles.fluent_bit
        self.external_secrets_role = roles.external_secrets
        self.vpc_cni_role = roles.vpc_cni
        self.ebs_csi_role = roles.ebs_csi
        self.cloudwatch_role = roles.cloudwatch
        self.ebs_key = add_ebs_key(self, account=account, name=name, csi_role_arn=roles.ebs_csi.arn, tags=tags)
        self.addons: dict[str, EksAddon] = {}
        # Every node needs these from its first minute (pod networking, service routing, pod identity): they are
        # installed before the node groups, the others (pods themselves) after.
        self._addons(BEFORE_NODES, tags, depends_on=None)
        self.node_groups = {group.name: self._node_group(group, [*node_role_attachments,
                                                                 *(self.addons[a] for a in BEFORE_NODES)], tags)
                            for group in props.node_groups}
        self._addons(tuple(a for a in ADDONS if a not in BEFORE_NODES), tags,
                     depends_on=list(self.node_groups.values()))

    # --- IAM ------------------------------------------------------------------------------------------------------

    def _service_role(self, id: str, service: str, managed: list[str], tags
                      ) -> tuple[IamRole, list[IamRolePolicyAttachment]]:
        assume = policy_document(self, f"{id}-assume", Statement(actions=["sts:AssumeRole"],
                                                                 principals={"Service": [service]}))
        role = IamRole(self, id, name_prefix=f"{self.props.name}-{id}-"[:38], assume_role_policy=assume.json,
                       tags=tags)
        return role, self._attach(id, role, managed)

    def _attach(self, id: str, role: IamRole, managed) -> list[IamRolePolicyAttachment]:
        return [IamRolePolicyAttachment(self, f"{id}-{policy.split('/')[-1]}", role=role.name,
                                        policy_arn=policy if policy.startswith("arn:")
                                        else self.account.managed_policy(policy)) for policy in managed]

    def irsa_role(self, id: str, namespace: str, service_account: str | Sequence[str], *,
                  managed: Sequence[str] = (), statements: Sequence[Statement] = (), tags=None) -> IamRole:
        """A role that exactly the named Kubernetes service account(s) of ``namespace`` may assume through the
        cluster's OIDC provider: ``<issuer>:sub`` equals ``system:serviceaccount:<namespace>:<name>`` (one value per
        account, StringEquals, no wildcard) and ``<issuer>:aud`` equals ``sts.amazonaws.com``. ``managed``: AWS
        managed policies by name (``AmazonS3ReadOnlyAccess``, ``service-role/AmazonEBSCSIDriverPolicy``: the ARN is
        built in the stack's partition) or by full ARN. Deployed through :class:`~vtc_constructs.CiIdentity`, the
        deploy role may attach only :data:`~vtc_constructs.ci_identity.PLATFORM_MANAGED_POLICIES`: another policy
        is refused at apply (AccessDenied) unless that list grows. ``statements``: one customer-managed policy of
        these statements.

        Raises :class:`~vtc_constructs.errors.ConfigError` with every problem of the inputs
        (:func:`~vtc_constructs.eks_addons.irsa_role_problems`): a namespace that is no DNS-1123 label, a service
        account name that is no DNS-1123 subdomain, a repeated or missing service account, a policy that is no
        policy name or ARN, repeated, or a typo of a known one."""
        raise_if_any(problem.prefixed(f"{self.node.id}.irsa_role({id!r})")
                     for problem in irsa_role_problems(namespace, service_account, managed))
        accounts = [service_account] if isinstance(service_account, str) else list(service_account)
        issuer = self._oidc_issuer_host
        assume = policy_document(self, f"{id}-assume", Statement(
            actions=["sts:AssumeRoleWithWebIdentity"], principals={"Federated": [self.oidc_provider_arn]},
            conditions=[("StringEquals", f"{issuer}:sub",
                         [f"system:serviceaccount:{namespace}:{account}" for account in accounts]),
                        ("StringEquals", f"{issuer}:aud", ["sts.amazonaws.com"])]))
        role = IamRole(self, id, name_prefix=f"{self.props.name}-{id}-"[:38], assume_role_policy=assume.json,
                       tags=tags or {"vtc/cluster": self.props.name})
        self._attach(id, role, managed)
        if statements:
            document = policy_document(self, f"{id}-policy-document", *statements)
            policy = IamPolicy(self, f"{id}-policy", name_prefix=f"{self.props.name}-{id}-"[:38],
                               policy=document.json, tags=tags or {"vtc/cluster": self.props.name})
            IamRolePolicyAttachment(self, f"{id}-policy-attachment", role=role.name, policy_arn=policy.arn)
        return role

    @functools.cached_property
    def _oidc_issuer_host(self) -> str:
        """The OIDC provider's issuer without ``https://``, as IRSA conditions name it (one token for every role)."""
        return Fn.replace(self.oidc_provider.url, "https://", "")

    # --- network --------------------------------------------------------------------------------------------------

    def _security_groups(self, tags) -> None:
        name, vpc_id = self.props.name, self.props.network.vpc_id
        self.cluster_security_group = SecurityGroup(
            self, "cluster-sg", name_prefix=f"{name}-cluster-", vpc_id=vpc_id,
            description=f"{name} EKS control plane: HTTPS from the nodes only",
            tags={**tags, "Name": f"{name}-cluster"}, lifecycle=TerraformResourceLifecycle(create_before_destroy=True))
        self.node_security_group = SecurityGroup(
            self, "node-sg", name_prefix=f"{name}-node-", vpc_id=vpc_id,
            description=f"{name} EKS nodes: from the control plane and each other",
            tags={**tags, "Name": f"{name}-node", f"kubernetes.io/cluster/{name}": "owned"},
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True))
        cluster, node = self.cluster_security_group_id, self.node_security_group_id

        def ingress(id: str, group: str, source: str, protocol: str, from_port: int, to_port: int, what: str):
            VpcSecurityGroupIngressRule(self, id, security_group_id=group, referenced_security_group_id=source,
                                        ip_protocol=protocol, from_port=from_port, to_port=to_port, description=what,
                                        tags=tags)

        # Ref: https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html
        ingress("cluster-from-nodes-443", cluster, node, "tcp", 443, 443, "Nodes to the Kubernetes API")
        ingress("node-from-cluster-443", node, cluster, "tcp", 443, 443, "Control plane to webhooks on 443")
        ingress("node-from-cluster-kubelet", node, cluster, "tcp", 10250, 10250, "Control plane to kubelets")
        ingress("node-from-cluster-webhooks", node, cluster, "tcp", 4443, 9443,
                "Control plane to admission webhooks (metrics-server, LB controller)")
        # Pods talk to pods on other nodes on any port and protocol (a service on port 80, DNS and other UDP, ...);
        # the source is the node group itself. (The construct ID is the rule's since it allowed TCP above 1024 only.)
        VpcSecurityGroupIngressRule(self, "node-from-node-ephemeral", security_group_id=node,
                                    referenced_security_group_id=node, ip_protocol="-1",
                                    description="Pod to pod and node to node, every protocol and port", tags=tags)
        VpcSecurityGroupEgressRule(self, "cluster-to-nodes", security_group_id=cluster,
                                   referenced_security_group_id=node, ip_protocol="tcp", from_port=1025,
                                   to_port=65535, description="Control plane to kubelets and webhooks", tags=tags)
        VpcSecurityGroupEgressRule(self, "cluster-to-nodes-443", security_group_id=cluster,
                                   referenced_security_group_id=node, ip_protocol="tcp", from_port=443,
                                   to_port=443, description="Control plane to webhooks on 443", tags=tags)
        # Nodes pull images and call AWS APIs through NAT: HTTPS out. The VPC resolver, Time Sync and instance
        # metadata need no rule: security groups do not filter them.
        # Ref: https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
        VpcSecurityGroupEgressRule(self, "node-to-internet-https", security_group_id=node, cidr_ipv4="0.0.0.0/0",
                                   ip_protocol="tcp", from_port=443, to_port=443,
                                   description="HTTPS to ECR, AWS APIs and image registries", tags=tags)
        VpcSecurityGroupEgressRule(self, "node-to-nodes", security_group_id=node, referenced_security_group_id=node,
                                   ip_protocol="-1", description="Node to node (pods, DNS)", tags=tags)
        VpcSecurityGroupEgressRule(self, "node-to-cluster", security_group_id=node,
                                   referenced_security_group_id=cluster, ip_protocol="tcp", from_port=443,
                                   to_port=443, description="Kubelets to the Kubernetes API", tags=tags)

    # --- nodes ----------------------------------------------------------------------------------------------------

    def _node_group(self, group: NodeGroupProps, depends_on, tags) -> EksNodeGroup:
        name = self.props.name
        template = LaunchTemplate(
            self, f"{group.name}-launch-template", name_prefix=f"{name}-{group.name}-",
            description=f"{name} node group {group.name}", update_default_version=True,
            vpc_security_group_ids=[self.node_security_group_id],
            metadata_options=LaunchTemplateMetadataOptions(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1,
                instance_metadata_tags="disabled"),
            block_device_mappings=[LaunchTemplateBlockDeviceMappings(
                device_name="/dev/xvda", ebs=LaunchTemplateBlockDeviceMappingsEbs(
                    volume_size=group.disk_size_gib, volume_type="gp3", encrypted="true",
                    delete_on_termination="true"))],
            monitoring=LaunchTemplateMonitoring(enabled=True),
            tag_specifications=[LaunchTemplateTagSpecifications(
                resource_type=kind, tags={**tags, "Name": f"{name}-{group.name}"}) for kind in ("instance", "volume")],
            tags=tags)
        ignore = ["scaling_config[0].desired_size"] if group.desired_size_owner is DesiredSizeOwner.AUTOSCALER else []
        # No create_before_destroy: it would pass to the cluster and its log group (fixed names), which then could
        # not be replaced at all ("already exists"). version follows the control plane: nodes upgrade after it.
        return EksNodeGroup(
            self, f"{group.name}-node-group", cluster_name=self.cluster_name, version=self.cluster.version,
            release_version=group.release_version,
            node_group_name_prefix=f"{group.name}-", node_role_arn=self.node_role_arn,
            subnet_ids=list(self.props.network.subnet_ids), ami_type=node_ami_type(group.instance_types),
            instance_types=list(group.instance_types), capacity_type=group.capacity_type.value,
            scaling_config=EksNodeGroupScalingConfig(min_size=group.min_size, desired_size=group.desired_size,
                                                     max_size=group.max_size),
            update_config=EksNodeGroupUpdateConfig(max_unavailable_percentage=33),
            launch_template=EksNodeGroupLaunchTemplate(id=template.id, version=Token.as_string(template.latest_version)),
            labels={"vtc/node-group": group.name, **group.labels},
            taint=[EksNodeGroupTaint(key=t.key, value=t.value or None, effect=t.effect.value) for t in group.taints]
            or None,
            tags={**tags, f"k8s.io/cluster-autoscaler/{name}": "owned", "k8s.io/cluster-autoscaler/enabled": "true"},
            lifecycle=TerraformResourceLifecycle(ignore_changes=ignore) if ignore else None,
            depends_on=list(depends_on))

    # --- add-ons --------------------------------------------------------------------------------------------------

    def _addons(self, addons: tuple[str, ...], tags, depends_on) -> None:
        self.addons.update(add_managed_addons(self, addons, cluster_name=self.cluster_name, tags=tags,
                                              versions=self.props.addon_versions, roles=self._addon_roles,
                                              depends_on=depends_on))

    # --- typed outputs --------------------------------------------------------------------------------------------

    @functools.cached_property
    def cluster_name(self) -> str:
        return self.cluster.name

    @functools.cached_property
    def cluster_arn(self) -> str:
        return self.cluster.arn

    @functools.cached_property
    def cluster_endpoint(self) -> str:
        return self.cluster.endpoint

    @functools.cached_property
    def cluster_certificate_authority_data(self) -> str:
        return self.cluster.certificate_authority.get(0).data

    @functools.cached_property
    def cluster_oidc_issuer_url(self) -> str:
        return self.cluster.identity.get(0).oidc.get(0).issuer

    @functools.cached_property
    def oidc_provider_arn(self) -> str:
        return self.oidc_provider.arn

    @functools.cached_property
    def cluster_security_group_id(self) -> str:
        return self.cluster_security_group.id

    @functools.cached_property
    def node_security_group_id(self) -> str:
        return self.node_security_group.id

    @functools.cached_property
    def node_role_arn(self) -> str:
        return self.node_role.arn

    @functools.cached_property
    def load_balancer_controller_role_arn(self) -> str:
        return self.load_balancer_controller_role.arn

    @functools.cached_property
    def cluster_autoscaler_role_arn(self) -> str:
        return self.cluster_autoscaler_role.arn

    @functools.cached_property
    def external_secrets_role_arn(self) -> str:
        return self.external_secrets_role.arn

    @functools.cached_property
    def adot_collector_role_arn(self) -> str:
        """IRSA role of the OpenTelemetry collector (ADOT), for the service account
        :data:`ADOT_COLLECTOR_SERVICE_ACCOUNT` (``opentelemetry/otel-collector``): X-Ray trace segments, telemetry
        records and sampling rules only."""
        return self.adot_collector_role.arn

    @functools.cached_property
    def fluent_bit_role_arn(self) -> str:
        """IRSA role of Fluent Bit, for the service account :data:`FLUENT_BIT_SERVICE_ACCOUNT`
        (``logging/fluent-bit``): log streams and events in :attr:`container_log_group_names` only."""
        return self.fluent_bit_role.arn

    @functools.cached_property
    def container_log_group_names(self) -> dict[str, str]:
        """The container log groups by kind (:data:`CONTAINER_LOG_GROUPS`): ``{"application":
        "/aws/eks/<name>/containers/application", "add-ons": "/aws/eks/<name>/containers/add-ons"}``, references to
        the groups (so a stack that uses them depends on them). Point Fluent Bit's ``cloudwatch_logs`` outputs at them
        with ``auto_create_group`` off."""
        return {kind: group.name for kind, group in self.container_log_groups.items()}

    @functools.cached_property
    def ebs_kms_key_arn(self) -> str:
        """The KMS key of the cluster's encrypted StorageClass (``kmsKeyId``): the EBS CSI driver's role may use it
        through EC2 only."""
        return self.ebs_key.arn

    @functools.cached_property
    def container_log_key_arn(self) -> str:
        """The KMS key of the container log groups (CloudWatch Logs may use it for those groups only)."""
        return self.container_logs_key.arn
