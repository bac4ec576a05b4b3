"""A streaming read replica (DATABASE_REPLICA_URL): anonymous readers' pages are made from it;
signed-in readers, fresh writers and a lagging replica read the primary. The replica's own
statement log tells which server a page was made from."""

from __future__ import annotations

import os
import secrets
import subprocess
import time

import pytest

from tests.cluster.conftest import NEWSROOM, Host
from tests.engines import Postgres, Redis
from tests.serving import BIN, get

PAGE_QUERY = 'FROM "wagtailcore_page"'


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    primary, standby, redis = Postgres(), Postgres("log_statement=all"), Redis()
    host = None
    try:
        primary.init()
        standby.init_standby(primary)
        redis.start()
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
        env.update(DATABASE_URL=primary.url, DATABASE_REPLICA_URL=standby.url,
                   REDIS_URL=redis.url, BROADSHEET_SECRET_KEY=secrets.token_urlsafe(40))
        host = Host("1", tmp_path_factory.mktemp("replica-host"), env)
        host.env["BROADSHEET_BASE_URL"] = host.url
        subprocess.run([BIN, "setup", "--no-demo"], env=host.env, check=True,
                       capture_output=True, timeout=600)
        host.shell(NEWSROOM)
        host.start()
        time.sleep(3.5)  # past the newsroom's purges
        yield host, primary, standby
    finally:
        if host is not None:
            host.stop()
        redis.stop()
        standby.remove()
        primary.remove()


def made_from_replica(standby, url: str, headers: dict | None = None) -> tuple[bool, str]:
    before = len(standby.log())
    status, _, body = get(url, headers)
    assert status == 200, status
    time.sleep(0.2)  # the log is written as the statements run
    return PAGE_QUERY in standby.log()[before:], body.decode()


def test_anonymous_pages_are_made_from_the_replica(site):
    host, _, standby = site
    assert made_from_replica(standby, host.url + "/metro/?page=1")[0]


def test_signed_in_and_freshly_writing_readers_read_the_primary(site):
    host, _, standby = site
    assert not made_from_replica(standby, host.url + "/metro/?page=1&sort=a",
                                 {"Cookie": "sessionid=someone"})[0]
    assert not made_from_replica(standby, host.url + "/metro/?page=1&sort=b",
                                 {"Cookie": "bs_primary=1"})[0]


PUBLISH = """
from broadsheet.articles.models import ArticlePage
from broadsheet.sections.models import SectionPage
metro = SectionPage.objects.get(slug="metro")
story = metro.add_child(instance=ArticlePage(title="Replica paused", slug="replica-paused"))
story.save_revision().publish()
"""


def test_a_replica_that_falls_behind_is_not_read_and_readers_see_the_change(site):
    host, _, standby = site
    standby.sql("SELECT pg_wal_replay_pause()")
    try:
        host.shell(PUBLISH)
        time.sleep(3.5)  # past the purge: only the lag keeps the replica out
        from_replica, page = made_from_replica(standby, host.url + "/metro/?page=1&sort=c")
        assert not from_replica and "Replica paused" in page
    finally:
        standby.sql("SELECT pg_wal_replay_resume()")
    deadline = time.monotonic() + 10
    while not made_from_replica(standby, host.url + f"/metro/?page=1&q={time.time_ns()}")[0]:
        assert time.monotonic() < deadline, "the replica was not used again once it caught up"
        time.sleep(0.5)
