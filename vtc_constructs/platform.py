"""The whole Vision-to-Code platform from one props object: network, EKS, pgvector database, edge and alarms, wired.

Every part stays usable on its own (``Network``, ``EksCluster``, ...); this construct only composes them, the way
EKS Blueprints composes a cluster and its add-ons. It names every part after the platform, passes each part what it
needs from the others (subnets, security groups, the ALB and target groups, the database's class and storage). The
blue/green weights of ``edge`` are the HTTPS listener's first weights only: after the first deploy the listener owns
them, and a release or a rollback changes them directly (your release tooling's ``ModifyListener`` of
``edge.https_listener_arn``; this repository's is ``python -m environments.rollout``), never a deploy.

Usage::

    from vtc_constructs import (AlarmsProps, Certificate, DatabaseProps, EdgeProps, EksClusterProps, NetworkProps,
                                NodeGroupProps, PlatformProps, VisionToCodePlatform)

    platform = VisionToCodePlatform(stack, "platform", PlatformProps(
        name="acme-prod",
        network=NetworkProps(vpc_cidr="10.40.0.0/16",
                             availability_zones=("us-east-2a", "us-east-2b", "us-east-2c")),
        eks=EksClusterProps(kubernetes_version="1.36", node_groups=(NodeGroupProps(name="general"),),
                            admin_principal_arns=("arn:aws:iam::123456789012:role/admin",)),
        database=DatabaseProps(engine_version="16.8"),
        edge=EdgeProps(certificate=Certificate(domain_name="app.acme.io", hosted_zone_name="acme.io")),
        alarms=AlarmsProps(page_email_endpoints=("oncall@acme.io",)),
    ))
    platform.edge.alb_dns_name, platform.database.db_endpoint_address, platform.edge.https_listener_arn
    platform.services_role_arn   # the services' IRSA role: rds-db:connect as the application role, nothing else
    platform.grafana_role_arn    # with a cache: Grafana's IRSA role, CloudWatch metric reads (None without one)

Give the construct the ID ``Default`` to keep the Terraform addresses of a stack that created the parts directly
under the stack (cdktf leaves ``Default`` out of every logical ID): that is how this repository's own stacks use it.

Why one module: the planned wiring the environment model validates against (:func:`planned_search`,
:func:`planned_alarm_targets`) is the wiring this construct does, kept beside it so that the two cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from typing import Any

from constructs import Construct

from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret

from ._common import Account, Statement, account_admin_statement, kms_key, policy_document, require_props
from .alarms import Alarms
from .alarms_dashboard import DashboardSeries
from .alarms_props import AlarmsProps, AlarmTargets
from .cache import CacheNetwork, CacheProps, ValkeyCache
from .database import DatabaseProps, PgvectorDatabase
from .edge import COLOURS, Edge, EdgeProps
from .eks import EksCluster
from .eks_addons import FLUENT_BIT_SERVICE_ACCOUNT, JAEGER_SERVICE_ACCOUNT, SEARCH_ADMIN_SERVICE_ACCOUNT
from .namespaces import MONITORING_NAMESPACE, SERVICES_NAMESPACE
from .eks_props import EksClusterProps
from .errors import Problem, is_whole, raise_if_any
from .search import LOG_INDEX_PATTERNS, TRACE_INDEX_PATTERNS, SearchDomain, SearchDomainProps, SearchNetwork
from .workloads import SERVICES, Colour, release_name
from .network import (
    Network,
    NetworkProps,
    planned_cluster_network,
    planned_database_network,
    planned_edge_network,
)

#: The parts, in the order they are built (each needs only the ones before it).
PARTS = ("network", "eks", "database", "edge", "alarms")

#: kube-prometheus-stack's Alertmanager: namespace and service account (``<release>-alertmanager``) with
#: :class:`~vtc_constructs.workloads.WorkloadsProps`' defaults ``monitoring_namespace`` and ``monitoring_release``.
#: Its role may publish to the alarm topics, so Prometheus' alerts page through the same topic as CloudWatch's.
ALERTMANAGER_SERVICE_ACCOUNT = (MONITORING_NAMESPACE, "kube-prometheus-stack-alertmanager")
#: kube-prometheus-stack's Grafana: namespace and service account (the grafana subchart's fullname,
#: ``<release>-grafana``: grafana-community grafana 12.11.1, templates/_helpers.tpl ``grafana.serviceAccountName``),
#: with the same defaults. With a cache its role may read CloudWatch metrics: the services dashboard's cache panels.
GRAFANA_SERVICE_ACCOUNT = (MONITORING_NAMESPACE, "kube-prometheus-stack-grafana")
#: What Grafana's CloudWatch data source needs to draw metric panels, and nothing more: ``GetMetricData`` (every
#: metric query, search expressions included) and ``ListMetrics`` (the query editor's namespaces, metrics and dimension
#: values, and the metrics half of the data source's health check). Left out of Grafana's "metrics-only" example
#: policy: the alarm reads (``DescribeAlarms*``: alarm annotations), ``GetInsightRuleReport`` (Contributor Insights),
#: ``ec2:Describe*``, ``tag:GetResources`` and ``pi:GetResourceMetrics`` (template-variable helpers and Performance
#: Insights): no panel here uses them; and every ``logs:`` action (no log panels: the health check's logs half then
#: fails, which is expected). ``GetMetricStatistics`` is not needed: Grafana queries through ``GetMetricData`` only.
#: Ref: https://grafana.com/docs/grafana/latest/datasources/aws-cloudwatch/configure/#iam-policy-examples
GRAFANA_CLOUDWATCH_ACTIONS = ("cloudwatch:GetMetricData", "cloudwatch:ListMetrics")
#: The tag external-secrets requires on a Secrets Manager secret it pushes into and did not create.
PUSHED_SECRET_TAGS = {"managed-by": "external-secrets"}

_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def service_account_names() -> tuple[str, ...]:
    """The services' Kubernetes service accounts in both colours, ``vtc-<colour>-<service>`` (blue first, then
    green, in :data:`~vtc_constructs.workloads.SERVICES` order): what the chart's releases create and the services'
    role trusts. Equal to ``WorkloadsProps.service_account_names`` of both colours (tested)."""
    return tuple(f"{release_name(colour)}-{service}" for colour in Colour for service in SERVICES)


def planned_search(name: str, search: SearchDomainProps, network: NetworkProps) -> SearchDomainProps:
    """``search`` as platform ``name`` on a network of ``network`` will build it, with planned ids and role ARNs (the
    real ones exist at synth): for validating a search domain's props before anything is synthesized."""
    planned = PlatformProps(name=name, network=network, eks=None, database=None, edge=None, alarms=None,
                            search=search)
    role = "arn:aws:iam::000000000000:role/planned-"  # the roles the platform makes
    return dataclasses.replace(search, name=planned.search_domain_name,
                               network=planned.search_network(planned_cluster_network(network),
                                                              "planned:node-security-group"),
                               master_user_role_arn=f"{role}search-admin",
                               writer_role_arns=(f"{role}fluent-bit", f"{role}jaeger"))


