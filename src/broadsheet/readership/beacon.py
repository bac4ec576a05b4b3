"""Answering the view beacon: the hot path of readership, kept clear of Django's machinery.

`broadsheet serve` answers /_/view and /_/view.gif in the WSGI layer (wsgi.py) before the
page cache and Django; the Django views (views.py) answer the same requests the same way for
anything that serves Django directly (the test client, runserver). Either way the request
costs no database query: which pages may be counted is remembered per process, and the view
is acknowledged once it is durably in the journal.
"""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import unquote_plus, urlsplit

from wagtail.models import Page

from .counting import view_from_request
from .journal import record

log = logging.getLogger("broadsheet.readership")
MAX_BODY = 4096
# A 1x1 transparent GIF for the <noscript> fallback.
PIXEL = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00"
         b"\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x01D\x00;")


class CountablePages:
    """Ids of live, public pages, reloaded at most once a second when an unknown id turns up
    (a story just published) and every 30 seconds anyway (a story just unpublished)."""

    def __init__(self):
        self.ids: frozenset[int] = frozenset()
        self.loaded = 0.0
        self.lock = threading.Lock()

    def __contains__(self, page_id: int) -> bool:
        age = time.monotonic() - self.loaded
        if age > 30 or (page_id not in self.ids and age > 1):
            self.reload()
        return page_id in self.ids

    def reload(self) -> None:
        with self.lock:
            self.ids = frozenset(Page.objects.live().public().filter(depth__gt=1)
                                 .values_list("id", flat=True))
            self.loaded = time.monotonic()

    def forget(self) -> None:
        self.loaded = 0.0
        self.ids = frozenset()


countable = CountablePages()


def page_id_from(value: str | None) -> int | None:
    if not value or not value.isdigit() or len(value) > 18:
        return None
    page_id = int(value)
    # Only live pages count: a beacon for a draft or an invented id is refused.
    return page_id if page_id in countable else None


def accept(meta, fields: dict[str, list[str]], *, pixel: bool) -> int:
    """Handle one beacon (fields from its body) or pixel (fields from its query string);
    returns the HTTP status to answer with. 204/200 whether or not the view counted (a
    crawler learns nothing), 400 for a page that cannot be counted, 503 if the journal
    could not take the view (it is then not acknowledged)."""
    page_id = page_id_from((fields.get("page") or [""])[0])
    if page_id is None:
        return 200 if pixel else 400  # an <img> cannot show an error to anyone
    if pixel:
        # The pixel's Referer is the page itself; its campaign tags are in that URL's query.
        referrer, query = "", urlsplit(meta.get("HTTP_REFERER", "")).query
    else:
        referrer, query = (fields.get("r") or [""])[0], (fields.get("q") or [""])[0]
    view = view_from_request(page_id, meta, referrer=referrer[:2000], query=query[:2000])
    if view is None:
        return 200 if pixel else 204
    try:
        record(view)
    except OSError:
        log.exception("could not journal a view")
        return 503
    return 200 if pixel else 204


def parse_fields(raw: bytes | str) -> dict[str, list[str]]:
    """A form-encoded body or query string; urllib's parse_qs, minus its cost (a third of the
    beacon's) for the short, mostly unescaped fields a beacon has."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    fields: dict[str, list[str]] = {}
    for pair in raw.split("&", 10)[:10]:
        name, _, value = pair.partition("=")
        if "%" in value or "+" in value:
            value = unquote_plus(value)
        fields.setdefault(name, []).append(value)
    return fields
