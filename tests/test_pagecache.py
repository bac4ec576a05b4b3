"""The page cache in front of Django: hits skip Django; publishing purges precisely."""

import io
import json
import os
import shutil
import time
from wsgiref.util import setup_testing_defaults

import pytest

from broadsheet.comments.models import Comment
from broadsheet.frontpage.models import Spotlight, SpotlightPick
from broadsheet.pagecache import store, wsgi


def fetch(app, path, cookie=""):
    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "HTTP_HOST": "testserver",
               "wsgi.input": io.BytesIO(b"")}
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    setup_testing_defaults(environ)
    out = {}

    def start_response(status, headers, exc_info=None):
        out["status"], out["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response)).decode()
    return int(out["status"].split()[0]), out["headers"], body


@pytest.fixture
def purges(django_capture_on_commit_callbacks):
    """Run purges (which wait for the commit) as the commit would."""
    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()
    return run


def test_second_request_is_a_hit_with_the_same_page(app, world, make_story):
    story = make_story(world, "Cached headline")
    status, headers, first = fetch(app, story.url)
    assert status == 200 and headers["X-Page-Cache"] == "miss"
    status, headers, second = fetch(app, story.url)
    assert status == 200 and headers["X-Page-Cache"] == "hit"
    assert second == first
    assert "Content-Security-Policy" in headers


def test_signed_in_readers_bypass_the_cache(app, world, make_story):
    story = make_story(world)
    fetch(app, story.url)
    _, headers, _ = fetch(app, story.url, cookie="sessionid=abc")
    assert headers.get("X-Page-Cache") != "hit"


def test_not_found_is_not_cached(app, home):
    fetch(app, "/no-such-page/")
    _, headers, _ = fetch(app, "/no-such-page/")
    assert headers.get("X-Page-Cache") != "hit"


def test_editing_a_story_refreshes_every_page_that_shows_it(app, home, world, make_story,
                                                            make_section, purges):
    science = make_section("Science")
    story = make_story(world, "Original headline")
    sibling = make_story(world, "Sibling story")  # lists `story` under More from World
    elsewhere = make_story(science, "Elsewhere story")  # lists `story` in Spotlight
    SpotlightPick.objects.create(spotlight=Spotlight.for_site(home.get_site()), story=story)
    pages = [story.url, home.url, world.url, sibling.url, elsewhere.url]
    for url in pages:
        assert "Original headline" in fetch(app, url)[2]
        assert fetch(app, url)[1]["X-Page-Cache"] == "hit"

    def edit():
        story.title = "Corrected headline"
        story.save_revision().publish()
    purges(edit)

    for url in pages:
        _, headers, body = fetch(app, url)
        assert headers["X-Page-Cache"] == "miss", url
        assert "Corrected headline" in body and "Original headline" not in body, url


def test_publishing_a_new_story_refreshes_home_and_section(app, home, world, make_story,
                                                           purges):
    make_story(world, "First story")
    for url in (home.url, world.url):
        fetch(app, url)
    new = purges(lambda: make_story(world, "Breaking story"))
    for url in (home.url, world.url):
        assert "Breaking story" in fetch(app, url)[2], url
    assert fetch(app, new.url)[0] == 200


def test_unpublishing_removes_the_story_from_cached_pages(app, home, world, make_story, purges):
    story = make_story(world, "Withdrawn story")
    sibling = make_story(world, "Other story")
    for url in (story.url, home.url, world.url, sibling.url):
        fetch(app, url)
    url = story.url
    purges(story.unpublish)
    assert fetch(app, url)[0] == 404
    for page in (home.url, world.url, sibling.url):
        assert "Withdrawn story" not in fetch(app, page)[2], page


def test_a_new_comment_refreshes_the_story(app, reader, world, make_story, purges):
    story = make_story(world)
    fetch(app, story.url)
    purges(lambda: Comment.objects.create(story=story, author=reader, body="Fresh comment"))
    assert "Fresh comment" in fetch(app, story.url)[2]


def test_pages_with_popular_expire_within_a_minute(app, world, make_story):
    story = make_story(world)
    fetch(app, story.url)
    key = store.key_for("testserver", story.url, "")
    head = (store.root() / "pages" / key).read_bytes().split(b"\n", 1)[0]
    assert json.loads(head)["expires"] - time.time() <= 60


def test_a_render_that_started_before_a_purge_is_not_stored(db, settings):
    started = time.time()
    store.purge_tags({"page:1"})
    assert not store.store("k", status=200, headers=[], body=b"old", tags={"page:1"},
                           max_age=60, started_at=started - 0.001)
    assert store.load(store.root(), "k") is None


def test_a_purge_in_another_worker_reaches_this_one(app, world, make_story):
    """Each worker keeps hits in memory; a purge anywhere (here: straight on the store, as
    another process would) must still take effect on the next request."""
    story = make_story(world, "Memorised headline")
    fetch(app, story.url)
    assert fetch(app, story.url)[1]["X-Page-Cache"] == "hit"
    assert fetch(app, story.url)[1]["X-Page-Cache"] == "hit"  # now from this worker's memory
    store.purge_tags({f"page:{story.pk}"})
    assert fetch(app, story.url)[1]["X-Page-Cache"] == "miss"


def test_a_page_read_while_a_purge_removes_it_is_not_kept(app, world, make_story, monkeypatch):
    """A purge moves the epoch, then removes the files. A worker that saw the new epoch and
    read the file before its removal must not keep that copy in memory: it would be served
    until the next purge."""
    story = make_story(world, "Headline before the purge")
    fetch(app, story.url)  # stored on disk
    environ = {"REQUEST_METHOD": "GET", "HTTP_HOST": "testserver", "PATH_INFO": story.url}
    answer = wsgi.hits()
    load = store.load_entry

    def purged_meanwhile(*args, **kwargs):
        found = load(*args, **kwargs)
        store._bump_epoch(store.root())  # the purge has begun; the file is not gone yet
        return found

    monkeypatch.setattr(store, "load_entry", purged_meanwhile)
    assert answer(environ) is None  # rendered by Django instead
    monkeypatch.setattr(store, "load_entry", load)
    store.purge_tags({f"page:{story.pk}"})  # the purge ends
    assert answer(environ) is None


def test_a_store_deleted_and_made_again_is_noticed(app, world, make_story):
    """A worker watches the epoch through a file it keeps open. If the whole store is
    deleted (an operator clearing it) and purges then make a new epoch file, the worker must
    look at the new file, not keep trusting the deleted one and serve its memory."""
    story = make_story(world, "Headline before the store was cleared")
    fetch(app, story.url)  # stored on disk, and a first purge has made the epoch file
    store.purge_tags({"nothing-shown"})
    environ = {"REQUEST_METHOD": "GET", "HTTP_HOST": "testserver", "PATH_INFO": story.url}
    answer = wsgi.hits()
    assert answer(environ) is not None and answer(environ) is not None  # now from memory
    shutil.rmtree(store.root())
    assert answer(environ) is None  # no epoch, no store: nothing to serve
    store.purge_tags({"nothing-shown"})  # a new epoch file
    assert answer(environ) is None


def test_cached_feeds_answer_conditional_requests(app, world, make_story):
    make_story(world)
    _, first, _ = fetch(app, "/feeds/rss.xml")
    _, second, _ = fetch(app, "/feeds/rss.xml")
    assert second["X-Page-Cache"] == "hit" and second["ETag"] == first["ETag"]
    environ_etag = first["ETag"]
    status, headers, body = fetch_with(app, "/feeds/rss.xml", HTTP_IF_NONE_MATCH=environ_etag)
    assert status == 304 and body == "" and headers["X-Page-Cache"] == "hit"
    status, _, _ = fetch_with(app, "/feeds/rss.xml", HTTP_IF_NONE_MATCH='"stale"')
    assert status == 200


def fetch_bytes(app, path, *, method="GET", **headers):
    """A request through the page cache's WSGI layer, headers as keywords
    (accept_encoding="br"): (status, headers, body bytes)."""
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "HTTP_HOST": "testserver",
               "wsgi.input": io.BytesIO(b"")}
    environ.update({"HTTP_" + k.upper(): v for k, v in headers.items()})
    setup_testing_defaults(environ)
    out = {}

    def start_response(status, headers, exc_info=None):
        out["status"], out["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return int(out["status"].split()[0]), out["headers"], body


def fetch_with(app, path, **extra):
    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "HTTP_HOST": "testserver",
               "wsgi.input": io.BytesIO(b""), **extra}
    setup_testing_defaults(environ)
    out = {}

    def start_response(status, headers, exc_info=None):
        out["status"], out["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response)).decode()
    return int(out["status"].split()[0]), out["headers"], body


def test_every_purge_moves_the_epoch_even_two_in_a_row(db):
    """Workers compare the epoch file's mtime (to the nanosecond) with the one they saw; a
    purge that left it unchanged would leave their memory of purged pages in use."""
    seen = set()
    for _ in range(50):
        store.purge_tags({"page:1"})
        seen.add(os.stat(store.root() / "epoch").st_mtime_ns)
    assert len(seen) == 50


def test_a_spotlight_change_refreshes_the_pages_showing_it(app, home, world, make_story,
                                                           make_section, purges):
    story = make_story(world, "Spotlit story")
    other = make_story(make_section("Science"), "Page with a Spotlight")
    fetch(app, other.url)
    assert fetch(app, other.url)[1]["X-Page-Cache"] == "hit"
    purges(lambda: SpotlightPick.objects.create(spotlight=Spotlight.for_site(home.get_site()),
                                                story=story))
    status, headers, body = fetch(app, other.url)
    assert headers["X-Page-Cache"] == "miss" and "Spotlit story" in body


def test_a_masthead_change_refreshes_every_page(app, home, world, make_story, purges):
    from broadsheet.masthead.models import Masthead

    story = make_story(world)
    for url in (home.url, story.url):
        fetch(app, url)
    masthead = Masthead.for_site(home.get_site())
    masthead.tagline = "All the news from the valley"
    purges(masthead.save)
    for url in (home.url, story.url):
        status, headers, body = fetch(app, url)
        assert headers["X-Page-Cache"] == "miss" and "from the valley" in body, url
    # The site's name lives on Wagtail's Site (Settings > Sites): renaming it counts too.
    site = home.get_site()
    site.site_name = "The Renamed Gazette"
    purges(site.save)
    for url in (home.url, story.url):
        status, headers, body = fetch(app, url)
        assert headers["X-Page-Cache"] == "miss" and "The Renamed Gazette" in body, url


def test_a_purge_waits_for_the_commit_and_a_rollback_purges_nothing(app, world, make_story):
    from django.db import transaction

    from broadsheet.pagecache.purge import purge, stories

    story = make_story(world)
    fetch(app, story.url)
    try:
        with transaction.atomic():
            purge(stories([story.pk]))
            assert fetch(app, story.url)[1]["X-Page-Cache"] == "hit"  # not before the commit
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    assert fetch(app, story.url)[1]["X-Page-Cache"] == "hit"  # and not at all: rolled back
