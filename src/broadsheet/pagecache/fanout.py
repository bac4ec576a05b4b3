"""Purges between hosts: every purge made on any host reaches every host's page store.

Each app host keeps its own page store (files in its data directory), so a purge applied
only where it was made leaves the other hosts serving the old page. With REDIS_URL set, a
purge is also published on the Redis channel `<BROADSHEET_CACHE_PREFIX>:purges`, naming the
host it came from, and one listener per host (listener.py) applies it to that host's store.

Why pub/sub, not a stream: a purge is only worth hearing while one's store holds what it
names, and what a host missed can always be made good by emptying its store; a stream would
let a host that was cut off replay instead, but only while the stream still held what it
missed (trimmed, or lost with a Redis restart, it would need the same fallback), for a
cache that refills in seconds. Pub/sub delivers in order on one connection, and a
subscriber misses a message only if that connection was lost (Redis closes a subscriber
that falls too far behind), so "lost the connection" is exactly "may have missed
something": the listener then empties its store when it subscribes again, and meanwhile
every OFFLINE_SECONDS, so nothing it serves is older than that behind a purge made
elsewhere.

What Redis alone cannot promise is that a purge gets published at all: the purging host may
be the one cut off from Redis (the others, still connected, would never hear it and never
empty anything), or die between its commit and its publish. So a purge is also written to
the database in the transaction that made the change (FanoutPurge), like the edge outbox:
the purging host publishes it once it has committed and its own store is purged, then
deletes the row; a row still there SWEEP_AFTER seconds later is published by whichever
host's listener reaches Redis (listener.py sweeps every second), for every host, its
author's included. Redis is the fast path; the row is what makes a committed purge
impossible to lose. Purges are idempotent, so a purge heard twice costs only the work.

A cache in front (edge/outbox.py) is purged once the purging host's own pages are gone, but
another host may still hold the page for a moment (milliseconds while the message travels,
seconds if it is cut off) and the cache may fetch it from there: with several hosts each
edge purge is sent again a second later and once no host can still serve the page
(edge_again_after).

The embedded default (no REDIS_URL) has one host: nothing is written or published.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from datetime import timedelta

import redis
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from redis.backoff import NoBackoff
from redis.retry import Retry

from broadsheet.host import host_label

from .models import FanoutPurge

log = logging.getLogger("broadsheet.pagecache")

SWEEP_AFTER = timedelta(seconds=2)  # a row older than this: its host did not publish it
SWEEP_ROWS = 500
MOST_TAGS = 2000  # a backlog naming more than this is published as "everything"
SILENT_SECONDS = 3.0  # a subscription that answers no ping this long is lost (listener.py)
DOWN_SECONDS = 2.0  # after a failed publish, purges in requests skip Redis this long
_DOWN = (redis.RedisError, OSError)  # unreachable, or refusing us: not published either way


def enabled() -> bool:
    return bool(settings.BROADSHEET_PAGECACHE["FANOUT_URL"])


def connect(**options) -> redis.Redis:
    """A client for the fan-out's Redis that fails fast and never retries behind our back:
    the callers decide what a failure means."""
    options = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0, **options}
    return redis.Redis.from_url(settings.BROADSHEET_PAGECACHE["FANOUT_URL"],
                                retry=Retry(NoBackoff(), 0), **options)


def host_id() -> str:
    """This host's name on the channel: the machine's name and the data directory's id
    (broadsheet/host.py; the store is per data directory, and machines may share a name)."""
    return host_label()


def edge_again_after() -> tuple[float, ...]:
    """When a cache in front must be purged again, for pages it fetched from another host
    that still held them: one that had not applied the purge yet (it arrives within
    milliseconds: again after a second), and one cut off from Redis, which serves nothing
    staler than this once it noticed (SILENT_SECONDS) and emptied its store
    (OFFLINE_SECONDS). Nothing with one host."""
    if not enabled():
        return ()
    cut_off = SILENT_SECONDS + settings.BROADSHEET_PAGECACHE["OFFLINE_SECONDS"] + 2
    return (1.0, cut_off)


def record(tags: Iterable[str] = (), *, everything: bool = False,
           using: str | None = None) -> int | None:
    """Write the purge for the other hosts in the current transaction; its row's id, for
    announce() once it has committed. None when there are no other hosts to tell."""
    if not enabled():
        return None
    row = FanoutPurge.objects.using(using).create(
        tags=[] if everything else sorted(tags), everything=everything)
    return row.pk


def announce(row_id: int | None, tags: Iterable[str] = (), *, everything: bool = False,
             using: str | None = None) -> None:
    """After the commit, with this host's store purged: tell the other hosts, and forget
    the row once Redis has the message. If Redis cannot be reached the row stays for a
    sweep (never an error for the editor whose change it was)."""
    if row_id is None:
        return
    if not publish(tags, everything=everything, origin=host_id()):
        return
    try:
        FanoutPurge.objects.using(using).filter(pk=row_id).delete()
    except DatabaseError:
        # The change has committed: no error for it now. The row is published again by a
        # sweep, and a purge heard twice costs only the work.
        log.warning("published purge %s left in the database; a sweep sends it again",
                    row_id, exc_info=True)


_state = {"down_until": 0.0, "logged": 0.0}
_client: list[redis.Redis] = []
_lock = threading.Lock()


def publish(tags: Iterable[str] = (), *, everything: bool = False, origin: str = "",
            wait: bool = False) -> bool:
    """Publish one purge; False if Redis did not take it. Hosts ignore their own purges
    (`origin`); an empty origin is applied by every host. Right after a failure, requests
    do not wait on Redis again for DOWN_SECONDS; `wait` (the listener's sweep) always asks."""
    now = time.monotonic()
    if not wait and now < _state["down_until"]:
        return False
    message = json.dumps({"from": origin, "everything": everything,
                          "tags": [] if everything else sorted(tags)})
    with _lock:
        if not _client:
            _client.append(connect())
        client = _client[0]
    try:
        client.publish(settings.BROADSHEET_PAGECACHE["FANOUT_CHANNEL"], message)
    except _DOWN as exc:
        _state["down_until"] = now + DOWN_SECONDS
        if now - _state["logged"] >= 60:
            _state["logged"] = now
            log.error("purge not published to the other hosts (Redis: %s); kept in the "
                      "database until a host can publish it", exc)
        return False
    _state["down_until"] = 0.0
    return True


def sweep(now=None) -> int:
    """Publish, for every host, the purges their own host did not (cut off from Redis, or
    died before it could), a batch at a time while a backlog lasts (a long outage).
    Returns how many rows went."""
    cutoff = (now or timezone.now()) - SWEEP_AFTER
    total = 0
    for _ in range(10):  # then back to listening; the next sweep goes on
        done = _sweep_batch(cutoff)
        total += done
        if done < SWEEP_ROWS:
            break
    return total


def _sweep_batch(cutoff) -> int:
    """Rows are taken with SKIP LOCKED so that hosts sweeping at once do not publish the
    same ones."""
    with transaction.atomic():
        rows = list(FanoutPurge.objects.select_for_update(skip_locked=True)
                    .filter(created_at__lte=cutoff).order_by("id")[:SWEEP_ROWS])
        if not rows:
            return 0
        everything = any(row.everything for row in rows)
        tags = sorted({tag for row in rows for tag in row.tags})
        if len(tags) > MOST_TAGS:
            everything = True  # one message, whatever the backlog
        if not publish(tags, everything=everything, wait=True):
            return 0
        FanoutPurge.objects.filter(pk__in=[row.pk for row in rows]).delete()
    log.warning("published %d purges their own host had not (%s)", len(rows),
                "everything" if everything else f"{len(tags)} tags")
    return len(rows)
