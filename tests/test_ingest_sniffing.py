"""`import` tells a file's kind by what it is, not by its first 8 KB as UTF-8: a WordPress
export in UTF-16 is read as one, and a NewsML file is NewsML however long its DOCTYPE."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from broadsheet.articles.models import ArticlePage
from broadsheet.ingest.sniff import kind_of_source
from tests.testdata import NINJS, WXR

BLOCKS = WXR / "64-block-test-data.xml"
NEWSML = sorted((NINJS / "examples" / "NewsML").glob("*.xml"))


def run_import(*paths, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *map(str, paths), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_wordpress_export_is_read_as_one(tmp_path, home, codec):
    text = BLOCKS.read_text(encoding="utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"', 1)
    assert 'encoding="UTF-16"' in text[:100]
    path = tmp_path / "export.xml"
    # "utf-16" writes a byte order mark; the -le/-be codecs write none.
    path.write_bytes(text.encode(codec))
    assert kind_of_source(path) == "wxr"
    out, err = run_import(path, check=True)
    utf8_out, _ = run_import(BLOCKS, check=True)
    assert "refused 0" in err
    assert out.count("ok ") == utf8_out.count("ok ") > 0


def test_a_newsml_file_with_a_long_doctype_is_newsml(tmp_path, home):
    original = NEWSML[0].read_bytes()
    subset = b"".join(b'<!ATTLIST Property Note%d CDATA #IMPLIED>\n' % n for n in range(600))
    doctype = (b'<!DOCTYPE NewsML PUBLIC "urn:newsml:iptc.org:20001006:NewsMLv1.0:1" '
               b'"NewsMLv1.2.dtd" [\n<!-- the agency\'s own additions -->\n' + subset + b"]>\n")
    assert len(doctype) > 20_000
    body = original.lstrip()
    declaration = b""
    if body.startswith(b"<?xml"):
        declaration, body = body.split(b"?>", 1)
        declaration += b"?>\n"
    path = tmp_path / "long-doctype.xml"
    path.write_bytes(declaration + doctype + body.lstrip())
    assert kind_of_source(path) == "newsml"
    out, err = run_import(path, section="Wire", no_fetch=True)
    assert out.startswith("imported ") and "refused 0" in err
    assert ArticlePage.objects.count() == 1


def test_other_kinds_are_still_told_apart(tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text('<?xml version="1.0"?>\n<!-- a note -->\n<rss version="2.0"><channel/></rss>')
    ninjs = tmp_path / "item.json"
    ninjs.write_text('\ufeff{"uri": "urn:x"}', encoding="utf-8")
    assert kind_of_source(feed) == "feed"
    assert kind_of_source(ninjs) == "ninjs"
    assert kind_of_source(NEWSML[0]) == "newsml"
    assert kind_of_source(BLOCKS) == "wxr"
