"""Compressed once (issue 16): a shared page is stored with brotli and gzip copies, and every
reader gets the copy their Accept-Encoding asks for, from the page cache and from Django
alike, with Vary, Content-Length and ETags right; personal pages and fragments never are."""

from __future__ import annotations

import gzip
import http.client
import json
import time

import brotli
import pytest

from broadsheet.pagecache import encodings, fragments, store
from tests.serving import (
    free_port,
    prepared_site,
    publish_story_script,
    shell,
    start_server,
    stop_server,
)
from tests.test_pagecache import fetch_bytes as fetch

DECODE = {"br": brotli.decompress, "gzip": gzip.decompress, None: lambda body: body}


@pytest.mark.parametrize(("header", "expected"), [
    ("", ("identity",)),
    ("gzip, deflate, br, zstd", ("br", "gzip", "identity")),
    ("gzip;q=1.0, br;q=0.5", ("gzip", "identity", "br")),
    ("br;q=0", ("identity",)),
    ("br;q=0.000, gzip", ("gzip", "identity")),
    ("identity;q=0, gzip", ("gzip",)),
    ("*", ("br", "gzip", "identity")),
    ("*;q=0, gzip", ("gzip",)),
    ("*;q=0", ("identity",)),  # nothing acceptable: identity anyway, not a 406
    ("X-GZIP", ("gzip", "identity")),
    ("BR ; Q=0.8, identity;q=0.9", ("identity", "br")),
    ("gzip;q=nonsense, br", ("br", "identity")),
    ("gzip;q=2", ("gzip", "identity")),
])
def test_accept_encoding_weights_are_honoured(header, expected):
    assert encodings.acceptable(header) == expected


def test_a_coding_the_page_lacks_falls_back_to_the_next_or_identity():
    assert encodings.choose("br, gzip", ("gzip",)) == "gzip"
    assert encodings.choose("br", ()) == "identity"
    assert encodings.choose("br;q=0, gzip;q=0", ("br", "gzip")) == "identity"


def test_only_text_worth_compressing_is_compressed():
    assert encodings.compressible("text/html; charset=utf-8", 5000)
    assert encodings.compressible("application/rss+xml; charset=utf-8", 5000)
    assert encodings.compressible("application/feed+json", 5000)
    assert not encodings.compressible("text/html; charset=utf-8", 500)  # too small to matter
    assert not encodings.compressible("image/png", 500_000)
    assert not encodings.compressible("application/octet-stream", 500_000)
    # Already dense bytes gain nothing: no copy is kept.
    noise = bytes(range(256)) * 4 + brotli.compress(b"x" * 100_000)
    assert "gzip" not in encodings.compress(brotli.compress(noise, quality=11))


def test_every_copy_is_the_same_page_from_django_and_from_the_cache(app, world, make_story):
    story = make_story(world, "Compressed headline")
    pages = set()
    for accept, coding in [("gzip, deflate, br", "br"), ("gzip", "gzip"), ("", None),
                           ("br;q=0, gzip;q=0.5, identity;q=0.1", "gzip")]:
        for want in ("miss", "hit") if accept == "gzip, deflate, br" else ("hit",):
            status, headers, body = fetch(app, story.url, accept_encoding=accept)
            assert status == 200 and headers["X-Page-Cache"] == want
            assert headers.get("Content-Encoding") == coding, (accept, want)
            assert int(headers["Content-Length"]) == len(body)
            assert "Accept-Encoding" in headers["Vary"]
            pages.add(DECODE[coding](body))
    assert len(pages) == 1 and b"Compressed headline" in pages.pop()


def test_a_hit_says_vary_as_the_miss_did(app, world, make_story):
    story = make_story(world)
    miss = fetch(app, story.url, accept_encoding="br")[1]
    hit = fetch(app, story.url, accept_encoding="br")[1]
    assert hit["X-Page-Cache"] == "hit"
    vary = [v.strip() for v in hit["Vary"].split(",")]
    assert vary == [v.strip() for v in miss["Vary"].split(",")]
    assert vary.count("Accept-Encoding") == 1


def test_hits_say_how_old_they_are(app, world, make_story):
    story = make_story(world)
    assert "Age" not in fetch(app, story.url)[1]  # rendered just now
    assert int(fetch(app, story.url)[1]["Age"]) in (0, 1)
    time.sleep(1.1)
    assert int(fetch(app, story.url, accept_encoding="gzip")[1]["Age"]) >= 1


def test_head_gives_the_length_of_the_copy_it_describes(app, world, make_story):
    story = make_story(world)
    fetch(app, story.url)
    _, get_headers, body = fetch(app, story.url, accept_encoding="br")
    status, headers, head_body = fetch(app, story.url, method="HEAD", accept_encoding="br")
    assert status == 200 and head_body == b""
    assert headers["Content-Encoding"] == "br"
    assert headers["Content-Length"] == get_headers["Content-Length"] == str(len(body))


