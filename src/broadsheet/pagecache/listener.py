"""The host's ear for purges made elsewhere (fanout.py): one listener per data directory.

Every server process starts this thread; the one holding a lock file in the store listens
and the others wait to take over (the kernel frees the lock when its holder dies, and one of
them has it within a second). One is enough because the store is shared by the host's
processes: a purge applied to the files moves the epoch, and every worker drops its memory of
pages on its next request. Every process listening would apply each purge once per process
and cost a Redis connection each, for nothing.

What the listener promises, and how:
- While subscribed, a purge from another host is applied as soon as it arrives (purges from
  this host were applied before they were published, and are skipped).
- Each subscription confirmed, from the first to every one after a lost connection, empties
  the store: what was published before it may have been missed (the store also outlives a
  restart of the host, during which it heard nothing).
- Redis is pinged every second; a connection that errs, or answers nothing for
  SILENT_SECONDS (a network that drops packets says nothing), is lost. Lost, the store is
  emptied at once and then every OFFLINE_SECONDS (BROADSHEET_PAGE_CACHE_OFFLINE_SECONDS)
  while Redis is tried again twice a second: the page cache keeps the site fast through the
  outage, serving nothing more than that many seconds behind a purge made on another host.
- Once a second, while connected, purges other hosts wrote but could not publish are
  published (fanout.sweep).
"""

from __future__ import annotations

import fcntl
import json
import logging
import threading
import time

import redis
from django.conf import settings
from django.db import close_old_connections

from . import fanout, store

log = logging.getLogger("broadsheet.pagecache")

PING_SECONDS = 1.0
SILENT_SECONDS = fanout.SILENT_SECONDS
RETRY_SECONDS = 0.5
SWEEP_SECONDS = 1.0
TAKEOVER_SECONDS = 1.0


class Listener(threading.Thread):
    def __init__(self):
        super().__init__(name="broadsheet-purge-listener", daemon=True)
        self.channel = settings.BROADSHEET_PAGECACHE["FANOUT_CHANNEL"]
        self.offline_seconds = settings.BROADSHEET_PAGECACHE["OFFLINE_SECONDS"]
        self.host = fanout.host_id()
        self.stopping = threading.Event()
        self.subscribed = threading.Event()
        self._lock_file = None
        self._down_since: float | None = None  # when hearing stopped, once it had started
        self._next_drop = 0.0
        self._failure_logged = self._sweep_failure_logged = -60.0

    def run(self) -> None:
        while not self._take_lock():
            if self.stopping.wait(TAKEOVER_SECONDS):
                return
        while not self.stopping.is_set():
            # Never let the ear die (a bug, a full disk): a dead one would leave the host
            # serving pages other hosts purged, with nothing to say so.
            try:
                try:
                    self._listen()
                except fanout._DOWN as exc:
                    self._lost(exc)
                except Exception as exc:
                    self._lost(exc)
                    raise
                self._offline(RETRY_SECONDS)
            except Exception:
                if time.monotonic() - self._failure_logged >= 60:
                    self._failure_logged = time.monotonic()
                    log.exception("purge listener failed; trying again")
                self.stopping.wait(RETRY_SECONDS)

    def stop(self) -> None:
        self.stopping.set()

    def _take_lock(self) -> bool:
        base = store.root()
        base.mkdir(parents=True, exist_ok=True)
        lock = open(base / "fanout.lock", "a")  # noqa: SIM115 - held for the process's life
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            return False
        self._lock_file = lock
        return True

    def _listen(self) -> None:
        client = fanout.connect(socket_timeout=SILENT_SECONDS)
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(self.channel)
            heard = next_ping = time.monotonic()
            next_sweep = heard + SWEEP_SECONDS
            while not self.stopping.is_set():
                message = pubsub.get_message(timeout=0.2)
                now = time.monotonic()
                if message is not None:
                    heard = now
                    if message["type"] == "subscribe":
                        self._heard_from_now_on()
                    elif message["type"] == "message":
                        self._apply(message["data"])
                if now - heard > SILENT_SECONDS:
                    raise redis.TimeoutError(f"no answer for {SILENT_SECONDS:.0f} s")
                if now >= next_ping:
                    pubsub.ping()
                    next_ping = now + PING_SECONDS
                if now >= next_sweep and self.subscribed.is_set():
                    self._sweep()
                    next_sweep = now + SWEEP_SECONDS
        finally:
            self.subscribed.clear()
            pubsub.close()
            client.close()

    def _heard_from_now_on(self) -> None:
        """Subscribed: every purge from here on arrives; any before may have been missed."""
        store.purge_all()
        if self._down_since is not None:
            log.warning("hearing other hosts' purges again after %.1f s; emptied the page "
                        "cache", time.monotonic() - self._down_since)
            self._down_since = None
        self.subscribed.set()

    def _apply(self, data: bytes) -> None:
        try:
            purge = json.loads(data)
            if purge.get("from") == self.host:
                return  # applied here before it was published
            if purge.get("everything"):
                store.purge_all()
            else:
                store.purge_tags([str(tag) for tag in purge["tags"]])
        except (ValueError, KeyError, TypeError, AttributeError):
            # A purge we cannot read is one we cannot apply exactly: apply it broadly.
            log.error("unreadable purge from another host: %r; emptied the page cache",
                      data[:200])
            store.purge_all()

    def _sweep(self) -> None:
        try:
            fanout.sweep()
        except Exception:  # the database's trouble, not Redis's: keep listening
            if time.monotonic() - self._sweep_failure_logged >= 60:
                self._sweep_failure_logged = time.monotonic()
                log.exception("publishing other hosts' unpublished purges failed")
        finally:
            close_old_connections()

    def _lost(self, exc: BaseException) -> None:
        """Hearing stopped (or a try to hear again failed): empty the store once, as the
        outage starts; _offline keeps it empty enough from then on."""
        if self._down_since is not None:
            return
        now = self._down_since = time.monotonic()
        log.error("not hearing other hosts' purges (Redis: %s); the page cache is emptied "
                  "now and every %d s until Redis answers", exc, self.offline_seconds)
        store.purge_all()
        self._next_drop = now + self.offline_seconds

    def _offline(self, seconds: float) -> None:
        """Wait before trying Redis again, keeping the store within OFFLINE_SECONDS (waking
        for the next emptying if it comes first)."""
        self.stopping.wait(max(0.0, min(seconds, self._next_drop - time.monotonic())))
        now = time.monotonic()
        if now >= self._next_drop:
            store.purge_all()
            self._next_drop = now + self.offline_seconds


_started: Listener | None = None


def start_in_process() -> Listener | None:
    """In a server process, when purges fan out between hosts: start listening (or waiting
    to take over). First, this process empties the store: whatever the host stored before
    this process started may predate purges nobody here heard (the host was down, or no
    listener had subscribed yet), and this process serves nothing until it returns."""
    global _started
    if not fanout.enabled():
        return None
    if _started is None or not _started.is_alive():
        store.purge_all()
        _started = Listener()
        _started.start()
    return _started
