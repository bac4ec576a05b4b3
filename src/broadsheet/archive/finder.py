"""Searching the archive as a reader: full text through Wagtail search (SQLite FTS5 in the
embedded default, PostgreSQL full-text search in production), blended with recency.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone
from django.utils.html import escape
from modelsearch.backends import database
from wagtail.models import Page
from wagtail.search.backends import get_search_backend
from wagtail.search.models import IndexEntry

from broadsheet.articles.models import ArticlePage, Byline, annotate_teasers
from broadsheet.articles.visibility import restricted_q

SCORED = 200  # newest matches ranked by relevance, then blended with recency
HALF_LIFE_DAYS = 30  # a month-old story needs twice the relevance of today's to rank level


@dataclass
class Hit:
    story: ArticlePage
    title: str  # safe HTML, as the snippet
    snippet: str  # safe HTML: escaped text with <mark> around the matched words


def _stories(*, section=None, author=None, since: date | None = None,
             until: date | None = None, model=ArticlePage):
    """Live, public stories under the filters, as `model` rows: ArticlePage, or Page (the
    page table alone, told the content type) where the story columns are not needed."""
    stories = model.objects.live().exclude(restricted_q())
    if model is Page:
        stories = stories.filter(content_type=ContentType.objects.get_for_model(ArticlePage))
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
    return stories


def search(query: str, **filters) -> list[int]:
    """Story ids, best first. Only live, public stories are ever considered. Filters:
    section, author, since and until (dates)."""
    # Raw scores mean different things per engine (SQLite's bm25 is better when lower,
    # PostgreSQL's ts_rank when higher), so the engine's order is what counts: position n in
    # it is worth 1 / (1 + n / 2), weighed by how recent the story is.
    now = timezone.now()
    ranked = []
    for position, (pk, when) in enumerate(_by_relevance(query, filters)):
        when = when or now
        age_days = max(0.0, (now - when).total_seconds() / 86400)
        decay = math.pow(0.5, age_days / HALF_LIFE_DAYS)
        ranked.append(((1 / (1 + position / 2)) * (0.5 + decay), pk))
    ranked.sort(key=lambda pair: pair[0], reverse=True)
    return [pk for _, pk in ranked]


def finds_anything(query: str, **filters) -> bool:
    """Whether search() would find at least one story, at the cost of finding one."""
    if connection.vendor == "sqlite" and _sqlite_fts():
        matches = _sqlite_matches(_stories(**filters), query)
        return matches is not None and matches.exists()
    if connection.vendor == "postgresql":
        matches = _postgres_matches(_stories(**filters, model=Page), query)
        return matches is not None and matches.exists()
    return bool(_stories(**filters).only("id").search(
        query, operator="and", order_by_relevance=False)[:1])


Ranked = list[tuple[int, datetime | None]]  # (story id, first published), best first


def _by_relevance(query: str, filters: dict) -> Ranked:
    """(id, first published) of the SCORED newest matching stories, most relevant first."""
    if connection.vendor == "sqlite" and _sqlite_fts():
        return _sqlite_by_relevance(_stories(**filters), query)
    if connection.vendor == "postgresql":
        return _postgres_by_relevance(_stories(**filters, model=Page), query)
    results = _stories(**filters).only("id", "first_published_at").search(
        query, operator="and", order_by_relevance=True)
    return [(s.pk, s.first_published_at) for s in results[:SCORED]]


def _sqlite_fts() -> bool:
    get_search_backend()  # decides, once, whether SQLite has FTS5 and Wagtail's table
    return bool(database.USE_SQLITE_FTS)


def _sqlite_matches(stories, query: str):
    """`stories` joined to their entries in Wagtail's FTS5 table that match every word of
    `query`, with bm25 as `_score` and the entry's rowid as `_entry`; None for no words."""
    words = re.findall(r"\w+", query)
    if not words:
        return None
    match = " AND ".join(f'"{w}"' for w in words)  # \w+ holds no quote to escape
    table = IndexEntry._meta.db_table
    fts = f"{table}_fts"
    # Only table names (Wagtail's) are formatted in; the reader's words are a parameter.
    return stories.extra(  # noqa: S610
        # Columns of the FTS table: autocomplete, body, title; a title match counts triple.
        select={"_score": f"bm25({fts}, 0, 1, 3)", "_entry": f"{fts}.rowid"},
        tables=[table, fts],
        where=[f"{fts}.rowid = {table}.id", f"{fts} MATCH %s",
               f"{table}.content_type_id = %s",
               f"CAST({table}.object_id AS INTEGER) = wagtailcore_page.id"],
        params=[match, ContentType.objects.get_for_model(ArticlePage).pk],
    )


def _sqlite_by_relevance(stories, query: str) -> Ranked:
    """Wagtail's own index, ranked by FTS5's bm25, in one query.

    Wagtail's SQLite backend scores each candidate in a correlated subquery that runs the
    full-text match again for every row: three seconds for a common word at 10,000 stories.
    Here the match drives a join to the filtered stories instead. bm25 and the join cost
    several microseconds a matching row, too much for a word in every other story of a big
    archive, so relevance is computed for the SCORED most recently indexed matches (stories
    are indexed as they are published, so these are the newest); a reader reaches older
    ones with the date filters.
    """
    matches = _sqlite_matches(stories, query)
    if matches is None:
        return []
    rows = matches.order_by("-_entry").values_list("id", "_score", "first_published_at")[:SCORED]
    return [(pk, when) for pk, _, when in sorted(rows, key=lambda row: (row[1], -row[0]))]


