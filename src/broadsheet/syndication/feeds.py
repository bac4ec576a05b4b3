"""RSS 2.0, Atom 1.0 and JSON Feed 1.1 from one list of stories.

Django's feed generators write RSS and Atom (escaping, dates, namespaces done right); JSON
Feed is a plain dictionary following https://jsonfeed.org/version/1.1.

Not Django's `syndication.views.Feed`: it writes one format a class from per-item callbacks,
while here three formats come from one list of stories fetched once (with bylines, tags and
corrections prefetched), and the ETag must cover which stories are in the feed (one
unpublished changes no time) and the feed settings. Its generators are what we use.
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch
from django.utils import feedgenerator

from broadsheet.articles.models import ArticlePage, Byline

FORMATS = {
    "rss.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json; charset=utf-8",
}


@dataclass
class Item:
    id: str
    url: str
    title: str
    summary: str
    content_html: str | None
    published: datetime
    updated: datetime
    authors: list[tuple[str, str]] = field(default_factory=list)  # (name, absolute url)
    tags: list[str] = field(default_factory=list)
    image: tuple[str, int, str] | None = None  # (absolute url, bytes, mime type)


def latest(stories, *, limit: int) -> list:
    """The newest `limit` stories of a feed, with what its items show."""
    return list(stories.prefetch_related(
        Prefetch("bylines", queryset=Byline.objects.select_related("author")
                 .order_by("sort_order")),
        "tags", "corrections")[:limit])


def updated(story) -> datetime:
    """When a story last changed for a feed reader: a publication or a correction."""
    return max([story.last_published_at or story.first_published_at,
                *(c.made_at for c in story.corrections.all())])


def last_change(stories: list) -> datetime | None:
    """When the feed last changed. The feed is made of these stories alone, so their own
    times say it exactly, without an aggregate over the whole archive."""
    return max((updated(s) for s in stories), default=None)


def items(stories: list, absolute, *, full_text: bool) -> list[Item]:
    if full_text:  # the body is deferred in teasers; fetch it for these stories only
        bodies = dict(ArticlePage.objects.filter(pk__in=[s.pk for s in stories])
                      .values_list("pk", "body"))
    out = []
    for story in stories:
        url = absolute(story.url)
        image = None
        if story.hero_image_id and story.hero_image.file:
            hero = story.hero_image
            name = hero.file.name
            image = (absolute(hero.file.url), hero.file_size or 0,
                     mimetypes.guess_type(name)[0] or "image/jpeg")
        content = None
        if full_text:
            story.body = type(story).body.field.to_python(bodies.get(story.pk))
            content = str(story.body.render_as_block())
        out.append(Item(
            id=url, url=url, title=story.title, summary=story.teaser_summary,
            content_html=content, published=story.first_published_at, updated=updated(story),
            authors=[(b.author.name, absolute(b.author.get_absolute_url()))
                     for b in story.bylines.all()] or ([(story.byline, "")] if story.byline
                                                       else []),
            tags=[t.name for t in story.tags.all()], image=image))
    return out


def render(fmt: str, *, title: str, link: str, feed_url: str, description: str,
           language: str, entries: list[Item], updated: datetime | None) -> bytes:
    if fmt == "feed.json":
        return json_feed(title=title, link=link, feed_url=feed_url, description=description,
                         language=language, entries=entries)
    generator = feedgenerator.Rss201rev2Feed if fmt == "rss.xml" else feedgenerator.Atom1Feed
    feed = generator(title=title, link=link, description=description, language=language,
                     feed_url=feed_url, feed_guid=feed_url)
    for item in entries:
        feed.add_item(
            title=item.title, link=item.url, unique_id=item.id, unique_id_is_permalink=True,
            description=item.content_html or item.summary,
            pubdate=item.published, updateddate=item.updated,
            author_name=", ".join(name for name, _ in item.authors) or None,
            author_link=item.authors[0][1] if len(item.authors) == 1 and item.authors[0][1]
            else None,
            categories=item.tags,
            enclosures=[feedgenerator.Enclosure(item.image[0], str(item.image[1]),
                                                item.image[2])] if item.image else None,
        )
    return feed.writeString("utf-8").encode()


def json_feed(*, title, link, feed_url, description, language, entries) -> bytes:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title, "home_page_url": link, "feed_url": feed_url,
        "description": description, "language": language,
        "items": [],
    }
    for item in entries:
        entry = {"id": item.id, "url": item.url, "title": item.title,
                 "summary": item.summary,
                 "date_published": item.published.isoformat(),
                 "date_modified": item.updated.isoformat()}
        if item.content_html:
            entry["content_html"] = item.content_html
        else:
            entry["content_text"] = item.summary
        if item.authors:
            entry["authors"] = [{"name": n, **({"url": u} if u else {})}
                                for n, u in item.authors]
        if item.tags:
            entry["tags"] = item.tags
        if item.image:
            entry["image"] = item.image[0]
        feed["items"].append(entry)
    return json.dumps(feed, ensure_ascii=False).encode()
