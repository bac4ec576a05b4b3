"""The reader-facing pages besides the story: home, sections, authors, topics, errors."""

import pytest

from broadsheet.articles.models import Byline
from broadsheet.people.models import Author


def test_home_has_lead_top_stories_section_blocks_and_popular(client, home, make_section,
                                                               make_story):
    world, science = make_section("World"), make_section("Science")
    stories = [make_story(s, f"{s.title} story {i}") for s in (world, science) for i in range(5)]
    html = client.get(home.url).content.decode()
    lead = stories[-1]  # newest
    assert html.index(lead.title) < html.index("Top stories")
    for heading in ("Top stories", "Popular", ">World<", ">Science<"):
        assert heading in html
    assert f'href="{world.url}"' in html


def test_section_pages_paginate_and_include_subsections(client, make_section, make_story):
    world = make_section("World")
    europe = make_section("Europe", parent=world)
    for i in range(22):
        make_story(world, f"World story {i:02d}")
    make_story(europe, "Europe story")
    first = client.get(world.url).content.decode()
    assert "Europe story" in first  # subsection stories are the section's too
    assert 'rel="next"' in first and "Page 1 of 2" in first
    second = client.get(world.url + "?page=2").content.decode()
    assert "World story 00" in second
    assert client.get(europe.url).status_code == 200
    assert client.get("/world/europe/").status_code == 200


def test_story_url_is_section_slash_slug(world, make_story):
    story = make_story(world)
    assert story.url == f"/world/{story.slug}/"


def test_author_page_lists_their_published_stories(client, world, make_story):
    author = Author.objects.create(name="Imogen Reyes", role="Rivers correspondent",
                                   bio="Writes about water.")
    mine = make_story(world, "By Imogen")
    Byline.objects.create(page=mine, author=author)
    draft = make_story(world, "Unpublished by Imogen", publish=False)
    Byline.objects.create(page=draft, author=author)
    html = client.get("/authors/imogen-reyes/").content.decode()
    assert "Rivers correspondent" in html and "By Imogen" in html
    assert "Unpublished by Imogen" not in html
    story_html = client.get(mine.url).content.decode()
    assert 'href="/authors/imogen-reyes/"' in story_html
    assert client.get("/authors/nobody/").status_code == 404


def test_topic_page_lists_tagged_stories(client, world, make_story):
    make_story(world, "Tagged story", tags=["Flood defences"])
    make_story(world, "Untagged story")
    html = client.get("/topics/flood-defences/").content.decode()
    assert "Tagged story" in html and "Untagged story" not in html
    assert client.get("/topics/nothing-here/").status_code == 404


def test_story_shows_times_corrections_and_byline(client, world, make_story):
    from broadsheet.articles.models import Correction

    story = make_story(world, byline="Wire services", dateline="RIVERTON")
    Correction.objects.create(page=story, text="An earlier version misspelt the bridge.")
    html = client.get(story.url).content.decode()
    assert "By Wire services" in html and "RIVERTON" in html
    assert "An earlier version misspelt the bridge." in html
    assert '<time datetime="' in html


@pytest.mark.parametrize("path", ["/no-such-page/", "/world/no-such-story/"])
def test_friendly_404(client, world, path):
    response = client.get(path)
    assert response.status_code == 404
    html = response.content.decode()
    assert "We can't find that page" in html and 'href="/"' in html


def test_friendly_500(client, settings, monkeypatch, world, make_story):
    story = make_story(world)
    client.raise_request_exception = False

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("broadsheet.pages.story.bylines", explode)
    response = client.get(story.url)
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_strict_csp_on_public_pages(client, world, make_story):
    story = make_story(world)
    csp = client.get(story.url)["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    html = client.get(story.url).content.decode()
    assert "<style" not in html and " style=" not in html
    assert "<script>" not in html


def test_only_approved_embed_providers(settings):
    from wagtail.embeds.finders import get_finders

    accepted = [url for url in ("https://www.youtube.com/watch?v=abc", "https://vimeo.com/1",
                                "https://www.tiktok.com/@x/video/1",
                                "https://evil.example/player")
                if any(f.accept(url) for f in get_finders())]
    assert accepted == ["https://www.youtube.com/watch?v=abc", "https://vimeo.com/1"]


def test_paginated_listings_are_noindex(client, make_section, make_story):
    world = make_section("World")
    for i in range(21):
        make_story(world, f"World story {i}")
    first = client.get(world.url).content.decode()
    second = client.get(world.url + "?page=2").content.decode()
    assert 'name="robots"' not in first and 'rel="canonical"' in first
    assert '<meta name="robots" content="noindex, follow">' in second
