"""`broadsheet serve` for real: a fresh data directory, granian on loopback, two workers.

Proves the embedded default publishes scheduled stories on time with no crontab, serves
static files with long cache lifetimes, and answers repeat page requests from the page cache.
"""

from __future__ import annotations

import http.client
import subprocess
import time
from urllib.parse import urlsplit

import pytest

from tests.serving import BIN, free_port, get, prepared_site, shell, start_server, stop_server

SCHEDULE = """
from datetime import timedelta
from django.utils import timezone
from broadsheet.frontpage.models import HomePage
from broadsheet.sections.models import SectionPage
from broadsheet.articles.models import ArticlePage
home = HomePage.objects.get()
section = home.add_child(instance=SectionPage(title="Local", slug="local"))
section.save_revision().publish()
story = section.add_child(instance=ArticlePage(title="On the dot", slug="on-the-dot",
                                               live=False))
# Far enough ahead that a loaded machine still sees it scheduled first, near enough to wait.
story.go_live_at = timezone.now() + timedelta(seconds=6)
story.save_revision().publish()
print(story.pk)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    env = prepared_site(tmp_path_factory.mktemp("data"), port)
    proc = start_server(env, port, probe="/")
    yield f"http://127.0.0.1:{port}", env
    stop_server(proc)


def test_front_page_and_static_files(server):
    base, _ = server
    status, _, body = get(base + "/")
    assert status == 200
    css = body.decode().split('href="/static/')[1].split('"')[0]
    status, headers, _ = get(f"{base}/static/{css}")
    assert status == 200
    assert "max-age=31536000" in headers.get("cache-control", headers.get("Cache-Control", ""))


def test_repeat_requests_come_from_the_page_cache(server):
    base, _ = server
    first = get(base + "/")
    second = get(base + "/")
    assert second[2] == first[2]
    assert header(second, "x-page-cache") == "hit"


def test_a_session_in_a_second_cookie_header_is_never_given_a_cached_page(server):
    """A hit is looked up from the request's headers before Django sees them: a session
    cookie in a second Cookie header (the environ joins repeated headers) still means a
    signed-in reader, who never gets a shared page."""
    base, _ = server
    get(base + "/")
    assert header(get(base + "/"), "x-page-cache") == "hit"
    address = urlsplit(base)

    def with_cookies(*cookies: str):
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        connection.putrequest("GET", "/")
        for cookie in cookies:
            connection.putheader("Cookie", cookie)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.getheader("X-Page-Cache")

    assert with_cookies("theme=dark") == "hit"
    assert with_cookies("theme=dark", "sessionid=not-a-real-session") != "hit"


def header(response, name: str) -> str | None:
    return {k.lower(): v for k, v in response[1].items()}.get(name)


def test_scheduled_story_goes_live_on_time_without_cron(server):
    base, env = server
    out = subprocess.run([BIN, "shell", "-c", SCHEDULE], env=env, check=True,
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.split()[-1].isdigit()
    assert get(base + "/local/on-the-dot/")[0] == 404
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if get(base + "/local/on-the-dot/")[0] == 200:
            break
        time.sleep(0.25)
    else:
        pytest.fail("the scheduled story did not go live")
    # And it is on the (previously cached) front page too: the scheduler's publish purged it.
    assert b"On the dot" in get(base + "/")[2]


PUBLISH = """
from broadsheet.frontpage.models import HomePage
from broadsheet.sections.models import SectionPage
from broadsheet.articles.models import ArticlePage
section = SectionPage.objects.get(slug="local")
story = section.add_child(instance=ArticlePage(title="Counted story", slug="counted"))
story.save_revision().publish()
"""
COUNT = """
from broadsheet.readership.folding import fold
from broadsheet.readership.models import PageView
fold()  # what the server's scheduler does every second; acknowledged views are journalled
print("views", PageView.objects.filter(page__slug="counted").count())
"""
READER_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/130.0 Safari/537.36 {}")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.mark.browser
def test_views_of_cached_pages_are_counted_once_per_reader(server, browser):
    """Readers get the page from the page cache; their browsers still report the view."""
    base, env = server
    # The scheduling test above creates the section; make sure it exists either way.
    shell(env, "from broadsheet.sections.models import SectionPage\n"
               "from broadsheet.frontpage.models import HomePage\n"
               "h = HomePage.objects.get()\n"
               "SectionPage.objects.filter(slug='local').exists() or "
               "h.add_child(instance=SectionPage(title='Local', slug='local'))"
               ".save_revision().publish()\n")
    shell(env, PUBLISH)
    url = base + "/local/counted/"
    get(url)  # fills the page cache: every visit below is a cache hit
    assert {k.lower(): v for k, v in get(url)[1].items()}["x-page-cache"] == "hit"

    # The test process's one browser: a second Playwright would refuse to start beside it.
    for ua in (READER_UA.format("A"), READER_UA.format("B"), READER_UA.format("A"),
               GOOGLEBOT):
        context = browser.new_context(user_agent=ua)
        page = context.new_page()
        with page.expect_response("**/_/view"):
            page.goto(url)
        context.close()
    # Reader A twice (a reload) and B once count as two; the crawler not at all.
    assert shell(env, COUNT).split()[-1] == "2"


WSGI_ELSEWHERE = """
from wsgiref.util import setup_testing_defaults
from broadsheet.wsgi import application
environ = {"PATH_INFO": "/robots.txt", "HTTP_HOST": "127.0.0.1"}
setup_testing_defaults(environ)
status = []
body = b"".join(application(environ, lambda s, h, e=None: status.append(s)))
print(status[0], body.count(b"Sitemap"))
"""


def test_the_wsgi_entry_point_loads_in_a_fresh_process(server):
    """Another WSGI server (gunicorn, uWSGI) imports broadsheet.wsgi in a process where
    Django is not set up yet; `broadsheet serve` never did, so this went unnoticed."""
    import sys

    _, env = server
    out = subprocess.run([sys.executable, "-c", WSGI_ELSEWHERE], env=env, check=True,
                         capture_output=True, text=True, timeout=60).stdout
    assert out.split()[-3:] == ["200", "OK", "1"]