def planned_alarm_targets(name: str, edge: EdgeProps, database: DatabaseProps) -> AlarmTargets:
    """What the alarms of platform ``name`` will watch, with planned ids (the real ones exist at synth): enough to
    validate :class:`AlarmsProps` against the database and edge they will get."""
    return AlarmTargets(alb_arn_suffix="planned:alb", target_group_arn_suffixes={c: f"planned:{c}" for c in COLOURS},
                        db_instance_id="planned:db", db_instance_class=database.instance_class,
                        db_allocated_storage_gib=database.allocated_storage_gib,
                        db_max_allocated_storage_gib=database.max_allocated_storage_gib, cluster_name=name)


@dataclass(frozen=True, kw_only=True)
class PlatformProps:
    """Input of :class:`VisionToCodePlatform`.

    Each part takes the props of its construct used alone, without what the platform fills in: leave out every
    part's ``name`` (or give the platform's), the ``network`` of the cluster, database and edge, and the alarms'
    ``targets``.

    :param name: the prefix of every AWS name of the platform (VPC, cluster, database, load balancer, topics, ...):
        lower-case letters, digits and ``-``, short enough for the load balancer (at most 21 characters). Required.
    :param network: :class:`NetworkProps`. Required.
    :param eks: :class:`EksClusterProps`. Required.
    :param database: :class:`DatabaseProps`. Required.
    :param edge: :class:`EdgeProps`; its ``blue_weight`` and ``green_weight`` are the listener's first weights
        (see :class:`~vtc_constructs.edge.Edge`). Required.
    :param alarms: :class:`AlarmsProps`. Required: somebody must be paged.
    :param cache: default: no cache. :class:`~vtc_constructs.cache.CacheProps` (without ``name`` and ``network``):
        a Valkey cache in the private subnets, admitting the EKS nodes only, whose IAM user the services' role may sign
        in as (``elasticache:Connect``), with its alarms (hit rate, evictions, memory, engine CPU) on the alarm topics,
        and Grafana's IRSA role (:attr:`VisionToCodePlatform.grafana_role_arn`: CloudWatch metric reads, for the
        services dashboard's Cache row).
    :param search: default: no search domain. :class:`~vtc_constructs.search.SearchDomainProps` (without ``name``,
        ``network``, ``master_user_role_arn`` and ``writer_role_arns``): an OpenSearch domain ``<name>-search`` for the
        logs Fluent Bit ships and the traces Jaeger stores, in as many private subnets (AZs) as it has data nodes (up to
        three), admitting the EKS nodes only. The platform makes its master role (IRSA for the setup Job,
        :data:`~vtc_constructs.eks_addons.SEARCH_ADMIN_SERVICE_ACCOUNT`) and Jaeger's role
        (:data:`~vtc_constructs.eks_addons.JAEGER_SERVICE_ACCOUNT`), lets Fluent Bit's role write its log indices, and puts
        the domain's alarms (red, yellow, free storage, JVM pressure, snapshot failure) on the alarm topics.
    :param workloads_namespace: default: ``vision-to-code`` (``WorkloadsProps.namespace``'s default): the namespace
        of the services' releases, whose service accounts (:func:`service_account_names`) may assume the services'
        role (:attr:`VisionToCodePlatform.services_role_arn`). Give the environment's ``workloads.namespace``.
    """

    name: str
    network: NetworkProps
    eks: EksClusterProps
    database: DatabaseProps
    edge: EdgeProps
    alarms: AlarmsProps
    cache: CacheProps | None = None
    search: SearchDomainProps | None = None
    workloads_namespace: str = SERVICES_NAMESPACE

    @property
    def search_domain_name(self) -> str:
        """``<name>-search``: the search domain's name (at most 28 characters: the platform's name is at most 21)."""
        return f"{self.name}-search"

    def search_network(self, cluster_network, client_security_group_id: str) -> SearchNetwork:
        """The search domain's network: the first private subnets, as many as the data nodes spread over (one node:
        one AZ; a multiple of three: three AZs; otherwise a multiple of two: two AZs; any other count: three, which
        the domain's props refuse with the rule), the nodes admitted."""
        subnets = tuple(cluster_network.subnet_ids)
        count = self.search.instance_count if self.search.instance_count is not None else len(subnets)
        zones = len(subnets)
        if is_whole(count) and count >= 1:
            zones = 1 if count == 1 else 3 if count % 3 == 0 else 2 if count % 2 == 0 else len(subnets)
        return SearchNetwork(vpc_id=cluster_network.vpc_id, subnet_ids=subnets[:zones],
                             client_security_group_ids=(client_security_group_id,))

    def parts(self, *, planned: bool) -> dict[str, Any]:
        """Each part's props with the platform's name and, with ``planned``, planned wiring (ids that exist only at
        synth), as :meth:`validate` checks them."""
        network = dataclasses.replace(self.network, name=self.name)
        parts: dict[str, Any] = {"network": network}
        if planned:
            parts["eks"] = dataclasses.replace(self.eks, name=self.name, network=planned_cluster_network(network))
            parts["database"] = dataclasses.replace(self.database, name=self.name,
                                                    network=planned_database_network(network))
            parts["edge"] = dataclasses.replace(self.edge, name=self.name, network=planned_edge_network(network))
            parts["alarms"] = dataclasses.replace(self.alarms, name=self.name,
                                                  targets=planned_alarm_targets(self.name, self.edge, self.database))
            if isinstance(self.cache, CacheProps):
                cluster = parts["eks"].network
                parts["cache"] = dataclasses.replace(self.cache, name=self.name, network=CacheNetwork(
                    vpc_id=cluster.vpc_id, subnet_ids=cluster.subnet_ids,
                    client_security_group_ids=("planned:node-security-group",)))
            if isinstance(self.search, SearchDomainProps):
                parts["search"] = planned_search(self.name, self.search, network)
        return parts

    def validate(self) -> list[Problem]:
        """Every problem of every part, each against the network it will get; paths start with the part's name
        (``eks.node_groups.general.max_size``). An invalid network is reported once, not again by each part on it."""
        problems: list[Problem] = []
        expected = {"network": NetworkProps, "eks": EksClusterProps, "database": DatabaseProps, "edge": EdgeProps,
                    "alarms": AlarmsProps}
        for part, cls in expected.items():
            value = getattr(self, part)
            if not isinstance(value, cls):
                problems.append(Problem(part, type(value).__name__, cls.__name__,
                                        f"build it with vtc_constructs.{cls.__name__}(...)", "wrong props"))
        if self.cache is not None and not isinstance(self.cache, CacheProps):
            problems.append(Problem("cache", type(self.cache).__name__, "None or CacheProps",
                                    "build it with vtc_constructs.cache.CacheProps(...), or leave it out",
                                    "wrong props"))
        if self.search is not None and not isinstance(self.search, SearchDomainProps):
            problems.append(Problem("search", type(self.search).__name__, "None or SearchDomainProps",
                                    "build it with vtc_constructs.search.SearchDomainProps(...), or leave it out",
                                    "wrong props"))
        if not isinstance(self.workloads_namespace, str) or not _NAMESPACE.match(self.workloads_namespace):
            problems.append(Problem("workloads_namespace", self.workloads_namespace, "a DNS label: 1-63 of a-z, "
                                    "0-9 and '-', starting and ending with a letter or digit",
                                    "give the services' namespace, e.g. 'vision-to-code'"))
        if any(p.path != "workloads_namespace" for p in problems):
            return problems
        for part in PARTS:
            given = getattr(self, part).name
            if given is not None and given != self.name:
                problems.append(Problem(f"{part}.name", given, f"None or {self.name!r} (the platform's name)",
                                        "leave it out: the platform names every part", "name differs"))
        if self.cache is not None and self.cache.name not in (None, self.name):
            problems.append(Problem("cache.name", self.cache.name, f"None or {self.name!r} (the platform's name)",
                                    "leave it out: the platform names every part", "name differs"))
        if self.search is not None and self.search.name is not None:
            problems.append(Problem("search.name", self.search.name, "None (the platform names the domain "
                                    f"{self.search_domain_name!r})", "leave it out: the platform names every part",
                                    "name given"))
        wired_parts = (("eks", "network"), ("database", "network"), ("edge", "network"), ("alarms", "targets"))
        if self.cache is not None:
            wired_parts += (("cache", "network"),)
        if self.search is not None:
            wired_parts += (("search", "network"), ("search", "master_user_role_arn"))
            if self.search.writer_role_arns:
                problems.append(Problem("search.writer_role_arns", list(self.search.writer_role_arns), "()",
                                        "leave it out: the platform admits Fluent Bit's and Jaeger's roles",
                                        "wired by the platform"))
        for part, wired in wired_parts:
            if getattr(getattr(self, part), wired) is not None:
                problems.append(Problem(f"{part}.{wired}", type(getattr(getattr(self, part), wired)).__name__,
                                        "None", f"leave it out: the platform wires {part} to the other parts",
                                        "wired by the platform"))
        parts = self.parts(planned=True)
        network_problems = [p.prefixed("network") for p in parts["network"].validate()]
        problems += network_problems
        for part in ("eks", "database", "edge", *(("cache",) if "cache" in parts else ())):
            problems += [p.prefixed(part) for p in parts[part].validate(check_network=not network_problems)]
        if "search" in parts and not network_problems:
            problems += [p.prefixed("search") for p in parts["search"].validate()]
        database_class_reported = any(p.path == "database.instance_class" for p in problems)
        # The alarms size their thresholds on the database's class: an unknown class is reported once, there.
        problems += [p.prefixed("alarms") for p in parts["alarms"].validate()
                     if not (database_class_reported and p.path == "targets.db_instance_class")]
        return problems


