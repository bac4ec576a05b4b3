"""Feeds in: RSS and Atom entries (from a file, or a URL when the network allows) as stories.

feedparser reads every RSS and Atom dialect there is and forgives what it can; an entry is
found again by its id (or link), so a feed imported every hour updates its stories instead of
repeating them. Entries are filed under --section, or else a section named after the feed.
"""

from __future__ import annotations

import calendar
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import feedparser

from .bodies import plain_text, richest_body
from .guard import check_body, check_file_size, max_file_bytes, read_bytes
from .items import MAX_URI, Picture, RefusedFile, Story


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
        data, headers = _fetch(source)
        feed = _parsed(source, data, response_headers=headers)
    if not feed.get("version"):  # none at all for an empty file
        problem = feed.get("bozo_exception")
        where = ""
        if hasattr(problem, "getLineNumber"):
            where = f"line {problem.getLineNumber()}, column {problem.getColumnNumber()}: "
        reason = f"{where}{problem}" if problem else "no RSS or Atom in it"
        raise RefusedFile(source, f"is not an RSS or Atom feed ({reason})")
    return feed


def _fetch(url: str) -> tuple[bytes, dict]:
    """The feed at `url` and its response headers, read no further than the file limit
    (feedparser's own fetching reads whatever a server sends)."""
    if not url.startswith(("http://", "https://")):  # never file: or ftp: from here
        raise RefusedFile(url, "is not an http(s) address")
    request = urllib.request.Request(url, headers={"User-Agent": "Broadsheet-import/1"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (above)
            length = response.headers.get("Content-Length", "")
            if length.isdigit():
                check_file_size(url, int(length))
            data = response.read(max_file_bytes() + 1)
            headers = {key.lower(): value for key, value in response.headers.items()}
            headers["content-location"] = response.geturl()  # the base of relative links
    except urllib.error.HTTPError as exc:
        raise RefusedFile(url, f"could not be fetched: HTTP {exc.code}") from None
    except (OSError, ValueError) as exc:  # URLError is an OSError; a timeout too
        raise RefusedFile(url, f"could not be fetched: {getattr(exc, 'reason', exc)}") from None
    check_file_size(url, len(data), whole=False)
    return data, headers


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
