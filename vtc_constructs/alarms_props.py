"""The inputs of :class:`~vtc_constructs.alarms.Alarms` and their validation: what to watch (:class:`AlarmTargets`),
when to page (:class:`AlarmThresholds`) and who is paged (:class:`AlarmsProps`). Re-exported by
``vtc_constructs.alarms``, where they were until issue 27 (kept for existing imports; new code imports them from
``vtc_constructs`` or this module).

Usage::

    from vtc_constructs import AlarmsProps, AlarmTargets, AlarmThresholds

    props = AlarmsProps(name="vtc-production", targets=AlarmTargets(alb_arn_suffix=edge.alb.arn_suffix, ...),
                        thresholds=AlarmThresholds(alb_p99_latency_ms=100),
                        page_email_endpoints=("oncall@example.com",))
    props.validate()   # -> [] or every Problem, never an exception
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Sequence, Union

from ._common import is_number_token
from .aws_rules import (
    RDS_INSTANCE_MEMORY_GIB,
    alarm_period_problems,
    alarm_window_problems,
    rds_instance_class_problems,
)
from .errors import (Problem, classified, coerce_fields, is_list_reference, is_number, is_reference, is_whole,
                     not_a_list, shown, unresolved_problem)

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
        """Every problem. A Terraform reference is refused in every threshold: each is computed from (a share of the
        storage or the connections) or written into the alarm's description at synth."""
        synth_time = {f.name: ("a literal number known at synth", f"write the number itself: {f.name} is computed "
                               "from or written into the alarms' descriptions at synth") for f in fields(self)}
        return classified(self, self._problems(), synth_time)

    def _problems(self) -> list[Problem]:
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


_TARGETS_SYNTH_TIME_FIELDS = {
    "db_instance_class": ("a literal RDS instance class, e.g. 'db.r6g.large'", "pass the database's "
                          "props.instance_class: the connection alarm's threshold is computed from its memory at "
                          "synth"),
    "db_max_allocated_storage_gib": ("a literal whole number of GiB, or none", "pass database."
                                     "db_max_allocated_storage_gib (a literal): the free-storage alarm's threshold "
                                     "and description are computed from it at synth"),
}
_ALARMS_SYNTH_TIME_FIELDS = {
    "name": ("a literal name known at synth", "write the name itself: the topics, alarms and dashboard are named "
             "<name>-*"),
    "page_https_endpoints": ("a literal list of https:// URLs that hold no secret", "list the URLs themselves: each is "
                             "checked at synth not to be a PagerDuty URL (its key would be in the state); give a "
                             "secret's name in pagerduty_url_secret_names instead"),
    "pagerduty_url_secret_names": ("a literal list of Secrets Manager secret names", "list the names themselves: "
                                   "each is checked at synth not to be a URL (which would be its secret)"),
}
#: One subscription each, and at least one page: their number must be known at synth (an address in them may be a
#: reference, passed on to its subscription).
_ENDPOINT_LISTS = ("page_email_endpoints", "notify_email_endpoints")


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
        """Every problem. The other constructs' outputs are references the alarms only pass on (the ALB's and
        target groups' ARN suffixes, the instance id, the cluster name, the allocated storage): accepted. The
        instance class and the storage ceiling are computed from at synth: a reference there is refused."""
        return classified(self, self._problems(), _TARGETS_SYNTH_TIME_FIELDS)

    def _problems(self) -> list[Problem]:
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


def topic_name(name: str, kind: str) -> str:
    """The SNS topic ``<name>-<kind>`` of the Alarms named ``name``: ``page``, ``notify`` or ``heartbeat`` (also what
    the paging command subscribes to: ``vtc_constructs.paging``)."""
    return f"{name}-{kind}"


