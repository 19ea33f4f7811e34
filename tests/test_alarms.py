"""The Alarms construct: topics, every alarm, the per-colour alarms that judge a canary, the dashboard,
validation, and a golden file of every alarm per environment (snapshots/alarms/<env>.json)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from tests.conftest import ENVIRONMENT_NAMES
from tests.helpers import assert_one_problem, by_path, ref, resources, synth, synth_outputs
from tooling.paths import REPO
from vtc_constructs import Alarms, AlarmsProps, AlarmTargets, AlarmThresholds, ConfigError
from vtc_constructs.alarms import rds_max_connections
from vtc_constructs.alarms_props import DEFAULT_ROLLBACK_HINT

TARGETS = AlarmTargets(alb_arn_suffix="app/vtc-test/0123456789abcdef",
                       target_group_arn_suffixes={"blue": "targetgroup/vtc-test-blue/1", "green": "targetgroup/vtc-test-green/2"},
                       db_instance_id="vtc-test-postgres",
                       db_instance_class="db.r6g.large", db_allocated_storage_gib=100, cluster_name="vtc-test")
PROPS = AlarmsProps(name="vtc-test", targets=TARGETS, page_email_endpoints=("oncall@example.com",),
                    page_https_endpoints=("https://events.example.com/integration/abc",),
                    notify_email_endpoints=("team@example.com",))


@pytest.fixture(scope="module")
def tf():
    return synth(lambda s: Alarms(s, "alarms", PROPS))


def alarms_of(tf: dict) -> dict[str, dict]:
    return {a["alarm_name"]: a for a in resources(tf, "aws_cloudwatch_metric_alarm").values()}


# --- topics ---------------------------------------------------------------------------------------------------------

def test_encrypted_topics_that_only_this_accounts_cloudwatch_may_publish_to_and_a_heartbeat_topic(tf):
    for kind in ("page", "notify"):
        topic = by_path(tf, "aws_sns_topic", f"{kind}-topic")
        assert topic["name"] == f"vtc-test-{kind}"
        assert topic["kms_master_key_id"] == ref(tf, "aws_kms_key", "alarms/topic-key", "arn")
        (statement,) = by_path(tf, "aws_iam_policy_document", f"{kind}-topic-policy-document", data=True)["statement"]
        assert statement["principals"] == [{"type": "Service", "identifiers": ["cloudwatch.amazonaws.com"]}]
        assert statement["condition"][0]["variable"] == "aws:SourceAccount"
    # The heartbeat topic: encrypted with the same key, no subscriber, no CloudWatch publisher (only Alertmanager).
    heartbeat = by_path(tf, "aws_sns_topic", "heartbeat-topic")
    assert heartbeat["name"] == "vtc-test-heartbeat"
    assert heartbeat["kms_master_key_id"] == ref(tf, "aws_kms_key", "alarms/topic-key", "arn")
    assert not [d for k, d in tf["data"]["aws_iam_policy_document"].items() if k.startswith("alarms_heartbeat")]
    key = {s["sid"]: s for s in by_path(tf, "aws_iam_policy_document", "topic-key-policy", data=True)["statement"]}
    assert key["CloudWatchPublishesEncrypted"]["actions"] == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_subscriptions_come_from_props(tf):
    subscriptions = sorted((s["protocol"], s["endpoint"], s["topic_arn"])
                           for s in resources(tf, "aws_sns_topic_subscription").values())
    page, notify = (ref(tf, "aws_sns_topic", f"{k}-topic", "arn") for k in ("page", "notify"))
    assert subscriptions == sorted([("email", "oncall@example.com", page),
                                    ("https", "https://events.example.com/integration/abc", page),
                                    ("email", "team@example.com", notify)])


# --- PagerDuty: the URL never passes through Terraform (issue 26) ----------------------------------------------------

PAGERDUTY = dataclasses.replace(PROPS, page_https_endpoints=(),
                                pagerduty_url_secret_names=("vtc-test/alarms/pagerduty-url",))


@pytest.fixture(scope="module")
def paged():
    return synth(lambda s: Alarms(s, "alarms", PAGERDUTY))


def test_pagerduty_url_secrets_make_no_data_source_and_no_subscription_so_the_url_is_never_in_state(paged):
    """The deploy workflow subscribes them (environments/paging.py, tests/test_paging.py): Terraform neither reads
    the URL (a data source would put it in the state) nor subscribes it (the endpoint would be in the state)."""
    assert set(paged.get("data", {})) <= {"aws_iam_policy_document", "aws_caller_identity", "aws_region",
                                          "aws_partition"}, sorted(paged["data"])
    subscriptions = sorted((s["protocol"], s["endpoint"])
                           for s in resources(paged, "aws_sns_topic_subscription").values())
    assert subscriptions == [("email", "oncall@example.com"), ("email", "team@example.com")]
    assert "pagerduty" not in json.dumps(paged).lower()


def test_the_removed_pagerduty_props_are_refused_with_where_the_names_go_now():
    for field in ("pagerduty_ssm_parameter_names", "pagerduty_secret_names"):
        props = dataclasses.replace(PROPS, **{field: ("https://events.pagerduty.com/integration/0123abcd/enqueue",)})
        [problem] = props.validate()
        assert str(problem).startswith(f"{field}: removed (got '<names not repeated here>')"), str(problem)
        assert "pagerduty_url_secret_names" in str(problem) and "0123abcd" not in str(problem)


# --- alarms -----------------------------------------------------------------------------------------------------------

def test_every_alarm_has_actions_a_description_and_a_missing_data_treatment(tf):
    alarms = alarms_of(tf)
    assert len(alarms) == 23
    page, notify = (ref(tf, "aws_sns_topic", f"{k}-topic", "arn") for k in ("page", "notify"))
    per_colour_tickets = {f"vtc-test-alb-{kind}-{colour}" for kind in ("unhealthy", "5xx-rate", "p99-latency")
                          for colour in ("blue", "green")}
    for name, alarm in alarms.items():
        topic = notify if name in per_colour_tickets else page
        assert alarm["alarm_actions"] == [topic] and alarm["ok_actions"] == [topic], name
        assert "Look at" in alarm["alarm_description"], name
        if name == "vtc-test-alertmanager-watchdog":  # its own periods: tests/test_alertmanager_routing.py
            assert (alarm["period"], alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (300, 3, 3)
            continue
        assert alarm["evaluation_periods"] == 5 and alarm["datapoints_to_alarm"] == 3
    # Written out per alarm (issue 16): silence where the signal is "nothing happened" (no errors, no traffic),
    # an alarm where silence means the source itself is gone (no nodes reporting, no database metrics).
    missing = {name: alarm["treat_missing_data"] for name, alarm in alarms.items()}
    assert missing == {
        **{f"vtc-test-{n}": "notBreaching" for n in (
            "alb-5xx-rate", "alb-elb-5xx", "alb-p99-latency", "alb-rejected-connections", "alb-unhealthy-blue",
            "alb-unhealthy-green", "eks-apiserver-5xx", "rds-read-latency", "rds-write-latency",
            *(f"alb-{kind}-{colour}" for kind in ("5xx-rate", "p99-latency", "live-unhealthy")
              for colour in ("blue", "green")))},
        **{f"vtc-test-{n}": "breaching" for n in (
            "alertmanager-watchdog", "eks-failed-nodes", "eks-node-cpu", "eks-node-memory", "rds-connections", "rds-cpu", "rds-free-storage",
            "rds-freeable-memory")}}


def test_p99_latency_alarm_watches_the_slo_in_seconds(tf):
    alarm = alarms_of(tf)["vtc-test-alb-p99-latency"]
    assert (alarm["namespace"], alarm["metric_name"], alarm["extended_statistic"]) == (
        "AWS/ApplicationELB", "TargetResponseTime", "p99")
    assert alarm["threshold"] == 0.1 and alarm["dimensions"] == {"LoadBalancer": TARGETS.alb_arn_suffix}
    assert "statistic" not in alarm


def test_5xx_rate_is_metric_math_over_requests(tf):
    alarm = alarms_of(tf)["vtc-test-alb-5xx-rate"]
    queries = {q["id"]: q for q in alarm["metric_query"]}
    assert queries["rate"]["expression"] == "IF(requests > 0, 100 * errors / requests, 0)"
    assert queries["rate"]["return_data"] is True
    assert queries["errors"]["metric"]["metric_name"] == "HTTPCode_Target_5XX_Count"
    assert queries["requests"]["metric"]["metric_name"] == "RequestCount"
    assert alarm["threshold"] == 1.0 and "metric_name" not in alarm


def test_rds_thresholds_follow_the_instance_class_and_the_allocation(tf):
    alarms = alarms_of(tf)
    assert alarms["vtc-test-rds-free-storage"]["threshold"] == round(100 * 1024 ** 3 * 0.15)
    assert alarms["vtc-test-rds-free-storage"]["comparison_operator"] == "LessThanThreshold"
    assert alarms["vtc-test-rds-freeable-memory"]["threshold"] == round(16 * 1024 ** 3 * 0.10)
    assert rds_max_connections("db.r6g.large") == 1802
    assert alarms["vtc-test-rds-connections"]["threshold"] == round(1802 * 0.8)
    assert alarms["vtc-test-rds-read-latency"]["threshold"] == 0.02



# --- issue 12 item 8: the free-storage alarm is sized on the autoscaling ceiling -------------------------------------

def _free_storage(targets: AlarmTargets, percent: float = 15.0) -> dict:
    props = dataclasses.replace(PROPS, targets=targets, thresholds=AlarmThresholds(rds_free_storage_percent=percent))
    return alarms_of(synth(lambda s: Alarms(s, "alarms", props)))["vtc-test-rds-free-storage"]


def test_free_storage_alarm_fires_when_little_of_the_ceiling_is_left_not_on_normal_growth():
    alarm = _free_storage(dataclasses.replace(TARGETS, db_allocated_storage_gib=100, db_max_allocated_storage_gib=500))
    # 100 GiB allocated of a 500 GiB ceiling: 400 GiB of room besides the free storage, so no free storage at all
    # is below 15 % of the ceiling (75 GiB): the threshold is negative (before: 15 GiB, reached on normal growth).
    assert alarm["threshold"] == round((100 - 0.85 * 500) * 1024 ** 3) == -348966092800
    at_the_ceiling = _free_storage(dataclasses.replace(TARGETS, db_allocated_storage_gib=500,
                                                       db_max_allocated_storage_gib=500))
    assert at_the_ceiling["threshold"] == round(75 * 1024 ** 3)  # 15 % of the ceiling, not 1.5 %
    assert "500 GiB autoscaling ceiling" in at_the_ceiling["alarm_description"]


def test_free_storage_alarm_follows_the_allocation_terraform_reads_at_every_deploy():
    def build(scope):
        from cdktf import TerraformVariable

        
        allocated = TerraformVariable(scope, "allocated", type="number").number_value
        Alarms(scope, "alarms", dataclasses.replace(PROPS, targets=dataclasses.replace(
            TARGETS, db_allocated_storage_gib=allocated, db_max_allocated_storage_gib=1000)))

    alarm = alarms_of(synth(build))["vtc-test-rds-free-storage"]
    assert alarm["threshold"] == "${((var.allocated - 850) * 1073741824)}"


def test_without_a_ceiling_the_alarm_keeps_its_share_of_the_allocation():
    assert _free_storage(TARGETS)["threshold"] == round(100 * 1024 ** 3 * 0.15)


def test_a_ceiling_below_the_allocation_is_refused():
    problems = dataclasses.replace(TARGETS, db_max_allocated_storage_gib=50).validate()
    assert_one_problem(problems, r"^db_max_allocated_storage_gib: not a storage ceiling \(got 50\); allowed: a "
                                 r"whole number of GiB, at least db_allocated_storage_gib \(100\)")

@pytest.mark.parametrize("colour", ["blue", "green"])
def test_each_colour_is_judged_by_its_own_target_groups_metrics(tf, colour):
    # What judges a canary (environments/rollout.py reads the same metrics): the target group's own requests, 5xx
    # and p99, so a colour at 10 % failing one request in ten is seen (the ALB-wide rate would show 1 %).
    alarms = alarms_of(tf)
    group = {"LoadBalancer": TARGETS.alb_arn_suffix, "TargetGroup": TARGETS.target_group_arn_suffixes[colour]}
    rate = alarms[f"vtc-test-alb-5xx-rate-{colour}"]
    queries = {q["id"]: q for q in rate["metric_query"]}
    assert queries["rate"]["expression"] == "IF(requests > 0, 100 * errors / requests, 0)"
    assert {queries[i]["metric"]["metric_name"]: queries[i]["metric"]["dimensions"] for i in ("errors", "requests")} \
        == {"HTTPCode_Target_5XX_Count": group, "RequestCount": group}
    latency = alarms[f"vtc-test-alb-p99-latency-{colour}"]
    assert (latency["metric_name"], latency["extended_statistic"], latency["dimensions"]) == \
        ("TargetResponseTime", "p99", group)
    assert latency["threshold"] == PROPS.thresholds.alb_p99_latency_ms / 1000
    notify = [ref(tf, "aws_sns_topic", "notify-topic", "arn")]
    assert rate["alarm_actions"] == latency["alarm_actions"] == notify  # the rollout acts on them; tickets


@pytest.mark.parametrize("colour", ["blue", "green"])
def test_unhealthy_targets_page_only_while_the_colour_receives_requests(tf, colour):
    # The listener's weights belong to the release tooling, not to this configuration: "takes traffic" is read from
    # the colour's own RequestCount, so a direct weight change needs no deploy to re-point the page.
    alarm = alarms_of(tf)[f"vtc-test-alb-live-unhealthy-{colour}"]
    queries = {q["id"]: q for q in alarm["metric_query"]}
    assert queries["live_unhealthy"]["expression"] == "IF(requests > 0, unhealthy, 0)"
    assert queries["unhealthy"]["metric"]["metric_name"] == "UnHealthyHostCount"
    assert queries["unhealthy"]["metric"]["stat"] == "Maximum"
    assert queries["requests"]["metric"]["dimensions"]["TargetGroup"] == TARGETS.target_group_arn_suffixes[colour]
    assert alarm["alarm_actions"] == [ref(tf, "aws_sns_topic", "page-topic", "arn")]
    assert alarm["threshold"] == 0 and alarm["comparison_operator"] == "GreaterThanThreshold"
    assert "aws_cloudwatch_composite_alarm" not in tf["resource"]  # (until issue 21: re-pointed by each deploy)
    # What on-call does about a failing new colour: the props' hint, by default no command of this repository's
    # (a team using the package has no `python -m environments.rollout`; this repository's environments name it).
    assert alarm["alarm_description"].endswith(f"if {colour} is the new release, {DEFAULT_ROLLBACK_HINT}.")
    assert "environments" not in alarm["alarm_description"]


def test_the_rollback_hint_is_the_teams_own_command_and_this_repositorys_environments_name_theirs(stacks):
    hint = "`deploy rollback my-service`"
    tf = synth(lambda scope: Alarms(scope, "alarms", dataclasses.replace(PROPS, rollback_hint=hint)))
    description = alarms_of(tf)["vtc-test-alb-live-unhealthy-green"]["alarm_description"]
    assert description.endswith(f"if green is the new release, {hint}.")
    for env in ENVIRONMENT_NAMES:
        (alarm,) = [a for a in resources(stacks[env], "aws_cloudwatch_metric_alarm").values()
                    if a["alarm_name"] == f"vtc-{env}-alb-live-unhealthy-blue"]
        assert alarm["alarm_description"].endswith(f"`python -m environments.rollout rollback {env}`.")


def test_dashboard_shows_the_golden_signals_of_every_layer(tf):
    body = by_path(tf, "aws_cloudwatch_dashboard", "dashboard")["dashboard_body"]
    for metric in ("RequestCount", "HTTPCode_Target_5XX_Count", "TargetResponseTime", "HealthyHostCount",
                   "CPUUtilization", "DatabaseConnections", "ReadLatency", "node_cpu_utilization",
                   "node_memory_utilization", "cluster_failed_node_count", "apiserver_request_total_5XX"):
        assert f'"{metric}"' in body, metric


# --- every stack ----------------------------------------------------------------------------------------------------

def test_every_alarm_in_every_stack_has_an_action_and_every_log_group_a_retention(stacks):
    for name, stack in stacks.items():
        for kind in ("aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm"):
            for alarm in stack["resource"].get(kind, {}).values():
                assert alarm.get("alarm_actions") and alarm.get("ok_actions"), (name, alarm["alarm_name"])
        for group in stack["resource"]["aws_cloudwatch_log_group"].values():
            assert group.get("retention_in_days", 0) > 0, (name, group["name"])
            assert group.get("kms_key_id"), (name, group["name"])


class AlarmGolden(JSONSnapshotExtension):
    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(REPO / "snapshots" / "alarms")

    @classmethod
    def get_snapshot_name(cls, *, test_location, index=0) -> str:
        return str(index)


@pytest.mark.parametrize("name", ENVIRONMENT_NAMES)
def test_alarm_golden_file(name, stacks, snapshot):
    """Every alarm's name, metric, statistic, threshold and dimensions: a monitoring change is a reviewed diff."""
    golden = {}
    for alarm in stacks[name]["resource"]["aws_cloudwatch_metric_alarm"].values():
        metrics = [{"id": q["id"], **({"expression": q["expression"]} if "expression" in q else {}),
                    **({k: q["metric"][k] for k in ("namespace", "metric_name", "stat", "dimensions")}
                       if "metric" in q else {})} for q in alarm.get("metric_query", [])]
        golden[alarm["alarm_name"]] = {
            "namespace": alarm.get("namespace"), "metric": alarm.get("metric_name"),
            "statistic": alarm.get("extended_statistic") or alarm.get("statistic"),
            "comparison": alarm["comparison_operator"], "threshold": alarm["threshold"],
            "dimensions": alarm.get("dimensions"), "metric_query": metrics or None,
            "period": alarm.get("period"), "evaluation": [alarm["datapoints_to_alarm"], alarm["evaluation_periods"]],
            "missing_data": alarm["treat_missing_data"],
        }
    for alarm in stacks[name]["resource"].get("aws_cloudwatch_composite_alarm", {}).values():
        golden[alarm["alarm_name"]] = {"rule": alarm["alarm_rule"]}
    assert golden == snapshot.use_extension(AlarmGolden)(name=name)


