"""ClusterReleases: everything that runs on the cluster, as pinned, atomic Helm releases.

Usage::

    from vtc_constructs.releases import ClusterReleases, ClusterReleasesProps, eks_helm_provider

    eks_helm_provider(stack, "helm", cluster_name=name, endpoint=endpoint, certificate_authority_data=ca,
                      region="eu-west-1")
    ClusterReleases(stack, "releases", ClusterReleasesProps.from_platform(
        platform, environment="staging", region="eu-west-1", workloads=workloads_props))

The releases, in the order they are installed (each waits for the ones it needs, ``depends_on``):

0. ``gateway-api-crds`` and ``nginx-gateway-fabric-crds`` (``charts/gateway-api-crds``,
   ``charts/nginx-gateway-fabric-crds``): the Gateway API's standard-channel CRDs, pinned to the version NGINX Gateway
   Fabric is released against, and NGINX Gateway Fabric's own; kept if a release is removed (two releases: one would
   come close to the 1 MiB a Helm release record may take).
1. ``aws-load-balancer-controller`` (kube-system): registers pods into the ALB's target groups through
   ``TargetGroupBinding``; it is told the VPC and region (``--aws-vpc-id``, ``--aws-region``) instead of asking the
   instance metadata, which the nodes' hop limit keeps from pods. It creates no load balancer: the ALB is
   Terraform's (:class:`~vtc_constructs.edge.Edge`). ``metrics-server`` (the autoscalers' CPU figures),
   ``cluster-autoscaler`` (auto-discovers this cluster's node groups by their tags), ``external-secrets`` (reads
   this environment's secrets only: its role's resource is the environment's prefix), ``sealed-secrets-controller``
   (Sealed Secrets, for the secrets that do not live in AWS: :class:`~vtc_constructs.workloads.SealedSecretProps`;
   its key's backup and restore: docs/runbooks/sealed-secrets.md).
   Encryption in transit (docs/design/encryption-in-transit.md): ``cert-manager`` (its namespace; the platform's
   CA and NGINX's listener certificates) and Istio's ambient mesh, L4 only, in its documented order: ``istio-base``
   (after the Gateway API's CRDs), ``istiod``, ``istio-cni``, ``ztunnel`` (istio-system; :func:`istio_values`).
2. ``vtc-cluster-config`` (monitoring; ``charts/vtc-cluster-config``; after cert-manager and ztunnel: its
   Certificates, ClusterIssuers and PeerAuthentications need their CRDs and webhooks): the namespaces of the later
   releases with
   their Pod Security levels (the services' ``restricted``; monitoring's and external-secrets' taken over from Helm),
   each with a default-deny NetworkPolicy and its openings (:mod:`vtc_constructs.network_policies`), the encrypted gp3
   storage class, the Secrets Manager store with its own service account (the IRSA role's; external-secrets' controller
   has none) and the admission policy that refuses SecretStores without auth, the Grafana admin secret (generated in the cluster, pushed to Secrets Manager;
   never in Terraform), the CA's issuers and each colour's listener certificate, each colour's ``Gateway`` (an HTTPS
   listener terminated with that certificate) with the ``TargetGroupBinding`` of its NGINX pods, the ambient label and
   a STRICT PeerAuthentication on every namespace of a hop past the ALB (:attr:`ClusterReleases.mesh_namespaces`), and
   the Grafana dashboards. With a search domain
   (``ClusterReleasesProps.search``), ``search-setup`` (logging; ``charts/vtc-search-setup``): a hook Job that sets the
   domain up as its master role before anything writes. Then ``fluent-bit`` (container logs to the KMS-encrypted log
   groups Terraform made; it never creates a group; with a search domain also to ``logs-<kind>-*`` there) and, with a
   search domain, ``jaeger`` (tracing: Jaeger v2, spans into the domain, its UI a ClusterIP Service only).
3. ``kube-prometheus-stack`` (monitoring): Prometheus with retention and persistent (encrypted) storage,
   Alertmanager routing by severity (:func:`alertmanager_config`: critical and ``page`` to the page topic, warning
   to the notify topic, info and InfoInhibitor nowhere, Watchdog to the heartbeat topic; SNS, signed with its own
   IRSA role; silences on a small encrypted volume), Grafana with the admin password generated in the cluster and, with
   ``ReleaseRoles.grafana`` (a platform with a cache), its own IRSA role and a CloudWatch data source (the services
   dashboard's Cache row: ``ClusterReleasesProps.cache_member_cluster_ids``).
4. ``ngf-blue`` and ``ngf-green`` (NGINX Gateway Fabric): one control plane per colour, each with its own
   GatewayClass (``nginx-<colour>``), which provisions the NGINX of that colour's Gateway; the ALB's weights split
   traffic between the colours, NGINX routes by path inside one (the services' HTTPRoutes). An upgrade of NGINX
   Gateway Fabric goes to the idle colour first, like the services. ``otel-collector`` (opentelemetry): the ADOT collector, OTLP in, X-Ray out; its own metrics
   scraped by Prometheus, with a warning when it loses spans (:func:`collector_alert_rules`).
5. ``vtc-blue`` and ``vtc-green`` (vision-to-code): the services' chart (``charts/vision-to-code``), once per
   colour with that colour's image tag.

Every add-on container has requests and a memory limit (:data:`ADDON_RESOURCES`, each row's source beside it).
Every release is atomic (a failed install or upgrade rolls back; ``cleanup_on_fail``), waits for its resources
(``wait``, ``timeout``), keeps 10 revisions for ``helm rollback``, and pins its chart's exact version
(:data:`DEFAULT_CHART_VERSIONS`, or the environment's ``addon_chart_versions``). Values that Terraform knows only
at apply (role ARNs, target group ARNs, the database endpoint, the page topic) are passed with ``set``; everything
else is one JSON values document per release, so a pull request's snapshot diff shows each value that changes.

The Helm provider authenticates with short-lived EKS tokens (``aws eks get-token`` as an exec plugin,
:func:`eks_helm_provider`), never a stored credential; the cluster's endpoint is private, so the deploy runs from
inside the VPC (or a network peered with it).

Where the parts are (issue 27; their names stay importable from here, deprecated: import them from ``vtc_constructs``
or their own module): what the releases pin (chart repositories and versions, the autoscaler's images, the
in-repository charts and their folder) in ``release_charts.py``; what every add-on's values share (namespaces, service
accounts, the restricted container, requests and limits) in ``release_common.py``; each add-on's values, one builder
per release, in ``release_system.py`` (the load balancer controller, metrics-server, the cluster autoscaler,
external-secrets, Sealed Secrets), ``release_monitoring.py`` (kube-prometheus-stack with Alertmanager's routing and
Grafana's data source, the collector with its image and alert), ``release_search.py`` (the search setup, Fluent Bit,
Jaeger), ``release_mesh.py`` (cert-manager, Istio) and ``release_gateway.py`` (each colour's NGINX Gateway Fabric); the
Helm provider and the ``set`` split in ``release_helm.py``. Here: the props and their checks, and the construct, which
makes the namespaces' plan and then the releases in install order, each given its builder's values.

Why one module: it is one construct, read top to bottom as its props and their checks (most of its lines: every field
documented, every problem reported at once), then its releases in the order they are installed; the values are in the
release_*.py modules, and cutting the props from the construct would split what a construct module reads as.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Mapping, Sequence

from cdktf import AssetType, TerraformAsset, TerraformStack
from constructs import Construct

from cdktf_cdktf_provider_helm.provider import HelmProvider
from cdktf_cdktf_provider_helm.release import Release, ReleaseSet

from ._common import NameRegistry, is_string_token, require_props, stack_region
from .cluster_config import EXTERNAL_SECRETS_SERVICE_ACCOUNT, KMS_KEY_ARN
from .cluster_config import RELEASE_NAME as CLUSTER_CONFIG_RELEASE
from .cluster_config import (cache_cluster_id_problems, cluster_config_values, grafana_secret_problems,
                             target_group_arn_problems)
from .eks import (ADOT_COLLECTOR_SERVICE_ACCOUNT, FLUENT_BIT_SERVICE_ACCOUNT, JAEGER_SERVICE_ACCOUNT,
                  SEARCH_ADMIN_SERVICE_ACCOUNT)
from .errors import ConfigError, Problem, classified, coerce_fields, has_unresolved, raise_if_any
from .workload_tokens import RELEASES_LISTS, RELEASES_PASSED_ON, RELEASES_SYNTH_TIME
from .network import plan_subnets
from .aws_api_callers import apis_without_endpoint
from .network_policies import PAGERDUTY_EVENTS_CIDRS, NetworkPolicyInputs, namespace_network_policies
from .workloads import (
    CacheEndpoint,
    GATEWAY_PORT,
    Colour,
    SearchEndpoint,
    WorkloadsProps,
    gateway_release,
    is_reference,
    _cidr_problems as cidr_problems,
    placement_problems,
    release_name,
    role_arn_problems,
)

from .release_monitoring import collector_values, kube_prometheus_stack_values
from .release_search import fluent_bit_values
from .release_system import (autoscaler_values, external_secrets_values, load_balancer_controller_values,
                             metrics_server_values, sealed_secrets_values)

# The release values per add-on, the charts and versions the releases pin, and how a release reaches Helm are in
# the release_*.py modules since issue 27. Their names stay importable from here for code written before (``from
# vtc_constructs.releases import gateway_values``): deprecated, import them from ``vtc_constructs`` (the public
# ones) or their own module.
from .release_charts import (  # noqa: F401  (re-exported: they were defined here)
    CHART_REPOSITORIES, CLUSTER_AUTOSCALER_IMAGES, CLUSTER_CONFIG_CHART, DEFAULT_CHART_VERSIONS,
    GATEWAY_API_CRDS_CHART, ISTIO_CHARTS, ISTIO_CHARTS_RELEASED, ISTIO_VERSION, NGINX_GATEWAY_FABRIC_CRDS_CHART,
    SERVICES_CHART, charts_folder, default_charts_dir,
)
from .release_common import (  # noqa: F401  (re-exported: they were defined here)
    ADDON_RESOURCES, CERT_MANAGER_NAMESPACE, CLUSTER_AUTOSCALER_SERVICE_ACCOUNT, EXTERNAL_SECRETS_NAMESPACE,
    ISTIO_NAMESPACE, KUBE_SYSTEM, LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT, RESTRICTED_CONTAINER,
    SEALED_SECRETS_CONTROLLER, SEARCH_SETUP_RESOURCES, _IRSA, _resources,
)
from .release_gateway import (  # noqa: F401  (re-exported: they were defined here)
    NGINX_PRESTOP_SECONDS, _gateway_extras, control_plane_certificates, control_plane_secret, gateway_values,
)
from .release_helm import (  # noqa: F401  (re-exported: they were defined here)
    _DROPPED, _HELM_REGION, eks_helm_provider, split_references,
)
from .release_mesh import (  # noqa: F401  (re-exported: they were defined here)
    _ISTIO_COMMON, cert_manager_values, istio_values,
)
from .release_monitoring import (  # noqa: F401  (re-exported: they were defined here)
    ADOT_COLLECTOR_COMPONENTS, ADOT_COLLECTOR_IMAGE, ALERTMANAGER_RECEIVERS, ALERTMANAGER_SECRETS_DIR,
    ALERTMANAGER_STORAGE_GIB, CLOUDWATCH_DATASOURCE_UID, COLLECTOR_DROPPED_SPANS_METRICS, COLLECTOR_METRICS_PORT,
    ENCRYPTED_STORAGE_CLASS, GRAFANA_ADMIN_SECRET_SUFFIX, alertmanager_config, collector_alert_rules,
    grafana_cloudwatch_datasource,
)
from .release_search import (  # noqa: F401  (re-exported: they were defined here)
    JAEGER_HEALTH_PORT, JAEGER_IMAGE, JAEGER_OTLP_GRPC_PORT, JAEGER_QUERY_PORT, JAEGER_RELEASE, LOG_INDEX_PREFIXES,
    LOG_WRITER_ROLE, SEARCH_LOG_POLICY, SEARCH_SETUP_CHART, SEARCH_SETUP_IMAGE, SEARCH_SETUP_RELEASE,
    SEARCH_TRACE_POLICY, TRACE_WRITER_ROLE, fluent_bit_opensearch_output, jaeger_config, jaeger_values,
    search_endpoint, search_setup_values,
)
# Defined here before it moved next to the colours (vtc_constructs.colour_names): deprecated here, import it from
# there.
from .colour_names import DEREGISTRATION_DELAY_SECONDS  # noqa: F401  (re-exported: it was defined here)


@dataclass(frozen=True, kw_only=True)
class ReleaseRoles:
    """The IRSA role ARNs the releases' service accounts take (all made by the AWS stack, least privilege).

    :param load_balancer_controller: :attr:`EksCluster.load_balancer_controller_role_arn`. Required.
    :param cluster_autoscaler: :attr:`EksCluster.cluster_autoscaler_role_arn`. Required.
    :param external_secrets: :attr:`EksCluster.external_secrets_role_arn`. Required.
    :param adot_collector: :attr:`EksCluster.adot_collector_role_arn`. Required.
    :param fluent_bit: :attr:`EksCluster.fluent_bit_role_arn`. Required.
    :param alertmanager: :attr:`VisionToCodePlatform.alertmanager_role_arn`. Required.
    :param services: :attr:`VisionToCodePlatform.services_role_arn`. Required.
    :param grafana: default: none: Grafana has no AWS identity and no CloudWatch data source.
        :attr:`VisionToCodePlatform.grafana_role_arn` (a platform with a cache has one): kube-prometheus-stack's
        Grafana takes it (IRSA) and gets the CloudWatch data source :data:`CLOUDWATCH_DATASOURCE_UID` (the
        environment's region), which the services dashboard's cache panels query.
    """

    load_balancer_controller: str
    cluster_autoscaler: str
    external_secrets: str
    adot_collector: str
    fluent_bit: str
    alertmanager: str
    services: str
    grafana: str | None = None

    def validate(self) -> list[Problem]:
        """Every problem: each is an IAM role ARN, or a Terraform reference to one (only passed on, to the service
        accounts' IRSA annotations); ``grafana`` may be left out."""
        return [problem for role in fields(self) if role.name != "grafana" or self.grafana is not None
                for problem in role_arn_problems(getattr(self, role.name), role.name,
                                                 f"pass the IRSA role ARN of {role.name.replace('_', ' ')}")]


@dataclass(frozen=True, kw_only=True)
class ClusterReleasesProps:
    """Input of :class:`ClusterReleases`. Values known only at apply (ARNs, the database endpoint) may be
    Terraform references, from this stack or, through cdktf's cross-stack references, from the AWS stack.

    :param environment: the environment's name (labels, the services' ``deployment.environment.name``). Required.
    :param region: the AWS region of the cluster. Required.
    :param cluster_name: the EKS cluster's name (the autoscaler's auto-discovery, the controller). Required.
    :param vpc_id: the cluster's VPC (the load balancer controller's ``--aws-vpc-id``). Required.
    :param vpc_cidr: the VPC's range. Required.
    :param interface_endpoints: default: none: the VPC has no interface endpoints, so every namespace's HTTPS to AWS
        opens ``0.0.0.0/0`` (unless ``WorkloadsProps.aws_api_cidrs`` says otherwise). The endpoint services the VPC
        has (``NetworkProps.interface_endpoints``; :meth:`from_platform` passes the network's): a namespace whose
        pods' AWS APIs all have one opens HTTPS to AWS on the VPC's range only (:meth:`aws_api_cidrs_by_namespace`).
    :param load_balancer_cidrs: the ALB's subnets' ranges (the public subnets): the only sources NGINX accepts
        traffic from (its network policy), and trusts ``X-Forwarded-For`` from (not the VPC's range: the pods have VPC
        addresses too). :meth:`from_platform` gives the public subnets'. Required.
    :param kubernetes_version: the cluster's ``MAJOR.MINOR``: the autoscaler's image follows it
        (:data:`CLUSTER_AUTOSCALER_IMAGES`). Required.
    :param workloads: the environment's :class:`WorkloadsProps` (images, sizes, versions). Required.
    :param roles: :class:`ReleaseRoles`. Required.
    :param target_group_arns: the ALB's target group per colour (``{"blue": ..., "green": ...}``). Required.
    :param database_host: the PostgreSQL endpoint's address. Required.
    :param database_cidrs: the database subnets' ranges (the services' egress on 5432 is allowed there only).
        Required.
    :param container_log_groups: :attr:`EksCluster.container_log_group_names` (``application``, ``add-ons``).
        Required.
    :param page_topic_arn: the SNS topic that pages (:attr:`Alarms.page_topic_arn`): Alertmanager sends critical
        alerts (and the services' ``severity: page``) there. Required.
    :param notify_topic_arn: the SNS topic of non-urgent notifications (:attr:`Alarms.notify_topic_arn`):
        Alertmanager sends warnings there. Required.
    :param heartbeat_topic_arn: the SNS topic whose silence pages (:attr:`Alarms.heartbeat_topic_arn`):
        Alertmanager sends the Watchdog alert there about once a minute. Required.
    :param grafana_admin_secret_name: the Secrets Manager secret (JSON ``username``/``password``) Grafana's generated
        admin sign-in is pushed to (a break-glass copy); under the environment's secrets prefix. Required.
    :param database_name: default: ``vtc``. :param database_user: default: ``vtc_app``. :param database_schema:
        default: ``vtc``. The database, application role and schema the services sign in to: the platform's
        ``DatabaseProps.database_name``/``app_role``/``app_schema`` (:meth:`from_platform` carries them on; the
        services' IAM role may connect as ``database_user`` only).
    :param host: default: any host name. The public host name every route is narrowed to.
    :param secrets_prefix: default: not checked. The Secrets Manager prefix external-secrets may read
        (``EksClusterProps.secrets_prefix``, ``<name>/`` by default): the Grafana secret must be under it.
    :param cache: default: no cache. The Valkey cache's endpoints and IAM user (:class:`~vtc_constructs.workloads.
        CacheEndpoint`), which the services' releases pass on; :meth:`from_platform` gives the platform's cache's.
    :param search: default: no search domain: logs go to CloudWatch only, traces to X-Ray only. The OpenSearch domain
        (:class:`~vtc_constructs.workloads.SearchEndpoint`, :func:`search_endpoint` builds it from a
        :class:`~vtc_constructs.search.SearchDomain`) turns on the ``search-setup`` release (its Job sets the domain up
        as the master role), Fluent Bit's second output (``logs-application-*``, ``logs-add-ons-*``), Jaeger v2 in
        ``tracing`` and the collector's second trace exporter (to Jaeger).
    :param cache_member_cluster_ids: default: none: the services dashboard has no Cache row. The cache's member
        cluster IDs (``<name>-cache-001`` ...: :attr:`~vtc_constructs.cache.CacheProps.member_cluster_ids`), the
        ``CacheClusterId`` of its per-node CloudWatch metrics: the services dashboard then shows the hit rate and the
        evictions of exactly these nodes, a line each, through Grafana's CloudWatch data source (so ``roles.grafana``
        is required with them). :meth:`from_platform` gives the platform's cache's.
    :param ebs_kms_key_arn: default: ``""``, EBS's AWS-managed key (``aws/ebs``), which every principal of the account
        may use through EC2. The KMS key of the cluster's encrypted StorageClass (its ``kmsKeyId``);
        :meth:`from_platform` gives the cluster's own (:attr:`~vtc_constructs.eks.EksCluster.ebs_kms_key_arn`, a
        customer-managed key only the EBS CSI driver's role may use, through EC2).
    :param charts_dir: default: this repository's ``charts/`` (:func:`default_charts_dir`): where
        ``vision-to-code`` and ``vtc-cluster-config`` are read from (copied into the synth output as assets).
    """

    environment: str
    region: str
    cluster_name: str
    vpc_id: str
    vpc_cidr: str
    kubernetes_version: str
    workloads: WorkloadsProps
    roles: ReleaseRoles
    target_group_arns: Mapping[str, str]
    database_host: str
    database_cidrs: Sequence[str]
    container_log_groups: Mapping[str, str]
    page_topic_arn: str
    notify_topic_arn: str
    heartbeat_topic_arn: str
    grafana_admin_secret_name: str
    load_balancer_cidrs: Sequence[str]
    cache: CacheEndpoint | None = None
    search: SearchEndpoint | None = None
    cache_member_cluster_ids: Sequence[str] = ()
    database_name: str = "vtc"
    database_user: str = "vtc_app"
    database_schema: str = "vtc"
    host: str = ""
    charts_dir: str | None = None
    secrets_prefix: str | None = None
    ebs_kms_key_arn: str = ""
    interface_endpoints: Sequence[str] = ()

    def __post_init__(self):
        coerce_fields(self, tuples=("database_cidrs", "load_balancer_cidrs", "cache_member_cluster_ids",
                                    "interface_endpoints"))

    def aws_api_cidrs_by_namespace(self, namespaces: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
        """Where each namespace's pods may open HTTPS to AWS's APIs: ``WorkloadsProps.aws_api_cidrs`` when given;
        else the VPC's range for a namespace whose callers (``namespaces``: namespace -> keys of
        :data:`~vtc_constructs.aws_api_callers.POLICY_CALLERS`) call only APIs with an interface endpoint here, and
        ``0.0.0.0/0`` for the others."""
        given = self.workloads.aws_api_cidrs
        if given is not None:
            return {namespace: tuple(given) for namespace in namespaces}
        return {namespace: (self.vpc_cidr,) if not apis_without_endpoint(callers, self.interface_endpoints)
                else ("0.0.0.0/0",) for namespace, callers in namespaces.items()}

    @classmethod
    def from_platform(cls, platform, *, environment: str, region: str, workloads: WorkloadsProps,
                      host: str | None = None, charts_dir: str | None = None) -> "ClusterReleasesProps":
        """Everything from a :class:`~vtc_constructs.platform.VisionToCodePlatform` (of this or another stack):
        roles, target groups, the database (endpoint, subnets, name, application role, schema), log groups, page
        topic, host name (the certificate's). What is given here as well is checked against the platform: the
        services' namespace (``workloads.namespace``) must be the one the platform's services role trusts
        (``PlatformProps.workloads_namespace``), and ``region`` the platform stack's AWS provider region where that
        is a plain string. Every disagreement is reported at once, naming both places."""
        from .platform import VisionToCodePlatform

        if not isinstance(platform, VisionToCodePlatform):
            raise ConfigError([Problem("platform", type(platform).__name__, "a VisionToCodePlatform",
                                       "pass the platform construct itself (e.g. stack.platform), not its stack or "
                                       "one of its parts", "not a platform")])
        problems = []
        if isinstance(workloads, WorkloadsProps) and isinstance(workloads.namespace, str) and \
                workloads.namespace != platform.props.workloads_namespace:  # (another type: validate() says so)
            problems.append(Problem("workloads.namespace", workloads.namespace,
                                    f"{platform.props.workloads_namespace!r}, the namespace the platform's services "
                                    "role trusts (PlatformProps.workloads_namespace)",
                                    "give PlatformProps.workloads_namespace and WorkloadsProps.namespace the same "
                                    "value", "differs from the platform's"))
        provider_region = stack_region(platform)
        if provider_region is not None and isinstance(region, str) and not is_reference(region) and \
                region != provider_region:  # (a reference is Terraform's to resolve; another type: validate())
            problems.append(Problem("region", region, f"{provider_region!r}, the region of the AWS provider of the "
                                    f"platform's stack", "pass the same region (or leave the provider's region to "
                                    "one setting both read)", "differs from the platform's"))
        raise_if_any(problems)
        eks, edge, database = platform.eks, platform.edge, platform.props.database
        subnets = plan_subnets(platform.props.parts(planned=False)["network"])
        return cls(
            environment=environment, region=region, cluster_name=eks.cluster_name, vpc_id=platform.network.vpc_id,
            vpc_cidr=platform.props.network.vpc_cidr, kubernetes_version=platform.props.eks.kubernetes_version,
            workloads=workloads,
            roles=ReleaseRoles(load_balancer_controller=eks.load_balancer_controller_role_arn,
                               cluster_autoscaler=eks.cluster_autoscaler_role_arn,
                               external_secrets=eks.external_secrets_role_arn,
                               adot_collector=eks.adot_collector_role_arn, fluent_bit=eks.fluent_bit_role_arn,
                               alertmanager=platform.alertmanager_role_arn, services=platform.services_role_arn,
                               grafana=platform.grafana_role_arn),
            target_group_arns={"blue": edge.blue_target_group_arn, "green": edge.green_target_group_arn},
            database_host=platform.database.db_endpoint_address,
            database_cidrs=subnets.database, load_balancer_cidrs=subnets.public,
            container_log_groups=eks.container_log_group_names, page_topic_arn=platform.alarms.page_topic_arn,
            notify_topic_arn=platform.alarms.notify_topic_arn, heartbeat_topic_arn=platform.alarms.heartbeat_topic_arn,
            grafana_admin_secret_name=platform.grafana_admin_secret_name,
            database_name=database.database_name, database_user=database.app_role,
            database_schema=database.app_schema,
            host=(platform.props.edge.certificate.domain_name or "") if host is None else host, charts_dir=charts_dir,
            secrets_prefix=platform.props.eks.secrets_prefix or f"{platform.props.name}/",
            ebs_kms_key_arn=eks.ebs_kms_key_arn, interface_endpoints=tuple(platform.network.props.interface_endpoints),
            cache=None if platform.cache is None else CacheEndpoint(
                host=platform.cache.cache_primary_endpoint_address,
                reader_host=platform.cache.cache_reader_endpoint_address,
                user=platform.cache.cache_services_user_name,
                replication_group_id=platform.cache.cache_replication_group_id,
                cidrs=subnets.private, port=platform.cache.cache_port),
            # Plain strings (the group's ID is its name's): the dashboard needs no reference to the AWS stack.
            cache_member_cluster_ids=() if platform.cache is None else platform.cache.props.member_cluster_ids,
            search=None if platform.search is None else search_endpoint(
                platform.search, region=region, fluent_bit_role_arn=eks.fluent_bit_role_arn,
                jaeger_role_arn=platform.jaeger_role_arn))

    def validate(self) -> list[Problem]:
        """Every problem. A Terraform reference is accepted where the value is only passed on into the releases'
        values, refused where the construct computes from it at synth (``workload_tokens``)."""
        return classified(self, self._problems(), RELEASES_SYNTH_TIME, RELEASES_PASSED_ON, RELEASES_LISTS)

    def _problems(self) -> list[Problem]:
        problems: list[Problem] = []
        for name in ("cluster_name", "vpc_id", "page_topic_arn", "notify_topic_arn", "heartbeat_topic_arn"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                problems.append(Problem(name, value, "a non-empty string (or a Terraform reference)",
                                        f"pass the {name.replace('_', ' ')}"))
        # What the services' chart is given (the same rules as WorkloadsProps.chart_values): environment, region,
        # database endpoint, subnets and identity, host name.
        problems += placement_problems(
            environment=self.environment, region=self.region, database_host=self.database_host,
            database_cidrs=self.database_cidrs, database_name=self.database_name, database_user=self.database_user,
            database_schema=self.database_schema, host=self.host)
        problems += grafana_secret_problems(self.grafana_admin_secret_name, self.secrets_prefix if isinstance(
            self.secrets_prefix, str) and not has_unresolved(self.secrets_prefix) else None)
        if not isinstance(self.roles, ReleaseRoles):
            problems.append(Problem("roles", self.roles, "a ReleaseRoles(...)", "pass the IRSA role ARNs",
                                    "not a ReleaseRoles"))
        else:
            problems += [p.prefixed("roles") for p in self.roles.validate()]
        problems += self._cache_dashboard_problems()
        if not is_reference(self.ebs_kms_key_arn) and (not isinstance(self.ebs_kms_key_arn, str)
                                                       or not KMS_KEY_ARN.match(self.ebs_kms_key_arn)):
            problems.append(Problem("ebs_kms_key_arn", self.ebs_kms_key_arn, "'' (EBS's AWS-managed key) or a KMS key "
                                    "or alias ARN (or a Terraform reference)",
                                    "pass EksCluster.ebs_kms_key_arn (from_platform does), or leave it out"))
        if self.secrets_prefix is not None and (not isinstance(self.secrets_prefix, str) or not self.secrets_prefix):
            problems.append(Problem("secrets_prefix", self.secrets_prefix, "None, or the Secrets Manager prefix "
                                    "external-secrets may read, e.g. 'vtc-staging/'",
                                    "pass EksClusterProps.secrets_prefix (or '<name>/'), or leave it out"))
        if not isinstance(self.kubernetes_version, str) or self.kubernetes_version not in CLUSTER_AUTOSCALER_IMAGES:
            problems.append(Problem("kubernetes_version", self.kubernetes_version,
                                    ", ".join(sorted(CLUSTER_AUTOSCALER_IMAGES)), "add the cluster autoscaler's "
                                    "image for this version to CLUSTER_AUTOSCALER_IMAGES (its minor must match)",
                                    "no cluster autoscaler for this version"))
        if not isinstance(self.vpc_cidr, str) or not self.vpc_cidr:
            problems.append(Problem("vpc_cidr", self.vpc_cidr, "the VPC's IPv4 range", "pass NetworkProps.vpc_cidr"))
        if not isinstance(self.interface_endpoints, (tuple, list)) or \
                not all(isinstance(s, str) for s in self.interface_endpoints):
            problems.append(Problem("interface_endpoints", self.interface_endpoints, "the endpoint services the VPC "
                                    "has (NetworkProps.interface_endpoints), e.g. ('sts', 'logs')",
                                    "pass the network's interface_endpoints (from_platform does), or leave it out"))
        problems += cidr_problems(tuple(self.load_balancer_cidrs) if isinstance(self.load_balancer_cidrs, list)
                                  else self.load_balancer_cidrs, "load_balancer_cidrs")
        if self.cache is not None:
            problems += [p.prefixed("cache") for p in self.cache.validate()] if isinstance(self.cache, CacheEndpoint) \
                else [Problem("cache", self.cache, "None or a CacheEndpoint(...)", "build it from ValkeyCache's "
                              "outputs, or leave it out")]
        if self.search is not None:
            if not isinstance(self.search, SearchEndpoint):
                problems.append(Problem("search", self.search, "None or a SearchEndpoint(...)", "build it with "
                                        "vtc_constructs.releases.search_endpoint(domain, ...), or leave it out",
                                        "not a SearchEndpoint"))
            else:
                problems += [p.prefixed("search") for p in self.search.validate()]
                region = self.search.region
                if isinstance(region, str) and isinstance(self.region, str) and not is_reference(region) and \
                        not is_reference(self.region) and region != self.region:
                    problems.append(Problem("search.region", region, f"{self.region!r}, the cluster's region (the "
                                            "domain lives in the cluster's VPC)", "pass the stack's region to both",
                                            "differs from the cluster's"))
        if not isinstance(self.workloads, WorkloadsProps):
            problems.append(Problem("workloads", self.workloads, "a WorkloadsProps(...)",
                                    "build it with vtc_constructs.workloads.WorkloadsProps", "not a WorkloadsProps"))
        else:
            problems += [p.prefixed("workloads") for p in self.workloads.validate()]
            problems += addon_version_problems(self.workloads.addon_chart_versions)
            gateway = self.workloads.gateway_chart_versions
            for colour, version in gateway.items() if isinstance(gateway, Mapping) else ():  # (else: WorkloadsProps')
                problems += [replace(p, path=f"workloads.gateway_chart_versions.{colour}") for p in
                             addon_version_problems({"nginx-gateway-fabric": version})]
        if not isinstance(self.target_group_arns, Mapping) or set(self.target_group_arns) != {"blue", "green"}:
            problems.append(Problem("target_group_arns", self.target_group_arns, "a table with exactly 'blue' and "
                                    "'green'", "pass {'blue': edge.blue_target_group_arn, 'green': ...}"))
        else:
            problems += target_group_arn_problems(self.target_group_arns)
        if not isinstance(self.container_log_groups, Mapping) or \
                set(self.container_log_groups) != {"application", "add-ons"}:
            problems.append(Problem("container_log_groups", self.container_log_groups, "a table with exactly "
                                    "'application' and 'add-ons'", "pass EksCluster.container_log_group_names"))
        else:
            problems += [Problem(f"container_log_groups.{key}", name, "a CloudWatch log group's name (or a Terraform "
                                 "reference to one)", "pass EksCluster.container_log_group_names")
                         for key, name in self.container_log_groups.items()
                         if not isinstance(name, str) or not name]
        if self.charts_dir is not None and (not isinstance(self.charts_dir, (str, os.PathLike))
                                            or not str(self.charts_dir)):
            problems.append(Problem("charts_dir", self.charts_dir, "None (the charts the package carries) or a "
                                    "folder's path", "pass the charts/ folder's path as a string, or leave it out",
                                    "not a path"))
            return problems
        charts = charts_folder(self.charts_dir)
        needed = (SERVICES_CHART, CLUSTER_CONFIG_CHART) + ((SEARCH_SETUP_CHART,) if self.search is not None else ())
        missing = [chart for chart in needed if not (charts / chart / "Chart.yaml").is_file()]
        if missing:
            problems.append(Problem("charts_dir", str(charts), "a folder holding "
                                    + " and ".join(f"{chart}/Chart.yaml" for chart in missing),
                                    "pass the charts/ folder of the vtc-infra repository", "chart not found"))
        return problems


    def _cache_dashboard_problems(self) -> list[Problem]:
        ids = self.cache_member_cluster_ids
        problems = cache_cluster_id_problems(ids)
        if ids and not problems and isinstance(self.roles, ReleaseRoles) and self.roles.grafana is None:
            problems.append(Problem("roles.grafana", None, "Grafana's IRSA role ARN when cache_member_cluster_ids are "
                                    "given: the dashboard's cache panels query CloudWatch as that role",
                                    "pass VisionToCodePlatform.grafana_role_arn, or leave cache_member_cluster_ids "
                                    "out", "cache panels without a CloudWatch data source"))
        return problems


def addon_version_problems(versions: object, path: str = "workloads.addon_chart_versions") -> list[Problem]:
    """An add-on chart pinned a major version below :data:`DEFAULT_CHART_VERSIONS`' (the values here were read
    against the pinned chart; an older major has other keys, which most charts ignore silently)."""
    if not isinstance(versions, Mapping):
        return []  # WorkloadsProps' own check
    problems = []
    for chart, version in versions.items():
        pinned = DEFAULT_CHART_VERSIONS.get(chart)
        major = version.removeprefix("v").split(".")[0] if isinstance(version, str) else ""
        if pinned and major.isdigit() and int(major) < int(pinned.removeprefix("v").split(".")[0]):
            problems.append(Problem(f"{path}.{chart}", version, f"major version {pinned.split('.')[0]} or later (the "
                                    f"pinned {pinned}, whose values this library writes)", "pin a version of the "
                                    "same major as DEFAULT_CHART_VERSIONS, or upgrade the library's values with it",
                                    "an older major version"))
    # Istio's four charts at one version: istio-cni and ztunnel support a control plane of their own minor or one
    # above only, and base carries the CRDs istiod reads.
    istio = {chart: versions.get(chart, DEFAULT_CHART_VERSIONS[chart]) for chart in ISTIO_CHARTS_RELEASED}
    if any(chart in versions for chart in istio) and len(set(map(str, istio.values()))) > 1:
        problems.append(Problem(path, {c: istio[c] for c in ISTIO_CHARTS_RELEASED}, "one version for istio-base, "
                                "istiod, istio-cni and ztunnel", "pin all four to the same version (one minor at a "
                                "time: docs/runbooks/encryption-in-transit.md)", "Istio's charts at different versions"))
    return problems


def _stack_problems(scope: Construct, props: ClusterReleasesProps) -> list[Problem]:
    """The two-stack rule and the Helm provider: Terraform's Helm provider must not be configured from a cluster
    made in the same apply (its configuration would be unknown at plan time), and the releases need one."""
    stack = TerraformStack.of(scope)
    problems = []
    clusters = sorted(name for kind, name in NameRegistry.of(stack).claims if kind == "EKS cluster")
    if clusters:
        problems.append(Problem("scope", stack.node.id, "a stack without the EKS cluster (the workloads stack, beside "
                                "the stack that makes the cluster)", "put ClusterReleases in a stack of its own, with "
                                "eks_helm_provider(...) given the cluster's outputs by reference (cluster_name, "
                                "cluster_endpoint, ...), as the constructs guide's platform program does",
                                f"the cluster {clusters[0]!r} is made in the same stack"))
    helm = [child for child in stack.node.children if isinstance(child, HelmProvider)]
    if not helm:
        problems.append(Problem("scope", stack.node.id, "a stack with a Helm provider",
                                "add one first: eks_helm_provider(stack, 'helm', cluster_name=..., endpoint=..., "
                                "certificate_authority_data=..., region=...)", "no Helm provider"))
    for provider in helm:
        region = provider.__dict__.get(_HELM_REGION)
        if isinstance(region, str) and not is_string_token(region) and isinstance(props.region, str) and \
                not is_reference(props.region) and region != props.region:
            problems.append(Problem("region", props.region, f"{region!r}, the region the stack's Helm provider "
                                    "signs in to the cluster with (eks_helm_provider(region=...))", "give both the "
                                    "same region", "differs from the Helm provider's"))
    return problems


class ClusterReleases(Construct):
    """The add-ons, each colour's NGINX Gateway Fabric and the services, as Helm releases (see the module).

    Attributes: :attr:`releases` (by name, in install order); :attr:`namespaces` (the namespaces vtc-cluster-config
    makes, with their Pod Security levels); :attr:`mesh_namespaces` (those enrolled in the ambient mesh, STRICT mTLS).
    """

    def __init__(self, scope: Construct, id: str, props: ClusterReleasesProps):
        require_props("ClusterReleases", props, ClusterReleasesProps,
                      "ClusterReleasesProps.from_platform(platform, environment=..., region=..., workloads=...)")
        raise_if_any(p.prefixed(id) for p in props.validate())
        raise_if_any(p.prefixed(id) for p in _stack_problems(scope, props))
        super().__init__(scope, id)
        self.props = props
        w = props.workloads
        self._versions = {**DEFAULT_CHART_VERSIONS, **dict(w.addon_chart_versions)}
        charts = charts_folder(props.charts_dir)
        self.releases: dict[str, Release] = {}

        # The namespaces (vtc-cluster-config makes them), which of them join the mesh and where each may reach AWS.
        gateway_ns = w.gateway_namespace
        collector_ns, collector = ADOT_COLLECTOR_SERVICE_ACCOUNT
        load_balancer_cidrs = list(props.load_balancer_cidrs)
        #: The namespaces vtc-cluster-config makes for the later releases, with their Pod Security levels: the
        #: services' pods and NGINX Gateway Fabric's meet "restricted" (2.6.7's control plane and certificate Job
        #: (chart templates) and the NGINX pods it provisions (provisioner/objects.go): non-root, no escalation, ALL
        #: dropped, RuntimeDefault, only the safe sysctl net.ipv4.ip_unprivileged_port_start; nothing here sets the
        #: NginxProxy fields that could break it: hostPorts, volumes, patches); the collector "baseline" (its chart's
        #: defaults); Fluent Bit reads the nodes' log folders (host paths), which only "privileged" admits.
        self.namespaces = {gateway_ns: "restricted", w.namespace: "restricted", collector_ns: "baseline",
                           FLUENT_BIT_SERVICE_ACCOUNT[0]: "privileged",
                           # external-secrets 2.9.0's pods meet "restricted" (its values.yaml: non-root, read-only,
                           # ALL dropped, RuntimeDefault). kube-prometheus-stack's node-exporter (hostNetwork,
                           # hostPID, host paths) needs "privileged"; warn and audit still report at "restricted".
                           EXTERNAL_SECRETS_NAMESPACE: "restricted", w.monitoring_namespace: "privileged"}
        search, jaeger_ns = props.search, JAEGER_SERVICE_ACCOUNT[0]
        logging_ns = FLUENT_BIT_SERVICE_ACCOUNT[0]
        #: Each namespace's HTTPS to AWS: the VPC's range where its pods' APIs all have interface endpoints.
        self.aws_api_cidrs = props.aws_api_cidrs_by_namespace({
            w.namespace: ("services",), w.monitoring_namespace: ("alertmanager", "grafana"),
            EXTERNAL_SECRETS_NAMESPACE: ("external-secrets",), collector_ns: ("collector",),
            logging_ns: ("logging",), jaeger_ns: ("tracing",)})
        # cert-manager's pods meet "restricted"; Istio's node agents do not (istio-cni mounts the nodes' CNI folders,
        # ztunnel adds capabilities to redirect traffic inside pods): "privileged", only there.
        self.namespaces.update({CERT_MANAGER_NAMESPACE: "restricted", ISTIO_NAMESPACE: "privileged"})
        #: The namespaces enrolled in the ambient mesh (every pod's TCP to and from another enrolled pod is mTLS
        #: through ztunnel, and a STRICT PeerAuthentication refuses plaintext): the namespaces of every hop past the
        #: ALB (NGINX, the services, the collector, Jaeger, and monitoring for Prometheus's scrapes). Not enrolled:
        #: external-secrets, logging, cert-manager, istio-system, kube-system (their traffic is to AWS's APIs or the
        #: API server, over TLS).
        self.mesh_namespaces = [gateway_ns, w.namespace, collector_ns, w.monitoring_namespace]
        if search is not None:
            # Jaeger's pods (chart 4.11.1 with jaeger_values') meet "restricted"; the setup Job's namespace is
            # Fluent Bit's (privileged), and the Job meets "restricted" too (charts/vtc-search-setup).
            self.namespaces[jaeger_ns] = "restricted"
            self.mesh_namespaces.append(jaeger_ns)

        # The releases, in install order (each value builder's comments say what was read against which chart).
        lbc = self._addon("aws-load-balancer-controller", "aws-load-balancer-controller", KUBE_SYSTEM,
                          load_balancer_controller_values(cluster_name=props.cluster_name, region=props.region,
                                                          vpc_id=props.vpc_id,
                                                          role_arn=props.roles.load_balancer_controller))
        self._addon("metrics-server", "metrics-server", KUBE_SYSTEM, metrics_server_values())
        self._addon("cluster-autoscaler", "cluster-autoscaler", KUBE_SYSTEM, autoscaler_values(
            cluster_name=props.cluster_name, region=props.region, kubernetes_version=props.kubernetes_version,
            role_arn=props.roles.cluster_autoscaler))
        eso = self._addon("external-secrets", "external-secrets", EXTERNAL_SECRETS_NAMESPACE, external_secrets_values())
        # kubeseal's defaults (--controller-name sealed-secrets-controller, --controller-namespace kube-system) find it
        # with no flags: the chart's fullname is the release's name when that contains the chart's.
        sealed = self._addon(SEALED_SECRETS_CONTROLLER[1], "sealed-secrets", SEALED_SECRETS_CONTROLLER[0],
                             sealed_secrets_values())
        # The Gateway API's CRDs before anything that makes a Gateway or a route; NGINX Gateway Fabric's before it.
        crds = self._local(GATEWAY_API_CRDS_CHART, charts / GATEWAY_API_CRDS_CHART, KUBE_SYSTEM, {})
        ngf_crds = self._local(NGINX_GATEWAY_FABRIC_CRDS_CHART, charts / NGINX_GATEWAY_FABRIC_CRDS_CHART, KUBE_SYSTEM,
                               {})
        # Encryption in transit (docs/design/encryption-in-transit.md): cert-manager (the CA and NGINX's listener
        # certificates), then Istio's ambient mesh in its documented order (base, istiod, istio-cni, ztunnel: the
        # node agents support a control plane of their own minor or one above), all before vtc-cluster-config, whose
        # Certificates, ClusterIssuers and PeerAuthentications need their CRDs and webhooks.
        cert_manager = self._addon("cert-manager", "cert-manager", CERT_MANAGER_NAMESPACE,
                                   cert_manager_values(CERT_MANAGER_NAMESPACE))
        istio_base = self._addon("istio-base", "istio-base", ISTIO_NAMESPACE, istio_values("istio-base"),
                                 depends_on=[crds])
        istiod = self._addon("istiod", "istiod", ISTIO_NAMESPACE, istio_values("istiod"), depends_on=[istio_base])
        istio_cni = self._addon("istio-cni", "istio-cni", ISTIO_NAMESPACE, istio_values("istio-cni"),
                                depends_on=[istiod])
        ztunnel = self._addon("ztunnel", "ztunnel", ISTIO_NAMESPACE, istio_values("ztunnel"), depends_on=[istio_cni])
        # Its release lives in the monitoring namespace (made here), where the Grafana admin secret and the dashboards
        # must exist before kube-prometheus-stack starts Grafana.
        config_values = cluster_config_values(
            environment=props.environment, region=props.region, target_group_arns=dict(props.target_group_arns),
            grafana_admin_secret_name=props.grafana_admin_secret_name, load_balancer_cidrs=load_balancer_cidrs,
            gateway_namespace=gateway_ns, gateway_port=GATEWAY_PORT, routes_namespace=w.namespace,
            monitoring_namespace=w.monitoring_namespace,
            slo_p99_latency_ms=w.slo_p99_latency_ms, slo_error_rate_percent=w.slo_error_rate_percent,
            secrets_prefix=props.secrets_prefix, namespaces=self.namespaces, sealed_secrets=w.sealed_secrets,
            cache_member_cluster_ids=props.cache_member_cluster_ids, ebs_kms_key_arn=props.ebs_kms_key_arn,
            external_secrets_role_arn=props.roles.external_secrets, mesh_namespaces=self.mesh_namespaces,
            control_plane_certificates=control_plane_certificates(gateway_ns),
            network_policies=namespace_network_policies(NetworkPolicyInputs(
                vpc_cidr=props.vpc_cidr, aws_api_cidrs_by_namespace=self.aws_api_cidrs,
                pagerduty_cidrs=PAGERDUTY_EVENTS_CIDRS if w.alertmanager_pagerduty_secret else (),
                monitoring_namespace=w.monitoring_namespace,
                external_secrets_namespace=EXTERNAL_SECRETS_NAMESPACE, gateway_namespace=gateway_ns,
                services_namespace=w.namespace, collector_namespace=collector_ns,
                collector_release=w.collector_release, logging_namespace=FLUENT_BIT_SERVICE_ACCOUNT[0],
                tracing_namespace=jaeger_ns if search is not None else None,
                cert_manager_namespace=CERT_MANAGER_NAMESPACE, istio_namespace=ISTIO_NAMESPACE,
                mesh_namespaces=tuple(self.mesh_namespaces))))
        # take_ownership: the monitoring, external-secrets, cert-manager and istio-system namespaces exist before this
        # release (Helm's create_namespace for this release and for those add-ons made them, without labels); this
        # release takes them over to give them their Pod Security (and ambient) labels.
        config = self._local(CLUSTER_CONFIG_RELEASE, charts / CLUSTER_CONFIG_CHART, w.monitoring_namespace,
                             config_values, depends_on=[crds, lbc, eso, sealed, cert_manager, ztunnel],
                             take_ownership=True)
        grafana_secret = config_values["externalSecrets"]["grafanaAdmin"]["secretName"]

        # The search domain set up (ISM policies, security roles and mappings, index templates) before anything
        # writes to it: Fluent Bit and Jaeger wait for this release, whose hook Job must succeed.
        setup = None if search is None else self._local(
            SEARCH_SETUP_RELEASE, charts / SEARCH_SETUP_CHART, SEARCH_ADMIN_SERVICE_ACCOUNT[0],
            search_setup_values(search, environment=props.environment, aws_api_cidrs=self.aws_api_cidrs[logging_ns]),
            depends_on=[config])
        writers_wait_for = [config] + ([setup] if setup is not None else [])
        self._addon("fluent-bit", "aws-for-fluent-bit", logging_ns, fluent_bit_values(
            service_account=FLUENT_BIT_SERVICE_ACCOUNT[1], role_arn=props.roles.fluent_bit, region=props.region,
            log_groups=props.container_log_groups, services_namespace=w.namespace, search=search),
            depends_on=writers_wait_for)  # into the namespace vtc-cluster-config made, after the search setup
        if search is not None:
            self._addon(JAEGER_RELEASE, "jaeger", jaeger_ns, jaeger_values(
                search, collector_namespace=collector_ns, collector_release=w.collector_release,
                aws_api_cidrs=self.aws_api_cidrs[jaeger_ns]), depends_on=writers_wait_for)

        kps = self._addon(w.monitoring_release, "kube-prometheus-stack", w.monitoring_namespace,
                          kube_prometheus_stack_values(
                              w, environment=props.environment, region=props.region,
                              page_topic_arn=props.page_topic_arn, notify_topic_arn=props.notify_topic_arn,
                              heartbeat_topic_arn=props.heartbeat_topic_arn,
                              alertmanager_role_arn=props.roles.alertmanager, grafana_role_arn=props.roles.grafana,
                              grafana_admin_secret=grafana_secret),
                          depends_on=[config])
        otel = self._addon(w.collector_release, "opentelemetry-collector", collector_ns, collector_values(
            release=w.collector_release, service_account=collector, region=props.region,
            role_arn=props.roles.adot_collector, monitoring_release=w.monitoring_release,
            jaeger_namespace=None if search is None else jaeger_ns), depends_on=[kps])

        nginx = {colour: self._gateway_release(colour, gateway_ns, load_balancer_cidrs,
                                               depends_on=[ngf_crds, config, kps])
                 for colour in Colour}

        services = replace(w, aws_api_cidrs=self.aws_api_cidrs[w.namespace])
        for colour in Colour:
            values = services.chart_values(colour, environment=props.environment, region=props.region,
                                    role_arn=props.roles.services, database_host=props.database_host,
                                    database_cidrs=props.database_cidrs, database_name=props.database_name,
                                    database_user=props.database_user, database_schema=props.database_schema,
                                    host=props.host, cache=props.cache)
            self._local(release_name(colour), charts / SERVICES_CHART, w.namespace, values,
                        depends_on=[nginx[colour], otel, kps])

    def _gateway_release(self, colour: Colour, namespace: str, load_balancer_cidrs: list[str],
                         depends_on: Sequence[Release]) -> Release:
        """The colour's NGINX Gateway Fabric: its own control plane and GatewayClass, whose NginxProxy (the class's
        parameters) shapes the NGINX it provisions for the colour's Gateway (which vtc-cluster-config makes); values
        from :func:`gateway_values`."""
        w = self.props.workloads
        return self._addon(gateway_release(colour), "nginx-gateway-fabric", namespace,
                           gateway_values(w, colour, namespace=namespace, load_balancer_cidrs=load_balancer_cidrs),
                           depends_on=depends_on, skip_crds=True, version=w.gateway_chart_versions.get(colour.value))

    # --- releases -------------------------------------------------------------------------------------------------

    def _addon(self, name: str, chart: str, namespace: str, values: dict, depends_on: Sequence[Release] = (),
               skip_crds: bool = False, version: str | None = None) -> Release:
        repository, chart_name = CHART_REPOSITORIES[chart]
        return self._release(name, namespace, values, depends_on, chart=chart_name, repository=repository,
                             version=version or self._versions[chart], skip_crds=skip_crds)

    def _local(self, name: str, chart_dir: Path, namespace: str, values: dict, depends_on: Sequence[Release] = (),
               take_ownership: bool = False) -> Release:
        asset = TerraformAsset(self, f"{name}-chart", path=str(chart_dir), type=AssetType.DIRECTORY)
        return self._release(name, namespace, values, depends_on, chart=f"./{asset.path}", repository=None,
                             version=None, take_ownership=take_ownership)

    def _release(self, name: str, namespace: str, values: dict, depends_on: Sequence[Release], *, chart: str,
                 repository: str | None, version: str | None, skip_crds: bool = False,
                 take_ownership: bool = False) -> Release:
        static, references = split_references(values)
        release = Release(
            self, name, name=name, namespace=namespace, create_namespace=True, chart=chart, repository=repository,
            version=version, atomic=True, wait=True, cleanup_on_fail=True,
            timeout=self.props.workloads.release_timeout_seconds, max_history=10,
            values=[json.dumps(static, indent=2, sort_keys=True)],
            set=[ReleaseSet(name=path, value=value, type="string") for path, value in sorted(references.items())]
            or None,
            # NGINX Gateway Fabric's crds/ would install once and never upgrade: gateway-api-crds owns them.
            skip_crds=skip_crds or None, take_ownership=take_ownership or None,
            depends_on=list(depends_on) or None)
        self.releases[name] = release
        return release


__all__ = ["JAEGER_IMAGE", "JAEGER_OTLP_GRPC_PORT", "JAEGER_QUERY_PORT", "JAEGER_RELEASE", "LOG_INDEX_PREFIXES",
           "LOG_WRITER_ROLE", "SEARCH_LOG_POLICY", "SEARCH_SETUP_CHART", "SEARCH_SETUP_IMAGE", "SEARCH_SETUP_RELEASE",
           "SEARCH_SETUP_RESOURCES", "SEARCH_TRACE_POLICY", "TRACE_WRITER_ROLE", "fluent_bit_opensearch_output", "jaeger_config",
           "jaeger_values", "search_endpoint", "search_setup_values", "ADDON_RESOURCES", "ADOT_COLLECTOR_COMPONENTS", "ADOT_COLLECTOR_IMAGE", "ALERTMANAGER_STORAGE_GIB",
           "COLLECTOR_DROPPED_SPANS_METRICS", "COLLECTOR_METRICS_PORT", "collector_alert_rules", "ALERTMANAGER_RECEIVERS", "alertmanager_config", "CHART_REPOSITORIES", "CLUSTER_AUTOSCALER_SERVICE_ACCOUNT", "ClusterReleases",
           "CLUSTER_AUTOSCALER_IMAGES", "ClusterReleasesProps", "DEFAULT_CHART_VERSIONS",
           "EXTERNAL_SECRETS_SERVICE_ACCOUNT", "LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT",
           "GATEWAY_API_CRDS_CHART", "NGINX_GATEWAY_FABRIC_CRDS_CHART", "SEALED_SECRETS_CONTROLLER", "NGINX_PRESTOP_SECONDS", "ReleaseRoles", "default_charts_dir",
           "eks_helm_provider", "gateway_values", "CERT_MANAGER_NAMESPACE", "ISTIO_CHARTS", "ISTIO_NAMESPACE",
           "ISTIO_VERSION", "cert_manager_values", "istio_values", "control_plane_certificates",
           "control_plane_secret", "split_references", "CLOUDWATCH_DATASOURCE_UID",
           "grafana_cloudwatch_datasource"]
