"""Reading a WordPress export (WXR): the file as a stream of plain items, nothing written.

The file is read with iterparse and every element is dropped once it has become an item, so
memory stays flat whatever the size of the export. Nothing here touches the database (wxr.py
writes), so `broadsheet import --check` and tests can read an export with no database at
all. The items keep WordPress's own words (post types, "hold", "0000-00-00" dates): what they
become in the newsroom is the writer's decision.

Refused while reading: a file that is not WXR, an item without its WordPress id, and a
post, excerpt or comment over the item limit (guard.check_body).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .guard import BoundedFile, check_body, xml_refusals
from .items import RefusedFile

_PREFIXES = (("excerpt", "excerpt"), ("wordpress.org/export", "wp"),
             ("purl.org/rss/1.0/modules/content", "content"), ("purl.org/dc/elements", "dc"),
             ("wellformedweb.org", "wfw"))


@dataclass
class WxrBlog:
    """The blog's address (no trailing slash): the identity of everything from this export."""

    address: str


@dataclass
class WxrAuthor:
    login: str
    name: str  # the display name, else first and last name, else the login


@dataclass
class WxrCategory:
    nicename: str
    name: str
    parent: str  # the parent's nicename; "" at the top


@dataclass
class WxrTag:
    name: str


@dataclass
class WxrComment:
    id: str  # "" when the export gives none
    parent_id: str  # the WordPress id of the comment it answers; "" or "0" for none
    author: str  # as WordPress keeps it: HTML ("&laquo;")
    author_url: str
    type: str  # "" for a plain comment, "pingback", "trackback"
    content: str  # HTML
    approved: str  # "1", "0", "approve", "hold", "spam", "trash"
    date_gmt: str  # "2013-04-09 18:20:39"; "0000-00-00 00:00:00" or "" for none
    date: str  # the same in the blog's time zone


@dataclass
class WxrPost:
    """An <item>: WordPress calls every one a post, whatever its `kind` (its post type)."""

    id: str
    label: str  # "<file> post <id>", for refusals, warnings and report lines
    kind: str = "post"  # "post", "page", "attachment", "nav_menu_item", …
    status: str = ""  # "publish", "draft", "future", "pending", "private", "trash", …
    title: str = ""
    link: str = ""  # its permalink on the old site
    name: str = ""  # its slug there (wp:post_name)
    content: str = ""  # HTML, as stored (blocks included)
    excerpt: str = ""
    date_gmt: str = ""
    date: str = ""
    modified_gmt: str = ""
    creator: str = ""  # the author's login
    comment_status: str = ""  # "open" or "closed"
    parent_id: str = "0"  # of a page: the page it is filed under; "0" or "" for none
    attachment_url: str = ""
    # Its sections, in order; the parent of each is in the channel's WxrCategory of its name.
    categories: list[WxrCategory] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)  # the first value of each key
    comments: list[WxrComment] = field(default_factory=list)


@dataclass
class WxrRepeat:
    """A second <item> with a WordPress id already read (export plugins that page through
    posts write some twice): the same post, so nothing of it is read."""

    id: str
    label: str


WxrThing = WxrBlog | WxrAuthor | WxrCategory | WxrTag | WxrPost | WxrRepeat


