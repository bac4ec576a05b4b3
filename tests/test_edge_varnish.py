"""Debian's Varnish with the VCL `broadsheet edge vcl` prints, in front of `broadsheet serve`:
pages are shared from the edge, a change purges them there by tag, signed-in readers pass,
and a purge sent while Varnish does not answer is delivered once it does."""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import brotli
import pytest

from tests.serving import (
    BIN,
    free_port,
    get,
    prepared_site,
    publish_story_script,
    shell,
    site_env,
    start_server,
    stop_server,
)

VARNISHD = "/usr/sbin/varnishd"

pytestmark = pytest.mark.skipif(
    not os.path.exists(VARNISHD) or subprocess.run(
        ["dpkg", "-s", "varnish-modules"], capture_output=True).returncode != 0,
    reason="Debian's varnish and varnish-modules are not installed (make test installs them "
           "as root)")


def start_varnish(vcl: Path, port: int, workdir: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [VARNISHD, "-F", "-j", "none", "-a", f"127.0.0.1:{port}", "-f", str(vcl),
         "-n", str(workdir), "-s", "malloc,32m"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            get(f"http://127.0.0.1:{port}/robots.txt")
            return proc
        except OSError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    pytest.fail("varnishd did not start")


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    data = tmp_path_factory.mktemp("edge-site")
    serve_port, edge_port = free_port(), free_port()
    # Varnish first, so the purges of setting the site up are delivered as they happen.
    vcl = data / "broadsheet.vcl"
    vcl.write_text(subprocess.run(
        [BIN, "edge", "vcl", "--backend", f"127.0.0.1:{serve_port}"], check=True,
        capture_output=True, text=True, env=site_env(data)).stdout)
    varnish = start_varnish(vcl, edge_port, data / "varnish")
    env = prepared_site(data, edge_port, BROADSHEET_EDGE=f"varnish://127.0.0.1:{edge_port}")
    story_id = int(shell(env, publish_story_script("Harbour wall repaired", "harbour-wall"))
                   .split()[-1])
    server = start_server(env, serve_port)
    # Until Varnish's health probe has seen the backend come up.
    deadline = time.monotonic() + 15
    while get(f"http://127.0.0.1:{edge_port}/robots.txt")[0] != 200:
        assert time.monotonic() < deadline, "Varnish never found the backend healthy"
        time.sleep(0.2)
    yield {"env": env, "base": f"http://127.0.0.1:{edge_port}", "story": story_id,
           "url": f"http://127.0.0.1:{edge_port}/metro/harbour-wall/", "varnish": varnish}
    os.killpg(varnish.pid, signal.SIGTERM)
    varnish.wait(10)
    stop_server(server)
    shutil.rmtree(data / "varnish", ignore_errors=True)


def retitle(env, story_id: int, title: str) -> None:
    shell(env, f"""
from broadsheet.articles.models import ArticlePage
story = ArticlePage.objects.get(pk={story_id})
story.title = {title!r}
story.save_revision().publish()
""")


def until(check, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.05)
    pytest.fail(f"not within {seconds} s")


def test_the_shipped_vcl_is_what_the_command_prints(edge):
    printed = subprocess.run([BIN, "edge", "vcl", "--backend", "127.0.0.1:8000"],
                             env=edge["env"], check=True, capture_output=True, text=True).stdout
    shipped = Path(__file__).resolve().parents[1] / "deploy" / "varnish" / "broadsheet.vcl"
    assert shipped.read_text() == printed


def test_pages_are_shared_from_the_edge_without_its_tags(edge):
    get(edge["url"])
    status, headers, body = get(edge["url"])
    assert status == 200 and headers["X-Edge"] == "hit"
    assert b"Harbour wall repaired" in body
    assert "xkey" not in {k.lower() for k in headers}
    # Tracking parameters are the same page at the edge.
    assert get(edge["url"] + "?utm_source=newsletter&fbclid=abc")[1]["X-Edge"] == "hit"


def test_an_edit_reaches_readers_through_the_edge_within_a_second(edge):
    get(edge["url"])
    assert get(edge["url"])[1]["X-Edge"] == "hit"
    retitle(edge["env"], edge["story"], "Harbour wall repaired, council says")
    took = until(lambda: b"council says" in get(edge["url"])[2], 1.0)
    assert took < 1.0
    assert b"council says" in get(edge["base"] + "/metro/")[2]  # the section lists it too


DECODE = {"br": brotli.decompress, "gzip": gzip.decompress, None: lambda body: body}


def get_encoded(url: str, accept: str):
    """(status, headers with lower-case names, body as sent) for this Accept-Encoding."""
    status, headers, body = get(url, {"Accept-Encoding": accept})
    return status, {k.lower(): v for k, v in headers.items()}, body


def test_brotli_gzip_and_plain_copies_come_from_the_edge_and_are_one_page(edge):
    pages = {}
    for accept, coding in [("gzip, deflate, br, zstd", "br"), ("gzip, br;q=0", "gzip"),
                           ("identity", None), ("", None), ("br;q=0.5, gzip;q=0", "br")]:
        for round_ in ("miss or hit", "hit"):
            status, headers, body = get_encoded(edge["url"], accept)
            assert status == 200
            assert headers.get("content-encoding") == coding, (accept, round_)
            assert "Accept-Encoding" in headers["vary"]
            assert int(headers["content-length"]) == len(body)
            pages[accept, round_] = DECODE[coding](body)
        assert headers["x-edge"] == "hit"
    assert len(set(pages.values())) == 1
    assert b"Harbour wall" in pages["", "hit"]


def test_a_purge_drops_every_copy_at_the_edge(edge):
    for accept in ("br", "gzip", ""):
        get(edge["url"], {"Accept-Encoding": accept})
    retitle(edge["env"], edge["story"], "Harbour wall inspected")
    for accept, coding in (("br", "br"), ("gzip", "gzip"), ("", None)):
        until(lambda a=accept, c=coding: b"wall inspected" in DECODE[c](
            get_encoded(edge["url"], a)[2]), 1.0)


def test_signed_in_readers_never_get_or_leave_a_cached_page(edge):
    cookie = {"Cookie": "sessionid=not-a-real-session"}
    for _ in range(2):
        status, headers, _ = get(edge["url"], cookie)
        assert headers["X-Edge"] == "miss"
    # An anonymous copy cached meanwhile is not what they got, nor did they leave one.
    status, headers, _ = get(edge["base"] + "/search/?q=harbour", cookie)
    assert headers["X-Edge"] == "miss"
    assert get(edge["base"] + "/search/?q=harbour")[1]["X-Edge"] == "miss"


def test_a_purge_sent_while_the_edge_is_down_arrives_when_it_returns(edge):
    get(edge["url"])
    assert get(edge["url"])[1]["X-Edge"] == "hit"
    # Varnish stops answering (its processes frozen, its cache kept): the purge times out
    # (2 s) and stays in the outbox.
    os.killpg(edge["varnish"].pid, signal.SIGSTOP)
    try:
        retitle(edge["env"], edge["story"], "Harbour wall reopened")
        waiting = shell(edge["env"], "from broadsheet.edge.models import PendingPurge\n"
                                     "print(PendingPurge.objects.count())")
        assert int(waiting.split()[-1]) >= 1  # kept, not lost
    finally:
        os.killpg(edge["varnish"].pid, signal.SIGCONT)
    # The scheduler in `broadsheet serve` sends it again: the edge's stale copy goes.
    until(lambda: b"Harbour wall reopened" in get(edge["url"])[2], 15.0)
    assert shell(edge["env"], "from broadsheet.edge.models import PendingPurge\n"
                              "print(PendingPurge.objects.count())").split()[-1] == "0"


def test_check_reports_what_varnish_answered(edge):
    out = subprocess.run([BIN, "edge", "check"], env=edge["env"], capture_output=True,
                         text=True, check=True).stdout
    # The VCL's status line: xkey.purge's count of pages with the test tag, none.
    assert f"varnish://127.0.0.1:{edge['base'].rsplit(':', 1)[1]}: purge accepted: " \
           "200 Purged 0" in out
