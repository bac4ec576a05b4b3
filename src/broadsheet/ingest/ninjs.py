"""Reading IPTC ninjs 1.x, 2.x and 3.x: validate against IPTC's schema, then map to a story.

Nothing here touches the database: `parse()` turns a file into a `Story`, or raises
`RefusedFile` naming the file, where in it (a JSON path, or a line and column) and what is
wrong, or `SkippedItem` for a valid item that is not a story (a lone picture, an event). The
schemas are IPTC's published files, shipped in `schemas/` so that an import needs neither the
network nor a copy of the standard beside the installation.

Which schema: the version the item declares (`standard.version`), else the one the operator
names (`--ninjs-version`), else the newest version the item satisfies. Once valid, an item of
any version is read through one mapping: 1.x and 2.x names (`headline`, `body_xhtml`,
`versioncreated`, `byline`, associations keyed by name) are read as their 3.x equivalents.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path

import jsonschema
from django.utils.dateparse import parse_datetime
from referencing import Registry, Resource

from .bodies import richest_body
from .guard import read_json
from .items import MAX_URI, Picture, RefusedFile, SkippedItem, Story

SCHEMAS = Path(__file__).resolve().parent / "schemas"
# Release versions only, oldest first; IPTC's 1.x_dev/2.x_dev drafts are not releases.
VERSIONS = {v: f"ninjs-schema_{v}.json"
            for v in ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2.0", "2.1", "2.2",
                      "3.0", "3.1")}
NEWEST = "3.1"
STORY_TYPES = {"text", "composite"}  # pictures, video, events and planning are not stories
PICTURE_TYPES = {"picture", "graphic"}
WITHDRAWN = {"withheld", "canceled"}
def parse(path: Path | str, *, default_section: str | None = None,
          version: str | None = None) -> Story:
    item = load(path)
    used = validate(item, path, version=version, declared=True)
    story = story_from(item, path, default_section=default_section)
    story.version = used
    return story


def load(path: Path | str) -> dict:
    """One item from a file: read within the limits, cleaned and checked (see guard.py)."""
    item, _ = read_json(path)
    if not isinstance(item, dict):
        raise RefusedFile(path, "$: a ninjs item must be a JSON object")
    return item


@cache
def _registry() -> Registry:
    # ninjs points at GeoJSON's schema on the web for the geometry of places; imports must
    # work offline, so the copy shipped beside the ninjs schemas answers for it.
    geojson = json.loads((SCHEMAS / "GeoJSON.json").read_text(encoding="utf-8"))
    return Registry().with_resource("https://geojson.org/schema/GeoJSON.json",
                                    Resource.from_contents(geojson))


@cache
def _validator(version: str):
    schema = json.loads((SCHEMAS / VERSIONS[version]).read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)  # the draft it declares
    return validator_class(schema, registry=_registry())


def declared_version(item: dict, path: Path | str) -> str | None:
    """The release the item names in `standard.version` (3.x and TT's profiles carry one)."""
    standard = item.get("standard")
    version = standard.get("version") if isinstance(standard, dict) else None
    if version is None:
        return None
    return known_version(version, path, where="$.standard.version")


def known_version(version, path: Path | str, *, where: str) -> str:
    """A version as a release we have a schema for: "3.1.0" is 3.1, a later 3.x is 3.1."""
    match = re.match(r"\s*(\d+)\.(\d+)", version) if isinstance(version, str) else None
    if match:  # "3.1.0" and "2.0-dev" name their release too
        major_minor = f"{int(match.group(1))}.{int(match.group(2))}"
        if major_minor in VERSIONS:
            return major_minor
        major = major_minor.split(".")[0]
        later = [v for v in VERSIONS if v.split(".")[0] == major]
        if later and int(match.group(2)) > int(later[-1].split(".")[1]):
            return later[-1]  # a newer minor version only adds properties
    raise RefusedFile(path, f"{where}: ninjs {version!r} is not a version Broadsheet reads "
                            f"(it reads {', '.join(VERSIONS)})")


def validate(item: dict, path: Path | str, *, version: str | None = None,
             declared: bool = False) -> str:
    """Check the item against IPTC's schema and return the version it was checked against.

    With `declared`, the version the item declares wins over `version` (the operator's
    default for items that declare none). With no version at all, the item is checked
    against every release, newest first, and the first it satisfies is its version.
    """
    if declared:
        version = declared_version(item, path) or version
    elif version is None:
        version = declared_version(item, path)
    if version is not None:
        if version not in VERSIONS:
            version = known_version(version, path, where="--ninjs-version")
        _raise_first(path, version, list(_validator(version).iter_errors(item)))
        return version
    problems = {}
    for candidate in reversed(VERSIONS):
        errors = list(_validator(candidate).iter_errors(item))
        if not errors:
            return candidate
        problems[candidate] = errors
    # Valid against none: show what is wrong against the newest release of the generation
    # its property names belong to (3.x writes versionCreated, 2.x headlines, 1.x headline).
    closest = _generation(item)
    _raise_first(path, closest, problems[closest], note=" (valid against no ninjs release; "
                                                         f"checked as {closest})")
    raise AssertionError("unreachable")


def _generation(item: dict) -> str:
    def camel(node, depth=0) -> bool:
        if isinstance(node, list):
            return depth < 4 and any(camel(value, depth + 1) for value in node)
        return isinstance(node, dict) and depth < 4 and any(
            (key != key.lower() and not key.startswith("$")) or camel(value, depth + 1)
            for key, value in node.items())

    if camel(item):
        return NEWEST
    if {"headlines", "bodies", "descriptions"} & set(item):
        return "2.2"
    return "1.6"


def _raise_first(path, version: str, errors: list, *, note: str = "") -> None:
    if not errors:
        return
    # The first problem in document order is the one a person fixing the file meets first.
    errors.sort(key=lambda e: [(isinstance(p, str), p) for p in e.absolute_path])
    others = len(errors) - 1
    more = f" (and {others} more problem{'s' if others > 1 else ''})" if others else ""
    raise RefusedFile(path, f"{errors[0].json_path}: {errors[0].message}{more}"
                            f" [ninjs {version}]{note}")


@cache
def _known_properties() -> frozenset[str]:
    """Every property name any ninjs release defines, anywhere in an item."""
    names: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("properties", "patternProperties") and isinstance(value, dict):
                    names.update(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for name in VERSIONS.values():
        walk(json.loads((SCHEMAS / name).read_text(encoding="utf-8")))
    return frozenset(names)


def profile_extensions(item: dict) -> tuple[dict, list[str]]:
    """An item of an agency's ninjs profile (standard.name other than "ninjs", e.g. TT's
    TTNINJS) may carry top-level properties of its own. They are set aside, so the rest is
    checked against ninjs and imported; the names are returned for a warning."""
    standard = item.get("standard")
    name = standard.get("name") if isinstance(standard, dict) else None
    if not isinstance(name, str) or name.strip().lower() == "ninjs":
        return item, []
    extras = [key for key in item if key not in _known_properties()]
    return {k: v for k, v in item.items() if k not in extras}, extras


def an(word: str) -> str:
    return f"an {word}" if word[:1].lower() in "aeiou" else f"a {word}"


# Reading every version as one ------------------------------------------------------------

# 1.x/2.x property names and their 3.x equivalents (3.0 renamed to camelCase).
_RENAMED = {"versioncreated": "versionCreated", "firstcreated": "firstCreated",
            "pubstatus": "pubStatus", "embargoed": "embargoedUntil",
            "embargoeduntil": "embargoedUntil", "byline": "by", "subject": "subjects",
            "place": "places", "person": "people", "organisation": "organisations",
            "contenttype": "contentType", "mimetype": "contentType",
            "copyrightnotice": "copyrightNotice", "copyrightholder": "copyrightHolder"}
# 1.x bodies and descriptions were properties named after their format.
_BODIES = {"body_text": "text/plain", "body_xhtml": "application/xhtml+xml",
           "body_html5": "text/html", "body_html": "text/html"}
_DESCRIPTIONS = {"description_text": "text/plain", "description_xhtml": "application/xhtml+xml",
                 "description_html5": "text/html"}


def as_v3(item: dict) -> dict:
    """The item with 1.x/2.x names read as 3.x ones (a 3.x item is returned as it is)."""
    out = {}
    for key, value in item.items():
        out.setdefault(_RENAMED.get(key, key), value)
    if "headlines" not in out and isinstance(out.get("headline"), str):
        out["headlines"] = [{"role": "main", "value": out["headline"]}]
    if "bodies" not in out:
        out["bodies"] = [{"role": "text", "contentType": kind, "value": out[key]}
                         for key, kind in _BODIES.items() if isinstance(out.get(key), str)]
    if "descriptions" not in out:
        out["descriptions"] = [{"role": "summary", "contentType": kind, "value": out[key]}
                               for key, kind in _DESCRIPTIONS.items()
                               if isinstance(out.get(key), str)]
    out["bodies"] = [_renamed(b) for b in out.get("bodies") or [] if isinstance(b, dict)]
    for key in ("subjects", "places", "people", "organisations", "headlines", "descriptions"):
        if isinstance(out.get(key), dict):  # a single object where a list is meant
            out[key] = [out[key]]
        out[key] = [e for e in out.get(key) or [] if isinstance(e, dict)]
    associations = out.get("associations") or []
    if isinstance(associations, dict):  # 1.x/2.x: keyed by name
        associations = [{"name": name, **a} for name, a in associations.items()
                        if isinstance(a, dict)]
    out["associations"] = [as_v3(a) for a in associations if isinstance(a, dict)]
    renditions = out.get("renditions") or []
    if isinstance(renditions, dict):
        renditions = [{"name": name, **r} for name, r in renditions.items()
                      if isinstance(r, dict)]
    out["renditions"] = [_renamed(r) for r in renditions if isinstance(r, dict)]
    return out


def _renamed(entry: dict) -> dict:
    return {_RENAMED.get(k, k): v for k, v in entry.items()}


def kind_of(item: dict) -> str:
    """What the item is: its declared type; an undeclared one with event details is an event.
    Asked of invalid items too (to skip or refuse them), so a type that is not text counts
    as undeclared."""
    if isinstance(item.get("type"), str) and item["type"]:
        return item["type"]
    return "event" if "eventDetails" in item else "text"


def is_withdrawn(item: dict) -> bool:
    status = item.get("pubStatus")
    return isinstance(status, str) and status in WITHDRAWN


def story_from(item: dict, path: Path | str, *, default_section: str | None = None) -> Story:
    """Map a schema-valid item (any version) to a story, refusing what cannot become a page."""
    item = as_v3(item)
    if len(item["uri"]) > MAX_URI:
        raise RefusedFile(path, f"$.uri: longer than {MAX_URI} characters; an identifier that "
                                "long cannot be looked up again")
    story = Story(uri=item["uri"], withdrawn=is_withdrawn(item))
    if story.withdrawn:
        return story  # a take-down notice needs nothing but the uri of what it takes down

    kind = kind_of(item)
    if kind not in STORY_TYPES:
        raise SkippedItem(path, f"skipped: {an(kind)} item is not a story ($.type {kind!r}); "
                                "only text and composite items are imported")

    headlines = item["headlines"]
    # ninjs: "for a simple headline use one object only containing the value property".
    story.headline = _value(headlines, "main") or _value(headlines, None)
    if not story.headline:
        raise RefusedFile(path, "$.headlines: no headline with role \"main\"")
    story.headline = story.headline[:255]
    story.dek = _value(headlines, "sub")[:300]
    story.summary = (_value(item["descriptions"], "summary")
                     or _value(item["descriptions"], None))[:500]

    subjects = item["subjects"]
    story.section = next((_name(s) for s in subjects
                          if s.get("rel") == "section" and _name(s)), default_section)
    if not story.section:
        raise RefusedFile(path, "$.subjects: no subject with rel \"section\" to file the story "
                                "under; add one, or name a section with --section")

    names = [_name(e) for key in ("people", "places", "organisations") for e in item[key]]
    names += [_name(s) for s in subjects if s.get("rel") != "section"]
    story.tags = list(dict.fromkeys(n[:100] for n in names if n))

    story.body = richest_body([(_media_type(b), b.get("value") or "") for b in item["bodies"]
                               if isinstance(b.get("value"), str)])
    if story.body and story.body[0] == ("subhead", story.headline):
        del story.body[0]  # a whole HTML document repeats the headline as its <h1>
    by = item.get("by")
    story.byline = (by if isinstance(by, str) else "").strip()[:300]
    story.language = (item.get("language") or "en").strip()
    if len(story.language) > 35:
        raise RefusedFile(path, f"$.language: {story.language[:40]!r}... is not a language tag")
    story.pictures = [_picture(a) for a in item["associations"]
                      if kind_of(a) in PICTURE_TYPES]

    # The wire's own times, so a story imported late still shows when it was published.
    dates = [d for d in (_date(item, "firstCreated", path), _date(item, "versionCreated", path))
             if d]
    story.first_published = dates[0] if dates else None
    story.updated = max(dates, default=None)
    story.embargoed_until = _date(item, "embargoedUntil", path)
    return story


def _picture(association: dict) -> Picture:
    """The best file of a picture association and its caption, credit and alt text."""
    images = [r for r in association["renditions"]
              if isinstance(r.get("href"), str)
              and str(r.get("contentType") or "image/").startswith("image/")]
    best = max(images, key=lambda r: (r.get("width") or 0) * (r.get("height") or 0),
               default={})
    descriptions = association["descriptions"]
    caption = (_value(descriptions, "caption") or _value(descriptions, None)
               or _value(descriptions, "summary") or _value(association["headlines"], "main")
               or _value(association["headlines"], None))
    by = association.get("by")
    credit = by if isinstance(by, str) else ""
    credit = credit or str(association.get("copyrightNotice") or "")
    alt = (_value(descriptions, "alt") or _value(descriptions, "alternative")
           or _value(association["headlines"], "main") or caption)
    return Picture(uri=str(association.get("uri") or ""), href=best.get("href", ""),
                   caption=caption[:500], credit=" ".join(credit.split())[:200],
                   alt=alt[:250], renditions=[_rendition(r) for r in images])


def _rendition(rendition: dict) -> dict:
    """A rendition's address and size; a size that is not a positive whole number is left
    out (unknown), never guessed."""
    def size(key):
        value = rendition.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) \
            and value > 0 else None

    return {"href": rendition["href"].strip()[:1000], "width": size("width"),
            "height": size("height"),
            "contentType": str(rendition.get("contentType") or "")[:100]}


def _media_type(body: dict) -> str:
    """The body's media type without parameters (text/html; charset=utf-8 is HTML too)."""
    # A body without a type is plain text: the ninjs examples send text that way.
    return str(body.get("contentType") or "text/plain").split(";")[0].strip().lower()


def _value(items, role: str | None) -> str:
    for item in items or []:
        value = item.get("value")
        if item.get("role") == role and isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return ""


def _name(entity: dict) -> str:
    name = entity.get("name")
    return " ".join(name.split()) if isinstance(name, str) else ""


def _date(item: dict, key: str, path) -> datetime | None:
    value = item.get(key)
    if not value:
        return None
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise RefusedFile(path, f"$.{key}: {value!r} is not a date and time with a time zone "
                                "(e.g. 2024-12-13T17:00:00Z)")
    return parsed
