"""Writing an imported story into the newsroom: one story, one transaction, one revision."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from broadsheet.articles.models import ArticlePage
from broadsheet.frontpage.setup import ensure_home
from broadsheet.sections.models import SectionPage

from .ninjs import RefusedFile, Story


def section_named(name: str) -> SectionPage:
    """The top-level section with this name (any case), created and published if missing."""
    home = ensure_home()
    existing = SectionPage.objects.child_of(home).filter(title__iexact=name).first()
    if existing:
        return existing
    slug = slugify(name) or "section"
    section = home.add_child(instance=SectionPage(title=name, slug=slug))
    section.save_revision().publish()
    return section


def _unique_slug(parent, base: str) -> str:
    base = (slugify(base)[:70].strip("-")) or "story"
    slug, n = base, 2
    while parent.get_children().filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _apply(page: ArticlePage, story: Story) -> None:
    page.title = story.headline
    page.draft_title = story.headline
    page.dek = story.dek
    page.summary = story.summary
    page.body = story.body
    page.byline = story.byline
    page.language = story.language


@transaction.atomic
def write(story: Story, *, path, draft: bool = False) -> tuple[ArticlePage, bool]:
    """Create or update the story for `story.uri`. Returns (page, created)."""
    page = ArticlePage.objects.filter(source_uri=story.uri).first()
    created = page is None
    if story.withdrawn:
        if page is None:
            raise RefusedFile(path, "$.pubStatus: the item is withdrawn and was never imported")
        if page.live:
            page.unpublish()
        return page, False
    if created:
        section = section_named(story.section)
        page = ArticlePage(source_uri=story.uri, live=False,
                           slug=_unique_slug(section, story.headline))
        _apply(page, story)
        section.add_child(instance=page)
    else:
        page = page.get_latest_revision_as_object()
        _apply(page, story)
    page.tags.set(story.tags)
    revision = page.save_revision(log_action=True)
    if not draft:
        revision.publish()
        # Keep the wire's own times: readers see when the story was first published.
        updates = {}
        if story.first_published and created:
            updates["first_published_at"] = story.first_published
        if story.updated:
            updates["last_published_at"] = story.updated
        if updates:
            ArticlePage.objects.filter(pk=page.pk).update(**updates)
    page.refresh_from_db()
    return page, created
