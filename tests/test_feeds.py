"""Feeds and sitemaps, checked by independent parsers: feedparser, an XML parser, the rules
of JSON Feed 1.1 and the sitemap protocol."""

import json
from datetime import datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import pytest
from django.utils import timezone
from jsonschema import Draft202012Validator

from broadsheet.articles.models import Byline, Correction
from broadsheet.people.models import Author

FORMATS = ["rss.xml", "atom.xml", "feed.json"]
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


JSON_FEED_SCHEMA = json.loads((Path(__file__).parent / "schemas" /
                               "jsonfeed-1.1.schema.json").read_text())


class _Entry(dict):
    __getattr__ = dict.get


def parse(response):
    """RSS and Atom through feedparser; JSON Feed (which feedparser 6.0 does not read) through
    the JSON Feed 1.1 rules as a schema, then into the same shape for the checks below."""
    if not response["Content-Type"].startswith("application/feed+json"):
        return feedparser.parse(response.content)
    feed = json.loads(response.content)
    errors = [e.message for e in Draft202012Validator(
        JSON_FEED_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(feed)]
    entries = [_Entry(
        title=i.get("title"), link=i.get("url"), summary=i.get("content_html") or i.get(
            "content_text", ""),
        author=", ".join(a["name"] for a in i.get("authors", [])),
        tags=[_Entry(term=t) for t in i.get("tags", [])],
        published_parsed=datetime.fromisoformat(i["date_published"]).timetuple(),
        updated_parsed=datetime.fromisoformat(i["date_modified"]).timetuple())
        for i in feed["items"]]
    return _Entry(bozo=bool(errors), bozo_exception=errors, entries=entries)


@pytest.fixture
def newsroom(home, make_section, make_story):
    world = make_section("World")
    europe = make_section("Europe", parent=world)
    author = Author.objects.create(name="Imogen Reyes")
    stories = []
    for i, section in enumerate([world, europe, world]):
        story = make_story(section, f"Public story {i}", tags=["Rivers"])
        Byline.objects.create(page=story, author=author)
        stories.append(story)
    draft = make_story(world, "Draft story", publish=False, tags=["Rivers"])
    Byline.objects.create(page=draft, author=author)
    scheduled = make_story(world, "Scheduled story", publish=False, tags=["Rivers"])
    scheduled.go_live_at = timezone.now() + timedelta(hours=2)
    scheduled.save_revision().publish()
    withdrawn = make_story(world, "Withdrawn story", tags=["Rivers"])
    Byline.objects.create(page=withdrawn, author=author)
    withdrawn.unpublish()
    return stories


SCOPES = ["/feeds/", "/feeds/section/world/", "/feeds/section/world/europe/",
          "/feeds/author/imogen-reyes/", "/feeds/topic/rivers/"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("scope", SCOPES)
def test_every_feed_parses_cleanly_with_only_published_stories(client, newsroom, scope, fmt):
    response = client.get(scope + fmt)
    assert response.status_code == 200
    parsed = parse(response)
    assert not parsed.bozo, parsed.get("bozo_exception")
    titles = [e.title for e in parsed.entries]
    assert titles and all(t.startswith("Public story") for t in titles)
    for hidden in ("Draft story", "Scheduled story", "Withdrawn story"):
        assert hidden.encode() not in response.content
    dates = [e.published_parsed for e in parsed.entries]
    assert dates == sorted(dates, reverse=True)


def test_section_feed_includes_subsections(client, newsroom):
    world = parse(client.get("/feeds/section/world/rss.xml"))
    europe = parse(client.get("/feeds/section/world/europe/rss.xml"))
    assert len(world.entries) == 3 and [e.title for e in europe.entries] == ["Public story 1"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_items_carry_authors_categories_image_and_dates(client, newsroom, fmt):
    entry = parse(client.get("/feeds/" + fmt)).entries[0]
    assert entry.author == "Imogen Reyes"
    assert [t.term for t in entry.tags] == ["Rivers"]
    assert entry.link.startswith("http://127.0.0.1:8000/world/")
    assert entry.published_parsed
    if fmt != "rss.xml":  # RSS 2.0 has no update time for items
        assert entry.updated_parsed


def test_json_feed_follows_version_1_1(client, newsroom):
    feed = client.get("/feeds/feed.json").json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert feed["feed_url"] == "http://127.0.0.1:8000/feeds/feed.json"
    ids = set()
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"] not in ids
        ids.add(item["id"])
        assert "content_html" in item or "content_text" in item
        for key in ("date_published", "date_modified"):
            datetime.fromisoformat(item[key])  # RFC 3339
            assert datetime.fromisoformat(item[key]).tzinfo is not None
        assert all(set(a) <= {"name", "url", "avatar"} for a in item["authors"])


def test_full_text_is_a_site_setting(client, newsroom, home):
    from broadsheet.syndication.models import FeedSettings

    summary = parse(client.get("/feeds/rss.xml")).entries[0]
    assert "Body of story" not in summary.summary
    settings = FeedSettings.for_site(home.get_site())
    settings.full_text = True
    settings.save()
    full = parse(client.get("/feeds/atom.xml")).entries[0]
    assert "Body of story" in full.summary or "Body of story" in full.content[0].value


@pytest.mark.parametrize("fmt", ["rss.xml", "atom.xml", "feed.json"])
def test_the_feed_says_the_sites_language(client, newsroom, settings, fmt):
    settings.LANGUAGE_CODE = "cy"
    body = client.get("/feeds/" + fmt).content.decode()
    if fmt == "feed.json":
        assert json.loads(body)["language"] == "cy"
    elif fmt == "rss.xml":
        assert "<language>cy</language>" in body
    else:
        assert 'xml:lang="cy"' in body


def test_a_stale_if_match_is_refused_like_django_does(client, newsroom):
    """Conditional requests are Django's: an If-Match that names another version fails."""
    assert client.get("/feeds/rss.xml", HTTP_IF_MATCH='"not-this-one"').status_code == 412


@pytest.mark.parametrize("fmt", FORMATS)
def test_conditional_get(client, newsroom, fmt):
    first = client.get("/feeds/" + fmt)
    assert client.get("/feeds/" + fmt, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get("/feeds/" + fmt,
                      HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    # A correction changes the feed: the old validators no longer match.
    Correction.objects.create(page=newsroom[0], text="A name was misspelt.",
                              made_at=timezone.now() + timedelta(seconds=5))
    again = client.get("/feeds/" + fmt, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again["ETag"] != first["ETag"]


def test_feeds_are_discoverable(client, newsroom):
    story = newsroom[0]
    pages = [(story.url, "/feeds/section/world/"),
             ("/world/europe/", "/feeds/section/world/europe/"),
             ("/authors/imogen-reyes/", "/feeds/author/imogen-reyes/"),
             ("/topics/rivers/", "/feeds/topic/rivers/")]
    for url, scoped in pages:
        html = client.get(url).content.decode()
        for fmt in FORMATS:
            assert 'rel="alternate" type="application/rss+xml"' in html
            assert f'href="{scoped}{fmt}"' in html, (url, fmt)
            assert f'href="/feeds/{fmt}"' in html


def test_unknown_feeds_are_404(client, newsroom):
    for url in ("/feeds/rss.json", "/feeds/section/nowhere/rss.xml", "/feeds/author/x/rss.xml",
                "/feeds/topic/none/rss.xml", "/feeds/other/x/rss.xml"):
        assert client.get(url).status_code == 404, url


def test_robots_names_the_sitemap_index(client, home):
    body = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in body
    assert "Disallow: /admin/" in body


def test_sitemaps_follow_the_protocol_and_list_only_public_stories(client, newsroom):
    index = ElementTree.fromstring(client.get("/sitemap.xml").content)
    assert index.tag == f"{SITEMAP_NS}sitemapindex"
    urls = []
    for sitemap in index.findall(f"{SITEMAP_NS}sitemap"):
        loc = sitemap.find(f"{SITEMAP_NS}loc").text
        assert loc.startswith("http://127.0.0.1:8000/sitemap-")
        tree = ElementTree.fromstring(client.get(loc.removeprefix("http://127.0.0.1:8000")).content)
        assert tree.tag == f"{SITEMAP_NS}urlset"
        entries = tree.findall(f"{SITEMAP_NS}url")
        assert 0 < len(entries) <= 50_000
        for entry in entries:
            url = entry.find(f"{SITEMAP_NS}loc").text
            assert url.startswith("http://127.0.0.1:8000/") and len(url) < 2048
            lastmod = entry.find(f"{SITEMAP_NS}lastmod")
            if lastmod is not None:
                datetime.fromisoformat(lastmod.text)
            urls.append(url)
    for story in newsroom:
        assert f"http://127.0.0.1:8000{story.url}" in urls
    assert not [u for u in urls if "story-" in u and not any(
        u.endswith(s.url) for s in newsroom)]
    assert "http://127.0.0.1:8000/world/europe/" in urls


NEWS_NS = "{http://www.google.com/schemas/sitemap-news/0.9}"
IMAGE_NS = "{http://www.google.com/schemas/sitemap-image/1.1}"


def test_news_sitemap_has_the_last_two_days_with_required_tags(client, newsroom):
    index = client.get("/sitemap.xml").content
    assert b"<loc>http://127.0.0.1:8000/sitemap-news.xml</loc>" in index
    ElementTree.fromstring(index)  # still well-formed with the news entry added
    old = newsroom[2]
    type(old).objects.filter(pk=old.pk).update(
        first_published_at=timezone.now() - timedelta(hours=49))
    tree = ElementTree.fromstring(client.get("/sitemap-news.xml").content)
    urls = tree.findall(f"{SITEMAP_NS}url")
    locs = [u.find(f"{SITEMAP_NS}loc").text for u in urls]
    assert sorted(locs) == sorted(f"http://127.0.0.1:8000{s.url}" for s in newsroom[:2])
    for url in urls:
        news = url.find(f"{NEWS_NS}news")
        publication = news.find(f"{NEWS_NS}publication")
        assert publication.find(f"{NEWS_NS}name").text
        assert publication.find(f"{NEWS_NS}language").text == "en"
        datetime.fromisoformat(news.find(f"{NEWS_NS}publication_date").text)
        assert news.find(f"{NEWS_NS}title").text.startswith("Public story")


def test_story_sitemaps_list_hero_images(client, newsroom):
    import io

    from django.core.files.images import ImageFile
    from PIL import Image as PILImage
    from wagtail.images import get_image_model

    buffer = io.BytesIO()
    PILImage.new("RGB", (800, 450), (30, 80, 120)).save(buffer, "JPEG")
    image = get_image_model().objects.create(title="Quay", file=ImageFile(buffer, name="q.jpg"))
    story = newsroom[0]
    type(story).objects.filter(pk=story.pk).update(hero_image=image)
    month = story.first_published_at.strftime("%Y-%m")
    tree = ElementTree.fromstring(client.get(f"/sitemap-stories-world-{month}.xml").content)
    images = [i.find(f"{IMAGE_NS}loc").text for i in tree.iter(f"{IMAGE_NS}image")]
    assert images == [f"http://127.0.0.1:8000{image.file.url}"]


def _index_locs(client) -> list[str]:
    index = ElementTree.fromstring(client.get("/sitemap.xml").content)
    return [s.find(f"{SITEMAP_NS}loc").text.removeprefix("http://127.0.0.1:8000")
            for s in index.findall(f"{SITEMAP_NS}sitemap")]


def _urls(client, loc: str) -> list[str]:
    tree = ElementTree.fromstring(client.get(loc).content)
    return [u.find(f"{SITEMAP_NS}loc").text for u in tree.findall(f"{SITEMAP_NS}url")]


def test_story_sitemaps_are_one_per_section_and_month(client, home, make_section, make_story):
    world, science = make_section("World"), make_section("Science")
    europe = make_section("Europe", parent=world)
    march = datetime(2024, 3, 10, 12, tzinfo=timezone.get_current_timezone())
    placed = {}
    for section, when in [(world, march), (europe, march), (science, march),
                          (world, march + timedelta(days=40))]:
        story = make_story(section)
        type(story).objects.filter(pk=story.pk).update(first_published_at=when)
        placed[story.url] = (section, when)
    locs = _index_locs(client)
    assert locs[0] == "/sitemap-sections.xml" and locs[-1] == "/sitemap-news.xml"
    # Subsections file into their top-level section's sitemap; newest months come first,
    # then sections in the site's order.
    assert locs[1:-1] == ["/sitemap-stories-world-2024-04.xml",
                          "/sitemap-stories-world-2024-03.xml",
                          "/sitemap-stories-science-2024-03.xml"]
    assert _urls(client, "/sitemap-stories-world-2024-03.xml") == [
        f"http://127.0.0.1:8000{url}" for url, (section, when) in placed.items()
        if section in (world, europe) and when == march]
    assert len(_urls(client, "/sitemap-stories-science-2024-03.xml")) == 1


def test_index_lastmod_is_each_sitemaps_latest_publication(client, home, world, make_story):
    from datetime import UTC

    stories = [make_story(world) for _ in range(3)]
    march = datetime(2024, 3, 10, 12, 30, 15, 123456, tzinfo=UTC)
    for n, story in enumerate(stories):
        type(story).objects.filter(pk=story.pk).update(
            first_published_at=march, last_published_at=march + timedelta(days=n, hours=n))
    index = ElementTree.fromstring(client.get("/sitemap.xml").content)
    lastmods = {s.find(f"{SITEMAP_NS}loc").text.rsplit("/", 1)[1]:
                s.find(f"{SITEMAP_NS}lastmod") for s in index.findall(f"{SITEMAP_NS}sitemap")}
    assert lastmods["sitemap-stories-world-2024-03.xml"].text == "2024-03-12T14:30:15+00:00"
    sections = datetime.fromisoformat(lastmods["sitemap-sections.xml"].text)
    assert sections == world.last_published_at.replace(microsecond=0)


def test_a_big_month_is_paged_within_the_protocol_limit(client, world, make_story, monkeypatch):
    from django.contrib.sitemaps import Sitemap

    monkeypatch.setattr(Sitemap, "limit", 2)  # stands in for 50,000 URLs
    for _ in range(5):
        make_story(world)
    month = timezone.now().strftime("%Y-%m")
    loc = f"/sitemap-stories-world-{month}.xml"
    locs = _index_locs(client)
    assert [x for x in locs if x.startswith(loc)] == [loc, f"{loc}?p=2", f"{loc}?p=3"]
    pages = [_urls(client, x) for x in (loc, f"{loc}?p=2", f"{loc}?p=3")]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert len({u for p in pages for u in p}) == 5


def test_sitemap_index_costs_the_same_queries_however_deep_the_archive(
        client, world, make_section, make_story, django_assert_max_num_queries):
    science = make_section("Science")
    for months_ago in range(6):
        for section in (world, science):
            story = make_story(section)
            type(story).objects.filter(pk=story.pk).update(
                first_published_at=timezone.now() - timedelta(days=31 * months_ago))
    from broadsheet.pagecache.store import purge_all

    purge_all()
    with django_assert_max_num_queries(8):
        locs = _index_locs(client)
    assert len(locs) == 1 + 12 + 1


def test_the_sitemap_index_groups_without_sorting_the_archive(world, make_story):
    """SQLite reads the groups in order from a covering index (migration 0004); PostgreSQL
    plans them with statistics on the group expressions (0003). Without those, SQLite sorts
    every story into groups and PostgreSQL guesses a group per row and sorts on disk (issue
    6's sitemap index budget)."""
    from django.db import connection

    from broadsheet.syndication.sitemaps import story_groups_sql

    first = make_story(world)
    type(first).objects.filter(pk=first.pk).update(
        first_published_at=timezone.now() - timedelta(days=62))
    # 40 more in this month, added live without revisions (publishing 40 would be slow).
    for n in range(40):
        world.refresh_from_db()
        world.add_child(instance=type(first)(title=f"Filler {n}", slug=f"filler-{n}", live=True,
                                             first_published_at=timezone.now(),
                                             last_published_at=timezone.now()))
    sql, params = story_groups_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert sorted(count for _, _, count, _ in cursor.fetchall()) == [1, 40]
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " / ".join(row[-1] for row in cursor.fetchall())
            assert "COVERING INDEX syndication_story_groups" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
        else:
            cursor.execute("ANALYZE wagtailcore_page")
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            assert plan[0]["Plan"]["Plan Rows"] <= 4, plan


def test_unknown_sitemaps_are_404(client, world, make_story):
    make_story(world)
    month = timezone.now().strftime("%Y-%m")
    for key in ("nowhere", f"stories-atlantis-{month}", "stories-world-2024-13", "stories-"):
        assert client.get(f"/sitemap-{key}.xml").status_code == 404, key
