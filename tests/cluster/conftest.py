"""Three `broadsheet serve` hosts, each with its own data directory and port, on one
PostgreSQL and one Redis of the tests' own, as a newsroom runs them behind a load balancer.

Runs on the PostgreSQL profile of `make test` (DATABASE_URL and REDIS_URL set); the engines
it uses are its own instances, never the machine's."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from tests.engines import REDIS, Postgres, Redis, postgres_bin
from tests.serving import BIN, free_port, get, start_server
from tests.test_edge_varnish import VARNISHD, start_varnish

if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
    pytest.skip("the cluster tests run on the PostgreSQL + Redis profile (make test)",
                allow_module_level=True)
if postgres_bin() is None or not os.path.exists(REDIS):
    pytest.skip("PostgreSQL's server binaries or redis-server are not installed",
                allow_module_level=True)

NEWSROOM = """
from broadsheet.articles.models import ArticlePage
from broadsheet.frontpage.models import HomePage
from broadsheet.sections.models import SectionPage
home = HomePage.objects.get()
metro = home.add_child(instance=SectionPage(title="Metro", slug="metro"))
metro.save_revision().publish()
# Pre-moderated: a reader's comment waits for a moderator (on another host, in the tests).
story = metro.add_child(instance=ArticlePage(title="Harbour wall repaired",
                                             slug="harbour-wall", summary="In one line.",
                                             comments=ArticlePage.Comments.PREMODERATED))
story.save_revision().publish()
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
User = get_user_model()
for name, group in (("reader", None), ("mod", "Moderators")):
    user = User.objects.create_user(f"{name}@example.org", f"{name}@example.org",
                                    "a-long-pass-123")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
print(story.pk)
"""


def varnish_installed() -> bool:
    return os.path.exists(VARNISHD) and subprocess.run(
        ["dpkg", "-s", "varnish-modules"], capture_output=True).returncode == 0


class Host:
    def __init__(self, name: str, data: Path, env: dict):
        self.name, self.data = name, data
        self.port = free_port()
        self.env = {**env, "BROADSHEET_DATA_DIR": str(data)}
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        # One granian worker each: three hosts share the machine's 2 cores.
        self.proc = start_server(self.env, self.port, args=("--workers", "1"), timeout=60)

    def kill(self) -> None:
        """SIGKILL the whole host: its server and workers, as a machine lost."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def owns(self, pid: int) -> bool:
        try:
            return self.proc is not None and os.getpgid(pid) == self.proc.pid
        except ProcessLookupError:
            return False

    def shell(self, code: str) -> str:
        out = subprocess.run([BIN, "shell", "-c", code], env=self.env, capture_output=True,
                             text=True, timeout=120)
        if out.returncode:
            pytest.fail(f"shell on host {self.name} failed: {out.stderr[-2000:]}")
        return out.stdout


class Cluster:
    def __init__(self, base: Path, s3_server=None):
        self.s3 = s3_server
        self.pg = Postgres()
        self.redis = Redis()
        self.base = base
        self.hosts: list[Host] = []
        self.varnish: subprocess.Popen | None = None
        self.edge: str | None = None  # the address readers use, when Varnish is installed

    def sql(self, query: str, params=()) -> list[tuple]:
        with psycopg.connect(self.pg.url.replace("postgres://", "postgresql://"),
                             autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def start(self) -> None:
        self.pg.init()
        self.redis.start()
        common = {k: v for k, v in os.environ.items()
                  if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE",
                               "BROADSHEET_DATA_DIR")}
        common.update(
            DATABASE_URL=self.pg.url, REDIS_URL=self.redis.url,
            BROADSHEET_SECRET_KEY=secrets.token_urlsafe(40),
            BROADSHEET_TASKS="database", BROADSHEET_WORKER_LOST_AFTER="6",
            BROADSHEET_CACHE_PREFIX="cluster")
        if self.s3 is not None:  # media (and renditions) in a bucket every host shares
            self.bucket = self.s3.new_bucket()
            common.update(self.s3.environ(self.bucket))
        for n in (1, 2, 3):
            data = self.base / f"host{n}"
            data.mkdir()
            self.hosts.append(Host(str(n), data, common))
        if varnish_installed():
            # The edge in front, sharing the load over the three hosts; started first so
            # the purges of setting the newsroom up reach it.
            port = free_port()
            vcl = self.base / "broadsheet.vcl"
            backends = [a for h in self.hosts for a in ("--backend", f"127.0.0.1:{h.port}")]
            vcl.write_text(subprocess.run([BIN, "edge", "vcl", *backends], check=True,
                                          capture_output=True, text=True,
                                          env=self.hosts[0].env).stdout)
            self.varnish = start_varnish(vcl, port, self.base / "varnish")
            self.edge = f"http://127.0.0.1:{port}"
            for host in self.hosts:
                host.env["BROADSHEET_EDGE"] = f"varnish://127.0.0.1:{port}"
        for host in self.hosts:
            host.env["BROADSHEET_BASE_URL"] = self.edge or self.hosts[0].url
            out = subprocess.run([BIN, "setup", "--no-demo"], env=host.env,
                                 capture_output=True, text=True, timeout=600)
            if out.returncode:
                pytest.fail(f"setup on host {host.name} failed: {out.stderr[-3000:]}")
        self.story_id = int(self.hosts[0].shell(NEWSROOM).split()[-1])
        for host in self.hosts:
            host.start()
        if self.edge:
            deadline = time.monotonic() + 20
            while get(self.edge + "/robots.txt")[0] != 200:
                assert time.monotonic() < deadline, "Varnish never found the hosts healthy"
                time.sleep(0.2)

    def stop(self) -> None:
        if self.varnish is not None:
            os.killpg(self.varnish.pid, signal.SIGTERM)
            self.varnish.wait(10)
        for host in self.hosts:
            host.stop()
        self.redis.stop()
        self.pg.remove()


@pytest.fixture(scope="package")
def cluster(tmp_path_factory, s3_server):
    made = Cluster(tmp_path_factory.mktemp("cluster"), s3_server)
    try:
        made.start()
        yield made
    finally:
        made.stop()
        shutil.rmtree(made.base, ignore_errors=True)
