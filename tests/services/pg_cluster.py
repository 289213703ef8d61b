"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary folder, a free loopback port, password auth.

The server binaries of the machine are used (`/usr/lib/postgresql/*/bin` or PATH); without them the server tests
skip with that reason. PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
The tests reach it as a real client would: over TCP with a SCRAM password read by libpq from a PGPASSFILE.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "kontor_test"
SERVICE_USER = "postgres"  # who runs the server when the tests run as root


def server_binaries() -> Path | None:
    """The folder of initdb and pg_ctl: the newest installed PostgreSQL, else PATH."""
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


def unavailable_reason() -> str | None:
    """Why no cluster can be started here, or None."""
    if server_binaries() is None:
        return "no PostgreSQL server binaries (initdb, pg_ctl) on this machine"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: PostgreSQL refuses to run as root"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            return f"running as root and there is no {SERVICE_USER} user to run PostgreSQL"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """One running cluster; `url(database)` is a Kontor ledger URL for a database in it."""

    def __init__(self, root: Path | None = None, port: int | None = None) -> None:
        """A new cluster in a temporary folder, or the one kept in `root` (made there the first time)."""
        binaries = server_binaries()
        assert binaries is not None
        self.binaries = binaries
        self.root = root or Path(tempfile.mkdtemp(prefix="kontor-pg-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        self.data = self.root / "data"
        self.port = port or _free_port()
        self.passfile = self.root / "pgpass"
        self._as_service = os.geteuid() == 0
        self._throwaway = root is None  # a test cluster trades durability for speed; a kept one does not
        if self.passfile.exists():
            self.password = self.passfile.read_text(encoding="utf-8").strip().rsplit(":", 1)[1]
        else:
            self.password = secrets.token_hex(16)
        self.passfile.write_text(f"127.0.0.1:{self.port}:*:{SUPERUSER}:{self.password}\n", encoding="utf-8")
        self.passfile.chmod(0o600)
        if self._as_service:
            shutil.chown(self.root, SERVICE_USER)
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        self.start()

    def _initdb(self) -> None:
        secret = self.root / "initdb-password"
        secret.write_text(self.password, encoding="utf-8")
        if self._as_service:
            shutil.chown(secret, SERVICE_USER)
        try:
            self._run(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                f"--pwfile={secret}",
                "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            )
        finally:
            secret.unlink()

    def start(self) -> None:
        """Start the server unless it runs already."""
        if self._run("pg_ctl", "-D", str(self.data), "status", check=False) == 0:
            return
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories='' -c max_connections=100"
        if self._throwaway:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "server.log"), "-w", "start")

    def _run(self, program: str, *args: str, check: bool = True) -> int:
        command = [str(self.binaries / program), *args]
        if self._as_service:
            command = ["runuser", "-u", SERVICE_USER, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, cwd=self.root, timeout=120).returncode

    def url(self, database: str) -> str:
        """A ledger URL for `database`: TLS lowered explicitly, as Kontor allows for localhost only."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def admin(self, statement: str) -> None:
        """Run `statement` (CREATE/DROP DATABASE, roles) as the superuser, outside a transaction."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=SUPERUSER,
            dbname="postgres",
            password=self.password,
            autocommit=True,
            sslmode="disable",
        ) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """A new, empty (or copied) database; returns its ledger URL."""
        self.admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def stop(self, *, remove: bool = True) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate" if remove else "fast", "-w", "stop")
        finally:
            if remove:
                shutil.rmtree(self.root, ignore_errors=True)


def _demo(root: Path, port: int, database: str) -> None:
    """`make demo-server`: a cluster kept in `root`, with an empty database for the demo ledger (made once)."""
    import psycopg

    cluster = Cluster(root, port)
    try:
        cluster.create_database(database)
    except psycopg.errors.DuplicateDatabase:
        pass
    print(cluster.url(database))


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["demo"]:
        _demo(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif sys.argv[1:2] == ["stop"]:
        Cluster(Path(sys.argv[2]), int(sys.argv[3])).stop(remove=False)
    else:
        raise SystemExit("usage: pg_cluster.py demo FOLDER PORT DATABASE | stop FOLDER PORT")
