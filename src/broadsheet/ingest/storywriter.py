"""Writing an imported story into the newsroom: one story, one transaction, one revision.

A story is found again by its ninjs `uri`, so importing the same item twice updates the page
(a new revision) instead of making a second one. An update keeps the page's place and address:
moving a story between sections is an editor's decision, not the wire's. Pictures are fetched
into the image library when reachable; otherwise the story goes in without them and each is
recorded as a `RemoteImage` with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import Page

from broadsheet.articles.bulk import NewStory
from broadsheet.articles.models import ArticlePage, Byline
from broadsheet.frontpage.setup import ensure_home
from broadsheet.sections.models import SectionPage

from .bodies import InlinePicture
from .guard import NUL_WARNING, clean_story
from .images import Fetcher
from .items import Picture, RefusedFile, Story
from .late_pictures import first_attempt
from .models import RemoteImage


@dataclass
class Imported:
    page: ArticlePage
    created: bool
    status: str  # "published", "draft", "scheduled" or "withdrawn"
    scheduled_for: datetime | None = None
    warnings: list[str] = field(default_factory=list)


def section_named(name: str) -> SectionPage:
    """The top-level section with this name (any case), created and published if missing."""
    home = ensure_home()
    existing = SectionPage.objects.child_of(home).filter(title__iexact=name).first()
    if existing:
        return existing
    section = home.add_child(instance=SectionPage(
        title=name, slug=free_slug(home, name, fallback="section")))
    section.save_revision().publish()
    return section


def free_slug(parent: Page, text: str, *, fallback: str) -> str:
    """A slug from `text` no child of `parent` has yet (`fallback` when `text` gives none):
    at most 70 characters, cut between words, numbered "-2", "-3"… when taken."""
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


def _fill(page: ArticlePage, story: Story, *, fetcher: Fetcher, remote: list) -> None:
    page.title = page.draft_title = story.headline
    page.dek = story.dek
    page.summary = story.summary
    page.body = with_pictures(story, fetcher=fetcher, remote=remote)
    page.byline = story.byline
    page.language = story.language
    page.tags.set(story.tags)
    if story.authors is not None:
        page.bylines = [Byline(author=author, sort_order=n)
                        for n, author in enumerate(story.authors)]
    # An embargo still to come schedules the story (the publishing scheduler releases it);
    # one already past is simply history.
    embargo = story.embargoed_until
    page.go_live_at = embargo if embargo and embargo > timezone.now() else None


def with_pictures(story: Story, *, fetcher: Fetcher, remote: list) -> list:
    """The body with its pictures as image blocks, and the hero set, where files could be
    fetched; pictures that could not be are listed in `remote` as (role, picture, problem)."""
    page_hero = None
    pictures = list(story.pictures)
    if pictures:
        hero = pictures.pop(0)
        # Recorded as the address fetched (a feed's relative address resolved), so a later
        # attempt asks for the same file.
        hero.href = fetcher.absolute(hero.href) if hero.href else ""
        image, problem = fetcher.image_for(hero.href, title=hero.caption or story.headline) \
            if hero.href else (None, "the item gives no image file for it")
        if image:
            page_hero = (image, hero)
        else:
            remote.append(("hero", hero, problem))
    story.hero = page_hero
    body = []
    for kind, value in [*story.body, *(("picture", p) for p in pictures)]:
        if kind != "picture":
            body.append((kind, value))
            continue
        picture = value
        href = picture.href if isinstance(picture, Picture) else picture.src
        image, problem = fetcher.image_for(href, title=picture.caption or story.headline) \
            if href else (None, "the item gives no image file for it")
        if image is None:
            remote.append(("inline", picture, problem))
            continue
        body.append(("image", {"image": image, "caption": picture.caption[:500],
                               "credit": getattr(picture, "credit", "")[:200],
                               "alt": (picture.alt or picture.caption)[:250]}))
    return body


def set_hero(page: ArticlePage, story: Story) -> None:
    """The page's hero picture and its words from `story.hero` (set by with_pictures); none
    when its file could not be fetched, so an update never keeps an old hero."""
    if story.hero:
        image, picture = story.hero
        page.hero_image = image
        page.hero_caption, page.hero_credit = picture.caption, picture.credit
        page.hero_alt = picture.alt or picture.caption or story.headline[:250]
    else:
        page.hero_image = None
        page.hero_caption = page.hero_credit = page.hero_alt = ""


def record_remote(page: ArticlePage, remote: list, imported: Imported, *,
                  new: bool = False) -> None:
    """Record the pictures with_pictures could not fetch as `RemoteImage` rows of `page`,
    due for another attempt, each with a warning in `imported`; `new`: the page has none."""
    if not new:  # a new page has none yet: no need to ask
        # A new version of the item starts its pictures afresh, retries included.
        RemoteImage.objects.filter(page=page, role__in=["hero", "inline"]).delete()
    now = timezone.now()
    for role, picture, problem in remote:
        url = picture.href if isinstance(picture, Picture) else picture.src
        credit = picture.credit if isinstance(picture, Picture) else ""
        retry = first_attempt(problem, role=role, now=now)
        RemoteImage.objects.create(page=page, url=(url or picture_uri(picture))[:1000],
                                   role=role, caption=picture.caption[:500],
                                   credit=credit[:200], alt=picture.alt[:250],
                                   problem=problem[:500],
                                   renditions=getattr(picture, "renditions", []), **retry)
        later = (f", tried again from {retry['next_attempt_at']:%Y-%m-%d %H:%M:%S %Z}"
                 if retry["next_attempt_at"] else "")
        imported.warnings.append(f"{role} picture {(url or picture_uri(picture))[:200]} "
                                 f"{problem}; recorded as a remote image{later}")


def picture_uri(picture: Picture | InlinePicture) -> str:
    return getattr(picture, "uri", "") or getattr(picture, "src", "")


@transaction.atomic
def write(story: Story, *, path, draft: bool = False, fetcher: Fetcher | None = None,
          parent: Page | None = None) -> Imported:
    """Create or update the story for `story.uri`, publishing it unless `draft`.

    A new story goes under `parent` when given, else under the section it names.
    """
    fetcher = fetcher or Fetcher()
    removed = clean_story(story, path)
    existing = ArticlePage.objects.filter(source_uri=story.uri).first()
    if story.withdrawn:
        return _withdraw(existing, story, path)

    remote: list = []
    if existing is None:
        section = parent or _refusing_invalid(path, lambda: section_named(story.section))
        page = ArticlePage(source_uri=story.uri, live=False,
                           slug=free_slug(section, story.headline, fallback="story"))
        _fill(page, story, fetcher=fetcher, remote=remote)
        set_hero(page, story)
        _refusing_invalid(path, lambda: section.add_child(instance=page))
    else:
        page = existing.get_latest_revision_as_object()
        _fill(page, story, fetcher=fetcher, remote=remote)
        set_hero(page, story)
    revision = _refusing_invalid(path, lambda: page.save_revision(log_action=True))
    imported = Imported(page=page, created=existing is None, status="draft")
    if removed:
        imported.warnings.append(NUL_WARNING.format(count=removed))
    record_remote(page, remote, imported)
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


def add_new(story: Story, *, path, batch, draft: bool = False,
            fetcher: Fetcher | None = None, sections=None) -> Imported | None:
    """A story seen for the first time, published now or a draft: written with `batch` (in
    bulk, see bulk.py) when the batch is flushed. None when it needs the one-at-a-time way
    (an update, an embargo still to come, a take-down); then call write()."""
    embargo = story.embargoed_until
    if story.withdrawn or (embargo and embargo > timezone.now()):
        return None
    removed = clean_story(story, path)
    if ArticlePage.objects.filter(source_uri=story.uri).exists():
        return None
    section = _refusing_invalid(path, lambda: (sections or section_named)(story.section))
    remote: list = []
    page = ArticlePage(source_uri=story.uri, live=not draft, title=story.headline[:255],
                       slug=batch.free_slug(section, story.headline), dek=story.dek,
                       summary=story.summary, byline=story.byline, language=story.language)
    page.body = with_pictures(story, fetcher=fetcher or Fetcher(), remote=remote)
    set_hero(page, story)
    if page.live:
        now = timezone.now()
        page.first_published_at = story.first_published or now
        page.last_published_at = max(story.updated or page.first_published_at,
                                     page.first_published_at)
    imported = Imported(page=page, created=True, status="draft" if draft else "published")
    if removed:
        imported.warnings.append(NUL_WARNING.format(count=removed))

    def after(page):
        record_remote(page, remote, imported, new=True)

    batch.add(NewStory(parent=section, page=page, tags=story.tags,
                       author_ids=[a.pk for a in story.authors or []], after=[after]))
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


def report(imported: Imported) -> str:
    """One line for the operator: what happened to the story and where it is."""
    page = imported.page
    url = page.full_url or page.url_path
    if imported.status == "withdrawn":
        return f"withdrawn {url} (unpublished)"
    if imported.status == "scheduled":
        return f"imported {url} (scheduled for {imported.scheduled_for.isoformat()})"
    if imported.status == "draft":
        # Nobody can see a draft at its address; the editor reviews it in the admin.
        admin = settings.WAGTAILADMIN_BASE_URL + reverse("wagtailadmin_pages:edit",
                                                         args=[page.pk])
        return f"imported {url} (draft; review it at {admin})"
    return f"imported {url}"
