"""Paging that a person can live with: the Alertmanager configuration each workloads stack gives
kube-prometheus-stack, rendered (the release's values with its apply-time ``set`` values put back in, the stand-in for
each topic being the AWS stack output it references), and its routing tree evaluated for sample alerts without a
cluster (tooling/alertmanager.py): critical pages, warning notifies, info and InfoInhibitor go nowhere, Watchdog
beats to the heartbeat topic whose silence pages (the CloudWatch alarm, checked on the AWS stack).

That the chart passes this configuration through unchanged was checked by rendering kube-prometheus-stack 88.5.3
(prometheus-community/helm-charts, tag kube-prometheus-stack-88.5.3) with helm: the ``alertmanager.yaml`` of its
Secret equals ``alertmanager.config``, because every key of the chart's default configuration is set here
(:data:`CHART_DEFAULT_KEYS`, from that tag's values.yaml), so Helm's merge adds nothing.
"""

from __future__ import annotations

import copy
import json
import re

import pytest

from tests.conftest import ENVIRONMENT_NAMES
from tests.test_releases import REMOTE, releases_of, sets_of, values_of
from tooling.alertmanager import deliveries, inhibited, parse_matcher, route

#: The keys of kube-prometheus-stack 88.5.3's default ``alertmanager.config`` and of its ``route``.
CHART_DEFAULT_KEYS = {"global", "inhibit_rules", "route", "receivers", "templates"}
CHART_DEFAULT_ROUTE_KEYS = {"group_by", "group_wait", "group_interval", "repeat_interval", "receiver", "routes"}

ALERTS = {
    # kube-prometheus-stack's own rules (their severity labels as the chart sets them).
    "critical": {"alertname": "KubeAPIErrorBudgetBurn", "severity": "critical", "namespace": "kube-system"},
    "warning": {"alertname": "KubePodCrashLooping", "severity": "warning", "namespace": "vision-to-code"},
    "info": {"alertname": "CPUThrottlingHigh", "severity": "info", "namespace": "vision-to-code"},
    "InfoInhibitor": {"alertname": "InfoInhibitor", "severity": "none", "namespace": "vision-to-code"},
    "Watchdog": {"alertname": "Watchdog", "severity": "none"},
    # The services' own SLO alerts (charts/vision-to-code/templates/prometheusrule.yaml).
    "service SLO": {"alertname": "VtcErrorRateAboveObjective", "severity": "page", "service": "core",
                    "namespace": "vision-to-code", "colour": "blue"},
    "no severity": {"alertname": "SomethingNew", "namespace": "monitoring"},
}


def _set(values: dict, path: str, value: str) -> None:
    """Put a Helm ``--set`` value back at its path (``a.b[1].c``; ``\\.`` is a dot inside a key)."""
    parts = [p.replace("\0", ".") for p in path.replace("\\.", "\0").split(".")]
    node = values
    steps = []
    for part in parts:
        name, *indices = re.split(r"\[(\d+)\]", part)[::2] if "[" in part else (part,)
        steps.append(name)
        steps += [int(i) for i in re.findall(r"\[(\d+)\]", part)]
    for step in steps[:-1]:
        node = node[step]
    node[steps[-1]] = value


def rendered_config(workloads_stack: dict, aws_stack: dict) -> dict:
    """The Alertmanager configuration the release gets: its values, with each ``set`` value put back, a cross-stack
    reference standing in as the name of the AWS stack's documented output of the same value
    (``alarms_page_topic_arn``)."""
    outputs = aws_stack["output"]
    documented = {o["value"]: name for name, o in outputs.items()
                  if not name.startswith("cross-stack-output-") and isinstance(o["value"], str)}
    release = releases_of(workloads_stack)["kube-prometheus-stack"]
    values = copy.deepcopy(values_of(release))
    for path, value in sets_of(release).items():
        found = REMOTE.match(value)
        assert found and found["output"] in outputs, (path, value)
        _set(values, path, documented[outputs[found["output"]]["value"]])
    return values["alertmanager"]["config"]


@pytest.fixture(scope="module")
def configs(workloads_stacks, stacks):
    return {env: rendered_config(workloads_stacks[env], stacks[env]) for env in ENVIRONMENT_NAMES}


