"""What an HTTP cache in front of Broadsheet (Varnish, a CDN) is told about each response.

A page that may be shared says so with `Cache-Control` for shared caches (`s-maxage`, with
`stale-while-revalidate` and `stale-if-error`) apart from a browser's short `max-age`, and
names what it shows in the tag header each configured cache reads: Varnish's xkey module
`xkey`, Fastly's `Surrogate-Key`, Cloudflare's `Cache-Tag`, Akamai's `Edge-Cache-Tag`, Bunny's
`CDN-Tag`. The tags are the page cache's own (dependencies.py), so a purge names the same
things at the edge as in the page store. A response for one person (a session, a cookie set,
a CSRF token) is `private, no-store` and carries no tags.

Each header has a size limit. A page showing more stories than fit (a sitemap of thousands)
names groups of a thousand story ids instead (`pages:<n>`); every purge of a story purges its
group too (edge_purge_tags), so folding never loses a purge.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

GROUP_SIZE = 1000
PERSONAL = "private, no-store"


@dataclass(frozen=True)
class TagHeader:
    name: str
    separator: str
    max_bytes: int  # of the header's value
    max_tags: int


# Limits as each cache documents them, with room to spare.
TAG_HEADERS = {
    "varnish": TagHeader("xkey", " ", 7_000, 10_000),  # under http_resp_hdr_len (8 KB)
    "fastly": TagHeader("Surrogate-Key", " ", 16_000, 10_000),
    "cloudflare": TagHeader("Cache-Tag", ",", 16_000, 1_000),
    "akamai": TagHeader("Edge-Cache-Tag", ",", 7_000, 128),
    "bunny": TagHeader("CDN-Tag", ",", 7_000, 128),
}


def page_group_tag(page_id: int) -> str:
    return f"pages:{page_id // GROUP_SIZE}"


def configured_kinds() -> tuple[str, ...]:
    """The kinds of caches in BROADSHEET_EDGE (`varnish://host:port`, `fastly://service`,
    ...), in order, each once."""
    return _kinds(tuple(settings.BROADSHEET_EDGE))


@functools.lru_cache(maxsize=8)
def _kinds(edges: tuple[str, ...]) -> tuple[str, ...]:
    # Asked for every page that may be shared: the addresses are parsed once.
    kinds = []
    for url in edges:
        kind = urlsplit(url).scheme
        if kind in TAG_HEADERS and kind not in kinds:
            kinds.append(kind)
    return tuple(kinds)


def fold(tags: Iterable[str], header: TagHeader) -> list[str]:
    """The tags as the header can carry them: as they are if they fit, else with story and
    section tags replaced by their groups."""
    tags = sorted(tags)
    if _fits(tags, header):
        return tags
    folded = set()
    for tag in tags:
        kind, _, value = tag.partition(":")
        folded.add(page_group_tag(int(value)) if kind == "page" and value.isdigit() else tag)
    return sorted(folded)


def _fits(tags: list[str], header: TagHeader) -> bool:
    return (len(tags) <= header.max_tags
            and sum(len(t) for t in tags) + len(header.separator) * len(tags) <= header.max_bytes)


def edge_purge_tags(tags: Iterable[str]) -> set[str]:
    """What to purge at the edge for `tags`: the tags and, for each story or section, its
    group (a page with too many to list carries the group instead)."""
    out = set(tags)
    for tag in list(out):
        kind, _, value = tag.partition(":")
        if kind == "page" and value.isdigit():
            out.add(page_group_tag(int(value)))
    return out


def shared_headers(tags: Iterable[str], max_age: int) -> list[tuple[str, str]]:
    """Headers for a response every reader may be given from a shared cache."""
    knobs = settings.BROADSHEET_EDGE_CACHE
    headers = [("Cache-Control",
                f"public, max-age={knobs['BROWSER_MAX_AGE']}, s-maxage={max_age}, "
                f"stale-while-revalidate={knobs['STALE_WHILE_REVALIDATE']}, "
                f"stale-if-error={knobs['STALE_IF_ERROR']}")]
    tags = list(tags)
    for kind in configured_kinds():
        header = TAG_HEADERS[kind]
        headers.append((header.name, header.separator.join(fold(tags, header))))
    return headers

