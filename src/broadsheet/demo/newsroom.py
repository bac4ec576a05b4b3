"""Building the demo newsroom: sections, authors, stories, Spotlight, comments, readers."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

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
from broadsheet.people.models import Author
from broadsheet.readership.models import PageView
from broadsheet.sections.models import SectionPage

from . import pictures, writing

NESTED = {"Europe": "World"}  # subsection -> parent section


def already_loaded() -> bool:
    return ArticlePage.objects.exists()


@transaction.atomic
def build(seed: int = 7) -> dict:
    rng = random.Random(seed)
    now = timezone.now()
    home = ensure_home()
    site = Site.objects.get(root_page=home)
    site.site_name = writing.SITE_NAME
    site.save()
    masthead = Masthead.for_site(site)
    masthead.tagline, masthead.footer_text = writing.TAGLINE, writing.FOOTER
    masthead.save()

    images = [pictures.save_image(f"Calder Valley illustration {i + 1}",
                                  pictures.landscape(i)) for i in range(10)]
    authors = []
    for i, (name, role, bio) in enumerate(writing.AUTHORS):
        photo = pictures.save_image(f"Portrait of {name}", pictures.portrait(i))
        authors.append(Author.objects.create(name=name, role=role, bio=bio, photo=photo))

    sections: dict[str, SectionPage] = {}
    for title, (intro, _stories) in writing.SECTIONS.items():
        parent = sections.get(NESTED.get(title, ""), home)
        parent.refresh_from_db()
        section = parent.add_child(instance=SectionPage(title=title, slug=slugify(title),
                                                        intro=intro))
        section.save_revision().publish()
        sections[title] = section

    items = [(title, story) for title, (_, stories) in writing.SECTIONS.items()
             for story in stories]
    rng.shuffle(items)
    stories = []
    for n, (section_title, (headline, dek, tags)) in enumerate(items):
        section = sections[section_title]
        section.refresh_from_db()
        image = images[n % len(images)]
        page = ArticlePage(
            title=headline, slug=slugify(headline)[:60], dek=dek,
            summary=dek if n % 3 else "",
            body=writing.body_for(rng, headline, dek),
            hero_image=image, hero_alt=f"Illustration: {image.title.lower()}",
            hero_caption="An illustration made for this demo newsroom.",
            hero_credit="Illustration: Broadsheet demo",
            dateline=("RIVERTON" if section_title in ("Local", "Business") else ""),
            comments=ArticlePage.Comments.CLOSED if n % 7 == 3 else ArticlePage.Comments.OPEN,
        )
        section.add_child(instance=page)
        page.tags.add(*tags)
        for author in rng.sample(authors, rng.choice([1, 1, 2])):
            Byline.objects.create(page=page, author=author)
        page.save_revision().publish()
        # Spread publication over the last ten days, newest first in list order.
        published = now - timedelta(hours=4 * n + rng.randint(0, 3), minutes=rng.randint(0, 59))
        ArticlePage.objects.filter(pk=page.pk).update(first_published_at=published,
                                                      last_published_at=published)
        stories.append(page)

    Correction.objects.create(page=stories[2], made_at=now - timedelta(hours=3), text=(
        "An earlier version of this story gave the wrong date for the public meeting."))
    Correction.objects.create(page=stories[2], kind=Correction.Kind.UPDATE, made_at=now,
                              text="This story was updated with the final figures.")

    spotlight = Spotlight.for_site(site)
    picks = [stories[i] for i in (5, 11, 17, 23, 29)]
    for order, story in enumerate(picks):
        SpotlightPick.objects.create(
            spotlight=spotlight, story=story, sort_order=order,
            # One pick has run its course: it shows Spotlight expiry at work.
            expires_at=(now - timedelta(hours=1)) if order == 4 else None)

    User = get_user_model()
    readers = []
    for i in range(6):
        user = User(username=f"reader{i + 1}@demo.invalid", email=f"reader{i + 1}@demo.invalid",
                    first_name=["Alex", "Sam", "Jordan", "Robin", "Kim", "Lee"][i])
        user.set_unusable_password()
        user.save()
        readers.append(user)
    comments = []
    for story in stories[:15]:
        if story.comments != ArticlePage.Comments.OPEN:
            continue
        for _ in range(rng.randint(1, 5)):
            comments.append(Comment(story=story, author=rng.choice(readers),
                                    body=rng.choice(writing.COMMENTS)))
    Comment.objects.bulk_create(comments)

    views = []
    for rank, story in enumerate(stories):
        weight = max(1, int(60 / (1 + rank * 0.6)))  # a long tail, as real readership has
        for _ in range(rng.randint(weight // 2, weight)):
            views.append(PageView(page_id=story.pk, visitor=secrets.token_hex(16),
                                  viewed_at=now - timedelta(minutes=rng.randint(1, 7 * 24 * 60))))
    PageView.objects.bulk_create(views, batch_size=2000)

    return {"sections": len(sections), "stories": len(stories), "authors": len(authors),
            "images": len(images) + len(authors), "spotlight picks": len(picks),
            "comments": len(comments), "page views": len(views)}
