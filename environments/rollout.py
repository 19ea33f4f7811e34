"""Blue/green releases and rollbacks of one environment, done on the load balancer itself.

    python -m environments.rollout status <env> [--json]
    python -m environments.rollout rollout <env> --to green [--steps 10,50,100] [--soak 300] [--release v1.2.3]
        [--smoke-url URL [--smoke-host HOST] [--smoke-service S ...]] [--deploy-workloads | --before-shift 'CMD']
    python -m environments.rollout step <env> --to green --percent 10 [--soak 300] [--release v1.2.3] [--smoke-...]
    python -m environments.rollout watch <env> --colour green --soak 600
    python -m environments.rollout rollback <env> [--to blue] [--reason TEXT]

**The listener is the source of truth.** Every command reads the weights from the environment's HTTPS listener
(the load balancer ``vtc-<env>``, port 443; its target groups by their ``vtc/colour`` tag) and changes them with one
``ModifyListener`` call (:mod:`environments.traffic`). Terraform ignores the listener's weights after creating it
(the Edge construct), so a deploy never moves traffic and a traffic step changes nothing but traffic; no Terraform
state lock, no plan, no checkout of the stack is involved. The environment files' ``edge.*_weight`` are the weights of
the first deploy only.

**The release record.** A release (``rollout``, or ``step`` after ``step``) keeps its progress in the SSM parameter
``/vtc/<env>/release``: release id, previous and new colour, state (``in-progress``, ``done``, ``rolled-back``,
``stopped``, ``rollback-failed``), the steps done, the last events. While one is ``in-progress`` another release is
refused (exit 4); ``step`` with the same ``--release`` continues it. The process moving traffic holds the lock
``/vtc/<env>/release-lock``; a second process is refused while it does. The record is read again before each step
and at every poll of a soak: a rollback made meanwhile (by anyone) stops the release within a poll, without touching
traffic.

**The canary is judged by the new colour's own signals**, every ``--poll`` seconds from the step on: its target
group's requests, 5xx and p99 response time (CloudWatch, since the step), its targets' health, and the environment's
alarms (any ``vtc-<env>-*`` in ALARM is a problem; the new colour's own ``vtc-<env>-alb-*-<colour>`` alarms in
INSUFFICIENT_DATA are "not known yet"). Fewer than ``--min-requests`` requests is "not known yet", never healthy: the
soak then goes on, up to ``--judge-timeout`` more seconds, and a colour still not judged is rolled back. The
thresholds default to the environment's alarm thresholds (``alarms.thresholds.alb_5xx_rate_percent`` and
``alb_p99_latency_ms``). Before every step, ``--smoke-url`` runs :mod:`environments.smoke` against the new colour
only, through a probe rule on the listener that forwards a header with a one-run secret value to that colour (made
for the step, deleted after its soak; the public never reaches the idle colour), and repeats them every
``--smoke-every`` seconds during the soak: every service's ``healthz`` and ``readyz`` (its database), which the
target group's health check (the colour's NGINX) does not see. ``--alertmanager-url`` adds the services' own SLO
alerts for the colour (Prometheus, through Alertmanager's API; where the job can reach it, e.g. inside the VPC).

**Failures roll back by themselves**: a problem, a failed smoke test, a failed step, SIGINT, SIGTERM or SIGHUP after
traffic moved send all traffic to the previous colour in one call (signals during that call are noted and ignored),
and the record says so. A process killed outright (SIGKILL, a lost runner) leaves the record ``in-progress`` and the
lock held: ``status`` shows both, the next release is refused, and ``rollback`` takes traffic back and clears them.

``rollback`` never waits for a lock or a reviewer: traffic to ``--to``, or to the record's previous colour; it ends any
unfinished release (so its later steps refuse) and removes probe rules. ``watch`` is the soak alone (exit 3 at the
first problem). Every command first checks that the credentials are the environment file's account.

Exit status: 0 success; 1 usage error or wrong account; 2 a rollback failed (traffic may be split: run ``rollback``
again); 3 rolled back, or stopped before any traffic moved; 4 refused (another release unfinished, or its lock held).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from .smoke import SmokeReport, run_smoke
from .traffic import COLOURS, RELEASE_ID, UNFINISHED, Listener, ReleaseRecord, Refused, TrafficError, live_colour, who

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ROOT / "environments"
EXIT_OK, EXIT_USAGE, EXIT_ROLLBACK_FAILED, EXIT_ROLLED_BACK, EXIT_REFUSED = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130
DEFAULT_POLL = 5.0
DEFAULT_MIN_REQUESTS = 50
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class UsageError(Exception):
    pass


class StoppedElsewhere(Exception):
    """The release record no longer says this release is in progress: someone rolled it back meanwhile."""


class Interrupted(BaseException):
    """A signal arrived while traffic may be moving (BaseException: no ``except Exception`` swallows it)."""


def _check_release_id(release: str) -> None:
    """A release id the record and the lock can carry (``--release``), or :class:`UsageError`."""
    if not RELEASE_ID.match(release):
        raise UsageError(f"--release: letters, digits and ._/+- only, at most 128 (got {release!r})")


def other(colour: str) -> str:
    return "green" if colour == "blue" else "blue"


def weights_for(colour: str, percent: int) -> tuple[int, int]:
    """(blue, green) with ``percent`` to ``colour``."""
    return (percent, 100 - percent) if colour == "blue" else (100 - percent, percent)


def parse_steps(text: str) -> tuple[int, ...]:
    try:
        steps = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise UsageError(f"--steps: comma-separated whole percentages, e.g. 10,50,100 (got {text!r})") from None
    if not steps or any(not 0 < s <= 100 for s in steps) or list(steps) != sorted(set(steps)) or steps[-1] != 100:
        raise UsageError(f"--steps: increasing percentages in 1-100 ending at 100, e.g. 10,50,100 (got {text!r})")
    return steps


def environment_settings(env: str) -> dict:
    """base.toml merged with <env>.toml (tables key by key)."""
    path = ENVIRONMENTS / f"{env}.toml"
    if env == "base" or not path.is_file():
        known = sorted(p.stem for p in ENVIRONMENTS.glob("*.toml") if p.stem != "base")
        raise UsageError(f"no environment {env!r} (environments/{env}.toml); known: {', '.join(known)}")
    merged: dict = {}
    for name in ("base", env):
        with open(ENVIRONMENTS / f"{name}.toml", "rb") as f:
            _merge(merged, tomllib.load(f))
    return merged


def _merge(into: dict, data: dict) -> None:
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def workloads_command(env: str, outdir: str | None = None) -> list[str]:
    """``cdktf deploy <env>-workloads``: the environment's Helm releases (its AWS stack is deployed already; cdktf
    would otherwise refuse to deploy a stack without the stacks it depends on)."""
    command = [str(ROOT / "node_modules" / ".bin" / "cdktf"), "deploy", f"{env}-workloads", "--auto-approve",
               "--ignore-missing-stack-dependencies"]
    return command + (["--output", outdir] if outdir else [])


def deploy_workloads(env: str, outdir: str | None = None) -> Callable[[str], None]:
    """The ``--deploy-workloads`` hook: :func:`workloads_command`, run once before the first shift."""
    def run(colour: str) -> None:
        command = workloads_command(env, outdir)
        completed = subprocess.run(command, cwd=ROOT, check=False)
        if completed.returncode:
            raise RuntimeError(f"{' '.join(command[1:])} exited with {completed.returncode}")
    return run


@dataclass(frozen=True)
class Thresholds:
    """What judges a colour: at most ``max_error_percent`` 5xx and ``max_p99_ms`` p99, on ``min_requests`` at least."""
    max_error_percent: float
    max_p99_ms: float
    min_requests: int = DEFAULT_MIN_REQUESTS


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # not enough to judge yet

    @property
    def healthy(self) -> bool:
        return not self.problems and not self.unknown


@dataclass
class Rollout:
    """The logic; every effect is injected (the AWS clients, the listener, the record, the smoke test, the clock)."""
    env: str
    cloudwatch: object
    elbv2: object
    listener: Listener
    record: ReleaseRecord
    thresholds: Thresholds
    poll: float = DEFAULT_POLL
    judge_timeout: float = 600.0
    smoke: Callable[[str, dict], SmokeReport] | None = None  # (colour, probe headers) -> report
    smoke_every: float = 30.0  # seconds between the smoke checks during a soak (while the probe rule is open)
    alertmanager: Callable[[str], list[str]] | None = None  # colour -> its firing SLO alerts (descriptions)
    probe_headers: dict | None = None  # while a probe rule is open
    release_id: str | None = None  # while a release runs: the soak checks the record still says it is in progress
    before_shift: Callable[[str], None] | None = None  # colour; raises to stop before any traffic moves
    out: object = field(default_factory=lambda: sys.stdout)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    utcnow: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    events: list[str] = field(default_factory=list)
    rolling_back: bool = False

    def say(self, text: str) -> None:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.events.append(text)
        print(f"{stamp} {self.env}: {text}", file=self.out, flush=True)

    # --- what is watched -------------------------------------------------------------------------------------------
    def alarms(self) -> dict[str, list[str]]:
        """``{state: [alarm names]}`` of every ``vtc-<env>-*`` alarm."""
        prefix = f"vtc-{self.env}-"
        found: dict[str, list[str]] = {}
        kwargs = dict(AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        while True:
            page = self.cloudwatch.describe_alarms(**kwargs)
            for alarm in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []):
                if alarm["AlarmName"].startswith(prefix):
                    found.setdefault(alarm.get("StateValue", "INSUFFICIENT_DATA"), []).append(alarm["AlarmName"])
            if not page.get("NextToken"):
                return {state: sorted(set(names)) for state, names in found.items()}
            kwargs["NextToken"] = page["NextToken"]

    def target_health(self, colour: str) -> list[dict]:
        """The colour's ``TargetHealthDescriptions`` (one API call)."""
        return self.elbv2.describe_target_health(TargetGroupArn=self.listener.target_groups[colour]).get(
            "TargetHealthDescriptions", [])

    def unhealthy_targets(self, colour: str, descriptions: list[dict] | None = None) -> list[str]:
        """Targets of ``colour`` not ``healthy`` (each as 'id:port state (reason)'); no target at all is one entry.
        ``descriptions``: :meth:`target_health` already read."""
        descriptions = self.target_health(colour) if descriptions is None else descriptions
        if not descriptions:
            return [f"no targets registered in the {colour} target group"]
        return [f"{d['Target']['Id']}:{d['Target'].get('Port', '')} {d['TargetHealth']['State']}"
                + (f" ({d['TargetHealth']['Reason']})" if d["TargetHealth"].get("Reason") else "")
                for d in descriptions if d["TargetHealth"]["State"] != "healthy"]

    def signals(self, colour: str, since: datetime) -> dict[str, float | None]:
        """The colour's target group since ``since``: requests, 5xx (sums) and p99 response time (s, or None)."""
        dimensions = [{"Name": "LoadBalancer", "Value": self.listener.load_balancer_dimension},
                      {"Name": "TargetGroup", "Value": self.listener.target_group_dimension(colour)}]
        start = since.replace(second=0, microsecond=0)
        end = self.utcnow().replace(microsecond=0) + timedelta(seconds=60)
        period = max(60, int((end - start).total_seconds()) // 60 * 60)

        def query(id: str, metric: str, stat: str) -> dict:
            return {"Id": id, "ReturnData": True, "MetricStat": {"Metric": {
                "Namespace": "AWS/ApplicationELB", "MetricName": metric, "Dimensions": dimensions},
                "Period": 60 if stat == "Sum" else period, "Stat": stat}}

        results = self.cloudwatch.get_metric_data(
            MetricDataQueries=[query("requests", "RequestCount", "Sum"),
                               query("errors", "HTTPCode_Target_5XX_Count", "Sum"),
                               query("p99", "TargetResponseTime", "p99")],
            StartTime=start, EndTime=end)["MetricDataResults"]
        values = {r["Id"]: [v for v in r.get("Values", []) if v is not None] for r in results}
        p99 = values.get("p99") or []
        return {"requests": sum(values.get("requests", [])), "errors": sum(values.get("errors", [])),
                "p99": max(p99) if p99 else None}

    def verdict(self, colour: str, since: datetime | None) -> Verdict:
        """What is wrong now, and what cannot be judged yet. A check that cannot be made is a problem: unwatched,
        roll back. ``since`` None: alarms and target health only (before the colour takes any traffic)."""
        verdict = Verdict()
        alarms = self._read(verdict, "the alarms", self.alarms)
        if alarms is not None:
            if alarms.get("ALARM"):
                verdict.problems.append("alarm in ALARM: " + ", ".join(alarms["ALARM"]))
            own = [name for name in alarms.get("INSUFFICIENT_DATA", []) if name.endswith(f"-{colour}")]
            if since is not None and own:
                verdict.unknown.append(f"{colour}'s alarms have no data yet: " + ", ".join(own))
        unhealthy = self._read(verdict, f"the {colour} target health", lambda: self.unhealthy_targets(colour))
        if unhealthy:
            verdict.problems.append(f"{colour} targets not healthy: " + "; ".join(unhealthy))
        if self.alertmanager is not None:
            firing = self._read(verdict, "Alertmanager", lambda: self.alertmanager(colour))
            if firing:
                verdict.problems.append(f"{colour}'s SLO alerts firing in Prometheus: " + "; ".join(firing))
        if since is None:
            return verdict
        seen = self._read(verdict, f"{colour}'s metrics", lambda: self.signals(colour, since))
        if seen is None:
            return verdict
        t, requests = self.thresholds, seen["requests"]
        # The share is judged on enough requests only: one 5xx in three requests is no 33 % error rate.
        if requests > 0 and requests >= t.min_requests and 100 * seen["errors"] / requests > t.max_error_percent:
            verdict.problems.append(f"{colour} answered {seen['errors']:.0f} of {requests:.0f} requests with 5xx "
                                    f"({100 * seen['errors'] / requests:.1f} % > {t.max_error_percent:g} %)")
        if seen["p99"] is not None and seen["p99"] * 1000 > t.max_p99_ms:
            verdict.problems.append(f"{colour}'s p99 response time {seen['p99'] * 1000:.0f} ms > {t.max_p99_ms:g} ms")
        if requests < t.min_requests:
            verdict.unknown.append(f"{colour} has had {requests:.0f} requests since the step; {t.min_requests} "
                                   "needed to judge it")
        return verdict

    @staticmethod
    def _read(verdict: Verdict, what: str, read: Callable[[], object]):
        """``read()``, or None with a problem said: a check that cannot be made is a problem (unwatched: roll back)."""
        try:
            return read()
        except Exception as error:  # noqa: BLE001
            verdict.problems.append(f"could not read {what}: {type(error).__name__}: {error}")
            return None

    def soak(self, colour: str, seconds: float, since: datetime | None, judge: bool = True) -> list[str]:
        """Watch for ``seconds`` (at least one check); with ``judge``, then on until the colour is judged healthy,
        at most ``judge_timeout`` more seconds. The problems found, or []."""
        deadline = self.clock() + seconds
        next_smoke = self.clock() + self.smoke_every
        checks = 0
        while True:
            if self.release_id is not None:
                self._check_mine()
            verdict = self.verdict(colour, since)
            checks += 1
            if verdict.problems:
                return verdict.problems
            if self.smoke is not None and self.probe_headers and self.clock() >= next_smoke:
                # The services themselves, each one, through the probe rule: the target group's health check only
                # asks the colour's NGINX.
                report = self.smoke(colour, self.probe_headers)
                if not report.ok:
                    for failure in report.failures:
                        self.say(failure.line())
                    return [report.summary()]
                next_smoke = self.clock() + self.smoke_every
            left = deadline - self.clock()
            if left <= 0:
                if not judge or not verdict.unknown:
                    self.say(f"soak done: {checks} checks, {colour} healthy" + (
                        "" if judge else " (alarms and targets)"))
                    return []
                if left <= -self.judge_timeout:
                    return [f"{colour} could not be judged within {seconds + self.judge_timeout:g} s: "
                            + "; ".join(verdict.unknown)]
                if checks == 1 or int(-left) % 60 < self.poll:
                    self.say("not known yet, waiting: " + "; ".join(verdict.unknown))
                self.sleep(self.poll)
                continue
            self.sleep(min(self.poll, left))

    # --- signals ---------------------------------------------------------------------------------------------------
    def _on_signal(self, number, frame) -> None:  # noqa: ARG002
        name = signal.Signals(number).name
        if self.rolling_back:
            self.say(f"{name} received during the rollback: ignored until traffic is back")
            return
        raise Interrupted(name)

    def handle_signals(self) -> Callable[[], None]:
        """Turn SIGINT/SIGTERM/SIGHUP into :class:`Interrupted`; returns what restores the previous handlers."""
        import threading

        if threading.current_thread() is not threading.main_thread():
            return lambda: None  # (only the main thread receives signals; an embedding program keeps its own)
        previous = {number: signal.signal(number, self._on_signal) for number in SIGNALS}
        return lambda: [signal.signal(number, handler) for number, handler in previous.items()]

    # --- the commands ----------------------------------------------------------------------------------------------
    def rollback(self, to: str, reason: str = "") -> tuple[bool, float]:
        """All traffic to ``to`` in one call; ends an unfinished release and clears the lock and the probe rules."""
        self.rolling_back = True
        try:
            blue, green = weights_for(to, 100)
            self.say(f"ROLLBACK: all traffic to {to} (blue {blue} / green {green})" + (f" - {reason}" if reason else ""))
            started = self.clock()
            # First the word to a release in progress (a step between its checks and its shift then puts traffic
            # back itself); a failure here must not stop the listener call below.
            try:
                record = self.record.read()
                if record and record.get("state") == UNFINISHED:
                    self.record.mark_stopped(record["release"], to, reason or "rollback")
            except Exception as error:  # noqa: BLE001
                self.say(f"before the rollback: the release record: {type(error).__name__}: {error}")
            try:
                self.listener.set_weights(blue, green)
            except Exception as error:  # noqa: BLE001 - said, and the exit status says it
                took = self.clock() - started
                self.say(f"ROLLBACK FAILED after {took:.2f} s: {type(error).__name__}: {error}")
                self._end_record("rollback-failed", f"rollback to {to} failed: {error}")
                return False, took
            took = self.clock() - started
            self.say(f"rollback done: all traffic on {to} in {took:.2f} s")
            self.probe_headers = None
            self._tidy(self.listener.close_probes,
                       lambda: self._end_record("rolled-back", f"all traffic to {to}: {reason or 'rollback'}",
                                                states=(UNFINISHED, "done", "rollback-failed")),
                       lambda: self.record.release_lock(force=True))
            return True, took
        finally:
            self.rolling_back = False

    def _tidy(self, *steps: Callable[[], object]) -> None:
        """Bookkeeping after traffic is where it must be: every step runs; a failing one is said, not raised."""
        for step in steps:
            try:
                step()
            except Exception as error:  # noqa: BLE001
                self.say(f"after the rollback: {type(error).__name__}: {error}")

    def _check_mine(self) -> dict:
        """The record, if it still says this process's release is in progress and no rollback ended it; else
        :class:`StoppedElsewhere`."""
        current = self.record.read() or {}
        marker = self.record.stopped(self.release_id)
        if marker is not None:
            raise StoppedElsewhere(f"rolled back to {marker.get('to')} by {marker.get('by')} at {marker.get('at')}")
        if current.get("state") != UNFINISHED or current.get("release") != self.release_id:
            raise StoppedElsewhere(f"the release record says {current.get('state')!r}")
        return current

    def _write_mine(self, changes: dict, event: str) -> dict:
        """A change to the record of this process's release, refused (:class:`StoppedElsewhere`) once it ended."""
        return self.record.write({**self._check_mine(), **changes}, event)

    def _after_a_rollback_elsewhere(self, error: StoppedElsewhere, moved: bool) -> None:
        """Traffic where the rollback put it (this process may have shifted after it: SSM has no compare-and-set),
        and the record saying so."""
        marker = self.record.stopped(self.release_id)
        if marker is not None and marker.get("to") in COLOURS and moved:
            wanted = dict(zip(COLOURS, weights_for(marker["to"], 100)))
            if self.listener.weights() != wanted:
                self.listener.set_weights(*weights_for(marker["to"], 100))
                self.say(f"a rollback to {marker['to']} landed during this step: traffic put back on {marker['to']}")
        if marker is not None:
            self._end_record("rolled-back", f"stopped: {error}")

    def _end_record(self, state: str, event: str, states: tuple[str, ...] = (UNFINISHED,)) -> None:
        """The record's state to ``state`` if it is one of ``states`` (a rollback also ends a finished release)."""
        record = self.record.read()
        if record and record.get("state") in states:
            self.record.write({**record, "state": state}, event)

    def release(self, to: str, steps: tuple[int, ...], soak: float, release: str | None = None,
                finish: bool = True) -> int:
        """Steps of a release to ``to`` under the record and the lock: a new release, or the continuation of the
        unfinished one with the same id. ``finish``: the last step (100 %) closes the record."""
        previous = other(to)
        release = release or f"{to}-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}-{os.urandom(2).hex()}"
        _check_release_id(release)
        record = self.record.read()
        continuing = bool(record and record.get("state") == UNFINISHED)
        if continuing and (record.get("release") != release or record.get("to") != to):
            raise Refused(f"release {record.get('release')!r} to {record.get('to')} is unfinished (since "
                          f"{record.get('started')}, by {record.get('by')}): finish it, or `python -m "
                          f"environments.rollout rollback {self.env}`")
        if record and not continuing and record.get("release") == release:
            raise Refused(f"release {release!r} has ended already ({record.get('state')}, {record.get('updated')}): "
                          "a later step of it would undo that; start a new release with a new --release")
        self.record.acquire(release)
        self.release_id = release
        restore = self.handle_signals()
        moved = False
        try:
            weights = self.listener.weights()
            if continuing:
                expected = dict(zip(COLOURS, record.get("weights", [])))
                if weights != expected:
                    self.record.release_lock()
                    raise Refused(f"the listener forwards {weights}, not the {expected} release {release!r} last set: "
                                  f"someone else moved traffic. Look with `status`; `rollback` ends the release")
                done = list(record.get("steps", []))
                moved = weights[to] > 0
            else:
                if live_colour(weights) != previous:
                    self.record.release_lock()
                    raise Refused(f"a release to {to} needs all traffic on {previous}; the listener forwards "
                                  f"{weights} and no release is unfinished. Look with `status`; `rollback --to` "
                                  "puts all traffic on one colour")
                done = []
                record = self.record.write({"release": release, "from": previous, "to": to, "state": UNFINISHED,
                                            "steps": [], "weights": [weights[c] for c in COLOURS],
                                            "started": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                            "by": who()}, f"release {release} to {to} started by {who()}")
            self.say(f"release {release}: to {to} in steps {','.join(map(str, steps))} % with {soak:g} s soak each "
                     f"(previous colour: {previous}; the listener forwards blue {weights['blue']} / green "
                     f"{weights['green']})")
            started = self.clock()
            if not continuing and self.before_shift is not None:
                self.say(f"before-shift hook: deploying {to}'s workloads")
                try:
                    self.before_shift(to)
                except Exception as error:  # noqa: BLE001
                    return self._stop(f"before-shift hook failed: {error}", done, to, started)
                self.say("before-shift hook done")
            for percent in steps:
                self._check_mine()
                blue, green = weights_for(to, percent)
                verdict = self.verdict(to, None)
                if verdict.problems:
                    return self._give_up(moved, previous, f"before the {percent} % step: "
                                         + " | ".join(verdict.problems), done, to, started)
                if self.smoke is not None:
                    report = self._smoke(to)
                    if not report.ok:
                        self._close_probe()
                        for failure in report.failures:
                            self.say(failure.line())
                        return self._give_up(moved, previous, f"before the {percent} % step: {report.summary()}",
                                             done, to, started)
                    self.say(report.summary())
                self._check_mine()  # the checks and the smoke test take seconds: a rollback may have come meanwhile
                self.say(f"step {percent} %: shifting to blue {blue} / green {green}")
                moved = True
                since = self.utcnow()
                step_started = self.clock()
                try:
                    self.listener.set_weights(blue, green)
                except Exception as error:  # noqa: BLE001
                    return self._give_up(moved, previous, f"the {percent} % step failed: {error}", done, to, started)
                self._write_mine({"weights": [blue, green]}, f"step {percent} %: blue {blue} / green {green}")
                self.say(f"step {percent} %: applied in {self.clock() - step_started:.2f} s; soaking {soak:g} s")
                try:
                    found = self.soak(to, soak, since)
                finally:
                    self._close_probe()
                if found:
                    return self._give_up(moved, previous, f"during the {percent} % soak: " + " | ".join(found), done,
                                         to, started)
                done.append(percent)
                self._write_mine({"steps": done}, f"step {percent} % healthy")
            if finish and steps[-1] == 100:
                self._write_mine({"state": "done"}, f"all traffic on {to}")
                self._summary(to, done, f"SUCCESS: all traffic on {to}", started)
            else:
                self._summary(to, done, f"step done, release {release} continues (the next `step` with the same "
                                        "--release)", started)
            self.record.release_lock()
            return EXIT_OK
        except StoppedElsewhere as error:
            self.say(f"STOPPED: {error} (rolled back meanwhile?)")
            self._tidy(self._close_probe, lambda: self._after_a_rollback_elsewhere(error, moved),
                       self.record.release_lock)
            self._summary(to, done, "stopped by someone else's rollback", started)
            return EXIT_ROLLED_BACK
        except (Refused, UsageError):
            self.record.release_lock()
            raise
        except (Exception, Interrupted) as error:  # an AWS call failing, or a signal: traffic goes back, said
            self.rolling_back = True  # a signal from here on is noted, not obeyed: what follows must happen
            reason = (f"interrupted by {error}" if isinstance(error, Interrupted)
                      else f"{type(error).__name__}: {error}")
            if not moved:
                self._stopped_before_moving(reason)
                return EXIT_ROLLED_BACK
            ok, _ = self.rollback(previous, reason)
            return EXIT_ROLLED_BACK if ok else EXIT_ROLLBACK_FAILED
        finally:
            self.release_id = None
            self.rolling_back = False
            restore()

    def _smoke(self, colour: str) -> SmokeReport:
        """The smoke checks through a probe rule that reaches ``colour`` only. The rule stays for the step's soak
        (the checks repeat every ``smoke_every`` seconds) and is removed after it (:meth:`_close_probe`)."""
        self.probe_headers = self.listener.open_probe(colour)
        self.say(f"smoke-testing {colour} alone (probe rule on the listener, a one-run header)")
        return self.smoke(colour, self.probe_headers)

    def _close_probe(self) -> None:
        if self.probe_headers is not None:
            self.probe_headers = None
            self.listener.close_probes()

    def _stopped_before_moving(self, reason: str) -> None:
        self.say(f"STOPPED before any traffic moved: {reason}")
        self._close_probe()
        self._end_record("stopped", reason)
        self.record.release_lock()

    def _stop(self, reason: str, done: list, to: str, started: float) -> int:
        self._stopped_before_moving(reason)
        self._summary(to, done, f"stopped, traffic untouched (all on {other(to)})", started)
        return EXIT_ROLLED_BACK

    def _give_up(self, moved: bool, previous: str, reason: str, done: list, to: str, started: float) -> int:
        if not moved:
            return self._stop(reason, done, to, started)
        ok, took = self.rollback(previous, reason)
        self._summary(to, done, (f"ROLLED BACK to {previous} in {took:.2f} s" if ok
                                 else f"ROLLBACK FAILED: traffic may still be split; run `python -m "
                                      f"environments.rollout rollback {self.env} --to {previous}`"), started)
        return EXIT_ROLLED_BACK if ok else EXIT_ROLLBACK_FAILED

    def _summary(self, to: str, done: list, outcome: str, started: float) -> None:
        self.say(f"summary: {outcome}; steps completed: {', '.join(f'{p} %' for p in done) or 'none'}; "
                 f"took {self.clock() - started:.1f} s")

    def status(self, settings: dict) -> dict:
        weights = self.listener.weights()
        record, lock = self.record.read(), self.record.lock()
        alarms = self.alarms()
        live = live_colour(weights)
        return {"environment": self.env, "weights": weights, "live": live,
                "idle": other(live) if live else None,
                "target_groups": self.listener.target_groups, "probe_rules": len(self.listener.probe_rules()),
                "image_tags_in_files": settings.get("workloads", {}).get("image_tags", {}),
                "record": record, "lock": lock,
                # The unfinished release's id (or the lock's, when a process holds it without a record), or None.
                "unfinished": (record.get("release") if record and record.get("state") == UNFINISHED else None)
                or (lock.get("release", "?") if lock is not None else None),
                "alarms_in_alarm": alarms.get("ALARM", []),
                "alarms_without_data": alarms.get("INSUFFICIENT_DATA", [])}


def print_status(status: dict, out) -> None:
    w = status["weights"]
    print(f"{status['environment']}: the listener forwards blue {w['blue']} % / green {w['green']} % "
          f"({'live: ' + status['live'] if status['live'] else 'SPLIT'})", file=out)
    tags = status["image_tags_in_files"]
    print("image tags (environment files at this checkout): "
          + ", ".join(f"{c} {tags.get(c, '?')}" for c in COLOURS), file=out)
    record = status["record"]
    if record:
        print(f"release {record.get('release')!r}: {record.get('from')} -> {record.get('to')}, {record.get('state')}"
              f", steps done {record.get('steps')}, by {record.get('by')}, updated {record.get('updated')}", file=out)
        for event in record.get("events", [])[-5:]:
            print(f"  {event}", file=out)
    else:
        print("no release recorded", file=out)
    if status["lock"]:
        lock = status["lock"]
        print(f"LOCK held by {lock.get('by')} since {lock.get('since')} for release {lock.get('release')!r}",
              file=out)
    if status["probe_rules"]:
        print(f"{status['probe_rules']} probe rule(s) on the listener (a smoke test in progress, or left by a killed "
              "run: `rollback` removes them)", file=out)
    print("alarms in ALARM: " + (", ".join(status["alarms_in_alarm"]) or "none"), file=out)
    if status["unfinished"]:
        print("UNFINISHED: a new release is refused until this one ends (its next `step`, or `rollback`)", file=out)


def alertmanager_alerts(url: str, env: str, timeout: float = 5.0) -> Callable[[str], list[str]]:
    """The colour's active, unsilenced alerts of this environment from Alertmanager's API v2 (the services' chart
    labels its SLO alerts with ``colour`` and ``environment``), each as 'alertname service (summary)'."""
    import urllib.parse
    import urllib.request

    def firing(colour: str) -> list[str]:
        query = urllib.parse.urlencode([("active", "true"), ("silenced", "false"), ("inhibited", "false"),
                                        ("filter", f'colour="{colour}"'), ("filter", f'environment="{env}"')])
        with urllib.request.urlopen(f"{url.rstrip('/')}/api/v2/alerts?{query}", timeout=timeout) as response:
            alerts = json.loads(response.read())
        return sorted(f"{a['labels'].get('alertname', '?')} {a['labels'].get('service', '')} "
                      f"({a.get('annotations', {}).get('summary', '')})".replace(" ()", "")
                      for a in alerts if a.get("status", {}).get("state", "active") == "active"
                      and a.get("labels", {}).get("colour") == colour)
    return firing


def _aws_clients(region: str) -> dict:
    import boto3

    return {name: boto3.client(name, region_name=region) for name in ("cloudwatch", "elbv2", "ssm", "sts")}


def _hook(command: str, env: str) -> Callable[[str], None]:
    def run(colour: str) -> None:
        completed = subprocess.run(command, shell=True, cwd=ROOT, check=False,  # noqa: S602 - the operator's command
                                   env={**os.environ, "VTC_ENVIRONMENT": env, "VTC_COLOUR": colour})
        if completed.returncode:
            raise RuntimeError(f"{command!r} exited with {completed.returncode}")
    return run


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m environments.rollout", description=__doc__.split("\n\n")[0],
        epilog="Exit status: 0 success; 1 usage error, wrong account or an unexpected error (one line; --debug: the "
               "traceback); 2 a rollback failed or was refused (traffic may be split, or the colour has no healthy "
               "target: run rollback again, --force); 3 rolled back, or stopped before any traffic moved; 4 refused "
               "(another release unfinished, or its lock held); 130 watch interrupted.")
    commands = parser.add_subparsers(dest="command", required=True)
    status = commands.add_parser("status", help="the live weights, the release record, the lock, the alarms")
    rollout = commands.add_parser("rollout", help="a whole release: every step to a colour, watching it")
    step = commands.add_parser("step", help="one step of a release (a new one, or the unfinished one of --release)")
    rollback = commands.add_parser("rollback", help="all traffic to the previous colour in one call, timed")
    watch = commands.add_parser("watch", help="watch the alarms and a colour's targets for a while (a soak)")
    for sub in (status, rollout, step, rollback, watch):
        sub.add_argument("env", help="the environment (staging, production)")
        sub.add_argument("--debug", action="store_true", help="print the traceback of an unexpected error")
        sub.add_argument("--region", help="default: the environment file's region")
        sub.add_argument("--load-balancer", help="default: vtc-<env>")
    status.add_argument("--json", action="store_true", help="print a JSON object instead")
    for sub in (rollout, step):
        sub.add_argument("--to", required=True, choices=COLOURS, help="the new colour")
        sub.add_argument("--soak", type=float, default=300, help="seconds to watch after each step (default 300)")
        sub.add_argument("--release", help="the release's id (default: <colour>-<UTC time>); the tag in CI")
        sub.add_argument("--smoke-url", help="smoke-test the new colour alone at this URL before each step")
        sub.add_argument("--smoke-host", help="Host header for the smoke checks")
        sub.add_argument("--smoke-service", action="append", help="a service to smoke-test (repeatable; "
                                                                  "default: all in environments/base.toml)")
        sub.add_argument("--insecure", action="store_true", help="smoke checks: do not verify the certificate "
                                                                 "(a URL that is the ALB's own name)")
        sub.add_argument("--smoke-every", type=float, default=30.0,
                         help="seconds between the smoke checks repeated during each soak (default 30)")
    for sub in (rollout, step, watch):
        sub.add_argument("--poll", type=float, default=DEFAULT_POLL, help="seconds between checks (default 5)")
        sub.add_argument("--min-requests", type=int, default=DEFAULT_MIN_REQUESTS,
                         help=f"requests the new colour needs before it can be judged (default {DEFAULT_MIN_REQUESTS})")
        sub.add_argument("--max-error-percent", type=float, help="default: alarms.thresholds.alb_5xx_rate_percent")
        sub.add_argument("--max-p99-ms", type=float, help="default: alarms.thresholds.alb_p99_latency_ms")
        sub.add_argument("--judge-timeout", type=float, default=600,
                         help="seconds to wait past the soak for enough requests to judge (default 600)")
        sub.add_argument("--alertmanager-url", help="also read the colour's firing SLO alerts (labels colour and "
                                                     "environment) from this Alertmanager (API v2), e.g. from inside "
                                                     "the VPC through a port-forward; unreachable = a problem")
    rollout.add_argument("--steps", default="10,50,100", help="percentages to the new colour (default 10,50,100)")
    step.add_argument("--percent", type=int, required=True, help="the new colour's share after this step (1-100)")
    hooks = rollout.add_mutually_exclusive_group()
    hooks.add_argument("--deploy-workloads", action="store_true",
                       help="before the first shift, cdktf deploy <env>-workloads (the new colour's releases)")
    hooks.add_argument("--before-shift", metavar="COMMAND",
                       help="a shell command run once before the first shift instead, with VTC_ENVIRONMENT and "
                            "VTC_COLOUR set")
    rollback.add_argument("--to", choices=COLOURS, help="default: the previous colour of the release record")
    rollback.add_argument("--reason", default="", help="said in the output and the record")
    rollback.add_argument("--force", action="store_true", help="roll back even when the colour has no healthy target")
    watch.add_argument("--colour", required=True, choices=COLOURS, help="the colour to watch")
    watch.add_argument("--soak", type=float, required=True, help="seconds to watch")
    return parser


