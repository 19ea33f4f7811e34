"""environments/rollout.py against the local AWS emulator: a fresh moto server on 127.0.0.1 (started and stopped by
the module's fixture, answering as staging's account) holding what the command reads and changes in a deployed stack:
the load balancer ``vtc-staging`` with its port-443 listener forwarding to the blue and green target groups by weight
(found by their ``vtc/colour`` tags, as in the stack), EC2 targets in each group, CloudWatch alarms named
``vtc-<env>-*`` (and one of another environment), metrics put into CloudWatch as the ALB publishes them, and the
release record in SSM. Nothing is injected but a spy on the load balancer client (it records each ModifyListener and
can make one fail) and, for the smoke checks, a loopback HTTP server standing in for the ALB. The whole stack's
deploy, a rollout through the command line, an interrupt and a held state lock are in tests/test_deploy.py.
"""

from __future__ import annotations

import http.server
import io
import json
import re
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from environments.rollout import EXIT_REFUSED, main, workloads_command
from environments.traffic import PROBE_HEADER
from tests.helpers import loopback_http_server
from tooling.emulator import MotoServer

REGION = "eu-west-1"
ENV = "staging"
ACCOUNT = "111111111111"  # environments/staging.toml
ALARMS = ("vtc-staging-alb-5xx-rate", "vtc-staging-alb-p99-latency", "vtc-staging-alb-5xx-rate-green")
OTHER_ENV_ALARM = "vtc-production-alb-5xx-rate"


class Wrapping:
    """A client that passes every call on to ``real`` but those its subclass defines (a test's fault or timing)."""

    def __init__(self, real):
        self.real = real

    def __getattr__(self, name):
        return getattr(self.real, name)


class Spy(Wrapping):
    """The real elbv2 client; records the weights of each ModifyListener and fails one when asked to."""

    def __init__(self, real):
        super().__init__(real)
        self.applied, self.fail_when = [], None

    def modify_listener(self, **kwargs):
        groups = kwargs["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
        weights = tuple(g["Weight"] for g in groups)
        if self.fail_when and self.fail_when(weights):
            raise RuntimeError(f"throttled at {weights}")
        self.applied.append(weights)
        return self.real.modify_listener(**kwargs)


class Emulated:
    def __init__(self, server: MotoServer):
        self.server = server
        self.ec2 = server.client("ec2", REGION)
        self.elbv2 = Spy(server.client("elbv2", REGION))
        self.cloudwatch = server.client("cloudwatch", REGION)
        self.ssm = server.client("ssm", REGION)
        self.sts = server.client("sts", REGION)
        vpc = self.ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        subnets = [self.ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"{REGION}{az}")
                   ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
        alb = self.elbv2.create_load_balancer(Name="vtc-staging", Subnets=subnets)["LoadBalancers"][0]
        self.alb_dimension = alb["LoadBalancerArn"].split(":loadbalancer/")[1]
        self.vpc, self.subnets, self.generation = vpc, subnets, 0
        # One of moto's bundled images, found by name (all ~1,300 of them cost the emulator over a CPU-second).
        self.image = self.ec2.describe_images(Filters=[{"Name": "name", "Values": ["al2023-ami-*"]}])["Images"][0][
            "ImageId"]
        self.instances = {colour: [i["InstanceId"] for i in self.ec2.run_instances(
            ImageId=self.image, MinCount=2, MaxCount=2, SubnetId=subnets[0])["Instances"]] for colour in ("blue", "green")}
        self.new_target_groups()
        self.listener = self.elbv2.create_listener(
            LoadBalancerArn=alb["LoadBalancerArn"], Protocol="HTTP", Port=443,
            DefaultActions=[self._forward(100, 0)])["Listeners"][0]["ListenerArn"]
        for name in ALARMS + (OTHER_ENV_ALARM,):
            self.cloudwatch.put_metric_alarm(
                AlarmName=name, Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
                Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")

    def new_target_groups(self) -> None:
        """A fresh pair (so each test's metrics are its own: CloudWatch keeps what earlier tests put), tagged by colour
        as the stack tags them, with the colour's instances registered."""
        self.generation += 1
        self.target_groups = {}
        for colour in ("blue", "green"):
            arn = self.elbv2.create_target_group(
                Name=f"vtc-staging-{colour}-{self.generation:04x}", Protocol="HTTP", Port=8080, VpcId=self.vpc,
                TargetType="instance", Tags=[{"Key": "vtc/colour", "Value": colour}])["TargetGroups"][0]["TargetGroupArn"]
            self.elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": i, "Port": 8080}
                                                                     for i in self.instances[colour]])
            self.target_groups[colour] = arn

    def _forward(self, blue: int, green: int) -> dict:
        return {"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": self.target_groups["blue"], "Weight": blue},
            {"TargetGroupArn": self.target_groups["green"], "Weight": green}]}}

    def set(self, blue: int, green: int) -> None:
        """Weights set behind the command's back (as a previous release or an operator would have)."""
        self.elbv2.real.modify_listener(ListenerArn=self.listener, DefaultActions=[self._forward(blue, green)])

    def weights(self) -> tuple[int, int]:
        action = self.elbv2.describe_listeners(ListenerArns=[self.listener])["Listeners"][0]["DefaultActions"][0]
        by_arn = {g["TargetGroupArn"]: g["Weight"] for g in action["ForwardConfig"]["TargetGroups"]}
        return by_arn[self.target_groups["blue"]], by_arn[self.target_groups["green"]]

    def record(self) -> dict | None:
        try:
            return json.loads(self.ssm.get_parameter(Name=f"/vtc/{ENV}/release")["Parameter"]["Value"])
        except self.ssm.exceptions.ParameterNotFound:
            return None

    def traffic(self, colour: str, requests: int, errors: int) -> None:
        """What the ALB publishes for a colour's target group: requests and target 5xx, in the next half minute.

        Stamped 30 s ahead: the rollout reads a colour's metrics from the minute its step began
        (``Runner.signals``), so traffic stamped "now" fell out when the step came in the next minute (a test that
        straddled a minute boundary, likelier on a loaded machine, waited its whole judge timeout for requests)."""
        dimensions = [{"Name": "LoadBalancer", "Value": self.alb_dimension},
                      {"Name": "TargetGroup",
                       "Value": "targetgroup/" + self.target_groups[colour].split(":targetgroup/")[1]}]
        stamp = datetime.now(timezone.utc) + timedelta(seconds=30)
        self.cloudwatch.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[
            {"MetricName": "RequestCount", "Dimensions": dimensions, "Value": requests, "Timestamp": stamp},
            {"MetricName": "HTTPCode_Target_5XX_Count", "Dimensions": dimensions, "Value": errors,
             "Timestamp": stamp}])

    def reset(self) -> None:
        self.ec2.start_instances(InstanceIds=[i for ids in self.instances.values() for i in ids])
        self.new_target_groups()
        self.set(100, 0)
        self.elbv2.applied.clear()
        self.elbv2.fail_when = None
        # One call each for the parameters and the alarms' states (not one per name: the reset runs before every test).
        self.ssm.delete_parameters(Names=[f"/vtc/{ENV}/release", f"/vtc/{ENV}/release-lock", f"/vtc/{ENV}/release-stop"])
        alarms = self.cloudwatch.describe_alarms(AlarmNames=list(ALARMS + (OTHER_ENV_ALARM,)))["MetricAlarms"]
        assert len(alarms) == len(ALARMS) + 1
        for alarm in alarms:
            if alarm["StateValue"] != "OK":
                self.cloudwatch.set_alarm_state(AlarmName=alarm["AlarmName"], StateValue="OK", StateReason="test reset")

    @property
    def applied(self) -> list[tuple[int, int]]:
        return self.elbv2.applied

    def run(self, *argv: str, **overrides) -> tuple[int, str]:
        out = io.StringIO()
        clients = {"cloudwatch": self.cloudwatch, "elbv2": self.elbv2, "ssm": self.ssm, "sts": self.sts}
        code = main(list(argv), clients=overrides.pop("clients", clients), out=out, **overrides)
        print(out.getvalue())
        return code, out.getvalue()


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    with MotoServer(tmp_path_factory.mktemp("moto") / "moto.log", account_id=ACCOUNT) as server:
        yield Emulated(server)


