"""Shared helpers for the benchmarks: a private data directory, machine facts, reporting."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent / "broadsheet"


def machine() -> dict:
    cpus = os.cpu_count()
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "cpus": cpus,
            "cpu": model, "python": platform.python_version()}


def prepared_data_dir(name: str, *, demo: bool = True) -> tuple[Path, dict]:
    """A data directory under bench/results/<name> with migrations (and the demo) applied."""
    data = RESULTS / name
    data.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env["BROADSHEET_DATA_DIR"] = str(data)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    args = [str(BIN), "setup"] + ([] if demo else ["--no-demo"])
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL)
    return data, env


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def save(name: str, result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {"machine": machine(), **result}
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


def measure(client, url: str, n: int, before=None) -> tuple[float, int]:
    """Median milliseconds of `n` requests for `url` through the whole middleware stack,
    after five warming ones (templates, shared caches), and the queries one request makes.
    `before()`, if given, runs untimed before each request (a purge)."""
    import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        assert client.get(url).status_code == 200, url
    samples = []
    for _ in range(n):
        if before:
            before()
        start = time.perf_counter()
        client.get(url)
        samples.append(time.perf_counter() - start)
    if before:
        before()
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return median_ms(samples), len(ctx)
