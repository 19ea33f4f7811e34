"""Alarms: SLO alarms for every layer, paging through encrypted SNS, and a golden-signals dashboard.

Usage::

    from vtc_constructs import Alarms, AlarmsProps, AlarmTargets, AlarmThresholds

    Alarms(self, "alarms", AlarmsProps(
        name="vtc-production",
        targets=AlarmTargets(alb_arn_suffix=edge.alb.arn_suffix, ..., cluster_name=cluster.cluster_name),
        thresholds=AlarmThresholds(alb_p99_latency_ms=100),
        page_email_endpoints=("oncall@example.com",),
        pagerduty_url_secret_names=("vtc-production/alarms/pagerduty-url",),   # subscribed after the apply
    ))

Three topics, all encrypted with a customer-managed key that CloudWatch may use (the third, ``<name>-heartbeat``,
receives Alertmanager's Watchdog heartbeat; its silence pages, see ``_watchdog_alarm``); of the first two, ``<name>-page`` wakes somebody up
(every SLO alarm, and "live colour unhealthy" per colour), ``<name>-notify`` files a ticket (the per-colour error
rate, latency and health alarms: the release tooling acts on those for a canary by itself). Pagers subscribe to the page topic
by e-mail, or by HTTPS through PagerDuty: its integration URL (which carries the integration key) lives in a Secrets
Manager secret named in the props (``pagerduty_url_secret_names``) and never passes through Terraform (neither the
configuration nor the plan nor the state): it is subscribed after every apply by ``python -m
vtc_constructs.paging subscribe --topic-arn <page_topic_arn> --secret <name>`` (:mod:`vtc_constructs.paging`, which
reads it at run time; until then PagerDuty receives nothing). Until 0.2.0 the URL was read by a
data source and subscribed by Terraform, which put it in the state: those props are refused now. Every alarm
has an alarm and an OK action, a description that says what to look at first, and a deliberate treatment of missing
data.

What is watched, per layer:

* ALB: p99 target response time above the SLO; 5xx rate (metric math: target 5xx over requests); ELB-generated
  5xx; rejected connections; per colour (the target group's own metrics, what judges a canary): 5xx rate, p99
  latency, unhealthy hosts, and unhealthy hosts while the colour receives requests (pages: the listener's weights
  belong to the release tooling, so "takes traffic" is read from the traffic, not from a configured weight).
* RDS: CPU; storage left to grow into as a share of the autoscaling ceiling (free storage plus the room autoscaling
  still has; until issue 12 it was free storage as a share of the first allocation, which fired on normal growth
  before autoscaling acted and meant 1.5 % free at a tenfold ceiling); freeable memory as a share of the instance class's memory;
  connections against the class's default ``max_connections``; read and write latency. A Multi-AZ *instance*
  deployment has a standby that cannot be read and publishes no replica lag, so there is no lag alarm to make.
* EKS (Container Insights): node CPU and memory utilisation, failed nodes; API server 5xx from the control plane.

Where the parts are (issue 27; their names stay importable from here, deprecated: import from ``vtc_constructs`` or
their module): the props and their checks (:class:`AlarmsProps`, :class:`AlarmTargets`, :class:`AlarmThresholds`,
:func:`rds_max_connections`) in ``alarms_props.py``; the dashboard's graphs (:class:`DashboardSeries`) in
``alarms_dashboard.py``. Here: the topics, the alarms per layer, the dashboard resource and the outputs.
"""

from __future__ import annotations

import functools
from typing import Sequence

from cdktf import Fn, Op
from constructs import Construct

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription

