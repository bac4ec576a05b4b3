"""The beacon under `broadsheet serve` for real: answered before Django, folded by the
scheduler, and not one acknowledged view lost when the server is SIGKILLed."""

from __future__ import annotations

import os
import signal
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.serving import (
    free_port,
    get,
    prepared_site,
    publish_story_script,
    shell,
    start_server,
    stop_server,
    views_of_script,
)

UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/130.0 Safari/537.36 n{}")
MAKE = publish_story_script("Beaconed", "beaconed")
COUNT = views_of_script("beaconed")


def post_view(port, page_id, n) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/_/view", data=f"page={page_id}".encode(), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "User-Agent": UA.format(n)})
    try:
        with urllib.request.urlopen(request, timeout=5) as r:  # noqa: S310
            return r.status
    except OSError:
        return 0


def stored(env, want, timeout=20) -> int:
    deadline = time.monotonic() + timeout
    while True:
        count = int(shell(env, COUNT).split()[-1])
        if count >= want or time.monotonic() > deadline:
            return count
        time.sleep(0.5)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    port = free_port()
    env = prepared_site(tmp_path_factory.mktemp("data"), port)
    page_id = int(shell(env, MAKE).split()[-1])
    return env, port, page_id


def test_beacons_are_answered_before_django_and_folded(site):
    env, port, page_id = site
    proc = start_server(env, port)
    try:
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda n: post_view(port, page_id, n), range(40)))
        assert statuses == [204] * 40
        # A reload by reader 0 and a crawler: answered alike, never counted.
        assert post_view(port, page_id, 0) == 204
        status, headers, _ = get(f"http://127.0.0.1:{port}/_/view.gif?page={page_id}")
        assert status == 200 and "Set-Cookie" not in headers
        assert stored(env, 40) == 40
    finally:
        stop_server(proc)


def test_no_acknowledged_view_is_lost_to_sigkill(site):
    env, port, page_id = site
    before = int(shell(env, COUNT).split()[-1])
    env = {**env, "BROADSHEET_SCHEDULER": "false"}  # nothing folds before the kill
    proc = start_server(env, port)
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda n: post_view(port, page_id, 1000 + n), range(300)))
    acked = statuses.count(204)
    assert acked == 300
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    # Start-up replays the journal.
    proc = start_server({**env, "BROADSHEET_SCHEDULER": "true"}, port)
    try:
        assert stored(env, before + acked) - before == acked
    finally:
        stop_server(proc)
