"""Alarms: SLO alarms for every layer, paging through encrypted SNS, and a golden-signals dashboard.

Usage::

    from vtc_constructs import Alarms, AlarmsProps, AlarmTargets, AlarmThresholds

    Alarms(self, "alarms", AlarmsProps(
        name="vtc-production",
        targets=AlarmTargets(alb_arn_suffix=edge.alb.arn_suffix, ..., cluster_name=cluster.cluster_name),
        thresholds=AlarmThresholds(alb_p99_latency_ms=100),
        page_email_endpoints=("oncall@example.com",),
        pagerduty_url_secret_names=("vtc-production/alarms/pagerduty-url",),   # subscribed by the deploy, not here
    ))

Three topics, all encrypted with a customer-managed key that CloudWatch may use (the third, ``<name>-heartbeat``,
receives Alertmanager's Watchdog heartbeat; its silence pages, see ``_watchdog_alarm``); of the first two, ``<name>-page`` wakes somebody up
(every SLO alarm, and "live colour unhealthy" per colour), ``<name>-notify`` files a ticket (the per-colour error
rate, latency and health alarms: the release tooling acts on those for a canary by itself). Pagers subscribe to the page topic
by e-mail, or by HTTPS through PagerDuty: its integration URL (which carries the integration key) lives in a Secrets
Manager secret named in the props (``pagerduty_url_secret_names``) and never passes through Terraform (neither the
configuration nor the plan nor the state): the deploy workflow subscribes it after the apply
(``python -m environments.paging subscribe <env>``, which reads it at run time). Until 0.2.0 the URL was read by a
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
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, fields
from typing import Mapping, NamedTuple, Sequence, Union

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
from .aws_rules import (  # noqa: F401  (RDS_INSTANCE_MEMORY_GIB re-exported: the one table of classes and memory)
    RDS_INSTANCE_MEMORY_GIB,
    alarm_period_problems,
    alarm_window_problems,
    rds_instance_class_problems,
)
from .errors import Problem, coerce_fields, is_number, is_whole, not_a_list, raise_if_any
GIB = 1024 ** 3
#: RDS for PostgreSQL's default max_connections is LEAST(DBInstanceClassMemory / 9531392, 5000).
#: Ref: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections
MAX_CONNECTIONS_DIVISOR = 9531392

Number = Union[int, float]


def rds_max_connections(instance_class: str) -> int:
    """The default ``max_connections`` of ``instance_class`` (an upper estimate: RDS subtracts what the OS uses)."""
    return min(RDS_INSTANCE_MEMORY_GIB[instance_class] * GIB // MAX_CONNECTIONS_DIVISOR, 5000)


@dataclass(frozen=True, kw_only=True)
class AlarmThresholds:
    """When to page; every field has a default that fits the platform's production SLOs.

    Every threshold is a finite number (not a boolean). Percentages are 0-100. ``period_seconds`` is the metric
    period in whole seconds, a multiple of 60 (every metric watched is published once a minute at best, so a
    10-30 s high-resolution period would only give INSUFFICIENT_DATA); an alarm fires when ``datapoints_to_alarm``
    of the last ``evaluation_periods`` periods breach (whole numbers); ``period_seconds x evaluation_periods`` is at
    most one day (CloudWatch's limit for periods under an hour; seven days for longer ones).
    """

    alb_p99_latency_ms: int = 100
    alb_5xx_rate_percent: float = 1.0
    alb_elb_5xx_count: int = 10
    alb_rejected_connections: int = 0
    rds_cpu_percent: float = 80.0
    rds_free_storage_percent: float = 15.0
    rds_freeable_memory_percent: float = 10.0
    rds_connections_percent: float = 80.0
    rds_read_latency_ms: int = 20
    rds_write_latency_ms: int = 20
    eks_node_cpu_percent: float = 80.0
    eks_node_memory_percent: float = 85.0
    eks_failed_nodes: int = 0
    eks_apiserver_5xx_count: int = 10
    period_seconds: int = 60
    evaluation_periods: int = 5
    datapoints_to_alarm: int = 3

    def validate(self) -> list[Problem]:
        problems = []
        counts = ("period_seconds", "evaluation_periods", "datapoints_to_alarm")
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in counts:
                continue
            if not is_number(value):
                problems.append(Problem(f.name, value, "a finite number", f"set {f.name} to a number"))
            elif f.name.endswith("_percent") and not 0 < value <= 100:
                problems.append(Problem(f.name, value, "a percentage above 0, at most 100", "give a share"))
            elif f.name.endswith(("_ms", "_count", "_connections", "_nodes")) and value < 0:
                problems.append(Problem(f.name, value, ">= 0", "a count or duration cannot be negative"))
        period = self.period_seconds
        problems += alarm_period_problems(period, high_resolution=False)
        evaluation, datapoints = self.evaluation_periods, self.datapoints_to_alarm
        for name, value in (("evaluation_periods", evaluation), ("datapoints_to_alarm", datapoints)):
            if not is_whole(value):
                problems.append(Problem(name, value, "a whole number >= 1", f"set {name} to a count of periods",
                                        "not a whole number"))
        if not (is_whole(evaluation) and is_whole(datapoints)):
            return problems
        if evaluation < 1:
            problems.append(Problem("evaluation_periods", evaluation, ">= 1", "evaluate at least one period"))
        elif datapoints < 1:
            problems.append(Problem("datapoints_to_alarm", datapoints, ">= 1", "alarm on at least one datapoint"))
        elif evaluation < datapoints:
            problems.append(Problem("evaluation_periods", evaluation, f">= datapoints_to_alarm ({datapoints})",
                                    "evaluate at least as many periods as must breach", "fewer periods than datapoints"))
        else:
            problems += alarm_window_problems(period, evaluation)
        return problems


@dataclass(frozen=True, kw_only=True)
class AlarmTargets:
    """What to watch: the typed outputs of the other constructs (or of any other stack).

    :param db_allocated_storage_gib: the storage allocated now: ``database.db_allocated_storage_gib`` (a Terraform
        number that follows storage autoscaling, read at every deploy), or a plain number.
    :param db_max_allocated_storage_gib: default: the database does not autoscale its storage (the allocation is the
        ceiling). ``database.db_max_allocated_storage_gib``: the autoscaling ceiling, which the free-storage alarm
        is sized on.
    """

    alb_arn_suffix: str
    target_group_arn_suffixes: dict[str, str]  # colour -> target group ARN suffix
    db_instance_id: str
    db_instance_class: str
    db_allocated_storage_gib: int
    cluster_name: str
    db_max_allocated_storage_gib: int | None = None

    def validate(self) -> list[Problem]:
        problems = rds_instance_class_problems(self.db_instance_class, "db_instance_class")
        allocated, ceiling = self.db_allocated_storage_gib, self.db_max_allocated_storage_gib
        if not is_number_token(allocated) and (not is_whole(allocated) or allocated < 1):
            problems.append(Problem("db_allocated_storage_gib", allocated, "a whole number of GiB (or a number "
                                    "token)", "pass database.db_allocated_storage_gib"))
        elif ceiling is not None and (not is_whole(ceiling) or not is_number_token(allocated) and ceiling < allocated):
            problems.append(Problem("db_max_allocated_storage_gib", ceiling,
                                    f"a whole number of GiB, at least db_allocated_storage_gib ({allocated})",
                                    "pass database.db_max_allocated_storage_gib", "not a storage ceiling"))
        if not isinstance(self.target_group_arn_suffixes, dict):
            problems.append(Problem("target_group_arn_suffixes", self.target_group_arn_suffixes, "a table by colour",
                                    "pass one entry per colour", "not a table"))
        for name in ("alb_arn_suffix", "db_instance_id", "cluster_name"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                problems.append(Problem(name, getattr(self, name), "a string (or a string token)",
                                        "pass the other construct's typed output"))
        return problems


@dataclass(frozen=True, kw_only=True)
class AlarmsProps:
    """Input of :class:`Alarms`.

    :param name: prefix of the topics, alarms and the dashboard. Required when the construct is used alone; :class:`~vtc_constructs.platform.VisionToCodePlatform` sets it.
    :param targets: :class:`AlarmTargets`. Required when the construct is used alone; :class:`~vtc_constructs.platform.VisionToCodePlatform` sets it.
    :param thresholds: default: :class:`AlarmThresholds` defaults (production SLOs).
    :param page_email_endpoints: default: none. E-mail addresses subscribed to the paging topic.
    :param page_https_endpoints: default: none. HTTPS endpoints subscribed to the paging topic, as literal URLs:
        only for URLs that hold no secret. A PagerDuty integration URL carries its integration key, and a literal
        is written into the environment file, the synthesized JSON and the state: PagerDuty URLs are refused here,
        give the name of a secret that holds one instead (below).
    :param pagerduty_url_secret_names: default: none. Names (not ARNs) of Secrets Manager secrets whose value
        (``SecretString``, the URL alone, not JSON) is an HTTPS integration URL (PagerDuty's "Amazon CloudWatch"
        integration, or any HTTPS receiver whose URL is a secret). This construct makes nothing of them: Terraform
        never reads the URL, so it is in no plan and no state. The deploy workflow subscribes each to the paging topic
        right after the apply (``python -m environments.paging subscribe <env>``: the URL read at run time, checked
        to be ``https://``, subscribed once however often it runs; a URL no longer named, e.g. after a key rotation,
        is unsubscribed).
    :param pagerduty_ssm_parameter_names: removed in 0.2.0 (refused when not empty): the URL was read by a data source
        and reached the state. Move the URL into Secrets Manager and name it in ``pagerduty_url_secret_names``.
    :param pagerduty_secret_names: removed in 0.2.0 (refused when not empty): as above; name the same secrets in
        ``pagerduty_url_secret_names``.
    :param notify_email_endpoints: default: none. E-mail addresses subscribed to the ticket topic.
    """

    name: str | None = None
    targets: AlarmTargets | None = None
    thresholds: AlarmThresholds = AlarmThresholds()
    page_email_endpoints: tuple[str, ...] = ()
    page_https_endpoints: tuple[str, ...] = ()
    pagerduty_ssm_parameter_names: tuple[str, ...] = ()
    pagerduty_secret_names: tuple[str, ...] = ()
    notify_email_endpoints: tuple[str, ...] = ()
    pagerduty_url_secret_names: tuple[str, ...] = ()

    def __post_init__(self):
        coerce_fields(self, tuples=("page_email_endpoints", "page_https_endpoints", "pagerduty_ssm_parameter_names",
                                    "pagerduty_secret_names", "notify_email_endpoints", "pagerduty_url_secret_names"))

    def validate(self) -> list[Problem]:
        problems = []
        if isinstance(self.thresholds, AlarmThresholds):
            problems += [p.prefixed("thresholds") for p in self.thresholds.validate()]
        else:
            problems.append(Problem("thresholds", self.thresholds, "an AlarmThresholds",
                                    "build it with vtc_constructs.AlarmThresholds(...)", "not an AlarmThresholds"))
        if not isinstance(self.name, str) or not re.match(r"^[a-z][a-z0-9-]{1,40}$", self.name):
            problems.append(Problem("name", self.name, "a-z, 0-9 and '-'", "use the environment's prefix"))
        for field in ("page_email_endpoints", "page_https_endpoints", "notify_email_endpoints"):
            if not isinstance(getattr(self, field), tuple):
                problems.append(not_a_list(field, getattr(self, field), "strings", "('oncall@example.com',)"))
        if not isinstance(self.pagerduty_url_secret_names, tuple):
            problems.append(not_a_list("pagerduty_url_secret_names", self.pagerduty_url_secret_names, "names",
                                       "('vtc-production/alarms/pagerduty-url',)"))
        problems += _removed_pagerduty_props(self.pagerduty_ssm_parameter_names, self.pagerduty_secret_names)
        problems += _pagerduty_name_problems(self.pagerduty_url_secret_names)
        for field in ("page_email_endpoints", "notify_email_endpoints"):
            for i, address in enumerate(_items(getattr(self, field))):
                if not isinstance(address, str) or not re.match(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", address):
                    problems.append(Problem(f"{field}[{i}]", address, "an e-mail address", "correct the address"))
        for i, url in enumerate(_items(self.page_https_endpoints)):
            if not isinstance(url, str) or not re.match(r"^https://[^\s/]+/\S*$", url):
                problems.append(Problem(f"page_https_endpoints[{i}]", url, "an https:// URL",
                                        "paste the integration's HTTPS URL"))
            elif re.match(r"^https://([^/]*\.)?pagerduty\.com(:\d+)?/", url, re.IGNORECASE):
                # The value is not repeated: it holds the integration key.
                problems.append(Problem(f"page_https_endpoints[{i}]", "<a PagerDuty URL, not repeated here>",
                                        "an HTTPS URL that holds no secret", "store the URL as a secret in "
                                        "Secrets Manager, give its name in pagerduty_url_secret_names, and revoke "
                                        "this integration key: it has been written down", "secret URL"))
        if not (_items(self.page_email_endpoints) or _items(self.page_https_endpoints)
                or _items(self.pagerduty_url_secret_names)):
            problems.append(Problem("page_email_endpoints", [], "at least one paging subscription (e-mail, "
                                    "HTTPS or PagerDuty)",
                                    "subscribe the on-call rota: alarms nobody receives are wishes",
                                    "nobody is paged"))
        if isinstance(self.targets, AlarmTargets):
            problems += [p.prefixed("targets") for p in self.targets.validate()]
        else:
            problems.append(Problem("targets", self.targets, "an AlarmTargets", "build it from the other "
                                    "constructs' typed outputs: AlarmTargets(alb_arn_suffix=edge.alb.arn_suffix, ...)",
                                    "not an AlarmTargets"))
        return problems


#: Secrets Manager names: 1-512 of letters, digits and ``/_+=.@-``.
#: Ref: https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")


def _removed_pagerduty_props(parameters, secrets) -> list[Problem]:
    """The props that made Terraform read the paging URL (a data source) and subscribe it (the URL in the state),
    removed in 0.2.0: refused with where the names go now. The names are not repeated (one may be a pasted URL)."""
    problems = []
    for field, given in (("pagerduty_ssm_parameter_names", parameters), ("pagerduty_secret_names", secrets)):
        if given not in ((), None, []):
            problems.append(Problem(
                field, "<names not repeated here>", "nothing (removed in 0.2.0: Terraform read the URL through a data "
                "source and kept it, with its integration key, in the state)",
                "put each URL in a Secrets Manager secret (the URL alone), name the secrets in "
                "pagerduty_url_secret_names (the deploy workflow subscribes them: python -m environments.paging "
                "subscribe <env>) and remove this field; then rotate the integration key, which the old states hold "
                "(CHANGELOG.md, 0.2.0)", "removed"))
    return problems


def _pagerduty_name_problems(secrets) -> list[Problem]:
    """Every problem with the names of the secrets that hold paging URLs. A value that looks like a URL is never
    repeated in the problem: it would be the secret itself."""
    problems = []
    field, names = "pagerduty_url_secret_names", _items(secrets)
    allowed = "a Secrets Manager secret name (1-512 of letters, digits and / _ + = . @ -), not an ARN"
    for i, name in enumerate(names):
        if isinstance(name, str) and re.search(r"(?i)(://|^https?:|pagerduty\.com)", name):
            problems.append(Problem(f"{field}[{i}]", "<a URL, not repeated here>", allowed,
                                    "store the URL in Secrets Manager and give the NAME here; revoke the "
                                    "integration key: it has been written down", "a URL, not a name"))
        elif not isinstance(name, str) or not _SECRET_NAME.match(name) or name.startswith("arn:"):
            problems.append(Problem(f"{field}[{i}]", name, allowed, "give the name the URL is stored under, "
                                    "e.g. 'vtc-production/alarms/pagerduty-url'"))
    strings = [n for n in names if isinstance(n, str)]
    for name in sorted({n for n in strings if strings.count(n) > 1}):
        problems.append(Problem(field, name, "each name once", "remove the repeated name: it would subscribe "
                                "the same integration twice and page twice", "repeated name"))
    return problems


def _items(value) -> tuple:
    return value if isinstance(value, tuple) else ()


class DashboardSeries(NamedTuple):
    """One line of a dashboard graph: a CloudWatch metric with its dimensions, statistic and legend label."""

    namespace: str
    metric: str
    statistic: str
    dimensions: Mapping[str, str]
    label: str


class Alarms(Construct):
    """SLO alarms, paging topics and a dashboard for one environment. See the module docstring."""

    def __init__(self, scope: Construct, id: str, props: AlarmsProps):
        require_props("Alarms", props, AlarmsProps, "AlarmsProps(name='my-service', targets=AlarmTargets(...), "
                      "page_email_endpoints=('oncall@example.com',))")
        super().__init__(scope, id)
        raise_if_any(problem.prefixed(id) for problem in props.validate())
        guard_replacement_safety(self)
        name = props.name
        claim_names(self, id, ("SNS topic", f"{name}-page"), ("SNS topic", f"{name}-notify"),
                    ("SNS topic", f"{name}-heartbeat"),
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
            topic = SnsTopic(self, f"{kind}-topic", name=f"{props.name}-{kind}", kms_master_key_id=key_arn, tags=tags)
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
        self.topics["heartbeat"] = SnsTopic(self, "heartbeat-topic", name=f"{props.name}-heartbeat",
                                            kms_master_key_id=key_arn, tags=tags)
        self._topic_arns["heartbeat"] = self.topics["heartbeat"].arn
        subscriptions = [("page", "email", e) for e in props.page_email_endpoints]
        subscriptions += [("page", "https", u) for u in props.page_https_endpoints]
        subscriptions += [("notify", "email", e) for e in props.notify_email_endpoints]
        for i, (kind, protocol, endpoint) in enumerate(subscriptions):
            SnsTopicSubscription(self, f"{kind}-{protocol}-{i}", topic_arn=self._topic_arns[kind], protocol=protocol,
                                 endpoint=endpoint, endpoint_auto_confirms=protocol == "https" or None)
        # No subscription of the PagerDuty URLs here (pagerduty_url_secret_names): the deploy workflow makes them,
        # so the URL never reaches Terraform (environments/paging.py).

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
                            f"{colour}'s pods; if {colour} is the new release, `python -m environments.rollout "
                            f"rollback {self.props.name.removeprefix('vtc-')}`.")

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
        props, targets = self.props, self.props.targets
        region = self.account.region
        alb, db, cluster = targets.alb_arn_suffix, targets.db_instance_id, targets.cluster_name

        def widget(title: str, metrics: list, x: int, y: int, stat: str = "Sum") -> dict:
            return {"type": "metric", "x": x, "y": y, "width": 12, "height": 6,
                    "properties": {"title": title, "region": region, "stat": stat, "period": 60,
                                   "view": "timeSeries", "metrics": metrics}}

        colours = targets.target_group_arn_suffixes
        widgets = [
            widget("ALB: traffic (requests)", [["AWS/ApplicationELB", "RequestCount", "LoadBalancer", alb]], 0, 0),
            widget("ALB: errors (5xx)", [["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", alb],
                                         ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", alb]], 12, 0),
            widget("ALB: latency p99 (s)", [["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", alb]],
                   0, 6, stat="p99"),
            widget("ALB: healthy hosts per colour", [
                ["AWS/ApplicationELB", "HealthyHostCount", "TargetGroup", suffix, "LoadBalancer", alb,
                 {"label": colour}] for colour, suffix in colours.items()], 12, 6, stat="Minimum"),
            widget("RDS: saturation (CPU %, connections)", [
                ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", db],
                ["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", db, {"yAxis": "right"}]], 0, 12,
                stat="Average"),
            widget("RDS: latency (s)", [["AWS/RDS", "ReadLatency", "DBInstanceIdentifier", db],
                                        ["AWS/RDS", "WriteLatency", "DBInstanceIdentifier", db]], 12, 12,
                   stat="Average"),
            widget("EKS: node saturation (%)", [
                ["ContainerInsights", "node_cpu_utilization", "ClusterName", cluster],
                ["ContainerInsights", "node_memory_utilization", "ClusterName", cluster]], 0, 18, stat="Average"),
            widget("EKS: failed nodes, API 5xx", [
                ["ContainerInsights", "cluster_failed_node_count", "ClusterName", cluster],
                ["AWS/EKS", "apiserver_request_total_5XX", "ClusterName", cluster]], 12, 18, stat="Maximum"),
        ]
        self._widgets = widgets
        self.dashboard = CloudwatchDashboard(self, "dashboard", dashboard_name=props.name,
                                             dashboard_body=Fn.jsonencode({"widgets": widgets}))

    def add_dashboard_panel(self, title: str, graphs: Sequence[tuple[str, Sequence[DashboardSeries]]]) -> None:
        """Graphs below the dashboard's others, two per row: each ``(graph title, series)``, titled
        ``"<title>: <graph title>"`` (``"Cache: hit rate (%)"``)."""
        region = self.account.region
        y = max(w["y"] + w["height"] for w in self._widgets)
        for index, (graph, series) in enumerate(graphs):
            self._widgets.append({
                "type": "metric", "x": 12 * (index % 2), "y": y + 6 * (index // 2), "width": 12, "height": 6,
                "properties": {"title": f"{title}: {graph}", "region": region, "period": 60, "view": "timeSeries",
                               "metrics": [[s.namespace, s.metric, *[x for d in s.dimensions.items() for x in d],
                                            {"label": s.label, "stat": s.statistic}] for s in series]}})
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
