"""SearchDomain: Amazon OpenSearch Service for searchable logs and traces, private, encrypted, IAM-only.

Usage::

    from vtc_constructs.search import SearchDomain, SearchDomainProps, SearchNetwork

    search = SearchDomain(self, "search", SearchDomainProps(
        name="vtc-production",                       # the domain's name: 3-28 of a-z, 0-9 and '-'
        engine_version="OpenSearch_2.19",
        network=SearchNetwork(vpc_id=network.vpc_id, subnet_ids=tuple(network.private_subnet_ids),
                              client_security_group_ids=(cluster.node_security_group_id,)),
        instance_type="r6g.large.search", instance_count=3, dedicated_master_type="m6g.large.search",
        volume_gib=200,
        master_user_role_arn="arn:aws:iam::111122223333:role/search-admin",
        writer_role_arns=(cluster.fluent_bit_role_arn,), reader_role_arns=(...,),
    ))
    search.search_domain_endpoint, search.search_domain_arn, search.search_alarms
    search.search_ism_policy("vtc-logs", ["logs-*"])   # the index lifecycle, to PUT from the cluster side

Fixed, not optional (each a property of the domain, none offered as a prop):

- **Network**: the domain lives in the VPC only (``vpc_options``; an OpenSearch domain in a VPC has no public
  endpoint, and OpenSearch Dashboards is served at the same private endpoint, ``/_dashboards``). Its security group
  admits TCP 443 from the given client security groups (the EKS nodes: Fluent Bit's and Jaeger's pods) and from the
  given private CIDRs (an engineer's VPN or bastion range), nothing else, and has no egress rule at all (OpenSearch
  initiates nothing towards the clients; Terraform removes AWS's default allow-all egress rule). Each client group
  gets an egress rule to the domain on 443, so a client whose egress is closed still reaches it.
- **Zone awareness** follows the subnets: one subnet per Availability Zone; two or three subnets turn zone awareness
  on with ``availability_zone_count`` = the number of subnets (the data-node count must then be a multiple of it);
  a single subnet is a single-AZ domain (staging). Ref:
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-multiaz.html
- **Encryption**: at rest with a customer-managed KMS key (rotation on; or ``kms_key_arn``, a key the caller owns),
  node-to-node encryption, HTTPS only with ``Policy-Min-TLS-1-2-PFS-2023-10`` (TLS 1.2 or later, forward-secret
  ciphers only). Ref: https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_DomainEndpointOptions.html
- **Access**: fine-grained access control with IAM only: no internal user database (no passwords anywhere), no
  anonymous access, the master user is ``master_user_role_arn``. The domain's resource policy (an
  ``aws_opensearch_domain_policy`` built from an ``aws_iam_policy_document``) lets exactly the master, writer and
  reader roles send signed HTTP requests (``es:ESHttp*``) to this domain; what each may do inside is the security
  plugin's role mapping (:func:`writer_security_role`, below). Ref:
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html
- **Logs**: index slow logs, search slow logs, error (application) logs and audit logs are published to four log
  groups the construct creates first (``/aws/OpenSearchService/domains/<name>/<kind>``), encrypted with the same key
  and kept ``log_retention_days``; one CloudWatch Logs resource policy lets ``es.amazonaws.com`` write to exactly
  these groups, for this account and this domain only (``aws:SourceAccount``, ``aws:SourceArn``). Slow-log thresholds
  and what the audit log records are index and security-plugin settings, set from the cluster side. Ref:
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/createdomain-configure-slow-logs.html
- **Storage**: gp3 EBS volumes (``volume_gib`` per data node, with ``volume_iops`` / ``volume_throughput_mibps``).
- **Snapshots**: automated, hourly, kept 14 days, encrypted with the domain's key: OpenSearch Service always takes
  them for OpenSearch engines and they cannot be turned off, so there is nothing to set (the old
  ``automated_snapshot_start_hour`` applies to Elasticsearch before 5.3 only). Ref:
  https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-snapshots.html
- **Maintenance**: the off-peak window on; service software updates applied automatically in it; Auto-Tune on in it
  (except on T3 instance types, which do not support Auto-Tune). Engine versions are never changed by AWS: an upgrade
  is a change of ``engine_version`` (in place, blue/green).
- **Guarded**: unless the props say the domain is ``disposable``, Terraform refuses to destroy the domain
  (``prevent_destroy``) and its KMS key (the key encrypts the data and every automated snapshot).

Prerequisite (once per account, outside this construct): the service-linked role ``AWSServiceRoleForAmazonOpenSearch
Service`` (``aws_iam_service_linked_role`` with ``opensearchservice.amazonaws.com``), which a VPC domain needs; only one
can exist per account, so it belongs to an account-level stack, not to each domain. The deploy role needs ``es:*``
on ``domain/<name>``, ``logs:PutResourcePolicy`` and ``iam:CreateServiceLinkedRole`` for that service name.

**Index lifecycle** (so the domain does not fill) and the writers' security roles are data the cluster side PUTs
into the domain (AWS's provider cannot create them): :mod:`vtc_constructs.search_index` (:func:`ism_policy`,
:func:`writer_security_role`, the index patterns; :meth:`SearchDomain.search_ism_policy` applies the props' days).

**Dashboards** is reachable from inside the VPC only (the domain's private endpoint, ``search_dashboards_endpoint``).
With IAM as the only authentication, a browser cannot sign its requests: an engineer reaches it through a SigV4
signing proxy (e.g. ``aws-sigv4-proxy`` run in the cluster and port-forwarded, or on the bastion), as a reader role;
the runbook says how.

**Alarms** are data for the platform's Alarms construct (:attr:`SearchDomain.search_alarms`):
:mod:`vtc_constructs.search_alarms`.

Where the rest is: the props, their validation and the facts of the service they are checked against (engine
versions, instance types and their largest gp3 volumes) are in :mod:`vtc_constructs.search_props`. Every name of those
three modules stays importable from here, as before issue 27; deprecated here: new code imports it from
``vtc_constructs`` or its own module (the ISM policies' description keeps naming ``vtc_constructs.search.ism_policy``).
"""