@pytest.fixture
def aws(emulator):
    emulator.reset()
    assert emulator.weights() == (100, 0)
    yield emulator


def later(seconds: float, action) -> threading.Thread:
    """Run ``action`` once from another thread after ``seconds`` (joined by the test)."""
    thread = threading.Thread(target=lambda: (time.sleep(seconds), action()), daemon=True)
    thread.start()
    return thread


def after_the_first_shift(aws: "Emulated", action, timeout: float = 60) -> threading.Thread:
    """Run ``action`` once from another thread as soon as the rollout has moved traffic for the first time (joined by
    the test): what happens then happens during the first soak, however slowly the machine runs the checks before."""
    def wait_then_act():
        deadline = time.monotonic() + timeout
        while not aws.applied and time.monotonic() < deadline:
            time.sleep(0.02)
        action()

    thread = threading.Thread(target=wait_then_act, daemon=True)
    thread.start()
    return thread


STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ staging: ")
QUICK = ("--soak", "0", "--poll", "0.1", "--min-requests", "0")


def test_a_clean_rollout_shifts_in_steps_on_the_listener_and_records_the_release(aws):
    aws.cloudwatch.set_alarm_state(AlarmName=OTHER_ENV_ALARM, StateValue="ALARM", StateReason="another environment")
    code, out = aws.run("rollout", ENV, "--to", "green", "--steps", "10,50,100", "--soak", "0.3", "--poll", "0.1",
                        "--min-requests", "0", "--release", "v1.2.3")
    assert code == 0
    assert aws.applied == [(90, 10), (50, 50), (0, 100)] and aws.weights() == (0, 100)
    lines = out.splitlines()
    assert all(STAMP.match(line) for line in lines)
    assert sum("soak done" in line for line in lines) == 3
    assert "summary: SUCCESS: all traffic on green; steps completed: 10 %, 50 %, 100 %" in lines[-1]
    assert OTHER_ENV_ALARM not in out  # only this environment's alarms count
    record = aws.record()
    assert (record["release"], record["from"], record["to"], record["state"]) == ("v1.2.3", "blue", "green", "done")
    assert record["steps"] == [10, 50, 100] and record["weights"] == [0, 100]
    assert aws.ssm.get_parameters(Names=[f"/vtc/{ENV}/release-lock"])["InvalidParameters"]  # the lock is gone


def test_the_live_colour_and_the_previous_one_come_from_the_listener_not_the_files(aws):
    # The files say blue is live (edge.blue_weight = 100); the listener says green: a release goes to blue.
    aws.set(0, 100)
    code, out = aws.run("rollout", ENV, "--to", "green", *QUICK)
    assert code == EXIT_REFUSED and aws.applied == []
    code, out = aws.run("rollout", ENV, "--to", "blue", "--steps", "25,100", *QUICK)
    assert code == 0 and aws.applied == [(25, 75), (100, 0)]
    code, out = aws.run("status", ENV, "--json")
    status = json.loads(out)
    assert (status["live"], status["idle"], status["weights"]) == ("blue", "green", {"blue": 100, "green": 0})
    assert status["record"]["from"] == "green" and status["unfinished"] is None


def test_a_green_answering_10_percent_5xx_at_the_canary_is_rolled_back(aws):
    def serve_errors():
        aws.traffic("green", requests=200, errors=20)  # 10 % of green's requests fail

    threads = []
    original = aws.elbv2.modify_listener

    def modify(**kwargs):
        result = original(**kwargs)
        if aws.applied[-1] == (90, 10):
            threads.append(later(0.2, serve_errors))
        return result

    aws.elbv2.modify_listener = modify
    try:
        code, out = aws.run("rollout", ENV, "--to", "green", "--soak", "30", "--poll", "0.2", "--min-requests", "100",
                            "--max-error-percent", "1")
    finally:
        del aws.elbv2.modify_listener
    for thread in threads:
        thread.join()
    assert code == 3 and aws.applied == [(90, 10), (100, 0)] and aws.weights() == (100, 0)
    assert "during the 10 % soak: green answered 20 of 200 requests with 5xx (10.0 % > 1 %)" in out
    assert aws.record()["state"] == "rolled-back"


def test_not_enough_traffic_to_judge_is_never_healthy(aws):
    aws.traffic("green", requests=3, errors=1)  # one 5xx in three requests is not a 33 % error rate: not known yet
    # (A judge timeout of 2 s: with 0.5 s a loaded machine's first poll once came after it, so no "waiting" line.)
    code, out = aws.run("rollout", ENV, "--to", "green", "--soak", "0.2", "--poll", "0.1", "--min-requests", "50",
                        "--judge-timeout", "2")
    assert code == 3 and aws.weights() == (100, 0) and aws.applied == [(90, 10), (100, 0)]
    assert "not known yet, waiting: green has had" in out
    assert "green could not be judged within 2.2 s" in out and "answered 1 of 3" not in out


def test_enough_healthy_traffic_passes_the_canary(aws):
    aws.traffic("green", requests=500, errors=1)  # 0.2 %: under staging's 5 %
    code, out = aws.run("rollout", ENV, "--to", "green", "--steps", "10,100", "--soak", "0.2", "--poll", "0.1",
                        "--min-requests", "100", "--judge-timeout", "30")
    assert code == 0 and aws.weights() == (0, 100)


