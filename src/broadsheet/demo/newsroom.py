"""Building the demo newsroom: sections, authors, stories, Spotlight, comments, readers."""

from __future__ import annotations

import random
from datetime import time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import Site

from broadsheet.articles.models import ArticlePage, Byline, Correction
from broadsheet.comments.models import Comment
from broadsheet.frontpage.models import Spotlight, SpotlightPick
from broadsheet.frontpage.setup import ensure_home
from broadsheet.masthead.models import Masthead
from broadsheet.newsletters import editions
from broadsheet.newsletters.models import (
    Delivery,
    Edition,
    ListActivity,
    Newsletter,
    Subscriber,
    Subscription,
)
from broadsheet.people.models import Author
from broadsheet.readership.folding import rebuild_counts
from broadsheet.readership.models import PageView
from broadsheet.sections.models import SectionPage

from . import pictures, writing

NESTED = {"Europe": "World"}  # subsection -> parent section
ILLUSTRATIONS = 10
SPREAD_HOURS = 10 * 24  # stories are spread over the last ten days
READERS = ["Alex", "Sam", "Jordan", "Robin", "Kim", "Lee"]


def already_loaded() -> bool:
    return ArticlePage.objects.exists()


@transaction.atomic
def build(seed: int = 7) -> dict:
    """Load the whole demo newsroom into the site; returns what was made, by kind."""
    rng = random.Random(seed)
    now = timezone.now()
    home = ensure_home()
    site = _name_the_site(home)

    images = [pictures.save_image(f"Calder Valley illustration {i + 1}", pictures.landscape(i))
              for i in range(ILLUSTRATIONS)]
    authors = []
    for i, (name, role, bio) in enumerate(writing.AUTHORS):
        photo = pictures.save_image(f"Portrait of {name}", pictures.portrait(i))
        authors.append(Author.objects.create(name=name, role=role, bio=bio, photo=photo))

    sections = _sections(home)
    stories = _stories(rng, now, sections, images, authors)

    corrected = stories[2]
    Correction.objects.create(page=corrected, made_at=now - timedelta(hours=3), text=(
        "An earlier version of this story gave the wrong date for the public meeting."))
    Correction.objects.create(page=corrected, kind=Correction.Kind.UPDATE,
                              made_at=now - timedelta(minutes=20),
                              text="This story was updated with the final figures.")
    ArticlePage.objects.filter(pk=corrected.pk).update(
        last_published_at=now - timedelta(minutes=20))

    spotlight = Spotlight.for_site(site)
    picks = [stories[i] for i in (5, 11, 17, 23, 29)]
    for order, story in enumerate(picks):
        SpotlightPick.objects.create(
            spotlight=spotlight, story=story, sort_order=order,
            # The last pick has run its course: it shows Spotlight expiry at work.
            expires_at=(now - timedelta(hours=1)) if order == len(picks) - 1 else None)

    comments = _comments(rng, now, stories)
    views = _views(rng, now, stories)
    subscribers = _newsletters(now)
    return {"sections": len(sections), "stories": len(stories), "authors": len(authors),
            "images": len(images) + len(authors) + 1, "spotlight picks": len(picks),
            "comments": comments, "page views": views, "newsletters": 2,
            "newsletter subscribers": subscribers}


def _name_the_site(home) -> Site:
    site = Site.objects.filter(is_default_site=True).first() or Site.objects.get(
        root_page=home)
    site.site_name = writing.SITE_NAME
    site.save()
    masthead = Masthead.for_site(site)
    masthead.tagline, masthead.footer_text = writing.TAGLINE, writing.FOOTER
    # The picture link previews show for pages with none of their own (Open Graph's size).
    masthead.default_share_image = pictures.save_image(
        f"{writing.SITE_NAME} share image", pictures.landscape(4, size=(1200, 630)))
    masthead.save()
    return site


def _sections(home) -> dict[str, SectionPage]:
    """The desks, reusing any section an editor already made with the same address."""
    sections: dict[str, SectionPage] = {}
    for title, (intro, _stories) in writing.SECTIONS.items():
        parent = sections.get(NESTED.get(title, ""), home)
        parent.refresh_from_db()
        slug = slugify(title)
        section = SectionPage.objects.child_of(parent).filter(slug=slug).first()
        if section is None:
            section = parent.add_child(instance=SectionPage(
                title=title, slug=slug, intro=intro, in_navigation=True))
            section.save_revision().publish()
        sections[title] = section
    return sections


def _stories(rng, now, sections, images, authors) -> list[ArticlePage]:
    """Every story, published and dated newest first over the last ten days."""
    items = [(title, story) for title, (_, stories) in writing.SECTIONS.items()
             for story in stories]
    rng.shuffle(items)
    step = SPREAD_HOURS / len(items)
    stories = []
    for n, (section_title, (headline, dek, tags)) in enumerate(items):
        section = sections[section_title]
        section.refresh_from_db()
        picture = n % len(images)
        body = writing.body_for(rng, headline, dek, section_title)
        if n % 3 == 0:
            # A second picture further down the story: lazy-loaded, below the fold.
            extra = (picture + 5) % len(images)
            body.insert(len(body) - 1, ("image", {
                "image": images[extra], "alt": pictures.describe(extra),
                "caption": "Another view of the valley.",
                "credit": "Illustration: Broadsheet demo"}))
        page = ArticlePage(
            title=headline, slug=slugify(headline)[:60], dek=dek,
            summary=f"{dek}{rng.choice(writing.SUMMARY_TAILS)}" if n % 3 == 1 else "",
            body=body,
            hero_image=images[picture], hero_alt=pictures.describe(picture),
            hero_caption="An illustration made for this demo newsroom.",
            hero_credit="Illustration: Broadsheet demo",
            dateline=writing.dateline_for(section_title, tags),
            comments=ArticlePage.Comments.CLOSED if n % 7 == 3 else ArticlePage.Comments.OPEN,
        )
        section.add_child(instance=page)
        page.tags.add(*tags)
        for order, author in enumerate(rng.sample(authors, rng.choice([1, 1, 2]))):
            Byline.objects.create(page=page, author=author, sort_order=order)
        page.save_revision().publish()
        # Published just now as far as Wagtail knows; back-date it into the ten days.
        published = now - timedelta(hours=step * n + rng.uniform(0, step * 0.8))
        ArticlePage.objects.filter(pk=page.pk).update(first_published_at=published,
                                                      last_published_at=published)
        page.first_published_at = page.last_published_at = published
        stories.append(page)
    return stories


