"""Moving in from WordPress: a WXR export (any size) written into the newsroom.

wxr_read.py reads the file as a stream of plain items; this writes each as it comes, so
memory stays flat whatever the size of the export. What becomes what:

- categories → sections (nested as in WordPress), tags → tags, authors → Author snippets
- posts → stories (published, draft, or scheduled for their date), with their comments
- pages → plain pages (`masthead.StandardPage`), nested as in WordPress
- attachments → pictures in the image library, or remote images when the host is gone
- every old address (/?p=N, /?page_id=N and the permalink) → a redirect to the new page

Everything made is remembered in `ImportedObject` under the export's site address, so running
the same export again updates nothing that did not change and never makes anything twice.
Comments keep their WordPress id and the id of the comment they answer there
(`parent_external_id`), ready for threading. The comment rows themselves are made by the
comments app, through the writer the top layer registers (comment_writer.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from django.utils import timezone
from wagtail.contrib.redirects.models import Redirect

from broadsheet.articles.bulk import NewStory, StoryBatch
from broadsheet.articles.models import ArticlePage
from broadsheet.frontpage.setup import ensure_home
from broadsheet.masthead.models import StandardPage
from broadsheet.pagecache.purge import purge_everything
from broadsheet.people.models import Author
from broadsheet.sections.models import SectionPage

from .bodies import blocks_from_wordpress, plain_text
from .comment_writer import NewComment, Reply, comment_writer
from .items import Picture, Story
from .models import ImportedObject, RemoteImage
from .storywriter import Imported, free_slug, record_remote, set_hero, with_pictures, write
from .wxr_read import (
    WxrAuthor,
    WxrBlog,
    WxrCategory,
    WxrComment,
    WxrPost,
    WxrReader,
    WxrRepeat,
    WxrTag,
)

# WordPress's comment_approved → the comments app's status; anything else waits, pending.
COMMENT_STATUS = {"1": "approved", "approve": "approved", "0": "pending", "hold": "pending",
                  "spam": "rejected", "trash": "rejected"}
DRAFT_STATES = {"draft", "pending", "private"}
NOT_CONTENT = {"nav_menu_item", "wp_navigation", "wp_template", "wp_template_part",
               "wp_global_styles", "wp_block", "revision", "customize_changeset",
               "oembed_cache", "custom_css", "user_request", "wp_font_family", "wp_font_face"}


def read_wxr(path: Path, run) -> None:
    WordPressImport(path, run).read()


class WordPressImport:
    """One export written as one transaction (the run's): what wxr_read.py reads, made."""

    def __init__(self, path: Path, run):
        self.path, self.run = Path(path), run
        self.reader = WxrReader(self.path)
        self.source = ""  # the blog's address: the identity of everything from this export
        self.authors: dict[str, Author | None] = {}
        self.categories: dict[str, tuple[str, str]] = {}  # nicename → (name, parent nicename)
        self.sections: dict[str, SectionPage] = {}
        self.attachments: dict[str, str] = {}  # WordPress id → file address
        self.pages: dict[str, StandardPage] = {}
        self.orphans: list[WxrPost] = []  # pages before their parent
        self.batch = StoryBatch() if not run.check else None
        self.home = None if run.check else ensure_home()
        self.memory: dict[str, dict] = {}  # kind → {WordPress id: ImportedObject}, read once
        self.stories: dict[str, int] | None = None  # source_uri → story id, read once
        # Rows of the stories in the batch, written together after it (see _write_pending).
        self.new_maps: list[ImportedObject] = []
        self.new_redirects: list[Redirect] = []
        self.new_comments: list[tuple[NewComment, ImportedObject]] = []
        self.comments_left = 0  # not imported: no comment writer registered
        if self.batch:
            self.batch.on_flush.append(self._write_pending)

    def read(self) -> None:
        if not self.run.check:
            self.attachments = self.reader.attachment_urls()
        for thing in self.reader.things():
            match thing:
                case WxrPost() | WxrRepeat():
                    self._item(thing)
                    self.run.progress.advance(fraction=self.run.share(self.reader.fraction))
                case WxrAuthor():
                    self._author(thing)
                case WxrCategory():
                    self.categories[thing.nicename] = (thing.name, thing.parent)
                case WxrTag() if not self.run.check:
                    self.batch._tag_id(thing.name[:100])
                case WxrBlog():
                    self.source = thing.address
        if self.batch:
            for nicename in list(self.categories):  # categories no post is filed under, too
                self._section(nicename)
            while self.orphans:  # parents came after their children in the file
                waiting, self.orphans = self.orphans, []
                for post in waiting:
                    self._page(post)
                if len(self.orphans) == len(waiting):  # parents not in the export at all
                    for post in self.orphans:
                        self._page(post, last_chance=True)
                    self.orphans = []
            self.batch.flush()
            if self.comments_left:
                self.run.warn(f"{self.path}: {self.comments_left} comments skipped: nothing "
                              "takes imported comments (the comments app is not installed); "
                              "import the file again once it is to add them")
            # Stories written in bulk sent no publish signals: cached pages may list old news.
            purge_everything(data_changed=True)

    # Channel-level things --------------------------------------------------------------

    def _author(self, found: WxrAuthor) -> None:
        if self.run.check:
            return
        known = self._known("author", found.login)
        author = Author.objects.filter(pk=known.object_id).first() if known else None
        if author is None:
            author = Author.objects.create(name=found.name[:200])
            self._remember("author", found.login, author.pk)
        self.authors[found.login] = author
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

    def _item(self, post: WxrPost | WxrRepeat) -> None:
        label = post.label
        if isinstance(post, WxrRepeat):
            self.run.warn(f"{label}: appears again in the export; the first is imported")
            self.run.skipped(f"skipped {label}: a repeat")
            return
        kind, status = post.kind, post.status
        if kind == "attachment":
            self.attachments[post.id] = post.attachment_url
            if not self.run.check:
                self._attachment(post)
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
            self._page(post)
        else:
            self._post(post)

    def _post(self, post: WxrPost) -> None:
        wp_id, status, label = post.id, post.status, post.label
        modified = post.modified_gmt
        known = self._known("post", wp_id)
        if self.stories is None:
            self.stories = dict(ArticlePage.objects.filter(
                source_uri__startswith=f"{self.source}/?p=").values_list("source_uri", "pk"))
        story_id = self.stories.get(self._uri(wp_id))
        existing = ArticlePage.objects.filter(pk=story_id).first() if story_id else None
        if known and existing and known.data.get("modified") == modified \
                and known.data.get("status") == status:
            self.run.skipped(f"skipped {label}: unchanged since the last import")
            self._comments(existing, post)
            return
        tags = list(post.tags)
        if post.categories:
            first = post.categories[0]
            section = self._section(first.nicename, first.name)
            tags += [c.name for c in post.categories[1:]]
        else:
            section = self._section("uncategorized", self.run.section or "Uncategorized")
        when = _gmt(post.date_gmt) or _gmt(post.date)
        story = Story(uri=self._uri(wp_id),
                      headline=post.title.strip()[:255] or f"(no title {wp_id})",
                      summary=plain_text(post.excerpt)[:500],
                      body=blocks_from_wordpress(post.content),
                      tags=list(dict.fromkeys(t[:100] for t in tags if t)),
                      first_published=when, updated=_gmt(modified) or when)
        author = self.authors.get(post.creator)
        story.authors = [author] if author else []
        thumbnail = post.meta.get("_thumbnail_id", "")
        if thumbnail and self.attachments.get(thumbnail):
            story.pictures = [Picture(uri=self.attachments[thumbnail],
                                      href=self.attachments[thumbnail], alt=story.headline)]
        scheduled = status == "future"
        if scheduled:
            story.embargoed_until = when
        comments_closed = post.comment_status == "closed"

        if existing is None and not scheduled:
            page = ArticlePage(source_uri=story.uri, title=story.headline,
                               slug=self.batch.free_slug(section, post.name or story.headline),
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

            def after(page, post=post, remote=remote):
                imported = Imported(page=page, created=True, status=status)
                record_remote(page, remote, imported, new=True)
                for warning in imported.warnings:
                    self.run.warn(f"{label}: {warning}")
                self.new_maps.append(ImportedObject(
                    source=self.source, kind="post", external_id=wp_id, object_id=page.pk,
                    data={"modified": modified, "status": status}))
                self.new_redirects += self._redirect_rows(page, wp_id, "p", post.link)
                self._comments(page, post, later=True)
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
        self._redirects(page, wp_id, "p", post.link)
        self._comments(page, post)
        line = f"imported {_public(page)} ({_state(status)})"
        (self.run.created if imported.created else self.run.updated)(line)

    def _page(self, post: WxrPost, *, last_chance: bool = False) -> None:
        wp_id, status, label = post.id, post.status, post.label
        parent = None
        if post.parent_id not in ("", "0"):
            parent = self.pages.get(post.parent_id) or self._page_by_wp_id(post.parent_id)
            if parent is None and not last_chance:
                self.orphans.append(post)
                return
        self.batch.forget_tree()
        known = self._known("page", wp_id)
        page = StandardPage.objects.filter(pk=known.object_id).first() if known else None
        modified = post.modified_gmt
        if page is not None and known.data.get("modified") == modified \
                and known.data.get("status") == status:
            self.pages[wp_id] = page
            self.run.skipped(f"skipped {label}: unchanged since the last import")
            return
        story = Story(uri=self._uri(wp_id), headline=post.title.strip()[:255]
                      or f"(no title {wp_id})", body=blocks_from_wordpress(post.content))
        remote: list = []
        body = with_pictures(story, fetcher=self.run.fetcher, remote=remote)
        created = page is None
        if created:
            parent = parent or self.home
            parent.refresh_from_db()
            page = StandardPage(title=story.headline, body=body, live=False,
                                slug=free_slug(parent, post.name or story.headline,
                                               fallback="page"))
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
        self._redirects(page, wp_id, "page_id", post.link)
        if post.comments:
            self.run.warn(f"{label}: {len(post.comments)} comments on a page not "
                          "imported (only stories take comments)")
        line = f"imported {_public(page)} (plain page, {_state(status)})"
        (self.run.created if created else self.run.updated)(line)

    def _page_by_wp_id(self, wp_id: str):
        known = self._known("page", wp_id) if wp_id and wp_id != "0" else None
        return StandardPage.objects.filter(pk=known.object_id).first() if known else None

    def _attachment(self, post: WxrPost) -> None:
        if self._known("attachment", post.id):
            self.run.skipped(f"skipped {post.label}: attachment already imported")
            return
        url = post.attachment_url
        title = post.title.strip() or url.rsplit("/", 1)[-1]
        image, problem = self.run.fetcher.image_for(url, title=title) if url \
            else (None, "the export gives no file address")
        if image is not None:
            self._remember("attachment", post.id, image.pk, {"url": url})
            self.run.created(f"imported picture {url}")
            return
        remote = RemoteImage.objects.create(
            url=url[:1000], role=RemoteImage.Role.ATTACHMENT,
            caption=plain_text(post.excerpt)[:500], alt=title[:250], problem=problem[:500])
        self._remember("attachment", post.id, None, {"url": url, "remote_image": remote.pk})
        self.run.created(f"recorded remote picture {url}")
        self.run.warn(f"{post.label}: picture {url[:200]} {problem}; recorded as a remote image")

    # Comments and addresses ------------------------------------------------------------

    def _comments(self, page: ArticlePage, post: WxrPost, *, later: bool = False) -> None:
        if not post.comments:
            return
        seen = self._memory("comment")
        new = [self._new_comment(page, comment) for comment in post.comments
               if comment.id and comment.id not in seen]
        if not new:
            return
        if comment_writer() is None:
            self.comments_left += len(new)  # remembered nowhere: a later import adds them
            return
        if later:  # a story of the batch: written with the batch's other rows
            self.new_comments += new
            return
        self._write_comments(new)

    def _new_comment(self, page: ArticlePage,
                     comment: WxrComment) -> tuple[NewComment, ImportedObject]:
        parent = comment.parent_id
        return (NewComment(
            story_id=page.pk, status=COMMENT_STATUS.get(comment.approved, "pending"),
            body=plain_text(comment.content)[:5000] or "(empty)",
            guest_name=" ".join(plain_text(comment.author).split())[:200],
            created_at=_gmt(comment.date_gmt) or _gmt(comment.date) or timezone.now(),
        ), ImportedObject(
            source=self.source, kind="comment", external_id=comment.id,
            parent_external_id="" if parent in ("", "0") else parent,
            data={"author": comment.author[:200], "author_url": comment.author_url[:500],
                  "type": comment.type or "comment"}))

    def _write_comments(self, new: list[tuple[NewComment, ImportedObject]]) -> None:
        writer = comment_writer()
        ids = writer.add([comment for comment, _ in new])
        maps = [mapping for _, mapping in new]
        for mapping, pk in zip(maps, ids, strict=True):
            mapping.object_id = pk
        ImportedObject.objects.bulk_create(maps)
        known = self._memory("comment")
        for mapping in maps:
            known[mapping.external_id] = mapping
        replies = thread_replies(maps, known)
        if replies:
            writer.thread(replies)

    def _write_pending(self) -> None:
        """After a batch: its stories' memory rows, old addresses and comments, in bulk."""
        ImportedObject.objects.bulk_create(self.new_maps)
        for mapping in self.new_maps:
            self._memory("post")[mapping.external_id] = mapping
        Redirect.objects.bulk_create(self.new_redirects, ignore_conflicts=True)
        if self.new_comments:
            self._write_comments(self.new_comments)
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


def thread_replies(maps: list[ImportedObject], known: dict[str, ImportedObject]) -> list[Reply]:
    """Who answers whom, among imported comments: for each reply, the comment it answers and
    the top of its thread, however deep WordPress nested it. A reply whose parent was not
    imported stays top-level."""
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
        replies.append(Reply(comment_id=mapping.object_id, answers_id=answered.object_id,
                             thread_id=root.object_id))
    return replies


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
