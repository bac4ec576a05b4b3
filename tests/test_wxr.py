
"""WordPress move-in: both of WordPress's own test exports, checked against the files."""

import html
import io
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from taggit.models import Tag
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import Page

from broadsheet.articles.models import ArticlePage
from broadsheet.comments.imported import add_imported, thread_imported
from broadsheet.comments.models import Comment
from broadsheet.ingest.comment_writer import CommentWriter, comment_writer, register_comment_writer
from broadsheet.ingest.models import ImportedObject, RemoteImage
from broadsheet.ingest.wxr_read import (
    WxrAuthor,
    WxrBlog,
    WxrCategory,
    WxrPost,
    WxrReader,
    WxrRepeat,
    WxrTag,
)
from broadsheet.masthead.models import StandardPage
from broadsheet.people.models import Author
from broadsheet.sections.models import SectionPage
from tests.testdata import WXR

THEME = WXR / "themeunittestdata.wordpress.xml"
BLOCKS = WXR / "64-block-test-data.xml"


def run_import(*paths, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *map(str, paths), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def local(tag):
    return tag.rsplit("}", 1)[-1]


class Export:
    """The export read independently, with the standard library, to count what it holds."""

    def __init__(self, path):
        channel = ET.parse(path).getroot().find("channel")  # noqa: S314 (WordPress's file)
        self.authors, self.categories, self.tags = [], [], []
        self.items = []
        for element in channel:
            name = local(element.tag)
            fields = {local(c.tag): (c.text or "") for c in element}
            if name == "author":
                self.authors.append(fields["author_display_name"])
            elif name == "category":
                self.categories.append(fields["category_nicename"])
            elif name == "tag":
                self.tags.append(fields["tag_name"])
            elif name == "item":
                fields["comments"] = [{local(x.tag): (x.text or "") for x in c}
                                      for c in element if local(c.tag) == "comment"]
                for meta in element:
                    if local(meta.tag) == "postmeta":
                        values = {local(x.tag): (x.text or "") for x in meta}
                        if values.get("meta_key") == "_thumbnail_id":
                            fields["_thumbnail"] = values.get("meta_value", "")
                self.items.append(fields)

    def of(self, kind, *statuses):
        return [i for i in self.items if i["post_type"] == kind
                and (not statuses or i["status"] in statuses)]


@pytest.fixture(scope="module")
def theme():
    return Export(THEME)


def test_theme_unit_test_data_imports_whole(home, client, theme):
    out, err = run_import(THEME)
    assert "refused 0" in err
    posts = theme.of("post", "publish", "draft", "future", "pending", "private")
    assert ArticlePage.objects.count() == len(posts)
    assert ArticlePage.objects.filter(live=True).count() == len(theme.of("post", "publish"))
    assert StandardPage.objects.count() == len(theme.of("page", "publish", "draft"))
    assert sorted(Author.objects.values_list("name", flat=True)) == sorted(theme.authors)
    assert ImportedObject.objects.filter(kind="category").count() == len(theme.categories)
    assert SectionPage.objects.count() == len(set(theme.categories))
    assert set(theme.tags) <= set(Tag.objects.values_list("name", flat=True))
    attachments = theme.of("attachment")
    assert ImportedObject.objects.filter(kind="attachment").count() == len(attachments)
    # No network here: every picture is recorded as remote, with a warning, never a failure.
    assert RemoteImage.objects.filter(role="attachment").count() == len(attachments)
    assert "could not be fetched" in err
    # One import (it takes seconds), several checks:
    check_drafts_and_scheduled_posts_stay_out_of_view(client, theme)
    check_pages_keep_their_hierarchy(theme)
    check_featured_images_become_remote_heroes(theme)


def check_drafts_and_scheduled_posts_stay_out_of_view(client, theme):
    for item in theme.of("post", "draft", "future"):
        page = ArticlePage.objects.get(source_uri__endswith=f"/?p={item['post_id']}")
        assert not page.live
        assert client.get(page.url_path.removeprefix("/home")).status_code == 404
        assert client.get(f"/?p={item['post_id']}").status_code != 301  # nothing to leak
        if item["status"] == "future":
            when = datetime.strptime(item["post_date_gmt"], "%Y-%m-%d %H:%M:%S").replace(
                tzinfo=UTC)
            assert page.go_live_at == when
            assert page.latest_revision.approved_go_live_at == when
    titles = " ".join(i["title"] for i in theme.of("post", "draft", "future"))
    assert titles and not any(t in client.get("/").content.decode()
                              for t in titles.split() if len(t) > 6)


def test_theme_comments_keep_state_and_thread_mapping(home, theme):
    run_import(THEME)
    on_posts = [c for i in theme.of("post", "publish", "draft", "future") for c in i["comments"]]
    assert Comment.objects.count() == len(on_posts)
    states = Counter(Comment.objects.values_list("status", flat=True))
    assert states["approved"] == sum(c["comment_approved"] == "1" for c in on_posts)
    assert states["pending"] == sum(c["comment_approved"] == "0" for c in on_posts)
    mapped = {m.external_id: m for m in ImportedObject.objects.filter(kind="comment")}
    threaded = [c for c in on_posts if c["comment_parent"] not in ("", "0")]
    assert threaded  # the file threads its comments
    for c in on_posts:
        mapping = mapped[c["comment_id"]]
        assert mapping.parent_external_id == ("" if c["comment_parent"] == "0"
                                              else c["comment_parent"])
        comment = Comment.objects.get(pk=mapping.object_id)
        assert comment.created_at.strftime("%Y-%m-%d %H:%M:%S") == c["comment_date_gmt"]
        assert mapping.data["author"] == c["comment_author"]
        # WordPress keeps names as HTML ("&laquo;"); they read as text here.
        assert comment.display_name == (" ".join(html.unescape(c["comment_author"]).split())
                                        or "Deleted account")
    # Every parent named by a reply is itself an imported comment: threads can be linked.
    assert {c["comment_parent"] for c in threaded} <= set(mapped)


def test_imported_comments_show_the_names_they_were_signed_with(home, client, theme):
    run_import(THEME)
    comment = (Comment.objects.filter(status="approved", story__live=True).exclude(guest_name="")
               .select_related("story").first())
    html = client.get(comment.story.url + "?sort=oldest").content.decode()
    from django.utils.html import escape

    assert escape(comment.guest_name) in html


def test_theme_old_addresses_redirect(home, client, theme):
    run_import(THEME)
    for item in theme.of("post", "publish")[:10] + theme.of("page", "publish")[:5]:
        query = "p" if item["post_type"] == "post" else "page_id"
        response = client.get(f"/?{query}={item['post_id']}")
        assert response.status_code == 301, item["title"]
        target = response["Location"]
        assert client.get(target).status_code == 200
        old = item["link"].split("wpthemetestdata.wordpress.com", 1)[1]
        if Redirect.normalise_path(old) != Redirect.normalise_path(target):
            assert client.get(old).status_code == 301
            assert client.get(old)["Location"] == target


def check_pages_keep_their_hierarchy(theme):
    by_id = {i["post_id"]: i for i in theme.of("page")}
    pages = {m.external_id: Page.objects.get(pk=m.object_id)
             for m in ImportedObject.objects.filter(kind="page")}
    for wp_id, item in by_id.items():
        if item["post_parent"] in by_id:
            assert pages[wp_id].get_parent().pk == pages[item["post_parent"]].pk


def test_rerun_never_duplicates(home, theme):
    run_import(THEME)
    counts = (Page.objects.count(), Comment.objects.count(), Author.objects.count(),
              Redirect.objects.count(), RemoteImage.objects.count())
    out, err = run_import(THEME)
    assert "created 0, updated 0" in err
    assert counts == (Page.objects.count(), Comment.objects.count(), Author.objects.count(),
                      Redirect.objects.count(), RemoteImage.objects.count())


def test_dry_run_keeps_nothing(home):
    before = Page.objects.count()
    out, err = run_import(THEME, dry_run=True)
    assert "dry run, nothing kept: created " in err
    assert Page.objects.count() == before and not Comment.objects.exists()


def test_block_editor_export_becomes_clean_blocks(home, client):
    export = Export(BLOCKS)
    run_import(BLOCKS)
    posts = export.of("post", "publish")
    assert ArticlePage.objects.filter(live=True).count() == len(posts)
    assert Comment.objects.count() == sum(len(i["comments"]) for i in posts)
    for page in ArticlePage.objects.all():
        for block in page.body:
            raw = block.value.source if hasattr(block.value, "source") else str(block.value)
            assert "wp:" not in raw and "<!--" not in raw
    paragraph = ArticlePage.objects.get(title="Paragraph")
    first = paragraph.body[0]
    assert (first.block_type, first.value.source) == ("paragraph", "<p>A paragraph.</p>")
    lists = [p for p in ArticlePage.objects.all() if any(b.block_type == "list" for b in p.body)]
    assert lists  # the List block post
    html = client.get(paragraph.url).content.decode()
    assert "<p>A paragraph.</p>" in html


def test_not_an_export_is_refused(tmp_path, home):
    bad = tmp_path / "bad.xml"
    bad.write_text('<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item>'
                   "<title>x</item></channel></rss>")
    with pytest.raises(Exception, match=r"bad\.xml: line 1, column \d+: not well-formed"):
        run_import(bad)


def check_featured_images_become_remote_heroes(theme):
    attachments = {i["post_id"]: i["attachment_url"] for i in theme.of("attachment")}
    featured = 0
    for item in theme.of("post", "publish"):
        thumbnail = item.get("_thumbnail", "")
        if thumbnail in attachments:
            featured += 1
            page = ArticlePage.objects.get(source_uri__endswith=f"/?p={item['post_id']}")
            assert RemoteImage.objects.get(page=page, role="hero").url == attachments[thumbnail]
    assert featured  # the file has featured images


def test_check_reads_the_export_and_changes_nothing(home, theme):
    out, err = run_import("--check", THEME)
    assert not ArticlePage.objects.exists() and not Comment.objects.exists()
    assert out.count("\nok ") + out.startswith("ok ") == len(
        [i for i in theme.items if i["post_type"] in ("post", "page")
         and i["status"] not in ("trash", "auto-draft", "inherit")])


def test_threads_keep_who_answered_whom_two_levels_deep(home, theme):
    run_import(THEME)
    mapped = {m.external_id: m for m in ImportedObject.objects.filter(kind="comment")}
    replies = [m for m in mapped.values() if m.parent_external_id in mapped]
    assert replies

    def root(m):
        while m.parent_external_id in mapped:
            m = mapped[m.parent_external_id]
        return m

    deep = 0
    for reply in replies:
        comment = Comment.objects.get(pk=reply.object_id)
        assert comment.reply_to_id == mapped[reply.parent_external_id].object_id
        assert comment.parent_id == root(reply).object_id
        assert comment.parent.parent_id is None  # never more than two levels
        deep += comment.parent_id != comment.reply_to_id
    # The theme-unit-test file nests replies deeper than two levels; they must fold up.
    assert deep


def test_reading_an_export_needs_no_database(theme):
    # No `db` fixture: pytest-django refuses any query, so the reader must make none.
    reader = WxrReader(THEME)
    things = list(reader.things())
    assert isinstance(things[0], WxrBlog)
    assert things[0].address == "https://wpthemetestdata.wordpress.com"
    assert reader.fraction == pytest.approx(1, abs=0.01)
    of = {kind: [t for t in things if isinstance(t, kind)]
          for kind in (WxrAuthor, WxrCategory, WxrTag, WxrPost, WxrRepeat)}
    assert [a.name for a in of[WxrAuthor]] == theme.authors
    assert [c.nicename for c in of[WxrCategory]] == theme.categories
    assert [t.name for t in of[WxrTag]] == theme.tags
    first = {}  # the file has items twice: the first of each is read, the others are repeats
    for item in theme.items:
        first.setdefault(item["post_id"], item)
    assert [(p.id, p.kind, p.status, len(p.comments)) for p in of[WxrPost]] == [
        (i["post_id"], i["post_type"], i["status"], len(i["comments"])) for i in first.values()]
    assert len(of[WxrRepeat]) == len(theme.items) - len(first) > 0
    assert reader.attachment_urls() == {i["post_id"]: i["attachment_url"]
                                        for i in theme.of("attachment")}


def one_post(comments: str, *, modified: str = "2025-01-01 10:00:00") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><link>https://blog.example.org</link>
<item><title>Bridge reopens</title><link>https://blog.example.org/bridge/</link>
<wp:post_id>7</wp:post_id><wp:post_type>post</wp:post_type><wp:status>publish</wp:status>
<wp:post_date_gmt>2025-01-01 10:00:00</wp:post_date_gmt>
<wp:post_modified_gmt>{modified}</wp:post_modified_gmt>
<content:encoded><![CDATA[<p>It is open.</p>]]></content:encoded>{comments}</item>
</channel></rss>"""


def wp_comment(wp_id: int, parent: int = 0, approved: str = "1") -> str:
    return (f"<wp:comment><wp:comment_id>{wp_id}</wp:comment_id>"
            f"<wp:comment_author>Reader {wp_id}</wp:comment_author>"
            f"<wp:comment_date_gmt>2025-01-02 10:00:{wp_id:02}</wp:comment_date_gmt>"
            f"<wp:comment_content>Comment {wp_id}.</wp:comment_content>"
            f"<wp:comment_approved>{approved}</wp:comment_approved>"
            f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>")


@pytest.fixture
def spied_writer():
    """The writer the console app registered at start-up, with each call counted."""
    registered = comment_writer()
    assert registered == CommentWriter(add=add_imported, thread=thread_imported)
    calls = Counter()

    def add(comments):
        calls["added"] += len(comments)
        return registered.add(comments)

    def thread(replies):
        calls["threaded"] += len(replies)
        return registered.thread(replies)

    register_comment_writer(CommentWriter(add=add, thread=thread))
    yield calls
    register_comment_writer(registered)


def test_comments_are_written_by_the_comments_app_registered_at_the_top(home, tmp_path,
                                                                        spied_writer):
    export = tmp_path / "export.xml"
    # 3 answers 2, which answers 1: three levels in WordPress, two here.
    export.write_text(one_post(wp_comment(1) + wp_comment(2, parent=1) + wp_comment(3, parent=2)
                               + wp_comment(4, approved="hold")))
    run_import(export)  # a new story: its comments go with the batch
    assert spied_writer == {"added": 4, "threaded": 2}
    by_body = {c.body: c for c in Comment.objects.all()}
    first, second, third = (by_body[f"Comment {n}."] for n in (1, 2, 3))
    assert (second.parent, second.reply_to) == (first, first)
    assert (third.parent, third.reply_to) == (first, second)
    assert by_body["Comment 4."].status == "pending" and first.status == "approved"
    assert third.created_at == datetime(2025, 1, 2, 10, 0, 3, tzinfo=UTC)

    # An update is written on its own, and so are its new comments; the old ones stay single.
    export.write_text(one_post(wp_comment(1) + wp_comment(2, parent=1) + wp_comment(3, parent=2)
                               + wp_comment(4, approved="hold") + wp_comment(5, parent=3),
                               modified="2025-01-03 10:00:00"))
    run_import(export)
    assert spied_writer == {"added": 5, "threaded": 3}
    fifth = Comment.objects.get(body="Comment 5.")
    assert (fifth.parent, fifth.reply_to) == (first, third)
    assert Comment.objects.count() == ImportedObject.objects.filter(kind="comment").count() == 5


def test_without_the_comments_app_comments_are_skipped_and_said_so(home, tmp_path,
                                                                   spied_writer):
    export = tmp_path / "export.xml"
    export.write_text(one_post(wp_comment(1) + wp_comment(2, parent=1)))
    register_comment_writer(None)  # as when the comments app is not installed
    out, err = run_import(export)
    assert (f"warning {export}: 2 comments skipped: nothing takes imported comments (the "
            "comments app is not installed)") in err
    assert ArticlePage.objects.filter(live=True).count() == 1
    assert not Comment.objects.exists()
    assert not ImportedObject.objects.filter(kind="comment").exists()

    register_comment_writer(CommentWriter(add=add_imported, thread=thread_imported))
    out, err = run_import(export)  # the story is unchanged; its comments come now
    assert "skipped" in out and "comments skipped" not in err
    reply = Comment.objects.get(body="Comment 2.")
    assert reply.parent == reply.reply_to == Comment.objects.get(body="Comment 1.")
