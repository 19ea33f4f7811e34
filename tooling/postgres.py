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
import subprocess
import tempfile
from pathlib import Path

from pgserver._commands import POSTGRES_BIN_PATH
from pgserver.utils import ensure_user_exists


class LocalPostgres:
    user = "postgres"

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.data = self.workdir / "pgdata"
        self.host = "127.0.0.1"
        with socket.socket() as sock:
            sock.bind((self.host, 0))
            self.port = sock.getsockname()[1]
        self.password = secrets.token_urlsafe(16)
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
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.workdir / "postgres.log"), "-w", "-t", "60",
                  "-o", f"-h {self.host} -p {self.port} -k {self.workdir}", "start")
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.workdir if self._owns_workdir else self.data, ignore_errors=True)
