"""ninjs 1.x, 2.x and 3.x in: IPTC's conformance suite, IPTC's examples, version choice."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import Page, Revision

from broadsheet.articles.models import ArticlePage
from broadsheet.ingest import ninjs
from broadsheet.ingest.models import RemoteImage
from tests.conftest import ROOT
from tests.testdata import NINJS, present

SUITE = NINJS / "validation" / "test_suite"
EXAMPLES = NINJS / "examples"
RELEASES = sorted(p.name for p in SUITE.glob("*") if p.is_dir() and not p.name.endswith("_dev"))


def run_import(*args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *map(str, args), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def write(tmp_path, name, item):
    path = tmp_path / name
    path.write_text(json.dumps(item))
    return path


def test_every_release_has_a_shipped_schema_identical_to_iptcs():
    assert list(ninjs.VERSIONS) == RELEASES
    for version, name in ninjs.VERSIONS.items():
        shipped = ninjs.SCHEMAS / name
        assert shipped.read_bytes() == (NINJS / "specification" / name).read_bytes(), version
        assert ROOT / "src" in shipped.parents  # inside the package, not read from tests/
    assert (ninjs.SCHEMAS / "GeoJSON.json").read_bytes() == (
        SUITE / "GeoJSON-schema.json").read_bytes()
    assert (ninjs.SCHEMAS / "LICENSE").read_bytes() == (NINJS / "LICENSE").read_bytes()


SUITE_FILES = present((p for v in RELEASES for p in (SUITE / v).glob("should_*/*.json")), SUITE)


@pytest.mark.parametrize("path", SUITE_FILES, ids=lambda p: "/".join(p.parts[-3:]))
def test_iptc_conformance_suite_with_check(path):
    """`import --check --ninjs-version <folder>`: should_pass accepted, should_fail refused
    naming the file and where in it (a JSON path, or a line and column) what is wrong."""
    version, expected = path.parts[-3], path.parts[-2]
    if expected == "should_pass":
        out, err = run_import("--check", path, ninjs_version=version)
        assert out.startswith((f"ok {path} (ninjs ", f"skipped {path}"))
        assert "refused 0" in err
    else:
        with pytest.raises(CommandError) as refused:
            run_import("--check", path, ninjs_version=version)
        message = str(refused.value)
        assert "1 of 1 files refused" in message
        reason = message.split(f"{path}: ", 1)[1]
        assert reason.startswith("$") or "is not valid JSON" in reason
        assert "line" in reason if "JSON" in reason.split(":")[0] else "[ninjs " in reason


def test_suite_counts_are_all_there():
    passes = [p for p in SUITE_FILES if p.parts[-2] == "should_pass"]
    fails = [p for p in SUITE_FILES if p.parts[-2] == "should_fail"]
    assert len(passes) >= 100 and len(fails) >= 50  # every release folder, not just 3.x


def test_check_changes_nothing_and_lists_every_refusal(tmp_path, home):
    good = write(tmp_path, "good.json", {"uri": "urn:x:1", "headlines": [
        {"role": "main", "value": "Fine"}], "subjects": [{"name": "News", "rel": "section"}]})
    bad = write(tmp_path, "bad.json", {"uri": "urn:x:2", "urgency": "high"})
    before = Page.objects.count(), Revision.objects.count()
    with pytest.raises(CommandError) as refused:
        run_import("--check", good, bad)
    assert (Page.objects.count(), Revision.objects.count()) == before
    assert f"{bad}: $.urgency: 'high' is not of type " in str(refused.value)
    assert str(good) not in str(refused.value)


EXAMPLE_FILES = present((p for p in EXAMPLES.rglob("*.json")
                         # the JSON Schema of TT's extension, not an item
                         if p.name != "extension-schema.json"), EXAMPLES)


def test_every_iptc_example_imports_or_is_skipped_as_not_a_story(home):
    """Every example of every version: stories import, pictures/audio/video/events are
    skipped, saying so; pictures on hosts we cannot reach are remote images, not failures."""
    out, err = run_import(*EXAMPLE_FILES, section="Wire", no_fetch=True)
    lines = out.splitlines()
    stories, others = [], []
    for path in EXAMPLE_FILES:
        document = json.loads(path.read_text())
        for item in document if isinstance(document, list) else [document]:
            kind = item.get("type") or ("event" if "eventDetails" in item else "text")
            (stories if kind in ("text", "composite") else others).append(item)
    assert len([line for line in lines if line.startswith("imported ")]) == len(stories)
    skipped = [line for line in lines if line.startswith("skipped ")]
    assert len(skipped) == len(others)
    assert all(line.endswith(" item is not a story") or "is not a story ($.type" in line
               for line in skipped)
    assert ArticlePage.objects.count() == len({s["uri"] for s in stories})
    assert "refused 0" in err and "warnings" in err
    assert ArticlePage.objects.filter(live=True).count() == ArticlePage.objects.count()
    tt = ArticlePage.objects.get(source_uri__contains="tt.se")
    assert RemoteImage.objects.filter(page=tt, role="hero").get().credit == "Karl Melander/TT"


def test_declared_version_wins_over_the_option(tmp_path, home):
    item = {"uri": "urn:x:3", "standard": {"name": "ninjs", "version": "3.0"},
            "headlines": [{"role": "main", "value": "Declared"}]}
    out, _ = run_import("--check", write(tmp_path, "a.json", item), ninjs_version="1.0",
                        section="News")
    assert out == f"ok {tmp_path / 'a.json'} (ninjs 3.0)\n"


def test_option_names_the_version_of_undeclared_items(tmp_path):
    item = {"uri": "urn:x:4", "headline": "A 1.x item", "body_text": "Text."}
    path = write(tmp_path, "a.json", item)
    assert run_import("--check", path, ninjs_version="1.2", section="News")[0].endswith(
        "(ninjs 1.2)\n")
    with pytest.raises(CommandError, match=r"\[ninjs 3\.0\]"):
        run_import("--check", path, ninjs_version="3.0")  # 3.0 has no "headline"


def test_newest_satisfied_version_when_none_is_named(tmp_path):
    old = write(tmp_path, "old.json", {"uri": "urn:x:5", "headline": "Old", "body_text": "T"})
    new = write(tmp_path, "new.json", {"uri": "urn:x:6", "versionCreated": "2024-01-01T00:00:00Z",
                                       "headlines": [{"value": "New"}]})
    out, _ = run_import("--check", old, new, section="News")
    assert out.splitlines() == [f"ok {old} (ninjs 1.6)", f"ok {new} (ninjs 3.1)"]


def test_a_version_broadsheet_does_not_know_is_refused(tmp_path):
    path = write(tmp_path, "a.json", {"uri": "urn:x:7", "standard": {"version": "9.0"}})
    with pytest.raises(CommandError, match=r"\$\.standard\.version: ninjs '9\.0' is not a "
                                           r"version Broadsheet reads"):
        run_import("--check", path)


def test_a_1x_item_becomes_a_full_story(home):
    run_import(EXAMPLES / "1.4" / "ninjsExComplex1.json", section="World", no_fetch=True)
    page = ArticlePage.objects.get()
    item = json.loads((EXAMPLES / "1.4" / "ninjsExComplex1.json").read_text())
    assert page.title == item["headline"] and page.byline == item["byline"]
    assert set(page.tags.names()) == {e["name"] for key in ("person", "place", "organisation")
                                      for e in item[key]}
    assert [b.block_type for b in page.body] == ["paragraph"] * 4  # the XHTML, not the text
    assert page.last_published_at.isoformat() == "2013-07-09T10:37:00+00:00"
    hero = RemoteImage.objects.get(page=page, role="hero")
    picture = item["associations"]["mainpic"]
    assert hero.url == picture["renditions"]["main"]["href"]  # the larger rendition
    assert hero.credit == picture["byline"] and hero.alt == picture["headline"]
    assert hero.caption == " ".join(picture["description_text"].split())


def test_profile_properties_are_ignored_with_a_warning(home):
    out, err = run_import(EXAMPLES / "2.1" / "schema-extension" / "extension-example.json",
                          section="Wire", no_fetch=True)
    assert out.startswith("imported ")
    assert "properties of the TTNINJS profile ignored: foofoo" in err


def test_invalid_event_is_skipped_on_import_but_refused_by_check(home):
    timeline = EXAMPLES / "3.0" / "collection" / "20231016-event-timeline-sample.json"
    out, err = run_import(timeline)
    assert out.count("an event item is not a story") == len(json.loads(timeline.read_text()))
    assert "(skipped anyway)" in err and not ArticlePage.objects.exists()
    with pytest.raises(CommandError, match=r"\[0\]: \$\.eventDetails"):
        run_import("--check", timeline)


def test_newsml_originals_import_too(home):
    """examples/NewsML: the Business Wire originals of some of the ninjs examples."""
    import xml.etree.ElementTree as ET

    files = sorted((EXAMPLES / "NewsML").glob("*.xml"))
    out, err = run_import(*files, section="Wire", no_fetch=True)
    assert out.count("imported ") == len(files) and "refused 0" in err
    for path in files:
        item = ET.parse(path).getroot().find(".//NewsItem")  # noqa: S314
        uri = item.findtext("Identification/NewsIdentifier/PublicIdentifier").strip()
        page = ArticlePage.objects.get(source_uri=uri)
        assert page.title == " ".join(item.findtext(".//NewsLines/HeadLine").split())
        assert [b for b in page.body if b.block_type == "paragraph"]
        photos = [c for c in item.iter("NewsComponent")
                  if c.find("Role") is not None and c.find("Role").get("FormalName") == "Photo"]
        assert RemoteImage.objects.filter(page=page).count() == len(photos)
