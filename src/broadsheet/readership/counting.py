"""Deciding whether a request is a reader's view, and recording it once.

A page served from the page cache never reaches Django, so pages report their own views with
a beacon after load (see static/broadsheet/beacon.js), or a <noscript> image. Everything that
is not a person reading is dropped here: crawlers (by the maintained Crawler-Detect list),
prefetches and prerenders, and the same visitor reloading the same page within the window.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from crawlerdetect import CrawlerDetect
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import DailySalt, PageView

_PREFETCH_VALUES = {"prefetch", "preview", "prerender"}


def is_crawler(user_agent: str) -> bool:
    if not user_agent.strip():
        return True
    return CrawlerDetect(user_agent=user_agent).isCrawler()


def is_prefetch(meta) -> bool:
    for header in ("HTTP_SEC_PURPOSE", "HTTP_PURPOSE", "HTTP_X_PURPOSE", "HTTP_X_MOZ"):
        value = meta.get(header, "").lower()
        if any(v in value for v in _PREFETCH_VALUES):
            return True
    return False


def client_address(meta) -> str:
    # Behind a proxy, REMOTE_ADDR is the proxy; the deployment sets BROADSHEET_TRUSTED_PROXY
    # to make X-Forwarded-For's last hop trusted. Without it, the header is ignored (spoofable).
    if getattr(settings, "BROADSHEET_TRUST_X_FORWARDED_FOR", False):
        forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return meta.get("REMOTE_ADDR", "")


def todays_salt(today=None) -> str:
    today = today or timezone.now().date()
    salt = DailySalt.objects.filter(day=today).values_list("salt", flat=True).first()
    if salt:
        return salt
    try:
        with transaction.atomic():
            DailySalt.objects.create(day=today, salt=secrets.token_hex(32))
    except IntegrityError:
        pass  # another worker created it first; use theirs
    # Yesterday's salt is kept so that a view just after midnight still dedupes; older go.
    DailySalt.objects.filter(day__lt=today - timedelta(days=1)).delete()
    return DailySalt.objects.get(day=today).salt


def visitor_hash(address: str, user_agent: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}|{address}|{user_agent}".encode()).hexdigest()[:32]


def record_view(page_id: int, meta, now=None) -> bool:
    """Count one view of `page_id` from the request described by `meta`. True if counted."""
    user_agent = meta.get("HTTP_USER_AGENT", "")
    if is_crawler(user_agent) or is_prefetch(meta):
        return False
    now = now or timezone.now()
    visitor = visitor_hash(client_address(meta), user_agent, todays_salt(now.date()))
    window = timedelta(seconds=settings.BROADSHEET_READERSHIP["REPEAT_WINDOW_SECONDS"])
    with transaction.atomic():
        # The window check and insert run in one write transaction (IMMEDIATE on SQLite, and
        # the unique-ish index on PostgreSQL keeps the check cheap), so two beacons from one
        # reload burst count once.
        if PageView.objects.filter(page_id=page_id, visitor=visitor,
                                   viewed_at__gt=now - window).exists():
            return False
        PageView.objects.create(page_id=page_id, visitor=visitor, viewed_at=now)
    return True