#: What the live-unhealthy alarm tells on-call to do about a failing new colour unless
#: :attr:`AlarmsProps.rollback_hint` says otherwise (this repository's environments name their rollback command).
DEFAULT_ROLLBACK_HINT = "shift the listener's weights back to the previous colour with your release tooling"


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
        never reads the URL, so it is in no plan and no state. **Nothing pages through them until you run, after
        every apply,** ``python -m vtc_constructs.paging subscribe --topic-arn <Alarms.page_topic_arn> --secret
        <name> ...`` (``pip install 'vtc-infra[ops]'``; or :func:`vtc_constructs.paging.subscribe_topic`): the URL
        read at run time, checked to be ``https://``, subscribed once however often it runs; a URL no longer named,
        e.g. after a key rotation, is unsubscribed. This repository's deploy workflow runs it for its environments.
    :param pagerduty_ssm_parameter_names: removed in 0.2.0 (refused when not empty): the URL was read by a data source
        and reached the state. Move the URL into Secrets Manager and name it in ``pagerduty_url_secret_names``.
    :param pagerduty_secret_names: removed in 0.2.0 (refused when not empty): as above; name the same secrets in
        ``pagerduty_url_secret_names``.
    :param notify_email_endpoints: default: none. E-mail addresses subscribed to the ticket topic.
    :param rollback_hint: default: :data:`DEFAULT_ROLLBACK_HINT` (shift the listener's weights back to the previous
        colour with your release tooling). What the ``alb-live-unhealthy-<colour>`` alarm tells on-call to do when the
        failing colour is the new release: your rollback command, e.g. ``"`deploy rollback staging`"``. At most
        300 characters (the alarm's description holds the rest of the text).
    """

    name: str | None = None
    targets: AlarmTargets | None = None
    thresholds: AlarmThresholds = AlarmThresholds()
    page_email_endpoints: Sequence[str] = ()
    page_https_endpoints: Sequence[str] = ()
    pagerduty_ssm_parameter_names: Sequence[str] = ()
    pagerduty_secret_names: Sequence[str] = ()
    notify_email_endpoints: Sequence[str] = ()
    pagerduty_url_secret_names: Sequence[str] = ()
    rollback_hint: str = DEFAULT_ROLLBACK_HINT

    def __post_init__(self):
        coerce_fields(self, tuples=("page_email_endpoints", "page_https_endpoints", "pagerduty_ssm_parameter_names",
                                    "pagerduty_secret_names", "notify_email_endpoints", "pagerduty_url_secret_names"))

    def validate(self) -> list[Problem]:
        """Every problem. A Terraform reference is refused where the alarms are named or the paging is checked at
        synth (``_ALARMS_SYNTH_TIME_FIELDS``), and as a whole e-mail list (one subscription each); an address in a
        list, the ``rollback_hint`` and the targets' references are accepted."""
        refused = [unresolved_problem(name, shown(getattr(self, name)), "a literal list of e-mail addresses (each "
                                      "may be a reference)", "list the addresses: each gets a subscription of its own")
                   for name in _ENDPOINT_LISTS if is_list_reference(getattr(self, name))]
        problems = classified(self, self._problems(), _ALARMS_SYNTH_TIME_FIELDS)
        return refused + [p for p in problems if p.path.split("[", 1)[0] not in {r.path for r in refused}]

    def _problems(self) -> list[Problem]:
        problems = []
        if isinstance(self.thresholds, AlarmThresholds):
            problems += [p.prefixed("thresholds") for p in self.thresholds.validate()]
        else:
            problems.append(Problem("thresholds", self.thresholds, "an AlarmThresholds",
                                    "build it with vtc_constructs.AlarmThresholds(...)", "not an AlarmThresholds"))
        if not isinstance(self.name, str) or not re.match(r"^[a-z][a-z0-9-]{1,40}$", self.name):
            problems.append(Problem("name", self.name, "a-z, 0-9 and '-'", "use the environment's prefix"))
        if not isinstance(self.rollback_hint, str) or not self.rollback_hint.strip() or len(self.rollback_hint) > 300:
            problems.append(Problem("rollback_hint", self.rollback_hint, "a sentence of 1-300 characters",
                                    "name your rollback command, or leave it out for the default"))
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
                if is_reference(address):  # passed on to its subscription as it is
                    continue
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
                "pagerduty_url_secret_names (subscribed after each apply by python -m vtc_constructs.paging "
                "subscribe --topic-arn ... --secret NAME) and remove this field; then rotate the integration key, "
                "which the old states hold "
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
        # A repeated URL is the integration key twice: reported, but not repeated here either.
        shown = "<a URL, not repeated here>" if re.search(r"(?i)(://|^https?:|pagerduty\.com)", name) else name
        problems.append(Problem(field, shown, "each name once", "remove the repeated name: it would subscribe "
                                "the same integration twice and page twice", "repeated name"))
    return problems


def _items(value) -> tuple:
    return value if isinstance(value, tuple) else ()
