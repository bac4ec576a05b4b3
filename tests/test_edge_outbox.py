"""Purges on their way to the caches in front (edge/outbox.py): written with the change, sent
after the commit in batches, kept and tried again while a cache does not confirm them.

The cache here is a small HTTP server on loopback that answers as the shipped VCL does
(200 to PURGE and BAN), or with an error when told to; test_edge_varnish.py runs the real
Varnish."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.utils import timezone

from broadsheet.edge import outbox
from broadsheet.edge.models import PendingPurge
from broadsheet.pagecache import store
from broadsheet.pagecache.purge import purge, purge_everything, stories

pytestmark = pytest.mark.django_db


class Edge(ThreadingHTTPServer):
    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.received: list[tuple[str, dict]] = []
        self.answer = 200
        self.on_purge = lambda: None

    @property
    def url(self) -> str:
        return f"varnish://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    def _purge(self):
        self.server.received.append((self.command, dict(self.headers)))
        self.server.on_purge()
        self.send_response(self.server.answer)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_PURGE = do_BAN = _purge

    def log_message(self, *args):
        pass


@pytest.fixture
def edge(settings):
    server = Edge()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.BROADSHEET_EDGE = [server.url]
    yield server
    server.shutdown()
    server.server_close()


def tags_sent(edge) -> set[str]:
    return {t for method, headers in edge.received if method == "PURGE"
            for t in headers.get("xkey-purge", "").split()}


def test_a_purge_reaches_the_edge_after_the_commit_with_its_groups(
        edge, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the commit, when the block ends
        purge(stories([1234]) | {"spotlight"})
        assert PendingPurge.objects.count() == 1  # written with the change
        assert edge.received == []  # nothing sent before the commit
    assert tags_sent(edge) == {"page:1234", "pages:1", "spotlight"}
    assert PendingPurge.objects.count() == 0


def test_with_the_database_task_queue_a_purge_still_goes_out_at_the_commit(
        edge, settings, django_capture_on_commit_callbacks):
    """Not left for a worker's next look at the queue: readers at the edge would wait."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.BROADSHEET_WORKERS = {**settings.BROADSHEET_WORKERS, "QUEUE": "database"}
    with django_capture_on_commit_callbacks(execute=True):
        purge(stories([99]))
    assert "page:99" in tags_sent(edge)
    assert PendingPurge.objects.count() == 0


def test_the_edge_is_purged_only_once_this_host_has_dropped_the_pages(
        edge, django_capture_on_commit_callbacks):
    # Purged at the edge while this host still held the page, the edge would fetch the old
    # page from here again and keep it. Two purges in one change: each reaches the edge
    # after the page store, whatever their order.
    for n in (1, 2):
        store.store(f"page-{n}", status=200, headers=[], body=b"old", tags={f"page:{n}"},
                    max_age=60, started_at=time.time())
    held_when_purged = []
    edge.on_purge = lambda: held_when_purged.append(
        {f"page:{n}" for n in (1, 2) if store.load_entry(store.root(), f"page-{n}")})
    with django_capture_on_commit_callbacks(execute=True):
        purge(stories([1]))
        purge(stories([2]))
    assert tags_sent(edge) == {"page:1", "page:2", "pages:0"}
    for (_, headers), held in zip(edge.received, held_when_purged, strict=True):
        assert not held & set(headers["xkey-purge"].split())


def test_a_rolled_back_change_purges_nothing(edge, django_capture_on_commit_callbacks):
    with (django_capture_on_commit_callbacks(execute=True) as waiting,
          pytest.raises(RuntimeError), transaction.atomic()):
        purge(stories([7]))
        raise RuntimeError("the change fails")
    assert waiting == []
    assert PendingPurge.objects.count() == 0 and edge.received == []


def test_an_edge_that_refuses_gets_the_purge_again_later(edge, caplog, committed):
    edge.answer = 503
    committed(lambda: purge(stories([5])))
    row = PendingPurge.objects.get()
    assert row.attempts == 1 and "503" in row.last_error
    assert timezone.now() < row.next_attempt_at <= timezone.now() + timedelta(seconds=2)
    assert "purge not delivered" in caplog.text
    assert outbox.deliver() == 0  # not due yet: nothing sent again
    edge.answer = 200
    later = timezone.now() + timedelta(seconds=3)
    assert outbox.deliver(now=later) == 1
    assert PendingPurge.objects.count() == 0 and "page:5" in tags_sent(edge)


def test_the_wait_doubles_up_to_five_minutes(edge, committed):
    edge.answer = 500
    committed(lambda: purge(stories([9])))
    waits = []
    for _ in range(12):
        row = PendingPurge.objects.get()
        now = row.next_attempt_at
        outbox.deliver(now=now)
        row.refresh_from_db()
        waits.append((row.next_attempt_at - now).total_seconds())
    assert waits[:4] == [2, 4, 8, 16] and max(waits) == 300


def test_an_edge_that_is_not_there_keeps_the_purge(settings, committed):
    settings.BROADSHEET_EDGE = ["varnish://127.0.0.1:9"]  # nothing listens on the discard port
    committed(lambda: purge(stories([3])))
    row = PendingPurge.objects.get()
    assert row.attempts == 1 and "127.0.0.1:9" in row.last_error


def test_waiting_purges_go_in_one_batch(edge, committed):
    edge.answer = 500
    for story_id in (1, 2, 3):
        committed(lambda i=story_id: purge(stories([i])))
    edge.received.clear()
    edge.answer = 200
    assert outbox.deliver(now=timezone.now() + timedelta(seconds=5)) == 3
    assert len(edge.received) == 1
    assert {"page:1", "page:2", "page:3"} <= tags_sent(edge)


def test_everything_is_a_ban_and_soft_purges_are_asked_for(edge, settings, committed):
    committed(purge_everything)
    assert [method for method, _ in edge.received] == ["BAN"]
    settings.BROADSHEET_EDGE_SOFT_PURGE = True
    committed(lambda: purge(stories([4])))
    assert edge.received[-1][1]["xkey-softpurge"] == "page:4 pages:0"


def test_without_an_edge_nothing_is_written(settings, committed):
    settings.BROADSHEET_EDGE = []
    committed(lambda: purge(stories([1])))
    assert PendingPurge.objects.count() == 0
