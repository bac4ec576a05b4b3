"""A Redis outage does not take the site down: the shared cache is a cache.

Each test starts its own redis-server on a free loopback port and kills, pauses or restarts
it; the machine's own Redis is never touched.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time

import pytest

from broadsheet import sharedcache
from broadsheet.sharedcache import CacheUnavailable, ResilientRedisCache
from tests.comments_support import post
from tests.engines import fresh_database
from tests.serving import (
    BIN,
    free_port,
    get,
    publish_story_script,
    shell,
    start_server,
    stop_server,
)


@pytest.fixture
def cache(redis_server, monkeypatch):
    monkeypatch.setattr(sharedcache, "PROBE_SECONDS", 0.2)
    return ResilientRedisCache(f"redis://127.0.0.1:{redis_server.port}/0",
                               {"KEY_PREFIX": "t", "OPTIONS": {"socket_timeout": 0.3}})


def test_a_dead_redis_is_a_miss_logged_once_a_minute(cache, redis_server, caplog):
    cache.set("k", "v")
    assert cache.get("k") == "v"
    redis_server.kill()
    caplog.set_level(logging.ERROR, logger="broadsheet.cache")
    for _ in range(5):
        assert cache.get("k", "default") == "default"
        assert cache.get_many(["k"]) == {}
        cache.set("k", "w")  # dropped, without raising
        cache.delete("k")
        assert cache.get_or_set("g", lambda: "computed") == "computed"
    logged = [r for r in caplog.records if r.name == "broadsheet.cache"]
    assert len(logged) == 1 and "unreachable" in logged[0].getMessage()


def test_counting_fails_closed(cache, redis_server):
    assert cache.incr("n", 1) if cache.add("n", 0) else False
    redis_server.kill()
    with pytest.raises(CacheUnavailable):
        cache.incr("n")
    with pytest.raises(CacheUnavailable):
        cache.add("m", 1)


def test_redis_coming_back_is_used_again_emptied_first(cache, redis_server):
    """Paused, Redis keeps what it held; a delete dropped meanwhile must not let that stale
    value be read once it answers again."""
    cache.set("restricted-paths", "old")
    os.kill(redis_server.proc.pid, signal.SIGSTOP)
    try:
        cache.delete("restricted-paths")  # times out: dropped
        assert cache.get("restricted-paths") is None
    finally:
        os.kill(redis_server.proc.pid, signal.SIGCONT)
    time.sleep(0.3)  # one probe period
    assert cache.get("restricted-paths") is None  # emptied on return, not "old"
    cache.set("restricted-paths", "new")
    assert cache.get("restricted-paths") == "new"


def test_a_dead_redis_is_not_asked_on_every_request(cache, redis_server, monkeypatch):
    redis_server.kill()
    monkeypatch.setattr(sharedcache, "PROBE_SECONDS", 60)
    cache.get("k")  # fails, and marks Redis down
    started = time.perf_counter()
    for _ in range(1000):
        cache.get("k")
    # No connection attempts: a thousand misses cost what a thousand dict lookups do.
    assert time.perf_counter() - started < 0.5


def test_posting_a_comment_waits_while_counts_cannot_be_kept(client, story, make_reader,
                                                              settings, redis_server):
    """The rate limits count in the shared cache (production profile): with it down the post
    is refused with 503 and kept, not let through uncounted."""
    from broadsheet.comments.models import Comment

    settings.CACHES = {**settings.CACHES, "default": {
        "BACKEND": "broadsheet.sharedcache.ResilientRedisCache",
        "LOCATION": f"redis://127.0.0.1:{redis_server.port}/0"}}
    settings.BROADSHEET_COMMENTS = {**settings.BROADSHEET_COMMENTS, "RATE_COUNTER_DIR": None}
    redis_server.kill()
    client.force_login(make_reader("poster"))
    response = post(client, story, "Kept, not lost.")
    assert response.status_code == 503
    assert "try again in a" in response.content.decode()
    assert "Kept, not lost." in response.content.decode()
    assert not Comment.objects.filter(body="Kept, not lost.").exists()


# End to end: `broadsheet serve` on PostgreSQL with a Redis that dies and comes back ---------

SCENE = publish_story_script("Lights back on", "lights-back-on", section="World")


@pytest.fixture
def production_site(tmp_path, redis_server):
    """A fresh database of its own on the machine's PostgreSQL (created and dropped here)."""
    if not os.environ.get("DATABASE_URL"):
        pytest.skip("runs in the suite's PostgreSQL run (DATABASE_URL names the server)")
    port = free_port()
    with fresh_database("broadsheet_outage") as url:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env.update(BROADSHEET_DATA_DIR=str(tmp_path / "data"),
                   BROADSHEET_BASE_URL=f"http://127.0.0.1:{port}", DATABASE_URL=url,
                   REDIS_URL=f"redis://127.0.0.1:{redis_server.port}/0",
                   BROADSHEET_CACHE_PREFIX=url.rsplit("/", 1)[1])
        subprocess.run([BIN, "setup", "--no-demo"], env=env, check=True, capture_output=True,
                       timeout=300)
        shell(env, SCENE)
        server = start_server(env, port, probe="/")
        yield f"http://127.0.0.1:{port}", env
        stop_server(server)


def test_the_site_serves_through_a_redis_outage_and_recovers(production_site, redis_server):
    base, env = production_site
    paths = ["/", "/world/", "/world/lights-back-on/", "/feeds/rss.xml", "/search/?q=lights"]
    for path in paths:
        assert get(base + path)[0] == 200, path
    assert redis_server.keys() > 0
    redis_server.kill()
    for _ in range(3):
        for path in paths:
            status, _, body = get(base + path + ("&" if "?" in path else "?") + "fresh=1")
            assert status == 200, (path, body[:500])
    with open(env["BROADSHEET_DATA_DIR"] + "/serve.log") as log:
        assert "shared cache (Redis) unreachable" in log.read()
    redis_server.start()
    time.sleep(sharedcache.PROBE_SECONDS + 0.5)
    for path in paths:
        assert get(base + path + ("&" if "?" in path else "?") + "again=1")[0] == 200
    assert redis_server.keys() > 0  # used again


def test_sessions_are_read_from_redis_and_kept_in_the_database(client, make_reader):
    """Signed in on one host, signed in on all; a Redis outage signs nobody out."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("the production profile with Redis (REDIS_URL) keeps sessions there")
    from django.contrib.sessions.models import Session
    from django.core.cache import cache

    client.force_login(make_reader("kept"))
    key = client.cookies["sessionid"].value
    assert cache.get(f"django.contrib.sessions.cached_db{key}") is not None
    assert Session.objects.filter(session_key=key).exists()
