"""Stories out as IPTC ninjs 3.1, for partners, apps and other newsrooms.

An item carries what `broadsheet import` reads back: headline and dek, summary, the body as
HTML, the section (a subject with rel "section"), tags as subjects, byline, language, times,
and the hero picture as an association. A story that came in from elsewhere keeps the uri it
came with, so the agency's identifier survives a trip through Broadsheet; our own stories get
a uri under the site's address.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterable
from html import escape

from wagtail.models import Page
from wagtail.rich_text import expand_db_html

from broadsheet.articles.models import ArticlePage
from broadsheet.articles.visibility import restricted_q
from broadsheet.sections.models import SectionPage

VERSION = "3.1"
STANDARD = {"name": "ninjs", "version": VERSION,
            "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json"}


def published_stories():
    """Every story a partner may have: live, not behind a view restriction."""
    return (ArticlePage.objects.live().exclude(restricted_q())
            .select_related("hero_image")
            .prefetch_related("tagged_items__tag", "bylines__author"))


def sections_of(stories: Iterable[ArticlePage]) -> dict[str, Page]:
    """The parent section of each story, by path, in one query."""
    paths = {s.path[:-Page.steplen] for s in stories}
    return {s.path: s for s in SectionPage.objects.filter(path__in=paths)
            .only("id", "title", "path", "depth", "url_path")}


def section_of(story: ArticlePage, sections: dict[str, Page]) -> Page | None:
    return sections.get(story.path[:-Page.steplen])


def item_for(story: ArticlePage, *, absolute: Callable[[str], str],
             section: Page | None = None) -> dict:
    """The ninjs 3.1 item of one story; `absolute` turns a path into a full URL."""
    section = section or story.get_parent()
    item = {
        "standard": STANDARD,
        "uri": story.source_uri or absolute(f"/ninjs/stories/{story.pk}.json"),
        "type": "text",
        "representationType": "full",
        "pubStatus": "usable",
        "language": story.language or "en",
        "headlines": [{"role": "main", "value": story.title}],
    }
    if story.first_published_at:
        item["firstCreated"] = _time(story.first_published_at)
    if story.last_published_at:
        item["versionCreated"] = _time(story.last_published_at)
    if story.dek:
        item["headlines"].append({"role": "sub", "value": story.dek})
    if story.summary:
        item["descriptions"] = [{"role": "summary", "contentType": "text/plain",
                                 "value": story.summary}]
    by = story.byline or ", ".join(b.author.name for b in story.bylines.all())
    if by:
        item["by"] = by
    subjects = [{"name": section.title, "rel": "section"}] if section else []
    subjects += [{"name": tagged.tag.name} for tagged in story.tagged_items.all()]
    if subjects:
        item["subjects"] = subjects
    body = body_html(story, absolute=absolute)
    if body:
        item["bodies"] = [{"role": "main", "contentType": "text/html", "value": body}]
    web = _web(story, absolute)
    if web:  # where readers find the story
        item["renditions"] = [{"name": "web", "href": web, "contentType": "text/html"}]
    if story.hero_image_id:
        item["associations"] = [_picture("hero", story.hero_image, absolute,
                                         caption=story.hero_caption, credit=story.hero_credit,
                                         alt=story.hero_alt)]
    return item


def _web(story: ArticlePage, absolute) -> str:
    url = story.get_url()
    return absolute(url) if url and url.startswith("/") else url or ""


def _picture(name: str, image, absolute, *, caption: str, credit: str, alt: str) -> dict:
    href = absolute(image.file.url)
    picture = {"name": name, "uri": href, "type": "picture",
               "renditions": [{"name": "original", "href": href,
                               "contentType": mimetypes.guess_type(image.file.name)[0]
                               or "image/jpeg", "width": image.width,
                               "height": image.height}]}
    descriptions = []
    if caption:
        descriptions.append({"role": "caption", "value": caption})
    if alt:
        descriptions.append({"role": "alt", "value": alt})
    if descriptions:
        picture["descriptions"] = descriptions
    if credit:
        picture["by"] = credit
    return picture


def body_html(story: ArticlePage, *, absolute) -> str:
    """The body as plain, portable HTML: paragraphs, sub-heads, lists, quotes, figures."""
    parts = []
    for block in story.body:
        kind, value = block.block_type, block.value
        if kind == "paragraph":
            parts.append(expand_db_html(value.source))
        elif kind == "subhead":
            parts.append(f"<h2>{escape(value)}</h2>")
        elif kind == "list":
            tag = "ol" if value["ordered"] else "ul"
            items = "".join(f"<li>{escape(i)}</li>" for i in value["items"])
            parts.append(f"<{tag}>{items}</{tag}>")
        elif kind == "pull_quote":
            parts.append(f"<blockquote>{escape(value['quote'])}</blockquote>")
        elif kind == "image" and value["image"]:
            caption = value["caption"] or ""
            parts.append(f'<figure><img src="{escape(absolute(value["image"].file.url))}" '
                         f'alt="{escape(value["alt"] or "")}">'
                         + (f"<figcaption>{escape(caption)}</figcaption>" if caption else "")
                         + "</figure>")
        elif kind == "embed" and value:
            url = getattr(value, "url", "")
            parts.append(f'<p><a href="{escape(url)}">{escape(url)}</a></p>')
    return "".join(parts)


def _time(value) -> str:
    return value.isoformat().replace("+00:00", "Z")
