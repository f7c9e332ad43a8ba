"""A private PostgreSQL server for tests: Debian's `postgresql` binaries (scripts/bootstrap.sh
--tests installs them), a fresh cluster in a temporary folder, run as the unprivileged `postgres`
user (PostgreSQL refuses root), listening on 127.0.0.1 only, with password (SCRAM) login.
Every wait is bounded; `stop()` ends the server."""
from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

INSTALL = "./scripts/bootstrap.sh --tests (it runs: apt-get install postgresql)"


def bindir() -> Path:
    """Where initdb and postgres are; AssertionError naming the install command when nowhere."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    if shutil.which("initdb") and shutil.which("postgres"):
        return Path(shutil.which("initdb")).parent
    raise AssertionError(f"no PostgreSQL server binaries (initdb, postgres) on this machine: run {INSTALL}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, user: str = "grader") -> None:
        self.bin = bindir()
        self.user = user
        self.password = "pw-" + secrets.token_hex(12)  # what must never show anywhere
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="autograder-pg-"))
        self.proc: subprocess.Popen | None = None
        try:
            self.os_user = pwd.getpwnam("postgres")
        except KeyError:
            self.os_user = pwd.getpwnam("nobody")

    def _as_user(self) -> list[str]:
        if os.geteuid() != 0:
            return []
        return ["setpriv", f"--reuid={self.os_user.pw_uid}", f"--regid={self.os_user.pw_gid}", "--clear-groups"]

    def start(self) -> "PostgresServer":
        data, pwfile = self.folder / "data", self.folder / "pw"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            os.chown(self.folder, self.os_user.pw_uid, self.os_user.pw_gid)
            os.chown(pwfile, self.os_user.pw_uid, self.os_user.pw_gid)
        os.chmod(pwfile, 0o600)
        subprocess.run([*self._as_user(), str(self.bin / "initdb"), "-D", str(data), "-U", self.user, "-E", "UTF8",
                        "--auth=scram-sha-256", f"--pwfile={pwfile}", "--no-sync", "--locale=C"],
                       check=True, capture_output=True, timeout=120)
        pwfile.unlink()
        log = (self.folder / "server.log").open("wb")
        self.proc = subprocess.Popen(
            [*self._as_user(), str(self.bin / "postgres"), "-D", str(data), "-c", "listen_addresses=127.0.0.1",
             "-c", f"port={self.port}", "-c", f"unix_socket_directories={self.folder}", "-c", "fsync=off",
             "-c", "max_connections=60"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not start: {(self.folder / 'server.log').read_text()[-2000:]}")
                time.sleep(0.1)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + 60
        while True:
            try:
                psycopg.connect(self.dsn("postgres"), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def dsn(self, db: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={self.user} password={self.password} dbname={db}"

    def url(self, db: str) -> str:
        """The SQLAlchemy URL of database `db`, password included (keep it off command lines)."""
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{db}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGINT)  # fast shutdown
                self.proc.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            self.proc = None
        shutil.rmtree(self.folder, ignore_errors=True)
