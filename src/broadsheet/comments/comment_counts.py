"""Comment counts for teasers and story pages, counted inside the query that lists them."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from .models import Comment


def visible_q(prefix: str = "") -> Q:
    """Comments every reader sees: approved and not deleted by their author."""
    return Q(**{f"{prefix}status": "approved", f"{prefix}deleted_at__isnull": True})


def with_comment_counts(stories):
    """Annotate `comment_count` with a correlated count over the (story, status, deleted_at)
    index: no extra query per teaser, and always right (no counter to drift when comments
    are imported in bulk)."""

    counted = (Comment.objects.filter(visible_q(), story=OuterRef("pk")).order_by()
               .values("story").annotate(n=Count("id")).values("n"))
    return stories.annotate(comment_count=Coalesce(Subquery(counted, output_field=IntegerField()),
                                                   0))


def count_for(story) -> int:

    return Comment.objects.filter(visible_q(), story=story).count()
