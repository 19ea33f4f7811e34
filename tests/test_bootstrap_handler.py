"""The bootstrap Lambda's entry point, ``handler()``, end to end (issue 16): its master secret read through boto3
from the local AWS emulator's Secrets Manager (moto's server on 127.0.0.1, as the deploy tests use it: the handler's
own SDK calls go over HTTP to it, nothing in the handler is mocked), a real PostgreSQL 16 with pgvector reached
only over TLS (PostgreSQL's SSLRequest negotiation, by tooling/postgres.py's TLS front), with a certificate made here that the handler verifies (chain and host name), an ``rds_iam`` role as on
RDS, and the server's statement log (``log_statement=all``) to prove what reached it."""

from __future__ import annotations

import datetime
import json
import re
import ssl

import pg8000.native
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tooling.emulator import MotoServer
from tooling.postgres import LocalPostgres
from vtc_constructs.pgvector_bootstrap import handler

REGION = "eu-west-1"
HOST = "localhost"  # the one name the server's certificate carries: the handler checks the name it connects to


def _certificates() -> tuple[bytes, bytes, bytes]:
    """A CA of the test's own and a server certificate for localhost only: (CA PEM, chain PEM, key PEM)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vtc test database CA")])

    def build(subject, key, *, ca: bool):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(hours=2))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        return builder.sign(ca_key, hashes.SHA256())

    ca = build(ca_name, ca_key, ca=True)
    server = build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)]), server_key, ca=False)
    pem = serialization.Encoding.PEM
    return (ca.public_bytes(pem), server.public_bytes(pem),
            server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


@pytest.fixture(scope="module")
def ca_and_server(tmp_path_factory):
    """The server (TLS only, through tooling/postgres.py's TLS front: pgserver's build has no SSL; statements logged, a ``vtc`` database and an ``rds_iam`` role as RDS has) and the path
    of the CA that signed its certificate."""
    ca, chain, key = _certificates()
    folder = tmp_path_factory.mktemp("bootstrap-handler")
    (folder / "ca.pem").write_bytes(ca)
    with LocalPostgres(folder / "postgres", tls=(chain, key), log_statements=True) as pg:
        admin = pg8000.native.Connection(user=pg.user, password=pg.password, host=HOST, port=pg.port,
                                         database="postgres", ssl_context=ssl.create_default_context(
                                             cafile=str(folder / "ca.pem")))
        admin.run("CREATE DATABASE vtc")
        admin.run("CREATE ROLE rds_iam NOLOGIN")
        admin.close()
        yield folder / "ca.pem", pg


@pytest.fixture(scope="module")
def secret_arn(tmp_path_factory, ca_and_server):
    """The master secret in the emulator's Secrets Manager, as RDS's managed password stores it; the emulator's
    environment set for every SDK client of the module (the handler makes its own)."""
    _, pg = ca_and_server
    with MotoServer(log_file=tmp_path_factory.mktemp("moto") / "moto.log") as aws, pytest.MonkeyPatch.context() as env:
        for name, value in {**aws.environment(), "AWS_DEFAULT_REGION": REGION}.items():
            env.setenv(name, value)
        created = aws.client("secretsmanager", REGION).create_secret(
            Name="rds!db-test", SecretString=json.dumps({"username": pg.user, "password": pg.password}))
        yield created["ARN"]


@pytest.fixture
def trust_the_test_ca(monkeypatch, ca_and_server):
    """The one seam: the handler's own :func:`handler.rds_ssl_context`, called with the test's CA instead of AWS's
    RDS roots (its default); every check it makes (chain, host name, TLS 1.2+) stays on. The handler is not
    changed: it looks the function up in its module when it runs."""
    verified = handler.rds_ssl_context
    monkeypatch.setattr(handler, "rds_ssl_context", lambda: verified(ca_and_server[0]))


def event(arn, pg, **changes):
    return {"secret_arn": arn, "host": HOST, "port": pg.port, "database": "vtc", "app_role": "vtc_app",
            "app_schema": "vtc", **changes}


def admin(pg, ca):
    return pg8000.native.Connection(user=pg.user, password=pg.password, host=HOST, port=pg.port, database="vtc",
                                    ssl_context=ssl.create_default_context(cafile=str(ca)))


def statements(pg) -> list[str]:
    """Every statement the server has logged so far (simple and extended protocol)."""
    return re.findall(r"LOG:  (?:statement|execute [^:]*): (.*)", pg.log_file.read_text())


def test_the_server_refuses_connections_without_tls(ca_and_server):
    _, pg = ca_and_server
    with pytest.raises(pg8000.exceptions.DatabaseError, match="no encryption"):
        pg8000.native.Connection(user=pg.user, password=pg.password, host=HOST, port=pg.port, database="vtc",
                                 ssl_context=False)  # plain: no SSLRequest


@pytest.mark.usefixtures("trust_the_test_ca")
def test_the_handler_reads_the_secret_verifies_tls_and_bootstraps_then_does_nothing_the_second_time(
        ca_and_server, secret_arn, capsys):
    ca, pg = ca_and_server
    handshakes = pg.tls_connections
    first = handler.handler(event(secret_arn, pg), None)
    assert first["extension"] == "vector" and re.match(r"^\d+\.\d+\.\d+$", first["version"])
    assert first["changed"] == ["extension vector", "role vtc_app", "grant rds_iam to vtc_app", "schema vtc",
                                "search_path of vtc_app"]
    assert json.loads(capsys.readouterr().out) == first  # the function's log line
    second = handler.handler(event(secret_arn, pg), None)
    assert second == {**first, "changed": []}
    assert pg.tls_connections == handshakes + 2  # each invocation connected over verified TLS (no other way in)

    connection = admin(pg, ca)
    try:
        # The application role: may log in, has no password (IAM sign-in through rds_iam only), no privilege.
        assert connection.run("SELECT rolcanlogin, rolpassword, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls "
                              "FROM pg_authid WHERE rolname = 'vtc_app'") == [[True, None, False, False, False, False]]
        assert connection.run("SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
                              "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = 'vtc_app'") == [["rds_iam"]]
        assert connection.run("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'vtc'") == [
            ["vtc_app"]]
        # The handler closed its connections.
        assert connection.run("SELECT count(*) FROM pg_stat_activity WHERE usename = 'postgres' "
                              "AND pid <> pg_backend_pid() AND datname = 'vtc'") == [[0]]
    finally:
        connection.close()


def test_the_bundled_rds_roots_refuse_this_server_before_the_credentials_are_sent(ca_and_server, secret_arn):
    _, pg = ca_and_server
    # Without the seam the handler trusts only AWS's RDS roots, and the test's certificate does not chain to them.
    signed_in = pg.log_file.read_text().count("connection authorized")
    with pytest.raises(handler.BootstrapError, match=r"^cannot reach localhost:\d+: SSLCertVerificationError: "
                                                     r".*certificate verify failed: unable to get local issuer"):
        handler.handler(event(secret_arn, pg), None)
    assert pg.log_file.read_text().count("connection authorized") == signed_in  # no password was ever checked


@pytest.mark.usefixtures("trust_the_test_ca")
def test_a_certificate_for_another_host_name_is_refused(ca_and_server, secret_arn):
    _, pg = ca_and_server
    # The certificate names localhost; the same server reached as 127.0.0.1 is not the one named.
    with pytest.raises(handler.BootstrapError, match=r"^cannot reach 127\.0\.0\.1:\d+: SSLCertVerificationError: "
                                                     r".*IP address mismatch"):
        handler.handler(event(secret_arn, pg, host="127.0.0.1"), None)


@pytest.mark.usefixtures("trust_the_test_ca")
def test_a_missing_secret_is_one_clear_line(ca_and_server, secret_arn):
    _, pg = ca_and_server
    missing = secret_arn.rsplit(":", 1)[0] + ":rds!db-nothing-AbCdEf"
    with pytest.raises(handler.BootstrapError, match=rf"^cannot read the master secret {re.escape(missing)}: "
                                                     r".*ResourceNotFoundException"):
        handler.handler(event(secret_arn, pg, secret_arn=missing), None)


@pytest.mark.usefixtures("trust_the_test_ca")
@pytest.mark.parametrize("field, value", [
    ("app_role", "rds_superuser"), ("app_role", 'vtc"; DROP ROLE postgres; --'), ("app_schema", "Robert'); DROP"),
    ("app_schema", "public; DROP SCHEMA vtc"), ("database", ""), ("app_role", "rds_iam")])
def test_bad_identifiers_are_refused_before_any_statement_reaches_the_server(ca_and_server, secret_arn, field,
                                                                              value):
    _, pg = ca_and_server
    before = statements(pg)
    with pytest.raises(handler.BootstrapError, match=rf"^{field} .* is not allowed: use a lower-case SQL identifier"):
        handler.handler(event(secret_arn, pg, **{field: value}), None)
    # The handler signed in (the connection log shows it), and sent nothing: not one statement more in the log.
    assert statements(pg) == before


class _NotYetAllowed:
    """The emulator's real Secrets Manager client behind IAM that has not yet applied the function's new policy: the
    first ``refusals`` calls are refused as AWS refuses them (botocore's own ClientError, AccessDeniedException)."""

    def __init__(self, refusals: int):
        import boto3

        self.client, self.refusals, self.calls = boto3.client("secretsmanager"), refusals, 0

    def get_secret_value(self, **kwargs):
        from botocore.exceptions import ClientError

        self.calls += 1
        if self.calls <= self.refusals:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized yet"}},
                              "GetSecretValue")
        return self.client.get_secret_value(**kwargs)


