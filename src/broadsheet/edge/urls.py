"""Which addresses showed a tag, for a cache that purges only by address (`purge-url://`).

Varnish with xkey and the CDNs index pages by tag themselves, and Broadsheet's page store keys
its pages by a hash of the address without keeping the address. So for a cache that does
neither, Broadsheet keeps an index of its own, written only while such a cache is configured:

  <data dir>/edge/urls/tags/<tag>/<hash>   a page's address; its mtime: when last rendered
  <data dir>/edge/urls/resolved            its mtime: when a purge last read the index

RememberURLs (a middleware outside the page cache's) records the address of every response a
shared cache may keep, under each tag the page shows. A purge does not remove addresses: the
cache fetches the page again, and when Broadsheet's page store answers, no render records it
anew. An address is dropped only once no cache can still hold that copy: the page store
serves a page for up to an hour after it was rendered, the cache keeps it for up to an hour
(`s-maxage`) after fetching it, plus `stale-while-revalidate`.

A render that began before a purge read the index and ended after it may show what the purge
was about, without being among the addresses purged; it is sent `private, no-store`, so the
cache does not keep it (the page store refuses such a render too, by its epoch).

Known limits: only pages Broadsheet rendered are known (one the cache keeps beyond its
`s-maxage` is not), and the index is per host, as the page store is.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

from django.conf import settings

from .headers import PERSONAL

log = logging.getLogger("broadsheet.edge")
KIND = "purge-url"
LONGEST_SHARED_LIFE = 3600  # the pagecache middleware's longest s-maxage and page store life
SWEEP_EVERY = 600
_last_sweep = [0.0]


def root() -> Path:
    return Path(settings.DATA_DIR) / "edge" / "urls"


def keep_seconds() -> int:
    return (2 * LONGEST_SHARED_LIFE
            + settings.BROADSHEET_EDGE_CACHE["STALE_WHILE_REVALIDATE"] + 60)


def in_use() -> bool:
    return _in_use(tuple(settings.BROADSHEET_EDGE))


@functools.lru_cache(maxsize=8)
def _in_use(edges: tuple[str, ...]) -> bool:
    return any(urlsplit(e).scheme == KIND for e in edges)


def remember(address: str, tags) -> None:
    """Note that `address` shows each of `tags`, as of now."""
    base = root() / "tags"
    name = hashlib.sha256(address.encode()).hexdigest()[:32]
    for tag in tags:
        folder = os.path.join(base, quote(tag, safe=""))
        path = os.path.join(folder, name)
        try:
            os.utime(path)
        except FileNotFoundError:
            os.makedirs(folder, exist_ok=True)
            # Written aside and renamed, so a purge never reads half an address.
            tmp = os.path.join(folder, f".{name}.{os.getpid()}.{time.monotonic_ns()}")
            with open(tmp, "w") as fh:
                fh.write(address)
            os.replace(tmp, path)


def last_resolved() -> float:
    try:
        return os.stat(root() / "resolved").st_mtime
    except FileNotFoundError:
        return 0.0


def urls_for(tags: list[str] | None) -> list[str]:
    """The addresses that may still be cached showing any of `tags` (None: every address)."""
    base = root()
    base.mkdir(parents=True, exist_ok=True)
    # Marked before reading: a render that ends after this may be missing from what follows.
    now = time.time()
    (base / "resolved").touch()
    os.utime(base / "resolved", (now, now))  # the same clock `now` is compared with below
    tag_root = base / "tags"
    if tags is None:
        try:
            folders = [e.path for e in os.scandir(tag_root) if e.is_dir()]
        except FileNotFoundError:
            folders = []
    else:
        folders = [os.path.join(tag_root, quote(t, safe="")) for t in tags]
    found = set()
    for folder in folders:
        found.update(_read(folder, now - keep_seconds()))
    return sorted(found)


def _read(folder: str, dead_before: float) -> list[str]:
    out = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return out
    for entry in entries:
        if entry.name.startswith("."):
            continue  # being written
        try:
            if entry.stat().st_mtime < dead_before:
                os.unlink(entry.path)
                continue
            with open(entry.path) as fh:
                out.append(fh.read())
        except FileNotFoundError:
            continue
    return out


def sweep() -> None:
    """Drop addresses no cache can still hold, for tags no purge has read lately."""
    _last_sweep[0] = time.monotonic()
    dead_before = time.time() - keep_seconds()
    try:
        folders = [e.path for e in os.scandir(root() / "tags") if e.is_dir()]
    except FileNotFoundError:
        return
    for folder in folders:
        _read(folder, dead_before)
        with contextlib.suppress(OSError):
            os.rmdir(folder)  # only if empty


class RememberURLs:
    """Records the address of each response a shared cache may keep, while a `purge-url://`
    cache is configured; placed outside the page cache's middleware, which decides that."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.time()
        response = self.get_response(request)
        if not in_use():
            return response
        tags = getattr(request, "pagecache_tags", None)
        if tags and "s-maxage" in response.get("Cache-Control", ""):
            try:
                remember(request.build_absolute_uri(), tags)
                if last_resolved() >= started:
                    response["Cache-Control"] = PERSONAL
                if time.monotonic() - _last_sweep[0] > SWEEP_EVERY:
                    sweep()
            except OSError as exc:
                # Unknown to the index, the page must not be kept by the cache either.
                response["Cache-Control"] = PERSONAL
                log.warning("could not record %s for URL purges: %s",
                            request.get_full_path(), exc)
        return response
