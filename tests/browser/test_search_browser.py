"""A reader searches from the header box and gets the stories, with the words marked."""

import pytest

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_reader_searches_from_the_header(live_server, reader_page, make_section, make_story):
    science = make_section("Science")
    make_story(science, "Otters return to the upper river",
               body=[("paragraph", "<p>The otters were filmed near the weir.</p>")])
    make_story(science, "Bridge repairs finish early")
    page = reader_page(javascript=False)  # a plain form: works without JavaScript
    page.goto(live_server.url + "/")
    page.get_by_role("searchbox", name="Search stories").fill("otters")
    page.get_by_role("search").first.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    results = page.locator(".search-results li")
    assert results.count() == 1
    assert results.first.get_by_role("link").inner_text() == "Otters return to the upper river"
    marks = results.first.locator("mark").all_inner_texts()
    assert "Otters" in marks and "otters" in marks
