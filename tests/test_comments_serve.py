"""Freshness for real: `broadsheet serve` with its page cache, an anonymous reader holding a
cached copy of the story; a moderator's approval (in another process) reaches that reader
within 2 seconds, and an author sees their own new comment at once."""

from __future__ import annotations

import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.serving import BIN, free_port, get, prepared_site, start_server, stop_server

SCENE = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from broadsheet.frontpage.models import HomePage
from broadsheet.sections.models import SectionPage
from broadsheet.articles.models import ArticlePage
from broadsheet.comments.models import Comment
home = HomePage.objects.get()
section = home.add_child(instance=SectionPage(title="Talk", slug="talk"))
section.save_revision().publish()
story = section.add_child(instance=ArticlePage(title="Talk story", slug="talk-story"))
story.save_revision().publish()
User = get_user_model()
ada = User.objects.create_user(username="ada@example.org", email="ada@example.org",
                               password="a-long-pass-123")
mod = User.objects.create_user(username="mod", email="mod@example.org", password="x-long-9")
mod.groups.add(Group.objects.get(name="Moderators"))
held = Comment.objects.create(story=story, author=ada, body="Held until approved",
                              status="pending")
session = SessionStore()
session[SESSION_KEY] = str(ada.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = ada.get_session_auth_hash()
session.create()
print(story.url, held.pk, session.session_key)
"""
APPROVE = """
from django.contrib.auth import get_user_model
from broadsheet.comments.models import Comment
from broadsheet.comments.moderation import approve_comment
approve_comment(Comment.objects.get(pk={pk}), by=get_user_model().objects.get(username="mod"))
"""


@pytest.fixture(scope="module")
def talk(tmp_path_factory):
    port = free_port()
    env = prepared_site(tmp_path_factory.mktemp("data"), port, BROADSHEET_SCHEDULER="false")
    url, pk, session = subprocess.run([BIN, "shell", "-c", SCENE], env=env, check=True,
                                      capture_output=True, text=True,
                                      timeout=60).stdout.split()[-3:]
    proc = start_server(env, port, probe="/")
    yield {"base": f"http://127.0.0.1:{port}", "env": env, "url": url, "pk": int(pk),
           "session": session}
    stop_server(proc)


def _cache_state(headers) -> str:
    return {k.lower(): v for k, v in headers.items()}.get("x-page-cache", "")


def _until_seen(url: str, text: str, limit: float = 2.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit + 3:
        if text in get(url)[2].decode():
            return time.monotonic() - started
        time.sleep(0.02)
    return float("inf")


def test_approval_reaches_a_cached_anonymous_reader_within_two_seconds(talk):
    page = talk["base"] + talk["url"]
    get(page)
    status, headers, body = get(page)
    assert status == 200 and _cache_state(headers) == "hit"
    assert b"Held until approved" not in body
    subprocess.run([BIN, "shell", "-c", APPROVE.format(pk=talk["pk"])], env=talk["env"],
                   check=True, capture_output=True, timeout=60)
    assert _until_seen(page, "Held until approved") < 2.0


def test_the_author_sees_a_new_comment_at_once_and_everyone_soon(talk):
    page = talk["base"] + talk["url"]
    get(page)
    assert _cache_state(get(page)[1]) == "hit"  # anonymous copy cached
    cookie = f"sessionid={talk['session']}"
    request = urllib.request.Request(page, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310
        html = r.read().decode()
        csrf = re.search(r"csrftoken=([^;]+)", r.headers.get("Set-Cookie", "")).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    story_id = re.search(r'action="/discussion/(\d+)/post/"', html).group(1)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    body = urllib.parse.urlencode({"body": "Straight from the author",
                                   "csrfmiddlewaretoken": token}).encode()
    post = urllib.request.Request(f"{talk['base']}/discussion/{story_id}/post/", data=body,
                                  headers={"Cookie": f"{cookie}; csrftoken={csrf}"})
    try:
        urllib.request.build_opener(NoRedirect).open(post, timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code == 302
    with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310
        assert "Straight from the author" in r.read().decode()  # no wait for the author
    assert _until_seen(page, "Straight from the author") < 2.0
