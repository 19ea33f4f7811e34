"""The alarms AWS recommends for a :class:`~vtc_constructs.search.SearchDomain`, as data for the platform's
:class:`~vtc_constructs.alarms.Alarms` (``Alarms.add_search_alarms``). Re-exported by ``vtc_constructs.search``,
where they were until issue 27.

Usage::

    from vtc_constructs.search_alarms import search_alarms

    for alarm in search_alarms("vtc-production", "111122223333", volume_gib=200):
        alarm.key, alarm.metric_alarm_arguments(f"vtc-production-{alarm.key}")

**Alarms** are data for the platform's Alarms construct: :attr:`SearchDomain.search_alarms`, each a
:class:`SearchAlarm` (cluster status red and yellow, free storage, JVM memory pressure, automated snapshot failure),
following AWS's recommended alarms. Ref:
https://docs.aws.amazon.com/opensearch-service/latest/developerguide/cloudwatch-alarms.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping


# --- alarms, as data -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchAlarm:
    """One CloudWatch alarm on the domain, for the platform's Alarms construct to create. ``key`` is stable (the alarm's
    construct ID and name suffix); ``topic`` is where it should go (``page``: somebody acts now; ``notify``: a
    ticket)."""

    key: str
    metric: str
    statistic: str
    comparison: str
    threshold: float
    period: int
    evaluation_periods: int
    datapoints: int
    missing: str
    topic: str
    description: str
    dimensions: Mapping[str, str]
    namespace: str = "AWS/ES"

    def alarm_arguments(self) -> dict:
        """Keyword arguments of the platform's ``Alarms._alarm(key, ...)`` (vtc_constructs/alarms.py), which adds the
        name prefix, the topic's actions and the tags."""
        return {"description": self.description, "namespace": self.namespace, "metric": self.metric,
                "dimensions": dict(self.dimensions), "statistic": self.statistic, "threshold": self.threshold,
                "comparison": self.comparison, "missing": self.missing, "topic": self.topic, "period": self.period,
                "evaluation_periods": self.evaluation_periods, "datapoints": self.datapoints}

    def metric_alarm_arguments(self, alarm_name: str) -> dict:
        """Keyword arguments of ``CloudwatchMetricAlarm`` (add ``alarm_actions`` / ``ok_actions``)."""
        return {"alarm_name": alarm_name, "alarm_description": self.description, "namespace": self.namespace,
                "metric_name": self.metric, "dimensions": dict(self.dimensions), "statistic": self.statistic,
                "period": self.period, "evaluation_periods": self.evaluation_periods,
                "datapoints_to_alarm": self.datapoints, "threshold": self.threshold,
                "comparison_operator": self.comparison, "treat_missing_data": self.missing}


def search_alarms(domain_name: str, account_id: str, volume_gib: int) -> tuple[SearchAlarm, ...]:
    """AWS's recommended alarms for a domain, where they fit a log domain. Ref:
    https://docs.aws.amazon.com/opensearch-service/latest/developerguide/cloudwatch-alarms.html

    - ClusterStatus.red: maximum >= 1 for 1 minute, once (AWS's recommendation as given);
    - ClusterStatus.yellow: maximum >= 1 for 1 minute, 5 times in a row (as given);
    - FreeStorageSpace: minimum <= 25 % of one node's volume, in MiB, for 1 minute (AWS: "set it to 25 % of the
      storage space for each node" instead of its example 20480 MiB). The metric is per node; its minimum is the
      fullest node;
    - JVMMemoryPressure: maximum > 80 % for 15 minutes (3 periods of 5 minutes). AWS's table says >= 95 % for 3
      minutes, the edge of out-of-memory errors; the OpenSearch Service Well-Architected lens asks to keep it below
      85 % (AOSPERF02-BP02): this alarm warns while there is time to scale, and files a ticket rather than paging;
    - AutomatedSnapshotFailure: maximum >= 1 for 1 minute, once (as given).

    Missing data: ``missing`` (INSUFFICIENT_DATA, no page) for the status, storage and memory metrics, which the
    domain publishes every minute once it is up; ``notBreaching`` for snapshot failures."""
    dimensions = {"DomainName": domain_name, "ClientId": account_id}

    def alarm(key, metric, statistic, comparison, threshold, period, evaluations, missing, topic, description):
        return SearchAlarm(key=key, metric=metric, statistic=statistic, comparison=comparison, threshold=threshold,
                           period=period, evaluation_periods=evaluations, datapoints=evaluations, missing=missing,
                           topic=topic, description=description, dimensions=dimensions)

    return (
        alarm("search-cluster-red", "ClusterStatus.red", "Maximum", "GreaterThanOrEqualToThreshold", 1, 60, 1,
              "missing", "page", f"OpenSearch {domain_name}: a primary shard is unassigned (red); some logs cannot be "
              "written or searched. Look at: GET _cluster/allocation/explain, free storage, JVM pressure."),
        alarm("search-cluster-yellow", "ClusterStatus.yellow", "Maximum", "GreaterThanOrEqualToThreshold", 1, 60, 5,
              "missing", "notify", f"OpenSearch {domain_name}: replica shards unassigned for 5 minutes (yellow). "
              "Look at: a node lost, an AZ down, or replicas above what the nodes can hold."),
        alarm("search-free-storage", "FreeStorageSpace", "Minimum", "LessThanOrEqualToThreshold",
              volume_gib * 1024 // 4, 60, 1, "missing", "page", f"OpenSearch {domain_name}: a node has a quarter of "
              f"its {volume_gib} GiB volume left; at 5 % OpenSearch blocks writes. Look at: the ISM policy (are old "
              "indices deleted?), the ingest rate; grow volume_gib."),
        alarm("search-jvm-memory-pressure", "JVMMemoryPressure", "Maximum", "GreaterThanThreshold", 80, 300, 3,
              "missing", "notify", f"OpenSearch {domain_name}: JVM heap above 80 % for 15 minutes. Look at: shard "
              "count per node, expensive aggregations in Dashboards; scale the instance type up."),
        alarm("search-snapshot-failure", "AutomatedSnapshotFailure", "Maximum", "GreaterThanOrEqualToThreshold", 1,
              60, 1, "notBreaching", "page", f"OpenSearch {domain_name}: an automated snapshot failed (often a red "
              "cluster). Look at: GET _snapshot/cs-automated-enc/_all, cluster health."),
    )
