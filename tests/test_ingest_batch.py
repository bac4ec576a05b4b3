"""A batch goes on after a bad file: the good ones are imported, every bad one is reported
with its reason, nothing of a bad one remains, and the command fails at the end."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from taggit.models import Tag
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page, Revision

from broadsheet.articles.models import ArticlePage
from broadsheet.comments.models import Comment
from broadsheet.ingest.models import ImportedObject
from broadsheet.people.models import Author
from broadsheet.sections.models import SectionPage
from tests.testdata import DATA, NINJS, SEED

NEWSML = NINJS / "examples" / "NewsML" / "businesswire-newsml-20130605006126.xml"


def import_batch(*paths, **options):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import", *map(str, paths), stdout=out, stderr=err, **options)
    return str(error.value), out.getvalue(), err.getvalue()


def counts() -> dict:
    return {model.__name__: model.objects.count()
            for model in (Page, Revision, SectionPage, ArticlePage, Author, Comment, Tag,
                          ImportedObject, Redirect)}


def test_good_bad_good_imports_both_good_files(tmp_path, home):
    bad = tmp_path / "deep.json"
    bad.write_text("[" * 100_000)  # once a RecursionError that ended the whole run
    message, out, err = import_batch(SEED / "related.ninjs.json", bad,
                                     SEED / "article.ninjs.json")
    assert ArticlePage.objects.count() == 2
    assert message.startswith("1 of 3 files refused")
    assert f"{bad}: is not JSON a news item could be: nested too deeply" in message
    assert f"refused {bad}: " in err
    assert len(out.splitlines()) == 2  # one line for each story imported


def test_every_bad_file_is_reported_with_its_reason(tmp_path, home):
    klingon = tmp_path / "klingon.xml"
    klingon.write_text(NEWSML.read_text().lstrip().replace(
        "<NewsML", '<?xml version="1.0" encoding="x-klingon"?>\n<NewsML', 1))
    surrogate = tmp_path / "surrogate.json"
    item = json.loads((SEED / "article.ninjs.json").read_text())
    item["headlines"][0]["value"] = "Half a \ud83d character"
    surrogate.write_text(json.dumps(item))
    message, _, _ = import_batch(klingon, DATA / "feed.rss", surrogate, NEWSML,
                                 section="News")
    assert message.startswith("2 of 4 files refused")
    assert f"{klingon}: declares an encoding XML cannot be read in" in message
    assert f"{surrogate}: $.headlines[0].value: a lone surrogate (\\ud83d)" in message
    assert ArticlePage.objects.count() == 3  # two feed entries and the NewsML item


def wxr(posts: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"
     xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Blog</title><link>https://blog.example.org</link>
<wp:base_blog_url>https://blog.example.org</wp:base_blog_url>
<wp:author><wp:author_login>jo</wp:author_login>
<wp:author_display_name>Jo Writer</wp:author_display_name></wp:author>
<wp:category><wp:category_nicename>local</wp:category_nicename>
<wp:cat_name>Local</wp:cat_name></wp:category>
<wp:tag><wp:tag_name>bridges</wp:tag_name></wp:tag>
{posts}
</channel></rss>"""


def post(n: int, body: str) -> str:
    return f"""<item><title>Post {n}</title><link>https://blog.example.org/post-{n}/</link>
<dc:creator>jo</dc:creator><wp:post_id>{n}</wp:post_id><wp:post_type>post</wp:post_type>
<wp:status>publish</wp:status><wp:post_date_gmt>2025-01-0{n} 10:00:00</wp:post_date_gmt>
<category domain="category" nicename="local"><![CDATA[Local]]></category>
<category domain="post_tag" nicename="bridges"><![CDATA[bridges]]></category>
<content:encoded><![CDATA[{body}]]></content:encoded>
<wp:comment><wp:comment_id>{n}0</wp:comment_id><wp:comment_author>Reader</wp:comment_author>
<wp:comment_content>Nice.</wp:comment_content><wp:comment_approved>1</wp:comment_approved>
</wp:comment></item>"""


def test_a_file_refused_half_way_leaves_nothing_behind(tmp_path, home, settings):
    settings.BROADSHEET_INGEST = {**settings.BROADSHEET_INGEST, "MAX_ITEM_BYTES": 10_000}
    # Its author, section, tag and first post (with its comment and old address) are made
    # before its third post turns out to be too large.
    bad = tmp_path / "bad-export.xml"
    bad.write_text(wxr(post(1, "<p>Fine.</p>") + post(2, "<p>Fine too.</p>")
                       + post(3, "<p>" + "word " * 5000 + "</p>")))
    good = tmp_path / "good-export.xml"
    good.write_text(wxr(post(1, "<p>Fine.</p>")).replace("blog.example.org", "other.example"))
    before = counts()
    message, _, _ = import_batch(bad, good)
    assert f"{bad} post 3: the story body is 24.4 KB, more than the limit of 9.8 KB" in message
    after = counts()
    # Exactly what the good export makes: one story (a page and its revision), its section,
    # author, tag, comment, the memory of each, and its old addresses.
    assert ArticlePage.objects.get().source_uri == "https://other.example/?p=1"
    assert {k: after[k] - before[k] for k in after} == {
        "Page": 2, "Revision": 2, "SectionPage": 1, "ArticlePage": 1, "Author": 1,
        "Comment": 1, "Tag": 1, "ImportedObject": 4, "Redirect": 2}
