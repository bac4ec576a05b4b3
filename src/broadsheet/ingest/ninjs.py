"""Reading IPTC ninjs 3.x: validate against IPTC's schema, then map to a story.

Nothing here touches the database: `parse()` turns a file into a `Story` or raises
`RefusedFile` naming the file, where in it, and what is wrong.
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
DEFAULT_VERSION = "3.1"


class RefusedFile(Exception):
    def __init__(self, path: Path | str, problem: str):
        self.path, self.problem = str(path), problem
        super().__init__(f"{path}: {problem}")


@dataclass
class Story:
    uri: str
    headline: str
    dek: str = ""
    summary: str = ""
    body: list = field(default_factory=list)
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    byline: str = ""
    language: str = "en"
    first_published: datetime | None = None
    updated: datetime | None = None
    withdrawn: bool = False


# ninjs points at GeoJSON's schema on the web for `located` geometry. Imports must work
# offline, so that one reference resolves to an open schema: geometry is not checked.
_OFFLINE = Registry().with_resource(
    "https://geojson.org/schema/GeoJSON.json",
    Resource.from_contents({"$schema": "https://json-schema.org/draft/2020-12/schema"}))


@cache
def _validator(version: str):
    schema = json.loads((SCHEMAS / VERSIONS[version]).read_text())
    return jsonschema.Draft202012Validator(schema, registry=_OFFLINE)


def _json_path(error: jsonschema.ValidationError) -> str:
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _version(item: dict, path) -> str:
    standard = item.get("standard") or {}
    version = str(standard.get("version", DEFAULT_VERSION)) if isinstance(standard, dict) else ""
    if version in VERSIONS:
        return version
    if version.startswith("3."):
        return DEFAULT_VERSION  # a later 3.x minor version: validate against the newest we know
    raise RefusedFile(path, f"$.standard.version: ninjs {version!r} is not supported "
                            "(Broadsheet reads ninjs 3.x)")


def _first(items, role: str) -> str:
    for item in items or []:
        if item.get("role") == role and item.get("value", "").strip():
            return item["value"].strip()
    return ""


def _date(value: str | None, where: str, path) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None or parsed.tzinfo is None:
        raise RefusedFile(path, f"{where}: {value!r} is not a date-time with a time zone")
    return parsed


def load(path: Path) -> dict:
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


def parse(path: Path, *, default_section: str | None = None) -> Story:
    item = load(path)
    errors = sorted(_validator(_version(item, path)).iter_errors(item),
                    key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise RefusedFile(path, f"{_json_path(first)}: {first.message}{more}")

    if item.get("type", "text") not in ("text", "composite"):
        raise RefusedFile(path, f"$.type: {item['type']!r} items are not stories; "
                                "only text items can be imported")
    headline = _first(item.get("headlines"), "main") or (item.get("title") or "").strip()
    if not headline:
        raise RefusedFile(path, "$.headlines: no headline with role \"main\"")

    subjects = item.get("subjects") or []
    section = next((s["name"].strip() for s in subjects
                    if s.get("rel") == "section" and s.get("name", "").strip()), None)
    section = section or default_section
    if not section:
        raise RefusedFile(path, "$.subjects: no subject with rel \"section\"; "
                                "give one with --section")

    tags = []
    for key in ("people", "places", "organisations"):
        tags += [e["name"].strip() for e in item.get(key) or [] if e.get("name", "").strip()]
    tags += [s["name"].strip() for s in subjects
             if s.get("rel") != "section" and s.get("name", "").strip()]

    body = []
    bodies = item.get("bodies") or []
    html = next((b for b in bodies if b.get("contentType") in
                 ("text/html", "application/xhtml+xml") and b.get("value", "").strip()), None)
    text = next((b for b in bodies if b.get("contentType", "text/plain") == "text/plain"
                 and b.get("value", "").strip()), None)
    if html:
        body = blocks_from_html(html["value"])
    elif text:
        body = blocks_from_text(text["value"])

    return Story(
        uri=item["uri"],
        headline=headline[:255],
        dek=_first(item.get("headlines"), "sub")[:300],
        summary=_first(item.get("descriptions"), "summary")[:500],
        body=body,
        section=section,
        tags=list(dict.fromkeys(t[:100] for t in tags)),
        byline=(item.get("by") or "").strip()[:300],
        language=item.get("language") or "en",
        first_published=_date(item.get("firstCreated"), "$.firstCreated", path),
        updated=_date(item.get("versionCreated"), "$.versionCreated", path),
        withdrawn=item.get("pubStatus") in ("withheld", "canceled"),
    )