def test_each_copy_of_a_feed_has_its_own_etag_and_revalidates_alone(app, world, make_story):
    for n in range(5):
        make_story(world, f"Feed story {n}")
    _, plain, _ = fetch(app, "/feeds/rss.xml")
    _, miss_br, _ = fetch(app, "/feeds/rss.xml", accept_encoding="br")
    status, br, _ = fetch(app, "/feeds/rss.xml", accept_encoding="br")
    assert br["X-Page-Cache"] == "hit" and br["Content-Encoding"] == "br"
    assert br["ETag"] == miss_br["ETag"] == plain["ETag"][:-1] + '-br"'
    status, headers, body = fetch(app, "/feeds/rss.xml", accept_encoding="br",
                                  if_none_match=br["ETag"])
    assert status == 304 and body == b""
    assert headers["ETag"] == br["ETag"] and "Accept-Encoding" in headers["Vary"]
    assert "Cache-Control" in headers and "Age" in headers
    # A copy held in one coding does not validate another: those bytes differ.
    assert fetch(app, "/feeds/rss.xml", accept_encoding="gzip",
                 if_none_match=br["ETag"])[0] == 200
    assert fetch(app, "/feeds/rss.xml", accept_encoding="gzip",
                 if_none_match=f'"other", W/{br["ETag"][:-3]}gzip"')[0] == 304


def test_personal_pages_are_never_compressed(app, world, make_story):
    """BREACH: a page for one person may carry a secret (a CSRF token)."""
    story = make_story(world)
    for _ in range(2):
        _, headers, _ = fetch(app, story.url, accept_encoding="br, gzip",
                              cookie="sessionid=abc")
        assert "Content-Encoding" not in headers
    _, headers, _ = fetch(app, "/accounts/login/", accept_encoding="br, gzip")
    assert "Content-Encoding" not in headers


def test_fragments_are_kept_as_they_are(app, world, make_story, settings):
    settings.BROADSHEET_PAGECACHE = {**settings.BROADSHEET_PAGECACHE, "FRAGMENTS": True}
    story = make_story(world, "Fragment headline")
    fetch(app, story.url, accept_encoding="br")
    kept = [p for p in (store.root() / "pages").iterdir()
            if p.name.startswith(fragments.PREFIX)]
    assert kept
    for path in kept:
        meta = json.loads(path.read_bytes().split(b"\n", 1)[0])
        assert "codings" not in meta
    page = json.loads((store.root() / "pages" / store.key_for("testserver", story.url, ""))
                      .read_bytes().split(b"\n", 1)[0])
    assert [c for c, _ in page["codings"]] == ["br", "gzip"]


def test_a_purge_drops_every_copy(app, world, make_story):
    story = make_story(world, "Before the purge")
    for accept in ("br", "gzip", ""):
        fetch(app, story.url, accept_encoding=accept)
        assert fetch(app, story.url, accept_encoding=accept)[1]["X-Page-Cache"] == "hit"
    # Each copy, held in this worker's memory, goes with the page (which a miss then stores
    # again, every copy at once).
    for accept in ("br", "gzip", ""):
        store.purge_tags({f"page:{story.pk}"})
        assert not (store.root() / "pages" / store.key_for("testserver", story.url, "")
                    ).exists()
        assert fetch(app, story.url, accept_encoding=accept)[1]["X-Page-Cache"] == "miss"


def test_pages_stored_without_copies_are_served_as_they_are(db):
    key = store.key_for("testserver", "/small/", "")
    store.store(key, status=200, headers=[("Content-Type", "text/html")], body=b"<p>hi</p>",
                tags={"page:1"}, max_age=60, started_at=time.time())
    entry = store.load_entry(store.root(), key, ("br", "gzip"))
    assert entry.coding == "identity" and entry.codings == () and entry.body == b"<p>hi</p>"


# --- under `broadsheet serve`, over real HTTP on loopback ----------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    port = free_port()
    env = prepared_site(tmp_path_factory.mktemp("compressed"), port)
    shell(env, publish_story_script("Lantern festival returns", "lanterns"))
    proc = start_server(env, port)
    yield port
    stop_server(proc)


def request(port: int, method: str, path: str, accept: str):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, headers={"Accept-Encoding": accept})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_the_served_hit_path_sends_each_coding(served):
    pages = set()
    for accept, coding in [("br", "br"), ("gzip", "gzip"), ("identity", None),
                           ("gzip, deflate, br, zstd", "br")]:
        for _ in range(2):
            status, headers, body = request(served, "GET", "/metro/lanterns/", accept)
            assert status == 200 and headers.get("content-encoding") == coding
            assert int(headers["content-length"]) == len(body)
            pages.add(DECODE[coding](body))
        assert headers["x-page-cache"] == "hit" and "age" in headers
    assert len(pages) == 1 and b"Lantern festival returns" in pages.pop()
    status, headers, body = request(served, "HEAD", "/metro/lanterns/", "gzip")
    assert status == 200 and body == b"" and headers["content-encoding"] == "gzip"
    assert int(headers["content-length"]) == len(
        request(served, "GET", "/metro/lanterns/", "gzip")[2])
