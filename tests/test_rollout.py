"""environments/rollout.py against the local AWS emulator: a fresh moto server on 127.0.0.1 (started and stopped by
the module's fixture) holding what the command reads and changes in a deployed stack - an ALB listener forwarding to
the blue and green target groups by weight, EC2 targets in each group, and CloudWatch alarms named ``vtc-<env>-*``
(and one of another environment). They are created through boto3 rather than a full ``cdktf deploy`` (minutes), and
the shift is injected: it calls ``elbv2.modify_listener`` with the weights, which is what the README's weight-only
``cdktf deploy`` changes (tests/test_deploy.py proves that part against the real stack). Everything else is the
command's own code talking to the emulator's API: the alarm and target-health polling, the decisions, the automatic
rollback, the output and exit status. The alarm is set to ALARM with ``set_alarm_state`` and a green target made
unhealthy by stopping its instance, both from another thread while the rollout soaks.
"""

from __future__ import annotations

import http.server
import io
import re
import threading
import time

import pytest

from environments import rollout as rollout_module
from environments.rollout import main
from tests.helpers import loopback_http_server
from tooling.emulator import MotoServer

REGION = "eu-west-1"
ENV = "staging"
ALARMS = ("vtc-staging-alb-5xx-rate", "vtc-staging-alb-p99-latency", "vtc-staging-alb-unhealthy-hosts-green")
OTHER_ENV_ALARM = "vtc-production-alb-5xx-rate"


class Emulated:
    def __init__(self, server: MotoServer):
        self.server = server
        self.ec2 = server.client("ec2", REGION)
        self.elbv2 = server.client("elbv2", REGION)
        self.cloudwatch = server.client("cloudwatch", REGION)
        self.applied: list[tuple[int, int]] = []
        vpc = self.ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        subnets = [self.ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"{REGION}{az}")
                   ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
        alb = self.elbv2.create_load_balancer(Name="vtc-staging", Subnets=subnets)["LoadBalancers"][0]
        self.target_groups, self.instances = {}, {}
        image = self.ec2.describe_images()["Images"][0]["ImageId"]
        for colour in ("blue", "green"):
            arn = self.elbv2.create_target_group(Name=f"vtc-staging-{colour}", Protocol="HTTP", Port=8080,
                                                 VpcId=vpc, TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
            ids = [i["InstanceId"] for i in self.ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2,
                                                                   SubnetId=subnets[0])["Instances"]]
            self.elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": i, "Port": 8080} for i in ids])
            self.target_groups[colour], self.instances[colour] = arn, ids
        self.listener = self.elbv2.create_listener(
            LoadBalancerArn=alb["LoadBalancerArn"], Protocol="HTTP", Port=80,
            DefaultActions=[self._forward(100, 0)])["Listeners"][0]["ListenerArn"]
        for name in ALARMS + (OTHER_ENV_ALARM,):
            self.cloudwatch.put_metric_alarm(
                AlarmName=name, Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
                Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")

    def _forward(self, blue: int, green: int) -> dict:
        return {"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": self.target_groups["blue"], "Weight": blue},
            {"TargetGroupArn": self.target_groups["green"], "Weight": green}]}}

    def apply_weights(self, blue: int, green: int) -> None:
        """The injected shift: what the weight-only cdktf deploy changes, the listener's forward weights."""
        self.elbv2.modify_listener(ListenerArn=self.listener, DefaultActions=[self._forward(blue, green)])
        self.applied.append((blue, green))

    def weights(self) -> tuple[int, int]:
        action = self.elbv2.describe_listeners(ListenerArns=[self.listener])["Listeners"][0]["DefaultActions"][0]
        by_arn = {g["TargetGroupArn"]: g["Weight"] for g in action["ForwardConfig"]["TargetGroups"]}
        return by_arn[self.target_groups["blue"]], by_arn[self.target_groups["green"]]

    def reset(self) -> None:
        self.apply_weights(100, 0)
        self.applied.clear()
        for name in ALARMS + (OTHER_ENV_ALARM,):
            self.cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="test reset")
        stopped = [i for ids in self.instances.values() for i in ids]
        self.ec2.start_instances(InstanceIds=stopped)

    def run(self, *argv: str, apply=None, **overrides) -> tuple[int, str]:
        out = io.StringIO()
        code = main(list(argv), apply_weights=apply or self.apply_weights, clients=(self.cloudwatch, self.elbv2),
                    target_groups=self.target_groups, out=out, **overrides)
        print(out.getvalue())
        return code, out.getvalue()


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    with MotoServer(tmp_path_factory.mktemp("moto") / "moto.log") as server:
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


STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ staging: ")


def test_a_clean_rollout_shifts_in_steps_and_ends_on_the_new_colour(aws):
    aws.cloudwatch.set_alarm_state(AlarmName=OTHER_ENV_ALARM, StateValue="ALARM", StateReason="another environment")
    code, out = aws.run("rollout", ENV, "--to", "green", "--steps", "10,50,100", "--soak", "0.6", "--poll", "0.2")
    assert code == 0
    assert aws.applied == [(90, 10), (50, 50), (0, 100)]
    assert aws.weights() == (0, 100)
    lines = out.splitlines()
    assert all(STAMP.match(line) for line in lines)
    assert sum("soak done" in line for line in lines) == 3
    assert "summary: SUCCESS: all traffic on green; steps completed: 10 %, 50 %, 100 %" in lines[-1]
    assert OTHER_ENV_ALARM not in out  # only this environment's alarms count


def test_an_alarm_set_to_alarm_mid_rollout_rolls_all_traffic_back(aws):
    def fire():
        aws.cloudwatch.set_alarm_state(AlarmName=ALARMS[0], StateValue="ALARM", StateReason="test: 5xx rate")

    def apply(blue, green):
        aws.apply_weights(blue, green)
        if green == 50:  # the alarm fires during the 50 % step's soak, through the emulator's API
            threads.append(later(0.5, fire))

    threads: list[threading.Thread] = []
    started = time.monotonic()
    code, out = aws.run("rollout", ENV, "--to", "green", "--steps", "10,50,100", "--soak", "5", "--poll", "0.2",
                        apply=apply)
    for thread in threads:
        thread.join(timeout=5)
    assert code == 3
    assert aws.applied == [(90, 10), (50, 50), (100, 0)]  # never reached 100 %, then all back
    assert aws.weights() == (100, 0)  # the listener is back where the rollout started
    assert f"during the 50 % soak: alarm in ALARM: {ALARMS[0]}" in out
    assert "ROLLBACK: all traffic to blue (blue 100 / green 0)" in out
    assert "summary: ROLLED BACK to blue in" in out and "steps completed: 10 %;" in out
    # the alarm was seen within a poll or two, not at the end of the 5 s soak
    assert time.monotonic() - started < 5 + 5


def test_unhealthy_green_targets_mid_rollout_roll_all_traffic_back(aws):
    def apply(blue, green):
        aws.apply_weights(blue, green)
        if green == 10:
            threads.append(later(0.4, lambda: aws.ec2.stop_instances(InstanceIds=[aws.instances["green"][0]])))

    threads: list[threading.Thread] = []
    code, out = aws.run("rollout", ENV, "--to", "green", "--soak", "5", "--poll", "0.2", apply=apply)
    for thread in threads:
        thread.join(timeout=5)
    assert code == 3
    assert aws.applied == [(90, 10), (100, 0)]
    assert aws.weights() == (100, 0)
    assert f"during the 10 % soak: green targets not healthy: {aws.instances['green'][0]}:8080 unused" in out


def test_unhealthy_targets_or_a_firing_alarm_before_the_first_step_move_no_traffic(aws):
    aws.ec2.stop_instances(InstanceIds=aws.instances["green"])
    code, out = aws.run("rollout", ENV, "--to", "green", "--soak", "0", "--poll", "0.2")
    assert code == 3 and aws.applied == [] and aws.weights() == (100, 0)
    assert "STOPPED before any traffic moved: before the 10 % step: green targets not healthy" in out
    aws.reset()
    aws.cloudwatch.set_alarm_state(AlarmName=ALARMS[1], StateValue="ALARM", StateReason="test")
    code, out = aws.run("rollout", ENV, "--to", "green", "--soak", "0")
    assert code == 3 and aws.applied == [] and f"alarm in ALARM: {ALARMS[1]}" in out