class VisionToCodePlatform(Construct):
    """Network, EKS cluster, pgvector database, edge (ALB, WAF, blue/green) and alarms, wired together.

    The parts are typed attributes with their own typed outputs: :attr:`network`, :attr:`eks`, :attr:`database`,
    :attr:`edge`, :attr:`alarms`. Until issue 21 the weights were Terraform variables (``blue_weight``,
    ``green_weight``) that every deploy applied; the listener now owns them.
    """

    def __init__(self, scope: Construct, id: str, props: PlatformProps):
        require_props("VisionToCodePlatform", props, PlatformProps,
                      "PlatformProps(name='my-platform', network=NetworkProps(...), eks=EksClusterProps(...), "
                      "database=DatabaseProps(...), edge=EdgeProps(...), alarms=AlarmsProps(...))")
        raise_if_any(p.prefixed(id) for p in props.validate())
        super().__init__(scope, id)
        self.props = props
        parts = props.parts(planned=False)
        self.network = Network(self, "network", parts["network"])
        self.eks = EksCluster(self, "eks", dataclasses.replace(props.eks, name=props.name,
                                                               network=self.network.cluster_network()))
        self.database = PgvectorDatabase(self, "database", dataclasses.replace(
            props.database, name=props.name,
            network=self.network.database_network(client_security_group_id=self.eks.node_security_group_id)))
        self.cache: ValkeyCache | None = None
        if props.cache is not None:
            cluster = self.network.cluster_network()
            self.cache = ValkeyCache(self, "cache", dataclasses.replace(props.cache, name=props.name, network=CacheNetwork(
                vpc_id=cluster.vpc_id, subnet_ids=cluster.subnet_ids,
                client_security_group_ids=(self.eks.node_security_group_id,))))
        # The services sign in to the database as the application role with IAM (no password), and to the cache as its
        # IAM user: their service accounts, in both colours, may take this role, which may connect as those two users
        # and nothing else.
        self.services_role = self.eks.irsa_role(
            "services-role", props.workloads_namespace, service_account_names(), statements=[
                Statement(sid="ConnectToTheDatabaseAsTheApplicationRole", actions=["rds-db:connect"],
                          resources=[self.database.db_connect_arn()]),
                *([self.cache.cache_connect_statement()] if self.cache else [])])
        self.edge = Edge(self, "edge", dataclasses.replace(
            props.edge, name=props.name,
            network=self.network.edge_network(target_security_group_id=self.eks.node_security_group_id)))
        self.alarms = Alarms(self, "alarms", dataclasses.replace(props.alarms, name=props.name, targets=AlarmTargets(
            alb_arn_suffix=self.edge.alb_arn_suffix,
            target_group_arn_suffixes=self.edge.target_group_arn_suffixes,
            db_instance_id=self.database.db_instance_id, db_instance_class=props.database.instance_class,
            # The free-storage alarm is sized on what storage autoscaling can still add: the allocation now (read
            # at every deploy, it follows autoscaling) and the ceiling.
            db_allocated_storage_gib=self.database.db_allocated_storage_gib,
            db_max_allocated_storage_gib=self.database.db_max_allocated_storage_gib,
            cluster_name=self.eks.cluster_name)))
        self.search: SearchDomain | None = None
        self.search_admin_role = self.jaeger_role = None
        if props.search is not None:
            self._search()
        if self.cache is not None:
            self.alarms.add_cache_alarms(self.cache.cache_alarm_specs())
            titles = {"CacheHitRate": "hit rate (%)", "Evictions": "evictions",
                      "DatabaseMemoryUsagePercentage": "memory used (%)", "EngineCPUUtilization": "engine CPU (%)"}
            self.alarms.add_dashboard_panel("Cache", [
                (titles[name], [DashboardSeries(m.namespace, m.metric_name, m.statistic, m.dimensions, f"node {n:03d}")
                                for n, m in enumerate(metrics, start=1)])
                for name, metrics in self.cache.cache_dashboard_metrics().items()])
        # Alertmanager's SNS receiver publishes to the alarm topics, which are encrypted: it needs the topic key too,
        # through SNS only. Ref: https://prometheus.io/docs/alerting/latest/configuration/#sns_config
        account = Account.of(self)
        self.alertmanager_role = self.eks.irsa_role(
            "alertmanager-role", *ALERTMANAGER_SERVICE_ACCOUNT, statements=[
                Statement(sid="PublishToTheAlarmTopics", actions=["sns:Publish"],
                          resources=[self.alarms.page_topic_arn, self.alarms.notify_topic_arn,
                                     self.alarms.heartbeat_topic_arn]),
                Statement(sid="EncryptForTheAlarmTopicsThroughSns",
                          actions=["kms:GenerateDataKey*", "kms:Decrypt"], resources=[self.alarms.topic_key_arn],
                          conditions=[("StringEquals", "kms:ViaService", [f"sns.{account.region}.amazonaws.com"])])])
        self.grafana_role = None
        if self.cache is not None:
            # Neither action takes a resource or a namespace condition (CloudWatch's service authorization reference):
            # "*", held to the platform's region.
            self.grafana_role = self.eks.irsa_role(
                "grafana-role", *GRAFANA_SERVICE_ACCOUNT, statements=[
                    Statement(sid="ReadCloudWatchMetricsForTheDashboards", actions=list(GRAFANA_CLOUDWATCH_ACTIONS),
                              resources=["*"],
                              conditions=[("StringEquals", "aws:RequestedRegion", [account.region])])])
        self._workload_secrets(account)

    def _search(self) -> None:
        """The search domain (construct ``search``), its master role (the setup Job's), Jaeger's role, Fluent Bit's
        right to write its log indices, and the domain's alarms.

        IAM scopes each role to the paths it calls (``es:ESHttp*`` per path, Ref:
        https://docs.aws.amazon.com/opensearch-service/latest/developerguide/ac.html); fine-grained access control then
        confines each to its own index patterns (the setup Job maps the roles: charts/vtc-search-setup)."""
        props, account = self.props, Account.of(self)
        name = props.search_domain_name
        # The domain's ARN is known before the domain (its name is), so the roles the domain admits can be made first.
        domain = account.arn("es", f"domain/{name}")
        self.search_admin_role = self.eks.irsa_role(
            "search-admin-role", *SEARCH_ADMIN_SERVICE_ACCOUNT, statements=[
                Statement(sid="SetUpIndexLifecycleSecurityRolesAndTemplates",
                          actions=["es:ESHttpGet", "es:ESHttpPut"],
                          resources=[f"{domain}/_plugins/_ism/policies/*", f"{domain}/_plugins/_security/api/*",
                                     f"{domain}/_index_template/*"])])
        self.jaeger_role = self.eks.irsa_role(
            "jaeger-role", *JAEGER_SERVICE_ACCOUNT, statements=[
                Statement(sid="WriteAndSearchTheTraceIndices",
                          actions=["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"],
                          resources=[domain, f"{domain}/", *(f"{domain}/{p}" for p in TRACE_INDEX_PATTERNS),
                                     f"{domain}/_bulk", f"{domain}/_msearch", f"{domain}/_template/*"])])
        scope = Construct(self, "search-writers")
        document = policy_document(scope, "fluent-bit-policy-document", Statement(
            sid="WriteTheLogIndices", actions=["es:ESHttpGet", "es:ESHttpPost", "es:ESHttpPut"],
            resources=[f"{domain}/_bulk", *(f"{domain}/{p}" for p in LOG_INDEX_PATTERNS)]))
        policy = IamPolicy(scope, "fluent-bit-policy", name_prefix=f"{props.name}-fluent-bit-search-"[:38],
                           policy=document.json, tags={"vtc/platform": props.name})
        IamRolePolicyAttachment(scope, "fluent-bit-policy-attachment", role=self.eks.fluent_bit_role.name,
                                policy_arn=policy.arn)
        self.search = SearchDomain(self, "search", dataclasses.replace(
            props.search, name=name,
            network=props.search_network(self.network.cluster_network(), self.eks.node_security_group_id),
            master_user_role_arn=self.search_admin_role.arn,
            writer_role_arns=(self.eks.fluent_bit_role.arn, self.jaeger_role.arn)))
        self.alarms.add_search_alarms(self.search.search_alarms)

    @functools.cached_property
    def jaeger_role_arn(self) -> str | None:
        """IRSA role of Jaeger (:data:`~vtc_constructs.eks_addons.JAEGER_SERVICE_ACCOUNT`): its trace indices on the search
        domain only. None without a search domain."""
        return self.jaeger_role.arn if self.jaeger_role is not None else None

    @functools.cached_property
    def search_admin_role_arn(self) -> str | None:
        """The search domain's master role, taken by the setup Job
        (:data:`~vtc_constructs.eks_addons.SEARCH_ADMIN_SERVICE_ACCOUNT`). None without a search domain."""
        return self.search_admin_role.arn if self.search_admin_role is not None else None

    def _workload_secrets(self, account: Account) -> None:
        """The secrets the workloads share with AWS through external-secrets (construct ``workload-secrets``), under
        the environment's secrets prefix and encrypted with a key of their own that external-secrets may use through
        Secrets Manager only.

        Grafana's admin sign-in: the secret only, never a value. Its password is generated in the cluster
        (external-secrets' ``Password`` generator, charts/vtc-cluster-config) and pushed here (a ``PushSecret``) as the
        break-glass copy: Terraform neither generates nor reads it, so it is in no plan and no state. Until 0.2.0 a
        ``data "aws_secretsmanager_random_password"`` and a secret version put it in the state (and a fresh one into
        every plan): both are gone; the secret keeps its construct ID (renaming it would replace it).
        See docs/design/secrets-outside-state.md."""
        name, tags = self.props.name, {"vtc/platform": self.props.name}
        prefix = self.props.eks.secrets_prefix or f"{name}/"
        scope = Construct(self, "workload-secrets")
        self.workload_secrets_key = kms_key(
            scope, "key", description=f"{name} secrets of the workloads (Secrets Manager)",
            alias=f"{name}-workload-secrets", policy=policy_document(scope, "key-policy",
                                                                     account_admin_statement(account)), tags=tags)
        self._grafana_admin_secret_name = f"{prefix}grafana-admin"
        # external-secrets pushes into an existing secret only when it carries this tag (its AWS provider, v2.9.0:
        # providers/v1/aws/secretsmanager/secretsmanager.go, isManagedByESO: "secret not managed by external-secrets").
        self.grafana_admin_secret = SecretsmanagerSecret(
            scope, "grafana-admin", name=self._grafana_admin_secret_name, kms_key_id=self.workload_secrets_key.arn,
            description=f"Grafana admin sign-in of {name} (JSON: username, password); generated in the cluster and "
                        "pushed here by external-secrets (break-glass copy)",
            recovery_window_in_days=7, tags={**tags, **PUSHED_SECRET_TAGS})
        document = policy_document(
            scope, "external-secrets-policy-document",
            Statement(sid="DecryptTheWorkloadSecretsThroughSecretsManager", actions=["kms:Decrypt"],
                      resources=[self.workload_secrets_key.arn],
                      conditions=[("StringEquals", "kms:ViaService",
                                   [f"secretsmanager.{account.region}.amazonaws.com"])]),
            # The PushSecret of Grafana's admin: a new version of exactly that secret (never create, delete, tag or
            # re-key one), encrypted with the secrets' key through Secrets Manager. The secret's ARN ends in a random
            # suffix: the resource is the ARN Terraform knows.
            Statement(sid="PushGrafanasAdminSignIn", actions=["secretsmanager:PutSecretValue"],
                      resources=[self.grafana_admin_secret.arn]),
            Statement(sid="EncryptThePushedSecretThroughSecretsManager", actions=["kms:GenerateDataKey"],
                      resources=[self.workload_secrets_key.arn],
                      conditions=[("StringEquals", "kms:ViaService",
                                   [f"secretsmanager.{account.region}.amazonaws.com"])]))
        policy = IamPolicy(scope, "external-secrets-policy", name_prefix=f"{name}-external-secrets-kms-"[:38],
                           policy=document.json, tags=tags)
        IamRolePolicyAttachment(scope, "external-secrets-policy-attachment",
                                role=self.eks.external_secrets_role.name, policy_arn=policy.arn)

    @property
    def grafana_admin_secret_name(self) -> str:
        """The Secrets Manager secret of Grafana's admin sign-in (JSON ``username``, ``password``):
        ``<secrets prefix>grafana-admin``, which external-secrets pushes the cluster-generated sign-in to. The name as
        configured (a plain string, known before any apply), so a consumer in another stack needs no reference to this
        one."""
        return self._grafana_admin_secret_name

    @functools.cached_property
    def alertmanager_role_arn(self) -> str:
        """IRSA role of kube-prometheus-stack's Alertmanager (:data:`ALERTMANAGER_SERVICE_ACCOUNT`): ``sns:Publish``
        to the page and notify topics and their key, through SNS only."""
        return self.alertmanager_role.arn

    @functools.cached_property
    def grafana_role_arn(self) -> str | None:
        """IRSA role of kube-prometheus-stack's Grafana (:data:`GRAFANA_SERVICE_ACCOUNT`): CloudWatch metric reads
        (:data:`GRAFANA_CLOUDWATCH_ACTIONS`) in the platform's region, for the services dashboard's cache panels. None
        without a cache."""
        return self.grafana_role.arn if self.grafana_role is not None else None

    @functools.cached_property
    def services_role_arn(self) -> str:
        """IRSA role of the services (``<workloads_namespace>/vtc-{blue,green}-<service>``): ``rds-db:connect`` as
        the database's application role only. The chart's ``serviceAccount`` annotation takes it."""
        return self.services_role.arn
