"""Hot pages cost a fixed, small number of queries, whatever the size of the newsroom."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from broadsheet.articles.models import Byline, Correction
from broadsheet.comments.models import Comment
from broadsheet.frontpage.models import Spotlight, SpotlightPick
from broadsheet.pagecache import store
from broadsheet.people.models import Author
from broadsheet.readership.folding import rebuild_counts
from broadsheet.readership.models import PageView

ARTICLE_MAX, HOME_MAX, SECTION_MAX = 15, 16, 12
ARTICLE_SIGNED_IN_MAX = 5


def grow(home, sections, make_story, reader, stories_per_section, comments):
    """A newsroom with every widget filled."""
    authors = [Author.objects.create(name=f"Writer {i}") for i in range(2)]
    stories = []
    for section in sections:
        for _ in range(stories_per_section):
            story = make_story(section, tags=["Rivers", "Weather"])
            Byline.objects.create(page=story, author=authors[0])
            Byline.objects.create(page=story, author=authors[1])
            Correction.objects.create(page=story, text="A date was wrong.")
            stories.append(story)
    spotlight = Spotlight.for_site(home.get_site())
    for story in stories[:4]:
        SpotlightPick.objects.create(spotlight=spotlight, story=story)
    PageView.objects.bulk_create([
        PageView(page_id=s.pk, visitor=f"{i:032x}", viewed_at=timezone.now())
        for n, s in enumerate(stories[:8]) for i in range(n + 1)])
    rebuild_counts()  # Popular reads the folded counts
    lead = stories[0]
    Comment.objects.bulk_create([Comment(story=lead, author=reader, body=f"c{i}")
                                 for i in range(comments)])
    return lead


def count_queries(client, url, *, fragments_kept: bool = False):
    """Queries of one render, by default the first after a purge: every fragment of the
    page (pagecache/fragments.py) and the site lookup worked out afresh."""
    client.get(url)  # warm the shared cache (navigation, Popular), as a running site has it
    if not fragments_kept:
        store.purge_all()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


@pytest.fixture
def newsroom(home, make_section, make_story, reader):
    def build(stories_per_section, comments):
        sections = [make_section(name) for name in ("World", "Science", "Sport")]
        lead = grow(home, sections, make_story, reader, stories_per_section, comments)
        return lead, sections[0]
    return build


@pytest.mark.parametrize("size", [(2, 3), (12, 40)], ids=["small", "larger"])
def test_query_budgets(client, home, newsroom, size):
    lead, section = newsroom(*size)
    assert count_queries(client, lead.url) <= ARTICLE_MAX
    assert count_queries(client, home.url) <= HOME_MAX
    assert count_queries(client, section.url) <= SECTION_MAX


def test_a_story_from_its_fragments_costs_its_route_and_masthead(client, home, newsroom,
                                                                 django_user_model):
    """Everyone the page cache does not serve gets the story from fragments: anonymous, two
    queries (the story's route, the masthead); a signed-in reader adds their session, their
    user, their name and whether the thread has anything of theirs."""
    lead, _ = newsroom(2, 3)
    client.get(lead.url)
    assert count_queries(client, lead.url, fragments_kept=True) <= 2
    client.force_login(django_user_model.objects.create_user(
        username="newcomer@example.org", email="newcomer@example.org"))
    assert count_queries(client, lead.url, fragments_kept=True) <= ARTICLE_SIGNED_IN_MAX


def test_counts_do_not_grow_with_stories_or_comments(client, home, newsroom, make_story,
                                                     reader):
    lead, section = newsroom(2, 3)
    before = [count_queries(client, u) for u in (lead.url, home.url, section.url)]
    for _ in range(15):
        make_story(section)
    Comment.objects.bulk_create([Comment(story=lead, author=reader, body=f"more {i}")
                                 for i in range(50)])
    after = [count_queries(client, u) for u in (lead.url, home.url, section.url)]
    assert after == before


def test_links_read_the_site_root_paths_once_a_request(client, home, newsroom, monkeypatch):
    """Every teaser's URL needs Wagtail's site root paths from the shared cache; a page of
    links fetches them once, not once a link (a Redis round trip each in production)."""
    from django.core.cache import cache

    lead, section = newsroom(12, 3)
    fetched = []
    real_get = cache.get

    def get(key, *args, **kwargs):
        if key == "wagtail_site_root_paths":
            fetched.append(key)
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", get)
    for url in (lead.url, home.url, section.url, "/search/?q=story"):
        fetched.clear()
        response = client.get(url)
        assert response.status_code == 200 and response.content.count(b"<a href=") > 10, url
        assert len(fetched) <= 1, (url, len(fetched))


def test_share_images_and_wire_pictures_stay_in_budget(client, home, newsroom, make_story,
                                                      wire_server, tmp_path):
    """A story without a picture shares its section's or the site's image at no cost (those
    are remembered by id); showing a wire picture from the wire's server costs one query."""
    import io
    import json

    from django.core.management import call_command
    from wagtail.models import Site

    from broadsheet.articles.models import ArticlePage
    from broadsheet.masthead.models import Masthead
    from tests.picture_server import library_picture, seed_article_with_picture

    lead, section = newsroom(2, 3)
    section.share_image = library_picture("World desk")
    section.save_revision().publish()
    masthead = Masthead.for_site(Site.objects.get(is_default_site=True))
    masthead.default_share_image = library_picture("Site default")
    masthead.save()
    with_picture = make_story(section, hero_image=library_picture("Own"), hero_alt="Own")
    without = make_story(section)
    path = tmp_path / "article.json"
    path.write_text(json.dumps(seed_article_with_picture(wire_server(refuse=100))))
    call_command("import", str(path), "--section", "World", stdout=io.StringIO(),
                 stderr=io.StringIO())
    waiting = ArticlePage.objects.get(source_uri__startswith="urn:broadsheet:seed:")
    own = count_queries(client, with_picture.url)
    assert count_queries(client, without.url) <= own
    assert count_queries(client, home.url) <= HOME_MAX
    assert count_queries(client, section.url) <= SECTION_MAX
    masthead.hotlink_wire_pictures = True
    masthead.save()
    assert count_queries(client, waiting.url) <= own + 1 <= ARTICLE_MAX
    assert b'class="hero"' in client.get(waiting.url).content
