"""Every public page type passes axe-core (WCAG 2.2 AA) in Chromium, the Nu HTML Checker, and
runs under the strict Content-Security-Policy without a single violation."""

import io
import json
import subprocess
import urllib.request
from pathlib import Path

import pytest
from django.utils import timezone

from tests.conftest import ROOT

# Live-server tests commit for real and the database is flushed after each; serialized
# rollback restores the migrated initial data (root page, collection, site, groups).
pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                               "wcag22aa", "best-practice"]}}


def _picture(title: str):
    from django.core.files.images import ImageFile
    from PIL import Image as PILImage
    from wagtail.images import get_image_model
    from wagtail.models import Collection

    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    buffer = io.BytesIO()
    PILImage.new("RGB", (1600, 900), (40, 90, 140)).save(buffer, "JPEG")
    return get_image_model().objects.create(
        title=title, file=ImageFile(buffer, name=f"{title}.jpg"))


@pytest.fixture
def newsroom(live_server, transactional_db, make_section, make_story, reader):
    from broadsheet.articles.models import Byline
    from broadsheet.comments.models import Comment
    from broadsheet.frontpage.models import Spotlight, SpotlightPick
    from broadsheet.people.models import Author
    from broadsheet.readership.folding import rebuild_counts
    from broadsheet.readership.models import PageView

    world = make_section("World")
    science = make_section("Science")
    image = _picture("harbour")
    author = Author.objects.create(name="Imogen Reyes", role="Science correspondent",
                                   bio="Writes about rivers.")
    stories = []
    for i, section in enumerate([world, science] * 4):
        story = make_story(section, f"Headline number {i} about the harbour",
                           hero_image=image, hero_alt="A grey harbour wall at dawn",
                           hero_caption="The harbour wall.", hero_credit="Photo: Demo",
                           tags=["Harbour"], body=[
                               ("paragraph", "<p>First paragraph with a <a href='/'>link</a>.</p>"),
                               ("subhead", "A subhead"),
                               ("pull_quote", {"quote": "A quote.", "attribution": "Someone"}),
                               ("list", {"ordered": False, "items": ["One", "Two"]}),
                               ("image", {"image": image, "caption": "Inline", "credit": "Demo",
                                          "alt": "An inline picture"}),
                               ("paragraph", "<p>Last paragraph.</p>")])
        Byline.objects.create(page=story, author=author)
        stories.append(story)
    spotlight = Spotlight.for_site(world.get_site())
    for story in stories[:3]:
        SpotlightPick.objects.create(spotlight=spotlight, story=story)
    PageView.objects.bulk_create([PageView(page_id=s.pk, visitor=f"v{i}", viewed_at=timezone.now())
                                  for i, s in enumerate(stories)])
    rebuild_counts()  # Popular reads the folded counts
    Comment.objects.create(story=stories[0], author=reader, body="A <b>reader</b> comment.")
    from broadsheet.frontpage.models import HomePage
    from broadsheet.masthead.models import StandardPage

    about = HomePage.objects.get().add_child(instance=StandardPage(
        title="About us", slug="about", body=[("paragraph", "<p>Who we are.</p>"),
                                              ("subhead", "Contact"),
                                              ("list", {"ordered": False, "items": ["Mail"]})]))
    about.save_revision().publish()
    lead = stories[0]
    from broadsheet.newsletters import tokens
    from broadsheet.newsletters.models import Newsletter, Subscriber, Subscription

    # Two active newsletters: story and section pages (and the account page) show the
    # sign-up form with its checkboxes.
    briefing = Newsletter.objects.create(name="Morning briefing", slug="morning",
                                         description="The day's stories before nine.")
    Newsletter.objects.create(name="Breaking news", slug="breaking", kind="alert")
    subscriber = Subscriber.objects.create(email="early@example.org",
                                           confirmed_at=timezone.now())
    Subscription.objects.create(subscriber=subscriber, newsletter=briefing)
    return live_server.url, [
        "/newsletters/", f"/newsletters/preferences/{tokens.preferences(subscriber)}/",
        f"/newsletters/unsubscribe/{tokens.unsubscribe(subscriber, briefing)}/",
        "/", world.url, lead.url, author.get_absolute_url(), "/topics/harbour/",
        f"/discussion/{lead.pk}/", "/accounts/login/", "/no-such-page/",
        "/search/?q=harbour", "/privacy/readership/", "/about/",
    ]


# Pages for a signed-in reader, checked with their session.
SIGNED_IN_PATHS = ["/accounts/you/"]


@pytest.fixture
def session_cookie(newsroom, reader):
    """The session cookie of `reader`, signed in."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(reader)
    return settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value


def test_pages_pass_axe_without_csp_violations(newsroom, session_cookie, reader_page):
    from axe_playwright_python.sync_playwright import Axe

    base, paths = newsroom
    axe = Axe()
    problems = {}
    # axe runs as JavaScript in the page, so it checks the JavaScript-on rendering; the pages'
    # markup is the same without it (the beacon script only sends a request).
    page = reader_page(javascript=True)
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text)
            if "Content Security Policy" in m.text else None)
    for path in [*paths, None, *SIGNED_IN_PATHS]:
        if path is None:  # the rest signed in
            name, value = session_cookie
            page.context.add_cookies([{"name": name, "value": value, "url": base}])
            continue
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        results = axe.run(page, options=WCAG)
        if results.violations_count:
            problems[path] = results.generate_report()
    assert csp_errors == [], csp_errors
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_pages_are_valid_html(newsroom, session_cookie, tmp_path):
    if not VNU.exists():
        pytest.skip("vnu.jar missing: run `npm ci` (make test does)")
    base, paths = newsroom
    signed_in = {"Cookie": "=".join(session_cookie)}
    paths = [*paths, *SIGNED_IN_PATHS]
    files = []
    for n, path in enumerate(paths):
        request = urllib.request.Request(
            base + path, headers=signed_in if path in SIGNED_IN_PATHS else {})
        try:
            body = urllib.request.urlopen(request).read()  # noqa: S310
        except urllib.error.HTTPError as exc:  # the 404 page is checked too
            body = exc.read()
        file = tmp_path / f"page{n}.html"
        file.write_bytes(body)
        files.append(file)
    # The newsletter sign-up form is checked where it is: the story, the section, the account.
    with_form = [p for p, f in zip(paths, files, strict=True)
                 if b'class="newsletter-signup"' in f.read_bytes()]
    assert len(with_form) == 3 and SIGNED_IN_PATHS[0] in with_form, with_form
    result = subprocess.run(["java", "-jar", str(VNU), "--format", "json", "--also-check-css",
                             *map(str, files)], capture_output=True, text=True, timeout=120)
    messages = json.loads(result.stderr or "{}").get("messages", [])
    names = {str(f): p for f, p in zip(files, paths, strict=True)}
    errors = [f"{names.get(Path(m['url'].removeprefix('file:')).as_posix(), m['url'])}: "
              f"{m['message']} ({m.get('extract', '')!r})"
              for m in messages if m["type"] in ("error", "non-document-error")
              or m.get("subType") == "warning"]
    assert errors == [], "\n".join(errors)
