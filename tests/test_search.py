"""Reader search: full text through the database's own engine, live stories only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from broadsheet.archive.finder import mark, search
from broadsheet.articles.models import ArticlePage, Byline
from broadsheet.people.models import Author


@pytest.fixture
def archive(home, make_section, make_story):
    world, science = make_section("World"), make_section("Science")
    author = Author.objects.create(name="Imogen Reyes")
    otters = make_story(science, "Otters return to the upper river",
                        dek="Camera traps confirm two families",
                        body=[("paragraph", "<p>The otters were filmed near the weir.</p>")])
    Byline.objects.create(page=otters, author=author)
    old = make_story(world, "Otters seen at the harbour",
                     body=[("paragraph", "<p>A pair of otters was seen in the harbour.</p>")])
    ArticlePage.objects.filter(pk=old.pk).update(
        first_published_at=timezone.now() - timedelta(days=400))
    make_story(world, "Bridge repairs finish early", tags=["Bridges"],
               body=[("paragraph", "<p>Engineers finished the bridge.</p>")])
    draft = make_story(science, "Otters draft", publish=False)
    withdrawn = make_story(science, "Otters withdrawn story")
    withdrawn.unpublish()
    scheduled = make_story(science, "Otters scheduled story", publish=False)
    scheduled.go_live_at = timezone.now() + timedelta(hours=3)
    scheduled.save_revision().publish()
    return {"world": world, "science": science, "author": author, "otters": otters,
            "old": old, "draft": draft}


def test_finds_by_body_headline_author_and_tag(archive):
    assert search("weir") == [archive["otters"].pk]
    assert search("harbour")[0] == archive["old"].pk
    assert search("Imogen Reyes") == [archive["otters"].pk]
    assert len(search("bridges")) == 1


def test_never_finds_drafts_scheduled_or_withdrawn(archive):
    found = search("otters")
    assert set(found) == {archive["otters"].pk, archive["old"].pk}


def test_recent_stories_rank_first_at_similar_relevance(archive):
    assert search("otters") == [archive["otters"].pk, archive["old"].pk]


def test_filters(archive):
    assert search("otters", section=archive["world"]) == [archive["old"].pk]
    assert search("otters", author=archive["author"]) == [archive["otters"].pk]
    today = timezone.now().date()
    assert search("otters", since=today - timedelta(days=7)) == [archive["otters"].pk]
    assert search("otters", until=today - timedelta(days=300)) == [archive["old"].pk]


def test_search_page_highlights_and_escapes(client, archive):
    html = client.get("/search/?q=otters").content.decode()
    assert "2 results" in html
    assert "<mark>Otters</mark> return" in html and "<mark>otters</mark> were" in html
    both = client.get("/search/?q=otters+weir").content.decode()
    assert "1 result" in both and "<mark>weir</mark>" in both
    assert 'name="robots" content="noindex' in html
    hostile = client.get("/search/?q=%3Cscript%3Ealert(1)%3C/script%3E").content.decode()
    assert "<script>alert(1)" not in hostile


def test_mark_escapes_before_marking():
    marked = mark("<b>Otters</b> & co", ["otters"])
    assert marked == "&lt;b&gt;<mark>Otters</mark>&lt;/b&gt; &amp; co"


def test_search_box_on_every_page(client, archive):
    html = client.get(archive["otters"].url).content.decode()
    assert 'role="search"' in html and 'action="/search/"' in html


def test_did_you_mean_offers_an_indexed_word_that_finds_stories(client, archive):
    html = client.get("/search/?q=oters").content.decode()
    assert "0 results" in html
    assert 'Did you mean <a href="?q=otters">otters</a>?' in html
    # Following it finds the stories, and a query with results asks nothing.
    found = client.get("/search/?q=otters").content.decode()
    assert "2 results" in found and "Did you mean" not in found


def test_did_you_mean_keeps_filters_and_known_words(client, archive):
    html = client.get("/search/?q=upper+oters&section=" +
                      str(archive["science"].pk)).content.decode()
    assert f'?q=upper+otters&amp;section={archive["science"].pk}' in html
    # In World there is no story with both words: nothing to offer.
    html = client.get("/search/?q=upper+oters&section=" +
                      str(archive["world"].pk)).content.decode()
    assert "Did you mean" not in html


def test_did_you_mean_never_surfaces_words_only_drafts_contain(client, archive, make_story):
    for _ in range(2):
        make_story(archive["science"], "Zeppelin merger talks", publish=False)
    from django.core.cache import cache

    cache.clear()
    html = client.get("/search/?q=zepelin").content.decode()
    assert "0 results" in html and "Did you mean" not in html
    assert "Zeppelin" not in html and "zeppelin" not in html


def test_the_words_of_a_query_may_sit_in_headline_and_body(archive):
    # "upper" is only in the headline, "weir" only in the body.
    assert search("upper weir") == [archive["otters"].pk]
    assert search("upper harbour") == []


def test_relevance_is_scored_over_the_newest_matches(archive, make_story, monkeypatch):
    from broadsheet.archive import finder

    newer = make_story(archive["world"], "Otters again at the weir")
    monkeypatch.setattr(finder, "SCORED", 2)
    # Three live stories mention otters; with room for two, the two most recently indexed
    # are scored (the fixture's 400-day-old story was indexed second, when it was new).
    assert set(search("otters")) == {newer.pk, archive["old"].pk}
    monkeypatch.setattr(finder, "SCORED", 1000)
    assert set(search("otters")) == {newer.pk, archive["otters"].pk, archive["old"].pk}


def test_postgres_search_has_its_indexes(archive):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite searches through FTS5")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE %s",
                       ["archive_%"])
        definitions = dict(cursor.fetchall())
    assert "gin (((title || body)))" in definitions["archive_indexentry_document"]
    assert "((id)::text)" in definitions["archive_page_id_text"]
