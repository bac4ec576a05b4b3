"""Readership: beacon ingest under `broadsheet serve`, and the Popular query at scale.

    .venv/bin/python bench/readership.py [--seconds 20] [--connections 128]
        [--profile embedded|production]

Ingest: `broadsheet serve` (granian, 2 workers) on loopback, wrk with 128 connections posting
beacons, each a distinct (visitor, page) view so every acknowledged (204) beacon must become
exactly one stored view. Run 1 runs to the end; run 2 SIGKILLs the whole server half-way,
starts it again (which replays the journal) and checks that every acknowledged view is
stored: acknowledged <= stored <= acknowledged + views in flight at the kill (at most one
per connection, answered by nobody).

Ranking: 1,000,000 views over 10,000 stories journalled and folded (which also times the
fold), then the Popular query (site-wide, per section), Trending and the old raw-table query
as the reference, with query counts.

The production profile uses PostgreSQL database `helper_readership` (never `test`) and Redis.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BIN, RESULTS, prepared_data_dir, save  # noqa: E402

HERE = Path(__file__).resolve().parent
PG_URL = "postgres://postgres@127.0.0.1:5432/helper_readership"
REDIS_URL = "redis://127.0.0.1:6379/0"
STORIES = 10_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shell(env, code: str) -> str:
    """The last line `code` prints (Django's shell prints a line of its own first)."""
    out = subprocess.run([str(BIN), "shell", "-c", code], env=env, check=True,
                         capture_output=True, text=True, timeout=900).stdout
    return out.strip().splitlines()[-1]


STORED = ("from broadsheet.readership.models import PageView\n"
          "print(PageView.objects.count())")


def start_server(env, port):
    proc = subprocess.Popen([str(BIN), "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=2).read()  # noqa: S310
            return proc
        except OSError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise SystemExit("server did not start")


def stop_server(proc) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def wrk(port, seconds, connections, pages, *, kill_after: float | None = None, proc=None):
    env = {**os.environ, "BENCH_PAGES": ",".join(map(str, pages)),
           "BENCH_RUN": secrets.token_hex(3)}
    started = time.monotonic()
    load = subprocess.Popen(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout",
                             "5s", "-s", str(HERE / "readership.lua"),
                             f"http://127.0.0.1:{port}/_/view"], env=env,
                            stdout=subprocess.PIPE, text=True)
    if kill_after is not None:
        time.sleep(kill_after)
        os.killpg(proc.pid, signal.SIGKILL)  # granian and both workers, mid-run
        proc.wait()
    out, _ = load.communicate(timeout=seconds + 60)
    elapsed = time.monotonic() - started
    m = re.search(r"ACKED (\d+) REFUSED (\d+) P50_MS ([\d.]+) P99_MS ([\d.]+)", out)
    if not m:
        raise SystemExit("wrk said:\n" + out)
    acked, refused = int(m[1]), int(m[2])
    errors = re.search(r"Socket errors: (.*)", out)
    return {"acked": acked, "refused_non_204": refused, "seconds": round(elapsed, 1),
            "acked_per_second": round(acked / (kill_after or seconds)),
            "p50_ms": float(m[3]), "p99_ms": float(m[4]),
            "socket_errors": errors[1] if errors else ""}


def wait_folded(env, expected_at_least: int, timeout: float = 180) -> int:
    """Until the running server's scheduler has folded everything (the count stops moving)."""
    deadline, last, stable = time.monotonic() + timeout, -1, 0
    while time.monotonic() < deadline:
        stored = int(shell(env, STORED))
        if stored == last and stored >= expected_at_least:
            stable += 1
            if stable >= 2:
                return stored
        else:
            stable = 0
        last = stored
        time.sleep(1)
    return last


def ingest(env, args, pages) -> dict:
    port = free_port()
    result = {}
    # Whatever an earlier run left in the journal is folded first, so it is not counted here.
    subprocess.run([str(BIN), "rollup_views"], env=env, check=True, stdout=subprocess.DEVNULL)
    proc = start_server(env, port)
    try:
        before = int(shell(env, STORED))
        run = wrk(port, args.seconds, args.connections, pages)
        stored = wait_folded(env, before + run["acked"]) - before
        run["stored"] = stored
        run["lost"] = max(0, run["acked"] - stored)
        # wrk stops with a request in flight on each connection: processed, never read.
        run["unacknowledged_but_stored"] = max(0, stored - run["acked"])
        run["ok"] = run["acked"] <= stored <= run["acked"] + args.connections
        result["sustained"] = run
    finally:
        stop_server(proc)

    proc = start_server(env, port)
    before = int(shell(env, STORED))
    run = wrk(port, args.seconds, args.connections, pages, kill_after=args.seconds / 2,
              proc=proc)
    # Restart: the scheduler's first tick replays the journal the killed server left.
    proc = start_server(env, port)
    try:
        stored = wait_folded(env, before + run["acked"]) - before
    finally:
        stop_server(proc)
    run["stored_after_restart"] = stored
    run["lost"] = max(0, run["acked"] - stored)
    run["unacknowledged_but_stored"] = max(0, stored - run["acked"])
    run["ok"] = run["acked"] <= stored <= run["acked"] + args.connections
    result["sigkill"] = run
    return result


SEED = """
import random, time, json
from broadsheet.readership.counting import View
from broadsheet.readership.journal import Journal
from broadsheet.readership import journal as j
from broadsheet.readership.folding import fold
from broadsheet.readership.models import PageView
from broadsheet.articles.models import ArticlePage
ids = list(ArticlePage.objects.live().values_list("id", flat=True))
have = PageView.objects.filter(visitor__startswith="seed").count()
want = {views}
rng = random.Random(5)
now = int(time.time() * 1000)
writer = Journal(j.directory(), sync=False)
# Zipf-like: a few stories get most readers, as on a real site; spread over 7 days.
weights = [1 / (i + 1) ** 0.9 for i in range(len(ids))]
batch, t0 = [], time.perf_counter()
picks = rng.choices(ids, weights=weights, k=max(0, want - have))
for n, page in enumerate(picks):
    at = now - int(rng.random() ** 2 * 7 * 86_400_000)
    writer.append(View(at, page, f"seed{{n + have:027x}}", "desktop"))
writer.close()
written = time.perf_counter() - t0
t0 = time.perf_counter()
folded = fold()
print(json.dumps({{"seeded": len(picks), "journal_seconds": round(written, 1),
                  "fold_seconds": round(time.perf_counter() - t0, 1), "folded": folded}}))
"""

RANK = """
import json, statistics, time
from datetime import timedelta
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from broadsheet.articles.models import ArticlePage
from broadsheet.readership.models import PageView, StoryScore
from broadsheet.readership.popular import most_read_ids, trending_ids
from broadsheet.sections.models import SectionPage

def old_raw_query():
    since = timezone.now() - timedelta(hours=24)
    live = ArticlePage.objects.live().public().values("id")
    return [r["page_id"] for r in PageView.objects.filter(viewed_at__gte=since,
            page_id__in=live).values("page_id").annotate(views=Count("id"))
            .order_by("-views", "-page_id")[:5]]

def timed(fn, n):
    fn()
    samples = []
    for _ in range(n):
        t = time.perf_counter(); fn(); samples.append(time.perf_counter() - t)
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return {{"median_ms": round(statistics.median(samples) * 1000, 3),
            "p95_ms": round(sorted(samples)[int(n * 0.95)] * 1000, 3), "queries": len(ctx)}}

section = SectionPage.objects.order_by("path").first().pk
out = {{"views": PageView.objects.count(), "stories": ArticlePage.objects.live().count(),
       "scored_stories": StoryScore.objects.count(),
       "popular": timed(lambda: most_read_ids(5), 200),
       "popular_section": timed(lambda: most_read_ids(5, section_id=section), 200),
       "trending": timed(lambda: trending_ids(5), 20),
       "reference_raw_24h_count": timed(old_raw_query, 10)}}
out["ratio_popular_to_reference"] = round(out["popular"]["median_ms"]
                                          / out["reference_raw_24h_count"]["median_ms"], 4)
print(json.dumps(out))
"""


def ranking(env, views: int) -> dict:
    import json

    seeded = json.loads(shell(env, SEED.format(views=views)).splitlines()[-1])
    result = json.loads(shell(env, RANK.format()).splitlines()[-1])
    return {"seed": seeded, **result}


def prepare(profile: str):
    name = f"readership-{profile}"
    if profile == "production":
        os.environ.update(DATABASE_URL=PG_URL, REDIS_URL=REDIS_URL,
                          BROADSHEET_CACHE_PREFIX="helper_readership")
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-c",
                        "CREATE DATABASE helper_readership"], capture_output=True)
    data, env = prepared_data_dir(name)
    if profile == "production":
        env.update(DATABASE_URL=PG_URL, REDIS_URL=REDIS_URL,
                   BROADSHEET_CACHE_PREFIX="helper_readership")
        subprocess.run([str(BIN), "setup"], env=env, check=True, stdout=subprocess.DEVNULL)
    env["BROADSHEET_LOG_LEVEL"] = "WARNING"
    have = int(shell(env, "from broadsheet.articles.models import ArticlePage\n"
                          "print(ArticlePage.objects.count())"))
    if have < STORIES:
        # scale_up clears the whole cache: never a shared Redis database.
        shell({k: v for k, v in env.items() if k != "REDIS_URL"},
              f"from broadsheet.demo.scale import scale_up\n"
              f"print(scale_up(stories={STORIES - have}, comments=0))")
    pages = [int(x) for x in shell(env, "from broadsheet.articles.models import ArticlePage\n"
                                        "print(' '.join(str(i) for i in ArticlePage.objects"
                                        ".live().values_list('id', flat=True)))").split()]
    return data, env, pages


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=128)
    parser.add_argument("--views", type=int, default=1_000_000)
    parser.add_argument("--profile", choices=["embedded", "production"], default="embedded")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-ranking", action="store_true")
    parser.add_argument("--sync", action="store_true",
                        help="BROADSHEET_VIEW_JOURNAL_SYNC=true: fdatasync before answering")
    args = parser.parse_args()
    _, env, pages = prepare(args.profile)
    env["BROADSHEET_VIEW_JOURNAL_SYNC"] = "true" if args.sync else "false"
    random.Random(3).shuffle(pages)
    result = {"command": "bench/readership.py " + " ".join(sys.argv[1:]),
              "profile": args.profile, "connections": args.connections,
              "journal_sync": args.sync}
    if not args.skip_ingest:
        result["ingest"] = ingest(env, args, pages)
    if not args.skip_ranking:
        result["ranking"] = ranking(env, args.views)
    save(f"readership-{args.profile}{'-sync' if args.sync else ''}", result)
    RESULTS.mkdir(exist_ok=True)


if __name__ == "__main__":
    main()
