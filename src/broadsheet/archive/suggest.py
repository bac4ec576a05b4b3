""""Did you mean": a spelling suggestion for a search that found nothing.

The words come from the search engine's own index, so a suggestion is always a word some
story contains: SQLite FTS5's vocabulary (an fts5vocab view of Wagtail's full-text table) in
the embedded default, and PostgreSQL's ts_stat over the indexed headlines (with the 'simple'
configuration, so the words are as written, not stemmed) in production. Reading the whole
vocabulary costs tens of milliseconds to a second on a big archive, so it is kept in the
shared cache for an hour; a word published within that hour cannot be suggested yet, which is
acceptable for a spelling aid. Only a search with no results ever asks.
"""

from __future__ import annotations

import difflib
import logging
from collections import defaultdict

from django.core.cache import cache
from django.db import DatabaseError, connection
from wagtail.search.models import IndexEntry

from .finder import terms

log = logging.getLogger("broadsheet.archive")

VOCABULARY_KEY = "broadsheet:search:vocabulary"
VOCABULARY_SECONDS = 3600
MIN_DOCUMENTS = 2  # a word in one story only is as likely a typo as a suggestion
MIN_LENGTH = 3
SIMILARITY = 0.75  # difflib's ratio; 0.75 lets through one or two wrong letters in a word


def _read_vocabulary() -> dict[str, int]:
    table = IndexEntry._meta.db_table
    if connection.vendor == "sqlite":
        # A temporary view per connection: nothing to migrate, nothing left behind.
        sql_create = ("CREATE VIRTUAL TABLE IF NOT EXISTS temp.broadsheet_vocabulary "
                      f"USING fts5vocab(main, '{table}_fts', 'row')")  # Wagtail's name
        sql = ("SELECT term, doc FROM temp.broadsheet_vocabulary "
               "WHERE doc >= %s AND length(term) >= %s")
        with connection.cursor() as cursor:
            cursor.execute(sql_create)
            cursor.execute(sql, [MIN_DOCUMENTS, MIN_LENGTH])
            return dict(cursor.fetchall())
    if connection.vendor == "postgresql":
        # ts_stat takes the query as text; the table name is Wagtail's, not user input.
        inner = f"SELECT to_tsvector('simple', title_text) FROM {table}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute("SELECT word, ndoc FROM ts_stat(%s) "
                           "WHERE ndoc >= %s AND length(word) >= %s",
                           [inner, MIN_DOCUMENTS, MIN_LENGTH])
            return dict(cursor.fetchall())
    return {}  # an engine without a readable vocabulary: no suggestions


def vocabulary() -> dict[str, int]:
    """Every indexed word of at least MIN_LENGTH letters, with how many stories contain it."""
    words = cache.get(VOCABULARY_KEY)
    if words is None:
        try:
            words = {w: n for w, n in _read_vocabulary().items() if w.isalpha()}
        except DatabaseError:  # no FTS5 table (an engine built without it): no suggestions
            log.warning("search vocabulary unavailable", exc_info=True)
            words = {}
        cache.set(VOCABULARY_KEY, words, VOCABULARY_SECONDS)
    return words


def _by_first_letter(words: dict[str, int]) -> dict[str, list[str]]:
    buckets: dict[str, list[str]] = defaultdict(list)
    for word in words:
        buckets[word[0]].append(word)
    return buckets


def did_you_mean(query: str) -> str | None:
    """The query with each unknown word replaced by the closest indexed word, or None when
    no word needs replacing or none is close enough."""
    words = vocabulary()
    if not words:
        return None
    buckets = None
    out, changed = [], False
    for word in terms(query):
        if word in words or not word.isalpha() or len(word) < MIN_LENGTH:
            out.append(word)
            continue
        buckets = buckets or _by_first_letter(words)
        # Same first letter, similar length: misspellings rarely change either, and it keeps
        # the comparison to a few hundred words in a vocabulary of tens of thousands.
        candidates = [w for w in buckets.get(word[0], ()) if abs(len(w) - len(word)) <= 2]
        close = difflib.get_close_matches(word, candidates, n=5, cutoff=SIMILARITY)
        if not close:
            out.append(word)
            continue
        best_ratio = difflib.SequenceMatcher(None, word, close[0]).ratio()
        # Among the equally close, the word more stories use.
        tied = [w for w in close
                if difflib.SequenceMatcher(None, word, w).ratio() >= best_ratio - 1e-9]
        out.append(max(tied, key=lambda w: (words[w], w)))
        changed = True
    return " ".join(out) if changed else None
