"""Several hosts: a purge made on one reaches every host's page cache within a second
(Redis pub/sub), a purge its host could not publish still reaches the others (the database
row), and a host that lost Redis empties its cache when it hears it again, and meanwhile
keeps nothing longer than BROADSHEET_PAGE_CACHE_OFFLINE_SECONDS.

Two `broadsheet serve` hosts with data directories of their own share a fresh PostgreSQL
database and a redis-server of this test's own (killed and started again by the outage
tests; the machine's Redis is never touched). Each check first makes both hosts serve the
story from their page cache (a hit), so a change shown afterwards was purged there.
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import time

import pytest

from broadsheet.pagecache import listener, store
from broadsheet.pagecache.models import FanoutPurge
from tests.engines import REDIS, fresh_database
from tests.serving import (
    BIN,
    free_port,
    get,
    publish_story_script,
    shell,
    start_server,
    stop_server,
)

WITHIN = 1.0  # seconds from the change committed on host 1 to host 2 showing it
STORY = "/world/lights-back-on/"

SCENE = publish_story_script("Lights back on", "lights-back-on", section="World")


def retitle(title: str) -> str:
    return f"""
import time
from broadsheet.articles.models import ArticlePage
story = ArticlePage.objects.get(slug="lights-back-on")
story.title = {title!r}
story.save_revision().publish()
print("committed", time.time())
"""


# --- in the test process: no Redis needed, both profiles --------------------------------------

def test_the_embedded_default_has_no_listener_and_writes_no_purge_for_other_hosts(
        db, settings, django_capture_on_commit_callbacks):
    from broadsheet.pagecache.purge import purge

    assert settings.BROADSHEET_PAGECACHE["FANOUT_URL"] is None
    assert listener.start_in_process() is None
    with django_capture_on_commit_callbacks(execute=True):
        purge({"page:1"})
    assert not FanoutPurge.objects.exists()


def test_a_host_applies_other_hosts_purges_and_skips_its_own(settings):
    settings.BROADSHEET_PAGECACHE = {**settings.BROADSHEET_PAGECACHE,
                                     "FANOUT_URL": "redis://127.0.0.1:1/0"}
    ear = listener.Listener()

    def stored() -> bool:
        return store.store("k", status=200, headers=[], body=b"page", tags={"page:7"},
                           max_age=60, started_at=time.time() + 1)

    def there() -> bool:
        return store.load(store.root(), "k") is not None

    assert stored() and there()
    ear._apply(json.dumps({"from": ear.host, "tags": ["page:7"]}).encode())
    assert there()  # its own purge: applied before it was published
    ear._apply(json.dumps({"from": "elsewhere:1", "tags": ["page:8"]}).encode())
    assert there()
    ear._apply(json.dumps({"from": "elsewhere:1", "tags": ["page:7"]}).encode())
    assert not there()
    assert stored()
    ear._apply(b"not a purge")  # cannot be applied exactly: everything goes
    assert not there()


def test_with_several_hosts_the_edge_is_purged_again_once_every_host_has_dropped_the_page(
        db, settings, django_capture_on_commit_callbacks):
    """A cache in front purged before another host applied the purge (milliseconds later,
    or seconds for a host cut off from Redis) may have fetched the old page from that host:
    the purge goes to the edge again once no host can still serve it."""
    from broadsheet.edge.models import PendingPurge
    from broadsheet.pagecache.purge import purge

    settings.BROADSHEET_EDGE = ["varnish://127.0.0.1:1"]
    settings.BROADSHEET_PAGECACHE = {**settings.BROADSHEET_PAGECACHE, "OFFLINE_SECONDS": 5,
                                     "FANOUT_URL": "redis://127.0.0.1:1/0"}
    with django_capture_on_commit_callbacks(execute=False):
        purge({"page:1"})
    created = FanoutPurge.objects.get().created_at
    after = sorted(round((row.next_attempt_at - created).total_seconds())
                   for row in PendingPurge.objects.all())
    assert after == [0, 1, 10]  # at once; after a second; after 3 s to notice + 5 s + 2 s


def test_a_backlog_left_by_hosts_cut_off_is_published_for_every_host(db, settings, monkeypatch,
                                                                     redis_server):
    """After an outage, what no host could publish goes out from the first that can, in
    batches, each applied by every host (its own included: none has applied it)."""
    from datetime import timedelta

    from django.utils import timezone

    from broadsheet.pagecache import fanout

    settings.BROADSHEET_PAGECACHE = {**settings.BROADSHEET_PAGECACHE, "FANOUT_CHANNEL": "t",
                                     "FANOUT_URL": f"redis://127.0.0.1:{redis_server.port}/0"}
    monkeypatch.setattr(fanout, "_client", [])  # a client for this test's Redis
    old = timezone.now() - timedelta(minutes=5)
    FanoutPurge.objects.bulk_create(
        [FanoutPurge(tags=[f"page:{i}"], created_at=old) for i in range(fanout.SWEEP_ROWS + 3)]
        + [FanoutPurge(tags=["page:new"])])  # its host may still publish it: not yet
    pubsub = fanout.connect().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe("t")
    pubsub.get_message(timeout=1)
    assert fanout.sweep() == fanout.SWEEP_ROWS + 3
    heard = [json.loads(m["data"]) for m in iter(lambda: pubsub.get_message(timeout=1), None)]
    assert [m["from"] for m in heard] == ["", ""]
    assert {t for m in heard for t in m["tags"]} == {f"page:{i}"
                                                     for i in range(fanout.SWEEP_ROWS + 3)}
    assert list(FanoutPurge.objects.values_list("tags", flat=True)) == [["page:new"]]
    pubsub.close()


def test_one_process_per_data_directory_listens_and_another_takes_over(settings):
    """The store is the host's, shared by its processes: one listener is enough, and when
    its process dies (its lock file closed) the next to try takes over."""
    settings.BROADSHEET_PAGECACHE = {**settings.BROADSHEET_PAGECACHE,
                                     "FANOUT_URL": "redis://127.0.0.1:1/0"}
    first, second = listener.Listener(), listener.Listener()
    assert first._take_lock()
    assert not second._take_lock()
    first._lock_file.close()  # what the kernel does when the process dies
    assert second._take_lock()
    second._lock_file.close()


# --- two real hosts on the production profile -------------------------------------------------

@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A fresh database on the suite's PostgreSQL with the story, and two data directories
    set up against it (created and dropped here)."""
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        pytest.skip("needs the production profile: DATABASE_URL and REDIS_URL (hosts share "
                    "PostgreSQL and hear each other's purges through Redis)")
    if not os.path.exists(REDIS):
        pytest.skip("redis-server is not installed")
    with fresh_database("broadsheet_fanout") as url:
        root = tmp_path_factory.mktemp(url.rsplit("/", 1)[1])
        for host in ("host1", "host2"):
            # No Redis yet (a port nobody listens on): set up as a host cut off would be.
            env = host_env(root / host, url, redis_port=free_port(), port=8000)
            subprocess.run([BIN, "setup", "--no-demo"], env=env, check=True,
                           capture_output=True, timeout=300)
        shell(env, SCENE)
        # What setting up left for other hosts is no test's business: a sweep of it would
        # purge the hosts under test.
        shell(env, "from broadsheet.pagecache.models import FanoutPurge\n"
                   "FanoutPurge.objects.all().delete()")
        yield root, url


