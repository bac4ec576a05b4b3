"""The newsletter e-mail itself: valid HTML (Nu checker), axe-clean (WCAG 2.2 AA) in light and
dark colour schemes, readable with its styles stripped, the lead picture described, and
under Gmail's 102 KB clipping limit."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from broadsheet.newsletters import editions, sending
from broadsheet.newsletters.models import Newsletter
from tests.browser.test_quality import VNU, WCAG, _picture

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

# WCAG 2.2 AA in full, without axe's page best practices (one main landmark, all content in
# landmarks): a mail client shows a message inside its own page, where a second <main> would
# be wrong. The message is marked up as an article named by its subject instead.
EMAIL_WCAG = {"runOnly": {"type": "tag", "values": [
    t for t in WCAG["runOnly"]["values"] if t != "best-practice"]}}


@pytest.fixture
def briefing_email(world, make_story, briefing):
    from broadsheet.frontpage.models import Spotlight, SpotlightPick

    picture = _picture("quay")
    stories = [make_story(world, f"Harbour story {i} & its <consequences>",
                          summary=f"What changed at the quay, part {i}.", hero_image=picture,
                          hero_alt="Boats moored along the quay at dusk")
               for i in range(6)]
    spotlight = Spotlight.for_site(world.get_site())
    SpotlightPick.objects.create(spotlight=spotlight, story=stories[0])
    briefing.intro = "Good morning.\n\nA busy day at the harbour."
    edition = editions.build(briefing)
    message = sending.personalise(edition, 1, 1, "reader@example.org")
    return edition, message


def test_the_email_is_valid_accessible_and_small(briefing_email, reader_page, tmp_path):
    edition, message = briefing_email
    html = message.alternatives[0][0]
    assert len(message.message().as_bytes()) < 102 * 1024
    # The lead story's picture, described.
    (img,) = re.findall(r"<img [^>]+>", html)
    assert 'alt="Boats moored along the quay at dusk"' in img
    assert 'src="http://127.0.0.1:8000/media/' in img

    from axe_playwright_python.sync_playwright import Axe

    page = reader_page(javascript=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.set_content(html)
        results = Axe().run(page, options=EMAIL_WCAG)
        assert results.violations_count == 0, results.generate_report()
    # With no CSS at all (clients that drop it), the words and links are all there in order.
    page.set_content(re.sub(r"<style>.*?</style>|style=\"[^\"]*\"", "", html, flags=re.S))
    text = page.inner_text("body")
    assert text.index("Good morning.") < text.index("Harbour story 5") < text.index("Spotlight")
    assert "Unsubscribe from Morning briefing" in text

    if not VNU.exists():
        pytest.skip("vnu.jar missing: run `npm ci` (make test does)")
    file = tmp_path / "email.html"
    file.write_text(html)
    result = subprocess.run(["java", "-jar", str(VNU), "--format", "json", "--also-check-css",
                             str(file)], capture_output=True, text=True, timeout=120)
    problems = [m for m in json.loads(result.stderr or "{}").get("messages", [])
                if m["type"] in ("error", "non-document-error") or m.get("subType") == "warning"]
    assert problems == []


def test_an_alert_email_has_one_story(world, make_story, home):
    alert = Newsletter.objects.create(name="Breaking", slug="breaking", kind="alert")
    story = make_story(world, "The bridge reopens")
    edition = editions.build(alert, story=story)
    assert edition.html.count("<h2") == 1 and "The bridge reopens" in edition.html
