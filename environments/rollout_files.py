"""The environment files as the rollout commands read them: ``base.toml`` merged with ``<env>.toml``, and what those
commands need of them checked before any AWS call (:func:`environment_settings`).

    from environments.rollout_files import environment_settings
    settings = environment_settings("staging")     # or UsageError: file, field, value, allowed, fix; all at once

Light on purpose: the rollout and the rollback must start at once (``python -m environments.rollout --help`` in about
a tenth of a second), so nothing here imports ``vtc_constructs`` (its package starts jsii). The full check of every
field is ``python main.py``'s (:mod:`environments.model`).
"""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

from .rollout_steps import UsageError

ENVIRONMENTS = Path(__file__).resolve().parent

#: What the command reads from the files, checked before any AWS call. A pattern, not ``aws_rules.AWS_REGIONS``:
#: importing anything of vtc_constructs starts jsii (seconds), and this command must start at once. A region that
#: matches but does not exist fails at the first call (the STS endpoint), before anything is changed.
ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$")


#: What each command reads of the files besides the account (and the region, unless ``--region`` gives it): the
#: rollback reads nothing else, so that a file wrong elsewhere never stands between on-call and the listener.
READS = {"rollback": frozenset(), "status": frozenset({"thresholds", "workloads"}),
         "rollout": frozenset({"thresholds"}), "step": frozenset({"thresholds"}), "watch": frozenset({"thresholds"})}
EVERYTHING = frozenset({"thresholds", "workloads"})


def environment_settings(env: str, *, reads: frozenset[str] = EVERYTHING, region_given: bool = False) -> dict:
    """base.toml merged with <env>.toml (tables key by key), with what the command reads checked (:func:`settings_
    problems`: the account always, the region unless ``region_given``, and the parts named in ``reads``); an
    unreadable or wrong file is a :class:`UsageError` naming the file, the field and the fix."""
    known = sorted(p.stem for p in ENVIRONMENTS.glob("*.toml") if p.stem != "base")
    if env == "base":
        raise UsageError(f"environments/base.toml holds the defaults every environment shares, not an environment: "
                         f"name one of {', '.join(known)}")
    if not (ENVIRONMENTS / f"{env}.toml").is_file():
        raise UsageError(f"no environment {env!r} (environments/{env}.toml); known: {', '.join(known)}")
    merged: dict = {}
    problems = []
    for name in ("base", env):
        label = f"environments/{name}.toml"
        try:
            data = tomllib.loads((ENVIRONMENTS / f"{name}.toml").read_text(encoding="utf-8"))
        except OSError as error:
            problems.append(f"{label}: unreadable file ({error.strerror}); fix: make it readable")
        except UnicodeDecodeError:
            problems.append(f"{label}: not UTF-8 text; fix: save it as UTF-8")
        except tomllib.TOMLDecodeError as error:
            problems.append(f"{label}: not valid TOML ({error}); fix: correct the syntax (`python main.py` checks "
                            "every file)")
        else:
            _merge(merged, data)
    problems = problems or settings_problems(env, merged, reads=reads, region_given=region_given)
    if problems:
        raise UsageError("; ".join(problems) + ". Nothing was done")
    return merged


def settings_problems(env: str, settings: dict, *, reads: frozenset[str] = EVERYTHING,
                      region_given: bool = False) -> list[str]:
    """What a command needs of the merged files (see :func:`environment_settings`), each problem as 'file: field: what
    is wrong (got X); allowed: ...; fix: ...' (the full check of every field is ``python main.py``'s)."""
    problems = []

    def wrong(field: str, value: object, allowed: str, fix: str) -> None:
        problems.append(f"environments/{env}.toml: {field}: {'missing' if value is None else f'got {value!r}'}; "
                        f"allowed: {allowed}; fix: {fix}")

    account = settings.get("account_id")
    if not (isinstance(account, str) and ACCOUNT_ID.match(account)):
        wrong("account_id", account, "the environment's AWS account ID, 12 digits as a string (\"111111111111\")",
              f"set account_id in environments/{env}.toml")
    region = settings.get("region")
    if not region_given and not (isinstance(region, str) and REGION_NAME.match(region)):
        wrong("region", region, "an AWS region name such as eu-west-1", "correct region (in the environment's file or "
              "environments/base.toml)")
    # The tables the command reads from (a value where a table belongs would fail later, as an "unexpected error").
    tables = {}
    paths = (("alarms", "alarms.thresholds") if "thresholds" in reads else ()) + \
        (("workloads", "workloads.image_tags") if "workloads" in reads else ())
    for path in paths:
        parent, _, key = path.rpartition(".")
        value = (tables.get(parent) if parent else settings) or {}
        value = value.get(key, {})
        if isinstance(value, dict):
            tables[path] = value
        else:
            wrong(path, value, "a table", f"write it as [{path}] in environments/{env}.toml or environments/base.toml")
    thresholds = tables.get("alarms.thresholds") or {}
    for name, allowed, most in (("alb_5xx_rate_percent", "a number more than 0, at most 100", 100),
                                ("alb_p99_latency_ms", "a number of milliseconds more than 0", math.inf)):
        value = thresholds.get(name)
        if value is not None and not (isinstance(value, (int, float)) and not isinstance(value, bool)
                                      and math.isfinite(value) and 0 < value <= most):
            wrong(f"alarms.thresholds.{name}", value, allowed,
                  f"correct it in environments/{env}.toml or environments/base.toml")
    return problems


def _merge(into: dict, data: dict) -> None:
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


__all__ = ["ACCOUNT_ID", "ENVIRONMENTS", "EVERYTHING", "READS", "REGION_NAME", "environment_settings",
           "settings_problems"]
