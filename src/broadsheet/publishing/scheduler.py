"""Publishing on time without a crontab.

Every server process starts a small thread; the one holding the database lease runs Wagtail's
`publish_scheduled` whenever something is due, so scheduled stories go live (and expiring ones
come down) within about a second, and whatever fell due while the server was down is caught up
on start. If the leader dies its lease runs out and another process takes over.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

from django.core.management import call_command
from django.db import close_old_connections, transaction
from django.utils import timezone
from wagtail.models import Page, Revision

from broadsheet.ticks import run_tick_hooks

from .models import SchedulerLease

log = logging.getLogger("broadsheet.publishing")
LEASE = "publish_scheduled"
HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def take_lease(holder: str = HOLDER, ttl_seconds: int = 10, now=None) -> bool:
    """True if `holder` now holds the lease (newly taken or renewed)."""
    now = now or timezone.now()
    with transaction.atomic():
        lease = SchedulerLease.objects.select_for_update().filter(name=LEASE).first()
        if lease is None:
            SchedulerLease.objects.create(name=LEASE, holder=holder,
                                          expires_at=now + timedelta(seconds=ttl_seconds))
            return True
        if lease.holder != holder and lease.expires_at > now:
            return False
        lease.holder, lease.expires_at = holder, now + timedelta(seconds=ttl_seconds)
        lease.save(update_fields=["holder", "expires_at"])
        return True


def something_due(now=None) -> bool:
    """Cheap check, so the leader runs the full command only when there is work."""
    now = now or timezone.now()
    return (Revision.objects.filter(approved_go_live_at__lt=now).exists()
            or Page.objects.filter(live=True, expire_at__lt=now).exists())


def run_due(now=None) -> bool:
    if not something_due(now):
        return False
    call_command("publish_scheduled", verbosity=0)
    SchedulerLease.objects.filter(name=LEASE).update(last_run_at=timezone.now())
    return True


class SchedulerThread(threading.Thread):
    def __init__(self, poll_seconds: float = 1.0):
        super().__init__(name="broadsheet-scheduler", daemon=True)
        self.poll_seconds = poll_seconds
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                if take_lease(ttl_seconds=max(10, int(self.poll_seconds * 5))):
                    if run_due():
                        log.info("published what was scheduled")
                    run_tick_hooks()
            except Exception:  # keep the thread alive; the next tick retries
                log.exception("scheduler tick failed")
            finally:
                close_old_connections()
            self.stopping.wait(self.poll_seconds)

    def stop(self) -> None:
        self.stopping.set()


_started: SchedulerThread | None = None


def start_in_process(poll_seconds: float) -> SchedulerThread:
    global _started
    if _started is None or not _started.is_alive():
        _started = SchedulerThread(poll_seconds)
        _started.start()
    return _started
