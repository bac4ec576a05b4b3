"""Purge fan-out between hosts, measured: from a purge's commit on host A to the page it
names gone from host B's page store.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/fanout.py [--purges 200] [--cut-off 20]

Host B is a real `broadsheet serve` (two workers, its listener in one of them) with a data
directory of its own; host A is a `broadsheet shell` with another, on a fresh database made
on DATABASE_URL's server (dropped at the end) and a channel of its own on REDIS_URL's Redis.
For each purge, A plants a page in B's store under a tag of its own, purges that tag in a
transaction, notes the moment the commit returned (the first on-commit callback) and polls
B's page file until it is gone. Then --cut-off purges are made with A cut off from Redis (a
port nobody listens on): each reaches B through the database row, which B's listener
publishes once it is SWEEP_AFTER old.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BIN, RESULTS, save  # noqa: E402
from edge import percentile  # noqa: E402
from throughput import free_port, wait_for  # noqa: E402

# Runs in host A's `broadsheet shell`: PURGES, SPACING and B_STORE are prepended.
MEASURE = """
import json, os, time
from django.db import transaction
from broadsheet.pagecache import fanout
from broadsheet.pagecache.purge import purge

pages, tags = os.path.join(B_STORE, "pages"), os.path.join(B_STORE, "tags")
delays, started, published = [], [], []
sent = []
publish = fanout.publish
def timed(*args, **kwargs):
    took = publish(*args, **kwargs)
    sent.append(time.time())
    return took
fanout.publish = timed
for i in range(PURGES):
    key = f"bench{i:05d}"
    os.makedirs(pages, exist_ok=True)
    os.makedirs(os.path.join(tags, f"bench-{i}"), exist_ok=True)
    with open(os.path.join(pages, key), "wb") as page:
        page.write(b'{"status": 200}\\n')
    open(os.path.join(tags, f"bench-{i}", key), "w").close()
    committed = []
    sent.clear()
    with transaction.atomic():
        transaction.on_commit(lambda: committed.append(time.time()))  # before purge's own
        purge({f"bench:{i}"})
    if sent:
        published.append(sent[0] - committed[0])
    deadline = committed[0] + 30
    while os.path.exists(os.path.join(pages, key)):
        if time.time() > deadline:
            raise SystemExit(f"purge {i} never reached host B")
        time.sleep(0.0001)
    delays.append(time.time() - committed[0])
    # B's purge began when it set its epoch (store.py: to the nanosecond, B's clock, which
    # is this machine's).
    started.append(os.stat(os.path.join(B_STORE, "epoch")).st_mtime_ns / 1e9 - committed[0])
    time.sleep(SPACING)
print("RESULT", json.dumps({"delays": delays, "started": started, "published": published}))
"""


def shell(env: dict, code: str) -> dict:
    out = subprocess.run([BIN, "shell", "-c", code], env=env, check=True, capture_output=True,
                         text=True, timeout=1800).stdout
    return json.loads(out.split("RESULT", 1)[1])


def summary(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 2),
            "p95_ms": round(percentile(ms, 95), 2), "max_ms": round(max(ms), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--purges", type=int, default=200)
    parser.add_argument("--cut-off", type=int, default=20)
    parser.add_argument("--spacing", type=float, default=0.02,
                        help="seconds between purges")
    args = parser.parse_args()
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        raise SystemExit("set DATABASE_URL and REDIS_URL (the production profile)")
    import psycopg

    admin_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    name = f"broadsheet_bench_fanout_{uuid.uuid4().hex[:8]}"
    work = RESULTS / "fanout"
    shutil.rmtree(work, ignore_errors=True)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    port = free_port()
    envs = {}
    for host in ("a", "b"):
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env.update(BROADSHEET_DATA_DIR=str(work / host), BROADSHEET_CACHE_PREFIX=name,
                   DATABASE_URL=admin_url.rsplit("/", 1)[0] + f"/{name}",
                   BROADSHEET_BASE_URL=f"http://127.0.0.1:{port}")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        envs[host] = env
    server = None
    try:
        for env in envs.values():
            subprocess.run([BIN, "setup", "--no-demo"], env=env, check=True,
                           stdout=subprocess.DEVNULL, timeout=600)
        with open(work / "b" / "serve.log", "ab") as log:
            server = subprocess.Popen([BIN, "serve", "--port", str(port)], env=envs["b"],
                                      stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        wait_for(f"http://127.0.0.1:{port}/robots.txt")
        time.sleep(1)  # the listener subscribed (and emptied B's store as it did)
        b_store = str(work / "b" / "pagecache")
        preamble = f"PURGES, SPACING, B_STORE = {{}}, {args.spacing}, {b_store!r}\n"
        fast = shell(envs["a"], preamble.format(args.purges) + MEASURE)
        cut_off_env = {**envs["a"], "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
        slow = shell(cut_off_env, preamble.format(args.cut_off) + MEASURE)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(20)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    save("fanout", {
        "commit_to_b_store_purged": summary(fast["delays"]),
        "commit_to_b_purge_started": summary(fast["started"]),
        "commit_to_published_on_a": summary(fast["published"]),
        "a_cut_off_commit_to_b_store_purged": summary(slow["delays"]),
    })


if __name__ == "__main__":
    main()
