"""The seed's page, as a reader sees it in Chromium: imported from the two seed ninjs files."""

import json

import pytest
from django.core.management import call_command

from tests.browser.conftest import sign_in
from tests.testdata import SEED

# Live-server tests commit for real and the database is flushed after each; serialized
# rollback restores the migrated initial data (root page, collection, site, groups).
pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def seed_paragraphs() -> list[str]:
    article = json.loads((SEED / "article.ninjs.json").read_text())
    text = next(b["value"] for b in article["bodies"] if b["contentType"] == "text/plain")
    return [p.strip() for p in text.split("\n\n") if p.strip()]


@pytest.fixture
def seeded(live_server, transactional_db):
    from broadsheet.frontpage.setup import ensure_home

    ensure_home()
    call_command("import", str(SEED / "related.ninjs.json"), str(SEED / "article.ninjs.json"),
                 stdout=open("/dev/null", "w"))  # noqa: SIM115
    from broadsheet.articles.models import ArticlePage

    article = ArticlePage.objects.get(source_uri="urn:broadsheet:seed:blinken-presses-iraq")
    return f"{live_server.url}{article.url}"


def check_seed_page(page) -> None:
    article = json.loads((SEED / "article.ninjs.json").read_text())
    related = json.loads((SEED / "related.ninjs.json").read_text())
    headline = next(h["value"] for h in article["headlines"] if h["role"] == "main")
    dek = next(h["value"] for h in article["headlines"] if h["role"] == "sub")

    assert page.locator("h1").inner_text() == headline
    assert page.locator(".dek").inner_text() == dek
    paragraphs = page.locator(".story-body p").all_inner_texts()
    assert paragraphs == seed_paragraphs()
    assert len(paragraphs) == 10
    for heading in ("Popular", "Spotlight", "More from World", "Comments"):
        region = page.get_by_role("region", name=heading)
        assert region.count() == 1, heading
        assert region.get_by_role("heading", name=heading).is_visible()
    more = page.get_by_role("region", name="More from World")
    related_headline = next(h["value"] for h in related["headlines"] if h["role"] == "main")
    related_summary = next(d["value"] for d in related["descriptions"]
                           if d["role"] == "summary")
    assert more.get_by_role("link", name=related_headline).is_visible()
    assert related_summary in more.inner_text()
    # The call to join the talk belongs to the Comments block, as on the seed.
    comments = page.get_by_role("region", name="Comments")
    discussing = comments.get_by_role("link", name="See what people are discussing")
    assert discussing.is_visible()
    # Top to bottom as the seed reads (one column at this width).
    seed_order = [page.locator("h1"), page.locator(".dek"), page.locator(".story-body p").first,
                  page.locator(".story-body p").last,
                  *(page.get_by_role("heading", name=h) for h in
                    ("Popular", "Spotlight", "More from World", "Comments")), discussing]
    tops = [item.bounding_box()["y"] for item in seed_order]
    assert tops == sorted(tops), tops


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_seed_page_as_a_reader_sees_it(seeded, reader_page, verified_reader, live_server,
                                       javascript):
    page = reader_page(javascript=javascript)
    page.goto(seeded)
    check_seed_page(page)

    sign_in(page, live_server.url, "ada@example.org", "correct-horse-battery-9")
    page.goto(seeded)
    comment = f"Posted from Chromium with javascript={javascript} <b>not bold</b>"
    page.get_by_label("Your comment").fill(comment)
    page.get_by_role("button", name="Post comment").click()
    page.wait_for_load_state()
    comments = page.get_by_role("region", name="Comments")
    assert comment in comments.inner_text()
    assert comments.locator("b").count() == 0
