"""Time from a second `make run` to the first page served.

    .venv/bin/python bench/second_run.py [--runs 3]

The first `make run` (not timed) prepares ./var-style data in bench/results/second-run; each
timed run starts `make run` again on it and polls the front page until it answers 200.
Reported alongside: the time for `python -c pass` in the same run, as a reference for the
machine's speed at the moment.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, save  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_page_seconds(env: dict, port: int, timeout: float = 120) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen(["make", "-s", "run", f"PORT={port}"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        while time.perf_counter() - started < timeout:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.05)
        raise SystemExit("make run did not serve in time")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["BROADSHEET_DATA_DIR"] = str(RESULTS / "second-run")
    first = first_page_seconds(env, free_port(), timeout=600)
    runs = [round(first_page_seconds(env, free_port()), 2) for _ in range(args.runs)]
    ref_start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    save("second_run", {"command": "bench/second_run.py", "first_run_seconds": round(first, 1),
                        "second_run_seconds": runs,
                        "python_startup_seconds": round(time.perf_counter() - ref_start, 3)})


if __name__ == "__main__":
    main()
