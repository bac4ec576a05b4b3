"""The view journal: where an acknowledged view is safe before it reaches the database.

A beacon is answered only after its view is in the journal file and the file is synced to
disk (fdatasync), so a view we acknowledged survives the server being killed, or the machine
losing power, at any moment. Syncing once per view would cap ingest at the disk's sync rate,
so appends are group-committed: whichever request thread finds no sync in progress writes
and syncs everything queued so far, and every thread whose view was in that write is
released together.

Each server process appends to its own segment file (no locking between processes);
folding.py reads every segment from where it last stopped, in one database transaction
with the rows it produces, and deletes segments once their writer has moved on. With several
app hosts each folds its own data directory's journal (ticks.py, "on every host"), so no
acknowledged view waits for another host, and a host that was killed folds its journal when
it comes back.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

from django.conf import settings

from broadsheet.host import host_label

from .counting import View

SEGMENT_BYTES = 64 * 1024 * 1024
# Segments written before segments carried the host id (one host per database then).
_LEGACY_HOST = socket.gethostname().replace("-", "_")[:40]


def directory() -> Path:
    return Path(settings.BROADSHEET_READERSHIP["JOURNAL_DIR"])


def encode(view: View) -> bytes:
    return (f"{view.at_ms}\t{view.page_id}\t{view.visitor}\t{view.device}\t{view.referrer}\t"
            f"{view.utm_source}\t{view.utm_medium}\t{view.utm_campaign}\n").encode()


def decode(line: bytes) -> View:
    at, page, visitor, device, referrer, source, medium, campaign = line.decode().split("\t")
    return View(int(at), int(page), visitor, device, referrer, source, medium, campaign)


def segment_writer(name: str) -> tuple[str, int] | None:
    """(host, pid) of the process that writes segment `name`."""
    try:
        _, host, pid, _ = name.removesuffix(".log").split("-")
        return host, int(pid)
    except ValueError:
        return None


def writer_alive(name: str) -> bool:
    writer = segment_writer(name)
    if writer is None or writer[0] not in (host_label(), _LEGACY_HOST):
        return True  # another host's segment: not ours to judge
    try:
        os.kill(writer[1], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Journal:
    """One process's segment files, appended with group commit."""

    def __init__(self, base: Path, *, sync: bool = True):
        self.base = base
        self.sync = sync
        self.cond = threading.Condition()
        self.pending: list[bytes] = []
        self.appended = 0  # sequence number of the last queued view
        self.synced = 0  # every view up to here is on disk
        self.failed: list[tuple[int, int]] = []  # (first, last) sequence numbers lost to errors
        self.flushing = False
        self.fd: int | None = None
        self.size = 0
        self.name = ""

    def _open_segment(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        if self.fd is not None:
            os.close(self.fd)
        # The host id makes the name unique among every host's segments (their cursors share
        # one table), also where two hosts have one machine name.
        self.name = f"views-{host_label()}-{os.getpid()}-{time.time_ns()}.log"
        self.fd = os.open(self.base / self.name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.size = 0
        if self.sync:  # the new file's directory entry must survive a crash too
            dir_fd = os.open(self.base, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def _write(self, data: bytes) -> None:
        if self.fd is None or self.size >= SEGMENT_BYTES:
            self._open_segment()
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]
        self.size += len(data)
        if self.sync:
            os.fdatasync(self.fd)

    def append(self, view: View) -> None:
        """Return once `view` is durably journalled; raise OSError if it could not be."""
        line = encode(view)
        with self.cond:
            self.pending.append(line)
            self.appended += 1
            mine = self.appended
            while self.synced < mine:
                if any(first <= mine <= last for first, last in self.failed):
                    raise OSError("the view journal could not be written")
                if self.flushing:
                    self.cond.wait()
                    continue
                self.flushing = True
                batch, self.pending = self.pending, []
                first, last = self.appended - len(batch) + 1, self.appended
                self.cond.release()
                try:
                    self._write(b"".join(batch))
                    ok = True
                except OSError:
                    ok = False
                finally:
                    self.cond.acquire()
                    self.flushing = False
                    if ok:
                        self.synced = last
                    else:
                        self.failed = [*self.failed[-20:], (first, last)]
                        self.synced = last  # not on disk: those waiters raise, above
                    self.cond.notify_all()
            if any(first <= mine <= last for first, last in self.failed):
                raise OSError("the view journal could not be written")

    def close(self) -> None:
        with self.cond:
            if self.fd is not None:
                os.close(self.fd)
                self.fd = None


_journal: list = [None, 0]


def journal() -> Journal:
    """This process's journal (a forked worker gets its own)."""
    if _journal[0] is None or _journal[1] != os.getpid():
        _journal[:] = [Journal(directory(), sync=settings.BROADSHEET_READERSHIP["JOURNAL_SYNC"]),
                       os.getpid()]
    return _journal[0]


def record(view: View) -> None:
    journal().append(view)
