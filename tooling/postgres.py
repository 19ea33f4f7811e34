"""A real PostgreSQL 16 with pgvector (the binaries the ``pgserver`` wheel ships), on 127.0.0.1, with passwords.

Usage::

    with LocalPostgres(tmp_path) as pg:
        pg.host, pg.port, pg.user, pg.password

Unlike ``pgserver.get_server`` (unix socket, trust authentication), this listens on a loopback TCP port and
requires SCRAM passwords, so wrong credentials fail as they do on RDS. As root, the server runs as the system user
``pgserver`` (PostgreSQL refuses to run as root), in a private folder of its own under the system temp dir instead of
``workdir``. Stopped, and its data removed, when the block ends.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from pathlib import Path

from pgserver._commands import POSTGRES_BIN_PATH
from pgserver.utils import ensure_user_exists


class LocalPostgres:
    user = "postgres"

    def __init__(self, workdir: Path, *, tls: tuple[bytes, bytes] | None = None, log_statements: bool = False):
        """``tls``: (certificate chain PEM, private key PEM): :attr:`port` then accepts only TLS connections. The
        pgserver build has no SSL support, so a TLS front (:class:`TlsFront`, PostgreSQL's own SSLRequest
        negotiation, then TLS with that certificate) listens on :attr:`port` and relays to the server on another
        loopback port; :attr:`tls_connections` counts the handshakes it completed.
        ``log_statements``: every statement the server receives goes to :attr:`log_file` (``log_statement=all``)."""
        self.tls = tls
        self.log_statements = log_statements
        self.workdir = Path(workdir)
        self.data = self.workdir / "pgdata"
        self.host = "127.0.0.1"
        with socket.socket() as sock:
            sock.bind((self.host, 0))
            self.port = sock.getsockname()[1]
        self.password = secrets.token_urlsafe(16)
        self._front: TlsFront | None = None
        self._server_port = self.port
        self._run_as = None
        self._owns_workdir = False

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([str(POSTGRES_BIN_PATH / args[0]), *args[1:]], capture_output=True, text=True,
                                user=self._run_as, timeout=120, cwd=self.workdir)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stdout}\n{result.stderr}")
        return result

    def __enter__(self) -> "LocalPostgres":
        if os.geteuid() == 0:
            entry = ensure_user_exists("pgserver")
            self._run_as = entry.pw_name
            # A folder of the server's own in the system temp dir: the caller's folder may sit in a private tree
            # (pytest's is mode 0700, and pytest resets that mode when another session starts), and opening that
            # tree to another user would be wrong anyway.
            self.workdir = Path(tempfile.mkdtemp(prefix="vtc-postgres-"))
            self.data = self.workdir / "pgdata"
            self._owns_workdir = True
            os.chown(self.workdir, entry.pw_uid, entry.pw_gid)
        self.workdir.mkdir(parents=True, exist_ok=True)
        password_file = self.workdir / "pwfile"
        password_file.write_text(self.password)
        if self._run_as is not None:
            os.chown(password_file, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", self.user, "--auth=scram-sha-256",
                  f"--pwfile={password_file}", "--encoding=UTF8", "--no-instructions")
        password_file.unlink()
        options = f"-h {self.host} -p {self._server_port} -k {self.workdir}"
        if self.log_statements:
            options += " -c log_statement=all -c log_connections=on"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_file), "-w", "-t", "60", "-o", options, "start")
        if self.tls:
            self._front = TlsFront(self.host, self._server_port, *self.tls).start()
            self.port = self._front.port
        return self

    @property
    def tls_connections(self) -> int:
        return self._front.handshakes if self._front else 0

    @property
    def log_file(self) -> Path:
        """The server's log (statements too, with ``log_statements``)."""
        return self.workdir / "postgres.log"

    def __exit__(self, *exc) -> None:
        if self._front:
            self._front.stop()
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.workdir if self._owns_workdir else self.data, ignore_errors=True)


class TlsFront:
    """PostgreSQL's TLS, in front of a server built without it, on loopback: answers a client's SSLRequest with
    ``S``, completes the TLS handshake with the given certificate, then relays bytes to the server. A client that
    starts without TLS gets PostgreSQL's own refusal (FATAL 28000), as ``hostssl``-only authentication gives."""

    SSL_REQUEST = (8).to_bytes(4, "big") + (80877103).to_bytes(4, "big")

    def __init__(self, host: str, server_port: int, chain: bytes, key: bytes):
        self.host, self.server_port = host, server_port
        self.handshakes = 0
        folder = Path(tempfile.mkdtemp(prefix="vtc-tls-front-"))
        try:
            (folder / "chain.pem").write_bytes(chain)
            (folder / "key.pem").write_bytes(key)
            self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._context.load_cert_chain(folder / "chain.pem", folder / "key.pem")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        self._listener = socket.create_server((host, 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> "TlsFront":
        self._spawn(self._accept)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join(timeout=5)
        self._listener.close()

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._spawn(self._serve, client)

    def _serve(self, client: socket.socket) -> None:
        with client:
            client.settimeout(10)
            try:
                if self._read(client, 8) != self.SSL_REQUEST:
                    fields = b"SFATAL\0C28000\0Mno encryption: this server accepts TLS connections only\0\0"
                    client.sendall(b"E" + (len(fields) + 4).to_bytes(4, "big") + fields)
                    while client.recv(4096):  # until the client hangs up, as the server does after a FATAL
                        pass
                    return
                client.sendall(b"S")
                with self._context.wrap_socket(client, server_side=True) as secure:
                    self.handshakes += 1
                    with socket.create_connection((self.host, self.server_port), timeout=10) as server:
                        secure.settimeout(0.2)
                        server.settimeout(0.2)
                        self._relay(secure, server)
            except (ssl.SSLError, OSError, ConnectionError):
                return  # a refused handshake or a closed peer: the connection ends, as the server would end it

    def _relay(self, a: socket.socket, b: socket.socket) -> None:
        import selectors

        with selectors.DefaultSelector() as selector:
            selector.register(a, selectors.EVENT_READ, b)
            selector.register(b, selectors.EVENT_READ, a)
            while not self._stop.is_set():
                pending = [(key.fileobj, key.data) for key, _ in selector.select(timeout=0.2)]
                if isinstance(a, ssl.SSLSocket) and a.pending():
                    pending.append((a, b))
                for source, target in pending:
                    try:
                        data = source.recv(65536)
                    except TimeoutError:
                        continue
                    if not data:
                        return
                    target.sendall(data)

    @staticmethod
    def _read(sock: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = sock.recv(size - len(data))
            if not chunk:
                break
            data += chunk
        return data