class WxrReader:
    """One export, read in one pass (`things`), or in a quick one for its attachments."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.fraction = 0.0  # how much of the file `things` has read, 0-1

    def attachment_urls(self) -> dict[str, str]:
        """WordPress id → file address of every attachment, so that a post's featured image
        is found whether its attachment comes before or after it in the export."""
        found: dict[str, str] = {}
        post_id = url = None
        with xml_refusals(self.path), BoundedFile(self.path) as file:
            for _, element in ET.iterparse(file):  # noqa: S314 (see things)
                name = _name(element.tag)
                if name == "wp:post_id":
                    post_id = (element.text or "").strip()
                elif name == "wp:attachment_url":
                    url = (element.text or "").strip()
                elif name == "item":
                    if post_id and url:
                        found[post_id] = url
                    post_id = url = None
                    element.clear()
        return found

    def things(self) -> Iterator[WxrThing]:
        """Everything in the channel, in the order of the file."""
        size = max(os.path.getsize(self.path), 1) if self.path.exists() else 1
        with xml_refusals(self.path), BoundedFile(self.path) as file:
            yield from self._stream(file, size)

    def _stream(self, file, size: int) -> Iterator[WxrThing]:
        # Expat (Python 3.11+) never fetches external entities and refuses entity expansion
        # attacks, so an export cannot reach the network or exhaust memory.
        events = ET.iterparse(file, events=("start", "end"))  # noqa: S314
        depth, channel, seen_rss, address = 0, None, False, ""
        seen: set[str] = set()  # WordPress ids of the items read so far
        for event, element in events:
            if event == "start":
                depth += 1
                if depth == 1:
                    seen_rss = element.tag == "rss"
                elif depth == 2 and element.tag == "channel":
                    channel = element
                continue
            depth -= 1
            if depth != 2 or channel is None:
                continue
            name, thing = _name(element.tag), None
            if name == "item":
                thing = self._item(_fields(element), seen)
            elif name == "wp:author":
                thing = _author(_fields(element))
            elif name == "wp:category":
                fields = _fields(element)
                if fields.get("wp:category_nicename"):
                    nicename = fields["wp:category_nicename"]
                    thing = WxrCategory(nicename, fields.get("wp:cat_name") or nicename,
                                        fields.get("wp:category_parent", ""))
            elif name == "wp:tag":
                tag = _fields(element).get("wp:tag_name")
                thing = WxrTag(tag) if tag else None
            elif name in ("wp:base_blog_url", "link") and not address:
                address = (element.text or "").strip().rstrip("/")
                thing = WxrBlog(address) if address else None
            channel.remove(element)  # done with it: memory stays flat
            if name == "item":
                self.fraction = file.tell() / size
            if thing is not None:
                yield thing
        if not seen_rss or channel is None or not address:
            raise RefusedFile(self.path, "is not a WordPress export (WXR): no <rss><channel> "
                                         "with the blog's address")

    def _item(self, fields: dict, seen: set[str]) -> WxrPost | WxrRepeat:
        wp_id = fields.get("wp:post_id", "")
        label = f"{self.path} post {wp_id}"
        if not wp_id:
            raise RefusedFile(self.path, f"item {fields.get('title', '')!r}: no <wp:post_id>")
        if wp_id in seen:
            # WordPress numbers every item of a site once; a second item with the same
            # number is the same post, and two stories from one post would share one identity.
            return WxrRepeat(wp_id, label)
        seen.add(wp_id)
        post = WxrPost(
            id=wp_id, label=label, kind=fields.get("wp:post_type", "post"),
            status=fields.get("wp:status", ""), title=fields.get("title", ""),
            link=fields.get("link", ""), name=fields.get("wp:post_name", ""),
            content=fields.get("content:encoded", ""), excerpt=fields.get("excerpt:encoded", ""),
            date_gmt=fields.get("wp:post_date_gmt", ""), date=fields.get("wp:post_date", ""),
            modified_gmt=fields.get("wp:post_modified_gmt", ""),
            creator=fields.get("dc:creator", ""),
            comment_status=fields.get("wp:comment_status", ""),
            parent_id=fields.get("wp:post_parent", "0"),
            attachment_url=fields.get("wp:attachment_url", ""))
        check_body(label, post.content)
        check_body(label, post.excerpt, what="the excerpt")
        for element in fields.get("category[]", []):
            text = (element.text or "").strip()
            if element.get("domain") == "category":
                post.categories.append(WxrCategory(element.get("nicename") or "", text, ""))
            elif element.get("domain") == "post_tag":
                post.tags.append(text)
        for element in fields.get("wp:postmeta[]", []):
            meta = _fields(element)
            post.meta.setdefault(meta.get("wp:meta_key", ""), meta.get("wp:meta_value", ""))
        for element in fields.get("wp:comment[]", []):
            check_body(label, element.findtext("{*}comment_content") or "", what="a comment")
            post.comments.append(_comment(_fields(element)))
        return post


def _author(fields: dict) -> WxrAuthor | None:
    login = fields.get("wp:author_login", "")
    if not login:
        return None
    name = (fields.get("wp:author_display_name")
            or " ".join(filter(None, (fields.get("wp:author_first_name"),
                                      fields.get("wp:author_last_name")))) or login)
    return WxrAuthor(login, name)


def _comment(fields: dict) -> WxrComment:
    return WxrComment(
        id=fields.get("wp:comment_id", ""), parent_id=fields.get("wp:comment_parent", "0"),
        author=fields.get("wp:comment_author", ""),
        author_url=fields.get("wp:comment_author_url", ""),
        type=fields.get("wp:comment_type", ""), content=fields.get("wp:comment_content", ""),
        approved=fields.get("wp:comment_approved", "1"),
        date_gmt=fields.get("wp:comment_date_gmt", ""), date=fields.get("wp:comment_date", ""))


def _name(tag: str) -> str:
    """"{https://wordpress.org/export/1.2/}post_id" → "wp:post_id", whatever the version."""
    if tag[:1] != "{":
        return tag
    uri, local = tag[1:].split("}", 1)
    for mark, prefix in _PREFIXES:
        if mark in uri:
            return f"{prefix}:{local}"
    return local


def _fields(element) -> dict:
    """An element's children as {name: text} (the first of each name), plus lists."""
    out: dict = {}
    for child in element:
        name = _name(child.tag)
        if name in ("category", "wp:comment", "wp:postmeta"):
            out.setdefault(name + "[]", []).append(child)
        else:
            out.setdefault(name, (child.text or "").strip() if name not in (
                "content:encoded", "excerpt:encoded") else child.text or "")
    return out