def main(argv: list[str] | None = None, **injected) -> int:
    """The command line (see the module docstring). An unexpected error (no credentials, the AWS API unreachable)
    is one line saying what to do, exit 1; ``--debug`` adds its traceback. ``injected``: see :func:`_main`."""
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        return _main(argv, **injected)
    except Exception as error:  # noqa: BLE001 - the last line of defence: no traceback for an operator
        print(f"rollout: unexpected error: {type(error).__name__}: {error}. Nothing further was done; check the "
              "credentials, the region and the network, then `python -m environments.rollout status <env>`"
              + ("" if debug else " (--debug prints the traceback)"), file=sys.stderr)
        if debug:
            import traceback

            traceback.print_exc()
        return EXIT_USAGE


def _main(argv: list[str] | None = None, *, clients: dict | None = None, out=None, smoke=None,
          workloads: Callable[[str, str | None], Callable[[str], None]] = deploy_workloads) -> int:
    """``clients`` ({cloudwatch, elbv2, ssm, sts}) and ``smoke`` replace boto3's default clients and
    :func:`~environments.smoke.run_smoke` (tests)."""
    out = out or sys.stdout
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:
        return EXIT_OK if exit_.code == 0 else EXIT_USAGE
    try:
        settings = environment_settings(args.env)
        wrong = [f"--{name.replace('_', '-')}: {rule} (got {getattr(args, name)!r})"
                 for name, rule, ok in (("soak", "0 or more seconds", lambda v: v >= 0),
                                        ("judge_timeout", "0 or more seconds", lambda v: v >= 0),
                                        ("poll", "more than 0 seconds", lambda v: v > 0),
                                        ("smoke_every", "more than 0 seconds", lambda v: v > 0),
                                        ("min_requests", "0 or more", lambda v: v >= 0),
                                        ("max_error_percent", "more than 0, at most 100", lambda v: 0 < v <= 100),
                                        ("max_p99_ms", "more than 0 milliseconds", lambda v: v > 0))
                 if getattr(args, name, None) is not None
                 and not (math.isfinite(getattr(args, name)) and ok(getattr(args, name)))]
        if wrong:
            raise UsageError("; ".join(wrong))
        if getattr(args, "smoke_url", None):
            from .smoke import usage_problems

            found = usage_problems(args.smoke_url, args.smoke_service, 5.0, url_option="--smoke-url",
                                   service_option="--smoke-service")
            if found:
                raise UsageError("; ".join(found))
        if getattr(args, "release", None) is not None:
            _check_release_id(args.release)
        for option in ("smoke_url", "alertmanager_url"):
            value = getattr(args, option, None)
            if value is not None and not value.startswith(("http://", "https://")):
                raise UsageError(f"--{option.replace('_', '-')}: an http:// or https:// URL (got {value!r})")
        steps = parse_steps(args.steps) if args.command == "rollout" else ()
        if args.command == "step":
            if not 0 < args.percent <= 100:
                raise UsageError(f"--percent: a whole percentage from 1 to 100 (got {args.percent})")
            steps = (args.percent,)
        aws = clients or _aws_clients(args.region or settings.get("region", "eu-west-1"))
        expected = str(settings.get("account_id", ""))
        account = aws["sts"].get_caller_identity()["Account"]
        if expected and account != expected:
            raise UsageError(f"the credentials are for account {account}, but environments/{args.env}.toml says "
                             f"{expected}: wrong environment, or wrong credentials (AWS_PROFILE, the role)")
        listener = Listener.find(aws["elbv2"], args.load_balancer or f"vtc-{args.env}")
    except (UsageError, TrafficError) as error:
        print(f"rollout: {error}", file=sys.stderr)
        return EXIT_USAGE
    thresholds = settings.get("alarms", {}).get("thresholds", {})
    runner = Rollout(
        args.env, aws["cloudwatch"], aws["elbv2"], listener, ReleaseRecord(aws["ssm"], args.env),
        Thresholds(max_error_percent=getattr(args, "max_error_percent", None)
                   or float(thresholds.get("alb_5xx_rate_percent", 1.0)),
                   max_p99_ms=getattr(args, "max_p99_ms", None) or float(thresholds.get("alb_p99_latency_ms", 100)),
                   min_requests=getattr(args, "min_requests", DEFAULT_MIN_REQUESTS)),
        poll=getattr(args, "poll", DEFAULT_POLL), judge_timeout=getattr(args, "judge_timeout", 600.0), out=out)
    if getattr(args, "smoke_url", None):
        run = smoke or run_smoke

        def smoke_colour(colour: str, headers: dict) -> SmokeReport:
            return run(args.smoke_url, services=args.smoke_service, host=args.smoke_host, colour=colour,
                       headers=headers, insecure=args.insecure)
        runner.smoke = smoke_colour
        runner.smoke_every = args.smoke_every
    if getattr(args, "alertmanager_url", None):
        runner.alertmanager = alertmanager_alerts(args.alertmanager_url, args.env)
    if getattr(args, "before_shift", None):
        runner.before_shift = _hook(args.before_shift, args.env)
    elif getattr(args, "deploy_workloads", False):
        runner.before_shift = workloads(args.env, None)

    if args.command == "status":
        status = runner.status(settings)
        if args.json:
            print(json.dumps(status, indent=2, sort_keys=True), file=out)
        else:
            print_status(status, out)
        return EXIT_OK
    if args.command in ("rollout", "step"):
        try:
            return runner.release(args.to, steps, args.soak, args.release, finish=True)
        except Refused as error:
            print(f"rollout: REFUSED: {error}", file=sys.stderr)
            return EXIT_REFUSED
        except UsageError as error:
            print(f"rollout: {error}", file=sys.stderr)
            return EXIT_USAGE
    if args.command == "watch":
        # The handlers first: a signal that arrives while the first line is written is then an interrupt like any
        # other (one line, exit 130), not a KeyboardInterrupt out of print.
        restore = runner.handle_signals()
        try:
            runner.say(f"watching the alarms and the {args.colour} targets and metrics for {args.soak:g} s")
            since = runner.utcnow() - timedelta(seconds=max(args.soak, 300))
            found = runner.soak(args.colour, args.soak, since, judge=False)
        except Interrupted as signal_name:
            runner.say(f"summary: interrupted by {signal_name}; nothing was changed")
            return EXIT_INTERRUPTED
        finally:
            restore()
        for problem in found:
            runner.say(f"PROBLEM: {problem}")
        runner.say(f"summary: {'problems found' if found else 'nothing wrong'}")
        return EXIT_ROLLED_BACK if found else EXIT_OK
    to = args.to
    if to is None:  # (with --to, nothing but the listener is needed: a broken SSM must not block the rollback)
        try:
            to = (runner.record.read() or {}).get("from")
        except Exception as error:  # noqa: BLE001
            print(f"rollout: the release record cannot be read ({type(error).__name__}: {error}): say where traffic "
                  "goes with --to blue|green", file=sys.stderr)
            return EXIT_ROLLBACK_FAILED
    if to not in COLOURS:
        print(f"rollout: no release recorded for {args.env} to roll back: say where traffic goes with --to blue|green",
              file=sys.stderr)
        return EXIT_USAGE
    if not args.force:
        try:
            targets = runner.target_health(to)
        except Exception as error:  # noqa: BLE001 - the check is a guard, not a gate: said, and the rollback goes on
            runner.say(f"could not read {to}'s target health ({type(error).__name__}: {error}); rolling back anyway")
        else:
            unready = runner.unhealthy_targets(to, targets)
            if len(unready) >= max(1, len(targets)):
                print(f"rollout: REFUSED: no healthy target in the {to} target group ({'; '.join(unready)}): all "
                      f"traffic there would be an outage. Look with `status`; --force sends it there anyway",
                      file=sys.stderr)
                return EXIT_ROLLBACK_FAILED
    runner.rolling_back = True  # signals from here on are noted, not obeyed, until traffic is back
    restore = runner.handle_signals()
    try:
        ok, took = runner.rollback(to, args.reason or f"rollback by {who()}")
    finally:
        restore()
    runner.say(f"summary: {'all traffic on ' + to if ok else 'ROLLBACK FAILED'}; the listener call took {took:.2f} s")
    return EXIT_OK if ok else EXIT_ROLLBACK_FAILED


if __name__ == "__main__":
    sys.exit(main())
