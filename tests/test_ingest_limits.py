"""Bounded input: a file over the size limit is refused unread, a story body over the item
limit before it is processed; both name the file (and item), the size and the limit."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import Page

from broadsheet.articles.models import ArticlePage
from tests.conftest import ROOT
from tests.testdata import DATA, NINJS, SEED

NEWSML = NINJS / "examples" / "NewsML" / "businesswire-newsml-20130605006126.xml"
FILES = {"ninjs": SEED / "article.ninjs.json", "newsml": NEWSML, "feed": DATA / "feed.rss",
         "wxr": DATA / "wxr" / "64-block-test-data.xml"}


def run_import(*paths, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *map(str, paths), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def refusal(path, **options) -> str:
    pages = Page.objects.count()
    with pytest.raises(CommandError) as error:
        run_import(path, **options)
    assert Page.objects.count() == pages
    return str(error.value)


@pytest.fixture
def limits(settings):
    def set_limits(**values):
        settings.BROADSHEET_INGEST = {**settings.BROADSHEET_INGEST, **values}
    return set_limits


@pytest.mark.parametrize("kind", FILES)
def test_a_file_over_the_limit_is_refused_unread(home, limits, kind):
    path = FILES[kind]
    limits(MAX_FILE_BYTES=1000)
    message = refusal(path, section="News")
    actual = path.stat().st_size
    assert f"{path}: the file is {actual / 1024:.1f} KB, more than the limit of 1000 bytes " \
           "(raise BROADSHEET_IMPORT_MAX_FILE_BYTES to allow it)" in message
    limits(MAX_FILE_BYTES=actual)
    run_import(path, section="News")  # exactly at the limit: read
    assert ArticlePage.objects.exists()


def test_a_pipe_is_cut_off_at_the_limit(tmp_path, home, limits):
    # A pipe has no size to look at before reading: the bounded read is what stops it.
    limits(MAX_FILE_BYTES=100_000)
    fifo = tmp_path / "wire.json"
    os.mkfifo(fifo)

    def send():
        try:
            with open(fifo, "wb") as pipe:
                pipe.write(b"[" + b'"padding", ' * 50_000 + b"1]")
        except BrokenPipeError:
            pass  # the reader stopped listening at the limit, as it should

    sender = threading.Thread(target=send)
    sender.start()
    message = refusal(fifo, format="ninjs")
    sender.join(timeout=10)
    assert f"{fifo}: the file goes on past the limit of 97.7 KB (raise " \
           "BROADSHEET_IMPORT_MAX_FILE_BYTES to allow it)" in message


def big_body(kind: str, tmp_path, size: int):
    text = "word " * (size // 5)
    if kind == "ninjs":
        item = json.loads((SEED / "article.ninjs.json").read_text())
        item["bodies"] = [{"role": "text", "contentType": "text/plain", "value": text}]
        content = json.dumps(item)
        where = f"{tmp_path / 'big'}: $.bodies[0].value: the text is"
    elif kind == "newsml":
        content = NEWSML.read_text()
        at = content.index("<p>", content.index('<Role FormalName="Body"/>'))
        content = content[:at] + f"<p>{text}" + content[at + 3:]
        where = f"{tmp_path / 'big'}: the story body is"
    elif kind == "feed":
        content = (DATA / "feed.rss").read_text().replace("The old bridge", text, 1)
        where = f"{tmp_path / 'big'} entry 1: the story body is"
    else:
        content = FILES["wxr"].read_text().replace("<![CDATA[<!-- wp:", f"<![CDATA[{text}", 1)
        where = f"{tmp_path / 'big'} post "
    path = tmp_path / "big"
    path.write_text(content)
    return path, where


@pytest.mark.parametrize("kind", FILES)
def test_a_story_body_over_the_limit_is_refused_naming_the_item(tmp_path, home, limits, kind):
    limits(MAX_ITEM_BYTES=20_000)
    path, where = big_body(kind, tmp_path, 100_000)
    message = refusal(path, section="News", format=kind)
    assert where in message
    assert "more than the limit of 19.5 KB (raise BROADSHEET_IMPORT_MAX_ITEM_BYTES" in message


def test_a_body_counts_in_bytes_not_characters(tmp_path, home, limits):
    limits(MAX_ITEM_BYTES=20_000)
    path = tmp_path / "wide.json"
    item = json.loads((SEED / "article.ninjs.json").read_text())
    item["bodies"] = [{"role": "text", "contentType": "text/plain", "value": "é" * 12_000}]
    path.write_text(json.dumps(item))
    assert "the text is 23.4 KB" in refusal(path)  # 12,000 characters, 24,000 bytes


def test_the_default_item_limit_refuses_a_huge_body(tmp_path, home):
    path, where = big_body("ninjs", tmp_path, 3 * 1024 * 1024)
    message = refusal(path)
    assert where in message and "the limit of 2.0 MB" in message


def settings_in_a_process(**environ) -> subprocess.CompletedProcess:
    code = ("import django; django.setup(); from django.conf import settings; "
            "i = settings.BROADSHEET_INGEST; print(i['MAX_FILE_BYTES'], i['MAX_ITEM_BYTES'])")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "broadsheet.settings.test", **environ}
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def test_limits_come_from_the_environment():
    assert settings_in_a_process().stdout.split() == [str(200 * 1024 * 1024),
                                                      str(2 * 1024 * 1024)]
    found = settings_in_a_process(BROADSHEET_IMPORT_MAX_FILE_BYTES="5000",
                                  BROADSHEET_IMPORT_MAX_ITEM_BYTES="700")
    assert found.stdout.split() == ["5000", "700"]
    bad = settings_in_a_process(BROADSHEET_IMPORT_MAX_ITEM_BYTES="2MB")
    assert bad.returncode != 0 and "BROADSHEET_IMPORT_MAX_ITEM_BYTES='2MB'" in bad.stderr


def test_a_feed_url_is_read_no_further_than_the_limit(tmp_path, home, limits):
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    (tmp_path / "feed.rss").write_bytes((DATA / "feed.rss").read_bytes())
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/feed.rss"
    try:
        limits(MAX_FILE_BYTES=1000)
        message = refusal(url)
        assert f"{url}: the file is 1.1 KB, more than the limit of 1000 bytes" in message
        limits(MAX_FILE_BYTES=200 * 1024 * 1024)
        run_import(url)
    finally:
        server.shutdown()
    assert ArticlePage.objects.count() == 2
