"""Engines of the tests' own: PostgreSQL and Redis servers started on free loopback ports in
temporary directories, so a test may stop, kill or restart them, and fresh databases on the
suite's PostgreSQL. The machine's own servers, which CI and other tests use, are never
stopped."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from tests.serving import free_port


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_postgres(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    # PostgreSQL refuses to run as root; the tests run as root on CI machines.
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, capture_output=True, text=True, **kwargs)


class Postgres:
    """A PostgreSQL server of the test's own (initdb + pg_ctl, trust auth on loopback)."""

    def __init__(self, *options: str):
        self.options = options  # more `-c name=value` settings for the server
        self.bin = postgres_bin()
        # Not under pytest's temporary directories: they are private to root, and the server
        # runs as postgres.
        self.base = Path(tempfile.mkdtemp(prefix="broadsheet-pg-"))
        self.base.chmod(0o755)
        self.data = self.base / "pgdata"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/broadsheet"

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        out = _as_postgres([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                            "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"],
                           timeout=120)
        if out.returncode:
            raise RuntimeError(f"initdb failed: {out.stderr[-2000:]}")
        self.start()
        out = _as_postgres([str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                            "-U", "postgres", "broadsheet"], timeout=60)
        if out.returncode:
            raise RuntimeError(f"createdb failed: {out.stderr[-2000:]}")

    def init_standby(self, primary: Postgres) -> None:
        """A streaming replica of `primary`: a base backup, then started as a standby."""
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        out = _as_postgres([str(self.bin / "pg_basebackup"), "-h", "127.0.0.1", "-p",
                            str(primary.port), "-U", "postgres", "-D", str(self.data), "-R",
                            "-X", "stream", "--no-sync", "--checkpoint=fast"], timeout=120)
        if out.returncode:
            raise RuntimeError(f"pg_basebackup failed: {out.stderr[-2000:]}")
        self.start()

    def sql(self, query: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/broadsheet",
                             autocommit=True) as conn:
            cursor = conn.execute(query)
            return cursor.fetchall() if cursor.description else []

    def start(self) -> None:
        # fsync off: a test's database need not survive the machine losing power.
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off " \
                  f"-c unix_socket_directories={self.base} -c max_connections=200 " \
                  + " ".join(f"-c {o}" for o in self.options)
        out = _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                            "-l", str(self.base / "postgres.log"), "-w", "-t", "60", "start"],
                           timeout=90)
        if out.returncode:
            raise RuntimeError(f"PostgreSQL did not start: {out.stderr[-2000:]}")

    def stop(self, mode: str = "fast") -> None:
        _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w",
                      "stop"], timeout=90)

    def log(self) -> str:
        return (self.base / "postgres.log").read_text(errors="replace")

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


class Redis:
    """A redis-server of the test's own; nothing kept on disk, like the machine's."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if subprocess.run(["redis-cli", "-p", str(self.port), "ping"],
                              capture_output=True, text=True).stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    stop = kill  # nothing on disk to save: stopping is killing

    def keys(self) -> int:
        return int(subprocess.run(["redis-cli", "-p", str(self.port), "dbsize"],
                                  capture_output=True, text=True, check=True).stdout)


@contextlib.contextmanager
def fresh_database(prefix: str):
    """A database of its own on the suite's PostgreSQL (DATABASE_URL names the server),
    created through its maintenance database and dropped at the end; yields its URL."""
    import psycopg

    admin_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {admin_url}: {exc}")
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_server():
    """A redis-server of the test's own, for tests that kill, pause or restart it."""
    if not os.path.exists(REDIS):
        pytest.skip("redis-server is not installed")
    server = Redis()
    server.start()
    yield server
    if server.proc.poll() is None:
        os.kill(server.proc.pid, signal.SIGCONT)  # a test may have paused it
        server.kill()
