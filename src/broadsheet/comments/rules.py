"""Whether a reader may post, and where the automatic rules send what they post.

Checked in this order, cheapest and most final first: the reader's standing (banned,
suspended), whether the story takes comments, rate limits, duplicates; then the content
rules decide the comment's status: banned words reject it, suspect words, too many links, a
new account's first comments and pre-moderated stories hold it for a moderator.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.formats import date_format
from wagtail.models import Site

from broadsheet import derived
from broadsheet.sharedcache import CacheUnavailable

from . import rate_windows
from .models import Comment, CommentRules, ReaderProfile
from .text import links_in

_RULES_KEY = "broadsheet:comment-rules:{}"


class CommentRefused(Exception):
    """The reader may not do this; `message` says why in words for them."""

    status = 403

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RateLimited(CommentRefused):
    status = 429


class PostingPaused(CommentRefused):
    status = 503


@dataclass(frozen=True)
class Verdict:
    status: str
    reason: str = ""


def rules_for_request(request) -> CommentRules:
    """The rules of the site answering `request`, without Wagtail's site lookup query on
    every post: host to site is remembered in the shared cache."""
    host = request.get_host().lower()
    key = f"broadsheet:comment-site:{host}"
    site_id = cache.get(key)
    if site_id is None:
        site = Site.find_for_request(request)
        site_id = site.pk if site else 0
        cache.set(key, site_id, 3600)
    rules = cache.get(derived.current(_RULES_KEY.format(site_id))) if site_id else None
    if rules is None:
        rules = rules_for(Site.objects.filter(pk=site_id).first() if site_id else None)
    return rules


def rules_for(site) -> CommentRules:
    """The site's rules, shared through the cache: they are read on every story page.

    `site` is a Wagtail Site, None for the default site, or rules already looked up (views
    pass those, found by host through rules_for_request)."""
    if isinstance(site, CommentRules):
        return site
    site_id = getattr(site, "pk", None)
    if site_id is None:
        site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
        if site is None:  # no site configured yet: the defaults, unsaved
            return CommentRules()
        site_id = site.pk
    return derived.remembered(_RULES_KEY.format(site_id),
                              lambda: CommentRules.for_site(site), 3600)


def _forget_rules(sender, instance, created=False, **kwargs):
    # Created, they are what the first reader's for_site() made and is about to keep; no
    # rules were kept for the site before (for_site() makes them first).
    if not created:
        derived.forget(_RULES_KEY.format(instance.site_id))


post_save.connect(_forget_rules, sender=CommentRules, dispatch_uid="comment-rules-forget")


def comments_state(story, rules: CommentRules, now=None) -> str:
    """open, premoderated or closed, counting the automatic close after N days."""
    state = story.comments
    if state != "closed" and rules.close_after_days and story.first_published_at:
        if story.first_published_at + timedelta(days=rules.close_after_days) <= (
                now or timezone.now()):
            return "closed"
    return state


def check_standing(user, now=None) -> None:
    profile = ReaderProfile.objects.filter(user=user).first()
    if profile is None:
        return
    if profile.banned_at:
        raise CommentRefused("Your account has been banned from commenting.")
    if profile.is_suspended(now):
        until = date_format(timezone.localtime(profile.suspended_until), "j F Y, H:i")
        raise CommentRefused(f"Your account is suspended from commenting until {until}.")


def check_rate(user, ip: str | None, rules: CommentRules, now=None) -> None:
    """Fixed one-minute windows counted across the server's workers (rate_windows.py), per
    account and per network address. If the counts cannot be kept (Redis is down), posting
    waits: a limit that cannot count would let a flood through."""
    try:
        _count(user, ip, rules, now)
    except CacheUnavailable:
        raise PostingPaused("Comments cannot be posted for a moment. Please try again in a "
                            "minute; what you wrote is kept below.") from None


def _count(user, ip: str | None, rules: CommentRules, now=None) -> None:
    minute = int((now or timezone.now()).timestamp() // 60)
    if rules.account_per_minute and rate_windows.hit(f"u-{user.pk}", minute=minute) > \
            rules.account_per_minute:
        raise RateLimited("You are commenting too quickly. Please wait a minute and try "
                          "again; what you wrote is kept below.")
    if ip and rules.ip_per_minute:
        digest = hashlib.sha256(ip.encode()).hexdigest()[:24]
        if rate_windows.hit(f"ip-{digest}", minute=minute) > rules.ip_per_minute:
            raise RateLimited("Too many comments are coming from your network right now. "
                              "Please wait a minute and try again.")


def check_duplicate(user, body: str, rules: CommentRules, now=None) -> None:
    if not rules.duplicate_window_minutes:
        return
    since = (now or timezone.now()) - timedelta(minutes=rules.duplicate_window_minutes)
    if Comment.objects.filter(author=user, body=body, created_at__gte=since,
                              deleted_at__isnull=True).exists():
        raise CommentRefused("You have already posted this comment.")


def _contains(body: str, words: list[str]) -> str | None:
    folded = body.casefold()
    return next((w for w in words if w in folded), None)


def content_verdict(body: str, rules: CommentRules) -> Verdict:
    """The rules that look only at the text (also applied when a comment is edited)."""
    if word := _contains(body, CommentRules.words(rules.banned_words)):
        return Verdict(Comment.Status.REJECTED, f"banned word: {word}")
    if word := _contains(body, CommentRules.words(rules.suspect_words)):
        return Verdict(Comment.Status.PENDING, f"suspect word: {word}")
    links = len(links_in(body))
    if links > rules.max_links:
        return Verdict(Comment.Status.PENDING, f"{links} links (limit {rules.max_links})")
    return Verdict(Comment.Status.APPROVED)


def route(*, story_state: str, user, body: str, rules: CommentRules) -> Verdict:
    verdict = content_verdict(body, rules)
    if verdict.status != Comment.Status.APPROVED:
        return verdict
    if rules.premoderate_first:
        earlier = Comment.objects.filter(author=user, status=Comment.Status.APPROVED).count()
        if earlier < rules.premoderate_first:
            return Verdict(Comment.Status.PENDING,
                           f"new account ({earlier} approved of {rules.premoderate_first})")
    if story_state == "premoderated":
        return Verdict(Comment.Status.PENDING, "story is pre-moderated")
    return verdict
