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

import hashlib
import json
import os
import threading
import time
from pathlib import Path

from django.conf import settings


def root() -> Path:
    return Path(settings.DATA_DIR) / "pagecache"


def key_for(host: str, path: str, query: str) -> str:
    raw = f"{host.lower()}\n{path}\n{query}".encode()
    return hashlib.sha256(raw).hexdigest()[:40]


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
          tags: set[str], max_age: int, started_at: float) -> bool:
    """Store a rendered page unless a purge happened while it was being rendered."""
    base = root()
    if started_at <= last_purge(base):
        return False
    head = json.dumps({"status": status, "headers": headers,
                       "expires": time.time() + max_age}).encode()
    for tag in tags:
        marker = base / "tags" / _safe(tag) / key
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    _atomic_write(base / "pages" / key, head + b"\n" + body)
    # A purge may have slipped in between the check above and the write; if so, drop the page
    # so it is rendered afresh (never serve something older than a purge).
    if started_at <= last_purge(base):
        (base / "pages" / key).unlink(missing_ok=True)
        return False
    return True


def load_entry(base: Path, key: str):
    """(expires, status, headers, body) for a fresh cached page, else None."""
    try:
        with open(base / "pages" / key, "rb") as fh:
            data = fh.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    head, _, body = data.partition(b"\n")
    meta = json.loads(head)
    if meta["expires"] < time.time():
        return None
    # WSGI servers want (name, value) tuples; JSON gives lists.
    return meta["expires"], meta["status"], [(k, v) for k, v in meta["headers"]], body


def load(base: Path, key: str):
    """(status, headers, body) for a fresh cached page, else None."""
    entry = load_entry(base, key)
    return None if entry is None else entry[1:]


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
    import shutil

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
