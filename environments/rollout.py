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
unfinished release (so its later steps refuse) and removes probe rules. A colour with no healthy target is refused
(exit 2; ``--force``) unless the listener already sends it all traffic: then nothing moves and the release is ended.
``watch`` is the soak alone (exit 3 at the first problem). Every command first checks the environment files (before any
AWS call), then that the credentials are the environment file's account.

Exit status: 0 success; 1 usage error, a wrong environment file or wrong account; 2 a rollback failed (traffic may be
split: run ``rollback`` again); 3 rolled back, or stopped before any traffic moved; 4 refused (another release
unfinished, or its lock held).

Where each part lives: this module is the command (its options, the AWS clients, the hooks and the status printout);
:mod:`environments.rollout_files` reads and checks the environment files; :mod:`environments.rollout_steps` holds the
release's logic (:class:`Rollout`: the watching, the steps, the rollback) and :mod:`environments.traffic` the listener
and the release record.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Callable

from .cli import named, parsed
from .rollout_files import (ENVIRONMENTS, READS, REGION_NAME, environment_settings,  # noqa: F401
                            settings_problems)
from .smoke import SmokeReport, run_smoke
from .traffic import COLOURS, Listener, ReleaseRecord, Refused, TrafficError, holder_gone, who
# The release's logic is in rollout_steps.py since issue 27; its names stay importable from here (tests, the benchmark
# and code written before import them from environments.rollout).
from .rollout_steps import (  # noqa: F401  (re-exported: they were defined here)
    DEFAULT_MIN_REQUESTS,
    DEFAULT_POLL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_ROLLBACK_FAILED,
    EXIT_ROLLED_BACK,
    EXIT_USAGE,
    SIGNALS,
    Interrupted,
    Rollout,
    StoppedElsewhere,
    Thresholds,
    UsageError,
    Verdict,
    _check_release_id,
    other,
    weights_for,
)

ROOT = Path(__file__).resolve().parent.parent


def parse_steps(text: str) -> tuple[int, ...]:
    try:
        steps = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise UsageError(f"--steps: comma-separated whole percentages, e.g. 10,50,100 (got {text!r})") from None
    if not steps or any(not 0 < s <= 100 for s in steps) or list(steps) != sorted(set(steps)) or steps[-1] != 100:
        raise UsageError(f"--steps: increasing percentages in 1-100 ending at 100, e.g. 10,50,100 (got {text!r})")
    return steps


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


