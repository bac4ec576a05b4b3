"""The engines a cluster test runs its hosts on: its own PostgreSQL and Redis, started on free
loopback ports in temporary directories, so a test may stop, kill or restart them. The
machine's own PostgreSQL and Redis, which CI and other tests use, are never touched."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

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

    def __init__(self):
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

    def start(self) -> None:
        # fsync off: a test's database need not survive the machine losing power.
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off " \
                  f"-c unix_socket_directories={self.base} -c max_connections=200"
        out = _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                            "-l", str(self.base / "postgres.log"), "-w", "-t", "60", "start"],
                           timeout=90)
        if out.returncode:
            raise RuntimeError(f"PostgreSQL did not start: {out.stderr[-2000:]}")

    def stop(self, mode: str = "fast") -> None:
        _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w",
                      "stop"], timeout=90)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


class Redis:
    """A redis-server of the test's own; nothing kept on disk, like the machine's."""

    def __init__(self):
        self.port = free_port()
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

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