from __future__ import annotations

import functools
from typing import Sequence

from cdktf import TerraformResourceLifecycle
from constructs import Construct

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.cloudwatch_log_resource_policy import CloudwatchLogResourcePolicy
from cdktf_cdktf_provider_aws.opensearch_domain import (
    OpensearchDomain,
    OpensearchDomainAdvancedSecurityOptions,
    OpensearchDomainAdvancedSecurityOptionsMasterUserOptions,
    OpensearchDomainAutoTuneOptions,
    OpensearchDomainClusterConfig,
    OpensearchDomainClusterConfigZoneAwarenessConfig,
    OpensearchDomainDomainEndpointOptions,
    OpensearchDomainEbsOptions,
    OpensearchDomainEncryptAtRest,
    OpensearchDomainLogPublishingOptions,
    OpensearchDomainNodeToNodeEncryption,
    OpensearchDomainOffPeakWindowOptions,
    OpensearchDomainSoftwareUpdateOptions,
    OpensearchDomainVpcOptions,
)
from cdktf_cdktf_provider_aws.opensearch_domain_policy import OpensearchDomainPolicy
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
from .search_alarms import SearchAlarm, search_alarms  # noqa: F401  (re-exported: they were defined here)
from .search_index import (  # noqa: F401  (re-exported: they were defined here)
    ISM_MAX_DAYS,
    LOG_INDEX_PATTERNS,
    TRACE_INDEX_PATTERNS,
    WRITER_CLUSTER_PERMISSIONS,
    WRITER_INDEX_ACTIONS,
    ism_policy,
    ism_problems,
    writer_security_role,
)
from .search_props import (  # noqa: F401  (re-exported: they were defined here)
    BURSTABLE_PREFIX,
    DEDICATED_MASTER_COUNT,
    EBS_MIN_GIB,
    GP3_IOPS,
    GP3_THROUGHPUT_MIBPS,
    HTTPS_PORT,
    INSTANCE_TYPE_GP3_MAX_GIB,
    LOG_TYPES,
    MAX_INSTANCES,
    OPENSEARCH_ENGINE_VERSIONS,
    OPENSEARCH_STANDARD_SUPPORT_ENDED,
    TLS_SECURITY_POLICY,
    SearchDomainProps,
    SearchNetwork,
    engine_version_problems,
    reader_cidr_problems,
)