def test_an_alarm_mid_soak_rolls_all_traffic_back_within_a_poll(aws):
    thread = after_the_first_shift(aws, lambda: aws.cloudwatch.set_alarm_state(
        AlarmName=ALARMS[0], StateValue="ALARM", StateReason="test: 5xx rate"))
    started = time.monotonic()
    code, out = aws.run("rollout", ENV, "--to", "green", "--soak", "120", "--poll", "0.1", "--min-requests", "0")
    thread.join()
    assert code == 3 and aws.applied == [(90, 10), (100, 0)] and aws.weights() == (100, 0)
    assert f"during the 10 % soak: alarm in ALARM: {ALARMS[0]}" in out
    # Seen within polls of the alarm (a few seconds), not at the 120 s soak's end: the margin is wide so that a loaded
    # machine (the whole suite beside the emulator deploy: 15 s was once too tight) cannot fail it, and a rollout that
    # waited out the soak still would.
    assert time.monotonic() - started < 60


def test_the_new_colours_alarm_without_data_is_not_known_yet(aws):
    aws.cloudwatch.set_alarm_state(AlarmName=ALARMS[2], StateValue="INSUFFICIENT_DATA", StateReason="new")
    code, out = aws.run("rollout", ENV, "--to", "green", "--soak", "0", "--poll", "0.1", "--min-requests", "0",
                        "--judge-timeout", "0.3")
    assert code == 3 and f"green's alarms have no data yet: {ALARMS[2]}" in out


def test_a_check_that_cannot_be_made_mid_soak_rolls_back(aws):
    class Throttled(Wrapping):
        def __init__(self, real):
            super().__init__(real)
            self.calls = 0

        def describe_alarms(self, **kwargs):
            self.calls += 1
            if self.calls > 2:
                raise RuntimeError("throttled")
            return self.real.describe_alarms(**kwargs)


    clients = {"cloudwatch": Throttled(aws.cloudwatch), "elbv2": aws.elbv2, "ssm": aws.ssm, "sts": aws.sts}
    code, out = aws.run("rollout", ENV, "--to", "green", "--soak", "2", "--poll", "0.1", "--min-requests", "0",
                        clients=clients)
    assert code == 3 and aws.weights() == (100, 0) and aws.applied == [(90, 10), (100, 0)]
    assert "during the 10 % soak: could not read the alarms: RuntimeError: throttled" in out


def test_unhealthy_targets_before_the_first_step_move_no_traffic(aws):
    aws.ec2.stop_instances(InstanceIds=aws.instances["green"])
    code, out = aws.run("rollout", ENV, "--to", "green", *QUICK)
    assert code == 3 and aws.applied == [] and aws.weights() == (100, 0)
    assert "STOPPED before any traffic moved: before the 10 % step: green targets not healthy" in out
    assert aws.record()["state"] == "stopped"


def test_a_failed_step_rolls_back_and_a_failed_rollback_says_so(aws):
    aws.elbv2.fail_when = lambda weights: weights == (50, 50)
    code, out = aws.run("rollout", ENV, "--to", "green", *QUICK)
    assert code == 3 and aws.applied == [(90, 10), (100, 0)] and aws.weights() == (100, 0)
    assert "the 50 % step failed: throttled at (50, 50)" in out
    aws.set(50, 50)
    aws.elbv2.fail_when = lambda weights: True
    code, out = aws.run("rollback", ENV, "--to", "blue")
    assert code == 2 and "ROLLBACK FAILED" in out and "throttled" in out and aws.weights() == (50, 50)


def test_a_second_release_is_refused_while_one_is_unfinished_and_steps_continue_it(aws):
    code, _ = aws.run("step", ENV, "--to", "green", "--percent", "10", "--release", "v2", *QUICK)
    assert code == 0 and aws.weights() == (90, 10) and aws.record()["state"] == "in-progress"
    code, _ = aws.run("step", ENV, "--to", "green", "--percent", "50", "--release", "v3", *QUICK)
    assert code == EXIT_REFUSED and aws.weights() == (90, 10)
    code, _ = aws.run("rollout", ENV, "--to", "blue", *QUICK)
    assert code == EXIT_REFUSED
    aws.set(80, 20)  # someone moved traffic behind the release's back: the next step refuses
    code, _ = aws.run("step", ENV, "--to", "green", "--percent", "50", "--release", "v2", *QUICK)
    assert code == EXIT_REFUSED and aws.weights() == (80, 20)
    aws.set(90, 10)
    code, _ = aws.run("step", ENV, "--to", "green", "--percent", "100", "--release", "v2", *QUICK)
    assert code == 0 and aws.weights() == (0, 100) and aws.record()["state"] == "done"
    assert aws.record()["steps"] == [10, 100]


def test_a_held_lock_refuses_a_release_but_never_a_rollback(aws):
    aws.run("step", ENV, "--to", "green", "--percent", "10", "--release", "v4", *QUICK)
    aws.ssm.put_parameter(Name=f"/vtc/{ENV}/release-lock", Type="String",
                          Value=json.dumps({"release": "v4", "by": "a killed runner", "since": "earlier"}))
    code, _ = aws.run("step", ENV, "--to", "green", "--percent", "50", "--release", "v4", *QUICK)
    assert code == EXIT_REFUSED and aws.weights() == (90, 10)
    code, out = aws.run("status", ENV)
    assert "LOCK held by a killed runner" in out and "UNFINISHED" in out and "SPLIT" in out
    code, out = aws.run("rollback", ENV)  # the record's previous colour
    assert code == 0 and aws.weights() == (100, 0)
    assert aws.record()["state"] == "rolled-back"
    assert aws.ssm.get_parameters(Names=[f"/vtc/{ENV}/release-lock"])["InvalidParameters"]
    code, _ = aws.run("step", ENV, "--to", "green", "--percent", "50", "--release", "v4", *QUICK)
    assert code == EXIT_REFUSED and aws.weights() == (100, 0)  # v4 ended: its later steps must not undo the rollback
    code, _ = aws.run("step", ENV, "--to", "green", "--percent", "50", "--release", "v5", *QUICK)
    assert code == 0 and aws.weights() == (50, 50)  # a new release may start now


def test_a_rollback_made_meanwhile_stops_the_release_without_moving_traffic(aws):
    clients = {"cloudwatch": aws.cloudwatch, "elbv2": aws.elbv2.real, "ssm": aws.ssm, "sts": aws.sts}
    thread = after_the_first_shift(aws, lambda: main(["rollback", ENV, "--reason", "on-call"], out=io.StringIO(),
                                                     clients=clients))
    code, out = aws.run("rollout", ENV, "--to", "green", "--steps", "10,50,100", "--soak", "30", "--poll", "0.1",
                        "--min-requests", "0")
    thread.join()
    assert code == 3 and aws.weights() == (100, 0)
    assert aws.applied == [(90, 10)]  # the rollout itself never moved traffic again
    assert "rolled back meanwhile?" in out and aws.record()["state"] == "rolled-back"
    assert "summary: stopped by someone else's rollback" in out
    assert float(re.search(r"took (\d+\.\d) s", out.splitlines()[-1]).group(1)) < 15  # within polls, not at 30 s


