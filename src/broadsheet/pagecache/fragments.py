"""Parts of pages kept rendered between purges: what makes a fresh render cheap.

The page cache serves whole pages to anonymous readers. Everyone else (a signed-in reader,
an editor, a crawler with a session, the first reader after a purge) gets a page rendered
afresh, and most of that page is the same for all of them: the story, its widgets, the
thread as a reader who has not joined it sees it. A template marks such a part with
`{% fragment "name" key... %}` (templatetags/fragments.py); its HTML is kept in the page store
next to whole pages, under the same tags, so the one purge API (purge.py) drops both.

Tags are collected while the fragment renders: everything it reads notes what it shows
(dependencies.shows), as for a page, and a lookup that finds the fragment notes the same tags
on the page that uses it. A fragment whose content moves on a clock (Popular) keeps only as
long as that clock allows, and passes the rest of its life on to the page.

Nothing personal may be kept: a fragment is rendered with a placeholder for the CSRF token,
put back per request, and a template only wraps what is the same for everyone its key names.
Previews (unsaved or draft content) never read or write fragments.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

from django.conf import settings

from . import store

LONGEST_LIFE = store.LONGEST_LIFE  # a backstop: purges keep fragments current
CSRF_PLACEHOLDER = "broadsheet-fragment-csrf-token"
PREFIX = "fragment-"  # in the store beside whole pages (whose keys are hex), counted with them


@dataclass
class Rendering:
    """What one fragment showed while it rendered."""

    tags: set[str] = field(default_factory=set)
    max_age: int | None = None

    def expires_soon(self, seconds: int) -> None:
        self.max_age = seconds if self.max_age is None else min(self.max_age, seconds)


def usable(request) -> bool:
    return (request is not None
            and settings.BROADSHEET_PAGECACHE.get("FRAGMENTS", True)
            and not getattr(request, "is_preview", False)
            and request.method in ("GET", "HEAD"))


def key_for(request, name: str, parts: list[str]) -> str:
    # The host and the public address are part of it: fragments hold absolute addresses
    # (canonical, structured data) and pictures only an https page may show.
    raw = "\n".join(["fragment", settings.BASE_URL, request.scheme,
                     request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", ""),
                     name, *parts]).encode()
    return PREFIX + hashlib.sha256(raw).hexdigest()[:40]


def load(key: str) -> tuple[str, list[str], int | None] | None:
    """(html, tags, seconds left if the fragment runs on a clock) or None."""
    entry = store.load_tagged(key)
    if entry is None:
        return None
    expires, tags, headers, body = entry
    clock = dict(headers).get("clock") == "1"
    return body.decode(), tags, (max(1, int(expires - time.time())) if clock else None)


def save(request, key: str, html: str, rendering: Rendering) -> None:
    clock = rendering.max_age is not None
    store.store(key, status=200, headers=[("clock", "1")] if clock else [],
                body=html.encode(), tags=rendering.tags,
                max_age=rendering.max_age if clock else LONGEST_LIFE,
                # Not stored if a purge came after this request began: what it read before
                # the fragment started (the story itself) may predate the purge.
                started_at=getattr(request, "pagecache_started", None) or time.time())


class collecting:
    """Within it, everything noted on the request is noted on the fragment too."""

    def __init__(self, request):
        self.request = request
        self.rendering = Rendering()

    def __enter__(self) -> Rendering:
        self.request.__dict__.setdefault("pagecache_fragments", []).append(self.rendering)
        return self.rendering

    def __exit__(self, *exc) -> None:
        self.request.__dict__["pagecache_fragments"].remove(self.rendering)
