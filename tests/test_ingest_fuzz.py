"""Property: whatever a file holds, an import takes it or refuses it naming the file; no other
exception, and nothing of a refused file remains in the database.

Inputs start from the real files in tests/data (IPTC's ninjs examples and validation suite,
Business Wire's NewsML, WordPress's exports, the feeds), truncated, with bytes flipped,
inserted or deleted, or with their structure changed (a node of the JSON or an element of
the XML replaced, removed or repeated); random JSON, and random XML made of each format's
own element names. Hypothesis runs derandomized, so a run is the same on every machine, and
each example is undone (a savepoint rolled back) so examples do not see each other's
stories.
"""

from __future__ import annotations

import copy
import io
import json
import re
import xml.etree.ElementTree as ET
from functools import cache
from itertools import count

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from taggit.models import Tag
from wagtail.contrib.redirects.models import Redirect
from wagtail.images.models import Image
from wagtail.models import Page, Revision

from broadsheet.comments.models import Comment
from broadsheet.ingest.feeds import read_feed
from broadsheet.ingest.images import Fetcher
from broadsheet.ingest.models import ImportedObject, RemoteImage
from broadsheet.ingest.newsml import read_newsml
from broadsheet.ingest.run import Run, read_ninjs
from broadsheet.ingest.sniff import kind_of_source
from broadsheet.ingest.wxr import read_wxr
from broadsheet.people.models import Author
from broadsheet.progress import Progress
from tests.testdata import DATA, NINJS, SEED, WXR, present

# Modest and reproducible: the whole suite shares a 2-core CI machine. The fixtures are
# function-scoped on purpose: each example undoes its own writes instead.
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])
# Structural changes of XML mostly leave a file that imports (a second or so of writing
# sections, stories and revisions each): fewer of them.
FUZZ_SLOW = settings(FUZZ, max_examples=40)

HANDLERS = {"ninjs": read_ninjs, "wxr": read_wxr, "feed": read_feed, "newsml": read_newsml}
NINJS_FILES = present([*NINJS.glob("examples/**/*.json"), *SEED.glob("*.json"),
                       *NINJS.glob("validation/test_suite/3.0/**/*.json")], NINJS)
NEWSML_FILES = present(NINJS.glob("examples/NewsML/*.xml"), NINJS)
FEED_FILES = present([DATA / "feed.rss", DATA / "feed.atom"], DATA)
WXR_FILES = present(WXR.glob("*.xml"), WXR)
ROWS = (Page, Revision, Image, RemoteImage, ImportedObject, Comment, Author, Tag, Redirect)

# What broke readers before: NUL, surrogates in every spelling, bytes that are not UTF-8,
# nesting, numbers past Python's limit, XML's own traps.
SPECIAL = [b"\x00", b"\\u0000", b"\\ud800", b"\\udfff\\ud800", b"\xed\xa0\x80", b"\xff\xfe",
           b"\xc3", b"[" * 300, b'{"a":' * 200, b"9" * 5000, b"1e999", b"NaN", b"-", b'"',
           b"\\", b"null", b"[]", b"{}", b"&#0;", b"&#xD800;", b"&amp", b"<", b"</", b">",
           b"]]>", b"<![CDATA[", b"<!DOCTYPE x [<!ENTITY e 'e'>]>", b"&e;", b"\r\n",
           b'<?xml version="1.0" encoding="utf-32"?>', "\u2028".encode(), b"\xef\xbb\xbf"]
TEXT = st.text(st.characters() | st.sampled_from(["\x00", "\ud800", "\udfff", "\ufeff"]),
               max_size=30)
names = count()


def rows() -> dict:
    return {model.__name__: model.objects.count() for model in ROWS}


def import_undone(path, kind: str | None = None):
    """Import one file as `broadsheet import` would, check the outcome, and undo it."""
    class Undo(Exception):
        pass

    try:
        with transaction.atomic():
            before = rows()
            run = Run(progress=Progress(io.StringIO(), tty=False),
                      fetcher=Fetcher(enabled=False), section="News")
            _, refusal = run.read_file(path, HANDLERS[kind or kind_of_source(path)])
            run.finish()
            if refusal is not None:
                assert not refusal.unexpected, refusal.problem
                assert refusal.path.startswith(str(path)), str(refusal)
                assert rows() == before, f"partial write from a refused file: {refusal}"
            raise Undo
    except Undo:
        pass


def written(tmp_path, data: bytes, suffix: str):
    path = tmp_path / f"fuzz-{next(names)}{suffix}"
    path.write_bytes(data)
    return path