# --- the construct ---------------------------------------------------------------------------------------------------

class SearchDomain(Construct):
    """Amazon OpenSearch Service in the VPC, encrypted, IAM-only, with its logs, key and security group. See the
    module docstring."""

    def __init__(self, scope: Construct, id: str, props: SearchDomainProps):
        require_props("SearchDomain", props, SearchDomainProps, "SearchDomainProps(name='vtc-staging', "
                      "engine_version='OpenSearch_2.19', network=SearchNetwork(...), master_user_role_arn=...)")
        super().__init__(scope, id)
        raise_if_any(problem.prefixed(id) for problem in props.validate())
        guard_replacement_safety(self)
        self.props = props
        name, net = props.name, props.network
        log_group_names = {log_type: f"/aws/OpenSearchService/domains/{name}/{suffix}"
                           for log_type, suffix in LOG_TYPES.items()}
        self._log_policy_name = f"{name}-opensearch-logs"
        claim_names(self, id, ("OpenSearch domain", name),
                    *(("CloudWatch log group", group) for group in log_group_names.values()),
                    ("CloudWatch Logs resource policy", self._log_policy_name),
                    *((("KMS alias", f"alias/{name}-opensearch"),) if props.kms_key_arn is None else ()))
        self.account = account = Account.of(self)
        tags = {**props.tags, "vtc/search": name}
        guard = TerraformResourceLifecycle(prevent_destroy=True) if not props.disposable else None
        # The domain's ARN from its name (not the resource's attribute): the log resource policy names it and the
        # domain depends on that policy, so a reference would be a cycle.
        domain_arn = account.arn("es", f"domain/{name}")

        if props.kms_key_arn is None:
            key_policy = policy_document(self, "key-policy", account_admin_statement(account),
                                         logs_statement(account, list(log_group_names.values())))
            # Guarded with the domain: it encrypts the indices and every automated snapshot.
            self.key = kms_key(self, "key", description=f"{name}: OpenSearch data, snapshots and logs",
                               alias=f"{name}-opensearch", policy=key_policy, tags=tags, lifecycle=guard)
            key_arn = self.key.arn
        else:
            self.key, key_arn = None, props.kms_key_arn
        self._key_arn = key_arn

        # Created before the domain, so OpenSearch writes into groups with our retention and key, not its own.
        self.log_groups = {log_type: CloudwatchLogGroup(self, f"log-group-{LOG_TYPES[log_type]}", name=group,
                                                        retention_in_days=props.log_retention_days,
                                                        kms_key_id=key_arn, tags=tags)
                           for log_type, group in log_group_names.items()}
        # Ref: docs.aws.amazon.com/opensearch-service/latest/developerguide/createdomain-configure-slow-logs.html
        # (the resource policy OpenSearch needs) and .../cross-service-confused-deputy-prevention.html (the conditions).
        log_policy = policy_document(self, "log-resource-policy-document", Statement(
            sid="OpenSearchWritesThisDomainsLogGroups", actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[f"{group.arn}:*" for group in self.log_groups.values()],
            principals={"Service": ["es.amazonaws.com"]},
            conditions=[("StringEquals", "aws:SourceAccount", [account.id]),
                        ("ArnLike", "aws:SourceArn", [domain_arn])]))
        self.log_resource_policy = CloudwatchLogResourcePolicy(self, "log-resource-policy",
                                                               policy_name=self._log_policy_name,
                                                               policy_document=log_policy.json)

        self.security_group = SecurityGroup(
            self, "security-group", name_prefix=f"{name}-opensearch-", vpc_id=net.vpc_id,
            description=f"{name} OpenSearch: HTTPS from the log shippers and readers only",
            tags={**tags, "Name": f"{name}-opensearch"},
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True))
        for index, client in enumerate(net.client_security_group_ids):
            VpcSecurityGroupIngressRule(self, f"from-clients-{index}", security_group_id=self.security_group.id,
                                        referenced_security_group_id=client, ip_protocol="tcp",
                                        from_port=HTTPS_PORT, to_port=HTTPS_PORT,
                                        description="OpenSearch HTTPS from a client group", tags=tags)
            VpcSecurityGroupEgressRule(self, f"clients-{index}-to-domain", security_group_id=client,
                                       referenced_security_group_id=self.security_group.id, ip_protocol="tcp",
                                       from_port=HTTPS_PORT, to_port=HTTPS_PORT,
                                       description=f"HTTPS to the {name} OpenSearch domain", tags=tags)
        for index, cidr in enumerate(dict.fromkeys((*net.reader_cidrs, *props.reader_cidrs))):
            VpcSecurityGroupIngressRule(self, f"from-readers-{index}", security_group_id=self.security_group.id,
                                        cidr_ipv4=cidr, ip_protocol="tcp", from_port=HTTPS_PORT, to_port=HTTPS_PORT,
                                        description="OpenSearch HTTPS from a reader range (VPN, bastion)", tags=tags)

        self.domain = OpensearchDomain(
            self, "domain", domain_name=name, engine_version=props.engine_version,
            cluster_config=self._cluster_config(),
            ebs_options=OpensearchDomainEbsOptions(ebs_enabled=True, volume_type="gp3", volume_size=props.volume_gib,
                                                   iops=props.volume_iops,
                                                   throughput=props.volume_throughput_mibps),
            encrypt_at_rest=OpensearchDomainEncryptAtRest(enabled=True, kms_key_id=key_arn),
            node_to_node_encryption=OpensearchDomainNodeToNodeEncryption(enabled=True),
            domain_endpoint_options=OpensearchDomainDomainEndpointOptions(enforce_https=True,
                                                                          tls_security_policy=TLS_SECURITY_POLICY),
            advanced_security_options=OpensearchDomainAdvancedSecurityOptions(
                enabled=True, anonymous_auth_enabled=False, internal_user_database_enabled=False,
                master_user_options=OpensearchDomainAdvancedSecurityOptionsMasterUserOptions(
                    master_user_arn=props.master_user_role_arn)),
            vpc_options=OpensearchDomainVpcOptions(subnet_ids=list(net.subnet_ids),
                                                   security_group_ids=[self.security_group.id]),
            log_publishing_options=[OpensearchDomainLogPublishingOptions(
                log_type=log_type, cloudwatch_log_group_arn=group.arn, enabled=True)
                for log_type, group in self.log_groups.items()],
            off_peak_window_options=OpensearchDomainOffPeakWindowOptions(enabled=True),
            software_update_options=OpensearchDomainSoftwareUpdateOptions(auto_software_update_enabled=True),
            auto_tune_options=OpensearchDomainAutoTuneOptions(
                desired_state="DISABLED" if props.instance_type.startswith(BURSTABLE_PREFIX) else "ENABLED",
                use_off_peak_window=True, rollback_on_disable="NO_ROLLBACK"),
            tags=tags, depends_on=[self.log_resource_policy, *self.log_groups.values()], lifecycle=guard)

        principals = list(dict.fromkeys([props.master_user_role_arn, *props.writer_role_arns,
                                         *props.reader_role_arns]))
        access = policy_document(self, "access-policy-document", Statement(
            sid="SignedRequestsOfTheDomainsRoles", actions=["es:ESHttp*"], principals={"AWS": principals},
            resources=[f"{self.domain.arn}/*"]))
        self.access_policy = OpensearchDomainPolicy(self, "access-policy", domain_name=self.domain.domain_name,
                                                    access_policies=access.json)
        self._alarms = search_alarms(name, account.id, props.volume_gib)

    def _cluster_config(self) -> OpensearchDomainClusterConfig:
        props = self.props
        master = props.dedicated_master_type
        return OpensearchDomainClusterConfig(
            instance_type=props.instance_type, instance_count=props.data_node_count,
            zone_awareness_enabled=props.zone_awareness,
            zone_awareness_config=OpensearchDomainClusterConfigZoneAwarenessConfig(
                availability_zone_count=props.availability_zone_count) if props.zone_awareness else None,
            dedicated_master_enabled=master is not None, dedicated_master_type=master,
            dedicated_master_count=DEDICATED_MASTER_COUNT if master else None,
            # Multi-AZ with Standby needs 3 AZs, dedicated masters and a multiple of 3 data nodes, and reserves a
            # third of them idle: not for a log domain (zone awareness with replicas keeps it available).
            multi_az_with_standby_enabled=False)

    # --- typed outputs --------------------------------------------------------------------------------------------

    @functools.cached_property
    def search_domain_name(self) -> str:
        """The domain's name: the ``DomainName`` dimension of its metrics."""
        return self.props.name

    @functools.cached_property
    def search_domain_arn(self) -> str:
        return self.domain.arn

    @functools.cached_property
    def search_domain_endpoint(self) -> str:
        """The private HTTPS endpoint (host name, no scheme) that Fluent Bit and Jaeger send signed requests to."""
        return self.domain.endpoint

    @functools.cached_property
    def search_dashboards_endpoint(self) -> str:
        """OpenSearch Dashboards, at the same private endpoint (``<endpoint>/_dashboards``): inside the VPC only."""
        return self.domain.dashboard_endpoint

    @functools.cached_property
    def search_security_group_id(self) -> str:
        return self.security_group.id

    @property
    def search_kms_key_arn(self) -> str:
        """The key of the data, snapshots and log groups: the construct's own, or ``kms_key_arn``."""
        return self._key_arn

    @functools.cached_property
    def search_log_group_names(self) -> dict[str, str]:
        """The log groups by OpenSearch log type (``INDEX_SLOW_LOGS``, ``SEARCH_SLOW_LOGS``, ``ES_APPLICATION_LOGS``,
        ``AUDIT_LOGS``)."""
        return {log_type: f"/aws/OpenSearchService/domains/{self.props.name}/{suffix}"
                for log_type, suffix in LOG_TYPES.items()}

    @property
    def search_alarms(self) -> tuple[SearchAlarm, ...]:
        """The recommended alarms as data (:func:`search_alarms`), for the platform's Alarms construct."""
        return self._alarms

    def search_http_arn(self, path: str = "*") -> str:
        """``<domain ARN>/<path>``: what a writer's IAM policy grants ``es:ESHttp*`` on, e.g. ``logs-*`` and
        ``_bulk`` for Fluent Bit (least privilege on its index patterns)."""
        return f"{self.domain.arn}/{path}"

    def search_ism_policy(self, policy_id: str, index_patterns: Sequence[str]) -> dict:
        """:func:`ism_policy` with the props' ``index_hot_days`` and ``index_retention_days``; on a single-node domain
        it also sets new indices to 0 replicas (one node cannot hold a replica: the cluster would stay yellow)."""
        return ism_policy(policy_id, index_patterns, hot_days=self.props.index_hot_days,
                          retention_days=self.props.index_retention_days,
                          replicas=0 if self.props.data_node_count == 1 else None)
