"""moto's server as ``moto_server`` runs it, but answering one request at a time: ``python -m tooling.moto_serial
-H 127.0.0.1 -p PORT`` (what :class:`tooling.emulator.MotoServer` starts).

``moto_server`` hands each request to a thread of its own, and moto's backends are not written for that: a request
that walks a backend's dictionary while another request adds to it fails with ``RuntimeError: dictionary changed size
during iteration`` (HTTP 500). 40 threads of IAM creates, attaches and reads against moto 5.2.5 gave 13 of them in
7,000 calls (IAM AttachRolePolicy walking ``managed_policies``, GetRole walking the roles); the AWS SDK retries a 500,
and a create the emulator had carried out before failing was once answered "already exists" on its retry (CI,
2026-12-06: IAM CreatePolicy, 409, the emulator deploy failed). Here the connections keep their threads (and their
keep-alive) but the application behind them runs one request at a time, the whole response included, so no request
sees another half done. A deploy's requests are short (moto's CPU is ~8 s of a ~120 s deploy), so they rarely queue.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import Any, Callable, Iterable

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple


def one_at_a_time(app: Callable[..., Iterable[bytes]]) -> Callable[..., list[bytes]]:
    """``app`` (a WSGI application) behind one lock, its response read to the end before the lock is released."""
    lock = threading.Lock()

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with lock:
            response = app(environ, start_response)
            try:
                return list(response)
            finally:
                close = getattr(response, "close", None)
                if close is not None:
                    close()

    return serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tooling.moto_serial", description=__doc__.split("\n\n")[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # as moto_server does: moto builds some URLs from it
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True  # type: ignore[attr-defined]  (as moto_server sets it)
    run_simple(args.host, args.port, one_at_a_time(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
