"""Reading from a PostgreSQL read replica (DATABASE_REPLICA_URL), without anyone reading old news.

The replica takes the renders that make most of a site's reads: anonymous readers' pages
(GET or HEAD, no session). Everything else reads the primary: signed-in readers and editors,
every form sent, background work. Three rules keep a replica's lag from showing:

- Read your own writes: a request that changed something (a method other than GET or HEAD,
  answered without an error) pins its browser to the primary for PIN_SECONDS, by a cookie.
- A purge is about a change the replica may not have replayed yet, and the render that
  refills the cache must show it: for AFTER_PURGE_SECONDS after this host's last purge,
  renders read the primary.
- A replica lagging by more than MAX_LAG_SECONDS (it is asked at most once a second per
  process) or not answering is not used until it catches up.

With those, a page any cache keeps was made from data at least as new as the change that
purged it. Wired in by settings/production.py only when DATABASE_REPLICA_URL is set.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connections

from broadsheet.pagecache.store import last_purge

log = logging.getLogger("broadsheet.replica")
REPLICA = "replica"
PIN_COOKIE = "bs_primary"
PIN_SECONDS = 10
AFTER_PURGE_SECONDS = 3.0
MAX_LAG_SECONDS = 1.0
SAFE_METHODS = frozenset({"GET", "HEAD"})

_reads = contextvars.ContextVar("broadsheet_reads", default=None)
_lag_lock = threading.Lock()
_lag = {"checked": 0.0, "ok": False}


def configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_current(now: float | None = None) -> bool:
    """Whether the replica has replayed all but MAX_LAG_SECONDS of the primary's changes;
    asked of the replica at most once a second by this process."""
    now = time.monotonic() if now is None else now
    with _lag_lock:
        if now - _lag["checked"] < 1.0:
            return _lag["ok"]
        _lag["checked"] = now
    lag = None
    try:
        with connections[REPLICA].cursor() as cursor:
            # Zero when it has replayed everything it received; otherwise how old the last
            # change it replayed is.
            cursor.execute("SELECT CASE WHEN pg_last_wal_receive_lsn() = "
                           "pg_last_wal_replay_lsn() THEN 0 ELSE EXTRACT(EPOCH FROM "
                           "now() - pg_last_xact_replay_timestamp()) END")
            lag = cursor.fetchone()[0]
        ok = lag is not None and float(lag) <= MAX_LAG_SECONDS
    except DatabaseError:
        log.warning("the read replica does not answer; reading the primary", exc_info=True)
        connections[REPLICA].close()
        ok = False
    if ok != _lag["ok"]:
        log.info("read replica %s", "in use" if ok else f"not used (lag {lag}s)")
    _lag["ok"] = ok
    return ok


def may_read_replica(request) -> bool:
    if request.method not in SAFE_METHODS:
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or PIN_COOKIE in cookies:
        return False
    if time.time() - last_purge() < AFTER_PURGE_SECONDS:
        return False
    return replica_current()


def middleware(get_response):
    if not configured():
        return get_response

    def choose_database(request):
        token = _reads.set(REPLICA if may_read_replica(request) else None)
        try:
            response = get_response(request)
        finally:
            _reads.reset(token)
        if request.method not in SAFE_METHODS and response.status_code < 400:
            response.set_cookie(PIN_COOKIE, "1", max_age=PIN_SECONDS, httponly=True,
                                samesite="Lax", secure=request.is_secure())
        return response

    return choose_database


class ReplicaRouter:
    """Reads of a request the middleware gave to the replica; every write, migration and
    read elsewhere on the primary."""

    def db_for_read(self, model, **hints):
        return _reads.get()

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data: a replica's rows are the primary's

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
