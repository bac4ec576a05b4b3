"""A wire picture shown from the wire's server loads in Chromium under the strict policy, in
the room kept for it."""

import io
import json

import pytest
from django.core.management import call_command

from tests.picture_server import seed_article_with_picture

# Live-server tests commit for real and the database is flushed after each; serialized
# rollback restores the migrated initial data (root page, collection, site, groups).
pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_hotlinked_picture_loads_without_a_csp_violation(live_server, wire_server,
                                                          reader_page, tmp_path):
    from wagtail.models import Site

    from broadsheet.articles.models import ArticlePage
    from broadsheet.frontpage.setup import ensure_home
    from broadsheet.masthead.models import Masthead

    ensure_home()
    wire = wire_server(refuse=1)
    path = tmp_path / "article.json"
    path.write_text(json.dumps(seed_article_with_picture(wire)))
    call_command("import", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    wire.refuse = 0  # back up by the time a reader comes
    masthead = Masthead.for_site(Site.objects.get(is_default_site=True))
    masthead.hotlink_wire_pictures = True
    masthead.save()
    story = ArticlePage.objects.get()

    page = reader_page(javascript=True)
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.goto(live_server.url + story.url)
    page.wait_for_load_state("networkidle")
    picture = page.locator("figure.hero img")
    loaded = picture.evaluate("img => img.complete && img.naturalWidth > 0 && img.currentSrc")
    box = picture.bounding_box()
    assert csp_errors == [], csp_errors
    assert loaded == wire.url("/wire/blinken-640.jpg")  # the srcset's choice for a phone
    assert abs(box["height"] - box["width"] * 900 / 1600) < 2  # the picture's own shape
    assert wire.requests["/wire/blinken.jpg"] + wire.requests["/wire/blinken-640.jpg"] == 2
