"""The golden-signals dashboard of :class:`~vtc_constructs.alarms.Alarms`, as data: its graphs (CloudWatch dashboard
widgets) for the ALB, RDS and EKS, and the panels other parts add below them (:class:`DashboardSeries`, the cache's
row). :class:`~vtc_constructs.alarms.Alarms` makes the ``aws_cloudwatch_dashboard`` itself, in its own scope (construct
ID ``dashboard``, as before). ``DashboardSeries`` is re-exported by ``vtc_constructs.alarms``, where it was until
issue 27 (kept for existing imports; new code imports it from ``vtc_constructs`` or this module).

Usage::

    from vtc_constructs.alarms_dashboard import DashboardSeries, golden_signal_widgets, panel_widgets

    widgets = golden_signal_widgets("eu-west-1", props.targets)
    widgets += panel_widgets("Cache", [("hit rate (%)", [DashboardSeries(...)])], "eu-west-1", below=widgets)
    Fn.jsonencode({"widgets": widgets})   # the dashboard's body

Every graph is 12 wide and 6 high, two per row, with a 60-second period.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, NamedTuple, Sequence

if TYPE_CHECKING:
    from .alarms_props import AlarmTargets


class DashboardSeries(NamedTuple):
    """One line of a dashboard graph: a CloudWatch metric with its dimensions, statistic and legend label."""

    namespace: str
    metric: str
    statistic: str
    dimensions: Mapping[str, str]
    label: str


def golden_signal_widgets(region: str, targets: AlarmTargets) -> list[dict]:
    """The dashboard's first four rows: the ALB's traffic, errors, latency and healthy hosts per colour, the
    database's saturation and latency, the nodes' saturation, failed nodes and the API server's 5xx."""
    alb, db, cluster = targets.alb_arn_suffix, targets.db_instance_id, targets.cluster_name

    def widget(title: str, metrics: list, x: int, y: int, stat: str = "Sum") -> dict:
        return {"type": "metric", "x": x, "y": y, "width": 12, "height": 6,
                "properties": {"title": title, "region": region, "stat": stat, "period": 60,
                               "view": "timeSeries", "metrics": metrics}}

    colours = targets.target_group_arn_suffixes
    return [
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


def panel_widgets(title: str, graphs: Sequence[tuple[str, Sequence[DashboardSeries]]], region: str, *,
                  below: Sequence[dict]) -> list[dict]:
    """Graphs below the ``below`` widgets, two per row: each ``(graph title, series)``, titled
    ``"<title>: <graph title>"`` (``"Cache: hit rate (%)"``)."""
    y = max(w["y"] + w["height"] for w in below)
    return [{"type": "metric", "x": 12 * (index % 2), "y": y + 6 * (index // 2), "width": 12, "height": 6,
             "properties": {"title": f"{title}: {graph}", "region": region, "period": 60, "view": "timeSeries",
                            "metrics": [[s.namespace, s.metric, *[x for d in s.dimensions.items() for x in d],
                                         {"label": s.label, "stat": s.statistic}] for s in series]}}
            for index, (graph, series) in enumerate(graphs)]