def topics(config: dict, receivers: list[str]) -> list[str]:
    by_name = {r["name"]: r for r in config["receivers"]}
    return [sns["topic_arn"] for name in receivers for sns in by_name[name].get("sns_configs", ())]


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_every_key_of_the_charts_default_configuration_is_set_so_helm_adds_nothing(env, configs):
    config = configs[env]
    assert set(config) == CHART_DEFAULT_KEYS
    assert CHART_DEFAULT_ROUTE_KEYS <= set(config["route"])
    names = [r["name"] for r in config["receivers"]]
    assert len(names) == len(set(names))

    def used(node):
        yield node["receiver"]
        for child in node.get("routes", ()):
            yield from used(child)
    assert set(used(config["route"])) == set(names)  # none missing, none unused


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
@pytest.mark.parametrize("alert, expected", [
    ("critical", ["alarms_page_topic_arn"]),
    ("service SLO", ["alarms_page_topic_arn"]),
    ("warning", ["alarms_notify_topic_arn"]),
    ("info", []),
    ("InfoInhibitor", []),
    ("Watchdog", ["alarms_heartbeat_topic_arn"]),
    ("no severity", ["alarms_notify_topic_arn"]),  # somebody sees it; nobody is woken
])
def test_each_alert_reaches_exactly_its_topic(env, configs, alert, expected):
    config = configs[env]
    assert topics(config, deliveries(config, ALERTS[alert])) == expected


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_a_critical_alert_mutes_its_own_warning_and_info_but_not_other_alerts(env, configs):
    config, rules = configs[env], configs[env]["inhibit_rules"]
    critical = {"alertname": "KubeletDown", "severity": "critical", "namespace": "kube-system"}
    its_warning = dict(critical, severity="warning")
    other = {"alertname": "KubeNodeNotReady", "severity": "warning", "namespace": "kube-system"}
    firing = [critical, its_warning, other]
    assert deliveries(config, its_warning, firing) == []
    assert topics(config, deliveries(config, other, firing)) == ["alarms_notify_topic_arn"]
    assert topics(config, deliveries(config, critical, firing)) == ["alarms_page_topic_arn"]
    # InfoInhibitor mutes info alerts of its namespace only.
    info, inhibitor = ALERTS["info"], ALERTS["InfoInhibitor"]
    assert inhibited(rules, info, [info, inhibitor])
    assert not inhibited(rules, dict(info, namespace="monitoring"), [inhibitor])


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_heartbeat_repeats_every_minute_and_its_silence_pages(env, configs, stacks):
    [watchdog] = [r for r in configs[env]["route"]["routes"] if r["receiver"] == "heartbeat"]
    assert (watchdog["group_wait"], watchdog["group_interval"], watchdog["repeat_interval"]) == ("0s", "1m", "1m")
    aws = stacks[env]
    [alarm] = [a for a in aws["resource"]["aws_cloudwatch_metric_alarm"].values()
               if a["alarm_name"] == f"vtc-{env}-alertmanager-watchdog"]
    heartbeat = aws["output"]["alarms_heartbeat_topic_arn"]["value"]
    [topic_key] = [k for k, t in aws["resource"]["aws_sns_topic"].items() if t["name"] == f"vtc-{env}-heartbeat"]
    assert heartbeat == f"${{aws_sns_topic.{topic_key}.arn}}"
    assert alarm["namespace"] == "AWS/SNS" and alarm["metric_name"] == "NumberOfMessagesPublished"
    assert alarm["dimensions"] == {"TopicName": f"${{aws_sns_topic.{topic_key}.name}}"}
    # Silence is no datapoint at all: missing data must count as breaching, or the alarm would never fire.
    assert (alarm["statistic"], alarm["comparison_operator"], alarm["threshold"], alarm["treat_missing_data"]) == \
        ("Sum", "LessThanThreshold", 1, "breaching")
    # Beats every minute, judged over 5-minute periods: one late beat never pages, 15 silent minutes do.
    assert alarm["period"] == 300 and alarm["evaluation_periods"] == alarm["datapoints_to_alarm"] == 3
    assert alarm["alarm_actions"] == [aws["output"]["alarms_page_topic_arn"]["value"]]
    # Alertmanager may publish to it (its IRSA role).
    policies = [p for p in aws["data"]["aws_iam_policy_document"].values()
                if any(s.get("sid") == "PublishToTheAlarmTopics" for s in p.get("statement", []))]
    [publish] = [s for p in policies for s in p["statement"] if s.get("sid") == "PublishToTheAlarmTopics"]
    assert heartbeat in publish["resources"]


