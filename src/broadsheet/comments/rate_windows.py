"""Rate-limit windows: per-minute hit counts for the comment rate limits, shared by every
worker of the server.

With Redis the shared cache counts (its INCR is atomic and costs one round trip). Without it
the cache is Django's file cache, whose incr() is a read then a rewrite: two workers posting at
once both read 4 and both write 5, so hits are lost, and each rewrite creates a temporary file,
renames it over the old one and lists the whole cache directory. Here each key of a window is
instead one file that every hit appends a byte to: the kernel appends atomically, and the
offset after the write is this hit's number, so counts are exact across processes and threads
for the price of an open, a write and a close.

Layout: <dir>/<minute>/<key>; the directory of a window that has passed is removed by the first
hit of a later window.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from django.conf import settings
from django.core.cache import cache

_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)


def hit(key: str, *, minute: int) -> int:
    """Count one hit of `key` in the one-minute window `minute`; how many it has had now."""
    directory = settings.BROADSHEET_COMMENTS["RATE_COUNTER_DIR"]
    if directory is None:
        return _hit_cache(f"bs:crate:{key}:{minute}")
    return _hit_file(Path(directory), key, minute)


def _hit_cache(key: str) -> int:
    try:
        return cache.incr(key)  # the usual case: one atomic increment
    except ValueError:  # the first hit of this window
        if cache.add(key, 1, 120):
            return 1
        return cache.incr(key)  # another request created it just now


def _hit_file(base: Path, key: str, minute: int) -> int:
    path = base / str(minute) / key
    try:
        fd = os.open(path, _FLAGS, 0o600)
    except FileNotFoundError:  # the first hit of this window in any worker
        _open_window(base, minute)
        fd = os.open(path, _FLAGS, 0o600)
    try:
        os.write(fd, b".")
        return os.lseek(fd, 0, os.SEEK_CUR)
    finally:
        os.close(fd)


def _open_window(base: Path, minute: int) -> None:
    try:
        (base / str(minute)).mkdir(parents=True)
    except FileExistsError:
        return  # another worker opened it and tidies up
    for old in os.listdir(base):
        # The window before this one may still take a late hit; older ones are done.
        if old.isdigit() and int(old) < minute - 1:
            shutil.rmtree(base / old, ignore_errors=True)
