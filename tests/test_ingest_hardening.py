"""Malformed files are refused with the file and the problem named, never a traceback.

Each case is a class of input that once escaped the readers as an exception of its own
(RecursionError, ValueError, UnicodeEncodeError, a database error) and stopped the batch.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import Page

from broadsheet.articles.models import ArticlePage
from tests.testdata import DATA, NINJS

NEWSML = NINJS / "examples" / "NewsML" / "businesswire-newsml-20130605006126.xml"


def run_import(*paths, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *map(str, paths), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def refused(path, **options) -> str:
    """The refusal of `path`, which must name it; nothing may have been written."""
    pages = Page.objects.count()
    with pytest.raises(CommandError) as error:
        run_import(path, **options)
    message = str(error.value)
    assert str(path) in message, message
    assert "Traceback" not in message
    assert "fault in Broadsheet" not in message  # refused for what the file holds, not a crash
    assert Page.objects.count() == pages
    return message


def item(**extra) -> dict:
    value = {"uri": "urn:test:1", "type": "text",
             "headlines": [{"role": "main", "value": "A test headline"}],
             "subjects": [{"name": "Science", "rel": "section"}],
             "bodies": [{"role": "text", "contentType": "text/plain", "value": "One.\n\nTwo."}]}
    value.update(extra)
    return value


def write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def wxr(title: str = "Post", *, declaration: str = '<?xml version="1.0" encoding="UTF-8"?>',
        body: str = "<p>Body.</p>") -> str:
    return f"""{declaration}
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Blog</title><link>https://blog.example.org</link>
<wp:base_blog_url>https://blog.example.org</wp:base_blog_url>
<item><title>{title}</title><link>https://blog.example.org/?p=1</link>
<wp:post_id>1</wp:post_id><wp:post_type>post</wp:post_type><wp:status>publish</wp:status>
<wp:post_date_gmt>2025-01-01 10:00:00</wp:post_date_gmt>
<content:encoded><![CDATA[{body}]]></content:encoded></item>
</channel></rss>"""


# ninjs JSON --------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["[" * 100_000, '{"a":' * 100_000],
                         ids=["arrays", "objects"])
def test_json_nested_past_the_parser_is_refused(tmp_path, home, text):
    message = refused(write(tmp_path, "deep.json", text))
    assert "nested" in message


def test_deeply_nested_associations_are_refused_before_validation(tmp_path, home):
    nested = item()
    for n in range(400):
        nested = item(uri=f"urn:test:{n}", type="composite", associations=[nested])
    message = refused(write(tmp_path, "deep.json", json.dumps(nested)))
    assert "nested" in message and "levels" in message


def test_a_number_too_long_to_read_is_refused(tmp_path, home):
    text = json.dumps(item()).replace('"type"', '"size": ' + "9" * 5000 + ', "type"')
    message = refused(write(tmp_path, "huge.json", text))
    assert "digits" in message


def test_nan_and_infinity_are_not_json(tmp_path, home):
    text = json.dumps(item()).replace('"type"', '"size": NaN, "type"')
    assert "NaN" in refused(write(tmp_path, "nan.json", text))


def test_a_lone_surrogate_is_refused_naming_where(tmp_path, home):
    # json.dumps writes the lone surrogate as the escape \ud800, as a broken producer would.
    path = write(tmp_path, "surrogate.json",
                 json.dumps(item(headlines=[{"role": "main", "value": "Bad \ud800 text"}])))
    message = refused(path)
    assert "$.headlines[0].value" in message and "surrogate" in message


def test_nul_characters_are_taken_out_with_a_warning(tmp_path, home):
    path = write(tmp_path, "nul.json", json.dumps(item(
        headlines=[{"role": "main", "value": "Null\u0000 and void"}],
        bodies=[{"role": "text", "contentType": "text/html",
                 "value": "<p>One\u0000 two.</p>"}])))
    _, err = run_import(path)
    story = ArticlePage.objects.get()
    assert story.title == "Null and void"
    assert "\x00" not in json.dumps(story.body.get_prep_value())
    assert f"{path}: NUL characters" in err


@pytest.mark.parametrize("content", ['"a string"', "[1, 2, 3]", '{"uri": 5}', "null",
                                     '[{"uri": "u"}, "b"]', '{"uri": "u", "headlines": "x"}',
                                     '{"uri": "u", "type": true}'])
def test_wrong_types_are_refused(tmp_path, home, content):
    refused(write(tmp_path, "types.json", content))


def test_an_invalid_picture_with_a_status_of_the_wrong_type_is_skipped(tmp_path, home):
    path = write(tmp_path, "picture.json", '{"uri": "u", "type": "picture", "pubStatus": []}')
    out, err = run_import(path)
    assert f"skipped {path}: a picture item is not a story" in out
    assert not ArticlePage.objects.exists()


# XML: WordPress exports, NewsML, feeds ----------------------------------------------------

def newsml_with(declaration: str) -> str:
    return declaration + "\n" + NEWSML.read_text(encoding="utf-8")


def feed_with(declaration: str) -> str:
    return (DATA / "feed.rss").read_text(encoding="utf-8").replace(
        '<?xml version="1.0" encoding="UTF-8"?>', declaration)


MAKERS = {"wxr": lambda d: wxr(declaration=d), "newsml": newsml_with, "feed": feed_with}


@pytest.mark.parametrize("encoding", ["x-klingon", "utf-7", "shift_jis", "utf-32"])
@pytest.mark.parametrize("kind", ["wxr", "newsml"])
def test_an_encoding_xml_cannot_read_is_refused(tmp_path, home, kind, encoding):
    path = write(tmp_path, f"{kind}.xml",
                 MAKERS[kind](f'<?xml version="1.0" encoding="{encoding}"?>'))
    message = refused(path, section="News")
    assert encoding in message.lower()


@pytest.mark.parametrize("encoding", ["x-klingon", "utf-7", "utf-32"])
def test_a_feed_in_an_unknown_encoding_imports_or_is_refused(tmp_path, home, encoding):
    path = write(tmp_path, "feed.xml",
                 feed_with(f'<?xml version="1.0" encoding="{encoding}"?>'))
    try:
        run_import(path)
    except CommandError as error:
        assert f"{path}: " in str(error)
    for story in ArticlePage.objects.all():
        assert "\x00" not in story.title


@pytest.mark.parametrize("kind", ["wxr", "newsml", "feed"])
def test_a_nul_byte_in_xml_never_reaches_the_database(tmp_path, home, kind):
    content = MAKERS[kind]('<?xml version="1.0" encoding="UTF-8"?>')
    content = content.replace("<title>", "<title>Nul\x00 ", 1).replace(
        "<HeadLine>", "<HeadLine>Nul\x00 ", 1)
    path = write(tmp_path, f"{kind}.xml", content)
    try:
        run_import(path, section="News")
    except CommandError as error:
        assert f"{path}: " in str(error)
    for story in ArticlePage.objects.all():
        assert "\x00" not in story.title and "\x00" not in json.dumps(story.body.get_prep_value())


def test_a_character_reference_to_a_surrogate_in_a_feed(tmp_path, home):
    path = write(tmp_path, "feed.rss", feed_with('<?xml version="1.0" encoding="UTF-8"?>')
                 .replace("Bridge reopens", "Bridge &#xD800; reopens"))
    try:
        run_import(path)
    except CommandError as error:
        assert f"{path}: " in str(error)
    for story in ArticlePage.objects.all():
        story.title.encode("utf-8")  # storable text, whatever the feed said


@pytest.mark.parametrize("kind", ["wxr", "newsml", "feed"])
def test_a_truncated_xml_file_is_refused_or_reads_what_is_whole(tmp_path, home, kind):
    content = MAKERS[kind]('<?xml version="1.0" encoding="UTF-8"?>')
    path = write(tmp_path, f"{kind}.xml", content[:len(content) * 2 // 3])
    try:
        run_import(path, section="News")
    except CommandError as error:
        assert f"{path}: " in str(error)
        assert not ArticlePage.objects.exists()


def test_a_feed_date_past_the_calendar_is_no_date(tmp_path, home):
    # Valid ISO 8601, but in UTC it is the first hour of the year 10000.
    path = write(tmp_path, "feed.atom", (DATA / "feed.atom").read_text(encoding="utf-8")
                 .replace("2025-03-05T11:00:00Z", "9999-12-31T23:59:59-12:00"))
    run_import(path, section="Science")
    assert ArticlePage.objects.get().first_published_at.year == 2025  # from <updated>


@pytest.mark.parametrize("kind", ["ninjs", "wxr", "newsml", "feed"])
def test_an_empty_file_is_refused(tmp_path, home, kind):
    refused(write(tmp_path, "empty", b""), format=kind)


def test_a_post_twice_in_an_export_is_imported_once(tmp_path, home):
    content = wxr("Twice")
    item = content[content.index("<item>"):content.index("</item>") + len("</item>")]
    path = write(tmp_path, "twice.xml", content.replace(item, item + item.replace(
        "Twice", "Twice, edited")))
    _, err = run_import(path, section="News")
    assert ArticlePage.objects.get().title == "Twice"
    assert f"{path} post 1: appears again in the export; the first is imported" in err