# Mutating bytes ---------------------------------------------------------------------------

@st.composite
def mutated_bytes(draw, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["truncate", "flip", "insert", "special", "delete"]))
        if action == "truncate":
            del data[at:]
        elif action == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif action == "special":
            data[at:at] = draw(st.sampled_from(SPECIAL))
        elif action == "delete":
            del data[at:at + draw(st.integers(1, 64))]
    return bytes(data)


def mutated_file(files, source=lambda path: path.read_bytes()):
    return st.sampled_from(files).flatmap(lambda path: mutated_bytes(source(path)))


# Mutating structure -----------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False,
                                                           allow_infinity=False) | TEXT,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(TEXT | st.sampled_from(["uri", "type", "headlines", "bodies", "value",
                                               "role", "subjects", "rel", "name",
                                               "associations", "renditions", "href"]),
                      children, max_size=3),
    max_leaves=12)


def _json_slots(node, slots):
    if isinstance(node, dict):
        for key, value in node.items():
            slots.append((node, key))
            _json_slots(value, slots)
    elif isinstance(node, list):
        for n, value in enumerate(node):
            slots.append((node, n))
            _json_slots(value, slots)
    return slots


# Values json.dumps cannot write, put where a value goes: what once crashed the reader.
RAW_VALUES = ["[" * 100_000, "9" * 5000, "NaN", "-Infinity", "1e999", '"\\ud800"',
              '"a\\u0000b"', "[" * 70 + "]" * 70, '{"a":' * 70 + "1" + "}" * 70]
RAW = "\ue000raw{}\ue000"


@st.composite
def restructured_json(draw) -> bytes:
    document = json.loads(draw(st.sampled_from(NINJS_FILES)).read_text(encoding="utf-8"))
    raw = []
    for _ in range(draw(st.integers(1, 3))):
        slots = _json_slots(document, [])
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(["replace", "raw", "remove"]))
        if action == "replace":
            container[key] = draw(json_values)
        elif action == "raw":
            container[key] = RAW.format(len(raw))
            raw.append(draw(st.sampled_from(RAW_VALUES)))
        elif isinstance(container, dict):
            del container[key]
        else:
            container.append(copy.deepcopy(container[key]))
    text = json.dumps(document)  # NUL and surrogates as \u escapes, as producers write them
    for n, value in enumerate(raw):
        text = text.replace(json.dumps(RAW.format(n)), value)
    return text.encode()


@st.composite
def restructured_xml(draw, source) -> bytes:
    root = ET.fromstring(source)  # noqa: S314 (the suite's own data)
    for _ in range(draw(st.integers(1, 3))):
        parents = [(p, c) for p in root.iter() for c in p]
        if not parents:
            break
        parent, child = draw(st.sampled_from(parents))
        action = draw(st.sampled_from(["text", "remove", "repeat", "attribute"]))
        if action == "text":
            child.text = draw(TEXT)
        elif action == "remove":
            parent.remove(child)
        elif action == "repeat":
            parent.append(copy.deepcopy(child))
        elif child.attrib:
            child.set(draw(st.sampled_from(sorted(child.attrib))), draw(TEXT))
    # ElementTree writes a lone surrogate as a character reference and a NUL as it is: both
    # make XML that expat refuses, as a real file with them would be.
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


@cache
def wxr_excerpts() -> list[bytes]:
    """Each of WordPress's test exports cut to its channel and three items at a time: real
    exports, small enough to import in a fraction of a second."""
    excerpts = []
    for path in WXR_FILES:
        text = path.read_text(encoding="utf-8")
        head, *rest = text.split("<item>")
        # The channel's own list of categories made every example publish fifty sections;
        # the items still name theirs, and two of the list stay to be mutated.
        categories = re.findall(r"<wp:(?:category|term)>.*?</wp:(?:category|term)>", head,
                                flags=re.S)
        for category in categories[2:]:
            head = head.replace(category, "", 1)
        items = ["<item>" + part.split("</item>")[0] + "</item>" for part in rest]
        for start in range(0, len(items), 3):
            excerpts.append((head + "".join(items[start:start + 3])
                             + "\n</channel>\n</rss>\n").encode())
    return excerpts


# The properties ----------------------------------------------------------------------------

@FUZZ
@given(data=mutated_file(NINJS_FILES))
def test_ninjs_mutated_bytes(tmp_path, home, data):
    import_undone(written(tmp_path, data, ".json"), "ninjs")


@FUZZ
@given(data=restructured_json())
def test_ninjs_mutated_structure(tmp_path, home, data):
    import_undone(written(tmp_path, data, ".json"), "ninjs")