def _search_config() -> str:
    return settings.WAGTAILSEARCH_BACKENDS["default"].get("SEARCH_CONFIG", "simple")


def _postgres_matches(pages, query: str):
    """`pages` (Page rows) joined to their entries in Wagtail's index whose title and body
    together hold every word of `query`, stemmed as Wagtail stems them, with the entry's id
    as `_entry`; None for no words.

    The match is on `title || body`, the same combined vector Wagtail's backend matches, so
    the words of a query may sit in either. Migration archive/0001 indexes that expression
    (GIN), which Wagtail's per-column indexes cannot serve, and the page id as text, the form
    in which index entries name their object. (Matching each word against each column
    instead is a quarter cheaper a row, but leaves the planner no statistics for a rare
    word: it then scans every page.)"""
    if not re.findall(r"\w+", query):
        return None
    table = IndexEntry._meta.db_table
    # Only Wagtail's table name is formatted in; the words and the config are parameters.
    return pages.extra(  # noqa: S610
        select={"_entry": f"{table}.id"},
        tables=[table],
        where=[f"{table}.content_type_id = %s",
               f"{table}.object_id = wagtailcore_page.id::text",
               f"({table}.title || {table}.body) @@ plainto_tsquery(%s::regconfig, %s)"],
        params=[ContentType.objects.get_for_model(ArticlePage).pk, _search_config(), query],
    )


def _postgres_by_relevance(pages, query: str) -> Ranked:
    """Wagtail's own index, ranked by ts_rank over the SCORED most recently indexed matches.

    Wagtail's backend ranks every match before it keeps the best: a word in a third of a
    100,000-story archive means ranking 35,000 entries, three seconds. As on SQLite, only the
    newest matches are scored, taken in the order they entered the index: the database walks
    the entries backwards and stops after SCORED live matches (entries of stories indexed
    together sit together on disk, so this reads few pages), or, for a rarer query, starts
    from the GIN index; its statistics choose. Walking the stories by publication time
    instead looks each one's entry up on its own: twice as slow. ts_rank costs more than the
    match (a dozen microseconds an entry), so it runs on the chosen few only, in an outer
    query."""
    matches = _postgres_matches(pages, query)
    if matches is None:
        return []
    newest = matches.order_by("-_entry").values("_entry")[:SCORED]
    newest_sql, newest_params = newest.query.sql_with_params()
    table = IndexEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, ts_rank(e.title || e.body, plainto_tsquery(%s::regconfig, %s)), "  # noqa: S608 (only table names)
            f"p.first_published_at FROM {table} e JOIN wagtailcore_page p "
            f"ON p.id::text = e.object_id "
            f"WHERE e.id IN (SELECT newest._entry FROM ({newest_sql}) newest)",
            [_search_config(), query, *newest_params])
        rows = cursor.fetchall()
    return [(pk, when) for pk, _, when in sorted(rows, key=lambda row: (-row[1], -row[0]))]


def terms(query: str) -> list[str]:
    return [t for t in re.findall(r"\w+", query.lower()) if len(t) > 1]


def mark(text: str, words: list[str]) -> str:
    """Escape `text`, then wrap each word starting with one of `words` in <mark>."""
    out = escape(text)
    pattern = "|".join(re.escape(escape(w)) for w in sorted(set(words), key=len, reverse=True))
    if pattern:
        out = re.sub(rf"(?i)\b((?:{pattern})\w*)", r"<mark>\1</mark>", out)
    return out


def _texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):  # a struct's fields, or a list item with its id and type
        for key, item in value.items():
            if key not in ("id", "type"):
                yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


_TAG = re.compile(r"<[^>]*>")


def body_text(story: ArticlePage) -> str:
    """The words of the body, read from the stored blocks: rendering the StreamField to
    HTML would cost a template per block, ten times the price of the whole search."""
    parts = []
    for block in story.body.raw_data:
        if block.get("type") in ("image", "embed"):
            continue  # ids and URLs, not words a reader would see in a snippet
        parts.extend(_texts(block.get("value")))
    # The body is the editors' sanitised rich text, and a snippet is escaped again before it
    # is shown, so dropping tags by pattern is enough; Django's strip_tags runs an HTML
    # parser, a fifth of the search page's time for twenty results.
    return html.unescape(_TAG.sub(" ", " ".join(parts)))


def snippet(story: ArticlePage, query: str, width: int = 220) -> str:
    """A stretch of the story around the first matched word, matched words marked."""
    text = " ".join(" ".join([story.summary or story.dek, body_text(story)]).split())
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
    stories = {s.pk: s for s in annotate_teasers(ArticlePage.objects.filter(pk__in=ids))}
    words = terms(query)
    return [Hit(stories[i], mark(stories[i].title, words), snippet(stories[i], query))
            for i in ids if i in stories]
