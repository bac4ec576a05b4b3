"""ninjs 3.1 out: per story and as a paged collection, the export command, and a round trip."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from broadsheet.articles.models import ArticlePage
from broadsheet.ingest import ninjs
from broadsheet.sections.models import SectionPage

BODY = [("paragraph", '<p>First <b>bold</b> and <a href="https://example.org/">a link</a>.</p>'),
        ("subhead", "What next"),
        ("list", {"ordered": True, "items": ["One", "Two & three"]}),
        ("pull_quote", {"quote": "Quoted words", "attribution": ""}),
        ("paragraph", "<p>Last.</p>")]


def valid_31(item):
    errors = list(ninjs._validator("3.1").iter_errors(item))
    assert not errors, [e.message for e in errors]


@pytest.fixture
def stories(world, make_story, now):
    made = []
    for n in range(3):
        story = make_story(world, f"Story {n}", tags=["Rivers", f"Tag {n}"], body=BODY,
                           summary=f"Summary {n}.", byline="A. Writer")
        ArticlePage.objects.filter(pk=story.pk).update(
            first_published_at=now - timedelta(days=3 - n),
            last_published_at=now - timedelta(days=3 - n))
        made.append(ArticlePage.objects.get(pk=story.pk))
    return made


def test_story_endpoint_is_valid_ninjs_31(client, stories):
    story = stories[0]
    response = client.get(f"/ninjs/stories/{story.pk}.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    item = response.json()
    valid_31(item)
    assert item["standard"]["version"] == "3.1"
    assert item["headlines"] == [{"role": "main", "value": "Story 0"},
                                 {"role": "sub", "value": story.dek}]
    assert {"name": "World", "rel": "section"} in item["subjects"]
    assert {"name": "Rivers"} in item["subjects"] and item["by"] == "A. Writer"
    html = item["bodies"][0]["value"]
    assert "<h2>What next</h2>" in html and "<ol><li>One</li><li>Two &amp; three</li></ol>" in html
    assert item["renditions"][0]["href"].endswith(story.url)


def test_drafts_and_restricted_stories_are_not_given_out(client, world, make_story, stories):
    draft = make_story(world, "Not yet", publish=False)
    assert client.get(f"/ninjs/stories/{draft.pk}.json").status_code == 404
    PageViewRestriction.objects.create(page=stories[1], restriction_type="login")
    from django.core.cache import cache

    cache.clear()
    assert client.get(f"/ninjs/stories/{stories[1].pk}.json").status_code == 404
    listed = client.get("/ninjs/stories.json").json()
    assert [i["headlines"][0]["value"] for i in listed["items"]] == ["Story 0", "Story 2"]


def test_collection_since_and_paging(client, stories, monkeypatch):
    from broadsheet.exchange import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    first = client.get("/ninjs/stories.json").json()
    assert first["count"] == 3 and len(first["items"]) == 2
    for item in first["items"]:
        valid_31(item)
    second = client.get(first["next"]).json()
    assert [i["headlines"][0]["value"] for i in second["items"]] == ["Story 2"]
    assert second["next"] is None
    since = stories[1].last_published_at.isoformat()
    changed = client.get("/ninjs/stories.json", {"since": since}).json()
    assert [i["headlines"][0]["value"] for i in changed["items"]] == ["Story 1", "Story 2"]
    assert client.get("/ninjs/stories.json", {"since": "yesterday"}).status_code == 400
    assert client.get("/ninjs/stories.json", {"page": "9"}).status_code == 404


def test_collection_queries_do_not_grow_with_the_page(client, world, make_story, stories):
    client.get("/ninjs/stories.json")  # warms the site and restriction caches
    with CaptureQueriesContext(connection) as three:
        client.get("/ninjs/stories.json")
    for n in range(5):
        make_story(world, f"More {n}", tags=[f"Extra {n}"])
    client.get("/ninjs/stories.json")
    with CaptureQueriesContext(connection) as eight:
        assert len(client.get("/ninjs/stories.json").json()["items"]) == 8
    assert len(eight) == len(three) <= 10


def run(command, *args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *map(str, args), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def snapshot():
    return sorted(
        (s.title, s.dek, s.summary, s.get_parent().title, sorted(s.tags.names()), s.byline,
         [(b.block_type, b.value.source if hasattr(b.value, "source") else
           (dict(b.value, items=list(b.value["items"])) if b.block_type == "list"
            else dict(b.value) if not isinstance(b.value, str) else b.value))
          for b in s.body],
         s.first_published_at, s.last_published_at, s.language, s.live)
        for s in ArticlePage.objects.all())


def test_export_writes_valid_files_and_round_trips(tmp_path, stories):
    out, _ = run("export", tmp_path / "out", format="ninjs")
    assert out == f"wrote 3 stories as ninjs 3.1 to {tmp_path / 'out'}\n"
    files = sorted((tmp_path / "out").glob("*.json"))
    assert len(files) == 3
    for path in files:
        valid_31(json.loads(path.read_text()))
    before = snapshot()
    # An empty site: no stories, no sections.
    ArticlePage.objects.all().delete()
    SectionPage.objects.all().delete()
    _, err = run("import", *files)
    assert "created 3" in err and "refused 0" in err
    assert snapshot() == before
    # And once more: the same stories, updated, not doubled.
    _, err = run("import", *files)
    assert "created 0, updated 3" in err and ArticlePage.objects.count() == 3


def test_pictures_go_out_as_associations_and_figures(client, world, make_story):
    from broadsheet.demo.pictures import landscape, save_image

    image = save_image("River at dusk", landscape(3, size=(320, 180)))
    story = make_story(world, "With pictures", hero_image=image, hero_alt="The river",
                       hero_caption="The river at dusk.", hero_credit="Photo: A. Lens",
                       body=[("paragraph", "<p>Text.</p>"),
                             ("image", {"image": image, "caption": "Again.", "credit": "",
                                        "alt": "The river again"})])
    item = client.get(f"/ninjs/stories/{story.pk}.json").json()
    valid_31(item)
    hero = item["associations"][0]
    assert hero["type"] == "picture" and hero["by"] == "Photo: A. Lens"
    assert hero["renditions"][0]["width"] == 320 and hero["renditions"][0]["href"].startswith(
        "http://127.0.0.1:8000/media/")
    assert {"role": "caption", "value": "The river at dusk."} in hero["descriptions"]
    assert {"role": "alt", "value": "The river"} in hero["descriptions"]
    assert '<figure><img src="http://127.0.0.1:8000/media/' in item["bodies"][0]["value"]
    assert 'alt="The river again"><figcaption>Again.</figcaption></figure>' in \
        item["bodies"][0]["value"]
