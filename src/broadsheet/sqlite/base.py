"""Django's SQLite backend, with write transactions queued on a lock file.

SQLite lets one writer in at a time. A connection that finds the write lock taken sleeps in
SQLite's busy handler for 1, 2, 5, 10, 25, 50 and then 100 ms between retries, however soon
the lock is freed: under a burst of comments a 1 ms transaction made the ones behind it wait
60 ms at the 95th percentile and over 600 ms at worst. Here every transaction first takes an
exclusive flock() on `<database>-writers.lock`; the kernel wakes a waiter the moment the
holder commits, so writers queue for each other's real work only. The lock is released when
the transaction commits or rolls back, or its connection closes. (With the IMMEDIATE
transaction mode every transaction takes SQLite's write lock anyway, so queueing them here
serialises nothing that was not serialised already.)

Like a PostgreSQL row lock, a writer waits for the one before it as long as that one takes;
writes outside a transaction (autocommit) still wait in SQLite's busy handler, up to the
busy timeout. In-memory databases (the test profile) have one process: no lock file.
"""

from __future__ import annotations

import fcntl
import os

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _writers_fd: int | None = None
    _writers_pid = 0
    _holds_writers_lock = False

    def _writers_lock(self) -> int | None:
        # A forked worker must not use its parent's descriptor: flock() locks belong to the
        # open file, which both would share, so neither would wait for the other.
        if (self._writers_fd is None or self._writers_pid != os.getpid()) \
                and not self.is_in_memory_db():
            self._writers_fd = os.open(f"{self.settings_dict['NAME']}-writers.lock",
                                       os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._writers_pid = os.getpid()
            self._holds_writers_lock = False
        return self._writers_fd

    def _start_transaction_under_autocommit(self):
        fd = self._writers_lock()
        if fd is not None and not self._holds_writers_lock:
            fcntl.flock(fd, fcntl.LOCK_EX)  # releases the GIL while it waits
            self._holds_writers_lock = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writers_lock()
            raise

    def _release_writers_lock(self) -> None:
        if self._holds_writers_lock:
            self._holds_writers_lock = False
            fcntl.flock(self._writers_fd, fcntl.LOCK_UN)

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writers_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writers_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writers_lock()
            if self._writers_fd is not None:
                os.close(self._writers_fd)
                self._writers_fd = None