# --- validation: every branch -------------------------------------------------------------------------------------------

def test_valid_props_have_no_problem():
    assert PROPS.validate() == []


def thresholds(**changes) -> AlarmsProps:
    return dataclasses.replace(PROPS, thresholds=dataclasses.replace(AlarmThresholds(), **changes))


@pytest.mark.parametrize("props, expected", [
    (thresholds(alb_5xx_rate_percent=120), r"^thresholds\.alb_5xx_rate_percent: invalid value \(got 120\); allowed: "
                                           r"a percentage above 0, at most 100"),
    (thresholds(rds_cpu_percent=0), r"^thresholds\.rds_cpu_percent: invalid value \(got 0\)"),
    (thresholds(alb_p99_latency_ms=-1), r"^thresholds\.alb_p99_latency_ms: invalid value \(got -1\); allowed: >= 0"),
    (thresholds(eks_failed_nodes="none"), r"^thresholds\.eks_failed_nodes: invalid value \(got 'none'\); allowed: "
                                          r"a finite number; fix: set eks_failed_nodes to a number$"),
    (thresholds(period_seconds=45), r"^thresholds\.period_seconds: period CloudWatch refuses \(got 45\); "
                                    r"allowed: a multiple of 60 \(whole seconds\); fix: e\.g\. 60 or 300$"),
    (thresholds(evaluation_periods=2, datapoints_to_alarm=3),
     r"^thresholds\.evaluation_periods: fewer periods than datapoints \(got 2\); allowed: >= datapoints_to_alarm \(3\)"),
    (thresholds(evaluation_periods=0, datapoints_to_alarm=1), r"^thresholds\.evaluation_periods: invalid value \(got 0\)"),
    (thresholds(datapoints_to_alarm=0), r"^thresholds\.datapoints_to_alarm: invalid value \(got 0\)"),
    (dataclasses.replace(PROPS, name="Alarms!"), r"^name: invalid value \(got 'Alarms!'\)"),
    (dataclasses.replace(PROPS, page_email_endpoints=("oncall",)), r"^page_email_endpoints\[0\]: invalid value"),
    (dataclasses.replace(PROPS, notify_email_endpoints=("a b@c.de",)), r"^notify_email_endpoints\[0\]: invalid"),
    (dataclasses.replace(PROPS, page_https_endpoints=("http://insecure.example.com/x",)),
     r"^page_https_endpoints\[0\]: invalid value \(got 'http://insecure\.example\.com/x'\); allowed: an https:// URL"),
    (dataclasses.replace(PROPS, page_email_endpoints=(), page_https_endpoints=()),
     r"^page_email_endpoints: nobody is paged \(got \[\]\)"),
    (dataclasses.replace(PROPS, targets=dataclasses.replace(TARGETS, db_instance_class="db.x9.huge")),
     r"^targets\.db_instance_class: unknown instance class \(got 'db\.x9\.huge'\)"),
    (thresholds(period_seconds=60.0), r"^thresholds\.period_seconds: not a whole number \(got 60\.0\); allowed: a "
                                      r"multiple of 60 \(whole seconds\); fix: give whole seconds, e\.g\. 60$"),
    (thresholds(period_seconds=30), r"^thresholds\.period_seconds: period CloudWatch refuses \(got 30\)"),
    (thresholds(evaluation_periods=1441, datapoints_to_alarm=3),
     r"^thresholds\.evaluation_periods: evaluation window too long \(got 1441\); allowed: at most 1440 periods of 60 s "
     r"\(86,400 s in all\); fix: evaluate fewer or shorter periods$"),
    (thresholds(period_seconds=3600, evaluation_periods=169),
     r"^thresholds\.evaluation_periods: evaluation window too long \(got 169\); allowed: at most 168 periods of "
     r"3600 s \(604,800 s in all\)"),
    (thresholds(evaluation_periods=5.5), r"^thresholds\.evaluation_periods: not a whole number \(got 5\.5\)"),
    (thresholds(datapoints_to_alarm=True), r"^thresholds\.datapoints_to_alarm: not a whole number \(got True\)"),
    (thresholds(rds_cpu_percent=float("inf")), r"^thresholds\.rds_cpu_percent: invalid value \(got inf\); allowed: a "
                                               r"finite number"),
    (thresholds(alb_elb_5xx_count=False), r"^thresholds\.alb_elb_5xx_count: invalid value \(got False\)"),
    (dataclasses.replace(PROPS, thresholds={"period_seconds": 60}),
     r"^thresholds: not an AlarmThresholds .*fix: build it with vtc_constructs\.AlarmThresholds\(\.\.\.\)$"),
    (dataclasses.replace(PROPS, page_email_endpoints="oncall@example.com"),
     r"^page_email_endpoints: not a list \(got 'oncall@example\.com'\).*fix: wrap it in a list"),
    (dataclasses.replace(PROPS, targets=dataclasses.replace(TARGETS, target_group_arn_suffixes="blue")),
     r"^targets\.target_group_arn_suffixes: not a table \(got 'blue'\)"),
    (dataclasses.replace(PROPS, page_https_endpoints=("https://events.pagerduty.com/integration/0123abcd/enqueue",)),
     r"^page_https_endpoints\[0\]: secret URL \(got '<a PagerDuty URL, not repeated here>'\); allowed: an HTTPS URL "
     r"that holds no secret; fix: store the URL as a secret in Secrets Manager, .*pagerduty_url_secret_names"),
    (dataclasses.replace(PROPS, pagerduty_url_secret_names=("https://events.pagerduty.com/integration/0123abcd",)),
     r"^pagerduty_url_secret_names\[0\]: a URL, not a name \(got '<a URL, not repeated here>'\); allowed: a Secrets "
     r"Manager secret name .*; fix: store the URL in Secrets Manager and give the NAME here"),
    (dataclasses.replace(PROPS, pagerduty_url_secret_names=("events.pagerduty.com/integration/0123abcd/enqueue",)),
     r"^pagerduty_url_secret_names\[0\]: a URL, not a name \(got '<a URL, not repeated here>'\)"),
    (dataclasses.replace(PROPS, pagerduty_url_secret_names=("pager duty",)),
     r"^pagerduty_url_secret_names\[0\]: invalid value \(got 'pager duty'\)"),
    (dataclasses.replace(PROPS, pagerduty_url_secret_names=("arn:aws:secretsmanager:eu-west-1:111111111111:secret:pd",)),
     r"^pagerduty_url_secret_names\[0\]: invalid value \(got 'arn:aws:secretsmanager:.*'\); allowed: a Secrets "
     r"Manager secret name"),
    (dataclasses.replace(PROPS, pagerduty_url_secret_names=("pd", "pd")),
     r"^pagerduty_url_secret_names: repeated name \(got 'pd'\); allowed: each name once"),
    (dataclasses.replace(PROPS, pagerduty_url_secret_names=(1,)),
     r"^pagerduty_url_secret_names\[0\]: invalid value \(got 1\)"),
    (dataclasses.replace(PROPS, pagerduty_url_secret_names="vtc/pd"),
     r"^pagerduty_url_secret_names: not a list \(got 'vtc/pd'\)"),
    (dataclasses.replace(PROPS, rollback_hint=" "), r"^rollback_hint: invalid value \(got ' '\); allowed: a sentence"),
    (dataclasses.replace(PROPS, rollback_hint="x" * 301), r"^rollback_hint: invalid value"),
])
def test_each_invalid_field_is_reported(props, expected):
    assert_one_problem(props.validate(), expected)