def test_a_rollback_between_a_steps_checks_and_its_shift_is_not_undone_by_the_shift(aws):
    # The smoke check before the 50 % step takes seconds; the on-call engineer's rollback lands during it. The step
    # then shifts (it checked before), finds the rollback's word and puts traffic back where the rollback put it.
    from environments.smoke import CheckResult, SmokeReport

    calls = []

    def smoke(url, **kwargs):
        calls.append(kwargs["colour"])
        if len(calls) == 2:
            assert main(["rollback", ENV, "--reason", "on-call"], out=io.StringIO(), clients={
                "cloudwatch": aws.cloudwatch, "elbv2": aws.elbv2.real, "ssm": aws.ssm, "sts": aws.sts}) == 0
            aws.elbv2.real.describe_listeners(ListenerArns=[aws.listener])  # (the rollback's call is done)
        return SmokeReport((CheckResult("core", "healthz", url, True, 200, 0.01),))

    code, out = aws.run("rollout", ENV, "--to", "green", "--smoke-url", "https://app.example.test",
                        "--smoke-service", "core", *QUICK, smoke=smoke)
    assert code == 3 and aws.weights() == (100, 0), out
    assert aws.record()["state"] == "rolled-back" and "stopped by someone else's rollback" in out
    assert [r for r in aws.elbv2.describe_rules(ListenerArn=aws.listener)["Rules"] if not r["IsDefault"]] == []


def test_a_rollback_landing_just_before_the_shift_is_restored_by_the_step(aws):
    # The narrowest window: after the step's last check, before its ModifyListener. SSM has no compare-and-set, so
    # the step only learns of the rollback after shifting, from the rollback's own word, and puts traffic back.
    original = aws.elbv2.modify_listener

    def modify(**kwargs):
        weights = tuple(g["Weight"] for g in kwargs["DefaultActions"][0]["ForwardConfig"]["TargetGroups"])
        if weights == (50, 50):
            assert main(["rollback", ENV, "--reason", "on-call"], out=io.StringIO(), clients={
                "cloudwatch": aws.cloudwatch, "elbv2": aws.elbv2.real, "ssm": aws.ssm, "sts": aws.sts}) == 0
        return original(**kwargs)

    aws.elbv2.modify_listener = modify
    try:
        code, out = aws.run("rollout", ENV, "--to", "green", *QUICK)
    finally:
        del aws.elbv2.modify_listener
    assert code == 3 and (50, 50) in aws.applied and aws.weights() == (100, 0), out
    assert "a rollback to blue landed during this step: traffic put back on blue" in out
    assert aws.record()["state"] == "rolled-back"


def test_an_interrupt_before_any_shift_leaves_no_probe_rule(aws):
    from environments.rollout import Interrupted

    def smoke(url, **kwargs):
        raise Interrupted("SIGINT")

    code, out = aws.run("rollout", ENV, "--to", "green", "--smoke-url", "https://app.example.test",
                        "--smoke-service", "core", *QUICK, smoke=smoke)
    assert code == 3 and aws.applied == [] and aws.record()["state"] == "stopped"
    assert [r for r in aws.elbv2.describe_rules(ListenerArn=aws.listener)["Rules"] if not r["IsDefault"]] == []


def test_a_rollback_with_to_needs_nothing_but_the_listener(aws):
    class Broken:
        def __getattr__(self, name):
            def fail(**kwargs):
                raise RuntimeError("SSM unavailable")
            return fail

    aws.set(50, 50)
    clients = {"cloudwatch": aws.cloudwatch, "elbv2": aws.elbv2, "ssm": Broken(), "sts": aws.sts}
    code, out = aws.run("rollback", ENV, "--to", "blue", clients=clients)
    assert code == 0 and aws.weights() == (100, 0)
    assert "SSM unavailable" in out  # the bookkeeping's failure, said after the traffic moved
    assert "summary: all traffic on blue" in out and "could not be updated (above): run the rollback again" in out
    code, _ = aws.run("rollback", ENV, clients=clients)  # without --to it needs the record: exit 2, said
    assert code == 2
    # status still shows the listener's weights (the runbook's first step), the record and lock said unreadable.
    code, out = aws.run("status", ENV, clients=clients)
    assert code == 0 and "the listener forwards blue 100 % / green 0 %" in out and "SSM unavailable" in out


def test_a_rollback_to_a_colour_with_no_healthy_target_is_refused_unless_forced(aws):
    aws.set(0, 100)
    aws.ec2.stop_instances(InstanceIds=aws.instances["blue"])
    code, _ = aws.run("rollback", ENV, "--to", "blue")
    assert code == 2 and aws.weights() == (0, 100)
    code, _ = aws.run("rollback", ENV, "--to", "blue", "--force")
    assert code == 0 and aws.weights() == (100, 0)


def test_a_rollback_to_an_unhealthy_colour_that_already_has_all_traffic_moves_nothing_and_ends_the_release(aws, capsys):
    # Refusing it would protect nothing (no traffic moves) and exit 2 says "traffic may be split": it is not.
    aws.ec2.stop_instances(InstanceIds=aws.instances["blue"] + aws.instances["green"])
    code, _ = aws.run("step", ENV, "--to", "green", "--percent", "10", "--soak", "0", "--release", "v9.9.9")
    assert code == 3 and aws.weights() == (100, 0) and aws.record()["state"] == "stopped"
    code, out = aws.run("rollback", ENV)
    assert code == 0 and "REFUSED" not in capsys.readouterr().err, out
    assert aws.applied == [] and aws.weights() == (100, 0) and "summary: already all on blue" in out
    assert aws.record()["state"] == "stopped"  # (as a rollback with healthy targets leaves a stopped release)
    # A release in progress whose runner died holding the lock, traffic put back on blue by hand: ended, lock cleared.
    aws.ssm.put_parameter(Name=f"/vtc/{ENV}/release", Type="String", Overwrite=True, Value=json.dumps(
        {"release": "v10", "from": "blue", "to": "green", "state": "in-progress", "steps": [10], "events": []}))
    aws.ssm.put_parameter(Name=f"/vtc/{ENV}/release-lock", Type="String",
                          Value=json.dumps({"release": "v10", "by": "a killed runner", "since": "earlier"}))
    code, out = aws.run("rollback", ENV)
    assert code == 0 and aws.applied == [] and aws.record()["state"] == "rolled-back"
    assert aws.ssm.get_parameters(Names=[f"/vtc/{ENV}/release-lock"])["InvalidParameters"]
    assert json.loads(aws.ssm.get_parameter(Name=f"/vtc/{ENV}/release-stop")["Parameter"]["Value"])["to"] == "blue"


