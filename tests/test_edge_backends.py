"""Purges by tag through Fastly's, Cloudflare's and Bunny's APIs, and by address for a cache
without tags (edge/cdn.py, edge/backends.py, edge/urls.py).

Each API is a small HTTP server on loopback that records every request and answers as the
real API documents (Fastly: 200 and a JSON map; Cloudflare: JSON with `success`; Bunny: 204),
or with an error when told to. BROADSHEET_<CDN>_API points Broadsheet at it."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.utils import timezone

from broadsheet.edge import cdn, outbox, urls
from broadsheet.edge.backends import EdgeError, backend_for
from broadsheet.edge.models import PendingPurge
from broadsheet.pagecache.purge import purge, purge_everything, stories

pytestmark = pytest.mark.django_db

TOKEN = "tok-3f9a1c-secret"
SERVICE = "SU1Z0isxPaozGVKXdv0eY"  # Fastly's service ids are case-sensitive


class FakeAPI(ThreadingHTTPServer):
    def __init__(self, kind: str):
        super().__init__(("127.0.0.1", 0), Handler)
        self.kind = kind
        self.received: list[tuple[str, str, dict, bytes]] = []
        self.answer: tuple[int, bytes] | None = None  # None: as the real API when it works

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def ok(self, path: str) -> tuple[int, bytes]:
        if self.kind == "fastly":
            body = {"status": "ok"} if path.endswith("purge_all") else {"k": "108-1-2"}
            return 200, json.dumps(body).encode()
        if self.kind == "cloudflare":
            return 200, json.dumps({"success": True, "errors": [], "messages": [],
                                    "result": {"id": "zone"}}).encode()
        return (204 if self.kind == "bunny" else 200), b""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append((self.command, self.path, dict(self.headers), body))
        status, out = self.server.answer or self.server.ok(self.path)
        self.send_response(status)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_POST = do_PURGE = _answer

    def log_message(self, *args):
        pass


def serve(kind: str):
    server = FakeAPI(kind)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def apis(settings, tmp_path):
    servers = {kind: serve(kind) for kind in ("fastly", "cloudflare", "bunny", "purge-url")}
    settings.BROADSHEET_FASTLY_API = servers["fastly"].base
    settings.BROADSHEET_CLOUDFLARE_API = servers["cloudflare"].base
    settings.BROADSHEET_BUNNY_API = servers["bunny"].base
    settings.BROADSHEET_FASTLY_TOKEN = settings.BROADSHEET_CLOUDFLARE_TOKEN = TOKEN
    settings.BROADSHEET_BUNNY_KEY = TOKEN
    settings.DATA_DIR = tmp_path  # the address index of purge-url, this test's own
    yield servers
    for server in servers.values():
        server.shutdown()
        server.server_close()


def edge_url(apis, kind: str) -> str:
    return {"fastly": f"fastly://{SERVICE}", "cloudflare": "cloudflare://0123abcd",
            "bunny": "bunny://4711",
            "purge-url": f"purge-url://127.0.0.1:{apis['purge-url'].server_address[1]}"}[kind]


# --- Fastly ------------------------------------------------------------------------------

def test_fastly_purges_surrogate_keys_after_the_commit(apis, settings, committed):
    settings.BROADSHEET_EDGE = [edge_url(apis, "fastly")]
    committed(lambda: purge(stories([1234]) | {"spotlight"}))
    [(method, path, headers, body)] = apis["fastly"].received
    assert (method, path, body) == ("POST", f"/service/{SERVICE}/purge", b"")
    assert headers["Fastly-Key"] == TOKEN
    assert headers["Surrogate-Key"] == "page:1234 pages:1 spotlight"
    assert "Fastly-Soft-Purge" not in headers
    assert PendingPurge.objects.count() == 0


def test_fastly_sends_256_keys_a_request_and_soft_purges_when_asked(apis, settings):
    settings.BROADSHEET_EDGE_SOFT_PURGE = True
    tags = [f"t{i:03}" for i in range(513)]
    backend_for(edge_url(apis, "fastly")).purge(tags)
    sent = [h["Surrogate-Key"].split(" ") for _, _, h, _ in apis["fastly"].received]
    assert [len(keys) for keys in sent] == [256, 256, 1]
    assert [k for keys in sent for k in keys] == tags
    assert {h["Fastly-Soft-Purge"] for _, _, h, _ in apis["fastly"].received} == {"1"}


def test_fastly_purges_everything_never_softly(apis, settings, committed):
    settings.BROADSHEET_EDGE = [edge_url(apis, "fastly")]
    settings.BROADSHEET_EDGE_SOFT_PURGE = True  # Fastly's purge_all has no soft form
    committed(purge_everything)
    [(method, path, headers, _)] = apis["fastly"].received
    assert (method, path) == ("POST", f"/service/{SERVICE}/purge_all")
    assert headers["Fastly-Key"] == TOKEN and "Fastly-Soft-Purge" not in headers


# --- Cloudflare --------------------------------------------------------------------------

def test_cloudflare_purges_tags_100_a_request(apis, settings):
    tags = [f"t{i:03}" for i in range(250)]
    backend_for(edge_url(apis, "cloudflare")).purge(tags)
    received = apis["cloudflare"].received
    assert {(m, p) for m, p, _, _ in received} == {
        ("POST", "/client/v4/zones/0123abcd/purge_cache")}
    assert {h["Authorization"] for _, _, h, _ in received} == {f"Bearer {TOKEN}"}
    assert {h["Content-Type"] for _, _, h, _ in received} == {"application/json"}
    bodies = [json.loads(b) for _, _, _, b in received]
    assert [len(b["tags"]) for b in bodies] == [100, 100, 50]
    assert [t for b in bodies for t in b["tags"]] == tags


def test_cloudflare_purges_everything(apis, settings, committed):
    settings.BROADSHEET_EDGE = [edge_url(apis, "cloudflare")]
    committed(purge_everything)
    [(_, _, _, body)] = apis["cloudflare"].received
    assert json.loads(body) == {"purge_everything": True}


def test_cloudflare_saying_no_with_200_is_retried_with_backoff(apis, settings, committed,
                                                               caplog):
    settings.BROADSHEET_EDGE = [edge_url(apis, "cloudflare")]
    apis["cloudflare"].answer = (200, json.dumps(
        {"success": False, "errors": [{"code": 1134, "message": "Rate limited"}]}).encode())
    committed(lambda: purge(stories([5])))
    row = PendingPurge.objects.get()
    assert row.attempts == 1 and "1134 Rate limited" in row.last_error
    assert timezone.now() < row.next_attempt_at <= timezone.now() + timedelta(seconds=2)
    assert "purge not delivered" in caplog.text
    assert outbox.deliver() == 0 and len(apis["cloudflare"].received) == 1  # not due yet
    apis["cloudflare"].answer = None
    assert outbox.deliver(now=timezone.now() + timedelta(seconds=3)) == 1
    assert json.loads(apis["cloudflare"].received[-1][3]) == {"tags": ["page:5", "pages:0"]}
    assert PendingPurge.objects.count() == 0


# --- Bunny -------------------------------------------------------------------------------

def test_bunny_purges_one_tag_a_request_and_the_whole_zone(apis, settings, committed):
    settings.BROADSHEET_EDGE = [edge_url(apis, "bunny")]
    committed(lambda: purge(stories([7])))
    committed(purge_everything)
    received = apis["bunny"].received
    assert [(m, p) for m, p, _, _ in received] == [("POST", "/pullzone/4711/purgeCache")] * 3
    assert {h["AccessKey"] for _, _, h, _ in received} == {TOKEN}
    assert [b and json.loads(b) for _, _, _, b in received] == [
        {"CacheTag": "page:7"}, {"CacheTag": "pages:0"}, b""]


# --- tokens ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["fastly", "cloudflare", "bunny"])
def test_a_refused_token_is_named_but_never_shown(apis, settings, committed, caplog, kind):
    settings.BROADSHEET_EDGE = [edge_url(apis, kind)]
    # The worst case: an API that repeats the token it was given in its error.
    apis[kind].answer = (403, f'{{"msg": "bad token {TOKEN}"}}'.encode())
    committed(lambda: purge(stories([3])))
    row = PendingPurge.objects.get()
    assert "403" in row.last_error and "token" in row.last_error
    assert TOKEN not in row.last_error and TOKEN not in caplog.text
    with pytest.raises(CommandError):
        call_command("edge", "check", stdout=(out := _Out()))
    assert "FAILED" in out.text and TOKEN not in out.text


def test_a_missing_token_or_a_token_in_the_address_fails_at_check(apis, settings):
    settings.BROADSHEET_FASTLY_TOKEN = ""
    settings.BROADSHEET_EDGE = [edge_url(apis, "fastly"), f"cloudflare://{TOKEN}@zone"]
    with pytest.raises(CommandError, match="2 of 2"):
        call_command("edge", "check", stdout=(out := _Out()))
    assert "BROADSHEET_FASTLY_TOKEN is not set" in out.text
    assert "not in the address" in out.text
    assert apis["fastly"].received == [] and apis["cloudflare"].received == []


def test_check_purges_a_test_tag_everywhere_and_reports_each_answer(apis, settings):
    settings.BROADSHEET_EDGE = [edge_url(apis, k) for k in ("fastly", "cloudflare", "bunny")]
    call_command("edge", "check", stdout=(out := _Out()))
    lines = out.text.splitlines()
    assert len(lines) == 3 and all("purge accepted: 1 " in line for line in lines)
    assert apis["fastly"].received[0][2]["Surrogate-Key"] == "broadsheet-edge-check"
    assert json.loads(apis["cloudflare"].received[0][3]) == {"tags": ["broadsheet-edge-check"]}
    assert json.loads(apis["bunny"].received[0][3]) == {"CacheTag": "broadsheet-edge-check"}


def test_an_api_that_does_not_answer_times_out(apis, settings, monkeypatch):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # connections are taken by the kernel and never answered
    settings.BROADSHEET_FASTLY_API = f"http://127.0.0.1:{silent.getsockname()[1]}"
    monkeypatch.setattr(cdn, "TIMEOUT_SECONDS", 0.3)
    started = time.monotonic()
    with pytest.raises(EdgeError, match="timed out"):
        backend_for(edge_url(apis, "fastly")).purge(["t"])
    assert time.monotonic() - started < 3
    silent.close()


class _Out:
    def __init__(self):
        self.text = ""

    def write(self, s):
        self.text += s

    def flush(self):
        pass


# --- purge by address --------------------------------------------------------------------

def purged(apis) -> list[tuple[str, str]]:
    return [(h["Host"], p) for m, p, h, _ in apis["purge-url"].received if m == "PURGE"]


def test_a_cache_without_tags_gets_the_addresses_that_showed_the_story(
        apis, settings, client, world, make_section, make_story, committed):
    story, elsewhere = make_story(world, "First"), make_story(make_section("Sport"), "Other")
    settings.BROADSHEET_EDGE = [edge_url(apis, "purge-url")]
    for page in (story, elsewhere):
        # A first render may purge too (the site icon, made on demand): sent, and forgotten.
        assert committed(lambda p=page: client.get(p.url + "?page=1")).status_code == 200
    apis["purge-url"].received.clear()
    committed(lambda: purge(stories([story.pk])))
    # Named by the public address, as the cache in front was asked for them.
    assert purged(apis) == [("127.0.0.1:8000", story.url + "?page=1")]
    assert PendingPurge.objects.count() == 0
    # The address stays known: the cache may fetch it again from Broadsheet's page store,
    # which records nothing, and a later change must still reach it.
    committed(lambda: purge(stories([story.pk])))
    assert purged(apis)[-1] == ("127.0.0.1:8000", story.url + "?page=1")
    apis["purge-url"].received.clear()
    committed(purge_everything)
    assert sorted(purged(apis)) == sorted(
        ("127.0.0.1:8000", p.url + "?page=1") for p in (story, elsewhere))


def test_a_render_overtaken_by_a_purge_is_not_kept_by_the_cache(apis, settings):
    settings.BROADSHEET_EDGE = [edge_url(apis, "purge-url")]

    def render(request):
        request.pagecache_tags = {"page:9"}
        urls.urls_for(["page:9"])  # a purge reads the index while the page renders
        from django.http import HttpResponse

        response = HttpResponse("old")
        response["Cache-Control"] = "public, max-age=30, s-maxage=3600"
        return response

    response = urls.RememberURLs(render)(RequestFactory().get("/news/nine/"))
    assert response["Cache-Control"] == "private, no-store"
    assert urls.urls_for(["page:9"]) == ["http://testserver/news/nine/"]  # for the next one


def test_addresses_no_cache_can_still_hold_are_forgotten(apis, settings):
    urls.remember("http://news.example.org/old/", ["page:1"])
    urls.remember("http://news.example.org/new/", ["page:1"])
    [old] = [e.path for e in os.scandir(urls.root() / "tags" / "page%3A1")
             if Path(e.path).read_text().endswith("/old/")]
    gone = time.time() - urls.keep_seconds() - 1
    os.utime(old, (gone, gone))
    assert urls.urls_for(["page:1"]) == ["http://news.example.org/new/"]
    assert not os.path.exists(old)


def test_a_cache_without_tags_is_checked_with_a_test_address(apis, settings):
    settings.BROADSHEET_EDGE = [edge_url(apis, "purge-url")]
    apis["purge-url"].answer = (404, b"")  # nginx's cache purge: not cached here
    call_command("edge", "check", stdout=(out := _Out()))
    assert "purge accepted: 1 addresses purged (404)" in out.text
    assert purged(apis) == [("127.0.0.1:8000", "/_/edge-check/broadsheet-edge-check")]
    apis["purge-url"].answer = (405, b"PURGE not allowed")
    with pytest.raises(CommandError):
        call_command("edge", "check", stdout=(out := _Out()))
    assert "405 PURGE not allowed" in out.text
