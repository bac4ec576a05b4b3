"""Moving in from WordPress: a WXR export (any size) read as a stream into the newsroom.

The file is read with iterparse and every item is dropped once written, so memory stays flat
whatever the size of the export. What becomes what:

- categories → sections (nested as in WordPress), tags → tags, authors → Author snippets
- posts → stories (published, draft, or scheduled for their date), with their comments
- pages → plain pages (`masthead.StandardPage`), nested as in WordPress
- attachments → pictures in the image library, or remote images when the host is gone
- every old address (/?p=N, /?page_id=N and the permalink) → a redirect to the new page

Everything made is remembered in `ImportedObject` under the export's site address, so running
the same export again updates nothing that did not change and never makes anything twice.
Comments keep their WordPress id and the id of the comment they answer there
(`parent_external_id`), ready for threading.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from django.utils import timezone
from wagtail.contrib.redirects.models import Redirect

from broadsheet.articles.bulk import NewStory, StoryBatch
from broadsheet.articles.models import ArticlePage
from broadsheet.comments.models import Comment
from broadsheet.frontpage.setup import ensure_home
from broadsheet.masthead.models import StandardPage
from broadsheet.pagecache.purge import purge_everything
from broadsheet.people.models import Author
from broadsheet.sections.models import SectionPage

from .bodies import blocks_from_wordpress, plain_text
from .guard import BoundedFile, check_body, xml_refusals
from .items import Picture, RefusedFile, Story
from .models import ImportedObject, RemoteImage
from .storywriter import Imported, free_slug, record_remote, set_hero, with_pictures, write

_PREFIXES = (("excerpt", "excerpt"), ("wordpress.org/export", "wp"),
             ("purl.org/rss/1.0/modules/content", "content"), ("purl.org/dc/elements", "dc"),
             ("wellformedweb.org", "wfw"))
COMMENT_STATUS = {"1": Comment.Status.APPROVED, "approve": Comment.Status.APPROVED,
                  "0": Comment.Status.PENDING, "hold": Comment.Status.PENDING,
                  "spam": Comment.Status.REJECTED, "trash": Comment.Status.REJECTED}
DRAFT_STATES = {"draft", "pending", "private"}
NOT_CONTENT = {"nav_menu_item", "wp_navigation", "wp_template", "wp_template_part",
               "wp_global_styles", "wp_block", "revision", "customize_changeset",
               "oembed_cache", "custom_css", "user_request", "wp_font_family", "wp_font_face"}


def _name(tag: str) -> str:
    """"{https://wordpress.org/export/1.2/}post_id" → "wp:post_id", whatever the version."""
    if tag[:1] != "{":
        return tag
    uri, local = tag[1:].split("}", 1)
    for mark, prefix in _PREFIXES:
        if mark in uri:
            return f"{prefix}:{local}"
    return local


def _fields(element) -> dict:
    """An element's children as {name: text} (the first of each name), plus lists."""
    out: dict = {}
    for child in element:
        name = _name(child.tag)
        if name in ("category", "wp:comment", "wp:postmeta"):
            out.setdefault(name + "[]", []).append(child)
        else:
            out.setdefault(name, (child.text or "").strip() if name not in (
                "content:encoded", "excerpt:encoded") else child.text or "")
    return out


def read_wxr(path: Path, run) -> None:
    WordPressImport(path, run).read()


