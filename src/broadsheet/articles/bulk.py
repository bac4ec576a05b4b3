"""Writing many new stories at once, for a move-in of tens of thousands of posts.

Wagtail's add_child saves, validates, indexes and logs one page at a time (about 30 ms a story
on SQLite: ten minutes for 20,000). New stories of an import are collected here and written in
batches instead: materialised paths are computed the way treebeard does, `wagtailcore_page`
rows go in with bulk_create, the story rows after them, then tags, bylines and the search
index in bulk, and one revision each (so the story has a history and a live revision, as if
published by hand). No log entries. With `announce`, Wagtail's page_published signal is sent
for each live story, so caches that list stories forget what they hold (a wire story must
reach the front page at once); a move-in of thousands clears the caches once instead.
Updates and scheduled stories still go through storywriter, one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import Tag
from wagtail.models import Page, Revision
from wagtail.search.backends import get_search_backends
from wagtail.signals import page_published

from .models import ArticlePage, ArticleTag, Byline


@dataclass
class NewStory:
    parent: Page
    page: ArticlePage
    tags: list[str] = field(default_factory=list)
    author_ids: list[int] = field(default_factory=list)
    after: list = field(default_factory=list)  # callables(page) run once the page has an id


class StoryBatch:
    """New stories waiting to be written; `flush()` writes them all."""

    size = 500

    def __init__(self, *, announce: bool = False, defer_index: bool = False):
        self.announce = announce
        # With defer_index the caller indexes `unindexed` itself, once its transactions have
        # committed: the search backend recomputes title norms over the whole index on every
        # call, which is too slow to do once per wire file.
        self.defer_index = defer_index
        self.unindexed: list[int] = []
        self.pending: list[NewStory] = []
        self.next_step: dict[int, int] = {}
        self.slugs: dict[int, set[str]] = {}
        self.tag_ids: dict[str, int] = {}
        self.tags: dict[int, Tag] = {}
        self.author_names: dict[int, str] = {}  # filled by the caller for its authors
        self.on_flush: list = []  # callables run after each flush (the caller's own rows)
        self.content_type = ContentType.objects.get_for_model(ArticlePage)

    def free_slug(self, parent: Page, text: str, *, fallback: str = "story") -> str:
        taken = self.slugs.get(parent.pk)
        if taken is None:
            taken = self.slugs[parent.pk] = set(
                Page.objects.filter(path__startswith=parent.path, depth=parent.depth + 1)
                .values_list("slug", flat=True))
        base = slugify(text, allow_unicode=True)[:70].strip("-") or fallback
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        return slug

    def add(self, story: NewStory) -> None:
        self.pending.append(story)
        if len(self.pending) >= self.size:
            self.flush()

    def reset(self) -> None:
        """The transaction the pages were written in was rolled back: forget all of it."""
        self.pending = []
        self.next_step.clear()
        self.slugs.clear()
        self.tag_ids.clear()
        self.tags.clear()

    def forget_tree(self) -> None:
        """Another writer added pages: find the next free paths from the database again."""
        self.flush()
        self.next_step.clear()
        self.slugs.clear()

    def flush(self) -> None:
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        children: dict[int, int] = {}
        rows = []
        for new in pending:
            parent, page = new.parent, new.page
            step = self._step(parent)
            children[parent.pk] = children.get(parent.pk, 0) + 1
            page.path = Page._get_path(parent.path, parent.depth + 1, step)
            page.depth, page.numchild = parent.depth + 1, 0
            page.url_path = f"{parent.url_path}{page.slug}/"
            page.locale_id = parent.locale_id
            page.content_type = self.content_type
            page.draft_title = page.title
            page.has_unpublished_changes = not page.live
            rows.append(Page(**{f.attname: getattr(page, f.attname)
                                for f in Page._meta.concrete_fields if not f.primary_key}))
        insert_page_rows(rows)
        for new, row in zip(pending, rows, strict=True):
            new.page.pk = new.page.id = new.page.page_ptr_id = row.pk
            new.page._state.adding = False
        insert_child_rows(ArticlePage, [new.page for new in pending])
        tagged, bylines = [], []
        for new in pending:
            page = new.page
            # Kept on the page in memory as well, so the revision and the search index below
            # read them from here instead of asking the database once per story.
            page.tags.set([self.tags[tag_id]
                           for tag_id in dict.fromkeys(self._tag_id(t) for t in new.tags)])
            lines = [Byline(page=page, author_id=author_id, sort_order=n)
                     for n, author_id in enumerate(dict.fromkeys(new.author_ids))]
            page.bylines = lines
            page.corrections = []
            page.wagtail_admin_comments = []  # editors' comments: none on a new story
            names = " ".join(self.author_names.get(a, "") for a in new.author_ids)
            page.author_names = lambda names=names: names  # the search field, without a query
            tagged += list(page.tagged_items.all())
            bylines += lines
        ArticleTag.objects.bulk_create(tagged)
        Byline.objects.bulk_create(bylines)
        for parent_id, added in children.items():
            Page.objects.filter(pk=parent_id).update(numchild=F("numchild") + added)
        self._revisions(pending, rows)
        if self.defer_index:
            self.unindexed += [new.page.pk for new in pending]
        else:
            index([new.page for new in pending])
        for new in pending:
            for after in new.after:
                after(new.page)
            if self.announce and new.page.live:
                page_published.send(sender=ArticlePage, instance=new.page,
                                    revision=new.page.live_revision)
        for callback in self.on_flush:
            callback()

    def _revisions(self, pending: list[NewStory], rows: list[Page]) -> None:
        now = timezone.now()
        base = ContentType.objects.get_for_model(Page)
        revisions = [Revision(content_type=self.content_type, base_content_type=base,
                              object_id=str(new.page.pk), created_at=now,
                              content=new.page.serializable_data(),
                              object_str=new.page.title[:255])
                     for new in pending]
        Revision.objects.bulk_create(revisions)
        for new, row, revision in zip(pending, rows, revisions, strict=True):
            row.latest_revision = new.page.latest_revision = revision
            row.live_revision = new.page.live_revision = revision if new.page.live else None
            row.latest_revision_created_at = new.page.latest_revision_created_at = now
        if len(rows) > 1:
            Page.objects.bulk_update(rows, ["latest_revision", "live_revision",
                                            "latest_revision_created_at"])
        else:  # one story (a wire file): a plain UPDATE is cheaper than bulk_update's CASE
            Page.objects.filter(pk=rows[0].pk).update(
                latest_revision=rows[0].latest_revision, live_revision=rows[0].live_revision,
                latest_revision_created_at=now)

    def _step(self, parent: Page) -> int:
        if parent.pk not in self.next_step:
            last = (Page.objects.filter(path__startswith=parent.path, depth=parent.depth + 1)
                    .order_by("-path").values_list("path", flat=True).first())
            self.next_step[parent.pk] = Page._str2int(last[-Page.steplen:]) + 1 if last else 1
        step = self.next_step[parent.pk]
        self.next_step[parent.pk] += 1
        return step

    def _tag_id(self, name: str) -> int:
        if name not in self.tag_ids:
            tag = Tag.objects.filter(name=name).first() or Tag.objects.create(name=name)
            self.tag_ids[name] = tag.pk
            self.tags[tag.pk] = tag
        return self.tag_ids[name]


def index(stories: list[ArticlePage]) -> None:
    for backend in get_search_backends(with_auto_update=True):
        backend.add_bulk(ArticlePage, stories)


def index_later(ids: list[int], *, size: int = 500) -> None:
    """Index stories written with defer_index, in batches, with what the index needs."""
    for start in range(0, len(ids), size):
        stories = list(ArticlePage.objects.filter(pk__in=ids[start:start + size])
                       .prefetch_related("tags", "bylines__author"))
        for story in stories:
            names = " ".join(b.author.name for b in story.bylines.all())
            story.author_names = lambda names=names: names  # no query per story
        index(stories)


def insert_page_rows(rows: list[Page]) -> None:
    """Insert Wagtail page rows in one statement and give each its id."""
    Page.objects.bulk_create(rows)
    if rows[0].pk is None:  # a backend that does not return ids from bulk inserts
        ids = dict(Page.objects.filter(path__in=[r.path for r in rows])
                   .values_list("path", "id"))
        for row in rows:
            row.pk = row.id = ids[row.path]


def insert_child_rows(model, objs) -> None:
    """Insert the child-table rows of a multi-table model (bulk_create refuses those).

    The parent rows exist already; this is the insert bulk_create would make for a plain model.
    """
    fields = model._meta.local_concrete_fields
    size = connection.ops.bulk_batch_size(fields, objs) or len(objs)
    for start in range(0, len(objs), size):
        model._base_manager._insert(objs[start:start + size], fields=fields,
                                    using=connection.alias)
