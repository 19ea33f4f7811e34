"""Smoke tests of one colour: each service's health endpoints and a database round trip, over HTTP(S).

For every service (default: the services under ``[workloads.services]`` of the environment files):

- ``GET <url>/<service>/healthz`` must answer 200 (the process is up);
- ``GET <url>/<service>/readyz`` must answer 200 with a JSON object whose ``database`` field is ``"ok"`` (or
  ``true``, or an object with ``"status": "ok"``): the service ran a query on its database and it answered - the
  database round trip.

``--host`` sets the ``Host`` header (the ALB's listener routes by host name; the URL may then be the ALB's own DNS
name or address). ``{colour}`` in the URL or the host is replaced by the colour under test. Through the shared
listener a check reaches whichever colour the weights choose: ``python -m environments.rollout`` smoke-tests one
colour through a probe rule it adds to the listener for the run (a header with a secret value routed to that colour
only; environments/traffic.py).

Each failure says which check, the URL, the status (or the connection error), an excerpt of the body and the time
it took. Exit status: 0 all passed, 2 a check failed (or nothing was checked), 1 usage error (a URL without a scheme
or host, an unknown service, a timeout of 0: refused before any request).

    python -m environments.smoke https://app.example.com --service core --service business
    python -m environments.smoke http://127.0.0.1:8080 --host app.example.com --colour green
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .cli import parsed

ENVIRONMENTS = Path(__file__).resolve().parent
BODY_EXCERPT = 200
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class CheckResult:
    service: str
    check: str  # "healthz" or "readyz (database)"
    url: str
    ok: bool
    status: int | None
    seconds: float
    detail: str = ""  # why it failed (or "")
    body: str = ""  # excerpt

    def line(self) -> str:
        stamp = datetime.now(timezone.utc).strftime("%H:%M:%S")
        status = self.status if self.status is not None else "no answer"
        if self.ok:
            return f"{stamp} smoke PASS {self.service} {self.check} {self.url}: {status} in {self.seconds:.3f} s"
        return (f"{stamp} smoke FAIL {self.service} {self.check} {self.url}: status {status} in {self.seconds:.3f} s;"
                f" {self.detail}; body: {self.body!r}")


@dataclass(frozen=True)
class SmokeReport:
    results: tuple[CheckResult, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    def summary(self) -> str:
        failed = len(self.failures)
        return f"smoke: {len(self.results) - failed}/{len(self.results)} checks passed" + (
            "" if not failed else " - FAILED: " + ", ".join(f"{r.service} {r.check}" for r in self.failures))


def default_services() -> tuple[str, ...]:
    """The services the environment files release (``[workloads.services]`` in base.toml)."""
    with open(ENVIRONMENTS / "base.toml", "rb") as f:
        return tuple(tomllib.load(f).get("workloads", {}).get("services", {}))


def _database_answered(payload) -> bool:
    if not isinstance(payload, dict):
        return False
    database = payload.get("database")
    if isinstance(database, dict):
        return database.get("status") == "ok" or database.get("ok") is True
    return database == "ok" or database is True


def _get(url: str, host: str | None, timeout: float, context,
         headers: dict[str, str] | None = None) -> tuple[int | None, str, str]:
    """(status, body, error): status None when nothing answered."""
    request = urllib.request.Request(url, headers={**(headers or {}), **({"Host": host} if host else {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return response.status, response.read(64 * 1024).decode("utf-8", "replace"), ""
    except urllib.error.HTTPError as error:
        body = error.read(64 * 1024).decode("utf-8", "replace") if error.fp else ""
        return error.code, body, ""
    except (OSError, ValueError) as error:  # URLError, timeouts, refused connections, bad URLs
        reason = getattr(error, "reason", error)
        return None, "", f"{type(error).__name__}: {reason}"


def run_smoke(url: str, *, services: tuple[str, ...] | list[str] | None = None, host: str | None = None,
              colour: str | None = None, timeout: float = DEFAULT_TIMEOUT, insecure: bool = False,
              out=None, headers: dict[str, str] | None = None) -> SmokeReport:
    """Run every check; print one line per check to ``out`` (if given) as it finishes. ``headers`` go with every
    request (the rollout's probe header, which the listener routes to one colour only: environments/traffic.py);
    their values are never printed."""
    services = tuple(services or default_services())
    base = url.replace("{colour}", colour or "").rstrip("/")
    host = host.replace("{colour}", colour or "") if host else None
    context = None
    if base.startswith("https:") and insecure:
        context = ssl._create_unverified_context()  # noqa: S323 - only with --insecure (a certificate for another name)
    results = []
    for service in services:
        for check, path in (("healthz", "healthz"), ("readyz (database)", "readyz")):
            target = f"{base}/{service}/{path}"
            started = time.monotonic()
            status, body, error = _get(target, host, timeout, context, headers)
            seconds = time.monotonic() - started
            excerpt = body[:BODY_EXCERPT]
            if status is None:
                result = CheckResult(service, check, target, False, None, seconds, error, excerpt)
            elif status != 200:
                result = CheckResult(service, check, target, False, status, seconds, "expected 200", excerpt)
            elif path == "readyz":
                try:
                    payload = json.loads(body)
                except ValueError:
                    result = CheckResult(service, check, target, False, status, seconds,
                                         "body is not JSON (expected {\"database\": \"ok\"})", excerpt)
                else:
                    ok = _database_answered(payload)
                    result = CheckResult(service, check, target, ok, status, seconds,
                                         "" if ok else "the database did not answer (expected \"database\": \"ok\")",
                                         excerpt)
            else:
                result = CheckResult(service, check, target, True, status, seconds, "", excerpt)
            results.append(result)
            if out is not None:
                print(result.line(), file=out, flush=True)
    return SmokeReport(tuple(results))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m environments.smoke", description=__doc__.split("\n\n")[0],
                                     epilog="Exit status: 0 every check passed; 1 bad input, refused before any "
                                            "request; 2 a check failed, or nothing was checked.")
    parser.add_argument("url", help="base URL, e.g. https://app.example.com ({colour} is replaced)")
    parser.add_argument("--service", action="append", dest="services",
                        help="a service to check (repeatable; default: every service in environments/base.toml)")
    parser.add_argument("--host", help="Host header ({colour} is replaced)")
    parser.add_argument("--colour", choices=("blue", "green"), help="the colour under test (fills {colour})")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per request (default 5)")
    parser.add_argument("--insecure", action="store_true",
                        help="do not verify the TLS certificate (when the URL is an address, not the certificate's name)")
    args = parsed(parser, argv)
    if isinstance(args, int):
        return args
    problems = usage_problems(args.url, args.services, args.timeout)
    if problems:
        for problem in problems:
            print(f"smoke: {problem}", file=sys.stderr)
        return 1
    report = run_smoke(args.url, services=args.services, host=args.host, colour=args.colour,
                       timeout=args.timeout, insecure=args.insecure, out=sys.stdout)
    print(report.summary())
    return 0 if report.ok and report.results else 2


def usage_problems(url: str, services, timeout: float, *, url_option: str = "url",
                   service_option: str = "--service") -> list[str]:
    """Everything wrong with the command's input, before any request: each as 'what: wrong (got X); allowed: ...';
    ``url_option``/``service_option`` name the options as the calling command spells them."""
    import urllib.parse

    problems = []
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        problems.append(f"{url_option}: not an http(s) URL with a host (got {url!r}); allowed: e.g. "
                        "https://app.example.com")
    known = default_services()
    unknown = [s for s in services or () if s not in known]
    if unknown:
        problems.append(f"{service_option}: unknown service (got {', '.join(map(repr, unknown))}); allowed: "
                        f"{', '.join(known)} (environments/base.toml [workloads.services])")
    if not timeout > 0:
        problems.append(f"--timeout: must be more than 0 seconds (got {timeout:g})")
    if not (services or known):
        problems.append(f"{service_option}: nothing to check (no service given and none in environments/base.toml)")
    return problems


if __name__ == "__main__":
    sys.exit(main())
