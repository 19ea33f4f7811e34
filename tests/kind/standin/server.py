"""A stand-in for the four Vision-to-Code services in the Kind test (tooling/kind.py): one image, four Deployments;
each pod learns which service it is from ``VTC_SERVICE`` (the chart sets it) and answers what the chart's probes,
routes and the smoke checks (environments/smoke.py) ask, on ``HTTP_PORT`` (default 8080):

- ``/healthz`` and ``/<service>/healthz``: 200 ``{"status": "ok"}`` (liveness, startup; the smoke's first check);
- ``/readyz`` and ``/<service>/readyz``: 200 ``{"status": "ok", "database": "ok", "standin": true}`` (readiness, the
  colour's health route ``/-/ready`` rewritten to ``/readyz``; the smoke's second check). There is no database in
  Kind: ``"database": "ok"`` says only that the stand-in is up, and ``standin: true`` says why;
- ``/<service>`` and anything under it: 200 ``{"service": ..., "colour": ..., "path": ...}``, so a check can tell
  which service NGINX routed to;
- anything else: 404.

It serves metrics nowhere (the chart's metrics port stays closed: nothing scrapes in Kind). Standard library only; it
writes nothing to disk (the chart's root filesystem is read-only) and stops on SIGTERM.

``python server.py probe --refused URL --open HOST:PORT`` is the NetworkPolicy check's client (tooling/kind.py runs
it in a pod of the same image): exit 0 only when every ``--refused`` URL gets no answer within ``--timeout`` seconds
and every ``--open`` address accepts a TCP connection (so a refusal is the policy's, not a broken pod network).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICES = ("business", "core", "swarm", "development")


def answer(path: str, service: str, colour: str) -> tuple[int, dict]:
    """(status, JSON body) for a request path, as the service ``service`` of ``colour`` answers it."""
    path = urllib.parse.urlsplit(path).path
    prefix = f"/{service}"
    inner = path[len(prefix):] if path == prefix or path.startswith(prefix + "/") else None
    if path == "/healthz" or inner == "/healthz":
        return 200, {"status": "ok", "service": service}
    if path == "/readyz" or inner == "/readyz":
        return 200, {"status": "ok", "database": "ok", "standin": True, "service": service}
    if inner is not None:
        return 200, {"service": service, "colour": colour, "path": path}
    return 404, {"error": "not found", "service": service, "path": path}


def make_server(host: str, port: int, service: str, colour: str) -> ThreadingHTTPServer:
    """A server bound to ``host:port`` (port 0: any free port), not yet serving."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "vtc-standin"
        sys_version = ""

        def do_GET(self):  # noqa: N802 - the stdlib's name
            status, body = answer(self.path, service, colour)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):  # one line per request on stdout, no reverse DNS
            print(f"{self.address_string()} {format % args}", flush=True)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def probe(refused: list[str], open_: list[str], timeout: float) -> int:
    """0 when every URL in ``refused`` gets no answer and every ``host:port`` in ``open_`` accepts a connection."""
    failures = 0
    for address in open_:
        host, _, port = address.rpartition(":")
        try:
            socket.create_connection((host, int(port)), timeout=timeout).close()
            print(f"probe PASS open {address}: connected", flush=True)
        except OSError as error:
            failures += 1
            print(f"probe FAIL open {address}: {type(error).__name__}: {error} (the pod's network is broken, so a "
                  "refusal below proves nothing)", flush=True)
    for url in refused:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                failures += 1
                print(f"probe FAIL refused {url}: answered {response.status} (the NetworkPolicy let this pod in)",
                      flush=True)
        except urllib.error.HTTPError as error:
            failures += 1
            print(f"probe FAIL refused {url}: answered {error.code} (the NetworkPolicy let this pod in)", flush=True)
        except (OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            print(f"probe PASS refused {url}: no answer ({type(error).__name__}: {reason})", flush=True)
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="serve (the default)")
    serve.add_argument("--host", default="0.0.0.0")  # in a pod: the pod's own address; tests pass 127.0.0.1
    serve.add_argument("--port", type=int, default=int(os.environ.get("HTTP_PORT", "8080")))
    check = sub.add_parser("probe", help="the NetworkPolicy check's client")
    check.add_argument("--refused", action="append", default=[], help="a URL that must get no answer")
    check.add_argument("--open", action="append", default=[], dest="open_", help="HOST:PORT that must connect")
    check.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args(argv if argv is not None else (sys.argv[1:] or ["serve"]))
    if args.command == "probe":
        return probe(args.refused, args.open_, args.timeout)
    service = os.environ.get("VTC_SERVICE", "")
    if service not in SERVICES:
        print(f"standin: VTC_SERVICE must be one of {', '.join(SERVICES)} (got {service!r})", file=sys.stderr)
        return 1
    server = make_server(args.host, args.port, service, os.environ.get("VTC_COLOUR", ""))
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"standin {service} listening on {args.host}:{server.server_address[1]}", flush=True)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
