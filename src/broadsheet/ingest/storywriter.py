"""Writing an imported story into the newsroom: one story, one transaction, one revision.

A story is found again by its ninjs `uri`, so importing the same item twice updates the page
(a new revision) instead of making a second one. An update keeps the page's place and address:
moving a story between sections is an editor's decision, not the wire's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import Page

from broadsheet.articles.models import ArticlePage
from broadsheet.frontpage.setup import ensure_home
from broadsheet.sections.models import SectionPage

from .ninjs import RefusedFile, Story


@dataclass
class Imported:
    page: ArticlePage
    created: bool
    status: str  # "published", "draft", "scheduled" or "withdrawn"
    scheduled_for: datetime | None = None


def section_named(name: str) -> SectionPage:
    """The top-level section with this name (any case), created and published if missing."""
    home = ensure_home()
    existing = SectionPage.objects.child_of(home).filter(title__iexact=name).first()
    if existing:
        return existing
    section = home.add_child(instance=SectionPage(
        title=name, slug=_free_slug(home, name, fallback="section")))
    section.save_revision().publish()
    return section


def _free_slug(parent: Page, text: str, *, fallback: str) -> str:
    base = slugify(text, allow_unicode=True)
    if len(base) > 70:  # short addresses, cut between words
        base = base[:71].rsplit("-", 1)[0] if "-" in base[:71] else base[:70]
    base = base.strip("-") or fallback
    taken = set(parent.get_children().filter(slug__startswith=base)
                .values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _fill(page: ArticlePage, story: Story) -> None:
    page.title = page.draft_title = story.headline
    page.dek = story.dek
    page.summary = story.summary
    page.body = story.body
    page.byline = story.byline
    page.language = story.language
    page.tags.set(story.tags)
    # An embargo still to come schedules the story (the publishing scheduler releases it);
    # one already past is simply history.
    embargo = story.embargoed_until
    page.go_live_at = embargo if embargo and embargo > timezone.now() else None


@transaction.atomic
def write(story: Story, *, path, draft: bool = False) -> Imported:
    """Create or update the story for `story.uri`, publishing it unless `draft`."""
    existing = ArticlePage.objects.filter(source_uri=story.uri).first()
    if story.withdrawn:
        return _withdraw(existing, story, path)

    if existing is None:
        section = _refusing_invalid(path, lambda: section_named(story.section))
        page = ArticlePage(source_uri=story.uri, live=False,
                           slug=_free_slug(section, story.headline, fallback="story"))
        _fill(page, story)
        _refusing_invalid(path, lambda: section.add_child(instance=page))
    else:
        page = existing.get_latest_revision_as_object()
        _fill(page, story)
    revision = _refusing_invalid(path, lambda: page.save_revision(log_action=True))
    imported = Imported(page=page, created=existing is None, status="draft")
    if draft:
        return imported

    first_time = existing is None or existing.first_published_at is None
    scheduled_for = page.go_live_at
    revision.publish()
    page.refresh_from_db()
    if scheduled_for:
        imported.status, imported.scheduled_for = "scheduled", scheduled_for
    else:
        imported.status = "published"
        _keep_wire_times(page, story, first_time=first_time)
    return imported


def _keep_wire_times(page: ArticlePage, story: Story, *, first_time: bool) -> None:
    """Publishing stamps "now"; readers should see when the wire says it happened."""
    times = {}
    if first_time and story.first_published:
        times["first_published_at"] = story.first_published
    if story.updated:
        times["last_published_at"] = max(story.updated,
                                         times.get("first_published_at", page.first_published_at))
    if times:
        ArticlePage.objects.filter(pk=page.pk).update(**times)
        for name, value in times.items():
            setattr(page, name, value)


def _withdraw(page: ArticlePage | None, story: Story, path) -> Imported:
    """pubStatus withheld/canceled: take a story we have down; refuse one we never had."""
    if page is None:
        raise RefusedFile(path, "$.pubStatus: the item is withdrawn, and no story was ever "
                                f"imported from {story.uri!r}")
    if page.live:
        page.unpublish(log_action=True)
        page.refresh_from_db()
    # An embargoed version waiting for its time must not go live after the take-down.
    page.revisions.update(approved_go_live_at=None)
    return Imported(page=page, created=False, status="withdrawn")


def _refusing_invalid(path, save):
    """Run a save, turning a model rule the item breaks into a refusal that names it."""
    try:
        return save()
    except ValidationError as exc:
        problems = ("; ".join(f"{field}: {' '.join(messages)}"
                              for field, messages in exc.message_dict.items())
                    if hasattr(exc, "error_dict") else " ".join(exc.messages))
        raise RefusedFile(path, f"cannot be saved as a story: {problems}") from None
