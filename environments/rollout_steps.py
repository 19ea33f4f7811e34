"""The steps of a blue/green release, a rollback and a soak, on the load balancer itself: :class:`Rollout`, the
logic behind ``python -m environments.rollout`` (whose module docstring says what each command does, and which holds
the command line, the environment files' settings and the AWS clients). Every effect is injected (the AWS clients,
the listener, the release record, the smoke test, the clock), so the tests drive it against the emulator. Every name
here stays importable from ``environments.rollout``, where it was until issue 27.

Usage::

    from environments.rollout_steps import Rollout, Thresholds
    from environments.traffic import Listener, ReleaseRecord

    runner = Rollout("staging", cloudwatch, elbv2, Listener.find(elbv2, "vtc-staging"), ReleaseRecord(ssm, "staging"),
                     Thresholds(max_error_percent=1.0, max_p99_ms=100))
    runner.release("green", (10, 50, 100), soak=300, finish=True)   # an exit status (EXIT_OK, EXIT_ROLLED_BACK, ...)

Why one module: :class:`Rollout` is one state machine whose parts share its state (the record it holds, the probe rule
it opened, whether it is rolling back, the signals it obeys or notes), read top to bottom as what is watched, the
signals, then the commands; cutting it would scatter that state across modules.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from .smoke import SmokeReport
from .traffic import COLOURS, RELEASE_ID, UNFINISHED, Listener, ReleaseRecord, Refused, live_colour, who

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
    untidy: bool = False  # a rollback's bookkeeping (record, lock, probe rules) failed: run it again

    def say(self, text: str) -> None:
        """One line of the run's story. It never raises: output closed under it (a CI log pipe gone, ``| head``) must
        not stop a release's rollback half-way (the lines are still in ``events``; the rest goes nowhere)."""
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.events.append(text)
        try:
            print(f"{stamp} {self.env}: {text}", file=self.out, flush=True)
        except (OSError, ValueError):  # BrokenPipeError, a closed file: the run goes on without its output
            self.out = open(os.devnull, "w")

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
    def rollback(self, to: str, reason: str = "", move: bool = True) -> tuple[bool, float]:
        """All traffic to ``to`` in one call; ends an unfinished release and clears the lock and the probe rules.
        ``move`` False: the caller read that the listener already sends all traffic to ``to`` (which has no healthy
        target): no ModifyListener, the rest as always (the word to a release in progress, whose step then puts
        traffic back itself, the record, the lock, the probe rules). The weights are read again after that word: a
        release that shifted and finished in between (no step left to put traffic back) makes it a refusal, as the
        unhealthy colour's guard gives (``False``; nothing moved, the record left as it is)."""
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
                if not move:
                    now = self.listener.weights()
                    if now != dict(zip(COLOURS, (blue, green))):
                        took = self.clock() - started
                        self.say(f"ROLLBACK REFUSED after {took:.2f} s: traffic moved meanwhile ("
                                 + ", ".join(f"{c} {now.get(c)}" for c in COLOURS) + f") and {to} has no healthy "
                                 "target: nothing was moved. Look with `status`, run rollback again; --force sends "
                                 "all traffic there anyway")
                        return False, took
                else:
                    self.listener.set_weights(blue, green)
            except Exception as error:  # noqa: BLE001 - said, and the exit status says it
                took = self.clock() - started
                self.say(f"ROLLBACK FAILED after {took:.2f} s: {type(error).__name__}: {error}")
                self._end_record("rollback-failed", f"rollback to {to} failed: {error}")
                return False, took
            took = self.clock() - started
            self.say(f"rollback done: all traffic on {to} in {took:.2f} s" if move else
                     f"rollback done: already all on {to}: the listener was left as it is")
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
                self.untidy = True
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
        reached = max((s for s in record.get("steps") or () if isinstance(s, int)), default=0) if continuing else 0
        if steps and steps[0] < reached:  # (a CI job re-run for an earlier step would move traffic back)
            raise UsageError(f"release {release!r} has reached {reached} % already: a step of {steps[0]} % would move "
                             f"traffic back; steps only go up (to go back, `python -m environments.rollout rollback "
                             f"{self.env}`)")
        # The signal handlers before the lock: a signal while (or right after) the lock is taken is then an
        # interrupt handled here (the lock released if this process took it; record and traffic untouched), never a
        # process that ends holding the lock until someone clears it.
        restore = self.handle_signals()
        try:
            self.record.acquire(release)
        except Interrupted as error:
            self.rolling_back = True  # (a second signal now is noted, not obeyed: the lock must go)
            try:
                self.record.release_lock()
                self.say(f"STOPPED before anything changed: interrupted by {error} while taking the lock")
            finally:
                self.rolling_back = False
                restore()
            return EXIT_ROLLED_BACK
        except BaseException:
            restore()
            raise
        self.release_id = release
        moved = False
        try:
            weights = self.listener.weights()
            if continuing:
                expected = dict(zip(COLOURS, record.get("weights", [])))
                if weights != expected:
                    self.record.release_lock()
                    shown = " / ".join(f"{c} {weights.get(c)}" for c in COLOURS)
                    last = " / ".join(f"{c} {expected.get(c)}" for c in COLOURS)
                    raise Refused(f"the listener forwards {shown}, not the {last} release {release!r} last set: "
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
            ok, took = self.rollback(previous, reason)
            self._summary(to, done, (f"{reason}; ROLLED BACK to {previous} in {took:.2f} s" if ok else
                                     f"{reason}; ROLLBACK FAILED: traffic may still be split and the release lock is "
                                     f"kept; run `python -m environments.rollout rollback {self.env} --to {previous}` "
                                     "(it is idempotent)"), started)
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
                                      f"environments.rollout rollback {self.env} --to {previous}` (it is "
                                      "idempotent)"), started)
        return EXIT_ROLLED_BACK if ok else EXIT_ROLLBACK_FAILED

    def _summary(self, to: str, done: list, outcome: str, started: float) -> None:
        self.say(f"summary: {outcome}; steps completed: {', '.join(f'{p} %' for p in done) or 'none'}; "
                 f"took {self.clock() - started:.1f} s")

    def status(self, settings: dict) -> dict:
        weights = self.listener.weights()
        try:  # (SSM failing must not hide the weights: the runbook's first step is `status`)
            record, lock = self.record.read(), self.record.lock()
        except Exception as error:  # noqa: BLE001
            record = lock = {"unreadable": f"SSM: {type(error).__name__}: {error}"[:200]}
        alarms = self.alarms()
        live = live_colour(weights)
        return {"environment": self.env, "weights": weights, "live": live,
                "idle": other(live) if live else None,
                "target_groups": self.listener.target_groups, "probe_rules": len(self.listener.probe_rules()),
                "image_tags_in_files": settings.get("workloads", {}).get("image_tags", {}),
                "record": record, "lock": lock,
                # The unfinished release's id (or the lock's, when a process holds it without a record), or None.
                "unfinished": (record.get("release") if record and record.get("state") == UNFINISHED else None)
                or (lock.get("release", "?") if lock is not None and "unreadable" not in lock else None),
                "alarms_in_alarm": alarms.get("ALARM", []),
                "alarms_without_data": alarms.get("INSUFFICIENT_DATA", [])}
