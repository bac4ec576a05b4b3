"""Periodic work, run once a second by whichever server process holds the scheduler's lease
(publishing/scheduler.py) after its publishing check.

Readership folds acknowledged views into its tables here; ingest fetches again wire
pictures that are due. Features register at start-up, so none imports the publishing
feature that runs them. A failing hook is logged and retried on the next tick; it never
stops publishing or the other hooks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import connections

log = logging.getLogger("broadsheet.publishing")
TICK_HOOKS: list = []


def register_tick(hook):
    if hook not in TICK_HOOKS:
        TICK_HOOKS.append(hook)
    return hook


def run_tick_hooks() -> None:
    for hook in TICK_HOOKS:
        try:
            hook()
        except Exception:
            log.exception("scheduler hook %s failed", getattr(hook, "__name__", hook))


class InBackground:
    """Work a tick starts in a thread of its own, one at a time: it may take seconds (a
    server that does not answer), and publishing must not wait for it. A failure is logged
    and the next tick starts it again."""

    def __init__(self, name: str, work: Callable[[], object]):
        self.name, self.work = name, work
        self.thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.work()
        except Exception:
            log.exception("%s failed; the next tick tries again", self.name)
        finally:
            connections.close_all()  # this thread's own connection
