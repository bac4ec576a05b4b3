"""The page cache is bounded: tracking parameters make no copies, parameters no page reads
are never stored, the store keeps under its page and size limits (least recently used out
first), and dead entries and orphan tag markers are swept."""

from __future__ import annotations

import io
import json
import os
import time
import uuid
from wsgiref.util import setup_testing_defaults

import pytest

from broadsheet.pagecache import fragments, store


@pytest.fixture
def app(wsgi_app):
    return wsgi_app  # the page cache in front of Django (tests/comments_support.py)


@pytest.fixture
def limits(settings, monkeypatch):
    def set_limits(pages: int, mb: int = 1024):
        settings.BROADSHEET_PAGECACHE = {**settings.BROADSHEET_PAGECACHE,
                                         "MAX_PAGES": pages, "MAX_MB": mb}
        monkeypatch.setattr(store, "_sweeping", {"stored": 0, "bytes": 0,
                                                 "at": time.monotonic()})
    return set_limits


def fetch(app, path, query=""):
    environ = {"PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": "GET",
               "HTTP_HOST": "testserver", "wsgi.input": io.BytesIO(b"")}
    setup_testing_defaults(environ)
    out = {}

    def start_response(status, headers, exc_info=None):
        out["status"], out["headers"] = status, dict(headers)

    b"".join(app(environ, start_response))
    return int(out["status"].split()[0]), out["headers"].get("X-Page-Cache")


def pages() -> list[str]:
    """Whole pages in the store (not the fragments stored beside them)."""
    try:
        return [n for n in os.listdir(store.root() / "pages")
                if not n.startswith((".", fragments.PREFIX))]
    except FileNotFoundError:
        return []


def test_the_query_that_names_a_page():
    assert store.normal_query("") == ""
    assert store.normal_query("utm_source=news&utm_medium=email&fbclid=x&gclid=y") == ""
    assert store.normal_query("section=2&q=rain&utm_campaign=z") == "q=rain&section=2"
    assert store.normal_query("q=rain&nonsense=1") is None
    assert store.normal_query("p=12") is None  # a WordPress link: redirected, not stored


def test_tracking_parameters_share_the_page(app, world, make_story):
    story = make_story(world, "One copy")
    assert fetch(app, story.url) == (200, "miss")
    for _ in range(50):
        assert fetch(app, story.url, f"utm_source={uuid.uuid4().hex}&fbclid=x") == (200, "hit")
    assert len(pages()) == 1


def test_parameters_no_page_reads_are_answered_but_never_stored(app, world, make_story):
    story = make_story(world, "Not stored")
    for _ in range(20):
        status, cache = fetch(app, story.url, f"x{uuid.uuid4().hex[:6]}=1")
        assert status == 200 and cache is None
    assert pages() == []


def test_a_flood_of_distinct_queries_stays_under_the_cap(app, world, make_story, limits):
    limits(pages=50)
    make_story(world, "Flooded")
    for n in range(400):
        assert fetch(app, "/world/", f"sort={n}")[0] == 200
        assert len(pages()) <= 50
    files, _ = store.size_of_store()
    head = json.loads((store.root() / "pages" / pages()[0]).read_bytes().split(b"\n", 1)[0])
    # Pages, their tag markers, and the store's three bookkeeping files.
    assert files <= 50 * (1 + len(head["tags"])) + 3


def test_the_size_limit_holds_too(app, world, make_story, limits):
    limits(pages=10_000, mb=1)
    story = make_story(world, "Big", body=[("paragraph", "<p>" + "words " * 20_000 + "</p>")])
    for n in range(60):
        assert fetch(app, story.url, f"sort={n}") == (200, "miss")
        sizes = [os.path.getsize(store.root() / "pages" / k) for k in pages()]
        assert min(sizes) > 100_000  # each copy is big: the limit is what holds them
        assert sum(sizes) <= 1024 * 1024


def _entry(key: str, *, tags=("page:1",), age: float = 0) -> None:
    assert store.store(key, status=200, headers=[], body=b"x" * 100, tags=set(tags),
                       max_age=3600, started_at=time.time())
    if age:
        then = time.time() - age
        os.utime(store.root() / "pages" / key, (then, then))


def test_the_sweep_keeps_the_recently_used(db, limits):
    limits(pages=10_000)
    for n in range(20):
        _entry(f"k{n:02d}", age=1000 - n)  # k00 oldest ... k19 newest
    store.used(store.root(), "k00")  # just served: the most recently used now
    limits(pages=10)
    assert store.sweep() == 12  # down to 80% of the limit
    assert sorted(pages()) == ["k00", "k13", "k14", "k15", "k16", "k17", "k18", "k19"]
    assert sorted(os.listdir(store.root() / "tags" / "page-1")) == sorted(pages())


def test_the_sweep_removes_dead_pages_and_orphan_markers(db, limits):
    limits(pages=10_000)
    _entry("dead", tags=("page:1", "stories"), age=store.LONGEST_LIFE + 60)
    _entry("alive", tags=("page:1", "stories"))
    store.purge_tags({"page:1"})  # leaves the pages' "stories" markers behind
    _entry("kept", tags=("stories",))
    store.sweep()
    assert pages() == ["kept"]
    assert os.listdir(store.root() / "tags" / "stories") == ["kept"]
    assert not (store.root() / "tags" / "page-1").exists()


def test_a_sweep_while_a_page_is_stored_leaves_it_purgeable(db, monkeypatch):
    """A sweep removes markers whose page is not there. One running while a page is being
    stored must not strip that page's markers, or no purge of its tags would reach it."""
    write = store._atomic_write

    def swept_meanwhile(path, data):
        store._remove_orphan_markers(store.root())  # another worker's sweep, just now
        write(path, data)

    monkeypatch.setattr(store, "_atomic_write", swept_meanwhile)
    assert store.store("k", status=200, headers=[], body=b"page", tags={"page:7"},
                       max_age=60, started_at=time.time())
    monkeypatch.setattr(store, "_atomic_write", write)
    assert store.purge_tags({"page:7"}) == 1
    assert store.load(store.root(), "k") is None
