"""IPTC NewsML 1.x news items (as Business Wire sends them) read as stories.

Only what a story needs is read: the item's public identifier, headline and sub-headline, the
XHTML body, the language, the dates, status, keywords (as tags) and photos (the largest
rendition of each). Logos, style sheets, contacts and video are left out.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

from .bodies import richest_body
from .guard import BoundedFile, check_body, xml_refusals
from .items import MAX_URI, Picture, RefusedFile, Story

WITHDRAWN = {"canceled", "cancelled", "withheld"}


def read_newsml(path: Path, run) -> None:
    with xml_refusals(path), BoundedFile(path) as file:
        # Expat never fetches external entities and refuses expansion attacks.
        root = ET.parse(file).getroot()  # noqa: S314
    items = root.findall(".//NewsItem")
    if root.tag != "NewsML" or not items:
        raise RefusedFile(path, "is not a NewsML 1.x document with a NewsItem")
    for n, item in enumerate(items):
        label = str(path) if len(items) == 1 else f"{path} NewsItem {n + 1}"
        story = story_from(item, label, section=run.section)
        run.progress.advance(fraction=run.share((n + 1) / len(items)))
        if run.check:
            run.checked(f"ok {label} (NewsML {root.get('Version', '1.x')})")
            continue
        run.write(story, label)


def story_from(item, label: str, *, section: str | None) -> Story:
    uri = (item.findtext("Identification/NewsIdentifier/PublicIdentifier") or "").strip()
    if not uri:
        raise RefusedFile(label, "NewsItem/Identification/NewsIdentifier/PublicIdentifier: "
                                 "missing; the item cannot be known again")
    if len(uri) > MAX_URI:
        raise RefusedFile(label, f"PublicIdentifier: longer than {MAX_URI} characters")
    status = (item.find("NewsManagement/Status") or ET.Element("x")).get("FormalName", "")
    story = Story(uri=uri, withdrawn=status.lower() in WITHDRAWN)
    if story.withdrawn:
        return story
    headline = " ".join((item.findtext(".//NewsLines/HeadLine") or "").split())
    if not headline:
        raise RefusedFile(label, "NewsLines/HeadLine: missing")
    story.headline = headline[:255]
    story.dek = " ".join((item.findtext(".//NewsLines/SubHeadLine") or "").split())[:300]
    story.section = section
    if not story.section:
        raise RefusedFile(label, "NewsML names no section for the story: name one with "
                                 "--section")
    language = item.find(".//DescriptiveMetadata/Language")
    story.language = (language.get("FormalName") if language is not None else "en")[:35]
    first = _time(item.findtext("NewsManagement/FirstCreated"))
    story.first_published = first
    story.updated = _time(item.findtext("NewsManagement/ThisRevisionCreated")) or first
    story.tags = list(dict.fromkeys(
        p.get("Value", "")[:100] for p in item.iter("Property")
        if p.get("FormalName", "").endswith("Keywords") and p.get("Value")))
    bodies = []
    for component in _with_role(item, "Body"):
        for content in component.iter("ContentItem"):
            mime = content.find("MimeType")
            data = content.find("DataContent")
            if mime is not None and "html" in mime.get("FormalName", "") and data is not None:
                html = "".join(ET.tostring(child, encoding="unicode") for child in data)
                check_body(label, html)
                bodies.append(("text/html", html))
    story.body = richest_body(bodies)
    for component in _with_role(item, "Photo"):
        caption = " ".join((component.findtext("NewsLines/HeadLine") or "").split())
        renditions = [c for c in component.iter("ContentItem") if c.get("Href")]
        best = max(renditions, key=lambda c: _width(c), default=None)
        if best is not None:
            story.pictures.append(Picture(uri=best.get("Href"), href=best.get("Href"),
                                          caption=caption[:500], alt=caption[:250]))
    return story


def _with_role(item, role: str):
    for component in item.iter("NewsComponent"):
        found = component.find("Role")
        if found is not None and found.get("FormalName") == role:
            yield component


def _width(content) -> int:
    for prop in content.iter("Property"):
        if prop.get("FormalName") == "PixelWidth":
            try:
                return int(prop.get("Value", "0"))
            except ValueError:
                return 0
    return 0


def _time(value: str | None) -> datetime | None:
    """NewsML's basic ISO 8601: 20130605T210000+0000."""
    if not value:
        return None
    try:
        return datetime.strptime(value.strip(), "%Y%m%dT%H%M%S%z")
    except ValueError:
        return None
