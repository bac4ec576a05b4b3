"""The task worker: django-tasks-db's, with what a newsroom's background work needs on many hosts.

django-tasks-db claims a task by marking its row RUNNING inside a locked transaction, so any
number of workers on any number of hosts share one queue in the database. Two things it
leaves to us:

- A worker killed mid-task (SIGKILL, a host lost) leaves its row RUNNING forever. Every
  worker writes a heartbeat every few seconds; any worker puts back in the queue the running
  tasks of a worker not seen for BROADSHEET_WORKER_LOST_AFTER seconds (30). Our tasks are
  written to be run again safely (each drains what is still due: purges still pending,
  pictures still missing), so "at least once" is what none-lost needs.
- A task that raises is retried, up to `ATTEMPTS` runs in all, after 2, 4, 8... seconds
  (capped at `LONGEST_WAIT`). Between attempts and after the last, the row keeps the error and
  its traceback, and the admin's task list shows them (workers/wagtail_hooks.py).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from broadsheet.host import host_label

from .models import WorkerHeartbeat

log = logging.getLogger("broadsheet.workers")
LONGEST_HEARTBEAT = 5.0
LONGEST_WAIT = timedelta(minutes=10)


def uses_database_queue() -> bool:
    return settings.BROADSHEET_WORKERS["QUEUE"] == "database"


def lost_after() -> int:
    return settings.BROADSHEET_WORKERS["LOST_AFTER_SECONDS"]


def heartbeat_seconds() -> float:
    return min(LONGEST_HEARTBEAT, lost_after() / 6)  # six missed beats before it is lost


def attempts() -> int:
    return settings.BROADSHEET_WORKERS["ATTEMPTS"]


def new_worker_id(kind: str = "worker") -> str:
    return f"{host_label()}:{kind}:{os.getpid()}:{threading.get_ident() % 10_000}"[:64]


def beat(worker_id: str, now=None) -> None:
    WorkerHeartbeat.objects.update_or_create(worker_id=worker_id,
                                             defaults={"seen_at": now or timezone.now()})


def requeue_lost(now=None) -> int:
    """Put back in the queue the running tasks of workers not seen for a while. Returns how
    many."""
    now = now or timezone.now()
    alive = set(WorkerHeartbeat.objects.filter(seen_at__gte=now - timedelta(seconds=lost_after()))
                .values_list("worker_id", flat=True))
    lost = []
    with transaction.atomic():
        for row in DBTaskResult.objects.running().select_for_update(skip_locked=True):
            if not row.worker_ids or row.worker_ids[-1] not in alive:
                lost.append(row.pk)
        if lost:
            DBTaskResult.objects.filter(pk__in=lost).update(
                status=TaskResultStatus.READY, run_after=now,
                exception_class_path="broadsheet.workers.LostWorker",
                traceback="the worker running this task stopped (killed, or its host lost); "
                          "queued again")
    if lost:
        log.warning("queued again %d tasks of workers that stopped", len(lost))
    WorkerHeartbeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()
    return len(lost)


def retry_or_fail(row: DBTaskResult, now=None) -> bool:
    """After a failed run: queue the task again unless it has had all its attempts. True if
    queued again."""
    tries = len(row.worker_ids)
    if tries >= attempts():
        log.error("task %s (%s) failed %d times; it stays failed", row.pk, row.task_path,
                  tries)
        return False
    wait = min(timedelta(seconds=2 ** tries), LONGEST_WAIT)
    DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.FAILED).update(
        status=TaskResultStatus.READY, run_after=(now or timezone.now()) + wait,
        finished_at=None)
    log.warning("task %s (%s) failed (attempt %d of %d): %s; again in %ds", row.pk,
                row.task_path, tries, attempts(), row.exception_class_path,
                wait.total_seconds())
    return True


KEEP_DONE = timedelta(days=7)
KEEP_FAILED = timedelta(days=30)
PRUNE_EVERY_SECONDS = 600
_last_prune = [0.0]


def prune_finished(now=None) -> int:
    """Forget finished tasks: successful ones after a week, failed ones after a month (long
    enough to look into). Returns how many rows went."""
    now = now or timezone.now()
    done, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - KEEP_DONE).delete()
    failed, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.FAILED, finished_at__lt=now - KEEP_FAILED).delete()
    return done + failed


def tick() -> None:
    """The scheduler leader's tick: with the database queue, prune now and then."""
    if not uses_database_queue() or time.monotonic() - _last_prune[0] < PRUNE_EVERY_SECONDS:
        return
    _last_prune[0] = time.monotonic()
    pruned = prune_finished()
    if pruned:
        log.info("forgot %d finished tasks", pruned)


class BroadsheetWorker(Worker):
    """django-tasks-db's worker loop, with heartbeats, lost-task recovery and retries."""

    def __init__(self, *, worker_id: str, interval: float = 1.0, batch: bool = False,
                 max_tasks: int | None = None):
        super().__init__(queue_names=["*"], interval=interval, batch=batch,
                         backend_name="default", startup_delay=not batch, max_tasks=max_tasks,
                         worker_id=worker_id, excluded_queue_names=[])
        self.beating = threading.Event()
        self.heart = threading.Thread(target=self._beat, name=f"heartbeat {worker_id}",
                                      daemon=True)

    def _beat(self) -> None:
        while not self.beating.wait(heartbeat_seconds()):
            try:
                beat(self.worker_id)
                requeue_lost()
            except Exception:  # the database may be down for a while; keep beating
                log.warning("worker heartbeat failed", exc_info=True)
            finally:
                connections.close_all()

    def run(self) -> None:
        beat(self.worker_id)
        requeue_lost()
        self.heart.start()
        try:
            super().run()
        finally:
            self.beating.set()
            close_old_connections()

    def stop(self) -> None:
        self.running = False
        self.beating.set()

    def run_task(self, db_task_result: DBTaskResult) -> None:
        super().run_task(db_task_result)
        if db_task_result.status == TaskResultStatus.FAILED:
            retry_or_fail(db_task_result)


_thread: list = [None]


def start_in_process() -> threading.Thread:
    """`broadsheet serve`'s worker thread, for one machine without `broadsheet worker`."""
    if _thread[0] is None or not _thread[0].is_alive():
        worker = BroadsheetWorker(worker_id=new_worker_id("serve"))
        _thread[0] = threading.Thread(target=worker.run, name="broadsheet-tasks", daemon=True)
        _thread[0].start()
    return _thread[0]
