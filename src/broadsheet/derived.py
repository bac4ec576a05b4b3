"""Data worked out from the database and kept in the shared cache, dropped by a change
without a race.

Deleting the cached value when a change commits is not enough, nor deleting it before and
again after: a reader who read the database just before the commit puts the old value back
just after the delete, and it stays until the next change (for restricted paths, a page
would be shown to everyone). So a value is kept under its name's current generation, read
before the database is, and a change starts a new generation, once at once (the change's own
transaction) and again when it commits. A value worked out before the commit was read under a
generation that is then over, and nobody reads it again; one read after the new generation
began was worked out after the commit.

Costs one cache read more than a plain key. A generation lost from the cache (evicted, or the
cache was emptied) only starts a new one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction

from broadsheet.sharedcache import CacheUnavailable

_MISSING = object()


def _generation_key(name: str) -> str:
    return f"{name}:generation"


def current(name: str) -> str:
    """The cache key of `name` in its current generation: read it before the database."""
    generation = cache.get(_generation_key(name))
    if generation is None:
        generation = uuid.uuid4().hex[:12]
        # add: two readers starting the first generation at once agree on one, and a
        # reader cannot start one over a change's newer generation.
        try:
            if not cache.add(_generation_key(name), generation, None):
                generation = cache.get(_generation_key(name)) or generation
        except CacheUnavailable:  # Redis is down: nothing is kept meanwhile anyway
            pass
    return f"{name}@{generation}"


def remembered(name: str, compute: Callable[[], Any], timeout: int | None) -> Any:
    """`compute()`, kept for `timeout` seconds (None: until the next change)."""
    key = current(name)
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, timeout)
    return value


def _new_generations(names: list[str]) -> None:
    cache.set_many({_generation_key(n): uuid.uuid4().hex[:12] for n in names}, None)


def forget(*names: str) -> None:
    """Start a new generation of each name: now, and once the current transaction commits."""
    names = list(names)
    if not names:
        return
    _new_generations(names)
    transaction.on_commit(lambda: _new_generations(names))
