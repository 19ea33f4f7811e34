"""environments/smoke.py against a stand-in service on 127.0.0.1 (http.server in a thread, stopped by the fixture):
a good service, and each way a check fails, with the failure output a person on call reads."""

from __future__ import annotations

import http.server
import io
import json
import socket

import pytest

from environments import smoke
from environments.smoke import main, run_smoke
from tests.helpers import loopback_http_server

HOST = "app.example.test"


class StandIn(http.server.BaseHTTPRequestHandler):
    """Answers /<service>/healthz and /<service>/readyz as the server's ``behaviour`` says; 404 for another Host."""

    def do_GET(self):  # noqa: N802 - http.server's name
        behaviour = self.server.behaviour
        self.server.seen.append((self.path, self.headers.get("Host")))
        if self.server.require_host and self.headers.get("Host") != self.server.require_host:
            return self._answer(404, "no such host")
        _, service, check = self.path.split("/", 2)
        status, body = behaviour.get((service, check), behaviour.get(check, (200, '{"status": "ok"}')))
        self._answer(status, body)

    def _answer(self, status: int, body: str):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def stand_in():
    with loopback_http_server(StandIn, behaviour={"readyz": (200, '{"status": "ok", "database": "ok"}')}, seen=[],
                              require_host=None) as server:
        yield server


def url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_a_good_service_passes_every_check_and_says_so(stand_in):
    out = io.StringIO()
    report = run_smoke(url(stand_in), services=["core", "business"], out=out)
    assert report.ok
    assert [(r.service, r.check) for r in report.results] == [
        ("core", "healthz"), ("core", "readyz (database)"), ("business", "healthz"), ("business", "readyz (database)")]
    assert [path for path, _ in stand_in.seen] == ["/core/healthz", "/core/readyz", "/business/healthz",
                                                   "/business/readyz"]
    lines = out.getvalue().splitlines()
    assert len(lines) == 4 and all(" smoke PASS " in line for line in lines)
    assert report.summary() == "smoke: 4/4 checks passed"


def test_the_default_services_are_the_environment_files_services(stand_in):
    assert smoke.default_services() == ("business", "core", "swarm", "development")
    report = run_smoke(url(stand_in))
    assert report.ok and len(report.results) == 8


def test_the_host_header_and_the_colour_reach_the_service(stand_in):
    stand_in.require_host = "green.app.example.test"
    report = run_smoke(url(stand_in), services=["core"], host="{colour}.app.example.test", colour="green")
    assert report.ok
    assert {host for _, host in stand_in.seen} == {"green.app.example.test"}
    stand_in.require_host = HOST
    report = run_smoke(url(stand_in), services=["core"], host="other.example.test")
    assert not report.ok and report.failures[0].status == 404


@pytest.mark.parametrize("behaviour, detail", [
    ({"readyz": (503, '{"status": "starting", "database": "timeout after 2 s"}')}, "expected 200"),
    ({"readyz": (200, '{"status": "ok", "database": "error: connection refused"}')}, "the database did not answer"),
    ({"readyz": (200, "<html>maintenance</html>")}, "body is not JSON"),
    ({"healthz": (500, "internal error")}, "expected 200"),
])
def test_a_failing_check_says_which_check_the_url_status_body_and_time(stand_in, behaviour, detail):
    stand_in.behaviour = {"readyz": (200, '{"database": "ok"}'), **behaviour}
    out = io.StringIO()
    report = run_smoke(url(stand_in), services=["swarm"], out=out)
    assert not report.ok
    [failure] = report.failures
    expected_check = "healthz" if "healthz" in behaviour else "readyz (database)"
    assert failure.check == expected_check and failure.service == "swarm"
    line = failure.line()
    print(line)
    assert f"smoke FAIL swarm {expected_check} {url(stand_in)}/swarm/{expected_check.split()[0]}: status " in line
    assert detail in line
    assert " s;" in line and "body: '" in line
    body = next(iter(behaviour.values()))[1]
    assert body[:40] in line
    assert "FAIL" in out.getvalue()
    assert report.summary().startswith("smoke: 1/2 checks passed - FAILED: swarm ")


def test_one_failing_service_among_good_ones(stand_in):
    stand_in.behaviour[("business", "readyz")] = (200, '{"database": {"status": "down"}}')
    report = run_smoke(url(stand_in), services=["core", "business"])
    assert [(f.service, f.check) for f in report.failures] == [("business", "readyz (database)")]


def test_nothing_listening_is_a_failure_with_the_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    report = run_smoke(f"http://127.0.0.1:{port}", services=["core"], timeout=2)
    assert not report.ok and report.failures[0].status is None
    line = report.failures[0].line()
    print(line)
    assert "status no answer" in line and "refused" in line.lower()


def test_the_command_exit_status(stand_in, capsys):
    assert main([url(stand_in), "--service", "core"]) == 0
    assert "smoke: 2/2 checks passed" in capsys.readouterr().out
    stand_in.behaviour = {"readyz": (503, "down")}
    assert main([url(stand_in), "--service", "core"]) == 2
    assert "smoke FAIL core readyz (database)" in capsys.readouterr().out
    assert main(["app.example.test"]) == 1
    assert main([]) == 1


@pytest.mark.parametrize("argv, said", [
    (["app.example.test"], "url: not an http(s) URL with a host (got 'app.example.test')"),
    (["https://"], "url: not an http(s) URL with a host"),
    (["ftp://app.example.test"], "url: not an http(s) URL"),
    (["https://app.example.test", "--service", "billing"],
     "--service: unknown service (got 'billing'); allowed: business, core, swarm, development"),
    (["https://app.example.test", "--timeout", "0"], "--timeout: must be more than 0 seconds (got 0)"),
    (["https://app.example.test", "--timeout", "soon"], "invalid float value"),
])
def test_bad_input_is_refused_before_any_request_with_what_is_allowed(argv, said, capsys):
    assert main(argv) == 1
    assert said in capsys.readouterr().err


def test_every_problem_is_reported_at_once(capsys):
    assert main(["app.example.test", "--service", "billing", "--timeout", "-1"]) == 1
    err = capsys.readouterr().err
    assert "url:" in err and "--service:" in err and "--timeout:" in err


def test_a_run_that_checks_nothing_is_not_a_success(monkeypatch, capsys):
    import environments.smoke as smoke

    monkeypatch.setattr(smoke, "run_smoke", lambda *a, **k: smoke.SmokeReport(()))
    assert main(["https://app.example.test", "--service", "core"]) == 2
    assert "0/0 checks passed" in capsys.readouterr().out


def test_the_help_states_the_exit_codes(capsys):
    assert main(["--help"]) == 0
    assert "Exit status: 0 every check passed; 1 bad input" in " ".join(capsys.readouterr().out.split())
