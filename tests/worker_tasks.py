"""Tasks for the worker tests, importable by a worker process (PYTHONPATH: the repository)."""

import os
import time
from pathlib import Path

from django_tasks import task


@task()
def fails_until(marker: str, failures: int) -> int:
    """Fails `failures` times (counted in a file), then succeeds; returns the run number."""
    path = Path(marker)
    runs = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(runs))
    if runs <= failures:
        raise RuntimeError(f"run {runs} fails on purpose")
    return runs


@task()
def slow_write(marker: str, seconds: float) -> str:
    """Notes its start (with the worker's pid), sleeps, then writes `done`."""
    with open(marker + ".started", "a") as fh:
        fh.write(f"{os.getpid()}\n")
    time.sleep(seconds)
    Path(marker).write_text("done")
    return "done"
