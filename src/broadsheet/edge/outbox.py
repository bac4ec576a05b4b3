"""Purges on their way to the caches in front: written with the change, sent after it commits,
tried again until each cache has answered.

`enqueue` writes one PendingPurge per configured cache inside the current transaction (a
rolled-back change purges nothing; a committed one cannot lose its purge); once it commits,
`send_soon` delivers them from the committing process. `deliver` sends everything due, the
tags of many purges to one cache in one batch, and deletes what the cache confirmed; a cache
that is down gets the purge again 1, 2, 4 ... seconds later, at most every five minutes, and
every failure is logged. The scheduler's leader looks every second too (apps.py) and has
what is due delivered by a task, so a purge whose process died still goes out.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from broadsheet.ticks import InBackground

from .backends import KINDS, EdgeError, backend_for
from .headers import edge_purge_tags
from .models import PendingPurge

log = logging.getLogger("broadsheet.edge")
BATCH_ROWS = 500
LONGEST_WAIT = timedelta(minutes=5)


def enqueue(tags: Iterable[str] = (), *, everything: bool = False,
            using: str | None = None, again_after: Iterable[float] = ()) -> list[int]:
    """Write the purge for every cache in front, in the current transaction; the rows'
    ids, for send_soon() once it has committed (pagecache/purge.py calls it once its own
    store is purged). `again_after`: seconds after which the same purge is sent again (by
    the scheduler's tick), for pages a cache may have fetched from another host that still
    held them (pagecache/fanout.py)."""
    # Only caches Broadsheet can purge; the others get their tag headers (headers.py) and
    # are reported by `broadsheet edge check`, rather than piling up purges nobody sends.
    edges = [e for e in settings.BROADSHEET_EDGE if urlsplit(e).scheme in KINDS]
    if not edges:
        return []
    tags = [] if everything else sorted(edge_purge_tags(tags))
    if not tags and not everything:
        return []
    rows = PendingPurge.objects.using(using).bulk_create(
        [PendingPurge(edge=edge, tags=tags, everything=everything) for edge in edges])
    now = timezone.now()
    PendingPurge.objects.using(using).bulk_create(
        [PendingPurge(edge=edge, tags=tags, everything=everything,
                      next_attempt_at=now + timedelta(seconds=seconds))
         for seconds in again_after for edge in edges])
    return [row.pk for row in rows]


def send_soon(ids: list[int]) -> None:
    """Deliver these purges now, in this process: a reader at the edge should see the change
    within a second, and a queued task would first wait for a worker's next look at the
    queue. A cache that fails keeps its rows, and the leader's tick queues the retry."""
    if not ids:
        return
    try:
        deliver(ids=ids)
    except Exception:  # the change has committed; its purges wait in the outbox
        log.exception("purges %s not sent at once; they wait in the outbox", ids[:5])


@task()
def deliver_purges(ids: list[int] | None = None) -> int:
    return deliver(ids=ids)


def deliver(now=None, ids: list[int] | None = None) -> int:
    """Send every purge that is due (of `ids`, if given). Returns how many the caches
    confirmed."""
    now = now or timezone.now()
    due = PendingPurge.objects.filter(next_attempt_at__lte=now)
    if ids is not None:
        due = due.filter(pk__in=ids)
    due = list(due.order_by("id")[:BATCH_ROWS])
    by_edge: dict[str, list[PendingPurge]] = defaultdict(list)
    for row in due:
        by_edge[row.edge].append(row)
    confirmed = 0
    for edge, rows in by_edge.items():
        tags = sorted({t for row in rows for t in row.tags})
        try:
            backend = backend_for(edge)
            if any(row.everything for row in rows):
                backend.purge_everything()
            if tags:
                backend.purge(tags)
        except EdgeError as exc:
            _failed(rows, str(exc), now)
            continue
        PendingPurge.objects.filter(pk__in=[row.pk for row in rows]).delete()
        confirmed += len(rows)
        log.info("purged %d tags%s at %s", len(tags),
                 " and everything" if any(r.everything for r in rows) else "", edge)
    return confirmed


def _failed(rows: list[PendingPurge], error: str, now) -> None:
    for row in rows:
        row.attempts += 1
        wait = min(timedelta(seconds=2 ** min(row.attempts - 1, 16)), LONGEST_WAIT)
        row.next_attempt_at = now + wait
        row.last_error = error[:1000]
    PendingPurge.objects.bulk_update(rows, ["attempts", "next_attempt_at", "last_error"])
    oldest = min(row.created_at for row in rows)
    log.warning("purge not delivered (%d waiting since %s, attempt %d): %s", len(rows),
                oldest.isoformat(timespec="seconds"), max(r.attempts for r in rows), error)


_sender = InBackground("broadsheet-edge-purges", lambda: deliver(), task=deliver_purges)


def tick() -> None:
    """The scheduler's leader: deliver what is due, if any cache is configured, in a thread
    of its own (a cache that does not answer takes seconds to fail; publishing must not
    wait for it)."""
    if not settings.BROADSHEET_EDGE or _sender.running:
        return
    if PendingPurge.objects.filter(next_attempt_at__lte=timezone.now()).exists():
        _sender.start()
