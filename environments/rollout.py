"""Blue/green rollout and rollback of one environment's ALB weights, watching alarms and target health.

    python -m environments.rollout rollout <env> --to green --steps 10,50,100 --soak 300 \
        [--smoke-url URL [--smoke-host HOST] [--smoke-service S ...]] [--deploy-workloads | --before-shift 'COMMAND']
    python -m environments.rollout rollback <env> [--to blue]
    python -m environments.rollout watch <env> --colour green --soak 600

``rollout``: before each step, the checks (no ``vtc-<env>-*`` alarm in ALARM, every target of the new colour's
target group ``healthy``, the smoke tests of :mod:`environments.smoke` if ``--smoke-url`` is given), then the shift:
``cdktf deploy <env> --auto-approve --var=blue_weight=.. --var=green_weight=..`` (the README's step), then a soak of
``--soak`` seconds polling the alarms and the new colour's targets every ``--poll`` seconds. Any alarm in ALARM,
unhealthy target, failed smoke check or failed deploy shifts all traffic back to the previous colour in one step
(the automatic rollback). The previous colour is the other one than ``--to``.

``watch``: the soak alone (the checks of a rollout's soak, every ``--poll`` seconds for ``--soak`` seconds), for a
step applied by something else: the release workflow's steps (``.github/workflows/deploy-weights.yml``). Exit 0 when
nothing was wrong, 3 at the first problem (an alarm in ALARM, a target of the colour not healthy, a check that
could not be made).

``rollback``: all traffic to the previous colour in one step, timed. The previous colour is ``--to``, or else the
one the environment files give the traffic to (``edge.blue_weight``/``edge.green_weight``; a release does not change
them), as ``.github/workflows/rollback.yml`` reads it.

``--deploy-workloads`` deploys the environment's workloads stack once before the first shift
(``cdktf deploy <env>-workloads --auto-approve --ignore-missing-stack-dependencies``: every release as the environment
files say, so the new colour runs its new image tag while the live colour's releases stay as they are); a failed
deploy stops the rollout before any traffic moves (the releases are atomic: Helm rolled them back). The cluster's API
endpoint is private, so run it from inside the VPC. The hook ``--before-shift 'COMMAND'`` runs any other command
there instead (with ``VTC_ENVIRONMENT`` and ``VTC_COLOUR`` set; a non-zero exit stops the rollout the same way).

Target group ARNs come from the stack outputs ``edge_blue_target_group_arn``/``edge_green_target_group_arn``
(``terraform output`` in ``<outdir>/stacks/<env>``, after an init). AWS calls use boto3's usual configuration
(credentials, ``AWS_ENDPOINT_URL`` for the local emulator) in the environment file's region.

One line per event with a UTC timestamp; a summary at the end. Exit status of ``rollout``: 0 success (all traffic
on the new colour), 3 not completed and traffic back on the previous colour (rolled back automatically, or stopped
by a pre-check, the hook or a smoke test before any traffic moved), 1 usage error. Of ``rollback``: 0 done, 2 the
shift failed (traffic may still be split: run it again), 1 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .smoke import SmokeReport, run_smoke

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ROOT / "environments"
COLOURS = ("blue", "green")
EXIT_OK, EXIT_USAGE, EXIT_ROLLBACK_FAILED, EXIT_ROLLED_BACK = 0, 1, 2, 3
DEFAULT_POLL = 5.0

ApplyWeights = Callable[[int, int], None]  # (blue_weight, green_weight); raises on failure


class UsageError(Exception):
    pass


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
    """base.toml merged with <env>.toml (tables key by key): region and edge weights."""
    path = ENVIRONMENTS / f"{env}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in ENVIRONMENTS.glob("*.toml") if p.stem != "base")
        raise UsageError(f"no environment {env!r} (environments/{env}.toml); known: {', '.join(known)}")
    merged: dict = {}
    for name in ("base", env):
        with open(ENVIRONMENTS / f"{name}.toml", "rb") as f:
            for key, value in tomllib.load(f).items():
                if isinstance(value, dict) and isinstance(merged.get(key), dict):
                    merged[key] = {**merged[key], **value}
                else:
                    merged[key] = value
    return merged


def live_colour_from_files(env: str) -> str:
    edge = environment_settings(env).get("edge", {})
    return "blue" if edge.get("blue_weight", 100) >= edge.get("green_weight", 0) else "green"


def cdktf_apply(env: str, outdir: str | None = None) -> ApplyWeights:
    """The real shift: the README's ``cdktf deploy <env> --auto-approve --var=blue_weight=.. --var=green_weight=..``."""
    def apply(blue: int, green: int) -> None:
        command = [str(ROOT / "node_modules" / ".bin" / "cdktf"), "deploy", env, "--auto-approve",
                   f"--var=blue_weight={blue}", f"--var=green_weight={green}"]
        if outdir:
            command += ["--output", outdir]
        completed = subprocess.run(command, cwd=ROOT, check=False)
        if completed.returncode:
            raise RuntimeError(f"{' '.join(command[1:])} exited with {completed.returncode}")
    return apply


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