@FUZZ
@given(value=json_values)
def test_ninjs_random_json(tmp_path, home, value):
    import_undone(written(tmp_path, json.dumps(value).encode(), ".json"), "ninjs")


@FUZZ
@given(data=st.sampled_from(range(len(wxr_excerpts()))).flatmap(
    lambda n: mutated_bytes(wxr_excerpts()[n])))
def test_wxr_mutated_bytes(tmp_path, home, data):
    import_undone(written(tmp_path, data, ".xml"), "wxr")


@FUZZ_SLOW
@given(data=st.sampled_from(range(len(wxr_excerpts()))).flatmap(
    lambda n: restructured_xml(wxr_excerpts()[n])))
def test_wxr_mutated_structure(tmp_path, home, data):
    import_undone(written(tmp_path, data, ".xml"), "wxr")


@FUZZ
@given(data=st.sampled_from(WXR_FILES).flatmap(
    lambda path: st.integers(0, path.stat().st_size).map(
        lambda at, path=path: path.read_bytes()[:at])))
def test_wxr_whole_exports_truncated(tmp_path, home, data):
    import_undone(written(tmp_path, data, ".xml"), "wxr")


@FUZZ
@given(data=mutated_file(NEWSML_FILES))
def test_newsml_mutated_bytes(tmp_path, home, data):
    import_undone(written(tmp_path, data, ".xml"), "newsml")


@FUZZ_SLOW
@given(data=st.sampled_from(NEWSML_FILES).flatmap(
    lambda path: restructured_xml(path.read_bytes())))
def test_newsml_mutated_structure(tmp_path, home, data):
    import_undone(written(tmp_path, data, ".xml"), "newsml")


@FUZZ
@given(data=mutated_file(FEED_FILES))
def test_feed_mutated_bytes(tmp_path, home, data):
    import_undone(written(tmp_path, data, ".xml"), "feed")


@FUZZ_SLOW
@given(data=st.sampled_from(FEED_FILES).flatmap(
    lambda path: restructured_xml(path.read_bytes())))
def test_feed_mutated_structure(tmp_path, home, data):
    import_undone(written(tmp_path, data, ".xml"), "feed")


@FUZZ
@given(data=st.binary(max_size=200) | mutated_file(
    [*FEED_FILES, *NEWSML_FILES, SEED / "article.ninjs.json"]))
def test_any_file_as_the_sniffer_sees_it(tmp_path, home, data):
    import_undone(written(tmp_path, data, ".dat"))


@cache
def vocabulary(kind: str) -> list[str]:
    """Every element name the real files of a kind use (namespaced as ElementTree names)."""
    files = {"wxr": wxr_excerpts()[:2], "newsml": [p.read_bytes() for p in NEWSML_FILES],
             "feed": [p.read_bytes() for p in FEED_FILES]}[kind]
    return sorted({e.tag for data in files
                   for e in ET.fromstring(data).iter()})  # noqa: S314 (the suite's own)


def element(tag: str, text: str, children: list) -> ET.Element:
    node = ET.Element(tag)
    node.text = text
    node.extend(children)
    return node


def random_tree(kind: str):
    tags = st.sampled_from(vocabulary(kind))
    leaf = st.builds(element, tags, TEXT, st.just([]))
    return st.recursive(leaf, lambda kids: st.builds(element, tags, TEXT,
                                                      st.lists(kids, max_size=4)),
                        max_leaves=16)


# Each format's root, holding random elements of that format's own vocabulary.
ROOTS = {"wxr": lambda trees: element("rss", "", [element("channel", "", [
             element("{http://wordpress.org/export/1.2/}base_blog_url", "https://b.example",
                     []), *trees])]),
         "newsml": lambda trees: element("NewsML", "", [element("NewsItem", "", trees)]),
         "feed": lambda trees: element("rss", "", [element("channel", "", trees)])}


@FUZZ_SLOW
@pytest.mark.parametrize("kind", sorted(ROOTS))
@given(data=st.data())
def test_random_xml_of_each_format(tmp_path, home, kind, data):
    root = ROOTS[kind](data.draw(st.lists(random_tree(kind), min_size=1, max_size=4)))
    content = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    import_undone(written(tmp_path, content, ".xml"), kind)


@pytest.mark.parametrize("files", [NINJS_FILES, NEWSML_FILES, FEED_FILES, WXR_FILES])
def test_the_fuzzers_start_from_real_files(files):
    assert all(path.is_file() for path in files)