# --- the evaluator itself: each rule of Alertmanager's it implements, with a case that must fail ------------------

def test_matchers_are_anchored_and_treat_a_missing_label_as_empty():
    assert parse_matcher('severity =~ "critical|page"').matches({"severity": "page"})
    assert not parse_matcher('severity =~ "critical|page"').matches({"severity": "paged"})
    assert parse_matcher('severity != "info"').matches({})
    assert parse_matcher('team = ""').matches({}) and not parse_matcher("team = x").matches({"team": "y"})
    assert parse_matcher('severity !~ "info|none"').matches({"severity": "warning"})
    with pytest.raises(ValueError):
        parse_matcher("severity")


def test_the_first_matching_route_wins_unless_it_continues_and_a_child_inherits_its_receiver():
    tree = {"receiver": "root", "routes": [
        {"receiver": "a", "matchers": ["team = x"], "continue": True,
         "routes": [{"matchers": ['severity = "critical"']}]},
        {"receiver": "b", "matchers": ["team = x"]},
        {"receiver": "c", "matchers": ["team = x"]},
    ]}
    assert route(tree, {"team": "x", "severity": "critical"}) == ["a", "b"]
    assert route(tree, {"team": "y"}) == ["root"]
    assert route({"receiver": "r", "routes": [{"receiver": "m", "match": {"team": "x"}}]}, {"team": "x"}) == ["m"]


def test_with_its_sealed_pagerduty_key_alertmanager_pages_pagerduty_itself_reading_the_key_from_the_mounted_secret(
        search_releases):
    """Issue 26: Alertmanager's PagerDuty key comes sealed (WorkloadsProps.alertmanager_pagerduty_secret; the stand-in
    with a search endpoint has one), never through a Terraform data source: the release mounts the Secret and the page
    receiver reads the key from its file; the value is nowhere in the configuration."""
    from tests.conftest import SEALED_STAND_IN
    from vtc_constructs.releases import ALERTMANAGER_SECRETS_DIR
    from vtc_constructs.workloads import ALERTMANAGER_PAGERDUTY_KEY

    releases = releases_of(search_releases["stack"])
    alertmanager = values_of(releases["kube-prometheus-stack"])["alertmanager"]
    assert alertmanager["alertmanagerSpec"]["secrets"] == ["pagerduty"]
    config = alertmanager["config"]
    by_name = {r["name"]: r for r in config["receivers"]}
    assert by_name["page"] == {"name": "page", "pagerduty_configs": [{
        "routing_key_file": f"{ALERTMANAGER_SECRETS_DIR}/pagerduty/{ALERTMANAGER_PAGERDUTY_KEY}",
        "send_resolved": True}]}
    for alert in ("critical", "service SLO"):
        assert deliveries(config, ALERTS[alert]) == ["page"]
    assert "routing_key\"" not in json.dumps(config) and "service_key" not in json.dumps(config)
    # The sealed value reaches the cluster only as the SealedSecret the controller opens.
    sealed = values_of(releases["vtc-cluster-config"])["sealedSecrets"]
    assert [(s["name"], s["namespace"], list(s["encryptedData"])) for s in sealed] == [
        ("pagerduty", "monitoring", [ALERTMANAGER_PAGERDUTY_KEY])]
    assert SEALED_STAND_IN not in json.dumps(alertmanager)
    # Without one, the page receiver is the page topic's (the environments: the tests above).
    plain = values_of(releases_of(search_releases["plain"])["kube-prometheus-stack"])["alertmanager"]
    assert "secrets" not in plain["alertmanagerSpec"]
    assert "pagerduty" not in json.dumps(plain["config"])
