"""Views on many hosts: per-host beacon ingest, and exactly-once counts with a host SIGKILLed.

    .venv/bin/python bench/cluster_views.py [--seconds 20] [--connections 128]

Three `broadsheet serve` hosts (own data directories and ports, 2 granian workers each) on a
PostgreSQL and a Redis started for the run (tests/cluster/services.py), every host folding its
own journal. wrk posts beacons (bench/readership.lua: every one a distinct reader and page, so
every acknowledged beacon must become exactly one stored view).

- one host sustained: all connections at host 1 while hosts 2 and 3 idle (and fold). Its
  rate is what one host ingests here.
- one host loaded: the same, with host 1 SIGKILLed half-way and started again.
- every host loaded: the connections split over the three hosts; host 2 is SIGKILLed
  half-way and started again.

Each run checks acknowledged <= stored <= acknowledged + connections (a request in flight on
each connection when wrk stops or the host dies may be journalled unanswered), and that no
reader's view is stored twice. wrk, the three hosts, their folds and PostgreSQL share the
machine's 2 cores.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from common import BIN, machine, save  # noqa: E402
from readership import start_server, stop_server  # noqa: E402
from tests.engines import Postgres, Redis  # noqa: E402
from tests.serving import free_port  # noqa: E402

HERE = Path(__file__).resolve().parent
STORIES = """
from broadsheet.articles.models import ArticlePage
from broadsheet.frontpage.models import HomePage
from broadsheet.sections.models import SectionPage
home = HomePage.objects.get()
metro = home.add_child(instance=SectionPage(title="Metro", slug="metro"))
metro.save_revision().publish()
ids = []
for n in range(50):
    story = metro.add_child(instance=ArticlePage(title=f"Story {n}", slug=f"story-{n}"))
    story.save_revision().publish()
    ids.append(str(story.pk))
print(",".join(ids))
"""


class Host:
    def __init__(self, n: int, data: Path, env: dict):
        self.n, self.data, self.port = n, data, free_port()
        self.env = {**env, "BROADSHEET_DATA_DIR": str(data),
                    "BROADSHEET_BASE_URL": f"http://127.0.0.1:{self.port}"}
        self.proc = None

    def start(self) -> None:
        self.proc = start_server(self.env, self.port)

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            stop_server(self.proc)


def wrk(host: Host, seconds: int, connections: int, pages: str, run: str):
    return subprocess.Popen(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s",
         str(HERE / "readership.lua"), f"http://127.0.0.1:{host.port}/_/view"],
        env={**os.environ, "BENCH_PAGES": pages, "BENCH_RUN": run},
        stdout=subprocess.PIPE, text=True)


def acked_of(load) -> dict:
    out, _ = load.communicate(timeout=300)
    m = re.search(r"ACKED (\d+) REFUSED (\d+) P50_MS ([\d.]+) P99_MS ([\d.]+)", out)
    if not m:
        raise SystemExit("wrk said:\n" + out)
    return {"acked": int(m[1]), "p50_ms": float(m[3]), "p99_ms": float(m[4])}


def stored(pg: Postgres) -> tuple[int, int]:
    with psycopg.connect(pg.url.replace("postgres://", "postgresql://")) as conn:
        return conn.execute("SELECT count(*), count(DISTINCT (page_id, visitor)) "
                            "FROM readership_pageview").fetchone()


def settle(pg: Postgres, at_least: int, timeout: float = 180) -> tuple[int, int]:
    """Until every host has folded: the count reaches `at_least` and stops moving."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        now = stored(pg)
        if now == last and now[0] >= at_least:
            return now
        last = now
        time.sleep(2)
    return last


def run(hosts, pg, loaded, victim, seconds, connections, pages) -> dict:
    before = stored(pg)
    each = max(1, connections // len(loaded))
    token = secrets.token_hex(3)
    started = time.monotonic()
    loads = [wrk(h, seconds, each, pages, f"{token}h{h.n}") for h in loaded]
    killed_at = restarted_at = None
    if victim is not None:
        time.sleep(seconds / 2)
        victim.kill()
        killed_at = round(time.monotonic() - started, 1)
        victim.start()
        restarted_at = round(time.monotonic() - started, 1)
    results = [acked_of(load) for load in loads]
    acked = sum(r["acked"] for r in results)
    after = settle(pg, before[0] + acked)
    count, readers = after[0] - before[0], after[1] - before[1]
    return {"hosts_loaded": [h.n for h in loaded], "killed": victim and victim.n,
            "killed_at_s": killed_at, "back_at_s": restarted_at,
            "connections": each * len(loaded), "acked": acked,
            "acked_per_second": round(acked / seconds),
            "per_host": [{"host": h.n, **r, "per_second": round(r["acked"] / seconds)}
                         for h, r in zip(loaded, results, strict=True)],
            "stored": count, "distinct_views": readers, "lost": max(0, acked - count),
            # In flight when wrk stops, and (with a kill) when the host died: at most one per
            # connection each time, journalled but never answered.
            "ok": (acked <= count <= acked + each * len(loaded) * (2 if victim else 1)
                   and readers == count)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=128)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    pg, redis = Postgres(), Redis()
    base = Path(tempfile.mkdtemp(prefix="broadsheet-bench-cluster-"))
    hosts = []
    try:
        pg.init()
        redis.start()
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
        env.update(DATABASE_URL=pg.url, REDIS_URL=redis.url, BROADSHEET_LOG_LEVEL="WARNING",
                   BROADSHEET_SECRET_KEY=secrets.token_urlsafe(40))
        for n in (1, 2, 3):
            (base / f"host{n}").mkdir()
            hosts.append(Host(n, base / f"host{n}", env))
        for host in hosts:
            subprocess.run([str(BIN), "setup", "--no-demo"], env=host.env, check=True,
                           stdout=subprocess.DEVNULL)
        pages = subprocess.run([str(BIN), "shell", "-c", STORIES], env=hosts[0].env,
                               check=True, capture_output=True, text=True
                               ).stdout.split()[-1]
        for host in hosts:
            host.start()
        result = {"command": "bench/cluster_views.py " + " ".join(sys.argv[1:]),
                  "machine": machine(), "seconds": args.seconds,
                  "one_host_sustained": run(hosts, pg, hosts[:1], None, args.seconds,
                                            args.connections, pages),
                  "one_host_loaded": run(hosts, pg, hosts[:1], hosts[0], args.seconds,
                                         args.connections, pages),
                  "every_host_loaded": run(hosts, pg, hosts, hosts[1], args.seconds,
                                           args.connections, pages)}
        save("cluster-views", result)
        import json

        print(json.dumps(result, indent=2))
    finally:
        for host in hosts:
            host.stop()
        redis.stop()
        pg.remove()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
