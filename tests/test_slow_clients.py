"""Slow clients against `broadsheet serve`: connections that send a request and then stall
hold no thread, so readers keep being answered, and the stalled ones get a bounded wait.

Under plain WSGI each stalled body held a server thread until the client gave up: ten of
them stopped the site, cached pages included (issue 14).
"""

from __future__ import annotations

import resource
import socket
import time
import urllib.request

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

MAKE = publish_story_script("Held up", "held-up")
COUNT = views_of_script("held-up")
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36 r{}"
# Per kind: far more than the server's threads (2 workers x 4), and together more than the
# 2,048 connections granian's default backpressure let the two workers hold.
STALLED = 1300


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 3 * STALLED:  # this process holds the stalled connections; the server inherits
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4 * STALLED), hard))
    port = free_port()
    env = prepared_site(tmp_path_factory.mktemp("data"), port,
                        BROADSHEET_HEADER_TIMEOUT="3", BROADSHEET_BODY_TIMEOUT="3",
                        BROADSHEET_MAX_BODY_MB="1")
    page_id = int(shell(env, MAKE).split()[-1])
    proc = start_server(env, port, probe="/metro/held-up/")
    yield env, port, page_id
    stop_server(proc)


def connect(port) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    return s


def stall_headers(port) -> socket.socket:
    s = connect(port)
    s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Waiting: ")
    return s


def stall_body(port, path=b"/_/view") -> socket.socket:
    """A beacon (or form) POST announcing more bytes than it sends."""
    s = connect(port)
    s.sendall(b"POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
              b"Content-Type: application/x-www-form-urlencoded\r\n"
              b"Content-Length: 400\r\n\r\npage=" % (path, port))
    return s


def answer(s: socket.socket) -> bytes:
    try:
        return s.recv(4096)
    except OSError:
        return b""
    finally:
        s.close()


def post_view(port, page_id, n, pieces=1, pause=0.0) -> bytes:
    """A beacon POST sent in `pieces`, `pause` seconds apart; the raw response."""
    body = f"page={page_id}".encode()
    s = connect(port)
    s.sendall(b"POST /_/view HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
              b"User-Agent: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"
              b"Content-Length: %d\r\n\r\n" % (port, UA.format(n).encode(), len(body)))
    step = -(-len(body) // pieces)
    for i in range(0, len(body), step):
        time.sleep(pause)
        s.sendall(body[i:i + step])
    return answer(s)


def timed_get(url) -> tuple[int, float]:
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310
        r.read()
        return r.status, time.monotonic() - started


def test_stalled_connections_hold_up_no_reader(site):
    env, port, page_id = site
    base = f"http://127.0.0.1:{port}"
    stalled_headers = [stall_headers(port) for _ in range(STALLED)]
    stalled_bodies = [stall_body(port) for _ in range(STALLED // 2)]
    stalled_bodies += [stall_body(port, b"/accounts/login/") for _ in range(STALLED // 2)]
    time.sleep(0.3)  # all of them in and waiting
    slowest = 0.0
    for round_ in range(15):
        # Cached pages, and pages Django must render (a new search each time): neither
        # waits for a thread held by a stalled client.
        for path in ("/", "/metro/held-up/", f"/search/?q=held+{round_}"):
            status, took = timed_get(base + path)
            assert status == 200
            slowest = max(slowest, took)
    assert slowest < 1.0, f"a reader waited {slowest:.2f} s behind stalled clients"

    # Each stalled body is answered 408 after its deadline (3 s + 400 bytes at the minimum
    # rate); stalled headers are closed after 3 s.
    started = time.monotonic()
    bodies = [answer(s) for s in stalled_bodies]
    assert all(b.startswith(b"HTTP/1.1 408") for b in bodies), bodies[:3]
    assert b"did not arrive within" in bodies[0]
    assert all(answer(s) == b"" for s in stalled_headers)
    assert time.monotonic() - started < 20


def test_a_slow_but_steady_body_is_accepted_and_nothing_is_lost(site):
    env, port, page_id = site
    before = int(shell(env, COUNT).split()[-1])
    # Stalls first, then real views, one of them trickling in within its deadline.
    stalled = [stall_body(port) for _ in range(40)]
    assert post_view(port, page_id, 1).startswith(b"HTTP/1.1 204")
    assert post_view(port, page_id, 2, pieces=3, pause=0.5).startswith(b"HTTP/1.1 204")
    for s in stalled:
        assert answer(s).startswith(b"HTTP/1.1 408")
    assert post_view(port, page_id, 3).startswith(b"HTTP/1.1 204")
    deadline = time.monotonic() + 20
    while (count := int(shell(env, COUNT).split()[-1])) < before + 3:
        assert time.monotonic() < deadline, f"{count - before} of 3 acknowledged views stored"
        time.sleep(0.5)
    assert count == before + 3


def test_a_body_larger_than_allowed_is_refused_before_it_is_read(site):
    _, port, _ = site
    s = connect(port)
    s.sendall(b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
              b"Content-Type: application/x-www-form-urlencoded\r\n"
              b"Content-Length: %d\r\n\r\nx=1" % (port, 5 * 1024 * 1024))
    response = answer(s)
    assert response.startswith(b"HTTP/1.1 413")
    assert b"larger than this site accepts" in response
    assert get(f"http://127.0.0.1:{port}/")[0] == 200


DOCUMENT = """
import os
from django.core.files.base import ContentFile
from wagtail.documents.models import Document
data = os.urandom(3 * 1024 * 1024)
doc = Document(title="Budget papers")
doc.file.save("budget.bin", ContentFile(data), save=False)
doc.save()
import hashlib
print(doc.url, hashlib.sha256(data).hexdigest())
"""


def test_readers_slow_to_take_a_large_response_hold_no_thread(site):
    """A large download is rendered by Django into a spool file and sent from the event loop,
    so readers who never read it do not keep Django's threads from other readers."""
    import hashlib

    env, port, _ = site
    url, digest = shell(env, DOCUMENT).split()[-2:]
    status, _, body = get(f"http://127.0.0.1:{port}{url}")
    assert status == 200 and hashlib.sha256(body).hexdigest() == digest
    idle = []
    for _ in range(20):
        s = connect(port)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (url.encode(), port))
        idle.append(s)
    time.sleep(0.5)
    slowest = max(timed_get(f"http://127.0.0.1:{port}/search/?q=budget+{n}")[1]
                  for n in range(10))
    assert slowest < 1.0, f"a reader waited {slowest:.2f} s behind unread downloads"
    for s in idle:
        s.close()
