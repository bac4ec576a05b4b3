"""Which requests may read the replica (replica.py): the rules, without a replica."""


import pytest
from django.test import RequestFactory

from broadsheet import replica
from broadsheet.pagecache import store


@pytest.fixture
def current(monkeypatch, settings):
    monkeypatch.setattr(replica, "replica_current", lambda: True)
    monkeypatch.setattr(replica, "last_purge", lambda: 0.0)


def request(method="get", **cookies):
    made = getattr(RequestFactory(), method)("/metro/")
    made.COOKIES.update(cookies)
    return made


def test_anonymous_reads_go_to_the_replica_and_everyone_else_to_the_primary(current):
    assert replica.may_read_replica(request())
    assert not replica.may_read_replica(request(sessionid="signed-in"))
    assert not replica.may_read_replica(request(**{replica.PIN_COOKIE: "1"}))
    assert not replica.may_read_replica(request("post"))


def test_just_after_a_purge_renders_read_the_primary(monkeypatch, settings):
    monkeypatch.setattr(replica, "replica_current", lambda: True)
    monkeypatch.setattr(replica, "last_purge", store.last_purge)
    store.purge_all()
    assert not replica.may_read_replica(request())
    monkeypatch.setattr(replica.time, "time", lambda: store.last_purge() + 3.1)
    assert replica.may_read_replica(request())


def test_a_lagging_replica_is_not_read(monkeypatch):
    monkeypatch.setattr(replica, "replica_current", lambda: False)
    monkeypatch.setattr(replica, "last_purge", lambda: 0.0)
    assert not replica.may_read_replica(request())


def test_the_router_sends_writes_and_migrations_to_the_primary():
    router = replica.ReplicaRouter()
    assert router.db_for_write(None) == "default"
    assert router.db_for_read(None) is None  # outside a request the middleware chose for
    token = replica._reads.set(replica.REPLICA)
    try:
        assert router.db_for_read(None) == replica.REPLICA
    finally:
        replica._reads.reset(token)
    assert router.allow_migrate("default", "articles") and not router.allow_migrate(
        replica.REPLICA, "articles")


def test_a_replica_that_does_not_answer_is_not_read(monkeypatch, django_db_blocker):
    """Asked for its lag, a replica that is down counts as lagging (and is asked again a
    second later), with no error for the reader."""
    from django.db import connections

    down = {"ENGINE": "django.db.backends.postgresql", "NAME": "broadsheet",
            "HOST": "127.0.0.1", "PORT": "1", "USER": "postgres",
            "OPTIONS": {"connect_timeout": 2}}
    connections.settings[replica.REPLICA] = connections.configure_settings(
        {"default": dict(connections.settings["default"]), replica.REPLICA: down}
    )[replica.REPLICA]
    monkeypatch.setitem(replica._lag, "checked", 0.0)
    monkeypatch.setitem(replica._lag, "ok", True)
    try:
        with django_db_blocker.unblock():  # a real connection attempt, to a closed port
            assert replica.replica_current(now=1_000_000.0) is False
            assert replica.replica_current(now=1_000_000.5) is False  # not asked again yet
    finally:
        connections[replica.REPLICA].close()
        del connections[replica.REPLICA]
        del connections.settings[replica.REPLICA]