def stack_outputs(env: str, outdir: str) -> dict[str, str]:
    stack_dir = ROOT / outdir / "stacks" / env
    completed = subprocess.run(["terraform", f"-chdir={stack_dir}", "output", "-json"],
                               capture_output=True, text=True, check=False)
    if completed.returncode:
        raise UsageError(f"terraform output in {stack_dir} failed (synth and `terraform init` it first):\n"
                         f"{completed.stderr.strip()}")
    return {name: value.get("value") for name, value in json.loads(completed.stdout or "{}").items()}


@dataclass
class Event:
    at: float
    text: str


@dataclass
class Rollout:
    """The rollout's logic; every effect is injected (the AWS clients, the shift, the clock)."""
    env: str
    cloudwatch: object
    elbv2: object
    target_groups: dict[str, str]  # colour -> ARN
    apply_weights: ApplyWeights
    poll: float = DEFAULT_POLL
    smoke: Callable[[str], SmokeReport] | None = None  # colour -> report, before each shift
    before_shift: Callable[[str], None] | None = None  # colour; raises to stop before any traffic moves
    out: object = field(default_factory=lambda: sys.stdout)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    events: list[Event] = field(default_factory=list)

    def say(self, text: str) -> None:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.events.append(Event(self.clock(), text))
        print(f"{stamp} {self.env}: {text}", file=self.out, flush=True)

    # --- what is watched -------------------------------------------------------------------------------------------
    def firing_alarms(self) -> list[str]:
        prefix = f"vtc-{self.env}-"
        names: list[str] = []
        kwargs = dict(AlarmNamePrefix=prefix, StateValue="ALARM", AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        while True:
            page = self.cloudwatch.describe_alarms(**kwargs)
            # The state is checked here too: AWS filters by StateValue, but moto 5.2.5 ignores it beside a prefix.
            names += [a["AlarmName"] for a in page.get("MetricAlarms", []) + page.get("CompositeAlarms", [])
                      if a.get("StateValue") == "ALARM" and a["AlarmName"].startswith(prefix)]
            if not page.get("NextToken"):
                return sorted(set(names))
            kwargs["NextToken"] = page["NextToken"]

    def unhealthy_targets(self, colour: str) -> list[str]:
        """Targets of ``colour`` not ``healthy`` (each as 'id:port state (reason)'); no target at all is one entry."""
        health = self.elbv2.describe_target_health(TargetGroupArn=self.target_groups[colour])
        descriptions = health.get("TargetHealthDescriptions", [])
        if not descriptions:
            return [f"no targets registered in the {colour} target group"]
        return [f"{d['Target']['Id']}:{d['Target'].get('Port', '')} {d['TargetHealth']['State']}"
                + (f" ({d['TargetHealth']['Reason']})" if d["TargetHealth"].get("Reason") else "")
                for d in descriptions if d["TargetHealth"]["State"] != "healthy"]

    def problems(self, colour: str) -> list[str]:
        """What is wrong now; a check that cannot be made (an API error) is a problem too: unwatched, roll back."""
        found = []
        try:
            firing = self.firing_alarms()
        except Exception as error:  # noqa: BLE001
            found.append(f"could not read the alarms: {type(error).__name__}: {error}")
        else:
            if firing:
                found.append("alarm in ALARM: " + ", ".join(firing))
        try:
            unhealthy = self.unhealthy_targets(colour)
        except Exception as error:  # noqa: BLE001
            found.append(f"could not read the {colour} target health: {type(error).__name__}: {error}")
        else:
            if unhealthy:
                found.append(f"{colour} targets not healthy: " + "; ".join(unhealthy))
        return found

    def soak(self, colour: str, seconds: float) -> list[str]:
        """Poll every ``poll`` seconds for ``seconds`` (at least one check); the problems found, or []."""
        deadline = self.clock() + seconds
        checks = 0
        while True:
            found = self.problems(colour)
            checks += 1
            if found:
                return found
            left = deadline - self.clock()
            if left <= 0:
                self.say(f"soak done: {checks} checks, no alarm, {colour} targets healthy")
                return []
            self.sleep(min(self.poll, left))

    # --- the commands -----------------------------------------------------------------------------------------------
    def shift(self, blue: int, green: int) -> float:
        started = self.clock()
        self.apply_weights(blue, green)
        return self.clock() - started

    def rollback(self, to: str, reason: str = "") -> tuple[bool, float]:
        blue, green = weights_for(to, 100)
        self.say(f"ROLLBACK: all traffic to {to} (blue {blue} / green {green})" + (f" - {reason}" if reason else ""))
        started = self.clock()
        try:
            self.apply_weights(blue, green)
        except Exception as error:  # noqa: BLE001 - said, and the exit status says it
            self.say(f"ROLLBACK FAILED after {self.clock() - started:.1f} s: {error}")
            return False, self.clock() - started
        took = self.clock() - started
        self.say(f"rollback done: all traffic on {to} in {took:.1f} s")
        return True, took

    def rollout(self, to: str, steps: tuple[int, ...], soak: float) -> int:
        previous = other(to)
        started = self.clock()
        self.say(f"rollout to {to} in steps {','.join(map(str, steps))} % with {soak:g} s soak each "
                 f"(previous colour: {previous})")
        done: list[str] = []
        moved = False

        def give_up(reason: str) -> int:
            if not moved:
                self.say(f"STOPPED before any traffic moved: {reason}")
                self._summary(to, done, f"stopped, traffic untouched (all on {previous})", started)
                return EXIT_ROLLED_BACK
            ok, took = self.rollback(previous, reason)
            self._summary(to, done, (f"ROLLED BACK to {previous} in {took:.1f} s" if ok
                                     else f"ROLLBACK FAILED: traffic may still be split; run `python -m "
                                          f"environments.rollout rollback {self.env} --to {previous}`"), started)
            return EXIT_ROLLED_BACK

        if self.before_shift is not None:
            self.say(f"before-shift hook: deploying {to}'s workloads")
            try:
                self.before_shift(to)
            except Exception as error:  # noqa: BLE001
                return give_up(f"before-shift hook failed: {error}")
            self.say("before-shift hook done")
        for percent in steps:
            blue, green = weights_for(to, percent)
            found = self.problems(to)
            if found:
                return give_up(f"before the {percent} % step: " + " | ".join(found))
            if self.smoke is not None:
                report = self.smoke(to)
                if not report.ok:
                    for failure in report.failures:
                        self.say(failure.line())
                    return give_up(f"before the {percent} % step: {report.summary()}")
                self.say(report.summary())
            self.say(f"step {percent} %: shifting to blue {blue} / green {green}")
            moved = True
            try:
                took = self.shift(blue, green)
            except Exception as error:  # noqa: BLE001
                return give_up(f"the {percent} % step failed: {error}")
            self.say(f"step {percent} %: applied in {took:.1f} s; soaking {soak:g} s")
            found = self.soak(to, soak)
            if found:
                return give_up(f"during the {percent} % soak: " + " | ".join(found))
            done.append(f"{percent} %")
        self._summary(to, done, f"SUCCESS: all traffic on {to}", started)
        return EXIT_OK

    def _summary(self, to: str, done: list[str], outcome: str, started: float) -> None:
        self.say(f"summary: {outcome}; steps completed: {', '.join(done) or 'none'}; "
                 f"took {self.clock() - started:.1f} s")


def _aws_clients(region: str):
    import boto3

    return boto3.client("cloudwatch", region_name=region), boto3.client("elbv2", region_name=region)


def _hook(command: str, env: str) -> Callable[[str], None]:
    def run(colour: str) -> None:
        completed = subprocess.run(command, shell=True, cwd=ROOT, check=False,  # noqa: S602 - the operator's command
                                   env={**os.environ, "VTC_ENVIRONMENT": env, "VTC_COLOUR": colour})
        if completed.returncode:
            raise RuntimeError(f"{command!r} exited with {completed.returncode}")
    return run


def main(argv: list[str] | None = None, *, apply_weights: ApplyWeights | None = None,
         clients=None, target_groups: dict[str, str] | None = None, out=None,
         workloads: Callable[[str, str | None], Callable[[str], None]] = deploy_workloads) -> int:
    """The command line. ``apply_weights``, ``clients`` ((cloudwatch, elbv2)), ``target_groups`` and ``workloads``
    replace the cdktf deploy, boto3's default clients, the stack outputs and the workloads deploy (tests)."""
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="python -m environments.rollout", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rollout = commands.add_parser("rollout", help="shift traffic to a colour in steps, watching alarms and targets")
    rollback = commands.add_parser("rollback", help="all traffic to the previous colour in one step, timed")
    watch = commands.add_parser("watch", help="watch the alarms and a colour's targets for a while (a soak)")
    for sub in (rollout, rollback, watch):
        sub.add_argument("env", help="the environment (staging, production)")
        sub.add_argument("--outdir", default="cdktf.out", help="the synth output holding the stack (default cdktf.out)")
        sub.add_argument("--region", help="default: the environment file's region")
    rollout.add_argument("--to", required=True, choices=COLOURS, help="the new colour")
    rollout.add_argument("--steps", default="10,50,100", help="percentages to the new colour (default 10,50,100)")
    rollout.add_argument("--soak", type=float, default=300, help="seconds to watch after each step (default 300)")
    rollout.add_argument("--poll", type=float, default=DEFAULT_POLL, help="seconds between checks (default 5)")
    rollout.add_argument("--smoke-url", help="run environments.smoke against this URL before each shift "
                                             "({colour} is replaced by the new colour)")
    rollout.add_argument("--smoke-host", help="Host header for the smoke checks")
    rollout.add_argument("--smoke-service", action="append", help="a service to smoke-test (repeatable; "
                                                                  "default: all in environments/base.toml)")
    hooks = rollout.add_mutually_exclusive_group()
    hooks.add_argument("--deploy-workloads", action="store_true",
                       help="before the first shift, cdktf deploy <env>-workloads (the new colour's releases)")
    hooks.add_argument("--before-shift", metavar="COMMAND",
                       help="a shell command run once before the first shift instead, with VTC_ENVIRONMENT and "
                            "VTC_COLOUR set")
    rollback.add_argument("--to", choices=COLOURS, help="the previous colour (default: the environment files' "
                                                        "live colour)")
    watch.add_argument("--colour", required=True, choices=COLOURS, help="the colour whose targets must be healthy")
    watch.add_argument("--soak", type=float, required=True, help="seconds to watch")
    watch.add_argument("--poll", type=float, default=DEFAULT_POLL, help="seconds between checks (default 5)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_OK if exit_.code == 0 else EXIT_USAGE
    try:
        settings = environment_settings(args.env)
        steps = parse_steps(args.steps) if args.command == "rollout" else ()
        if args.command in ("rollout", "watch") and (args.soak < 0 or args.poll <= 0):
            raise UsageError("--soak must be 0 or more and --poll more than 0 seconds")
        if target_groups is None and args.command == "rollback":
            target_groups = {}  # a rollback reads nothing but the colour: its one step must not wait on anything
        if target_groups is None:
            outputs = stack_outputs(args.env, args.outdir)
            target_groups = {c: outputs.get(f"edge_{c}_target_group_arn") for c in COLOURS}
            missing = [c for c, arn in target_groups.items() if not arn]
            if missing:
                raise UsageError(f"stack outputs lack edge_{missing[0]}_target_group_arn (deploy the stack first)")
    except UsageError as error:
        print(f"rollout: {error}", file=sys.stderr)
        return EXIT_USAGE
    cloudwatch, elbv2 = clients or _aws_clients(args.region or settings.get("region", "eu-west-1"))
    smoke = None
    if args.command == "rollout" and args.smoke_url:
        def smoke(colour: str) -> SmokeReport:
            return run_smoke(args.smoke_url, services=args.smoke_service, host=args.smoke_host, colour=colour)
    runner = Rollout(args.env, cloudwatch, elbv2, target_groups,
                     apply_weights or cdktf_apply(args.env, None if args.outdir == "cdktf.out" else args.outdir),
                     poll=getattr(args, "poll", DEFAULT_POLL), smoke=smoke,
                     before_shift=_hook(args.before_shift, args.env) if getattr(args, "before_shift", None) else
                     workloads(args.env, None if args.outdir == "cdktf.out" else args.outdir)
                     if getattr(args, "deploy_workloads", False) else None,
                     out=out)
    if args.command == "rollout":
        return runner.rollout(args.to, steps, args.soak)
    if args.command == "watch":
        runner.say(f"watching the alarms and the {args.colour} targets for {args.soak:g} s")
        found = runner.soak(args.colour, args.soak)
        for problem in found:
            runner.say(f"PROBLEM: {problem}")
        runner.say(f"summary: {'problems found' if found else 'nothing wrong'}")
        return EXIT_ROLLED_BACK if found else EXIT_OK
    to = args.to or live_colour_from_files(args.env)
    ok, took = runner.rollback(to)
    runner.say(f"summary: {'all traffic on ' + to if ok else 'ROLLBACK FAILED'}; took {took:.1f} s")
    return EXIT_OK if ok else EXIT_ROLLBACK_FAILED


if __name__ == "__main__":
    sys.exit(main())
