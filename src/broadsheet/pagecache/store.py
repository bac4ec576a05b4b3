"""The page store: rendered public pages as files, with an index of what each page shows.

Layout under <data dir>/pagecache/:
  pages/<key>          one cached response: a JSON header line, then the body bytes
  tags/<tag>/<key>     an empty marker: page <key> shows the thing named <tag>
  epoch                its mtime is set by every purge; a render that started before it is not
                       stored, and each worker drops its memory of pages when it changes

A tag is "page:<id>" for a story or section a page shows, or a name such as "spotlight" or
"stories" (any listing that a new story can enter). Files, not the database, because a hit must
cost one open() and a purge must work from any worker process; the same layout works on any
POSIX filesystem shared by the workers of one host.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import threading
import time
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote_plus

from django.conf import settings

from broadsheet.tracking import TRACKING


def root() -> Path:
    return Path(settings.DATA_DIR) / "pagecache"


def key_for(host: str, path: str, query: str) -> str:
    raw = f"{host.lower()}\n{path}\n{query}".encode()
    return hashlib.sha256(raw).hexdigest()[:40]


# Query parameters that change what a public page shows (search, filters, paging, sorting).
# Anything else in a query string either changes nothing (tracking tags added by newsletters
# and social sites) or is something no page reads; neither may make a new cached copy, or a
# stream of random values fills the disk.
PAGE_PARAMETERS = frozenset({"q", "section", "author", "since", "until", "page", "sort",
                             "shown", "limit"})
def normal_query(query: str) -> str | None:
    """The query string that names a cached page: tracking parameters dropped and the rest in
    order, so `?utm_source=x` is the page itself; None if it has a parameter no page reads
    (answered by Django, never stored)."""
    if not query:
        return ""
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        name = unquote_plus(pair.partition("=")[0])
        if name in PAGE_PARAMETERS:
            kept.append(pair)
        elif not TRACKING.match(name):
            return None
    return "&".join(sorted(kept))


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Per thread, not just per process: a worker's threads purge concurrently (comments).
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _bump_epoch(base: Path) -> None:
    """Mark a purge: the epoch's mtime becomes now, to the nanosecond.

    Setting the time on one file is a single inode update; writing a new file and renaming it
    over the old one made ext4 start writing the replaced file out, on every comment posted.
    The time is given explicitly so it moves even where the filesystem's own clock is coarse."""
    path = base / "epoch"
    now = time.time_ns()
    try:
        os.utime(path, ns=(now, now))
    except FileNotFoundError:
        base.mkdir(parents=True, exist_ok=True)
        path.touch()
        os.utime(path, ns=(now, now))


def last_purge(base: Path | None = None) -> float:
    try:
        return os.stat((base or root()) / "epoch").st_mtime
    except FileNotFoundError:
        return 0.0


def store(key: str, *, status: int, headers: list[tuple[str, str]], body: bytes,
          tags: set[str], max_age: int, started_at: float,
          variants: dict[str, bytes] | None = None) -> bool:
    """Store a rendered page unless a purge happened while it was being rendered. `variants`
    are its compressed copies (encodings.py), kept in the same file after the page itself,
    so that every purge and sweep drops them with it."""
    base = root()
    if started_at <= last_purge(base):
        return False
    now = time.time()
    meta = {"status": status, "headers": headers, "tags": sorted(tags),
            "expires": now + max_age, "stored": now}
    if variants:
        meta["length"] = len(body)
        meta["codings"] = [[coding, len(data)] for coding, data in variants.items()]
        body = b"".join([body, *variants.values()])
    head = json.dumps(meta).encode()
    _atomic_write(base / "pages" / key, head + b"\n" + body)
    # The markers after the page: a sweep takes a marker whose page is not there yet for an
    # orphan and removes it, and the page would then outlive every purge of that tag. A
    # purge before the markers are made is seen by the check below.
    tag_root = os.path.join(base, "tags")
    for tag in tags:
        _mark(os.path.join(tag_root, _safe(tag)), key)
    # A purge may have slipped in between the check above and the write; if so, drop the page
    # so it is rendered afresh (never serve something older than a purge).
    if started_at <= last_purge(base):
        (base / "pages" / key).unlink(missing_ok=True)
        return False
    _maybe_sweep(base, len(head) + len(body))
    return True