def test_a_permission_not_yet_applied_is_waited_for(secret_arn):
    # The invocation follows the policy's creation at once (the function does not wait for it): IAM's seconds of
    # propagation are retried, 1 + 2 + 4 s here, and the secret is read.
    client, slept = _NotYetAllowed(refusals=3), []
    secret = handler.read_secret(client, secret_arn, sleep=slept.append)
    assert json.loads(secret["SecretString"])["username"] and client.calls == 4 and slept == [1.0, 2.0, 4.0]


def test_a_refusal_that_outlasts_the_patience_is_one_clear_line(secret_arn):
    client, slept = _NotYetAllowed(refusals=100), []
    with pytest.raises(handler.BootstrapError, match=rf"^cannot read the master secret {re.escape(secret_arn)}: .*"
                                                     r"AccessDeniedException.* \(still refused after 31 s\)$"):
        handler.read_secret(client, secret_arn, patience=60, sleep=slept.append)
    assert slept == [1.0, 2.0, 4.0, 8.0, 16.0] and client.calls == 6


def test_other_failures_are_not_retried(secret_arn):
    slept = []
    missing = secret_arn.rsplit(":", 1)[0] + ":rds!db-nothing-AbCdEf"
    with pytest.raises(handler.BootstrapError, match="ResourceNotFoundException"):
        handler.read_secret(_NotYetAllowed(refusals=0), missing, sleep=slept.append)
    assert slept == []
