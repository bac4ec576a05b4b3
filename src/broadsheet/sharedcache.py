"""The shared cache (Redis) as a cache: when Redis is down, the site keeps serving.

Everything Broadsheet keeps in Redis can be worked out again from the database (restricted
paths, navigation, Popular's ids, comment rules, ...), so a connection error is a miss: reads
return the default, writes are dropped, and pages are built from the database. The error is
logged once a minute, not once a request.

While Redis is away nothing is asked of it (each request would otherwise wait for a
connection to fail), except one probe every few seconds. A delete or write dropped during the
outage may have left Redis holding something stale, so when it answers again the cache is
emptied before it is trusted.

Counting is the exception: a rate limit cannot count without its counter, so `incr` and the
`add` that starts a count raise CacheUnavailable, and the write that needed the limit is
refused (comments say "try again in a minute") rather than let through unlimited.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("broadsheet.cache")

PROBE_SECONDS = 2.0  # how often an unreachable Redis is tried again
LOG_SECONDS = 60.0
_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)
_MISSING = object()


class CacheUnavailable(Exception):
    """The shared cache cannot count right now."""


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        # A Redis host that vanished (no RST) must cost half a second, not a hung request.
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 1.0)
        super().__init__(server, {**params, "OPTIONS": options})
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._next_probe = 0.0
        self._last_log = 0.0

    # --- health ------------------------------------------------------------------------------

    def _usable(self) -> bool:
        """Whether to ask Redis now: always when it is up; when down, once per probe period,
        and then only after emptying it (what it holds may predate a dropped delete)."""
        if self._down_since is None:
            return True
        now = time.monotonic()
        with self._lock:
            if now < self._next_probe:
                return False
            self._next_probe = now + PROBE_SECONDS
        try:
            super().clear()
        except _DOWN:
            return False
        with self._lock:
            if self._down_since is not None:
                logger.warning("shared cache (Redis) is back after %.0f s; emptied it",
                               now - self._down_since)
            self._down_since = None
        return True

    def _failed(self, exc: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            if self._down_since is None:
                self._down_since = now
                self._next_probe = now + PROBE_SECONDS
            if now - self._last_log >= LOG_SECONDS:
                self._last_log = now
                logger.error("shared cache (Redis) unreachable, serving from the database: %s",
                             exc)

    def _read(self, name: str, default, *args, **kwargs):
        if not self._usable():
            return default
        try:
            return getattr(super(), name)(*args, **kwargs)
        except _DOWN as exc:
            self._failed(exc)
            return default

    # --- reads: a miss -----------------------------------------------------------------------

    def get(self, key, default=None, version=None):
        return self._read("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._read("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._read("has_key", False, key, version)

    def get_or_set(self, key, default, timeout=DEFAULT_TIMEOUT, version=None):
        # As Django's, but storing is optional: with Redis away the value is computed and used.
        value = self.get(key, _MISSING, version=version)
        if value is not _MISSING:
            return value
        value = default() if callable(default) else default
        try:
            self.add(key, value, timeout=timeout, version=version)
        except CacheUnavailable:
            return value
        # Another caller may have stored a value between the get() and the add().
        return self.get(key, value, version=version)

    # --- writes: dropped ---------------------------------------------------------------------

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._read("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._read("set_many", list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._read("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._read("delete", False, key, version)

    def delete_many(self, keys, version=None):
        self._read("delete_many", None, keys, version)

    def clear(self):
        self._read("clear", None)

    # --- counting: refused -------------------------------------------------------------------

    def _count(self, name: str, *args, **kwargs):
        if not self._usable():
            raise CacheUnavailable("the shared cache (Redis) is unreachable")
        try:
            return getattr(super(), name)(*args, **kwargs)
        except _DOWN as exc:
            self._failed(exc)
            raise CacheUnavailable(f"the shared cache (Redis) is unreachable: {exc}") from exc

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._count("add", key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        return self._count("incr", key, delta, version)
