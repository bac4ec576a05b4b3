"""The embedded profile's SQLite backend queues write transactions on a lock file, and always
lets go of it: on commit, on rollback, and when the connection closes mid-transaction."""

import fcntl
import os

import pytest
from django.db import connections, transaction
from django.db.utils import ConnectionHandler

ALIAS = "writers_test"


@pytest.fixture
def writer(tmp_path, django_db_blocker):
    """A connection of our backend to a database file, as `broadsheet serve` has (the tests'
    own database is in memory, where no other process can write)."""
    connections.settings[ALIAS] = ConnectionHandler({"default": {
        "ENGINE": "broadsheet.sqlite", "NAME": str(tmp_path / "db.sqlite3"),
        "OPTIONS": {"transaction_mode": "IMMEDIATE"}}}).settings["default"]
    with django_db_blocker.unblock():
        connection = connections[ALIAS]
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE note (body TEXT)")
        yield connection
        connection.close()
    del connections[ALIAS]
    del connections.settings[ALIAS]


def _taken(connection) -> bool:
    """Whether a writer holds the lock, asked as another process would, without waiting."""
    fd = os.open(f"{connection.settings_dict['NAME']}-writers.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # and with it the probe's own lock, if it got one
    return False


def _insert(connection, body):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO note VALUES (%s)", [body])


def _notes(connection):
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM note")
        return [row[0] for row in cursor.fetchall()]


def test_a_write_transaction_holds_the_lock_until_it_commits(writer):
    assert not _taken(writer)
    with transaction.atomic(using=ALIAS):
        with transaction.atomic(using=ALIAS):  # a savepoint neither takes nor drops it
            _insert(writer, "kept")
        assert _taken(writer)
    assert not _taken(writer)
    assert _notes(writer) == ["kept"]


def test_a_rolled_back_transaction_lets_go(writer):
    with pytest.raises(RuntimeError), transaction.atomic(using=ALIAS):
        _insert(writer, "dropped")
        assert _taken(writer)
        raise RuntimeError("refused")
    assert not _taken(writer)
    assert _notes(writer) == []


def test_a_connection_closed_mid_transaction_lets_go(writer):
    with transaction.atomic(using=ALIAS):
        _insert(writer, "lost")
        writer.close()
        assert not _taken(writer)
    assert _notes(writer) == []
    with transaction.atomic(using=ALIAS):  # and the next transaction takes it again
        _insert(writer, "after")
        assert _taken(writer)
    assert _notes(writer) == ["after"]


def test_a_forked_worker_does_not_share_its_parents_lock(writer):
    """flock() locks belong to the open file: a worker forked with its parent's descriptor
    would hold the lock whenever the parent does, and both would write at once."""
    with transaction.atomic(using=ALIAS):
        _insert(writer, "parent's")
        pid = os.fork()
        if pid == 0:  # the worker: it must find the lock taken, not already its own
            try:
                fcntl.flock(writer._writers_lock(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os._exit(0)
            os._exit(1)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