def print_status(status: dict, out) -> None:
    w = status["weights"]
    print(f"{status['environment']}: the listener forwards blue {w['blue']} % / green {w['green']} % "
          f"({'live: ' + status['live'] if status['live'] else 'SPLIT'})", file=out)
    tags = status["image_tags_in_files"]
    print("image tags (environment files at this checkout): "
          + ", ".join(f"{c} {tags.get(c, '?')}" for c in COLOURS), file=out)
    record = status["record"]
    if record and "unreadable" in record:
        print(f"release record UNREADABLE ({record['unreadable']!r}): `rollback --to blue|green` moves traffic and "
              "writes a new one", file=out)
    elif record:
        print(f"release {record.get('release')!r}: {record.get('from')} -> {record.get('to')}, {record.get('state')}"
              f", steps done {record.get('steps')}, by {record.get('by')}, updated {record.get('updated')}", file=out)
        for event in record.get("events", [])[-5:]:
            print(f"  {event}", file=out)
    else:
        print("no release recorded", file=out)
    if status["lock"] and "unreadable" in status["lock"]:
        print(f"LOCK UNREADABLE ({status['lock']['unreadable']!r}): `rollback` clears it", file=out)
    elif status["lock"]:
        lock = status["lock"]
        gone = holder_gone(lock.get("by"))
        print(f"LOCK held by {lock.get('by')} since {lock.get('since')} for release {lock.get('release')!r}: new "
              "releases are refused while it is held; "
              + ("that process is gone (it ran on this host): `rollback` clears the lock" if gone else
                 "that process still runs on this host" if gone is False else
                 "if that process is gone (killed, a lost runner), `rollback` clears it"), file=out)
    if status["probe_rules"]:
        print(f"{status['probe_rules']} probe rule(s) on the listener (a smoke test in progress, or left by a killed "
              "run: `rollback` removes them)", file=out)
    print("alarms in ALARM: " + (", ".join(status["alarms_in_alarm"]) or "none"), file=out)
    if status.get("alarms_without_data"):
        print("alarms without data (INSUFFICIENT_DATA): " + ", ".join(status["alarms_without_data"]), file=out)
    if status["unfinished"]:
        print("UNFINISHED: a new release is refused until this one ends (its next `step` from the process that holds "
              "the lock, or `rollback`, which ends it and clears the lock)", file=out)


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
        epilog="Exit status: 0 success; 1 usage error, a wrong environment file, wrong account or an unexpected error "
               "(one line; --debug: the traceback); 2 a rollback failed or was refused (traffic may be split, or the colour has no healthy "
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
    debug = "--debug" in (args := list(sys.argv[1:] if argv is None else argv))
    try:
        return _main(argv, **injected)
    except Exception as error:  # noqa: BLE001 - the last line of defence: no traceback for an operator
        env = named(_parser(), args, "env", "<env>")
        print(f"rollout: unexpected error: {type(error).__name__}: {error}. Nothing further was done; check the "
              f"credentials, the region and the network, then `python -m environments.rollout status {env}`"
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
    args = parsed(_parser(), argv)  # (0 after --help: EXIT_OK; 1 after a usage error: EXIT_USAGE)
    if isinstance(args, int):
        return args
    try:
        settings = environment_settings(args.env, reads=READS[args.command], region_given=args.region is not None)
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
        if args.region is not None and not REGION_NAME.match(args.region):
            wrong.append(f"--region: an AWS region name such as eu-west-1 (got {args.region!r})")
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
        aws = clients or _aws_clients(args.region or settings["region"])
        expected = settings["account_id"]
        account = aws["sts"].get_caller_identity()["Account"]
        if account != expected:
            raise UsageError(f"the credentials are for account {account}, but environments/{args.env}.toml says "
                             f"{expected}: wrong environment, or wrong credentials (AWS_PROFILE, the role)")
        listener = Listener.find(aws["elbv2"], args.load_balancer or f"vtc-{args.env}")
    except (UsageError, TrafficError) as error:
        print(f"rollout: {error}", file=sys.stderr)
        return EXIT_USAGE
    # (checked for the commands that judge: READS; the rollback's own defaults, read whatever the files hold)
    alarms = settings.get("alarms")
    thresholds = alarms.get("thresholds") if isinstance(alarms, dict) else None
    thresholds = {k: v for k, v in thresholds.items() if isinstance(v, (int, float)) and not isinstance(v, bool)} \
        if isinstance(thresholds, dict) else {}
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
            record = runner.record.read() or {}
            if "unreadable" in record:  # (the parameter holds no JSON object: traffic.ReleaseRecord._get)
                raise ValueError(f"not a release record: {record['unreadable']}")
            to = record.get("from")
        except Exception as error:  # noqa: BLE001
            print(f"rollout: the release record cannot be read ({type(error).__name__}: {error}): say where traffic "
                  "goes with --to blue|green", file=sys.stderr)
            return EXIT_ROLLBACK_FAILED
    if to not in COLOURS:
        print(f"rollout: no release recorded for {args.env} to roll back: say where traffic goes with --to blue|green",
              file=sys.stderr)
        return EXIT_USAGE
    move = True
    if not args.force:
        try:
            targets = runner.target_health(to)
        except Exception as error:  # noqa: BLE001 - the check is a guard, not a gate: said, and the rollback goes on
            runner.say(f"could not read {to}'s target health ({type(error).__name__}: {error}); rolling back anyway")
        else:
            unready = runner.unhealthy_targets(to, targets)
            if len(unready) >= max(1, len(targets)):
                # Traffic already all on that colour: not moving it cannot make an outage, so the rollback ends the
                # release without a listener call (a step shifting meanwhile finds the rollback's word and puts
                # traffic back itself, as with any rollback). Weights that cannot be read: the guard stands.
                try:
                    move = runner.listener.weights() != dict(zip(COLOURS, weights_for(to, 100)))
                except Exception:  # noqa: BLE001 - unknown weights: refused as before
                    move = True
                if move:
                    print(f"rollout: REFUSED: no healthy target in the {to} target group ({'; '.join(unready)}): "
                          f"all traffic there would be an outage. Look with `status`; --force sends it there anyway",
                          file=sys.stderr)
                    return EXIT_ROLLBACK_FAILED
                runner.say(f"no healthy target in the {to} target group ({'; '.join(unready)}), but the listener "
                           f"already sends all traffic to {to}: nothing to move; the release is still ended "
                           "(record, lock, probe rules)")
    runner.rolling_back = True  # signals from here on are noted, not obeyed, until traffic is back
    restore = runner.handle_signals()
    try:
        ok, took = runner.rollback(to, args.reason or f"rollback by {who()}", move=move)
    finally:
        restore()
    if not move:
        runner.say(f"summary: already all on {to}; the listener was not changed"
                   + ("; the release record, lock or probe rules could not be updated (above): run the rollback again "
                      "once they answer" if runner.untidy else "") if ok else
                   "summary: ROLLBACK REFUSED; the listener was not changed")
        return EXIT_OK if ok else EXIT_ROLLBACK_FAILED
    untidy = ("; the release record, lock or probe rules could not be updated (above): run the rollback again once "
              "they answer" if runner.untidy else "")
    runner.say(f"summary: all traffic on {to}; the listener call took {took:.2f} s{untidy}" if ok else
               f"summary: ROLLBACK FAILED after {took:.2f} s: traffic may still be split; run `python -m "
               f"environments.rollout rollback {args.env} --to {to}` again (it is idempotent)")
    return EXIT_OK if ok else EXIT_ROLLBACK_FAILED


if __name__ == "__main__":
    sys.exit(main())