def test_a_failed_deploy_step_rolls_back(aws):
    def apply(blue, green):
        if green == 50:
            raise RuntimeError("cdktf deploy staging exited with 1")
        aws.apply_weights(blue, green)

    code, out = aws.run("rollout", ENV, "--to", "green", "--soak", "0", apply=apply)
    assert code == 3 and aws.applied == [(90, 10), (100, 0)] and aws.weights() == (100, 0)
    assert "the 50 % step failed: cdktf deploy staging exited with 1" in out


def test_a_check_that_cannot_be_made_mid_rollout_rolls_back(aws):
    class Failing:
        def __init__(self, real):
            self.real, self.calls = real, 0

        def describe_alarms(self, **kwargs):
            self.calls += 1
            if self.calls > 3:
                raise RuntimeError("throttled")
            return self.real.describe_alarms(**kwargs)

    out = io.StringIO()
    code = main(["rollout", ENV, "--to", "green", "--soak", "1", "--poll", "0.2"], apply_weights=aws.apply_weights,
                clients=(Failing(aws.cloudwatch), aws.elbv2), target_groups=aws.target_groups, out=out)
    print(out.getvalue())
    assert code == 3 and aws.weights() == (100, 0) and aws.applied[-1] == (100, 0)
    assert "could not read the alarms: RuntimeError: throttled" in out.getvalue()


def test_rollout_to_blue_from_green(aws):
    aws.apply_weights(0, 100)
    aws.applied.clear()
    code, _ = aws.run("rollout", ENV, "--to", "blue", "--steps", "25,100", "--soak", "0")
    assert code == 0 and aws.applied == [(25, 75), (100, 0)]


def test_rollback_moves_all_traffic_to_the_previous_colour_in_one_step_and_is_timed(aws):
    aws.apply_weights(50, 50)  # mid-rollout
    aws.applied.clear()
    started = time.monotonic()
    code, out = aws.run("rollback", ENV)  # previous colour from the environment files: staging's live colour, blue
    measured = time.monotonic() - started
    print(f"MEASURED: rollback in the emulator (injected listener shift) took {measured:.3f} s")
    assert code == 0 and aws.applied == [(100, 0)] and aws.weights() == (100, 0)
    assert re.search(r"rollback done: all traffic on blue in \d+\.\d s", out)
    assert measured < 5
    code, _ = aws.run("rollback", ENV, "--to", "green")
    assert code == 0 and aws.weights() == (0, 100)


def test_a_failed_rollback_says_so(aws):
    def apply(blue, green):
        raise RuntimeError("state locked")

    code, out = aws.run("rollback", ENV, apply=apply)
    assert code == 2 and "ROLLBACK FAILED" in out and "state locked" in out


