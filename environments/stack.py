"""Two stacks per environment: ``<name>`` (remote state, the AWS provider, the platform's constructs and outputs)
and ``<name>-workloads`` (the Helm releases onto its cluster).

Two stacks, because Terraform's Helm provider must not be configured from a cluster created in the same apply
(its configuration would be unknown at plan time). The workloads stack takes what it needs from the AWS stack
through cdktf's cross-stack references: cdktf adds an output to the AWS stack per value and reads it in the workloads
stack from the AWS stack's state (``terraform_remote_state``, the same S3 backend), and records the dependency, so
``cdktf deploy staging staging-workloads`` deploys the AWS stack first.
"""

from __future__ import annotations

import dataclasses

from cdktf import S3Backend, TerraformOutput, TerraformStack
from constructs import Construct

from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags

from vtc_constructs.ci_identity import CiIdentity
from vtc_constructs.platform import VisionToCodePlatform
from vtc_constructs.registry import ContainerRegistry
from vtc_constructs.releases import ClusterReleases, ClusterReleasesProps, eks_helm_provider

from .model import EnvironmentConfig


class PlatformStack(TerraformStack):
    """The Vision-to-Code platform in one environment. The stack's id is the environment's name, so
    ``cdktf deploy staging`` deploys ``environments/staging.toml``."""

    def __init__(self, scope: Construct, config: EnvironmentConfig):
        super().__init__(scope, config.name)
        self.config = config
        self.backend = _backend(self, config, config.state.key)

        AwsProvider(self, "aws", region=config.region, allowed_account_ids=[config.account_id],
                    default_tags=[AwsProviderDefaultTags(tags=dict(config.tags))])

        # ID "Default": cdktf leaves it out of every logical ID, so the parts keep the Terraform addresses they had
        # when this stack created them directly (renaming would replace real resources).
        self.platform = VisionToCodePlatform(self, "Default", config.platform)
        self.network, self.eks, self.database = self.platform.network, self.platform.eks, self.platform.database
        self.edge, self.alarms = self.platform.edge, self.platform.alarms
        # GitHub Actions' roles and the in-VPC runner's security group (docs/runbooks/bootstrap.md): the traffic role
        # may change only this listener; the runner reaches the API through the cluster's security group, never the
        # nodes' (which the database admits).
        self.ci = CiIdentity(self, "ci", dataclasses.replace(
            config.ci, https_listener_arn=self.edge.https_listener_arn,
            cluster_security_group_id=self.eks.cluster_security_group_id, vpc_id=self.network.vpc_id))
        # The services' ECR repositories (``[registry]``): here, not in the platform, because the push role trusts
        # GitHub's OIDC provider, which CiIdentity owns (made after the platform); pulls by the platform's nodes only.
        self.registry: ContainerRegistry | None = None
        if config.registry is not None:
            self.registry = ContainerRegistry(self, "registry", dataclasses.replace(
                config.registry, node_role_arn=self.eks.node_role_arn, oidc_provider_arn=self.ci.oidc_provider_arn))
        self._outputs()

    def _output(self, id: str, value, description: str) -> None:
        TerraformOutput(self, id, value=value, description=description)

    def _outputs(self) -> None:
        n = self.network
        self._output("network_vpc_id", n.vpc_id, "ID of the VPC.")
        self._output("network_vpc_cidr_block", n.vpc_cidr_block, "IPv4 range of the VPC.")
        self._output("network_public_subnet_ids", n.public_subnet_ids,
                     "Public subnets (ALB, NAT), one per Availability Zone, in AZ order.")
        self._output("network_private_subnet_ids", n.private_subnet_ids,
                     "Private subnets (EKS nodes and pods), one per Availability Zone, in AZ order.")
        self._output("network_database_subnet_ids", n.database_subnet_ids,
                     "Isolated database subnets (no route out of the VPC), one per Availability Zone.")
        self._output("network_public_route_table_ids", n.public_route_table_ids, "Route table of the public tier.")
        self._output("network_private_route_table_ids", n.private_route_table_ids,
                     "Route tables of the private tier, one per Availability Zone.")
        self._output("network_database_route_table_ids", n.database_route_table_ids,
                     "Route table of the isolated database tier.")
        self._output("network_nat_public_ips", n.nat_public_ips, "Public IPs of the NAT gateways (egress addresses).")
        self._output("network_flow_log_group_name", n.flow_log_group_name, "CloudWatch log group of the VPC flow logs.")
        e = self.eks
        self._output("eks_cluster_name", e.cluster_name, "Name of the EKS cluster.")
        self._output("eks_cluster_endpoint", e.cluster_endpoint, "Endpoint of the Kubernetes API (private).")
        self._output("eks_cluster_certificate_authority_data", e.cluster_certificate_authority_data,
                     "Base64 CA certificate of the Kubernetes API.")
        self._output("eks_cluster_oidc_issuer_url", e.cluster_oidc_issuer_url, "OIDC issuer of the cluster (IRSA).")
        self._output("eks_oidc_provider_arn", e.oidc_provider_arn, "IAM OIDC provider for IRSA roles.")
        self._output("eks_node_security_group_id", e.node_security_group_id,
                     "Security group of the nodes (the database and the ALB admit it).")
        self._output("eks_node_role_arn", e.node_role_arn, "IAM role of the nodes.")
        self._output("eks_load_balancer_controller_role_arn", e.load_balancer_controller_role_arn,
                     "IRSA role of the AWS Load Balancer Controller (kube-system/aws-load-balancer-controller).")
        self._output("eks_cluster_autoscaler_role_arn", e.cluster_autoscaler_role_arn,
                     "IRSA role of the cluster autoscaler (kube-system/cluster-autoscaler).")
        self._output("eks_external_secrets_role_arn", e.external_secrets_role_arn,
                     "IRSA role of external-secrets (external-secrets/external-secrets).")
        self._output("eks_adot_collector_role_arn", e.adot_collector_role_arn,
                     "IRSA role of the OpenTelemetry collector (X-Ray only).")
        self._output("eks_fluent_bit_role_arn", e.fluent_bit_role_arn,
                     "IRSA role of Fluent Bit (its two container log groups only).")
        self._output("eks_container_log_group_names", e.container_log_group_names,
                     "KMS-encrypted log groups Fluent Bit ships container logs to, by kind.")
        self._output("eks_alertmanager_role_arn", self.platform.alertmanager_role_arn,
                     "IRSA role of Alertmanager (publish to the alarm topics).")
        self._output("services_role_arn", self.platform.services_role_arn,
                     "IRSA role of the services' service accounts (rds-db:connect as the application role only).")
        d = self.database
        self._output("database_instance_id", d.db_instance_id, "RDS instance identifier (metric dimension).")
        self._output("database_endpoint_address", d.db_endpoint_address, "Host name of the PostgreSQL endpoint.")
        self._output("database_port", d.db_port, "PostgreSQL port.")
        self._output("database_name", d.db_name, "Application database (pgvector enabled).")
        self._output("database_master_secret_arn", d.db_master_secret_arn,
                     "Secrets Manager secret holding the master credentials (managed and rotated by RDS).")
        self._output("database_security_group_id", d.db_security_group_id, "Security group of the database.")
        self._output("database_resource_id", d.db_resource_id, "Resource id of the instance (IAM database sign-in).")
        g = self.edge
        self._output("edge_alb_dns_name", g.alb_dns_name, "DNS name of the public ALB.")
        self._output("edge_alb_arn", g.alb_arn, "ARN of the public ALB.")
        self._output("edge_blue_target_group_arn", g.blue_target_group_arn,
                     "Blue target group (IP targets): bind the blue workloads to it (TargetGroupBinding).")
        self._output("edge_green_target_group_arn", g.green_target_group_arn,
                     "Green target group (IP targets): bind the green workloads to it (TargetGroupBinding).")
        self._output("edge_https_listener_arn", g.https_listener_arn, "HTTPS listener that splits traffic by weight.")
        self._output("edge_web_acl_arn", g.web_acl_arn, "WAF web ACL in front of the ALB.")
        self._output("alarms_page_topic_arn", self.alarms.page_topic_arn,
                     "SNS topic that pages the on-call rota (encrypted).")
        self._output("alarms_notify_topic_arn", self.alarms.notify_topic_arn,
                     "SNS topic for non-urgent notifications (encrypted).")
        self._output("alarms_heartbeat_topic_arn", self.alarms.heartbeat_topic_arn,
                     "SNS topic of Alertmanager's Watchdog heartbeat (encrypted): its silence pages.")
        self._output("ci_deploy_role_arn", self.ci.deploy_role_arn,
                     "Role of the deploy jobs (GitHub environment <env>): the environment's AWS_DEPLOY_ROLE_ARN.")
        self._output("ci_traffic_role_arn", self.ci.traffic_role_arn,
                     "Role of the traffic steps and rollbacks (environments <env> and <env>-traffic): their "
                     "AWS_TRAFFIC_ROLE_ARN. Changes this environment's HTTPS listener and nothing else.")
        self._output("ci_runner_security_group_id", self.ci.runner_security_group_id,
                     "Security group of the self-hosted runner in the VPC: HTTPS to the Kubernetes API, GitHub and "
                     "AWS APIs; no ingress.")
        if self.registry is not None:
            r = self.registry
            self._output("registry_repository_urls", r.repository_urls,
                         "ECR repository of each service (<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<service>).")
            self._output("registry_push_role_arn", r.push_role_arn,
                         "Role of the image-build workflow (the services' repositories, GitHub environment <env>): "
                         "their AWS_IMAGE_PUSH_ROLE_ARN. Pushes to these repositories and nothing else.")
        self._output("workloads_grafana_admin_secret_name", self.platform.grafana_admin_secret_name,
                     "Secrets Manager secret of Grafana's admin sign-in (JSON username, password).")
        p = self.platform
        if p.grafana_role_arn is not None:
            self._output("grafana_role_arn", p.grafana_role_arn,
                         "IRSA role of Grafana (monitoring/kube-prometheus-stack-grafana): CloudWatch metrics, read only.")
        if p.cache is not None:
            c = p.cache
            self._output("cache_primary_endpoint_address", c.cache_primary_endpoint_address,
                         "Primary endpoint of the Valkey cache (TLS, IAM sign-in).")
            self._output("cache_reader_endpoint_address", c.cache_reader_endpoint_address,
                         "Reader endpoint of the Valkey cache (its replicas).")
            self._output("cache_port", c.cache_port, "Port of the Valkey cache.")
            self._output("cache_services_user_name", c.cache_services_user_name,
                         "The cache user the services sign in as with an IAM token (no password).")
        if p.search is not None:
            q = p.search
            self._output("search_domain_endpoint", q.search_domain_endpoint,
                         "Endpoint of the OpenSearch domain (in the VPC only; HTTPS, SigV4).")
            self._output("search_dashboards_endpoint", q.search_dashboards_endpoint,
                         "OpenSearch Dashboards (in the VPC only: docs/runbooks/log-search.md).")
            self._output("search_domain_arn", q.search_domain_arn, "ARN of the OpenSearch domain.")
            self._output("search_admin_role_arn", p.search_admin_role_arn,
                         "The domain's master role, taken by the setup Job (logging/search-admin).")
            self._output("jaeger_role_arn", p.jaeger_role_arn, "IRSA role of Jaeger (tracing/jaeger): its indices only.")


