"""Growing the demo newsroom to a big one, for benchmarks: many stories, a busy discussion.

Stories are added as live pages directly (no revision history, no search indexing), which is
what a newsroom that has run for years looks like to the reader-facing pages and costs a
fraction of the editor's path.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from broadsheet.articles.models import ArticlePage
from broadsheet.comments.models import Comment
from broadsheet.sections.models import SectionPage

from . import writing


def scale_up(*, stories: int, comments: int, story: ArticlePage | None = None,
             seed: int = 11) -> None:
    from wagtail.search import index

    rng = random.Random(seed)
    now = timezone.now()
    sections = list(SectionPage.objects.all())
    story = story or ArticlePage.objects.live().order_by("-first_published_at").first()
    body = writing.body_for(rng, "Archive story", "From the archive.")
    index_insert = index.insert_or_update_object
    index.insert_or_update_object = lambda *a, **k: None  # bench data need not be searchable
    try:
        batch = 500
        for start in range(0, stories, batch):
            with transaction.atomic():
                for n in range(start, min(start + batch, stories)):
                    section = sections[n % len(sections)]
                    section.refresh_from_db(fields=["numchild", "path", "depth"])
                    when = now - timedelta(days=11 + n // 20, minutes=n % 20)
                    section.add_child(instance=ArticlePage(
                        title=f"From the archive: story {n}", slug=f"archive-{n}",
                        dek="An older story from the Courier's archive.", body=body,
                        live=True, has_unpublished_changes=False,
                        first_published_at=when, last_published_at=when))
    finally:
        index.insert_or_update_object = index_insert
    reader = get_user_model().objects.filter(username__startswith="reader").first()
    Comment.objects.bulk_create(
        [Comment(story=story, author=reader, body=f"Archive comment {i}: {rng.random():.4f}")
         for i in range(comments)], batch_size=1000)
