"""`broadsheet import`: ninjs 3.x in, stories out; bad files refused whole, naming the problem."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import Page, Revision

from broadsheet.articles.models import ArticlePage
from tests.conftest import SEED, SHARED

EXAMPLES = SHARED / "standards" / "ninjs" / "examples" / "3.0"


def run_import(*paths, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *map(str, paths), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def snapshot():
    return Page.objects.count(), Revision.objects.count()


def write(tmp_path, name, item) -> str:
    path = tmp_path / name
    path.write_text(item if isinstance(item, str) else json.dumps(item))
    return path


def minimal(**extra):
    item = {"uri": "urn:test:1", "type": "text",
            "headlines": [{"role": "main", "value": "A test headline"}],
            "subjects": [{"name": "Science", "rel": "section"}],
            "bodies": [{"role": "text", "contentType": "text/plain", "value": "One.\n\nTwo."}]}
    item.update(extra)
    return item


def test_seed_import_gives_the_seed_page(client, home):
    out, _ = run_import(SEED / "related.ninjs.json", SEED / "article.ninjs.json")
    article = ArticlePage.objects.get(source_uri="urn:broadsheet:seed:blinken-presses-iraq")
    assert f"imported http://127.0.0.1:8000{article.url}" in out.splitlines()
    assert article.url.startswith("/world/")
    seed = json.loads((SEED / "article.ninjs.json").read_text())
    text = next(b["value"] for b in seed["bodies"] if b["contentType"] == "text/plain")
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    html = client.get(article.url).content.decode()
    positions = [html.index(p.replace("'", "&#x27;").replace('"', "&quot;")
                            if p not in html else p) for p in paragraphs]
    assert len(paragraphs) == 10 and positions == sorted(positions)
    more = html[html.index(">More from World<"):]
    related = json.loads((SEED / "related.ninjs.json").read_text())
    assert related["headlines"][0]["value"].replace("'", "&#x27;") in more
    assert related["descriptions"][0]["value"] in more
    assert article.first_published_at.isoformat().startswith("2024-12-13T17:00")
    assert set(article.tags.names()) >= {"Iraq", "Antony Blinken"}


def test_reimport_makes_a_new_revision_not_a_duplicate(home):
    run_import(SEED / "article.ninjs.json")
    page = ArticlePage.objects.get()
    revisions = page.revisions.count()
    run_import(SEED / "article.ninjs.json")
    assert ArticlePage.objects.count() == 1
    assert page.revisions.count() == revisions + 1


def test_update_changes_the_story(tmp_path, home, client):
    run_import(write(tmp_path, "a.json", minimal()))
    run_import(write(tmp_path, "b.json", minimal(
        headlines=[{"role": "main", "value": "An updated headline"}])))
    page = ArticlePage.objects.get()
    assert page.title == "An updated headline"
    assert "An updated headline" in client.get(page.url).content.decode()


def test_draft_import_is_not_public(tmp_path, home, client):
    out, _ = run_import(write(tmp_path, "a.json", minimal()), draft=True)
    page = ArticlePage.objects.get()
    assert not page.live and "(draft, not public)" in out
    assert client.get("/science/a-test-headline/").status_code == 404
    assert "A test headline" not in client.get("/").content.decode()


@pytest.mark.parametrize("content, problem", [
    ("{not json", "is not valid JSON: Expecting property name enclosed in double quotes at "
                  "line 1 column 2"),
    (json.dumps(minimal(headlines=[{"role": 5, "value": "x"}])), "$.headlines[0].role"),
    (json.dumps(minimal(headlines=[{"role": "sub", "value": "Only a dek"}])),
     "no headline with role \"main\""),
    (json.dumps(minimal(subjects=[])), "no subject with rel \"section\""),
    (json.dumps(minimal(firstCreated="yesterday")), "$.firstCreated"),
    (json.dumps([1, 2]), "a ninjs item must be a JSON object"),
])
def test_bad_file_is_refused_whole_and_named(tmp_path, home, content, problem):
    bad = write(tmp_path, "bad.json", content)
    good = write(tmp_path, "good.json", minimal(uri="urn:test:good"))
    before = snapshot()
    with pytest.raises(CommandError) as refused:
        out, _ = run_import(bad)
    assert str(bad) in str(refused.value) and problem in str(refused.value)
    assert snapshot() == before
    # A good file next to a bad one still imports; the bad one still changes nothing.
    with pytest.raises(CommandError):
        run_import(good, bad)
    assert ArticlePage.objects.filter(source_uri="urn:test:good").count() == 1
    assert ArticlePage.objects.count() == 1


def test_failure_while_writing_rolls_the_file_back(tmp_path, home, monkeypatch):
    from broadsheet.ingest import storywriter

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(storywriter.ArticlePage, "save_revision", fail)
    before = snapshot()
    with pytest.raises(RuntimeError):
        run_import(write(tmp_path, "a.json", minimal()))
    assert snapshot() == before  # not even the new "Science" section remains


def test_html_body_is_sanitised_and_split_into_blocks(tmp_path, home, client):
    body = ('<p onclick="steal()">Safe <b>bold</b> <script>alert(1)</script>text.</p>'
            '<h2>A subhead</h2><ul><li>One</li><li>Two</li></ul>'
            '<iframe src="https://evil.example"></iframe>'
            '<blockquote>Quoted words</blockquote><p><a href="javascript:x()">link</a></p>')
    run_import(write(tmp_path, "a.json", minimal(bodies=[
        {"role": "text", "contentType": "text/html", "value": body}])))
    page = ArticlePage.objects.get()
    assert [b.block_type for b in page.body] == ["paragraph", "subhead", "list", "pull_quote",
                                                "paragraph"]
    html = client.get(page.url).content.decode()
    for bad in ("onclick", "<script>alert", "evil.example", "javascript:"):
        assert bad not in html
    assert "<b>bold</b>" in html


def test_section_option_and_people_as_tags(home):
    out, _ = run_import(EXAMPLES / "ntb_text.json", section="Business")
    page = ArticlePage.objects.get()
    assert page.get_parent().title == "Business"
    assert page.byline == "NTB" and page.language == "nb-NO"
    assert "Telemark" in page.tags.names()


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_iptc_examples_import_or_are_refused_clearly(home, name):
    """IPTC's own 3.0 examples: text items import; pictures, video and events are refused
    with a message that says why."""
    try:
        out, _ = run_import(EXAMPLES / name, section="Wire")
    except CommandError as exc:
        assert name in str(exc)
        assert ": $" in str(exc) or "not valid JSON" in str(exc)
    else:
        assert out.startswith("imported http")
