"""What every request looks up and only a purge can change, remembered by each worker process.

The site answering a host name and its home page cost three queries on every request that
reaches Django, and they change only when someone edits Settings > Sites or publishes the
home page, both of which purge. Every purge, from any worker, moves the page store's epoch
(store.py); a worker drops everything remembered here when it sees the epoch move, which
costs one stat() a lookup.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from . import store

# Keys can come from requests (a Host header): past this many, start again rather than grow.
MAX_KEYS = 1024
_remembered: dict[Hashable, Any] = {}
_seen_epoch = [None]
_lock = threading.Lock()


def remembered(key: Hashable, compute: Callable[[], Any]) -> Any:
    """`compute()`, or what it gave since the last purge."""
    epoch = store.last_purge()
    with _lock:
        if epoch != _seen_epoch[0]:
            _remembered.clear()
            _seen_epoch[0] = epoch
        if key in _remembered:
            return _remembered[key]
    value = compute()
    with _lock:
        # A purge while computing may mean the value predates it: use it once, keep it not.
        if store.last_purge() == epoch == _seen_epoch[0]:
            if len(_remembered) >= MAX_KEYS:
                _remembered.clear()
            _remembered[key] = value
    return value

