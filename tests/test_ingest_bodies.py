"""Bodies in every format become clean blocks; pictures come in, or are recorded as remote."""

import functools
import io
import json
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Page, Revision

from broadsheet.articles.models import ArticlePage
from broadsheet.ingest import bodies, ninjs
from broadsheet.ingest.models import FetchedImage, RemoteImage
from tests.testdata import NINJS

EXAMPLES = NINJS / "examples"


def run_import(*paths, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *map(str, paths), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def item_with(**extra):
    item = {"uri": "urn:test:pictures", "type": "composite",
            "headlines": [{"role": "main", "value": "Pictures of the flood"}],
            "subjects": [{"name": "Local", "rel": "section"}]}
    item.update(extra)
    return item


@pytest.fixture
def picture_server(tmp_path, settings):
    """A real HTTP server on a loopback port serving two small JPEGs and a non-picture
    (loopback addresses are allowed for these tests; by default they are not fetched)."""
    settings.BROADSHEET_INGEST = {**settings.BROADSHEET_INGEST, "FETCH_PRIVATE_ADDRESSES": True}
    for name, colour in (("river.jpg", "navy"), ("bridge.jpg", "olive")):
        PILImage.new("RGB", (64, 48), colour).save(tmp_path / name, "JPEG")
    (tmp_path / "page.jpg").write_text("<html>not a picture</html>")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def picture(href, **extra):
    return {"name": extra.pop("name", "main"), "uri": href, "type": "picture",
            "renditions": [{"name": "original", "href": href, "contentType": "image/jpeg",
                            "width": 64, "height": 48}], **extra}


def test_nitf_body_becomes_paragraphs_without_its_head():
    path = EXAMPLES / "3.0" / ("20231008-anti-doping-measures-at-the-tour-down-under-will-be-"
                               "the-toughest-ever-addb-ninjs-nitf.json")
    item = json.loads(path.read_text())
    nitf = next(b["value"] for b in item["bodies"] if "NITF" in b["contentType"])
    blocks = bodies.blocks_of("text/vnd.iptc.nitf", nitf)
    assert blocks[0][1].startswith("<p>The Australian Sports Anti-Doping Authority")
    assert all(kind == "paragraph" for kind, _ in blocks)
    assert not any("DopingWatch" in value for _, value in blocks)  # body.head is not text
    assert ninjs.story_from(item, path, default_section="Sport").body == blocks


@pytest.mark.parametrize("xml, blocks", [
    ("<nitf><body><body.content><hl2>Sub</hl2><p>One <em>two</em> "
     "<a href='https://x.example/'>link</a></p><ul><li>A</li><li>B</li></ul>"
     "<media media-type='image'><media-caption>Gone</media-caption></media>"
     "<bq><block><p>Said</p></block></bq></body.content></body></nitf>",
     [("subhead", "Sub"),
      ("paragraph", '<p>One <em>two</em> <a href="https://x.example/">link</a></p>'),
      ("list", {"ordered": False, "items": ["A", "B"]}),
      ("pull_quote", {"quote": "Said", "attribution": ""})]),
    ("<nitf xmlns='http://iptc.org/std/NITF/2006-10-18/'><body><body.content><p>Namespaced</p>"
     "</body.content></body></nitf>", [("paragraph", "<p>Namespaced</p>")]),
])
def test_nitf_structure_is_kept(xml, blocks):
    assert bodies.blocks_of("application/nitf+xml", xml) == blocks


def test_xml_that_is_not_nitf_gives_way_to_another_body():
    chosen = bodies.richest_body([("application/xml", "<TTNITF><p>x</p></TTNITF>"),
                                  ("text/plain", "Plain words.")])
    assert chosen == [("paragraph", "<p>Plain words.</p>")]


def test_richest_body_wins_whatever_the_order():
    plain = ("text/plain", "Head\n\nOne.\n\nTwo.")
    html5 = ("text/html", "<html><body><h2>Head</h2><p>One.</p><ul><li>Two.</li></ul></body>"
                          "</html>")
    xhtml = ("application/xhtml+xml", "<p>Head</p><p>One.</p><p>Two.</p>")
    for order in ([plain, html5, xhtml], [xhtml, plain, html5], [html5, xhtml, plain]):
        assert [k for k, _ in bodies.richest_body(order)] == ["subhead", "paragraph", "list"]


def test_pictures_are_fetched_as_hero_and_inline_images(home, tmp_path, picture_server):
    body = (f'<p>Before.</p><figure><a href="/x"><img src="{picture_server}/bridge.jpg" '
            'alt="The old bridge"></a><figcaption>The bridge at dawn.</figcaption></figure>'
            "<p>After.</p>")
    item = item_with(
        bodies=[{"contentType": "text/html", "value": body}],
        associations=[picture(f"{picture_server}/river.jpg", by="Ann Photographer",
                              descriptions=[{"role": "caption", "value": "The river rising."}],
                              headlines=[{"role": "main", "value": "River in flood"}])])
    path = tmp_path / "a.json"
    path.write_text(json.dumps(item))
    out, err = run_import(path)
    page = ArticlePage.objects.get()
    assert page.hero_image.width == 64 and page.hero_caption == "The river rising."
    assert page.hero_credit == "Ann Photographer" and page.hero_alt == "River in flood"
    assert [b.block_type for b in page.body] == ["paragraph", "image", "paragraph"]
    inline = page.body[1].value
    assert inline["alt"] == "The old bridge" and inline["caption"] == "The bridge at dawn."
    assert "warnings 0" in err and not RemoteImage.objects.exists()
    # Again: the same files are not fetched twice.
    run_import(path)
    assert get_image_model().objects.count() == 2 == FetchedImage.objects.count()


def test_unreachable_or_broken_pictures_are_remote_with_a_warning(home, tmp_path,
                                                                 picture_server):
    item = item_with(
        bodies=[{"contentType": "text/html",
                 "value": f'<p>Text.</p><img src="{picture_server}/page.jpg" alt="x">'}],
        associations=[picture("http://127.0.0.1:9/gone.jpg",
                              descriptions=[{"role": "caption", "value": "Gone."}])])
    path = tmp_path / "a.json"
    path.write_text(json.dumps(item))
    out, err = run_import(path)
    page = ArticlePage.objects.get()
    assert page.live and page.hero_image is None
    assert [b.block_type for b in page.body] == ["paragraph"]
    hero = RemoteImage.objects.get(role="hero")
    assert hero.page_id == page.pk and hero.caption == "Gone."
    assert "could not be fetched" in hero.problem
    assert "is not a picture" in RemoteImage.objects.get(role="inline").problem
    assert "warnings 2" in err and "recorded as a remote image" in err
    run_import(path)  # re-running records them once, not twice
    assert RemoteImage.objects.count() == 2


def test_dry_run_reports_and_keeps_nothing(home, tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps(item_with()))
    before = Page.objects.count(), Revision.objects.count()
    out, err = run_import(path, dry_run=True)
    assert out.startswith("imported ") and "dry run, nothing kept: created 1" in err
    assert (Page.objects.count(), Revision.objects.count()) == before


def test_pictures_on_private_addresses_are_not_fetched_by_default(home, tmp_path, settings,
                                                                 picture_server):
    settings.BROADSHEET_INGEST = {**settings.BROADSHEET_INGEST,
                                  "FETCH_PRIVATE_ADDRESSES": False}
    item = item_with(associations=[picture(f"{picture_server}/river.jpg")])
    path = tmp_path / "a.json"
    path.write_text(json.dumps(item))
    run_import(path)
    assert ArticlePage.objects.get().hero_image is None
    assert "private or local address (127.0.0.1)" in RemoteImage.objects.get().problem
    assert not FetchedImage.objects.exists()
