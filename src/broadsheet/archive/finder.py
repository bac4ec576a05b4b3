"""Searching the archive as a reader: full text through Wagtail search (SQLite FTS5 in the
embedded default, PostgreSQL full-text search in production), blended with recency.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone
from django.utils.html import escape, strip_tags

from broadsheet.articles.models import ArticlePage, Byline
from broadsheet.articles.visibility import restricted_q

CANDIDATES = 200  # relevance-ranked results considered for the recency blend
HALF_LIFE_DAYS = 30  # a month-old story needs twice the relevance of today's to rank level


@dataclass
class Hit:
    story: ArticlePage
    title: str  # safe HTML, as the snippet
    snippet: str  # safe HTML: escaped text with <mark> around the matched words


def search(query: str, *, section=None, author=None, since: date | None = None,
           until: date | None = None) -> list[int]:
    """Story ids, best first. Only live, public stories are ever considered."""
    stories = ArticlePage.objects.live().exclude(restricted_q())
    if section is not None:
        stories = stories.descendant_of(section)
    if author is not None:
        stories = stories.filter(id__in=list(
            Byline.objects.filter(author=author).values_list("page_id", flat=True)))
    tz = timezone.get_current_timezone()
    if since:
        stories = stories.filter(first_published_at__gte=datetime.combine(since, time.min, tz))
    if until:
        stories = stories.filter(first_published_at__lte=datetime.combine(until, time.max, tz))
    # Raw scores mean different things per engine (SQLite's bm25 is better when lower,
    # PostgreSQL's ts_rank when higher), so the engine's order is what counts: position n in
    # it is worth 1 / (1 + n / 2), weighed by how recent the story is.
    results = stories.search(query, operator="and", order_by_relevance=True)
    now = timezone.now()
    ranked = []
    for position, story in enumerate(results[:CANDIDATES]):
        age_days = max(0.0, (now - (story.first_published_at or now)).total_seconds() / 86400)
        decay = math.pow(0.5, age_days / HALF_LIFE_DAYS)
        ranked.append(((1 / (1 + position / 2)) * (0.5 + decay), story.pk))
    ranked.sort(key=lambda pair: pair[0], reverse=True)
    return [pk for _, pk in ranked]


def terms(query: str) -> list[str]:
    return [t for t in re.findall(r"\w+", query.lower()) if len(t) > 1]


def mark(text: str, words: list[str]) -> str:
    """Escape `text`, then wrap each word starting with one of `words` in <mark>."""
    out = escape(text)
    pattern = "|".join(re.escape(escape(w)) for w in sorted(set(words), key=len, reverse=True))
    if pattern:
        out = re.sub(rf"(?i)\b((?:{pattern})\w*)", r"<mark>\1</mark>", out)
    return out


def snippet(story: ArticlePage, query: str, width: int = 220) -> str:
    """A stretch of the story around the first matched word, matched words marked."""
    text = " ".join(" ".join([story.summary or story.dek, strip_tags(str(story.body))]).split())
    words = terms(query)
    lower = text.lower()
    found = [i for i in (lower.find(w) for w in words) if i >= 0]
    start = max(0, min(found) - width // 3) if found else 0
    if start:  # begin at a word boundary
        start = text.find(" ", start) + 1 or start
    piece = text[start:start + width]
    return ("… " if start else "") + mark(piece, words) + (
        " …" if start + width < len(text) else "")


def hits(ids: list[int], query: str) -> list[Hit]:
    from broadsheet.comments.counts import with_comment_counts

    stories = {s.pk: s for s in with_comment_counts(ArticlePage.objects.filter(pk__in=ids))
               .select_related("hero_image")}
    words = terms(query)
    return [Hit(stories[i], mark(stories[i].title, words), snippet(stories[i], query))
            for i in ids if i in stories]
