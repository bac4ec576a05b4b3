"""Reading IPTC ninjs 3.x: validate against IPTC's schema, then map the item to a story.

Nothing here touches the database: `parse()` turns a file into a `Story`, or raises
`RefusedFile` naming the file, where in it (a JSON path, or a line and column) and what is
wrong. The schemas are IPTC's published files, shipped in `schemas/` so that an import needs
neither the network nor a copy of the standard beside the installation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

import jsonschema
from django.utils.dateparse import parse_datetime
from referencing import Registry, Resource

from .bodies import blocks_from_html, blocks_from_text

SCHEMAS = Path(__file__).resolve().parent / "schemas"
VERSIONS = {"3.0": "ninjs-schema_3.0.json", "3.1": "ninjs-schema_3.1.json"}
NEWEST = "3.1"
STORY_TYPES = {"text", "composite"}  # pictures, video, events and planning are not stories
HTML_TYPES = {"text/html", "application/xhtml+xml"}
WITHDRAWN = {"withheld", "canceled"}
MAX_URI = 500  # ArticlePage.source_uri


class RefusedFile(Exception):
    """A file that cannot be imported; `problem` says where in it and why."""

    def __init__(self, path: Path | str, problem: str):
        self.path, self.problem = str(path), problem
        super().__init__(f"{path}: {problem}")


@dataclass
class Story:
    """One ninjs item, in the newsroom's terms."""

    uri: str
    headline: str = ""
    dek: str = ""
    summary: str = ""
    body: list = field(default_factory=list)
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    byline: str = ""
    language: str = "en"
    first_published: datetime | None = None
    updated: datetime | None = None
    embargoed_until: datetime | None = None
    withdrawn: bool = False  # pubStatus withheld or canceled: take the story down


def parse(path: Path | str, *, default_section: str | None = None) -> Story:
    item = load(path)
    validate(item, path)
    return story_from(item, path, default_section=default_section)


def load(path: Path | str) -> dict:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RefusedFile(path, f"cannot be read: {exc}") from None
    try:
        item = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RefusedFile(path, f"is not valid JSON: {exc.msg} at line {exc.lineno} "
                                f"column {exc.colno}") from None
    if not isinstance(item, dict):
        raise RefusedFile(path, "$: a ninjs item must be a JSON object")
    return item


# ninjs points at GeoJSON's schema on the web for the geometry of places. Imports must work
# offline and we do not use geometry, so that one reference resolves to an open schema.
_OFFLINE = Registry().with_resource(
    "https://geojson.org/schema/GeoJSON.json",
    Resource.from_contents({"$schema": "https://json-schema.org/draft/2020-12/schema"}))


@cache
def _validator(version: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / VERSIONS[version]).read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)  # the draft it declares
    return validator_class(schema, registry=_OFFLINE)


def schema_version(item: dict, path: Path | str) -> str:
    """The schema to check against: the one the item declares, else the newest 3.x."""
    standard = item.get("standard")
    version = standard.get("version") if isinstance(standard, dict) else None
    if version is None:
        return NEWEST
    if version in VERSIONS:
        return version
    if isinstance(version, str) and version.startswith("3."):
        return NEWEST  # a later 3.x: minor versions only add properties
    raise RefusedFile(path, f"$.standard.version: ninjs {version!r} is not supported "
                            "(Broadsheet reads ninjs 3.x)")


def validate(item: dict, path: Path | str, *, version: str | None = None) -> None:
    """Check the item against IPTC's schema: `version`, else the one it declares."""
    errors = list(_validator(version or schema_version(item, path)).iter_errors(item))
    if errors:
        # The first problem in document order is the one a person fixing the file meets first.
        errors.sort(key=lambda e: [(isinstance(p, str), p) for p in e.absolute_path])
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise RefusedFile(path, f"{errors[0].json_path}: {errors[0].message}{more}")


def story_from(item: dict, path: Path | str, *, default_section: str | None = None) -> Story:
    """Map a schema-valid item to a story, refusing what cannot become a page."""
    if len(item["uri"]) > MAX_URI:
        raise RefusedFile(path, f"$.uri: longer than {MAX_URI} characters; an identifier that "
                                "long cannot be looked up again")
    story = Story(uri=item["uri"], withdrawn=item.get("pubStatus") in WITHDRAWN)
    if story.withdrawn:
        return story  # a take-down notice needs nothing but the uri of what it takes down

    kind = item.get("type", "text")
    if kind not in STORY_TYPES:
        raise RefusedFile(path, f"$.type: {kind!r} items are not stories; only text items "
                                "can be imported")

    headlines = item.get("headlines") or []
    # ninjs: "for a simple headline use one object only containing the value property".
    story.headline = _value(headlines, "main") or _value(headlines, None)
    if not story.headline:
        raise RefusedFile(path, "$.headlines: no headline with role \"main\"")
    story.headline = story.headline[:255]
    story.dek = _value(headlines, "sub")[:300]
    story.summary = _value(item.get("descriptions"), "summary")[:500]

    subjects = item.get("subjects") or []
    story.section = next((_name(s) for s in subjects
                          if s.get("rel") == "section" and _name(s)), default_section)
    if not story.section:
        raise RefusedFile(path, "$.subjects: no subject with rel \"section\" to file the story "
                                "under; add one, or name a section with --section")

    names = [_name(e) for key in ("people", "places", "organisations")
             for e in item.get(key) or []]
    names += [_name(s) for s in subjects if s.get("rel") != "section"]
    story.tags = list(dict.fromkeys(n[:100] for n in names if n))

    story.body = _body(item.get("bodies") or [])
    if story.body and story.body[0] == ("subhead", story.headline):
        del story.body[0]  # a whole HTML document repeats the headline as its <h1>
    story.byline = (item.get("by") or "").strip()[:300]
    story.language = (item.get("language") or "en").strip()
    if len(story.language) > 35:
        raise RefusedFile(path, f"$.language: {story.language[:40]!r}... is not a language tag")

    # The wire's own times, so a story imported late still shows when it was published.
    dates = [d for d in (_date(item, "firstCreated", path), _date(item, "versionCreated", path))
             if d]
    story.first_published = dates[0] if dates else None
    story.updated = max(dates, default=None)
    story.embargoed_until = _date(item, "embargoedUntil", path)
    return story


def _body(bodies: list[dict]) -> list:
    """Blocks from the richest body given: HTML if there is one, else plain text."""
    for body in bodies:
        if _media_type(body) in HTML_TYPES and body["value"].strip():
            return blocks_from_html(body["value"])
    for body in bodies:
        if _media_type(body) == "text/plain" and body["value"].strip():
            return blocks_from_text(body["value"])
    return []


def _media_type(body: dict) -> str:
    """The body's media type without parameters (text/html; charset=utf-8 is HTML too)."""
    # A body without a type is plain text: the ninjs examples send text that way.
    return (body.get("contentType") or "text/plain").split(";")[0].strip().lower()


def _value(items, role: str | None) -> str:
    for item in items or []:
        if item.get("role") == role and item["value"].strip():
            return " ".join(item["value"].split())
    return ""


def _name(entity: dict) -> str:
    return " ".join((entity.get("name") or "").split())


def _date(item: dict, key: str, path) -> datetime | None:
    value = item.get(key)
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise RefusedFile(path, f"$.{key}: {value!r} is not a date and time with a time zone "
                                "(e.g. 2024-12-13T17:00:00Z)")
    return parsed
