"""What Terraform and the AWS provider do with a changed argument, as tables: the diff report's knowledge.

Which resource types hold data or an identity (:data:`STATEFUL_TYPES`), which arguments replace their resource when
they change (:data:`FORCES_REPLACEMENT`, and :data:`FORCES_REPLACEMENT_IF` for those that replace only for some
values), what a resource computes anew on every update (:data:`COMPUTED_ON_UPDATE`), what changes an identity in
place (:data:`IDENTITY_IN_PLACE`), what names a resource (:data:`NAME_ARGUMENTS`) and which in-place changes restart
a database (:data:`DB_RESTARTING`). A new resource type in the stacks gets its rows here;
``tests/test_diff_report.py`` checks the tables against ``terraform providers schema -json`` and real plans.
``environments/diff_plan.py`` reads them to predict the plan, ``environments/diff_classify.py`` to say what a change
means, ``environments/diff_report.py`` (the command) re-exports them.

Usage::

    from environments.diff_rules import FORCES_REPLACEMENT, STATEFUL_TYPES
    "identifier" in FORCES_REPLACEMENT["aws_db_instance"]   # False: renamed in place since provider 5.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

#: Resource types whose destruction or replacement loses data or an identity something else holds on to (an
#: endpoint, a key that encrypts data, an ARN registered elsewhere, a name clients resolve). A node group is not one
#: (its nodes hold nothing that outlives a pod, and nothing refers to its ARN): its replacement is DISRUPTIVE when it
#: leaves the cluster without nodes (:func:`_disruptions`).
STATEFUL_TYPES: Mapping[str, str] = {
    "aws_db_instance": "database: its data, endpoint and snapshots",
    "aws_kms_key": "KMS key: whatever it encrypts is unreadable once it is deleted",
    "aws_cloudwatch_log_group": "log group: its logs (flow, audit, database) are deleted with it",
    "aws_eks_cluster": "EKS cluster: every workload, its endpoint and OIDC issuer",
    "aws_lb_target_group": "target group: the workloads' TargetGroupBindings point at its ARN",
    "aws_lb": "load balancer: its DNS name, which DNS records and clients resolve",
    "aws_s3_bucket": "bucket: its objects (state, access logs)",
    "aws_iam_openid_connect_provider": "OIDC provider: every IRSA role trusts its ARN",
    "aws_sns_topic": "alarm topic: its subscriptions (confirmed e-mail endpoints) are lost",
    "aws_vpc": "VPC: the cluster, database, cache and search domain in it cannot move to a new one, though the plan "
               "shows their subnets changed in place: AWS refuses the move and the apply stops half-way",
}


#: Arguments whose change makes Terraform replace the resource (``ForceNew`` in the provider's schema, or a framework
#: resource's ``RequiresReplace``), for hashicorp/aws 5.100.0, for every type these stacks use. Paths are dotted; a
#: nested block's argument is ``block.argument``. A change that reaches such an argument through a reference (a new
#: VPC's ``id`` in a subnet's ``vpc_id``) replaces the resource just as a changed value does (:func:`compare_stack`).
#: Ref: hashicorp/terraform-provider-aws v5.100.0, ``website/docs/r/<type>.html.markdown`` ("Changing this forces
#: a new resource") and the ``ForceNew: true`` arguments in ``internal/service/<service>/<type>.go``; checked against
#: real plans (``replace_paths``) in the emulator by tests/test_diff_report.py (the agreement test).
#: Deliberately absent: ``aws_db_instance.identifier`` (renamed in place since 5.0: hashicorp/terraform-provider-aws
#: PR 32687; the endpoint changes, so it is in :data:`IDENTITY_IN_PLACE`), ``aws_db_instance.db_subnet_group_name``
#: (ModifyDBInstance moves it), ``aws_cloudwatch_log_group.kms_key_id`` (associated and disassociated in place), an
#: EKS cluster's ``vpc_config.subnet_ids`` and ``security_group_ids`` (UpdateClusterConfig: a real plan updates the
#: cluster in place when its subnets are replaced) and ``enabled_cluster_log_types`` (in place), an internet
#: gateway's ``vpc_id`` (detached and attached), a route table association's ``route_table_id`` (replaced in place),
#: an ALB's ``subnets`` and ``security_groups`` (in place), a security group rule's ports, CIDR and referenced group
#: (ModifySecurityGroupRules). Arguments that force replacement only for some values are in
#: :data:`FORCES_REPLACEMENT_IF`.
FORCES_REPLACEMENT: Mapping[str, tuple[str, ...]] = {
    "aws_db_instance": ("availability_zone", "character_set_name", "custom_iam_instance_profile", "db_name",
                        "engine", "kms_key_id", "nchar_character_set_name", "restore_to_point_in_time",
                        "s3_import", "snapshot_identifier", "storage_encrypted", "timezone", "username"),
    "aws_db_parameter_group": ("name", "name_prefix", "family", "description"),
    "aws_db_subnet_group": ("name", "name_prefix"),
    "aws_kms_key": ("customer_master_key_spec", "key_usage", "multi_region", "custom_key_store_id", "xks_key_id"),
    "aws_kms_alias": ("name", "name_prefix"),
    "aws_cloudwatch_log_group": ("name", "name_prefix", "log_group_class"),
    "aws_cloudwatch_dashboard": ("dashboard_name",),
    "aws_eks_cluster": ("name", "role_arn", "kubernetes_network_config.service_ipv4_cidr",
                        "kubernetes_network_config.ip_family", "bootstrap_self_managed_addons",
                        "access_config.bootstrap_cluster_creator_admin_permissions", "outpost_config",
                        "remote_network_config"),
    "aws_eks_node_group": ("cluster_name", "node_group_name", "node_group_name_prefix", "node_role_arn",
                           "subnet_ids", "instance_types", "capacity_type", "ami_type", "disk_size",
                           "remote_access", "launch_template.id", "launch_template.name"),
    "aws_eks_addon": ("cluster_name", "addon_name"),
    "aws_eks_access_entry": ("cluster_name", "principal_arn", "type"),
    "aws_eks_access_policy_association": ("cluster_name", "principal_arn", "policy_arn", "access_scope"),
    "aws_lb_target_group": ("name", "name_prefix", "port", "protocol", "protocol_version", "vpc_id", "target_type",
                            "ip_address_type"),
    "aws_lb": ("name", "name_prefix", "internal", "load_balancer_type", "customer_owned_ipv4_pool"),
    "aws_lb_listener": ("load_balancer_arn",),
    "aws_s3_bucket": ("bucket", "bucket_prefix", "object_lock_enabled"),
    "aws_s3_bucket_lifecycle_configuration": ("bucket", "expected_bucket_owner"),
    "aws_s3_bucket_ownership_controls": ("bucket",),
    "aws_s3_bucket_policy": ("bucket",),
    "aws_s3_bucket_public_access_block": ("bucket",),
    "aws_s3_bucket_server_side_encryption_configuration": ("bucket", "expected_bucket_owner"),
    "aws_s3_bucket_versioning": ("bucket", "expected_bucket_owner"),
    "aws_iam_openid_connect_provider": ("url",),
    "aws_iam_role": ("name", "name_prefix", "path"),
    "aws_iam_policy": ("name", "name_prefix", "path", "description"),
    "aws_iam_role_policy": ("name", "name_prefix", "role"),
    "aws_iam_role_policy_attachment": ("role", "policy_arn"),
    "aws_sns_topic": ("name", "name_prefix", "fifo_topic"),
    "aws_sns_topic_policy": ("arn",),
    "aws_sns_topic_subscription": ("topic_arn", "protocol", "endpoint", "endpoint_auto_confirms",
                                   "confirmation_timeout_in_minutes"),
    "aws_secretsmanager_secret": ("name", "name_prefix"),
    "aws_secretsmanager_secret_version": ("secret_id",),
    "aws_security_group": ("name", "name_prefix", "description", "vpc_id"),
    "aws_default_security_group": ("vpc_id",),
    "aws_vpc_security_group_ingress_rule": ("security_group_id",),
    "aws_vpc_security_group_egress_rule": ("security_group_id",),
    "aws_vpc": ("cidr_block", "ipv4_ipam_pool_id", "ipv4_netmask_length"),
    "aws_subnet": ("vpc_id", "cidr_block", "availability_zone", "availability_zone_id", "outpost_arn"),
    "aws_route_table": ("vpc_id",),
    "aws_route_table_association": ("subnet_id", "gateway_id"),
    "aws_route": ("route_table_id", "destination_cidr_block", "destination_ipv6_cidr_block",
                  "destination_prefix_list_id"),
    "aws_nat_gateway": ("allocation_id", "subnet_id", "connectivity_type", "private_ip"),
    "aws_eip": ("domain", "address", "customer_owned_ipv4_pool", "network_border_group", "public_ipv4_pool"),
    "aws_flow_log": ("vpc_id", "subnet_id", "eni_id", "transit_gateway_id", "transit_gateway_attachment_id",
                     "log_destination", "log_destination_type", "log_group_name", "iam_role_arn", "traffic_type",
                     "max_aggregation_interval", "log_format", "destination_options", "deliver_cross_account_role"),
    "aws_launch_template": ("name", "name_prefix"),
    "aws_lambda_function": ("function_name", "package_type"),
    "aws_lambda_invocation": ("function_name", "qualifier", "input", "triggers"),
    "aws_acm_certificate": ("domain_name", "subject_alternative_names", "key_algorithm", "certificate_authority_arn"),
    "aws_acm_certificate_validation": ("certificate_arn", "validation_record_fqdns"),
    "aws_wafv2_web_acl": ("name", "name_prefix", "scope"),
    "aws_wafv2_web_acl_association": ("resource_arn", "web_acl_arn"),
    "aws_wafv2_web_acl_logging_configuration": ("resource_arn",),
    "aws_cloudwatch_metric_alarm": ("alarm_name",),
    "aws_cloudwatch_composite_alarm": ("alarm_name",),
    "aws_route53_record": ("zone_id",),
    "aws_vpc_endpoint": ("vpc_id", "service_name", "vpc_endpoint_type"),
}


@dataclass(frozen=True)
class ForceNewIf:
    """An argument that forces replacement only for some changes (the provider's ``CustomizeDiff``):
    ``forces(before, after, config)`` says whether this one does (``after`` is :data:`UNKNOWN` where a reference
    makes it known only after apply; ``config``: the resource's new configuration); ``why`` says when it does."""
    forces: Callable[[Any, Any, Mapping], bool]
    why: str


#: A value known only after apply.
UNKNOWN = "(known after apply)"


def _removed(before: Any, after: Any, config: Mapping) -> bool:
    return before not in (None, [], {}) and after in (None, [], {})


def _nlb_subnet_removed(before: Any, after: Any, config: Mapping) -> bool:
    if config.get("load_balancer_type") != "network" or not isinstance(before, list):
        return False
    return after == UNKNOWN or not isinstance(after, list) or bool(set(map(str, before)) - set(map(str, after)))


#: ``{type: {argument: ForceNewIf}}``: arguments that force a new resource only for some values.
#: Ref: ``customdiff.ForceNewIfChange`` in the provider's ``internal/service/eks/cluster.go`` (envelope encryption
#: cannot be turned off: adding or changing ``encryption_config`` is AssociateEncryptionConfig, in place) and
#: ``internal/service/elbv2/load_balancer.go`` (``subnets`` of a network load balancer: removing one replaces it;
#: an ALB's are updated in place).
FORCES_REPLACEMENT_IF: Mapping[str, Mapping[str, ForceNewIf]] = {
    "aws_eks_cluster": {"encryption_config": ForceNewIf(_removed, "only when envelope encryption is removed")},
    "aws_lb": {"subnets": ForceNewIf(_nlb_subnet_removed, "only for a network load balancer losing a subnet")},
}


#: Attributes a resource type computes anew on any in-place update: a reference to one is known only after apply
#: (a launch template's new version; a node group that refers to it is updated).
COMPUTED_ON_UPDATE: Mapping[str, tuple[str, ...]] = {
    "aws_launch_template": ("latest_version", "default_version"),
    "aws_lambda_function": ("version", "qualified_arn", "qualified_invoke_arn", "last_modified", "code_sha256"),
}


#: Arguments changed in place that still change an identity others hold: a renamed database gets a new endpoint.
IDENTITY_IN_PLACE: Mapping[str, tuple[str, ...]] = {
    "aws_db_instance": ("identifier",),
}


#: Arguments that name a resource: a removed and an added resource of one type sharing one is a renamed construct ID.
NAME_ARGUMENTS = ("name", "identifier", "bucket", "function_name", "alarm_name", "dashboard_name", "node_group_name",
                  "name_prefix", "node_group_name_prefix", "url", "cidr_block")


#: Not arguments: Terraform's meta-arguments, and cdktf's metadata.
_META_ARGUMENTS = ("//", "depends_on", "lifecycle", "provider", "count", "for_each", "provisioner", "connection")


#: In-place changes of an RDS instance that restart it or fail it over, whenever RDS applies them.
DB_RESTARTING: Mapping[str, str] = {
    "instance_class": "a new instance class",
    "storage_type": "a new storage type (storage optimization can take hours, at lower performance)",
    "engine_version": "an engine upgrade",
    "parameter_group_name": "another parameter group (its static parameters take effect at the reboot)",
    "ca_cert_identifier": "a new CA certificate",
    "port": "a new port (clients must follow)",
}


__all__ = ["COMPUTED_ON_UPDATE", "DB_RESTARTING", "FORCES_REPLACEMENT", "FORCES_REPLACEMENT_IF", "ForceNewIf",
           "IDENTITY_IN_PLACE", "NAME_ARGUMENTS", "STATEFUL_TYPES", "UNKNOWN"]
