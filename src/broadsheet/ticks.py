"""Periodic work, run once a second by whichever server process holds the scheduler's lease
(publishing/scheduler.py) after its publishing check.

Readership folds acknowledged views into its tables here; ingest fetches again wire
pictures that are due. Features register at start-up, so none imports the publishing
feature that runs them. A failing hook is logged and retried on the next tick; it never
stops publishing or the other hooks.
"""

from __future__ import annotations

import logging

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
