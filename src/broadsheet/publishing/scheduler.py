"""Publishing on time without a crontab.

Every server process starts a small thread; the one holding the database lease runs Wagtail's
`publish_scheduled` whenever something is due, so scheduled stories go live (and expiring ones
come down) within about a second, and whatever fell due while the server was down is caught up
on start. If the leader dies its lease runs out and another process, on this host or any
other, takes over: the lease lasts three ticks, so a story due at T goes live by about T + 4 s
even when the leader was killed just before T. A leader that stops cleanly hands the lease
back at once.

Each host also has a lease of its own, for the work on its own data (ticks.py): one process
per host folds that host's view journal.
"""

from __future__ import annotations

import atexit
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

from broadsheet.host import host_id
from broadsheet.ticks import HOST_TICK_HOOKS, run_tick_hooks

from .models import SchedulerLease

log = logging.getLogger("broadsheet.publishing")
LEASE = "publish_scheduled"
HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def host_lease() -> str:
    return f"host:{host_id()}"


def take_lease(holder: str = HOLDER, ttl_seconds: float = 10, now=None, *,
               name: str = LEASE) -> bool:
    """True if `holder` now holds the lease `name` (newly taken or renewed)."""
    now = now or timezone.now()
    with transaction.atomic():
        lease = SchedulerLease.objects.select_for_update().filter(name=name).first()
        if lease is None:
            SchedulerLease.objects.create(name=name, holder=holder,
                                          expires_at=now + timedelta(seconds=ttl_seconds))
            return True
        if lease.holder != holder and lease.expires_at > now:
            return False
        lease.holder, lease.expires_at = holder, now + timedelta(seconds=ttl_seconds)
        lease.save(update_fields=["holder", "expires_at"])
        return True


def keep(holder: str = HOLDER, ttl_seconds: float = 3, now=None) -> int:
    """Renew every lease `holder` still has. Run beside the ticks, so a tick that takes
    longer than the lease (a long publish, a slow database) does not hand it to a second
    leader while the first is still at work; a process that dies stops renewing."""
    now = now or timezone.now()
    return SchedulerLease.objects.filter(holder=holder, expires_at__gt=now).update(
        expires_at=now + timedelta(seconds=ttl_seconds))


def give_back(holder: str = HOLDER) -> int:
    """Hand back every lease `holder` has, so a successor need not wait for them to run out."""
    return SchedulerLease.objects.filter(holder=holder).update(expires_at=timezone.now())


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

    def _keep_leases(self, ttl: float) -> None:
        while not self.stopping.wait(self.poll_seconds):
            try:
                keep(ttl_seconds=ttl)
            except Exception:  # the next renewal, or the next tick, tries again
                log.warning("could not renew the scheduler's leases", exc_info=True)
            finally:
                close_old_connections()

    def run(self) -> None:
        # Three ticks: one missed renewal (a slow database) does not hand the lease over.
        ttl = 3 * self.poll_seconds
        threading.Thread(target=self._keep_leases, args=(ttl,), daemon=True,
                         name="broadsheet-scheduler-leases").start()
        while not self.stopping.is_set():
            try:
                if take_lease(ttl_seconds=ttl):
                    if run_due():
                        log.info("published what was scheduled")
                    run_tick_hooks()
                if take_lease(ttl_seconds=ttl, name=host_lease()):
                    run_tick_hooks(HOST_TICK_HOOKS)
            except Exception:  # keep the thread alive; the next tick retries
                log.exception("scheduler tick failed")
            finally:
                close_old_connections()
            self.stopping.wait(self.poll_seconds)
        try:
            give_back()
        except Exception:  # the database may be what is going away
            log.warning("could not hand back the scheduler's leases", exc_info=True)
        finally:
            close_old_connections()

    def stop(self) -> None:
        self.stopping.set()


_started: SchedulerThread | None = None


def start_in_process(poll_seconds: float) -> SchedulerThread:
    global _started
    if _started is None or not _started.is_alive():
        _started = SchedulerThread(poll_seconds)
        _started.start()
        atexit.register(_stop, _started)
    return _started


def _stop(thread: SchedulerThread) -> None:
    """At a clean exit: finish the tick under way and hand the leases back."""
    thread.stop()
    thread.join(timeout=5)