class WordPressImport:
    def __init__(self, path: Path, run):
        self.path, self.run = Path(path), run
        self.source = ""  # the blog's address: the identity of everything from this export
        self.authors: dict[str, Author | None] = {}
        self.categories: dict[str, tuple[str, str]] = {}  # nicename → (name, parent nicename)
        self.sections: dict[str, SectionPage] = {}
        self.attachments: dict[str, str] = {}  # WordPress id → file address
        self.pages: dict[str, StandardPage] = {}
        self.orphans: list[tuple[str, dict, str, str]] = []  # pages before their parent
        self.seen: set[str] = set()  # WordPress ids of the items read so far
        self.batch = StoryBatch() if not run.check else None
        self.home = None if run.check else ensure_home()
        self.memory: dict[str, dict] = {}  # kind → {WordPress id: ImportedObject}, read once
        self.stories: dict[str, int] | None = None  # source_uri → story id, read once
        # Rows of the stories in the batch, written together after it (see _write_pending).
        self.new_maps: list[ImportedObject] = []
        self.new_redirects: list[Redirect] = []
        self.new_comments: list[tuple[Comment, datetime, ImportedObject]] = []
        if self.batch:
            self.batch.on_flush.append(self._write_pending)

    # Reading ---------------------------------------------------------------------------

    def read(self) -> None:
        size = max(os.path.getsize(self.path), 1) if self.path.exists() else 1
        with xml_refusals(self.path):
            if not self.run.check:
                self._find_attachments()
            with BoundedFile(self.path) as file:
                self._stream(file, size)
        if self.batch:
            for nicename in list(self.categories):  # categories no post is filed under, too
                self._section(nicename)
            while self.orphans:  # parents came after their children in the file
                waiting, self.orphans = self.orphans, []
                for args in waiting:
                    self._page(*args)
                if len(self.orphans) == len(waiting):  # parents not in the export at all
                    for args in self.orphans:
                        self._page(*args, last_chance=True)
                    self.orphans = []
            self.batch.flush()
            # Stories written in bulk sent no publish signals: cached pages may list old news.
            purge_everything(data_changed=True)

    def _find_attachments(self) -> None:
        """A first quick pass for the file address of every attachment, so a post's featured
        image is found whether its attachment comes before or after it in the export."""
        with BoundedFile(self.path) as file:
            self._attachments_in(file)

    def _attachments_in(self, file) -> None:
        post_id = url = None
        for _, element in ET.iterparse(file):  # noqa: S314 (see _stream)
            name = _name(element.tag)
            if name == "wp:post_id":
                post_id = (element.text or "").strip()
            elif name == "wp:attachment_url":
                url = (element.text or "").strip()
            elif name == "item":
                if post_id and url:
                    self.attachments[post_id] = url
                post_id = url = None
                element.clear()

    def _stream(self, file, size: int) -> None:
        # Expat (Python 3.11+) never fetches external entities and refuses entity expansion
        # attacks, so an export cannot reach the network or exhaust memory.
        events = ET.iterparse(file, events=("start", "end"))  # noqa: S314
        depth, channel, seen_rss = 0, None, False
        for event, element in events:
            if event == "start":
                depth += 1
                if depth == 1:
                    seen_rss = element.tag == "rss"
                elif depth == 2 and element.tag == "channel":
                    channel = element
                continue
            depth -= 1
            if depth != 2 or channel is None:
                continue
            name = _name(element.tag)
            if name == "item":
                self._item(element)
                self.run.progress.advance(fraction=self.run.share(file.tell() / size))
            elif name == "wp:author":
                self._author(_fields(element))
            elif name == "wp:category":
                fields = _fields(element)
                nicename = fields.get("wp:category_nicename", "")
                if nicename:
                    self.categories[nicename] = (fields.get("wp:cat_name") or nicename,
                                                 fields.get("wp:category_parent", ""))
            elif name == "wp:tag":
                fields = _fields(element)
                if not self.run.check and fields.get("wp:tag_name"):
                    self.batch._tag_id(fields["wp:tag_name"][:100])
            elif name in ("wp:base_blog_url", "link") and not self.source:
                self.source = (element.text or "").strip().rstrip("/")
            channel.remove(element)  # done with it: memory stays flat
        if not seen_rss or channel is None or not self.source:
            raise RefusedFile(self.path, "is not a WordPress export (WXR): no <rss><channel> "
                                         "with the blog's address")

    # Channel-level things --------------------------------------------------------------

    def _author(self, fields: dict) -> None:
        login = fields.get("wp:author_login", "")
        if not login or self.run.check:
            return
        name = (fields.get("wp:author_display_name")
                or " ".join(filter(None, (fields.get("wp:author_first_name"),
                                          fields.get("wp:author_last_name")))) or login)
        known = self._known("author", login)
        author = Author.objects.filter(pk=known.object_id).first() if known else None
        if author is None:
            author = Author.objects.create(name=name[:200])
            self._remember("author", login, author.pk)
        self.authors[login] = author
        self.batch.author_names[author.pk] = author.name

    def _section(self, nicename: str, name: str = "") -> SectionPage:
        if nicename in self.sections:
            return self.sections[nicename]
        title, parent_name = self.categories.get(nicename, (name or nicename, ""))
        parent = self._section(parent_name) if parent_name and parent_name != nicename \
            else self.home
        known = self._known("category", nicename)
        section = SectionPage.objects.filter(pk=known.object_id).first() if known else None
        if section is None:
            parent.refresh_from_db()
            section = (SectionPage.objects.child_of(parent).filter(title__iexact=title).first()
                       or None)
            if section is None:
                self.batch.forget_tree()
                section = parent.add_child(instance=SectionPage(
                    title=title[:255], slug=free_slug(parent, nicename, fallback="section"),
                    in_navigation=parent.pk == self.home.pk))
                section.save_revision().publish()
            self._remember("category", nicename, section.pk)
        self.sections[nicename] = section
        return section

    # Items -----------------------------------------------------------------------------

    def _item(self, element) -> None:
        fields = _fields(element)
        kind, status = fields.get("wp:post_type", "post"), fields.get("wp:status", "")
        wp_id = fields.get("wp:post_id", "")
        label = f"{self.path} post {wp_id}"
        if not wp_id:
            raise RefusedFile(self.path, f"item {fields.get('title', '')!r}: no <wp:post_id>")
        if wp_id in self.seen:
            # WordPress numbers every item of a site once; a second item with the same
            # number (export plugins that page through posts write some twice) is the same
            # post, and two stories from one post would share one identity.
            self.run.warn(f"{label}: appears again in the export; the first is imported")
            self.run.skipped(f"skipped {label}: a repeat")
            return
        self.seen.add(wp_id)
        check_body(label, fields.get("content:encoded", ""))
        check_body(label, fields.get("excerpt:encoded", ""), what="the excerpt")
        for comment in fields.get("wp:comment[]", []):
            content = comment.findtext("{*}comment_content") or ""
            check_body(label, content, what="a comment")
        if kind == "attachment":
            self.attachments[wp_id] = fields.get("wp:attachment_url", "")
            if not self.run.check:
                self._attachment(wp_id, fields, label)
            return
        if kind in NOT_CONTENT or kind not in ("post", "page"):
            self.run.skipped(f"skipped {label}: a WordPress {kind}, not content")
            return
        if status in ("trash", "auto-draft", "inherit"):
            self.run.skipped(f"skipped {label}: {status}")
            return
        if self.run.check:
            self.run.checked(f"ok {label} ({kind}, {status})")
            return
        if kind == "page":
            self._page(wp_id, fields, status, label)
        else:
            self._post(wp_id, fields, status, label)

    def _post(self, wp_id: str, fields: dict, status: str, label: str) -> None:
        modified = fields.get("wp:post_modified_gmt", "")
        known = self._known("post", wp_id)
        if self.stories is None:
            self.stories = dict(ArticlePage.objects.filter(
                source_uri__startswith=f"{self.source}/?p=").values_list("source_uri", "pk"))
        story_id = self.stories.get(self._uri(wp_id))
        existing = ArticlePage.objects.filter(pk=story_id).first() if story_id else None
        if known and existing and known.data.get("modified") == modified \
                and known.data.get("status") == status:
            self.run.skipped(f"skipped {label}: unchanged since the last import")
            self._comments(existing, fields, label)
            return
        categories = [c for c in fields.get("category[]", []) if c.get("domain") == "category"]
        tags = [(c.text or "").strip() for c in fields.get("category[]", [])
                if c.get("domain") == "post_tag"]
        if categories:
            first = categories[0]
            section = self._section(first.get("nicename") or "", (first.text or "").strip())
            tags += [(c.text or "").strip() for c in categories[1:]]
        else:
            section = self._section("uncategorized", self.run.section or "Uncategorized")
        when = _gmt(fields.get("wp:post_date_gmt")) or _gmt(fields.get("wp:post_date"))
        story = Story(uri=self._uri(wp_id),
                      headline=(fields.get("title") or "").strip()[:255] or f"(no title {wp_id})",
                      summary=plain_text(fields.get("excerpt:encoded", ""))[:500],
                      body=blocks_from_wordpress(fields.get("content:encoded", "")),
                      tags=list(dict.fromkeys(t[:100] for t in tags if t)),
                      first_published=when, updated=_gmt(modified) or when)
        author = self.authors.get(fields.get("dc:creator", ""))
        story.authors = [author] if author else []
        thumbnail = _meta(fields, "_thumbnail_id")
        if thumbnail and self.attachments.get(thumbnail):
            story.pictures = [Picture(uri=self.attachments[thumbnail],
                                      href=self.attachments[thumbnail], alt=story.headline)]
        scheduled = status == "future"
        if scheduled:
            story.embargoed_until = when
        comments_closed = fields.get("wp:comment_status") == "closed"

        if existing is None and not scheduled:
            page = ArticlePage(source_uri=story.uri, title=story.headline,
                               slug=self.batch.free_slug(section,
                                                         fields.get("wp:post_name") or
                                                         story.headline),
                               dek="", summary=story.summary, language="en",
                               live=status not in DRAFT_STATES,
                               comments="closed" if comments_closed else "open")
            remote: list = []
            page.body = with_pictures(story, fetcher=self.run.fetcher, remote=remote)
            set_hero(page, story)
            if page.live:
                page.first_published_at = story.first_published or timezone.now()
                page.last_published_at = max(story.updated or page.first_published_at,
                                             page.first_published_at)

            def after(page, fields=fields, remote=remote, status=status):
                imported = Imported(page=page, created=True, status=status)
                record_remote(page, remote, imported, new=True)
                for warning in imported.warnings:
                    self.run.warn(f"{label}: {warning}")
                self.new_maps.append(ImportedObject(
                    source=self.source, kind="post", external_id=wp_id, object_id=page.pk,
                    data={"modified": modified, "status": status}))
                self.new_redirects += self._redirect_rows(page, wp_id, "p",
                                                          fields.get("link", ""))
                self._comments(page, fields, label, later=True)
                self.run.created(f"imported {_public(page)} ({_state(status)})")

            self.batch.add(NewStory(parent=section, page=page, tags=story.tags,
                                    author_ids=[a.pk for a in story.authors], after=[after]))
            return

        # Updates and scheduled posts: one at a time, with a revision, as an editor would.
        self.batch.forget_tree()
        imported = write(story, path=label, draft=status in DRAFT_STATES,
                         fetcher=self.run.fetcher, parent=section)
        page = imported.page
        if comments_closed != (page.comments == "closed"):
            ArticlePage.objects.filter(pk=page.pk).update(
                comments="closed" if comments_closed else "open")
        for warning in imported.warnings:
            self.run.warn(f"{label}: {warning}")
        self._remember("post", wp_id, page.pk, {"modified": modified, "status": status})
        self._redirects(page, wp_id, "p", fields.get("link", ""))
        self._comments(page, fields, label)
        line = f"imported {_public(page)} ({_state(status)})"
        (self.run.created if imported.created else self.run.updated)(line)

    def _page(self, wp_id: str, fields: dict, status: str, label: str, *,
              last_chance: bool = False) -> None:
        parent_id = fields.get("wp:post_parent", "0")
        parent = None
        if parent_id not in ("", "0"):
            parent = self.pages.get(parent_id) or self._page_by_wp_id(parent_id)
            if parent is None and not last_chance:
                self.orphans.append((wp_id, fields, status, label))
                return
        self.batch.forget_tree()
        known = self._known("page", wp_id)
        page = StandardPage.objects.filter(pk=known.object_id).first() if known else None
        modified = fields.get("wp:post_modified_gmt", "")
        if page is not None and known.data.get("modified") == modified \
                and known.data.get("status") == status:
            self.pages[wp_id] = page
            self.run.skipped(f"skipped {label}: unchanged since the last import")
            return
        story = Story(uri=self._uri(wp_id), headline=(fields.get("title") or "").strip()[:255]
                      or f"(no title {wp_id})",
                      body=blocks_from_wordpress(fields.get("content:encoded", "")))
        remote: list = []
        body = with_pictures(story, fetcher=self.run.fetcher, remote=remote)
        created = page is None
        if created:
            parent = parent or self.home
            parent.refresh_from_db()
            page = StandardPage(title=story.headline, body=body, live=False,
                                slug=free_slug(parent, fields.get("wp:post_name") or
                                                story.headline, fallback="page"))
            parent.add_child(instance=page)
        else:
            page = page.get_latest_revision_as_object()
            page.title, page.body = story.headline, body
        revision = page.save_revision()
        if status not in DRAFT_STATES:
            revision.publish()
            page.refresh_from_db()
        self.pages[wp_id] = page
        for role, picture, problem in remote:
            RemoteImage.objects.create(page=page, url=picture.src[:1000], role=role,
                                       caption=picture.caption[:500], alt=picture.alt[:250],
                                       problem=problem[:500])
            self.run.warn(f"{label}: {role} picture {picture.src[:200]} {problem}")
        self._remember("page", wp_id, page.pk, {"modified": modified, "status": status})
        self._redirects(page, wp_id, "page_id", fields.get("link", ""))
        if fields.get("wp:comment[]"):
            self.run.warn(f"{label}: {len(fields['wp:comment[]'])} comments on a page not "
                          "imported (only stories take comments)")
        line = f"imported {_public(page)} (plain page, {_state(status)})"
        (self.run.created if created else self.run.updated)(line)

    def _page_by_wp_id(self, wp_id: str):
        known = self._known("page", wp_id) if wp_id and wp_id != "0" else None
        return StandardPage.objects.filter(pk=known.object_id).first() if known else None

    def _attachment(self, wp_id: str, fields: dict, label: str) -> None:
        if self._known("attachment", wp_id):
            self.run.skipped(f"skipped {label}: attachment already imported")
            return
        url = fields.get("wp:attachment_url", "")
        title = (fields.get("title") or "").strip() or url.rsplit("/", 1)[-1]
        image, problem = self.run.fetcher.image_for(url, title=title) if url \
            else (None, "the export gives no file address")
        if image is not None:
            self._remember("attachment", wp_id, image.pk, {"url": url})
            self.run.created(f"imported picture {url}")
            return
        remote = RemoteImage.objects.create(
            url=url[:1000], role=RemoteImage.Role.ATTACHMENT, caption=plain_text(
                fields.get("excerpt:encoded", ""))[:500], alt=title[:250],
            problem=problem[:500])
        self._remember("attachment", wp_id, None, {"url": url, "remote_image": remote.pk})
        self.run.created(f"recorded remote picture {url}")
        self.run.warn(f"{label}: picture {url[:200]} {problem}; recorded as a remote image")

    # Comments and addresses ------------------------------------------------------------

    def _comments(self, page: ArticlePage, fields: dict, label: str, *,
                  later: bool = False) -> None:
        elements = fields.get("wp:comment[]", [])
        if not elements:
            return
        seen = self._memory("comment")
        new, maps = [], []
        for element in elements:
            comment = _fields(element)
            wp_id = comment.get("wp:comment_id", "")
            if not wp_id or wp_id in seen:
                continue
            status = COMMENT_STATUS.get(comment.get("wp:comment_approved", "1"),
                                        Comment.Status.PENDING)
            body = plain_text(comment.get("wp:comment_content", ""))[:5000] or "(empty)"
            when = _gmt(comment.get("wp:comment_date_gmt")) or _gmt(
                comment.get("wp:comment_date")) or timezone.now()
            guest = " ".join(plain_text(comment.get("wp:comment_author", "")).split())[:200]
            new.append((Comment(story_id=page.pk, body=body, status=status,
                                guest_name=guest), when))
            parent = comment.get("wp:comment_parent", "0")
            maps.append(ImportedObject(
                source=self.source, kind="comment", external_id=wp_id,
                parent_external_id="" if parent in ("", "0") else parent,
                data={"author": comment.get("wp:comment_author", "")[:200],
                      "author_url": comment.get("wp:comment_author_url", "")[:500],
                      "type": comment.get("wp:comment_type", "") or "comment"}))
        if not new:
            return
        if later:  # a story of the batch: written with the batch's other rows
            self.new_comments += [(c, when, m) for (c, when), m in zip(new, maps, strict=True)]
            return
        Comment.objects.bulk_create([c for c, _ in new])
        for (comment, when), mapping in zip(new, maps, strict=True):
            comment.created_at = when  # SQLite and PostgreSQL return ids from bulk inserts
            mapping.object_id = comment.pk
        Comment.objects.bulk_update([c for c, _ in new], ["created_at"])
        ImportedObject.objects.bulk_create(maps)
        for mapping in maps:
            seen[mapping.external_id] = mapping
        link_threads(maps, seen)

    def _write_pending(self) -> None:
        """After a batch: its stories' memory rows, old addresses and comments, in bulk."""
        ImportedObject.objects.bulk_create(self.new_maps)
        for mapping in self.new_maps:
            self._memory("post")[mapping.external_id] = mapping
        Redirect.objects.bulk_create(self.new_redirects, ignore_conflicts=True)
        if self.new_comments:
            comments = [c for c, _, _ in self.new_comments]
            Comment.objects.bulk_create(comments)
            for comment, when, mapping in self.new_comments:
                comment.created_at, mapping.object_id = when, comment.pk
            Comment.objects.bulk_update(comments, ["created_at"])
            maps = [m for _, _, m in self.new_comments]
            ImportedObject.objects.bulk_create(maps)
            for mapping in maps:
                self._memory("comment")[mapping.external_id] = mapping
            link_threads(maps, self._memory("comment"))
        self.new_maps, self.new_redirects, self.new_comments = [], [], []

    def _redirects(self, page, wp_id: str, query: str, link: str) -> None:
        Redirect.objects.bulk_create(self._redirect_rows(page, wp_id, query, link),
                                     ignore_conflicts=True)

    def _redirect_rows(self, page, wp_id: str, query: str, link: str) -> list[Redirect]:
        target = page.url_path and page.get_url()  # None when the page has no site
        old = {f"/?{query}={wp_id}"}
        # A permalink answered by Wagtail's own redirects would show a draft's address; a
        # story not yet public keeps only /?p=N, which checks that the page is live.
        if link and page.live:
            parts = urlsplit(link)
            old.add(parts.path + (f"?{parts.query}" if parts.query else ""))
        paths = {Redirect.normalise_path(p) for p in old}
        paths.discard(Redirect.normalise_path(target or ""))  # never to itself
        paths.discard("")
        return [Redirect(old_path=p[:255], site=None, redirect_page=page, is_permanent=True)
                for p in paths if p != "/"]

    # Memory of what was made ----------------------------------------------------------

    def _uri(self, wp_id: str) -> str:
        return f"{self.source}/?p={wp_id}"

    def _memory(self, kind: str) -> dict[str, ImportedObject]:
        if kind not in self.memory:
            self.memory[kind] = {m.external_id: m for m in ImportedObject.objects.filter(
                source=self.source, kind=kind)}
        return self.memory[kind]

    def _known(self, kind: str, external_id: str) -> ImportedObject | None:
        return self._memory(kind).get(external_id)

    def _remember(self, kind: str, external_id: str, object_id, data=None) -> None:
        mapping, _ = ImportedObject.objects.update_or_create(
            source=self.source, kind=kind, external_id=external_id,
            defaults={"object_id": object_id, "data": data or {}})
        self._memory(kind)[external_id] = mapping