@pytest.mark.parametrize("props", [
    thresholds(period_seconds=300, evaluation_periods=288, datapoints_to_alarm=3),
    thresholds(period_seconds=3600, evaluation_periods=168, datapoints_to_alarm=1),
    thresholds(alb_5xx_rate_percent=2, rds_cpu_percent=75),
    dataclasses.replace(PROPS, targets=dataclasses.replace(TARGETS, db_instance_class="db.m6i.4xlarge")),
    # PagerDuty alone pages somebody.
    dataclasses.replace(PROPS, page_email_endpoints=(), page_https_endpoints=(),
                        pagerduty_url_secret_names=("vtc-test/alarms/pagerduty+url@v=1",)),
])
def test_valid_variants_have_no_problem(props):
    assert props.validate() == []


def test_every_problem_at_once_with_the_construct_id_in_front():
    bad = dataclasses.replace(thresholds(period_seconds=7, rds_cpu_percent=101), page_email_endpoints=("x",))
    with pytest.raises(ConfigError) as raised:
        synth(lambda s: Alarms(s, "alarms", bad))
    assert [p.path for p in raised.value.problems] == ["alarms.thresholds.rds_cpu_percent",
                                                       "alarms.thresholds.period_seconds",
                                                       "alarms.page_email_endpoints[0]"]


def test_typed_outputs_resolve_to_the_resources():
    """Each typed output references the right attribute of the right resource (issue 16), reference by reference."""
    def build_in(scope):
        alarms = Alarms(scope, "alarms", PROPS)
        return {name: getattr(alarms, name) for name in ("page_topic_arn", "notify_topic_arn", "heartbeat_topic_arn",
                                                         "topic_key_arn")}

    tf, out = synth_outputs(build_in)
    assert out == {"page_topic_arn": ref(tf, "aws_sns_topic", "alarms/page-topic", "arn"),
                   "notify_topic_arn": ref(tf, "aws_sns_topic", "alarms/notify-topic", "arn"),
                   "heartbeat_topic_arn": ref(tf, "aws_sns_topic", "alarms/heartbeat-topic", "arn"),
                   "topic_key_arn": ref(tf, "aws_kms_key", "alarms/topic-key", "arn")}
