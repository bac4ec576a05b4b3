"""Periodic work, run once a second by the publishing scheduler (publishing/scheduler.py).

Two kinds, by whose data they touch:
- the site's (ingest fetching again wire pictures that are due, the edge outbox, clean-ups):
  run by the one process in the whole site that holds the scheduler's lease, after its
  publishing check;
- a host's (readership folding the views journalled in this host's data directory): run on
  every host, by the one process of the host that holds that host's lease. A lease decides
  who computes, never whose data counts: a host's views never wait for another host.

Features register at start-up, so none imports the publishing feature that runs them. A
failing hook is logged and retried on the next tick; it never stops publishing or the other
hooks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import connections

log = logging.getLogger("broadsheet.publishing")
TICK_HOOKS: list = []
HOST_TICK_HOOKS: list = []


def register_tick(hook, *, every_host: bool = False):
    hooks = HOST_TICK_HOOKS if every_host else TICK_HOOKS
    if hook not in hooks:
        hooks.append(hook)
    return hook


def run_tick_hooks(hooks: list | None = None) -> None:
    for hook in TICK_HOOKS if hooks is None else hooks:
        try:
            hook()
        except Exception:
            log.exception("scheduler hook %s failed", getattr(hook, "__name__", hook))


class InBackground:
    """Work a tick starts outside the scheduler's thread, one at a time: it may take seconds
    (a server that does not answer), and publishing must not wait for it. With the database
    task queue (BROADSHEET_TASKS=database) it is queued as `task` for any worker on any host;
    otherwise it runs in a thread of its own. A failure is logged (and, as a task, retried by
    the worker); the next tick starts it again."""

    def __init__(self, name: str, work: Callable[[], object], task=None):
        self.name, self.work, self.task = name, work, task
        self.thread: threading.Thread | None = None

    def _queued(self) -> bool:
        return self.task is not None and settings.BROADSHEET_WORKERS["QUEUE"] == "database"

    @property
    def running(self) -> bool:
        if self._queued():
            # A model: ticks.py is imported while the apps load, before models may be.
            from django_tasks_db.models import DBTaskResult

            return DBTaskResult.objects.filter(
                task_path=self.task.module_path, status__in=["READY", "RUNNING"]).exists()
        return self.thread is not None and self.thread.is_alive()

    def start(self) -> None:
        if self._queued():
            self.task.enqueue()
            return
        self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.work()
        except Exception:
            log.exception("%s failed; the next tick tries again", self.name)
        finally:
            connections.close_all()  # this thread's own connection
