"""The bootstrap's TLS: it sends the master credentials only to a server whose certificate chains to AWS's RDS CAs
and names the host (issue 12, item 9). The bundled CAs are checked as their README says they were."""

from __future__ import annotations

import datetime
import hashlib
import re
import socket
import ssl
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from vtc_constructs.pgvector_bootstrap import handler

BUNDLE = Path(handler.__file__).with_name("rds-global-bundle.pem")
README = BUNDLE.with_name("README.md")
BUNDLE_SHA256 = "05c6b4a9bf4daa95c888711481e19cc8e2e11aed4de8db759f51f4a6fce64917"
CN = re.compile(r"^Amazon RDS (Beta |Preview )?[a-z]{2}-[a-z]+-\d Root CA (RSA2048|RSA4096|ECC384) G1$")


def bundle_certificates() -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(BUNDLE.read_bytes())


def test_the_bundle_is_the_reviewed_file():
    assert hashlib.sha256(BUNDLE.read_bytes()).hexdigest() == BUNDLE_SHA256
    assert BUNDLE_SHA256 in README.read_text()


def test_every_bundled_certificate_is_an_aws_rds_root_ca_listed_in_the_readme():
    certificates = bundle_certificates()
    assert len(certificates) == 102
    readme = README.read_text()
    now = datetime.datetime.now(datetime.timezone.utc)
    for cert in certificates:
        subject = {a.oid: a.value for a in cert.subject}
        assert subject[NameOID.ORGANIZATION_NAME] == "Amazon Web Services, Inc.", cert.subject
        assert subject[NameOID.ORGANIZATIONAL_UNIT_NAME] == "Amazon RDS", cert.subject
        assert CN.match(subject[NameOID.COMMON_NAME]), cert.subject
        assert cert.issuer == cert.subject  # a root: self-issued ...
        cert.verify_directly_issued_by(cert)  # ... and self-signed (raises otherwise)
        assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        assert cert.not_valid_before_utc < now < cert.not_valid_after_utc
        fingerprint = cert.fingerprint(hashes.SHA256()).hex(":").upper()
        assert f"`{fingerprint}`" in readme, subject[NameOID.COMMON_NAME]


def test_the_context_trusts_exactly_the_rds_cas_and_checks_the_host_name():
    context = handler.rds_ssl_context()
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    trusted = context.get_ca_certs()
    assert len(trusted) == 102
    assert all(dict(pair[0] for pair in ca["subject"])["organizationalUnitName"] == "Amazon RDS" for ca in trusted)


def test_a_missing_bundle_stops_the_bootstrap_before_any_credential_is_sent(tmp_path):
    with pytest.raises(handler.BootstrapError, match=r"^the RDS CA bundle nothing\.pem is missing from the "
                                                     r"function's package"):
        handler.rds_ssl_context(tmp_path / "nothing.pem")


# --- a real handshake against a local TLS server --------------------------------------------------------------------

def _certificate(subject: str, key, issuer_name: x509.Name, issuer_key, *, ca: bool, host: str | None = None):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(issuer_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if host:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """A TLS server on loopback whose certificate, for ``db.example.internal``, comes from a CA of its own (as an
    impostor's would). Yields (port, path of that CA's PEM)."""
    folder = tmp_path_factory.mktemp("tls")
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Not an RDS CA")])
    ca = _certificate("Not an RDS CA", ca_key, ca_name, ca_key, ca=True)
    server = _certificate("db.example.internal", server_key, ca_name, ca_key, ca=False, host="db.example.internal")
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "server.pem", folder / "server.key")
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            try:
                with context.wrap_socket(connection, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass  # the client refused the certificate: what the tests expect

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], folder / "ca.pem"
    stop.set()
    thread.join(timeout=5)
    listener.close()


def _handshake(context: ssl.SSLContext, port: int, host: str) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=host):
            pass


def test_a_server_without_an_rds_certificate_is_refused(tls_server):
    port, _ = tls_server
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        _handshake(handler.rds_ssl_context(), port, "db.example.internal")


def test_the_same_checks_accept_a_trusted_certificate_for_the_right_host_only(tls_server):
    port, ca = tls_server
    _handshake(handler.rds_ssl_context(ca), port, "db.example.internal")
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        _handshake(handler.rds_ssl_context(ca), port, "other.example.internal")