class Service(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = self.server.readyz if self.path.endswith("/readyz") else b'{"status": "ok"}'
        status = 200 if b'"ok"' in body else 503
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.hosts.add(self.headers.get("Host"))

    def log_message(self, *args):
        pass


@pytest.fixture
def service():
    with loopback_http_server(Service, readyz=b'{"database": "ok"}', hosts=set()) as server:
        yield server


def test_smoke_checks_run_before_each_shift_and_a_failure_rolls_back(aws, service):
    url = f"http://127.0.0.1:{service.server_address[1]}"
    code, out = aws.run("rollout", ENV, "--to", "green", "--soak", "0", "--smoke-url", url,
                        "--smoke-host", "{colour}.app.example.test", "--smoke-service", "core")
    assert code == 0 and out.count("smoke: 2/2 checks passed") == 3 and service.hosts == {"green.app.example.test"}
    aws.reset()

    def apply(blue, green):
        aws.apply_weights(blue, green)
        if green == 10:
            service.readyz = b'{"database": "timeout"}'

    code, out = aws.run("rollout", ENV, "--to", "green", "--soak", "0", "--smoke-url", url,
                        "--smoke-service", "core", apply=apply)
    assert code == 3 and aws.applied == [(90, 10), (100, 0)] and aws.weights() == (100, 0)
    assert f"smoke FAIL core readyz (database) {url}/core/readyz: status 503" in out
    assert "before the 50 % step: smoke: 1/2 checks passed - FAILED: core readyz (database)" in out


def test_the_before_shift_hook_runs_once_with_the_colour_and_can_stop_the_rollout(aws, tmp_path):
    marker = tmp_path / "hook.txt"
    code, out = aws.run("rollout", ENV, "--to", "green", "--soak", "0",
                        "--before-shift", f'echo "$VTC_ENVIRONMENT $VTC_COLOUR" >> {marker}')
    assert code == 0 and marker.read_text() == "staging green\n" and "before-shift hook done" in out
    aws.reset()
    code, out = aws.run("rollout", ENV, "--to", "green", "--soak", "0", "--before-shift", "exit 7")
    assert code == 3 and aws.applied == [] and "before-shift hook failed: 'exit 7' exited with 7" in out


def test_watch_is_the_soak_alone_and_fails_at_the_first_problem(aws):
    code, out = aws.run("watch", ENV, "--colour", "green", "--soak", "0.6", "--poll", "0.2")
    assert code == 0 and "soak done:" in out and "summary: nothing wrong" in out and aws.applied == []
    fired = later(0.3, lambda: aws.cloudwatch.set_alarm_state(AlarmName=ALARMS[0], StateValue="ALARM",
                                                              StateReason="test: mid-soak"))
    code, out = aws.run("watch", ENV, "--colour", "green", "--soak", "30", "--poll", "0.1")
    fired.join()
    assert code == 3 and f"PROBLEM: alarm in ALARM: {ALARMS[0]}" in out and aws.applied == []


def test_deploy_workloads_deploys_the_workloads_stack_once_before_any_traffic_moves(aws):
    from environments.rollout import ROOT, workloads_command

    assert workloads_command("staging") == [str(ROOT / "node_modules" / ".bin" / "cdktf"), "deploy",
                                            "staging-workloads", "--auto-approve",
                                            "--ignore-missing-stack-dependencies"]
    assert workloads_command("staging", "out")[-2:] == ["--output", "out"]
    deployed = []

    def workloads(env, outdir):  # the real one runs workloads_command(env, outdir), which needs the private cluster
        def run(colour):
            deployed.append((env, outdir, colour, list(aws.applied)))
            if colour == "blue":
                raise RuntimeError("cdktf deploy staging-workloads exited with 1")
        return run

    code, out = aws.run("rollout", ENV, "--to", "green", "--soak", "0", "--deploy-workloads", workloads=workloads)
    assert code == 0 and deployed == [(ENV, None, "green", [])], "once, before the first shift"
    aws.reset()
    code, out = aws.run("rollout", ENV, "--to", "blue", "--soak", "0", "--deploy-workloads", "--outdir", "o",
                        workloads=workloads)
    assert code == 3 and aws.applied == [] and "exited with 1" in out
    assert main(["rollout", ENV, "--to", "green", "--deploy-workloads", "--before-shift", "true"]) == 1


@pytest.mark.parametrize("argv", [
    ["rollout", "staging", "--to", "green", "--steps", "50,10,100"],
    ["rollout", "staging", "--to", "green", "--steps", "10,50"],
    ["rollout", "staging", "--to", "green", "--steps", "ten"],
    ["rollout", "staging", "--to", "purple"],
    ["rollout", "staging"],
    ["rollout", "nowhere", "--to", "green"],
    ["rollout", "staging", "--to", "green", "--poll", "0"],
    ["rollback"],
    [],
])
def test_usage_errors_exit_1_and_touch_nothing(aws, argv):
    code, _ = aws.run(*argv)
    assert code == 1 and aws.applied == [] and aws.weights() == (100, 0)


def test_the_real_shift_is_the_readmes_cdktf_deploy(monkeypatch):
    calls = []

    class Done:
        returncode = 0

    monkeypatch.setattr(rollout_module.subprocess, "run", lambda command, **kw: calls.append(command) or Done())
    rollout_module.cdktf_apply("production")(90, 10)
    assert calls[0][0].endswith("node_modules/.bin/cdktf")
    assert calls[0][1:] == ["deploy", "production", "--auto-approve", "--var=blue_weight=90", "--var=green_weight=10"]