def host_env(data, database_url: str, *, redis_port: int, port: int, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(BROADSHEET_DATA_DIR=str(data), BROADSHEET_BASE_URL=f"http://127.0.0.1:{port}",
               DATABASE_URL=database_url, REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
               BROADSHEET_CACHE_PREFIX=data.parent.name,
               # Pages live an hour: a change shown within the test was purged, not expired.
               BROADSHEET_PAGE_CACHE_MAX_AGE="3600", **extra)
    return env


@pytest.fixture
def hosts(database, redis_server, request):
    """Start the two hosts; `hosts(**env)` returns [(base URL, env), ...]."""
    root, url = database
    started = []

    def start(**extra):
        pair = []
        for host in ("host1", "host2"):
            port = free_port()
            env = host_env(root / host, url, redis_port=redis_server.port, port=port, **extra)
            started.append(start_server(env, port, probe=STORY))
            pair.append((f"http://127.0.0.1:{port}", env))
        return pair

    yield start
    for server in started:
        stop_server(server)


def served(base: str) -> tuple[str, str]:
    """(X-Page-Cache, headline) of the story as the host serves it."""
    status, headers, body = get(base + STORY)
    assert status == 200
    headline = body.decode().split('<h1 id="headline">', 1)[1].split("</h1>", 1)[0]
    return headers.get("x-page-cache", ""), html.unescape(headline)


def cached(base: str) -> str:
    """Serve the story until it comes from the page cache; its headline."""
    for _ in range(20):
        state, headline = served(base)
        if state == "hit":
            return headline
        time.sleep(0.05)
    headers = get(base + STORY)[1]
    pytest.fail(f"{base}{STORY} never came from the page cache: {headers}")


def until_shown(base: str, title: str, deadline: float) -> float:
    """Poll until the host serves `title`; when it first did. Fails after `deadline`."""
    while True:
        _, headline = served(base)
        now = time.time()
        if headline == title:
            return now
        if now > deadline:
            pytest.fail(f"{base} still served {headline!r}, not {title!r}")
        time.sleep(0.02)


def still_shown(base: str, title: str, seconds: float) -> None:
    """Nothing older comes back: the host serves `title` for `seconds`."""
    end = time.time() + seconds
    while time.time() < end:
        assert served(base)[1] == title
        time.sleep(0.05)


def committed(env: dict, title: str) -> float:
    return float(shell(env, retitle(title)).split()[-1])


def unpublished_purges(env: dict) -> int:
    return int(shell(env, "from broadsheet.pagecache.models import FanoutPurge\n"
                          "print(FanoutPurge.objects.count())").split()[-1])


def test_a_purge_on_one_host_reaches_the_others_page_cache_within_a_second(hosts):
    (base1, env1), (base2, _) = hosts()
    for title in ("Power restored across the city", "Power restored, then lost again"):
        cached(base1), cached(base2)
        change = committed(env1, title)  # through host 1's data directory
        until_shown(base2, title, change + WITHIN)
        assert served(base1)[1] == title
    assert unpublished_purges(env1) == 0


def test_a_purge_its_host_could_not_publish_still_reaches_the_others(hosts):
    """Host 1 is cut off from Redis as it purges; host 2 never was, so it would never learn
    of the purge from Redis alone: the row written with the change is published for it."""
    (base1, env1), (base2, _) = hosts()
    cached(base2)
    cut_off = {**env1, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    change = committed(cut_off, "Lights back on, says the utility")
    # The sweep takes rows left SWEEP_AFTER (2 s) and runs every second.
    until_shown(base2, "Lights back on, says the utility", change + 4)
    assert unpublished_purges(env1) == 0


def test_a_host_that_lost_redis_empties_its_cache_when_it_hears_again(hosts, redis_server):
    """With the outage's own limit out of reach (an hour), only the reconnection can drop
    the page a purge made meanwhile left stale; and nothing stale comes back after it."""
    (base1, env1), (base2, _) = hosts(BROADSHEET_PAGE_CACHE_OFFLINE_SECONDS="3600")
    before = cached(base2)
    redis_server.kill()
    time.sleep(0.5)  # both listeners notice (and empty their caches once)
    assert cached(base2) == before
    committed(env1, "Blackout over, officially")
    assert cached(base2) == before  # no way to hear it: stale, as configured
    redis_server.start()
    back = time.time()
    # Reconnection is tried twice a second; the subscription empties the store.
    until_shown(base2, "Blackout over, officially", back + 2)
    still_shown(base2, "Blackout over, officially", 1.0)
    assert served(base1)[1] == "Blackout over, officially"
    # Host 1's purge, unpublished during the outage, goes out once a host can publish it.
    deadline = time.time() + 5
    while unpublished_purges(env1):
        assert time.time() < deadline, "the purge kept in the database was never published"
        time.sleep(0.3)


def test_while_redis_is_away_the_cache_is_never_long_behind(hosts, redis_server):
    """Cut off, a host empties its store every OFFLINE_SECONDS: it still serves from the
    cache, and a purge made elsewhere shows within that time."""
    (base1, env1), (base2, _) = hosts(BROADSHEET_PAGE_CACHE_OFFLINE_SECONDS="1")
    cached(base2)
    redis_server.kill()
    time.sleep(0.3)
    cached(base2)  # the page cache still serves
    change = committed(env1, "Lights flicker in the north")
    # Emptied every second: shown within that and a render on a busy machine.
    until_shown(base2, "Lights flicker in the north", change + 1.0 + 1.0)
