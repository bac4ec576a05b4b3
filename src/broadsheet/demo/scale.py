"""Growing the demo newsroom into a big one, for benchmarks: many stories, a busy discussion.

Wagtail's add_child saves, validates, indexes and logs one page at a time (about 30 ms a
story on SQLite: five minutes for 10,000). Here the page tree rows are written in bulk
instead: materialised paths are computed the way treebeard does, `wagtailcore_page` rows go in
with bulk_create and the story rows after them. The stories are live, tagged, bylined and
dated over the years before the demo's own, which is what an archive looks like to the
reader-facing pages. They have no revisions (an editor's first save makes one) and are not in
the search index: bench data need not be searchable.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from wagtail.models import Page

from broadsheet.articles.bulk import insert_child_rows, insert_page_rows
from broadsheet.articles.models import ArticlePage, ArticleTag, Byline
from broadsheet.comments.models import Comment
from broadsheet.pagecache.purge import purge_everything
from broadsheet.people.models import Author
from broadsheet.sections.models import SectionPage

from . import writing

BATCH = 1000
SUBJECTS = ["Council", "Library", "Orchestra", "River trust", "Science fair", "Market",
            "Rowing club", "Rail depot", "Museum", "Cycling group", "Bakery", "Choir",
            "Weather station", "School", "Harbour board", "Theatre"]
ACTIONS = ["plans", "opens", "delays", "celebrates", "reviews", "extends", "rethinks",
           "welcomes", "funds", "reports on"]
OBJECTS = ["new hours", "a summer programme", "the riverside path", "its annual fair",
           "repairs to the bridge", "a volunteer scheme", "winter timetables", "a prize",
           "the east bank project", "evening sessions", "a record year"]


def scale_up(*, stories: int, comments: int, story: ArticlePage | None = None,
             seed: int = 11) -> dict:
    """Add `stories` live stories spread over the sections, and `comments` comments on `story`
    (default: the newest story). Returns counts and the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(seed)
    story = story or ArticlePage.objects.live().order_by("-first_published_at").first()
    with transaction.atomic():
        added = _add_stories(rng, stories) if stories else 0
        talk = _add_comments(rng, story, comments) if comments and story else 0
        # Pages already cached show the smaller newsroom; the data changed under them.
        purge_everything(data_changed=True)
    return {"stories": added, "comments": talk,
            "seconds": round(time.perf_counter() - started, 1)}


def _add_stories(rng: random.Random, count: int) -> int:
    sections = list(SectionPage.objects.order_by("path"))
    if not sections:
        raise ValueError("scale_up needs sections: load the demo newsroom first")
    # The next free step below each section, as treebeard's add_child would find it.
    next_step = {}
    for section in sections:
        last = section.get_last_child()
        next_step[section.pk] = Page._str2int(last.path[-Page.steplen:]) + 1 if last else 1
    content_type = ContentType.objects.get_for_model(ArticlePage)
    images = list(ArticlePage.objects.exclude(hero_image=None)
                  .values_list("hero_image_id", "hero_alt").distinct())
    tag_ids = list(ArticleTag.objects.values_list("tag_id", flat=True).distinct())
    author_ids = list(Author.objects.values_list("id", flat=True))
    first = ArticlePage.objects.count()  # keeps slugs unique across repeated runs
    oldest = (ArticlePage.objects.order_by("first_published_at")
              .values_list("first_published_at", flat=True).first() or timezone.now())
    bodies = [writing.body_for(random.Random(i), "", f"The {subject.lower()} "
                               f"{ACTIONS[i % len(ACTIONS)]} {OBJECTS[i % len(OBJECTS)]}")
              for i, subject in enumerate(SUBJECTS)]
    children = dict.fromkeys(next_step, 0)

    for start in range(0, count, BATCH):
        pages, stories = [], []
        for n in range(start, min(start + BATCH, count)):
            section = sections[n % len(sections)]
            step = next_step[section.pk]
            next_step[section.pk] += 1
            children[section.pk] += 1
            title = f"{rng.choice(SUBJECTS)} {rng.choice(ACTIONS)} {rng.choice(OBJECTS)}"
            slug = f"archive-{first + n}"
            when = oldest - timedelta(hours=6 * (n + 1) + rng.uniform(0, 5))
            pages.append(Page(
                title=title, draft_title=title, slug=slug, content_type=content_type,
                path=Page._get_path(section.path, section.depth + 1, step),
                depth=section.depth + 1, numchild=0, url_path=f"{section.url_path}{slug}/",
                locale_id=section.locale_id, live=True, has_unpublished_changes=False,
                first_published_at=when, last_published_at=when))
            image_id, alt = rng.choice(images) if images else (None, "")
            stories.append(ArticlePage(
                dek=f"An archive story about {rng.choice(OBJECTS)} in the Calder Valley.",
                summary="", body=rng.choice(bodies), hero_image_id=image_id, hero_alt=alt,
                hero_credit="Illustration: Broadsheet demo" if image_id else "",
                dateline=writing.HOME_DATELINE))
        insert_page_rows(pages)
        for page, article in zip(pages, stories, strict=True):
            article.page_ptr_id = article.id = page.pk
        insert_child_rows(ArticlePage, stories)
        ArticleTag.objects.bulk_create([
            ArticleTag(content_object_id=page.pk, tag_id=tag)
            for page in pages for tag in rng.sample(tag_ids, min(len(tag_ids), 2))])
        Byline.objects.bulk_create([
            Byline(page_id=page.pk, author_id=author, sort_order=0)
            for page in pages for author in rng.sample(author_ids, min(len(author_ids), 1))])
    for section_id, added in children.items():
        if added:
            Page.objects.filter(pk=section_id).update(numchild=F("numchild") + added)
    return count


def _add_comments(rng: random.Random, story: ArticlePage, count: int) -> int:
    User = get_user_model()
    readers = list(User.objects.filter(username__endswith="@demo.invalid")[:20])
    if not readers:
        reader = User(username="reader1@demo.invalid", email="reader1@demo.invalid")
        reader.set_unusable_password()
        reader.save()
        readers = [reader]
    now = timezone.now()
    published = story.first_published_at or now - timedelta(days=1)
    span = max((now - published).total_seconds(), 60)
    comments = [Comment(story=story, author=rng.choice(readers),
                        body=f"{rng.choice(writing.COMMENTS)} ({i + 1})")
                for i in range(count)]
    Comment.objects.bulk_create(comments, batch_size=BATCH)
    # created_at is stamped on insert: spread the discussion since publication, in order.
    times = sorted(published + timedelta(seconds=rng.uniform(0, span)) for _ in comments)
    for comment, when in zip(comments, times, strict=True):
        comment.created_at = when
    if comments[0].pk is not None:
        Comment.objects.bulk_update(comments, ["created_at"], batch_size=BATCH)
    return count

