"""Newsletters on the scheduler's tick (publishing/scheduler.py, on the site's leader): daily
editions built an hour ahead, then every due edition sent, on a worker when the database
queue is on, otherwise in a thread of this process. Either way one run sends a bounded
number of batches, and the next tick goes on: a send never holds a worker for long, and a
killed runner's edition is taken up again once its lease lapses."""

from __future__ import annotations

import logging

from django_tasks import task

from broadsheet.ticks import InBackground

from . import editions, sending
from .models import Edition

log = logging.getLogger("broadsheet.newsletters")


def build_daily() -> None:
    for newsletter, at in editions.due_daily():
        try:
            edition = editions.build(newsletter)
        except editions.NothingToSend as nothing:
            # Recorded, so the tick does not try again every second until the time passes.
            Edition.objects.create(newsletter=newsletter, subject=f"Not sent: {nothing}",
                                   status=Edition.Status.CANCELLED, send_at=at)
            log.warning("%s at %s not built: %s", newsletter, at, nothing)
            continue
        sending.schedule(edition, at=at)
        log.info("%s built for %s; editors can change or cancel it until then", edition, at)


def send_due() -> None:
    for edition_id in sending.due():
        sending.run(edition_id)


send_due_task = task()(send_due)
_runner = InBackground("broadsheet-newsletters", send_due, task=send_due_task)


def tick() -> None:
    build_daily()
    if not _runner.running and sending.due():
        _runner.start()