def test_a_release_finishing_between_the_weights_read_and_the_no_move_rollback_makes_it_a_refusal(aws, capsys):
    # The rollback read "all on blue" (blue unhealthy: nothing to move), then a release shifted to green and finished
    # before the rollback's word reached it: no step is left to put traffic back. Claiming "already all on blue"
    # would be a lie; moving all traffic to blue is what the guard refuses: refused, said, nothing moved.
    class FinishesAfterTheFirstRead(Wrapping):
        def __init__(self, real):
            super().__init__(real)
            self.reads = 0

        def describe_listeners(self, **kwargs):
            answer = self.real.describe_listeners(**kwargs)
            if "ListenerArns" in kwargs:
                self.reads += 1
                if self.reads == 1:  # (the command's read) ... and then the release finishes
                    aws.set(0, 100)
                    aws.ssm.put_parameter(Name=f"/vtc/{ENV}/release", Type="String", Overwrite=True, Value=json.dumps(
                        {"release": "v11", "from": "blue", "to": "green", "state": "done", "steps": [100],
                         "events": []}))
            return answer


    aws.ec2.stop_instances(InstanceIds=aws.instances["blue"])
    listener = FinishesAfterTheFirstRead(aws.elbv2)
    clients = {"cloudwatch": aws.cloudwatch, "elbv2": listener, "ssm": aws.ssm, "sts": aws.sts}
    code, out = aws.run("rollback", ENV, "--to", "blue", clients=clients)
    assert listener.reads >= 2, "the rollback read the weights again"
    assert code == 2 and aws.weights() == (0, 100) and aws.record()["state"] == "done", out
    assert "traffic moved meanwhile (blue 0, green 100)" in out and "summary: ROLLBACK REFUSED" in out


def test_a_rollback_to_an_unhealthy_colour_is_refused_when_the_weights_cannot_be_read(aws):
    class WeightsUnreadable(Wrapping):
        def describe_listeners(self, **kwargs):
            if "ListenerArns" in kwargs:  # (the weights; finding the listener by its load balancer still works)
                raise RuntimeError("throttled")
            return self.real.describe_listeners(**kwargs)


    aws.ec2.stop_instances(InstanceIds=aws.instances["blue"])
    clients = {"cloudwatch": aws.cloudwatch, "elbv2": WeightsUnreadable(aws.elbv2), "ssm": aws.ssm, "sts": aws.sts}
    code, _ = aws.run("rollback", ENV, "--to", "blue", clients=clients)
    assert code == 2 and aws.applied == [] and aws.weights() == (100, 0)


def test_a_retried_rollback_after_a_failed_one_ends_the_release(aws):
    aws.run("step", ENV, "--to", "green", "--percent", "10", "--release", "v7", *QUICK)
    aws.elbv2.fail_when = lambda weights: True
    assert aws.run("rollback", ENV)[0] == 2 and aws.record()["state"] == "rollback-failed"
    aws.elbv2.fail_when = None
    assert aws.run("rollback", ENV)[0] == 0 and aws.record()["state"] == "rolled-back"
    assert aws.weights() == (100, 0)


def test_watch_interrupted_is_one_line_and_exit_130(emulator):
    import os
    import signal
    import subprocess
    import sys

    from tooling.paths import REPO, tool_env

    emulator.reset()
    process = subprocess.Popen([sys.executable, "-m", "environments.rollout", "watch", ENV, "--colour", "green",
                                "--soak", "60", "--poll", "0.2"], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=tool_env(**emulator.server.environment()))
    # Interrupt once it is watching (its first line out), not while Python is still importing (a fixed sleep raced
    # a slow start: the SIGINT then landed in an import, before the handler existed).
    import select

    ready, _, _ = select.select([process.stdout], [], [], 60)
    first = process.stdout.readline() if ready else ""
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    out = first + out
    assert first, ("no output within 60 s", err)
    assert process.returncode == 130, (out, err)
    assert "interrupted by SIGINT; nothing was changed" in out and "Traceback" not in err


def test_a_rollback_after_a_finished_release_goes_to_its_previous_colour_and_says_so_in_the_record(aws):
    assert aws.run("rollout", ENV, "--to", "green", "--release", "v6", *QUICK)[0] == 0
    code, _ = aws.run("rollback", ENV, "--reason", "regression found the next morning")
    assert code == 0 and aws.weights() == (100, 0)
    record = aws.record()
    assert record["state"] == "rolled-back" and "regression found the next morning" in record["events"][-1]


def test_rollback_without_a_record_needs_to(aws):
    code, _ = aws.run("rollback", ENV)
    assert code == 1 and aws.applied == []
    code, out = aws.run("rollback", ENV, "--to", "green")
    assert code == 0 and aws.weights() == (0, 100) and re.search(r"all traffic on green in \d+\.\d\d s", out)


class Service(http.server.BaseHTTPRequestHandler):
    """The ALB, as far as the smoke checks see it: answers only when the probe header matches a live probe rule
    of the listener (read from the emulator at the moment of the request), and records which colour that reaches."""

    def do_GET(self):  # noqa: N802
        token = self.headers.get(PROBE_HEADER)
        colour = self.server.route(token)
        self.server.reached.append(colour)
        body = self.server.readyz if self.path.endswith("/readyz") else b'{"status": "ok"}'
        status = 200 if colour == "green" and b'"ok"' in body else 503
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_smoke_checks_reach_the_new_colour_alone_through_a_one_run_probe_rule(aws):
    def route(token):
        for rule in aws.elbv2.describe_rules(ListenerArn=aws.listener)["Rules"]:
            for condition in rule.get("Conditions", []):
                if token and token in condition.get("HttpHeaderConfig", {}).get("Values", []):
                    arn = rule["Actions"][0]["TargetGroupArn"]
                    return next(c for c, a in aws.target_groups.items() if a == arn)
        return None  # no rule: the default action's weights would choose

    with loopback_http_server(Service, readyz=b'{"database": "ok"}', reached=[], route=route) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        code, out = aws.run("rollout", ENV, "--to", "green", "--smoke-url", url, "--smoke-service", "core", *QUICK)
        assert code == 0 and out.count("smoke: 2/2 checks passed") == 3
        assert server.reached == ["green"] * 6
        assert [r for r in aws.elbv2.describe_rules(ListenerArn=aws.listener)["Rules"] if not r["IsDefault"]] == []
        assert PROBE_HEADER not in out and "token" not in out
        aws.reset()
        server.reached.clear()
        server.readyz = b'{"database": "timeout"}'
        code, out = aws.run("rollout", ENV, "--to", "green", "--smoke-url", url, "--smoke-service", "core", *QUICK)
        assert code == 3 and aws.applied == [] and "smoke FAIL core readyz" in out


