"""Deciding whether a request is a reader's view, and what about it may be kept.

A page served from the page cache never reaches Django, so pages report their own views with
a beacon after load (see static/broadsheet/beacon.js), or a <noscript> image. Everything that
is not a person reading is dropped here: crawlers, link previewers and announced headless
browsers (by the maintained Crawler-Detect list), prefetches and prerenders, and, when the
site enables it, browsers asking not to be tracked. Reloads within the repeat window are
dropped later, when acknowledged views are folded into the database (folding.py), because
only there is every worker's traffic in one place.

What survives is a `View`: page, time, visitor hash, referrer domain, campaign tags, device
class. The address and user agent are used for the hash and thrown away.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

from crawlerdetect import CrawlerDetect
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .models import DailySalt, ReadershipSettings

_PREFETCH_VALUES = ("prefetch", "preview", "prerender")
_FIELD_LIMIT = 100
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\t]")  # keeps the journal's tab-separated lines intact


@dataclass(frozen=True, slots=True)
class View:
    """One acknowledged reader view, as journalled and folded. Nothing here is personal."""

    at_ms: int
    page_id: int
    visitor: str
    device: str = ""
    referrer: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""


# --- who is reading -----------------------------------------------------------------------

_detector = CrawlerDetect()
_detector_lock = threading.Lock()


@lru_cache(maxsize=20_000)
def _classify(user_agent: str) -> str | None:
    """None for a crawler, else the device class. Crawler-Detect runs ~150 regexes (0.2 ms);
    real traffic repeats a few thousand user agents, so the verdict is remembered."""
    if not user_agent.strip():
        return None
    with _detector_lock:  # the detector keeps per-call state on itself
        if _detector.isCrawler(user_agent):
            return None
    # MDN's advice for telling devices apart from a user agent: "Mobi" means a phone.
    if "Mobi" in user_agent:
        return "mobile"
    if "iPad" in user_agent or "Tablet" in user_agent or "Android" in user_agent:
        return "tablet"
    return "desktop"


def is_crawler(user_agent: str) -> bool:
    return _classify(user_agent) is None


def device_class(user_agent: str) -> str:
    return _classify(user_agent) or ""


def is_prefetch(meta) -> bool:
    for header in ("HTTP_SEC_PURPOSE", "HTTP_PURPOSE", "HTTP_X_PURPOSE", "HTTP_X_MOZ"):
        value = meta.get(header, "").lower()
        if any(v in value for v in _PREFETCH_VALUES):
            return True
    return False


def asks_not_to_be_tracked(meta) -> bool:
    return meta.get("HTTP_DNT", "").strip() == "1" or meta.get("HTTP_SEC_GPC", "").strip() == "1"


def client_address(meta) -> str:
    # Behind a proxy, REMOTE_ADDR is the proxy; the deployment sets BROADSHEET_TRUSTED_PROXY
    # to make X-Forwarded-For's last hop trusted. Without it, the header is ignored (spoofable).
    if getattr(settings, "BROADSHEET_TRUST_X_FORWARDED_FOR", False):
        forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return meta.get("REMOTE_ADDR", "")


# --- what about the visit is kept -----------------------------------------------------------

def _clean(value: str) -> str:
    return _UNSAFE.sub("", value).strip()[:_FIELD_LIMIT]


def referrer_domain(referrer: str, *, own_host: str = "") -> str:
    """The referring site's host name ("news.example.org"), never its path or query; empty
    for direct visits and for links within the site itself."""
    return _referrer_domain(referrer, own_host) if referrer else ""


@lru_cache(maxsize=20_000)
def _referrer_domain(referrer: str, own_host: str) -> str:
    try:
        host = (urlsplit(referrer.strip()).hostname or "") if referrer else ""
    except ValueError:
        return ""
    host = host.lower().removeprefix("www.")
    own = own_host.split(":")[0].lower().removeprefix("www.")
    if not host or host == own:
        return ""
    return _clean(host)


def campaign_tags(query: str) -> tuple[str, str, str]:
    """utm_source, utm_medium and utm_campaign from the page's query string."""
    try:
        params = parse_qs(query.lstrip("?"), max_num_fields=50) if query else {}
    except ValueError:  # more than 50 fields: no campaign, but the view still counts
        params = {}
    return tuple(_clean(params.get(k, [""])[0]).lower()
                 for k in ("utm_source", "utm_medium", "utm_campaign"))  # type: ignore


# --- the daily salt -------------------------------------------------------------------------

_salt_memory: dict[date, str] = {}
_salt_lock = threading.Lock()


def todays_salt(today: date | None = None) -> str:
    """Today's salt, created by whichever process needs it first. Creating it destroys every
    earlier salt: after midnight nobody, us included, can link yesterday's hashes to a
    reader. SQLite overwrites the deleted rows (secure_delete) rather than leaving them in
    free pages."""
    today = today or timezone.now().date()
    salt = _salt_memory.get(today)
    if salt:
        return salt
    with _salt_lock:
        salt = DailySalt.objects.filter(day=today).values_list("salt", flat=True).first()
        if not salt:
            try:
                with transaction.atomic():
                    DailySalt.objects.create(day=today, salt=secrets.token_hex(32))
            except IntegrityError:
                pass  # another worker created it first; use theirs
            destroy_old_salts(today=today)
            salt = DailySalt.objects.get(day=today).salt
        _salt_memory.clear()
        _salt_memory[today] = salt
        return salt


def destroy_old_salts(*, today: date) -> int:
    with transaction.atomic():
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA secure_delete = ON")
        deleted, _ = DailySalt.objects.filter(day__lt=today).delete()
    return deleted


def visitor_hash(address: str, user_agent: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}|{address}|{user_agent}".encode()).hexdigest()[:32]


# --- settings the hot path needs, remembered briefly --------------------------------------

_settings_memory: list = [0.0, None]


def readership_settings() -> ReadershipSettings:
    """The site's readership settings, re-read at most every 10 seconds per process."""
    if _settings_memory[1] is None or time.monotonic() - _settings_memory[0] > 10:
        _settings_memory[:] = [time.monotonic(), ReadershipSettings.load()]
    return _settings_memory[1]


def forget_settings() -> None:
    _settings_memory[:] = [0.0, None]


@lru_cache(maxsize=4)
def _utc_day(day_number: int) -> date:
    return datetime.fromtimestamp(day_number * 86_400, tz=UTC).date()


# --- the decision --------------------------------------------------------------------------

def view_from_request(page_id: int, meta, *, referrer: str = "", query: str = "",
                      now_ms: int | None = None) -> View | None:
    """The view this request reports, or None if it is not a reader's view to count.

    `referrer` is the page's own referrer (document.referrer, sent by the beacon) and
    `query` the page's query string (for campaign tags)."""
    user_agent = meta.get("HTTP_USER_AGENT", "")
    device = _classify(user_agent)
    if device is None or is_prefetch(meta):
        return None
    if asks_not_to_be_tracked(meta) and readership_settings().honour_do_not_track:
        return None
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    source, medium, campaign = campaign_tags(query) if query else ("", "", "")
    return View(at_ms=now_ms, page_id=page_id,
                visitor=visitor_hash(client_address(meta), user_agent,
                                         todays_salt(_utc_day(now_ms // 86_400_000))),
                device=device, referrer=referrer_domain(referrer,
                                                        own_host=meta.get("HTTP_HOST")
                                                        or meta.get("SERVER_NAME", "")),
                utm_source=source, utm_medium=medium, utm_campaign=campaign)
