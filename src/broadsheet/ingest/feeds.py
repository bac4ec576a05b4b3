"""Feeds in: RSS and Atom entries (from a file, or a URL when the network allows) as stories.

feedparser reads every RSS and Atom dialect there is and forgives what it can; an entry is
found again by its id (or link), so a feed imported every hour updates its stories instead of
repeating them. Entries are filed under --section, or else a section named after the feed.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from pathlib import Path

import feedparser

from .bodies import plain_text, richest_body
from .guard import check_body, read_bytes
from .ninjs import MAX_URI, Picture, RefusedFile, Story


def read_feed(source: Path | str, run) -> None:
    feed = _parse(source)
    section = run.section or " ".join((feed.feed.get("title") or "").split())[:255] or "News"
    for n, entry in enumerate(feed.entries):
        label = f"{source} entry {n + 1}"
        story = story_from_entry(entry, label, section=section,
                                 language=feed.feed.get("language") or "en")
        run.progress.advance(fraction=run.share((n + 1) / len(feed.entries)))
        if run.check:
            run.checked(f"ok {label} ({feed.version})")
            continue
        run.write(story, label)


def _parse(source: Path | str):
    if isinstance(source, Path):
        feed = _parsed(source, read_bytes(source))
    else:
        feed = _parsed(source, source, agent="Broadsheet-import/1")
        status = feed.get("status")
        if status and status >= 400:
            raise RefusedFile(source, f"could not be fetched: HTTP {status}")
    if not feed.get("version"):  # none at all for an empty file
        problem = feed.get("bozo_exception")
        where = ""
        if hasattr(problem, "getLineNumber"):
            where = f"line {problem.getLineNumber()}, column {problem.getColumnNumber()}: "
        reason = f"{where}{problem}" if problem else "no RSS or Atom in it"
        raise RefusedFile(source, f"is not an RSS or Atom feed ({reason})")
    return feed


def _parsed(source, data, **options):
    try:
        return feedparser.parse(data, **options)
    except Exception as exc:  # noqa: BLE001
        # feedparser forgives nearly everything, but not all: a character reference to
        # half a character, say, escapes it as a UnicodeEncodeError.
        raise RefusedFile(source, f"is not a feed Broadsheet can read ({type(exc).__name__}: "
                                  f"{str(exc)[:200]})") from None


def story_from_entry(entry, label: str, *, section: str, language: str = "en") -> Story:
    uri = entry.get("id") or entry.get("link")
    if not uri:
        raise RefusedFile(label, "the entry has neither an id (guid) nor a link to know it by")
    if len(uri) > MAX_URI:
        raise RefusedFile(label, f"id longer than {MAX_URI} characters")
    headline = " ".join((entry.get("title") or "").split())[:255]
    if not headline:
        raise RefusedFile(label, "the entry has no title")
    bodies = [(c.get("type") or "text/html", c.get("value") or "")
              for c in entry.get("content") or []]
    summary = entry.get("summary_detail") or {}
    if summary.get("value"):
        bodies.append((summary.get("type") or "text/html", summary["value"]))
    for _, value in bodies:
        check_body(label, value)
    published = _when(entry.get("published_parsed")) or _when(dict.get(entry, "updated_parsed"))
    story = Story(uri=uri, headline=headline, section=section,
                  body=[b for b in richest_body(bodies)],
                  summary=plain_text(summary.get("value") or "")[:500] if entry.get("content")
                  else "",
                  tags=list(dict.fromkeys(" ".join(t.get("term", "").split())[:100]
                                          for t in entry.get("tags") or [] if t.get("term"))),
                  byline=(entry.get("author") or "")[:300],
                  language=(language or "en")[:35],
                  first_published=published,
                  updated=_when(dict.get(entry, "updated_parsed")) or published)
    for media in [*(entry.get("media_content") or []), *(entry.get("enclosures") or [])]:
        href = media.get("url") or media.get("href")
        kind = media.get("type") or media.get("medium") or ""
        if href and (kind.startswith("image") or kind == "image"):
            story.pictures.append(Picture(uri=href, href=href, alt=headline[:250]))
    return story


def _when(parsed) -> datetime | None:
    """feedparser gives UTC struct_times."""
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, OSError, ValueError):  # a date outside the calendar: none
        return None
