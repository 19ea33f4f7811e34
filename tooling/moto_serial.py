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

It also remembers three answers that moto works out again on every request although they cannot change while the server
runs (:func:`remember_static_lookups`): about a third of its CPU per request (issue 28: the emulator was 37 of the
test command's ~400 CPU-seconds; a third less with these).
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import sys
import threading
from typing import Any, Callable, Iterable

from moto import backends
from moto.core import errors, responses
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


def remember_static_lookups() -> None:
    """Answer three of moto's lookups from memory in this process (the server's own; nothing else imports this module to
    serve):

    - ``moto.backends.list_of_moto_modules()``, the folders of moto's package, listed (with a ``stat`` of each of its
      ~170 entries) for every request to find the request's backend: 28% of moto's CPU under the rollout tests
      (cProfile, moto 5.2.5). The dispatcher reads it through the module, so the module's name is what is replaced.
    - ``method_names_from_class(cls)``, an ``inspect.getmembers`` of the responding class on every request: 5%.
      Cached per class (classes do not change once imported).
    - The table of a service's error shapes, built again for every error answer (a new ``ErrorLookupFactory`` per
      call, so its own cache is never read again): 9%, with ~20% of the rollout tests' answers errors. Cached per
      service model (moto caches those per service, so a few entries; bounded all the same).
    """
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    responses.method_names_from_class = functools.cache(responses.method_names_from_class)
    errors.ErrorLookupFactory._create_error_lut = staticmethod(  # type: ignore[method-assign]
        functools.lru_cache(maxsize=64)(errors.ErrorLookupFactory._create_error_lut))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tooling.moto_serial", description=__doc__.split("\n\n")[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # as moto_server does: moto builds some URLs from it
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: sys.exit(0))
    remember_static_lookups()
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True  # type: ignore[attr-defined]  (as moto_server sets it)
    run_simple(args.host, args.port, one_at_a_time(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
