"""Every comment and account page, as a signed-in reader sees it: axe-core (WCAG 2.2 AA) in
Chromium with no CSP violation, and the Nu HTML Checker on the served HTML."""

import json
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from tests.browser.conftest import sign_in
from tests.browser.test_quality import VNU, WCAG

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def pages(live_server, transactional_db, world, make_story, verified_reader,
          django_user_model):
    from broadsheet.comments.models import Comment, ReaderProfile
    from broadsheet.comments.notifications import unsubscribe_url

    story = make_story(world, "Comments everywhere")
    bo = django_user_model.objects.create_user(username="bo@example.org", email="bo@example.org",
                                               password="bo-long-pass-123")
    ReaderProfile.objects.create(user=bo, display_name="Bo")
    top = Comment.objects.create(story=story, author=bo, body="Top https://example.org/a",
                                 featured=True, respect_count=2)
    Comment.objects.create(story=story, author=verified_reader, body="My reply", parent=top,
                           reply_to=top, notify_replies=True)
    mine = Comment.objects.create(story=story, author=verified_reader, body="Mine, editable")
    Comment.objects.create(story=story, author=verified_reader, body="Mine, held",
                           status="pending")
    token_path = unsubscribe_url(mine).split("://", 1)[1].split("/", 1)[1]
    return live_server.url, [
        story.url, f"/discussion/{story.pk}/?sort=reacted", f"/comments/{top.pk}/reply/",
        f"/comments/{mine.pk}/edit/", f"/comments/{mine.pk}/delete/",
        f"/comments/{top.pk}/report/", "/accounts/you/", "/discussed/", f"/{token_path}",
    ]


def test_comment_pages_pass_axe_signed_in(pages, reader_page, live_server):
    from axe_playwright_python.sync_playwright import Axe

    base, paths = pages
    page = reader_page()
    csp = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text
            else None)
    sign_in(page, base, "ada@example.org", "correct-horse-battery-9")
    axe = Axe()
    problems = {}
    for path in paths + ["/accounts/signup/"]:
        if path == "/accounts/signup/":
            page.context.clear_cookies()
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        result = axe.run(page, options=WCAG)
        if result.violations_count:
            problems[path] = result.generate_report()
    assert csp == [], csp
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_comment_pages_are_valid_html(pages, verified_reader, tmp_path):
    if not VNU.exists():
        pytest.skip("vnu.jar missing: run `npm ci` (make test does)")
    _, paths = pages
    client = Client()
    client.force_login(verified_reader)
    files = {}
    for n, path in enumerate(paths + ["/accounts/signup/", "rate-limited"]):
        if path == "/accounts/signup/":
            client.logout()
        if path == "rate-limited":  # the refusal page, with what the reader typed
            client.force_login(verified_reader)
            body = client.post(paths[1].split("?")[0] + "post/", {"body": "x"}).content
        else:
            response = client.get(path)
            assert response.status_code == 200, path
            body = response.content
        file = tmp_path / f"page{n}.html"
        file.write_bytes(body)
        files[str(file)] = path
    result = subprocess.run(["java", "-jar", str(VNU), "--format", "json", *files],
                            capture_output=True, text=True, timeout=120)
    messages = json.loads(result.stderr or "{}").get("messages", [])
    errors = [f"{files.get(Path(m['url'].removeprefix('file:')).as_posix(), m['url'])}: "
              f"{m['message']} ({m.get('extract', '')!r})"
              for m in messages if m["type"] in ("error", "non-document-error")
              or m.get("subType") == "warning"]
    assert errors == [], "\n".join(errors)