def _mark(tag_dir: str, key: str) -> None:
    """An empty file: page `key` shows this tag. A page with its widgets has twenty tags, so
    this is plain os calls, the directory made only when missing."""
    path = os.path.join(tag_dir, key)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    except FileNotFoundError:
        os.makedirs(tag_dir, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    os.close(fd)


def used(base: Path, key: str) -> None:
    """Mark a page as just used (its mtime), so the sweep keeps it over colder ones."""
    with contextlib.suppress(FileNotFoundError):
        os.utime(base / "pages" / key)


# --- keeping the store within bounds -------------------------------------------------------
# Every page lives at most LONGEST_LIFE after it was stored and is then rendered afresh, so a
# page file not used for that long is dead. Beyond that, the store holds at most MAX_PAGES
# pages and MAX_MB megabytes: a sweep removes the dead, then the least recently used, down to
# SWEEP_TO of each limit. A worker sweeps after storing a tenth of MAX_PAGES pages or a minute
# after its last sweep, or a tenth of MAX_MB, whichever comes first; only one worker sweeps
# at a time.

LONGEST_LIFE = 3600
SWEEP_TO = 0.8
_sweeping = {"stored": 0, "bytes": 0, "at": 0.0}


def _limits() -> tuple[int, int]:
    knobs = settings.BROADSHEET_PAGECACHE
    return knobs["MAX_PAGES"], knobs["MAX_MB"] * 1024 * 1024


def _maybe_sweep(base: Path, nbytes: int) -> None:
    max_pages, max_bytes = _limits()
    _sweeping["stored"] += 1
    _sweeping["bytes"] = _sweeping.get("bytes", 0) + nbytes
    if (_sweeping["stored"] < max(1, max_pages // 10)
            and _sweeping["bytes"] < max_bytes // 10
            and time.monotonic() - _sweeping["at"] < 60):
        return
    _sweeping.update(stored=0, bytes=0, at=time.monotonic())
    sweep(base)


def sweep(base: Path | None = None) -> int:
    """Remove dead pages, then the least recently used ones while over the limits, then tag
    markers whose page is gone. Returns how many pages went."""
    base = base or root()
    base.mkdir(parents=True, exist_ok=True)
    with open(base / "sweep.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0  # another worker is sweeping
        pages = base / "pages"
        entries = []
        try:
            with os.scandir(pages) as found:
                for entry in found:
                    if entry.name.startswith("."):
                        continue  # a page being written
                    try:
                        st = entry.stat()
                    except FileNotFoundError:
                        continue
                    entries.append((st.st_mtime, st.st_size, entry.name))
        except FileNotFoundError:
            return 0
        entries.sort()
        max_pages, max_bytes = _limits()
        dead_before = time.time() - LONGEST_LIFE
        count, size = len(entries), sum(e[1] for e in entries)
        removed = 0
        # Down to SWEEP_TO of the limits at every sweep: until the next one each worker stores
        # at most a tenth of either limit more, so two workers together never pass it.
        for mtime, nbytes, key in entries:
            if (mtime >= dead_before and count <= max_pages * SWEEP_TO
                    and size <= max_bytes * SWEEP_TO):
                break
            _remove_page(base, key)
            count, size, removed = count - 1, size - nbytes, removed + 1
        _remove_orphan_markers(base)
        return removed


def _remove_page(base: Path, key: str) -> None:
    path = base / "pages" / key
    try:
        with open(path, "rb") as fh:
            tags = json.loads(fh.readline()).get("tags", [])
    except (FileNotFoundError, ValueError):
        tags = []
    path.unlink(missing_ok=True)
    for tag in tags:
        (base / "tags" / _safe(tag) / key).unlink(missing_ok=True)


def _remove_orphan_markers(base: Path) -> None:
    """Markers of pages that are gone (a purge by one tag leaves the page's other tags)."""
    pages = base / "pages"
    try:
        tag_dirs = list(os.scandir(base / "tags"))
    except FileNotFoundError:
        return
    for tag_dir in tag_dirs:
        try:
            keys = os.listdir(tag_dir.path)
        except (FileNotFoundError, NotADirectoryError):
            continue
        for key in keys:
            if not (pages / key).exists():
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(tag_dir.path, key))
        with contextlib.suppress(OSError):
            os.rmdir(tag_dir.path)  # only if empty


def size_of_store(base: Path | None = None) -> tuple[int, int]:
    """(files, bytes) under the store: pages and tag markers."""
    files = total = 0
    for dirpath, _, names in os.walk(base or root()):
        for name in names:
            files += 1
            with contextlib.suppress(FileNotFoundError):
                total += os.stat(os.path.join(dirpath, name)).st_size
    return files, total


class Entry(NamedTuple):
    expires: float
    stored: float
    status: int
    headers: list[tuple[str, str]]
    codings: tuple[str, ...]  # the compressed copies stored (encodings.py)
    coding: str  # which copy `body` is
    body: bytes


def _read(base: Path, key: str) -> tuple[dict, bytes] | None:
    """The stored entry's header and bytes, if it is there and has not expired."""
    try:
        with open(base / "pages" / key, "rb") as fh:
            data = fh.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    head, _, body = data.partition(b"\n")
    meta = json.loads(head)
    if meta["expires"] < time.time():
        return None
    return meta, body


def load_entry(base: Path, key: str, codings: tuple[str, ...] = ()) -> Entry | None:
    """A fresh cached page with the first of `codings` it has (else as rendered), or None."""
    found = _read(base, key)
    if found is None:
        return None
    meta, body = found
    # WSGI servers want (name, value) tuples; JSON gives lists.
    headers = [(k, v) for k, v in meta["headers"]]
    stored = meta.get("stored", time.time())
    if "length" not in meta:
        return Entry(meta["expires"], stored, meta["status"], headers, (), "identity", body)
    start = end = meta["length"]
    spans = {"identity": (0, end)}
    for coding, size in meta["codings"]:
        spans[coding] = (start, start + size)
        start += size
    coding = next((c for c in codings if c in spans), "identity")
    first, last = spans[coding]
    return Entry(meta["expires"], stored, meta["status"], headers,
                 tuple(c for c, _ in meta["codings"]), coding, body[first:last])


def load_tagged(key: str):
    """(expires, tags, headers, body) for a fresh stored entry, else None (fragments.py)."""
    found = _read(root(), key)
    if found is None:
        return None
    meta, body = found
    return meta["expires"], meta["tags"], meta["headers"], body[:meta.get("length")]


def load(base: Path, key: str):
    """(status, headers, body) for a fresh cached page as rendered, else None."""
    entry = load_entry(base, key)
    return None if entry is None else (entry.status, entry.headers, entry.body)


def _safe(tag: str) -> str:
    return tag.replace("/", "_").replace(":", "-")


def purge_tags(tags: set[str] | list[str]) -> int:
    """Drop every cached page that shows any of `tags`. Returns how many pages went."""
    base = root()
    _bump_epoch(base)
    gone = 0
    for tag in tags:
        tag_dir = base / "tags" / _safe(tag)
        try:
            keys = os.listdir(tag_dir)
        except FileNotFoundError:
            continue
        for key in keys:
            try:
                (base / "pages" / key).unlink()
                gone += 1
            except FileNotFoundError:
                pass
            (tag_dir / key).unlink(missing_ok=True)
    return gone


def purge_all() -> None:
    base = root()
    _bump_epoch(base)
    for sub in ("pages", "tags"):
        shutil.rmtree(base / sub, ignore_errors=True)


def follow_address(address: str) -> None:
    """Drop every stored page if the store was filled under another public address: their
    canonical links, feeds and structured data name it. The address is kept next to the pages."""
    base = root()
    marker = base / "address"
    try:
        if marker.read_text() == address:
            return
    except FileNotFoundError:
        pass
    purge_all()
    _atomic_write(marker, address.encode())