def test_smoke_checks_repeat_during_the_soak_and_a_service_failing_then_rolls_back(aws):
    # The target group's health check asks the colour's NGINX only; a service going down behind it is seen by the
    # smoke checks repeated through the probe rule during the soak.
    def route(token):
        rules = aws.elbv2.describe_rules(ListenerArn=aws.listener)["Rules"]
        return "green" if any(token in c.get("HttpHeaderConfig", {}).get("Values", [])
                              for r in rules for c in r.get("Conditions", [])) else None

    with loopback_http_server(Service, readyz=b'{"database": "ok"}', reached=[], route=route) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = after_the_first_shift(aws, lambda: setattr(server, "readyz", b'{"database": "timeout"}'))
        code, out = aws.run("rollout", ENV, "--to", "green", "--smoke-url", url, "--smoke-service", "core",
                            "--soak", "30", "--smoke-every", "0.2", "--poll", "0.1", "--min-requests", "0")
        thread.join()
    assert code == 3 and aws.applied == [(90, 10), (100, 0)] and aws.weights() == (100, 0)
    assert "during the 10 % soak: smoke: 1/2 checks passed - FAILED: core readyz (database)" in out
    assert [r for r in aws.elbv2.describe_rules(ListenerArn=aws.listener)["Rules"] if not r["IsDefault"]] == []


