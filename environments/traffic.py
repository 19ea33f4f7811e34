"""Traffic as the load balancer holds it: the HTTPS listener's weights, a private probe route to one colour, and the
release record beside them in SSM. What :mod:`environments.rollout` reads and changes, with nothing but AWS API calls:
no Terraform, no state lock, no checkout of the stack's code.

- :class:`Listener` finds an environment's HTTPS listener by its load balancer's name (``vtc-<env>``) and its target
  groups by their ``vtc/colour`` tag; :meth:`Listener.weights` reads the weights, :meth:`Listener.set_weights` writes
  them in one ``ModifyListener`` call and reads them back. The Edge construct makes Terraform ignore the listener's
  default action after creation, so nothing else writes them.
- :meth:`Listener.open_probe` adds a listener rule that forwards to one colour only the requests carrying a header
  whose value is a random token made for this run and never stored: the release job can smoke-test the new colour
  before it gets any traffic, and nobody else can reach it. :meth:`Listener.close_probes` removes every such rule.
- :class:`ReleaseRecord` keeps the release's progress in the SSM parameter ``/vtc/<env>/release`` (a JSON document:
  release id, from and to colour, state, the steps done, the last events) and a lock, ``/vtc/<env>/release-lock``,
  held by the one process that is moving traffic (created with ``Overwrite=False``: two processes cannot both hold
  it). A rollback also writes ``/vtc/<env>/release-stop`` (the release it ended and where traffic went), which a
  release never writes: a release that finds it stops and puts traffic where the rollback put it. A process that dies leaves both; ``status`` shows them and ``rollback`` clears them (a rollback never waits
  for a lock).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timezone

COLOURS = ("blue", "green")
PROBE_HEADER = "X-Vtc-Release-Probe"
#: A probe rule's priority: the first free one from here (the listener has no other rules of the platform's).
PROBE_PRIORITY = 10
RECORD_EVENTS = 12  # the last events kept in the record (an SSM standard parameter holds 4 KB)
UNFINISHED = "in-progress"


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class TrafficError(Exception):
    """What is wrong, said for an operator (the listener cannot be found, the weights did not take, ...)."""


@dataclass
class Listener:
    """The HTTPS listener of one environment's ALB and its two target groups."""

    elbv2: object
    arn: str
    load_balancer_arn: str
    target_groups: dict[str, str]  # colour -> ARN
    stickiness: dict

    @classmethod
    def find(cls, elbv2, load_balancer_name: str, port: int = 443) -> "Listener":
        region = getattr(getattr(elbv2, "meta", None), "region_name", None) or "this region"
        try:
            (balancer,) = elbv2.describe_load_balancers(Names=[load_balancer_name])["LoadBalancers"]
        except Exception as error:  # noqa: BLE001 - said with what to check
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            if code in ("LoadBalancerNotFound", "LoadBalancerNotFoundException") or isinstance(error, ValueError):
                raise TrafficError(f"no load balancer {load_balancer_name!r} in this account in {region} ({error}); "
                                   "check the environment name, the region and the credentials (AWS_PROFILE, the "
                                   "role)") from None
            # Throttling, a 5xx, the network: not an answer about the load balancer; nothing was changed yet.
            raise TrafficError(f"could not look up the load balancer {load_balancer_name!r} in {region} "
                               f"({type(error).__name__}: {error}): nothing was changed; run the same command again "
                               "(it is idempotent)") from None
        listeners = [listener for listener in
                     elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
                     if listener["Port"] == port]
        if not listeners:
            raise TrafficError(f"load balancer {load_balancer_name!r} has no listener on port {port}")
        listener = listeners[0]
        forward = _forward(listener)
        groups = [group["TargetGroupArn"] for group in forward.get("TargetGroups", [])]
        colours: dict[str, str] = {}
        if groups:
            for description in elbv2.describe_tags(ResourceArns=groups)["TagDescriptions"]:
                tags = {tag["Key"]: tag["Value"] for tag in description.get("Tags", [])}
                if tags.get("vtc/colour") in COLOURS:
                    colours[tags["vtc/colour"]] = description["ResourceArn"]
        if set(colours) != set(COLOURS):
            raise TrafficError(f"the listener of {load_balancer_name!r} does not forward to a blue and a green target "
                               f"group (tag vtc/colour; found {sorted(colours) or 'none'})")
        return cls(elbv2, listener["ListenerArn"], balancer["LoadBalancerArn"], colours,
                   forward.get("TargetGroupStickinessConfig", {"Enabled": False}))

    def _describe(self) -> dict:
        (listener,) = self.elbv2.describe_listeners(ListenerArns=[self.arn])["Listeners"]
        return listener

    def weights(self) -> dict[str, int]:
        """``{colour: weight}`` as the listener forwards now (a colour it does not name has 0)."""
        by_arn = {arn: colour for colour, arn in self.target_groups.items()}
        found = {colour: 0 for colour in COLOURS}
        for group in _forward(self._describe()).get("TargetGroups", []):
            if group["TargetGroupArn"] in by_arn:
                found[by_arn[group["TargetGroupArn"]]] = int(group.get("Weight", 0))
        return found

    def set_weights(self, blue: int, green: int) -> dict[str, int]:
        """One ``ModifyListener`` (the default action only: certificate and policy untouched), then read back."""
        wanted = {"blue": blue, "green": green}
        self.elbv2.modify_listener(ListenerArn=self.arn, DefaultActions=[{"Type": "forward", "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": self.target_groups[c], "Weight": wanted[c]} for c in COLOURS],
            "TargetGroupStickinessConfig": self.stickiness}}])
        read = self.weights()
        if read != wanted:
            raise TrafficError(f"the listener forwards {read} after setting {wanted}")
        return read

    # --- the private route to one colour ---------------------------------------------------------------------------
    def open_probe(self, colour: str) -> dict[str, str]:
        """A rule forwarding requests with a fresh secret header to ``colour`` only; the header to send."""
        rules = self._rules()
        stale = self.close_probes(self._probes(rules))  # (one left by a killed run)
        token = secrets.token_urlsafe(32)
        taken = {rule["Priority"] for rule in rules if rule not in stale}
        priority = next(p for p in range(PROBE_PRIORITY, 50000) if str(p) not in taken)
        self.elbv2.create_rule(
            ListenerArn=self.arn, Priority=priority,
            Conditions=[{"Field": "http-header",
                         "HttpHeaderConfig": {"HttpHeaderName": PROBE_HEADER, "Values": [token]}}],
            Actions=[{"Type": "forward", "TargetGroupArn": self.target_groups[colour]}])
        return {PROBE_HEADER: token}

    def probe_rules(self) -> list[dict]:
        return self._probes(self._rules())

    @staticmethod
    def _probes(rules: list[dict]) -> list[dict]:
        return [rule for rule in rules if any(
            condition.get("Field") == "http-header"
            and condition.get("HttpHeaderConfig", {}).get("HttpHeaderName", "").lower() == PROBE_HEADER.lower()
            for condition in rule.get("Conditions", []))]

    def close_probes(self, rules: list[dict] | None = None) -> list[dict]:
        """Delete every probe rule (or those of ``rules``, already read); the rules deleted."""
        rules = self.probe_rules() if rules is None else rules
        for rule in rules:
            self.elbv2.delete_rule(RuleArn=rule["RuleArn"])
        return rules

    def _rules(self) -> list[dict]:
        return self.elbv2.describe_rules(ListenerArn=self.arn)["Rules"]

    # --- metric dimensions -----------------------------------------------------------------------------------------
    @property
    def load_balancer_dimension(self) -> str:
        """``app/<name>/<id>``: the ``LoadBalancer`` dimension of the ALB's CloudWatch metrics."""
        return self.load_balancer_arn.split(":loadbalancer/", 1)[1]

    def target_group_dimension(self, colour: str) -> str:
        """``targetgroup/<name>/<id>``: the ``TargetGroup`` dimension of a colour's CloudWatch metrics."""
        return "targetgroup/" + self.target_groups[colour].split(":targetgroup/", 1)[1]


