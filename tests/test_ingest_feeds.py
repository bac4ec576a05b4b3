"""Feeds in: RSS and Atom entries become stories, once each, from files or URLs."""

import functools
import io
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command

from broadsheet.articles.models import ArticlePage
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data"


def run_import(*paths, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *map(str, paths), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_rss_entries_become_stories(home, client):
    out, err = run_import(DATA / "feed.rss")
    assert "created 2" in err
    bridge = ArticlePage.objects.get(source_uri="urn:wire:bridge")
    assert bridge.get_parent().title == "Valley Wire" and bridge.live
    assert [b.block_type for b in bridge.body] == ["paragraph", "subhead", "list"]
    assert bridge.body[0].value.source == "<p>The old bridge is <b>open</b> again.</p>"
    assert bridge.byline == "Jo Reporter" and bridge.language == "en-gb"
    assert set(bridge.tags.names()) == {"Transport", "Calder"}
    assert bridge.first_published_at.isoformat() == "2025-03-03T09:30:00+00:00"
    assert bridge.summary == "The old bridge is open again."
    html = client.get(bridge.url).content.decode()
    assert "alert(1)" not in html and "<li>Cars</li>" in html
    # No guid: the link identifies the entry.
    assert ArticlePage.objects.get(source_uri="https://wire.example/library").title == \
        "Library extends hours"


def test_atom_with_section_option_and_rerun_updates(home):
    run_import(DATA / "feed.atom", section="Science")
    out, err = run_import(DATA / "feed.atom", section="Science")
    assert "created 0, updated 1" in err
    comet = ArticlePage.objects.get()
    assert comet.get_parent().title == "Science" and comet.byline == "Sam Astronomer"
    assert [b.value.source for b in comet.body] == ["<p>A bright comet.</p>",
                                                    "<p>Look north.</p>"]


def test_feed_from_a_url(home):
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(DATA))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        run_import(f"{url}/feed.rss")
        assert ArticlePage.objects.count() == 2
        with pytest.raises(CommandError, match=r"missing\.rss: could not be fetched: HTTP 404"):
            run_import(f"{url}/missing.rss")
    finally:
        server.shutdown()


def test_not_a_feed_is_refused(tmp_path, home):
    bad = tmp_path / "bad.xml"
    bad.write_text("<html><body>Hello</body></html>")
    with pytest.raises(CommandError, match=r"bad\.xml: is not an RSS or Atom feed"):
        run_import(bad)
    assert not ArticlePage.objects.exists()
