"""Building an edition: choosing its stories and rendering it once, HTML and text, with a
placeholder where each reader's own links go (sending.py fills them in). Whatever the size of
the list, building costs the same few queries.

Only live, public stories are ever chosen: a draft, a story scheduled for later or one behind
a login never reaches an inbox.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from broadsheet.address import absolute
from broadsheet.articles.models import ArticlePage
from broadsheet.frontpage.spotlight import pick_live, spotlight_ids

from . import tokens
from .models import Edition, EditionLink, Newsletter, NewsletterSettings

# Filled in per recipient by sending.py: plain words that no story text contains, so that
# substitution is a str.replace, not a second rendering.
PREFERENCES_LINK = "%%BROADSHEET-PREFERENCES-URL%%"
UNSUBSCRIBE_LINK = "%%BROADSHEET-UNSUBSCRIBE-URL%%"

# Lists other features rank (Popular is readership's): registered at start-up by the page
# assembly layer, so that newsletters import no other feature. Each returns story ids, best
# first.
SOURCES: dict[str, Callable[[int], list[int]]] = {}

POPULAR_SIZE = 5
SPOTLIGHT_SIZE = 3


class NothingToSend(Exception):
    """A digest with no story since its last send, or an alert without a live story."""


def _site() -> Site | None:
    return Site.objects.filter(is_default_site=True).select_related("root_page").first()


def choose(newsletter: Newsletter, *, story: ArticlePage | None = None,
           since=None) -> dict[str, list[ArticlePage]]:
    """The stories of an edition, by part: "top" (or the alert's one story), "spotlight" and
    "popular" for briefings. One teaser query for all of them."""
    if newsletter.kind == Newsletter.Kind.ALERT:
        live = (ArticlePage.objects.teasers().filter(pk=story.pk).first()
                if story is not None else None)
        if live is None:
            raise NothingToSend("an alert needs a live, public story")
        return {"top": [live]}
    site = _site()
    scope = newsletter.section or (site.root_page if site else None)
    if scope is None:
        raise NothingToSend("the site has no home page")
    # Asked of the database, not the section's remembered newest few (articles/listing.py
    # keeps six): a briefing may lead with up to twenty, a digest take four times that.
    newest = ArticlePage.objects.newest().descendant_of(scope)
    if since is not None:
        newest = newest.filter(first_published_at__gt=since)
    digest = newsletter.kind == Newsletter.Kind.DIGEST
    parts: dict[str, list[int]] = {"top": list(newest.values_list("id", flat=True)[
        :newsletter.story_count * (4 if digest else 1)])}
    if not digest:
        picks, size = spotlight_ids(site)
        parts["spotlight"] = picks[:min(size or SPOTLIGHT_SIZE, SPOTLIGHT_SIZE)]
        popular = SOURCES.get("popular")
        parts["popular"] = popular(POPULAR_SIZE * 2) if popular else []
    wanted = {i for ids in parts.values() for i in ids}
    stories = ArticlePage.objects.teasers().filter(id__in=wanted)
    if since is not None:
        stories = stories.filter(first_published_at__gt=since)
    found = {s.id: s for s in stories} if wanted else {}
    chosen = {name: pick_live(ids, found, len(ids)) for name, ids in parts.items()}
    # A story is shown once: in the first part that has it.
    seen: set[int] = set()
    for name in ("top", "spotlight", "popular"):
        if name in chosen:
            chosen[name] = [s for s in chosen[name] if s.id not in seen]
            seen.update(s.id for s in chosen[name])
    if "popular" in chosen:
        chosen["popular"] = chosen["popular"][:POPULAR_SIZE]
    if not chosen["top"]:
        raise NothingToSend("no live story to send" if since is None
                            else "no new story since the last send")
    return chosen


def last_sent(newsletter: Newsletter):
    return (Edition.objects.filter(newsletter=newsletter, status=Edition.Status.SENT)
            .order_by("-started_at").values_list("started_at", flat=True).first())


def default_subject(newsletter: Newsletter, parts: dict) -> str:
    if newsletter.kind == Newsletter.Kind.ALERT:
        return f"Breaking: {parts['top'][0].title}"
    today = timezone.localdate()
    return f"{newsletter.name}, {today:%A} {today.day} {today:%B}"


def lead_picture(story: ArticlePage) -> dict | None:
    """The lead story's picture at e-mail width, if it has one with a description (an e-mail
    picture without alt text is worse than none: many clients show the alt until asked)."""
    if not story.hero_image_id or not story.hero_alt:
        return None
    rendition = story.hero_image.get_rendition("width-600|format-jpeg|jpegquality-70")
    return {"src": absolute(rendition.url), "width": rendition.width,
            "height": rendition.height, "alt": story.hero_alt}


def render(edition: Edition, parts: dict[str, list[ArticlePage]]) -> tuple[str, str]:
    """The edition's HTML and text. A tracked edition's links go through this site, one
    counted link per story (EditionLink), the same in every reader's message."""
    newsletter = edition.newsletter
    site = _site()
    EditionLink.objects.filter(edition=edition).delete()

    def through_us(url: str) -> str:
        if not edition.tracked:
            return url
        link = EditionLink.objects.create(edition=edition, url=url)
        return absolute(reverse("newsletters:click", args=[tokens.link(link.pk)]))

    def linked(stories):
        return [(s, through_us(absolute(s.relative_url(site)))) for s in stories]

    context = {
        "edition": edition, "newsletter": newsletter, "parts": parts,
        "site_name": site.site_name if site and site.site_name else "Broadsheet",
        "home_url": absolute("/"),
        "stories": linked(parts["top"]), "spotlight": linked(parts.get("spotlight", [])),
        "popular": linked(parts.get("popular", [])), "picture": lead_picture(parts["top"][0]),
        "preferences_url": PREFERENCES_LINK, "unsubscribe_url": UNSUBSCRIBE_LINK,
        "opened_url": (absolute(reverse("newsletters:opened", args=[tokens.opened(edition.pk)]))
                       if edition.tracked else None),
    }
    return (render_to_string("newsletters/email/edition.html", context),
            render_to_string("newsletters/email/edition.txt", context))