from ._common import (
    Account,
    Statement,
    account_admin_statement,
    claim_names,
    guard_replacement_safety,
    is_number_token,
    kms_key,
    policy_document,
    require_props,
)
from .aws_rules import RDS_INSTANCE_MEMORY_GIB  # noqa: F401  (re-exported: the one table of classes and memory)
from .errors import raise_if_any
# The props and the dashboard's graphs are in alarms_props.py and alarms_dashboard.py since issue 27. Their names stay
# importable from here for code written before (``from vtc_constructs.alarms import AlarmsProps``): deprecated, import
# them from ``vtc_constructs`` (the public ones) or their module.
from .alarms_dashboard import DashboardSeries, golden_signal_widgets, panel_widgets
from .alarms_props import (  # noqa: F401  (re-exported: they were defined here)
    GIB,
    MAX_CONNECTIONS_DIVISOR,
    AlarmsProps,
    AlarmTargets,
    AlarmThresholds,
    Number,
    rds_max_connections,
    topic_name,
)


class Alarms(Construct):
    """SLO alarms, paging topics and a dashboard for one environment. See the module docstring."""

    def __init__(self, scope: Construct, id: str, props: AlarmsProps):
        require_props("Alarms", props, AlarmsProps, "AlarmsProps(name='my-service', targets=AlarmTargets(...), "
                      "page_email_endpoints=('oncall@example.com',))")
        super().__init__(scope, id)
        raise_if_any(problem.prefixed(id) for problem in props.validate())
        guard_replacement_safety(self)
        name = props.name
        claim_names(self, id, *(("SNS topic", topic_name(name, kind)) for kind in ("page", "notify", "heartbeat")),
                    ("CloudWatch dashboard", name), ("KMS alias", f"alias/{name}-alarms"))
        self.props = props
        self.account = Account.of(self)
        self.alarms: dict[str, CloudwatchMetricAlarm] = {}
        tags = self._tags = {"vtc/alarms": props.name}
        self._topics(tags)
        self._alb_alarms(tags)
        self._rds_alarms(tags)
        self._eks_alarms(tags)
        self._watchdog_alarm(tags)
        self._dashboard()

    # --- paging ---------------------------------------------------------------------------------------------------

    def _topics(self, tags) -> None:
        props, account = self.props, self.account
        key_policy = policy_document(self, "topic-key-policy", account_admin_statement(account), Statement(
            sid="CloudWatchPublishesEncrypted", actions=["kms:Decrypt", "kms:GenerateDataKey*"], resources=["*"],
            principals={"Service": ["cloudwatch.amazonaws.com"]},
            conditions=[("StringEquals", "aws:SourceAccount", [account.id])]))
        self.topic_key = kms_key(self, "topic-key", description=f"{props.name} alarm topics",
                                       alias=f"{props.name}-alarms", policy=key_policy, tags=tags)
        self.topics = {}
        self._topic_arns = {}  # read once: every alarm names its topic twice, and each read is a round trip to jsii
        key_arn = self.topic_key_arn
        for kind in ("page", "notify"):
            topic = SnsTopic(self, f"{kind}-topic", name=topic_name(props.name, kind), kms_master_key_id=key_arn,
                             tags=tags)
            self._topic_arns[kind] = topic_arn = topic.arn
            policy = policy_document(self, f"{kind}-topic-policy-document", Statement(
                sid="CloudWatchAlarmsOfThisAccount", actions=["sns:Publish"], resources=[topic_arn],
                principals={"Service": ["cloudwatch.amazonaws.com"]},
                conditions=[("StringEquals", "aws:SourceAccount", [account.id])]))
            SnsTopicPolicy(self, f"{kind}-topic-policy", arn=topic_arn, policy=policy.json)
            self.topics[kind] = topic
        # Alertmanager's dead man's switch (see _watchdog_alarm): nobody subscribes; CloudWatch counts what arrives.
        # Same key as the others; only Alertmanager's role publishes (its IAM policy; the topic's default policy
        # admits this account's principals only).
        self.topics["heartbeat"] = SnsTopic(self, "heartbeat-topic", name=topic_name(props.name, "heartbeat"),
                                            kms_master_key_id=key_arn, tags=tags)
        self._topic_arns["heartbeat"] = self.topics["heartbeat"].arn
        subscriptions = [("page", "email", e) for e in props.page_email_endpoints]
        subscriptions += [("page", "https", u) for u in props.page_https_endpoints]
        subscriptions += [("notify", "email", e) for e in props.notify_email_endpoints]
        for i, (kind, protocol, endpoint) in enumerate(subscriptions):
            SnsTopicSubscription(self, f"{kind}-{protocol}-{i}", topic_arn=self._topic_arns[kind], protocol=protocol,
                                 endpoint=endpoint, endpoint_auto_confirms=protocol == "https" or None)
        # No subscription of the PagerDuty URLs here (pagerduty_url_secret_names): vtc_constructs.paging makes them
        # after the apply, so the URL never reaches Terraform.

    def _alarm(self, key: str, *, description: str, namespace: str | None = None, metric: str | None = None,
               dimensions: dict | None = None, statistic: str | None = None, threshold: Number,
               comparison: str = "GreaterThanThreshold", missing: str, topic: str = "page",
               queries: list | None = None, tags=None, period: int | None = None, evaluation_periods: int | None = None,
               datapoints: int | None = None) -> CloudwatchMetricAlarm:
        t = self.props.thresholds
        percentile = statistic if statistic and statistic.startswith("p") else None
        alarm = CloudwatchMetricAlarm(
            self, key, alarm_name=f"{self.props.name}-{key}", alarm_description=description,
            namespace=namespace, metric_name=metric, dimensions=dimensions,
            statistic=None if percentile or queries else statistic, extended_statistic=percentile,
            period=None if queries else period or t.period_seconds, metric_query=queries,
            evaluation_periods=evaluation_periods or t.evaluation_periods,
            datapoints_to_alarm=datapoints or t.datapoints_to_alarm,
            threshold=threshold, comparison_operator=comparison, treat_missing_data=missing,
            alarm_actions=[self._topic_arns[topic]], ok_actions=[self._topic_arns[topic]], tags=tags)
        self.alarms[key] = alarm
        return alarm

    def add_cache_alarms(self, specs, prefix: str = "cache") -> list[CloudwatchMetricAlarm]:
        """The alarms of a cache (:meth:`~vtc_constructs.cache.ValkeyCache.cache_alarm_specs`: hit rate, evictions,
        memory, engine CPU per node), on this construct's topics: ``<prefix>-<key>`` each (construct id and name)."""
        alarms = []
        period = self.props.thresholds.period_seconds
        for spec in specs:
            queries = None
            if spec.expression is not None:
                queries = [CloudwatchMetricAlarmMetricQuery(id=id, return_data=False, metric=(
                    CloudwatchMetricAlarmMetricQueryMetric(namespace=m.namespace, metric_name=m.metric_name,
                                                           stat=m.statistic, period=period,
                                                           dimensions=dict(m.dimensions))))
                           for id, m in spec.queries.items()]
                queries.append(CloudwatchMetricAlarmMetricQuery(id="value", return_data=True,
                                                                expression=spec.expression, label=spec.key))
            metric = spec.metric
            alarms.append(self._alarm(
                f"{prefix}-{spec.key}", description=spec.description, threshold=spec.threshold,
                comparison=spec.comparison, missing=spec.treat_missing_data, topic=spec.topic, queries=queries,
                namespace=metric.namespace if metric else None, metric=metric.metric_name if metric else None,
                dimensions=dict(metric.dimensions) if metric else None, statistic=metric.statistic if metric else None,
                tags=self._tags))
        return alarms

    def add_search_alarms(self, alarms) -> list[CloudwatchMetricAlarm]:
        """The alarms of a search domain (:attr:`~vtc_constructs.search.SearchDomain.search_alarms`: cluster red and
        yellow, free storage, JVM pressure, automated snapshot failure), on this construct's topics: each alarm's
        ``key`` (``search-cluster-red``, ...) is its construct id and the end of its name."""
        return [self._alarm(alarm.key, tags=self._tags, **alarm.alarm_arguments()) for alarm in alarms]

    # --- ALB --------------------------------------------------------------------------------------------------------

    def _alb_alarms(self, tags) -> None:
        t, targets = self.props.thresholds, self.props.targets
        alb = {"LoadBalancer": targets.alb_arn_suffix}
        ns = "AWS/ApplicationELB"
        self._alarm("alb-p99-latency", namespace=ns, metric="TargetResponseTime", dimensions=alb, statistic="p99",
                    threshold=t.alb_p99_latency_ms / 1000, missing="notBreaching", tags=tags,
                    description=f"p99 latency of the services above the {t.alb_p99_latency_ms} ms SLO. Look at: "
                                "the dashboard's latency per colour, RDS read/write latency, node CPU.")
        period = t.period_seconds

        def query(id, metric_name, stat="Sum", dimensions=alb, return_data=False):
            return CloudwatchMetricAlarmMetricQuery(id=id, return_data=return_data, metric=(
                CloudwatchMetricAlarmMetricQueryMetric(namespace=ns, metric_name=metric_name, stat=stat,
                                                       period=period, dimensions=dimensions)))

        self._alarm("alb-5xx-rate", threshold=t.alb_5xx_rate_percent, missing="notBreaching", tags=tags,
                    queries=[query("errors", "HTTPCode_Target_5XX_Count"), query("requests", "RequestCount"),
                             CloudwatchMetricAlarmMetricQuery(
                                 id="rate", label="5xx share of requests (%)", return_data=True,
                                 expression="IF(requests > 0, 100 * errors / requests, 0)")],
                    description=f"More than {t.alb_5xx_rate_percent} % of requests answered 5xx by the services. "
                                "Look at: the live colour's pods (kubectl logs), the last release, the database.")
        self._alarm("alb-elb-5xx", namespace=ns, metric="HTTPCode_ELB_5XX_Count", dimensions=alb, statistic="Sum",
                    threshold=t.alb_elb_5xx_count, missing="notBreaching", tags=tags,
                    description="The load balancer itself answers 5xx (no healthy target, or targets refusing "
                                "connections). Look at: target health per colour, the listener's weights.")
        self._alarm("alb-rejected-connections", namespace=ns, metric="RejectedConnectionCount", dimensions=alb,
                    statistic="Sum", threshold=t.alb_rejected_connections, missing="notBreaching", tags=tags,
                    description="The ALB rejects connections: it has reached its connection limit. Look at: traffic "
                                "spikes and the WAF's rate rule; ask AWS to pre-warm for expected peaks.")
        # Per colour, from the target group's own metrics: what judges a canary (environments/rollout.py reads the
        # same metrics and these alarms) and what says which colour is failing. They file tickets: the ALB-wide
        # alarms above page for what users see, and the rollout rolls a failing canary back by itself.
        for colour, suffix in targets.target_group_arn_suffixes.items():
            group = {**alb, "TargetGroup": suffix}
            self._alarm(f"alb-5xx-rate-{colour}", threshold=t.alb_5xx_rate_percent, missing="notBreaching",
                        topic="notify", tags=tags,
                        queries=[query("errors", "HTTPCode_Target_5XX_Count", dimensions=group),
                                 query("requests", "RequestCount", dimensions=group),
                                 CloudwatchMetricAlarmMetricQuery(
                                     id="rate", label=f"{colour}: 5xx share of its requests (%)", return_data=True,
                                     expression="IF(requests > 0, 100 * errors / requests, 0)")],
                        description=f"More than {t.alb_5xx_rate_percent} % of the requests {colour} received were "
                                    f"answered 5xx by its services. During a release the rollout rolls {colour} "
                                    f"back on this. Look at: {colour}'s pods (kubectl logs), its image tag.")
            self._alarm(f"alb-p99-latency-{colour}", namespace=ns, metric="TargetResponseTime", dimensions=group,
                        statistic="p99", threshold=t.alb_p99_latency_ms / 1000, missing="notBreaching",
                        topic="notify", tags=tags,
                        description=f"p99 latency of {colour}'s targets above the {t.alb_p99_latency_ms} ms SLO. "
                                    f"During a release the rollout rolls {colour} back on this. Look at: {colour}'s "
                                    "pods' CPU throttling, the database's latency.")
            self._alarm(
                f"alb-unhealthy-{colour}", namespace=ns, metric="UnHealthyHostCount", statistic="Maximum",
                dimensions=group, threshold=0, missing="notBreaching", topic="notify", tags=tags,
                description=f"A {colour} target fails its health check. This files a ticket; "
                            f"alb-live-unhealthy-{colour} pages while {colour} takes traffic. Look at: {colour} "
                            "pods' readiness.")
            # Pages only while the colour receives requests: the listener's weights are the release tooling's, not
            # this configuration's, so "takes traffic" is read from the traffic itself (until issue 21 a composite
            # alarm re-pointed by each deploy's weights, which a direct weight change left pointing at the old colour).
            self._alarm(
                f"alb-live-unhealthy-{colour}", threshold=0, missing="notBreaching", tags=tags,
                queries=[query("unhealthy", "UnHealthyHostCount", stat="Maximum", dimensions=group),
                         query("requests", "RequestCount", dimensions=group),
                         CloudwatchMetricAlarmMetricQuery(
                             id="live_unhealthy", label=f"{colour}: unhealthy targets while it takes traffic",
                             return_data=True, expression="IF(requests > 0, unhealthy, 0)")],
                description=f"{colour} takes traffic and has targets failing their health check. Look at: "
                            f"{colour}'s pods; if {colour} is the new release, {self.props.rollback_hint}.")

    # --- RDS --------------------------------------------------------------------------------------------------------

    def _rds_alarms(self, tags) -> None:
        t, targets = self.props.thresholds, self.props.targets
        db = {"DBInstanceIdentifier": targets.db_instance_id}
        ns = "AWS/RDS"
        memory = RDS_INSTANCE_MEMORY_GIB[targets.db_instance_class] * GIB
        connections = rds_max_connections(targets.db_instance_class)
        self._alarm("rds-cpu", namespace=ns, metric="CPUUtilization", dimensions=db, statistic="Average",
                    threshold=t.rds_cpu_percent, missing="breaching", tags=tags,
                    description=f"Database CPU above {t.rds_cpu_percent} %. Look at: Performance Insights' top SQL, "
                                "pg_stat_statements, missing indexes on vector searches (ivfflat/hnsw).")
        self._alarm("rds-free-storage", namespace=ns, metric="FreeStorageSpace", dimensions=db, statistic="Minimum",
                    threshold=self._free_storage_threshold(), comparison="LessThanThreshold", missing="breaching",
                    tags=tags, description=self._free_storage_description())
        self._alarm("rds-freeable-memory", namespace=ns, metric="FreeableMemory", dimensions=db, statistic="Minimum",
                    threshold=round(memory * t.rds_freeable_memory_percent / 100), comparison="LessThanThreshold",
                    missing="breaching", tags=tags,
                    description=f"Freeable memory below {t.rds_freeable_memory_percent} % of the instance's "
                                f"{memory // GIB} GiB. Look at: connection count, work_mem, large vector indexes.")
        self._alarm("rds-connections", namespace=ns, metric="DatabaseConnections", dimensions=db, statistic="Maximum",
                    threshold=round(connections * t.rds_connections_percent / 100), missing="breaching", tags=tags,
                    description=f"Connections above {t.rds_connections_percent} % of max_connections (~{connections} "
                                f"on {targets.db_instance_class}). Look at: pool sizes per service, leaked "
                                "connections, a pooler (RDS Proxy / PgBouncer).")
        for kind, limit in (("read", t.rds_read_latency_ms), ("write", t.rds_write_latency_ms)):
            self._alarm(f"rds-{kind}-latency", namespace=ns, metric=f"{kind.title()}Latency", dimensions=db,
                        statistic="Average", threshold=limit / 1000, missing="notBreaching", tags=tags,
                        description=f"Average {kind} latency above {limit} ms. Look at: IOPS and throughput against "
                                    "gp3's provisioned limits, checkpoints, vacuum activity.")

    def _free_storage_threshold(self) -> Number:
        """Free storage (bytes) below which less than ``rds_free_storage_percent`` of the ceiling is left to grow
        into: free + (ceiling - allocated) < share x ceiling, i.e. free < allocated - (1 - share) x ceiling. Far from
        the ceiling the threshold is negative (never reached: autoscaling has room); at the ceiling it is the share of
        the ceiling; without autoscaling (ceiling = allocation) it is the share of the allocation."""
        targets, share = self.props.targets, self.props.thresholds.rds_free_storage_percent / 100
        allocated = targets.db_allocated_storage_gib
        ceiling = targets.db_max_allocated_storage_gib
        if ceiling is None:
            if is_number_token(allocated):
                return Op.mul(allocated, round(share * GIB))
            return round(allocated * GIB * share)
        if is_number_token(allocated):
            return Op.mul(Op.sub(allocated, (1 - share) * ceiling), GIB)
        return round((allocated - (1 - share) * ceiling) * GIB)

    def _free_storage_description(self) -> str:
        targets, percent = self.props.targets, self.props.thresholds.rds_free_storage_percent
        ceiling = targets.db_max_allocated_storage_gib
        if ceiling is None:
            allocated = targets.db_allocated_storage_gib
            size = "" if is_number_token(allocated) else f"{allocated} GiB "
            return (f"Free storage below {percent} % of the {size}allocated (no autoscaling ceiling given). "
                    "Raise allocated_storage_gib or max_allocated_storage_gib. Look at: table bloat, WAL retention.")
        return (f"Less than {percent} % of the {ceiling} GiB autoscaling ceiling left to grow into (free storage plus "
                "what autoscaling may still add; the allocation is read at every deploy). Raise "
                "max_allocated_storage_gib before autoscaling stops. Look at: table bloat, WAL retention, vector "
                "index sizes.")

    # --- EKS --------------------------------------------------------------------------------------------------------

    def _eks_alarms(self, tags) -> None:
        t, cluster = self.props.thresholds, {"ClusterName": self.props.targets.cluster_name}
        insights = "ContainerInsights"
        self._alarm("eks-node-cpu", namespace=insights, metric="node_cpu_utilization", dimensions=cluster,
                    statistic="Average", threshold=t.eks_node_cpu_percent, missing="breaching", tags=tags,
                    description=f"Node CPU above {t.eks_node_cpu_percent} % across the cluster. Look at: HPA "
                                "targets, the cluster autoscaler's logs, node group max_size. Missing data means "
                                "Container Insights stopped reporting: that pages too.")
        self._alarm("eks-node-memory", namespace=insights, metric="node_memory_utilization", dimensions=cluster,
                    statistic="Average", threshold=t.eks_node_memory_percent, missing="breaching", tags=tags,
                    description=f"Node memory above {t.eks_node_memory_percent} %. Look at: pods without memory "
                                "limits, evictions, node group max_size.")
        self._alarm("eks-failed-nodes", namespace=insights, metric="cluster_failed_node_count", dimensions=cluster,
                    statistic="Maximum", threshold=t.eks_failed_nodes, missing="breaching", tags=tags,
                    description="Nodes in a failed state. Look at: kubectl get nodes, the node group's health "
                                "issues in the EKS console, the EC2 instances' status checks.")
        self._alarm("eks-apiserver-5xx", namespace="AWS/EKS", metric="apiserver_request_total_5XX",
                    dimensions=cluster, statistic="Sum", threshold=t.eks_apiserver_5xx_count,
                    missing="notBreaching", tags=tags,
                    description="The Kubernetes API server answers 5xx. Look at: the control-plane logs (audit, "
                                "api) in CloudWatch, admission webhooks timing out.")

    # --- Alertmanager's dead man's switch -----------------------------------------------------------------------------

    #: Alertmanager sends kube-prometheus-stack's always-firing ``Watchdog`` alert to the heartbeat topic about once a
    #: minute (its route in vtc_constructs/releases.py: ``repeat_interval`` 1m); SNS counts every publish in
    #: ``AWS/SNS NumberOfMessagesPublished`` (per topic, with or without subscribers). No publish in three
    #: consecutive 5-minute periods (a missing datapoint is breaching: a silent topic publishes no metric at all)
    #: pages: Prometheus, its rules, Alertmanager or Alertmanager's way to SNS (IRSA, KMS, network) is broken, and no
    #: other Prometheus alert can reach anybody. Chosen over an external heartbeat service (a second paging system
    #: outside Terraform) and over CloudWatch alarms on the pods (they would not see a wedged rule evaluation or a
    #: broken receiver: only the end-to-end publish does).
    WATCHDOG_PERIOD_SECONDS = 300
    WATCHDOG_SILENT_PERIODS = 3

    def _watchdog_alarm(self, tags) -> None:
        self._alarm("alertmanager-watchdog", namespace="AWS/SNS", metric="NumberOfMessagesPublished",
                    dimensions={"TopicName": self.topics["heartbeat"].name}, statistic="Sum", threshold=1,
                    comparison="LessThanThreshold", missing="breaching", tags=tags,
                    period=self.WATCHDOG_PERIOD_SECONDS, evaluation_periods=self.WATCHDOG_SILENT_PERIODS,
                    datapoints=self.WATCHDOG_SILENT_PERIODS,
                    description="Alertmanager's Watchdog heartbeat stopped reaching SNS: Prometheus alerts cannot "
                                "page anybody. Look at: the monitoring namespace's Prometheus and Alertmanager pods, "
                                "Alertmanager's log (SNS errors: its IRSA role, the topic key), the Watchdog rule. "
                                "Expected right after a first deploy until the workloads stack has installed "
                                "kube-prometheus-stack.")

    # --- dashboard ----------------------------------------------------------------------------------------------------

    def _dashboard(self) -> None:
        self._widgets = golden_signal_widgets(self.account.region, self.props.targets)
        self.dashboard = CloudwatchDashboard(self, "dashboard", dashboard_name=self.props.name,
                                             dashboard_body=Fn.jsonencode({"widgets": self._widgets}))

    def add_dashboard_panel(self, title: str, graphs: Sequence[tuple[str, Sequence[DashboardSeries]]]) -> None:
        """Graphs below the dashboard's others, two per row: each ``(graph title, series)``, titled
        ``"<title>: <graph title>"`` (``"Cache: hit rate (%)"``)."""
        self._widgets += panel_widgets(title, graphs, self.account.region, below=self._widgets)
        self.dashboard.dashboard_body = Fn.jsonencode({"widgets": self._widgets})

    @property
    def page_topic_arn(self) -> str:
        """The SNS topic that pages the on-call rota (KMS-encrypted): subscribe pagers to it."""
        return self._topic_arns["page"]

    @property
    def notify_topic_arn(self) -> str:
        """The SNS topic for non-urgent notifications (KMS-encrypted)."""
        return self._topic_arns["notify"]

    @property
    def heartbeat_topic_arn(self) -> str:
        """The SNS topic Alertmanager sends its Watchdog heartbeat to (KMS-encrypted, no subscribers): its silence
        pages (the ``alertmanager-watchdog`` alarm)."""
        return self._topic_arns["heartbeat"]

    @functools.cached_property
    def topic_key_arn(self) -> str:
        """The KMS key of both topics: a publisher other than CloudWatch (Alertmanager) needs
        ``kms:GenerateDataKey*`` and ``kms:Decrypt`` on it, through SNS only."""
        return self.topic_key.arn
