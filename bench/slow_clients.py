"""Slow clients: how many stalled connections `broadsheet serve` withstands with its default
settings, and what the async front costs (or saves) on cached hits.

    .venv/bin/python bench/slow_clients.py [--levels 256,1024,4096] [--duration 10]

1. Hit throughput: `wrk -t2 -c64` on a cached article, against `broadsheet serve` (the async
   RSGI front) and, as the reference in the same run, granian's WSGI interface running
   broadsheet.wsgi:application with the same workers and threads (the front before issue
   14), alternated WSGI, RSGI, WSGI, RSGI; reported as the ratio of the means.
2. Stalled connections: for each level N, N/2 connections that stop in the middle of their
   headers and N/2 beacon POSTs that announce 400 bytes and send 5, all open at once; then a
   reader fetches the home page, an article (cache hits) and a fresh search (rendered by
   Django) ten times each. Reported: the slowest reader request and whether every one
   answered within 1 s.

Everything listens on 127.0.0.1 and is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BIN, prepared_data_dir, save  # noqa: E402
from throughput import ensure_tools, free_port, wait_for, wrk  # noqa: E402

GRANIAN = Path(sys.executable).parent / "granian"


def start(cmd: list[str], env: dict, base: str) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    wait_for(base + "/")
    return proc


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def reader_slowest(base: str, article: str, rounds: int = 10) -> tuple[float, int]:
    """The slowest of the reader's requests, in seconds, and how many failed."""
    slowest, failed = 0.0, 0
    for n in range(rounds):
        for path in ("/", article, f"/search/?q=lantern+{n}+{time.monotonic_ns()}"):
            started = time.monotonic()
            try:
                with urllib.request.urlopen(base + path, timeout=10) as r:  # noqa: S310
                    r.read()
            except OSError:
                failed += 1
            slowest = max(slowest, time.monotonic() - started)
    return slowest, failed


def stall(port: int, n: int) -> list[socket.socket]:
    held = []
    for i in range(n):
        s = socket.socket()
        s.setblocking(True)
        s.connect(("127.0.0.1", port))
        if i % 2:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Waiting: ")
        else:
            s.sendall(b"POST /_/view HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                      b"Content-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: 400\r\n\r\npage=" % port)
        held.append(s)
    return held


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", default="256,1024,2048,4096,8192")
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    ensure_tools()
    levels = [int(x) for x in args.levels.split(",")]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the server inherits it too

    _, env = prepared_data_dir("throughput-newsroom")
    env["BROADSHEET_SCHEDULER"] = "false"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    rsgi_cmd = [str(BIN), "serve", "--port", str(port), "--workers", "2"]
    # The front before issue 14, as `broadsheet serve` started it then.
    wsgi_env = {**env, "BROADSHEET_SERVER_PROCESS": "1",
                "DJANGO_SETTINGS_MODULE": "broadsheet.settings.embedded"}
    wsgi_cmd = [str(GRANIAN), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
                "--workers", "2", "--blocking-threads", "4", "--backlog", "2048",
                "--no-ws", "--static-path-route", "/static",
                "--static-path-mount", str(Path(env["BROADSHEET_DATA_DIR"]) / "static"),
                "broadsheet.wsgi:application"]

    proc = start(rsgi_cmd, env, base)
    try:
        home = urllib.request.urlopen(base + "/").read()  # noqa: S310
        article = re.search(rb'<h3><a href="(/[^"]+/[^"]+/)">', home).group(1).decode()
    finally:
        stop(proc)

    runs: dict[str, list[float]] = {"wsgi": [], "rsgi": []}
    for name in ("wsgi", "rsgi", "wsgi", "rsgi"):
        proc = start(rsgi_cmd if name == "rsgi" else wsgi_cmd,
                     env if name == "rsgi" else wsgi_env, base)
        try:
            urllib.request.urlopen(base + article).read()  # noqa: S310  (fills the cache)
            wrk(base + article, 2, 64)
            runs[name].append(wrk(base + article, args.duration, 64))
        finally:
            stop(proc)

    stalled = []
    proc = start(rsgi_cmd, env, base)
    try:
        for level in levels:
            held = stall(port, level)
            time.sleep(0.5)
            slowest, failed = reader_slowest(base, article)
            for s in held:
                s.close()
            stalled.append({"stalled": level, "slowest_reader_s": round(slowest, 3),
                            "failed": failed, "within_1s": failed == 0 and slowest < 1.0})
            print(stalled[-1], flush=True)
            time.sleep(1)
    finally:
        stop(proc)

    mean = {k: sum(v) / len(v) for k, v in runs.items()}
    save("slow_clients", {
        "command": "bench/slow_clients.py",
        "hits_wrk": f"wrk -t2 -c64 -d{args.duration}s <article>",
        "hits_rps": {k: [round(x) for x in v] for k, v in runs.items()},
        "rsgi_to_wsgi": round(mean["rsgi"] / mean["wsgi"], 2),
        "open_files_limit": hard,
        "stalled": stalled,
    })


if __name__ == "__main__":
    main()