def _chosen(newsletter: Newsletter, story: ArticlePage | None) -> dict[str, list[ArticlePage]]:
    """choose(), since the last send for a digest."""
    since = last_sent(newsletter) if newsletter.kind == Newsletter.Kind.DIGEST else None
    return choose(newsletter, story=story, since=since)


def _render_into(edition: Edition, parts: dict[str, list[ArticlePage]]) -> None:
    edition.story_ids = [s.id for stories in parts.values() for s in stories]
    edition.html, edition.text = render(edition, parts)


def build(newsletter: Newsletter, *, user=None, story: ArticlePage | None = None,
          subject: str = "", intro: str | None = None) -> Edition:
    """A new draft edition, rendered and ready to preview, test, schedule or send."""
    parts = _chosen(newsletter, story)
    edition = Edition(newsletter=newsletter, story=story, created_by=user,
                      intro=newsletter.intro if intro is None else intro,
                      subject=subject or default_subject(newsletter, parts),
                      tracked=counting_opens_and_clicks())
    with transaction.atomic():
        edition.save()  # a tracked edition's links name it
        _render_into(edition, parts)
        edition.save(update_fields=["story_ids", "html", "text"])
    return edition


def counting_opens_and_clicks() -> bool:
    site = _site()
    return bool(site) and NewsletterSettings.for_site(site).count_opens_and_clicks


def rebuild(edition: Edition) -> Edition:
    """Render again from the stories as they are now (after the editor changed the intro, or
    a story changed). Only before the edition starts sending."""
    with transaction.atomic():
        edition = Edition.objects.select_for_update().get(pk=edition.pk)
        if not edition.editable:
            raise ValueError(f"edition {edition.pk} is {edition.status}: it can no longer change")
        _render_into(edition, _chosen(edition.newsletter, edition.story))
        edition.save(update_fields=["story_ids", "html", "text"])
    return edition


def due_daily(now=None) -> list[tuple[Newsletter, datetime]]:
    """Newsletters with a daily (or weekly) time whose edition for today is due to be built
    (an hour before the time) and not built yet."""
    now = now or timezone.localtime()
    due = []
    for newsletter in Newsletter.objects.filter(active=True, send_daily_at__isnull=False):
        if newsletter.send_weekday is not None and now.weekday() != newsletter.send_weekday:
            continue
        at = timezone.make_aware(
            datetime.combine(now.date(), newsletter.send_daily_at),
            timezone.get_current_timezone())
        if at - timedelta(hours=1) <= now < at and not Edition.objects.filter(
                newsletter=newsletter, send_at=at).exists():
            due.append((newsletter, at))
    return due