def _comments(rng, now, stories) -> int:
    """A few readers talking under the newest open stories; two comments await moderation."""
    User = get_user_model()
    readers = []
    for i, first_name in enumerate(READERS, start=1):
        email = f"reader{i}@demo.invalid"
        user, created = User.objects.get_or_create(
            username=email, defaults={"email": email, "first_name": first_name})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        readers.append(user)
    comments, times = [], []
    for story in stories[:16]:
        if story.comments != ArticlePage.Comments.OPEN:
            continue
        age = (now - story.first_published_at).total_seconds()
        count = rng.randint(1, 6)
        times += sorted(story.first_published_at + timedelta(seconds=rng.uniform(0, age))
                        for _ in range(count))
        comments += [Comment(story=story, author=rng.choice(readers),
                             body=rng.choice(writing.COMMENTS)) for _ in range(count)]
    for comment in comments[3:5]:
        comment.status = Comment.Status.PENDING
    Comment.objects.bulk_create(comments)
    # created_at is stamped on insert; the talk happened over the hours since publication.
    for comment, when in zip(comments, times, strict=True):
        comment.created_at = when
    Comment.objects.bulk_update(comments, ["created_at"])
    return len(comments)


def _views(rng, now, stories) -> int:
    """A week of reader views with a long tail: a few stories are read far more than others,
    and not simply the newest, so Popular differs from Latest."""
    ranks = list(range(len(stories)))
    rng.shuffle(ranks)
    week = now - timedelta(days=7)
    views = []
    for rank, story in zip(ranks, stories, strict=True):
        weight = max(2, int(90 / (1 + rank * 0.7)))
        start = max(story.first_published_at, week)
        span = (now - start).total_seconds()
        for _ in range(rng.randint(weight // 2, weight)):
            # Interest fades: views cluster after publication (or the week's start).
            views.append(PageView(page_id=story.pk, visitor=f"{rng.getrandbits(128):032x}",
                                  viewed_at=start + timedelta(seconds=span * rng.random() ** 1.5)))
    # Some reading in the last hours for everything in the top of the list.
    for story in stories[:12]:
        for _ in range(rng.randint(2, 8)):
            views.append(PageView(page_id=story.pk, visitor=f"{rng.getrandbits(128):032x}",
                                  viewed_at=now - timedelta(minutes=rng.uniform(1, 23 * 60))))
    PageView.objects.bulk_create(views, batch_size=2000)
    rebuild_counts()  # hourly counts and Popular scores from the views just written
    return len(views)


def _newsletters(now) -> int:
    """A morning briefing (daily at 07:00) and breaking alerts, a few readers on each, and
    yesterday's briefing as the one past send, built by the real builder. Nothing is mailed:
    the past send's deliveries are recorded as the send would have left them."""
    briefing = Newsletter.objects.create(
        name="Morning briefing", slug="morning-briefing", kind=Newsletter.Kind.BRIEFING,
        description=writing.BRIEFING_DESCRIPTION, intro=writing.BRIEFING_INTRO,
        sender_name=writing.SITE_NAME, send_daily_at=time(7, 0))
    alerts = Newsletter.objects.create(
        name="Breaking news", slug="breaking-news", kind=Newsletter.Kind.ALERT,
        description=writing.ALERTS_DESCRIPTION, sender_name=f"{writing.SITE_NAME} alerts")
    readers = [Subscriber.objects.create(email=f"{name.lower()}@example.org",
                                         confirmed_at=now - timedelta(days=9))
               for name in READERS]
    for i, reader in enumerate(readers):
        Subscription.objects.create(subscriber=reader, newsletter=briefing)
        if i % 2 == 0:
            Subscription.objects.create(subscriber=reader, newsletter=alerts)
    ListActivity.objects.create(newsletter=briefing, day=(now - timedelta(days=9)).date(),
                                joined=len(readers))
    ListActivity.objects.create(newsletter=alerts, day=(now - timedelta(days=9)).date(),
                                joined=len(readers[::2]))
    past = editions.build(briefing)
    sent_at = now - timedelta(days=1)
    Delivery.objects.bulk_create(
        Delivery(edition=past, subscriber=r, email=r.email, status=Delivery.Status.SENT,
                 attempts=1, sent_at=sent_at) for r in readers)
    Edition.objects.filter(pk=past.pk).update(
        status=Edition.Status.SENT, send_at=sent_at, started_at=sent_at,
        finished_at=sent_at + timedelta(seconds=2), recipients=len(readers),
        sent=len(readers), created_at=sent_at - timedelta(hours=1))
    return len(readers)
