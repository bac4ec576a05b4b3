"""Keeping readership's tables current and small: the fold every second (on every host, of
its own journal), the clean-up every few minutes (by the site's scheduler leader). Run inside
`broadsheet serve`, and by `broadsheet rollup_views` (by hand)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.utils import timezone

from .counting import destroy_old_salts, readership_settings
from .folding import fold
from .models import PageView

log = logging.getLogger("broadsheet.readership")
CLEAN_EVERY_SECONDS = 300
_last_clean = [0.0]


def prune_old_views(*, now=None) -> int:
    """Delete individual view records older than the retention period (a site setting);
    their hourly counts stay."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=readership_settings().retention_days)
    deleted, _ = PageView.objects.filter(viewed_at__lt=cutoff).delete()
    return deleted


def clean_up(*, now=None) -> dict:
    now = now or timezone.now()
    return {"views_deleted": prune_old_views(now=now),
            "salts_destroyed": destroy_old_salts(today=now.date())}


def fold_tick() -> None:
    """A host's tick: fold what this host acknowledged."""
    counted = fold()
    if counted:
        log.debug("folded %d views", counted)


def tick() -> None:
    """The leader's tick: clean up every few minutes."""
    if time.monotonic() - _last_clean[0] > CLEAN_EVERY_SECONDS:
        _last_clean[0] = time.monotonic()
        result = clean_up()
        if result["views_deleted"]:
            log.info("deleted %d view records past retention", result["views_deleted"])