def link_threads(maps: list[ImportedObject], known: dict[str, ImportedObject]) -> int:
    """Thread the imported comments the way the comments app does: WordPress nests replies
    without limit, Broadsheet two levels deep, so `parent` is the reply's top-level ancestor
    and `reply_to` the comment it actually answers. A reply whose parent was not imported
    stays top-level."""
    def imported(external_id: str | None) -> ImportedObject | None:
        found = known.get(external_id) if external_id else None
        return found if found is not None and found.object_id else None

    replies = []
    for mapping in maps:
        answered = imported(mapping.parent_external_id)
        if answered is None or not mapping.object_id:
            continue
        root, seen = answered, {mapping.external_id}
        while (up := imported(root.parent_external_id)) is not None and up.external_id not in seen:
            seen.add(root.external_id)  # a loop in a broken export ends the climb
            root = up
        replies.append(Comment(pk=mapping.object_id, parent_id=root.object_id,
                               reply_to_id=answered.object_id))
    Comment.objects.bulk_update(replies, ["parent", "reply_to"])
    return len(replies)


def _meta(fields: dict, key: str) -> str:
    for meta in fields.get("wp:postmeta[]", []):
        values = _fields(meta)
        if values.get("wp:meta_key") == key:
            return values.get("wp:meta_value", "")
    return ""


def _gmt(value: str | None) -> datetime | None:
    """A WXR date ("2013-04-09 18:20:39", UTC for the *_gmt fields); none for zeros."""
    if not value or value.startswith("0000"):
        return None
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def _state(status: str) -> str:
    return {"publish": "published", "future": "scheduled"}.get(status, "draft")


def _public(page) -> str:
    return page.full_url or page.url_path