class WorkloadsStack(TerraformStack):
    """The Helm releases onto environment ``config``'s cluster (:class:`~vtc_constructs.releases.ClusterReleases`):
    the add-ons, NGINX per colour and the services per colour. Its id is ``<name>-workloads``; its state sits beside
    the AWS stack's (:attr:`EnvironmentConfig.workloads_state_key`)."""

    def __init__(self, scope: Construct, config: EnvironmentConfig, platform: PlatformStack):
        super().__init__(scope, config.workloads_stack_name)
        self.config = config
        self.backend = _backend(self, config, config.workloads_state_key)
        eks = platform.eks
        eks_helm_provider(self, "helm", cluster_name=eks.cluster_name, endpoint=eks.cluster_endpoint,
                          certificate_authority_data=eks.cluster_certificate_authority_data, region=config.region)
        self.releases = ClusterReleases(self, "releases", ClusterReleasesProps.from_platform(
            platform.platform, environment=config.name, region=config.region, workloads=config.workloads))


def _backend(stack: TerraformStack, config: EnvironmentConfig, key: str) -> S3Backend:
    state = config.state
    # kms_key_id: the state objects are encrypted with the environment's customer-managed key, not S3's default
    # key. Ref: https://developer.hashicorp.com/terraform/language/backend/s3#kms_key_id
    backend = S3Backend(stack, bucket=state.bucket, key=key, region=state.region, encrypt=True,
                        kms_key_id=state.kms_key_id,
                        dynamodb_table=state.dynamodb_table if state.locking == "dynamodb" else None)
    if state.locking == "s3-lockfile":
        # Terraform >= 1.10 locks with a lock object next to the state; cdktf 0.21's S3Backend has no field for
        # it yet. Ref: https://developer.hashicorp.com/terraform/language/backend/s3#use_lockfile
        stack.add_override("terraform.backend.s3.use_lockfile", True)
    return backend
