"""Every page says what it is in one meta description, for search results and link previews:
the home page its tagline, a section its intro, a story its summary, the rest a fitting line."""

import re
from html import unescape

import pytest

from broadsheet.masthead.models import Masthead
from broadsheet.people.models import Author


def descriptions(html: str) -> list[str]:
    head = html[:html.index("</head>")]
    return [unescape(d) for d in re.findall(r'<meta name="description" content="([^"]*)">', head)]


@pytest.fixture
def newsroom(home, world, make_section, make_story):
    site = home.get_site()
    site.site_name = "The Riverton Courier"
    site.save()
    masthead = Masthead.for_site(site)
    masthead.tagline = "News from the Calder Valley & beyond"
    masthead.save()
    world.intro = "Stories from every continent, told from here."
    world.save_revision().publish()
    sport = make_section("Sport")  # no intro
    story = make_story(world, "Bridge reopens", dek="The old bridge is open again.",
                       tags=["Bridges"])
    summarised = make_story(sport, "Cup final", dek="A dek", summary="A summary of the final.")
    author = Author.objects.create(name="Imogen Reyes", bio="Writes about rivers and bridges.")
    Author.objects.create(name="Sam Lee")  # no bio
    from broadsheet.masthead.models import StandardPage

    about = home.add_child(instance=StandardPage(title="About us", slug="about"))
    about.save_revision().publish()
    return {"world": world, "sport": sport, "story": story, "summarised": summarised,
            "author": author}


def test_each_page_has_one_fitting_description(client, newsroom):
    expected = {
        "/": "News from the Calder Valley & beyond",
        newsroom["world"].url: "Stories from every continent, told from here.",
        newsroom["sport"].url: "The latest Sport stories from The Riverton Courier.",
        newsroom["story"].url: "The old bridge is open again.",
        newsroom["summarised"].url: "A summary of the final.",
        "/search/": "Search every story published by The Riverton Courier.",
        "/search/?q=bridge": "Search every story published by The Riverton Courier.",
        newsroom["author"].get_absolute_url(): "Writes about rivers and bridges.",
        Author.objects.get(name="Sam Lee").get_absolute_url():
            "Stories by Sam Lee for The Riverton Courier.",
        "/topics/bridges/": "Stories about Bridges from The Riverton Courier.",
        "/discussed/": "The stories readers of The Riverton Courier are commenting on most "
                       "in the last 24 hours.",
        "/about/": "News from the Calder Valley & beyond",
    }
    for url, description in expected.items():
        html = client.get(url).content.decode()
        assert descriptions(html) == [description], url
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert descriptions(missing.content.decode()) == ["News from the Calder Valley & beyond"]


def test_an_editors_search_description_comes_first(client, newsroom, home):
    story = newsroom["story"]
    story.search_description = "Written for search engines."
    story.save_revision().publish()
    assert descriptions(client.get(story.url).content.decode()) == [
        "Written for search engines."]


def test_without_a_tagline_the_home_page_names_the_site(client, newsroom, home):
    masthead = Masthead.for_site(home.get_site())
    masthead.tagline = ""
    masthead.save()
    assert descriptions(client.get("/").content.decode()) == [
        "News from The Riverton Courier."]