class Alertmanager(http.server.BaseHTTPRequestHandler):
    """Alertmanager's API v2 as far as the rollout asks it: the alerts matching the query's label filters."""

    def do_GET(self):  # noqa: N802
        from urllib.parse import parse_qs, urlparse

        filters = parse_qs(urlparse(self.path).query).get("filter", [])
        self.server.queries.append(filters)
        wanted = dict(f.replace('"', "").split("=", 1) for f in filters)
        body = json.dumps([a for a in self.server.alerts
                           if all(a["labels"].get(k) == v for k, v in wanted.items())]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_the_new_colours_slo_alerts_in_alertmanager_roll_it_back(aws):
    alert = {"labels": {"alertname": "VtcErrorRateAboveObjective", "service": "core", "colour": "green",
                        "environment": ENV, "severity": "page"},
             "annotations": {"summary": "core (green, staging): more than 1 % of requests fail"},
             "status": {"state": "active"}}
    other = {**alert, "labels": {**alert["labels"], "colour": "blue"}}
    with loopback_http_server(Alertmanager, alerts=[other], queries=[]) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = after_the_first_shift(aws, lambda: server.alerts.append(alert))
        code, out = aws.run("rollout", ENV, "--to", "green", "--alertmanager-url", url, "--soak", "30", "--poll", "0.1",
                            "--min-requests", "0")
        thread.join()
        assert ['colour="green"', f'environment="{ENV}"'] in server.queries
    assert code == 3 and aws.weights() == (100, 0) and aws.applied == [(90, 10), (100, 0)]
    assert ("green's SLO alerts firing in Prometheus: VtcErrorRateAboveObjective core (core (green, staging): more "
            "than 1 % of requests fail)") in out
    aws.reset()
    code, out = aws.run("rollout", ENV, "--to", "green", "--alertmanager-url", "http://127.0.0.1:9", *QUICK)
    assert code == 3 and aws.applied == [] and "could not read Alertmanager" in out  # unwatched: nothing moves


def test_the_before_shift_hook_runs_once_with_the_colour_and_can_stop_the_release(aws, tmp_path):
    marker = tmp_path / "hook.txt"
    code, out = aws.run("rollout", ENV, "--to", "green", *QUICK,
                        "--before-shift", f'echo "$VTC_ENVIRONMENT $VTC_COLOUR" >> {marker}')
    assert code == 0 and marker.read_text() == "staging green\n"
    aws.reset()
    code, out = aws.run("rollout", ENV, "--to", "green", *QUICK, "--before-shift", "exit 7")
    assert code == 3 and aws.applied == [] and "before-shift hook failed: 'exit 7' exited with 7" in out


def test_deploy_workloads_runs_the_workloads_stack_once_before_any_traffic_moves(aws):
    from environments.rollout import ROOT
    assert workloads_command("staging") == [str(ROOT / "node_modules" / ".bin" / "cdktf"), "deploy",
                                            "staging-workloads", "--auto-approve",
                                            "--ignore-missing-stack-dependencies"]
    deployed = []

    def workloads(env, outdir):
        def run(colour):
            deployed.append((env, colour, list(aws.applied)))
        return run

    code, _ = aws.run("rollout", ENV, "--to", "green", *QUICK, "--deploy-workloads", workloads=workloads)
    assert code == 0 and deployed == [(ENV, "green", [])]


def test_watch_is_the_soak_alone_and_fails_at_the_first_problem(aws):
    code, out = aws.run("watch", ENV, "--colour", "green", "--soak", "0.3", "--poll", "0.1")
    assert code == 0 and "summary: nothing wrong" in out and aws.applied == []
    aws.traffic("green", requests=100, errors=50)
    code, out = aws.run("watch", ENV, "--colour", "green", "--soak", "30", "--poll", "0.1")
    assert code == 3 and "PROBLEM: green answered" in out and aws.applied == []


def test_an_unexpected_error_is_one_line_with_what_to_do_and_the_traceback_only_with_debug(aws, capsys):
    class Unreachable:
        def get_caller_identity(self):
            raise ConnectionError("Could not connect to the endpoint URL")

    clients = {"cloudwatch": aws.cloudwatch, "elbv2": aws.elbv2, "ssm": aws.ssm, "sts": Unreachable()}
    code, _ = aws.run("status", ENV, clients=clients)
    err = capsys.readouterr().err
    assert code == 1 and "rollout: unexpected error: ConnectionError: Could not connect" in err
    assert f"`python -m environments.rollout status {ENV}`" in err  # the environment named, not "<env>"
    code, _ = aws.run("rollout", "--to", "green", ENV, clients=clients)  # an option's value first: not taken for it
    assert code == 1 and f"`python -m environments.rollout status {ENV}`" in capsys.readouterr().err
    assert "Traceback" not in err and "--debug prints the traceback" in err
    code, _ = aws.run("status", ENV, "--debug", clients=clients)
    assert code == 1 and "Traceback" in capsys.readouterr().err


def test_credentials_of_another_account_are_refused_before_anything_is_read(aws):
    class Elsewhere:
        def get_caller_identity(self):
            return {"Account": "222222222222"}

    clients = {"cloudwatch": aws.cloudwatch, "elbv2": aws.elbv2, "ssm": aws.ssm, "sts": Elsewhere()}
    code, _ = aws.run("rollback", ENV, "--to", "green", clients=clients)
    assert code == 1 and aws.applied == []


@pytest.mark.parametrize("argv", [
    ["rollout", "staging", "--to", "green", "--steps", "50,10,100"],
    ["rollout", "staging", "--to", "green", "--steps", "10,50"],
    ["rollout", "staging", "--to", "green", "--steps", "ten"],
    ["rollout", "staging", "--to", "purple"],
    ["rollout", "staging"],
    ["rollout", "nowhere", "--to", "green"],
    ["rollout", "staging", "--to", "green", "--poll", "0"],
    ["rollout", "staging", "--to", "green", "--release", "bad id!"],
    ["step", "staging", "--to", "green", "--percent", "0"],
    ["rollout", "staging", "--to", "green", "--smoke-url", "app.example.com"],
    ["rollout", "staging", "--to", "green", "--alertmanager-url", "localhost:9093"],
    ["rollout", "staging", "--to", "green", "--smoke-every", "0"],
    ["watch", "staging", "--colour", "green", "--soak", "ten"],
    ["rollout", "staging", "--to", "green", "--load-balancer", "vtc-nowhere"],
    ["rollback"],
    ["status", "base"],
    ["status", "staging", "--region", "Ireland"],
    ["rollout", "staging", "--to", "green", "--smoke-url", "https://app.example.com", "--smoke-service", "billing"],
    [],
])
def test_usage_errors_exit_1_and_touch_nothing(aws, argv):
    code, _ = aws.run(*argv)
    assert code == 1 and aws.applied == [] and aws.weights() == (100, 0) and aws.record() is None


class NoCalls:
    """Every AWS client at once: any call fails the test (the files are checked before the first one)."""

    def __getattr__(self, name):
        raise AssertionError(f"an AWS call ({name}) before the environment files were checked")


@pytest.mark.parametrize("qa, said", [
    ('account_id = "111111111111"\n[alarms\n', "environments/qa.toml: not valid TOML (Expected ']'"),
    ('account_id = "12345"\n', "environments/qa.toml: account_id: got '12345'; allowed: the environment's AWS account "
                               "ID, 12 digits"),
    ("account_id = 111111111111\n", "account_id: got 111111111111; allowed:"),
    ("region = 'eu-west-1'\n", "environments/qa.toml: account_id: missing; allowed:"),
    ('account_id = "111111111111"\nregion = "Ireland"\n',
     "environments/qa.toml: region: got 'Ireland'; allowed: an AWS region name such as eu-west-1"),
    ('account_id = "111111111111"\n[alarms.thresholds]\nalb_5xx_rate_percent = "1 %"\n',
     "alarms.thresholds.alb_5xx_rate_percent: got '1 %'; allowed: a number more than 0, at most 100"),
    ('account_id = "111111111111"\nalarms = "none"\n',
     "environments/qa.toml: alarms: got 'none'; allowed: a table; fix: write it as [alarms]"),
    ('account_id = "111111111111"\n[alarms.thresholds]\nalb_p99_latency_ms = -5\n',
     "alarms.thresholds.alb_p99_latency_ms: got -5; allowed: a number of milliseconds more than 0"),
    ('account_id = "111111111111"\n\xff\n', "environments/qa.toml: not UTF-8 text; fix: save it as UTF-8"),
])
def test_a_wrong_environment_file_is_named_with_the_fix_exit_1_before_any_aws_call(qa, said, tmp_path, monkeypatch,
                                                                                     capsys):
    import environments.rollout_files as files

    (tmp_path / "base.toml").write_bytes((files.ENVIRONMENTS / "base.toml").read_bytes())
    (tmp_path / "qa.toml").write_bytes(qa.encode().replace("\xff".encode(), b"\xff"))  # (a byte that is not UTF-8)
    monkeypatch.setattr(files, "ENVIRONMENTS", tmp_path)
    clients = dict.fromkeys(("cloudwatch", "elbv2", "ssm", "sts"), NoCalls())
    # (status reads every part these files could get wrong; the rollback only the account and the region: below)
    assert main(["status", "qa"], clients=clients, out=io.StringIO()) == 1
    err = capsys.readouterr().err
    assert said in err and "fix: " in err and "credentials" not in err and "unexpected" not in err, err


def test_the_rollback_reads_only_the_account_and_the_region_so_a_file_wrong_elsewhere_never_blocks_it(
        aws, tmp_path, monkeypatch, capsys):
    import environments.rollout_files as files

    (tmp_path / "base.toml").write_text("")
    (tmp_path / "qa.toml").write_text(f'account_id = "{ACCOUNT}"\n[alarms.thresholds]\nalb_5xx_rate_percent = 150\n'
                                      '[workloads]\nimage_tags = "1.2.3"\n')  # (and no region: --region gives it)
    monkeypatch.setattr(files, "ENVIRONMENTS", tmp_path)
    aws.set(0, 100)
    where = ("--region", REGION, "--load-balancer", f"vtc-{ENV}")
    code, out = aws.run("rollback", "qa", "--to", "blue", *where)
    assert code == 0 and aws.weights() == (100, 0), out + capsys.readouterr().err
    # The commands that judge, or show the files' tags, still refuse the file, naming each problem.
    assert aws.run("status", "qa", *where)[0] == 1
    err = capsys.readouterr().err
    assert "alarms.thresholds.alb_5xx_rate_percent: got 150" in err and "workloads.image_tags: got '1.2.3'" in err
    # An account that is not one is refused for the rollback too: the credentials are checked against it.
    (tmp_path / "qa.toml").write_text('account_id = "12345"\n')
    assert aws.run("rollback", "qa", "--to", "green", *where)[0] == 1 and aws.weights() == (100, 0)


def test_the_base_file_is_named_as_the_shared_defaults_not_a_missing_environment(capsys):
    assert main(["status", "base"], clients=dict.fromkeys(("cloudwatch", "elbv2", "ssm", "sts"), NoCalls())) == 1
    err = capsys.readouterr().err
    assert "environments/base.toml holds the defaults every environment shares, not an environment" in err
    assert "production, staging" in err and "no environment" not in err


def _options(command: str) -> list[tuple[str, object]]:
    """Every option of a subcommand with its type (None: a flag or a string), read from the parser itself."""
    from environments.rollout import _parser

    sub = next(a for a in _parser()._actions if a.dest == "command").choices[command]
    return [(a.option_strings[-1], a.type) for a in sub._actions if a.option_strings and a.dest != "help"]


@pytest.mark.parametrize("command", ["rollout", "step", "watch", "rollback", "status"])
def test_every_numeric_option_refuses_every_wrong_value_before_any_call(aws, command, capsys):
    # Written from the rule (a number option takes a finite number in its range), for every option the parser has:
    # a new option is covered without a new line here.
    base = {"rollout": ["rollout", ENV, "--to", "green"], "step": ["step", ENV, "--to", "green", "--percent", "10"],
            "watch": ["watch", ENV, "--colour", "green", "--soak", "1"], "rollback": ["rollback", ENV, "--to", "blue"],
            "status": ["status", ENV]}[command]
    numeric = [(option, kind) for option, kind in _options(command) if kind in (int, float)]
    for option, kind in numeric:
        for value in ("ten", "", "nan", "inf", "-inf", "-1", *(["1.5"] if kind is int else []),
                      *(["0"] if option not in ("--soak", "--judge-timeout", "--min-requests") else [])):
            argv = [a for a in base]
            if option in argv:
                argv[argv.index(option) + 1] = value
            else:
                argv += [option, value]
            code, _ = aws.run(*argv)
            err = capsys.readouterr().err
            assert code == 1 and "Traceback" not in err, (argv, err)
            assert aws.applied == [] and aws.record() is None, argv


def test_the_help_states_the_exit_codes(capsys):
    assert main(["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Exit status: 0 success; 1 usage error" in text and "4 refused" in text


def test_a_signal_while_the_lock_is_taken_releases_it_and_changes_nothing(aws):
    # The signal lands right after SSM has written the lock, before put_parameter returns (the handlers are installed
    # before the lock is taken, so it is an interrupt the rollout handles, not a process that dies holding the lock).
    from environments.rollout import Interrupted

    class SignalAfterTheWrite(Wrapping):
        def put_parameter(self, **kwargs):
            self.real.put_parameter(**kwargs)
            if kwargs["Name"].endswith("release-lock"):
                raise Interrupted("SIGTERM")


    before = aws.record()
    clients = {"cloudwatch": aws.cloudwatch, "elbv2": aws.elbv2, "ssm": SignalAfterTheWrite(aws.ssm), "sts": aws.sts}
    code, out = aws.run("rollout", ENV, "--to", "green", *QUICK, clients=clients)
    assert code == 3 and "STOPPED before anything changed: interrupted by SIGTERM while taking the lock" in out
    assert aws.applied == [] and aws.weights() == (100, 0) and aws.record() == before
    code, out = aws.run("rollout", ENV, "--to", "green", *QUICK)  # no stale lock: the next release goes ahead
    assert code == 0 and aws.weights() == (0, 100), out


# --- the on-call drill's findings (each fails without its fix) -------------------------------------------------------

class ClosedOutput:
    """Output that is gone (a CI log pipe closed, `| head` done): every write raises, as a broken pipe does."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        raise BrokenPipeError(32, "Broken pipe")


def test_output_closed_under_a_release_never_stops_it_half_way_nor_its_rollback(aws):
    clients = {"cloudwatch": aws.cloudwatch, "elbv2": aws.elbv2, "ssm": aws.ssm, "sts": aws.sts}
    code = main(["rollout", ENV, "--to", "green", "--steps", "10,100", *QUICK, "--release", "v3"], clients=clients,
                out=ClosedOutput())
    assert code == 0 and aws.applied == [(90, 10), (0, 100)] and aws.record()["state"] == "done"
    code = main(["rollback", ENV, "--reason", "drill"], clients=clients, out=ClosedOutput())
    assert code == 0 and aws.weights() == (100, 0) and aws.record()["state"] == "rolled-back"


def test_a_load_balancer_lookup_that_fails_is_not_reported_as_no_load_balancer(aws, capsys):
    class ThrottledLookup(Wrapping):
        def describe_load_balancers(self, **kwargs):
            raise RuntimeError("Throttling: Rate exceeded")

    clients = {"cloudwatch": aws.cloudwatch, "elbv2": ThrottledLookup(aws.elbv2), "ssm": aws.ssm, "sts": aws.sts}
    assert aws.run("rollback", ENV, "--to", "blue", clients=clients)[0] == 1
    err = capsys.readouterr().err
    assert "could not look up the load balancer 'vtc-staging'" in err and "run the same command again" in err
    assert "no load balancer" not in err
    assert aws.run("rollback", ENV, "--to", "blue", "--load-balancer", "vtc-nowhere")[0] == 1
    assert "no load balancer 'vtc-nowhere' in this account in " in capsys.readouterr().err


def test_an_unreadable_record_or_lock_is_said_and_the_rollback_asks_for_to(aws, capsys):
    aws.ssm.put_parameter(Name=f"/vtc/{ENV}/release", Type="String", Value="{not json", Overwrite=True)
    aws.ssm.put_parameter(Name=f"/vtc/{ENV}/release-lock", Type="String", Value="garbage", Overwrite=True)
    code, out = aws.run("status", ENV)
    assert code == 0 and "release record UNREADABLE ('{not json')" in out and "LOCK UNREADABLE ('garbage')" in out
    assert "None" not in out
    assert aws.run("rollback", ENV)[0] == 2
    assert "the release record cannot be read (ValueError: not a release record: {not json)" in capsys.readouterr().err
    assert aws.run("rollback", ENV, "--to", "blue")[0] == 0 and aws.weights() == (100, 0)


def test_a_step_below_what_the_release_reached_is_refused(aws):
    assert aws.run("step", ENV, "--to", "green", "--percent", "50", "--release", "v4", *QUICK)[0] == 0
    code, _ = aws.run("step", ENV, "--to", "green", "--percent", "10", "--release", "v4", *QUICK)
    assert code == 1 and aws.weights() == (50, 50) and aws.applied == [(50, 50)]
    assert aws.run("step", ENV, "--to", "green", "--percent", "100", "--release", "v4", *QUICK)[0] == 0


def test_a_failed_rollback_of_an_interrupted_rollout_says_what_to_run(aws):
    from environments.rollout import Interrupted

    def interrupt_after_the_first_shift(weights):
        if weights == (90, 10):
            aws.elbv2.fail_when = lambda w: True  # every later ModifyListener fails: the rollback too
            raise Interrupted("SIGTERM")
        return False

    aws.elbv2.fail_when = interrupt_after_the_first_shift
    code, out = aws.run("rollout", ENV, "--to", "green", "--steps", "10,100", *QUICK, "--release", "v5")
    aws.elbv2.fail_when = None
    assert code == 2, out
    assert "summary: interrupted by SIGTERM; ROLLBACK FAILED: traffic may still be split" in out
    assert f"run `python -m environments.rollout rollback {ENV} --to blue` (it is idempotent)" in out


def test_status_shows_the_alarms_without_data_and_what_clears_a_held_lock(aws):
    aws.cloudwatch.set_alarm_state(AlarmName=f"vtc-{ENV}-alb-p99-latency", StateValue="INSUFFICIENT_DATA",
                                   StateReason="drill")
    aws.ssm.put_parameter(Name=f"/vtc/{ENV}/release-lock", Type="String", Overwrite=True,
                          Value=json.dumps({"release": "v6", "by": "a killed runner", "since": "earlier"}))
    code, out = aws.run("status", ENV)
    assert code == 0 and f"alarms without data (INSUFFICIENT_DATA): vtc-{ENV}-alb-p99-latency" in out
    assert "if that process is gone (killed, a lost runner), `rollback` clears it" in out
    # A holder that ran on this host: whether its process is still there is looked up, and said.
    import os
    import socket
    import subprocess
    dead = subprocess.Popen(["true"])
    dead.wait()
    for pid, said in ((dead.pid, "that process is gone (it ran on this host): `rollback` clears the lock"),
                      (os.getpid(), "that process still runs on this host")):
        aws.ssm.put_parameter(Name=f"/vtc/{ENV}/release-lock", Type="String", Overwrite=True, Value=json.dumps(
            {"release": "v6", "by": f"someone@{socket.gethostname()} pid {pid}", "since": "earlier"}))
        code, out = aws.run("status", ENV)
        assert code == 0 and said in out, out