def _forward(listener: dict) -> dict:
    for action in listener.get("DefaultActions", []):
        if action.get("Type") == "forward":
            if "ForwardConfig" in action:
                return action["ForwardConfig"]
            return {"TargetGroups": [{"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}]}
    return {}


def live_colour(weights: dict[str, int]) -> str | None:
    """The colour with all the traffic, or None while it is split."""
    on = [colour for colour, weight in weights.items() if weight > 0]
    return on[0] if len(on) == 1 else None


def who() -> str:
    """Who is acting: the CI run if there is one, else user@host, with the process id."""
    run = os.environ.get("GITHUB_RUN_ID")
    where = (f"github run {run} ({os.environ.get('GITHUB_WORKFLOW', '')}, {os.environ.get('GITHUB_REF_NAME', '')})"
             if run else f"{os.environ.get('USER', 'someone')}@{socket.gethostname()}")
    return f"{where} pid {os.getpid()}"


def holder_gone(by: object) -> bool | None:
    """Whether the process :func:`who` named in ``by`` is gone: True or False when it ran on this host (its pid looked
    up), None when that cannot be known here (another host, a CI run, a value of another shape)."""
    match = re.fullmatch(r".+@(?P<host>[^@ ]+) pid (?P<pid>[0-9]+)", by) if isinstance(by, str) else None
    if match is None or match["host"] != socket.gethostname():
        return None
    try:
        os.kill(int(match["pid"]), 0)
    except (ProcessLookupError, OverflowError):  # (no such process; a number no process id can be)
        return True
    except PermissionError:  # (alive, under another user)
        return False
    return False


class ReleaseRecord:
    """The release record and the lock of one environment in SSM (see the module docstring)."""

    def __init__(self, ssm, env: str):
        self.ssm, self.env = ssm, env
        self.name = f"/vtc/{env}/release"
        self.lock_name = f"/vtc/{env}/release-lock"
        self.stop_name = f"/vtc/{env}/release-stop"
        self.holding: str | None = None  # the lock's value while this process holds it

    def read(self) -> dict | None:
        return self._get(self.name)

    def write(self, record: dict, event: str | None = None) -> dict:
        record = {**record, "updated": now()}
        if event:
            record["events"] = (record.get("events", []) + [f"{now()} {event}"])[-RECORD_EVENTS:]
        text = json.dumps(record, separators=(",", ":"))
        while len(text.encode()) > 4000 and record.get("events"):
            record["events"] = record["events"][1:]
            text = json.dumps(record, separators=(",", ":"))
        self.ssm.put_parameter(Name=self.name, Value=text, Type="String", Overwrite=True,
                               Description=f"vtc {self.env}: the release in progress or the last one "
                                           "(environments/rollout.py)")
        return record

    def mark_stopped(self, release: str, to: str, reason: str) -> None:
        """A rollback's word to the release it ends, in a parameter of its own that the release never writes (SSM
        has no compare-and-set: a release writing the record at the same moment cannot overwrite this)."""
        value = json.dumps({"release": release, "to": to, "reason": reason[:500], "by": who(), "at": now()},
                           separators=(",", ":"))
        self.ssm.put_parameter(Name=self.stop_name, Value=value, Type="String", Overwrite=True,
                               Description=f"vtc {self.env}: the release a rollback ended")

    def stopped(self, release: str) -> dict | None:
        """The rollback that ended ``release``, if one did."""
        marker = self._get(self.stop_name)
        return marker if marker and marker.get("release") == release else None

    def lock(self) -> dict | None:
        return self._get(self.lock_name)

    def acquire(self, release: str) -> None:
        """Take the lock, or raise :class:`Refused` naming who holds it."""
        value = json.dumps({"release": release, "by": who(), "since": now()}, separators=(",", ":"))
        # Held from before the call: an interrupt between SSM's write and the return still knows the lock is this
        # process's own (release_lock deletes only a lock whose value is ``holding``, so another's is never touched).
        self.holding = value
        try:
            self.ssm.put_parameter(Name=self.lock_name, Value=value, Type="String", Overwrite=False,
                                   Description=f"vtc {self.env}: held by the process moving traffic")
        except Exception as error:  # noqa: BLE001
            self.holding = None
            if "ParameterAlreadyExists" not in f"{type(error).__name__} {error}":
                raise
            held = self.lock() or {}
            raise Refused(f"another process is moving {self.env}'s traffic: release {held.get('release')!r} by "
                          f"{held.get('by')} since {held.get('since')} (SSM {self.lock_name}). If it is gone (a "
                          f"killed runner), `python -m environments.rollout rollback {self.env}` takes traffic back "
                          "and clears it.") from None

    def release_lock(self, force: bool = False) -> None:
        """Delete the lock if this process holds it (or any lock, with ``force``: the rollback)."""
        try:
            current = self.ssm.get_parameter(Name=self.lock_name)["Parameter"]["Value"]
        except Exception:  # noqa: BLE001 - no lock
            self.holding = None
            return
        if force or current == self.holding:
            self.ssm.delete_parameter(Name=self.lock_name)
        self.holding = None

    def _get(self, name: str) -> dict | None:
        try:
            value = self.ssm.get_parameter(Name=name)["Parameter"]["Value"]
        except Exception as error:  # noqa: BLE001
            if "ParameterNotFound" in f"{type(error).__name__} {error}":
                return None
            raise
        try:
            return json.loads(value)
        except ValueError:
            return {"unreadable": value[:200]}


class Refused(Exception):
    """A release cannot start or continue: another one is unfinished, or another process holds the lock."""


RELEASE_ID = re.compile(r"^[A-Za-z0-9._/+-]{1,128}$")
