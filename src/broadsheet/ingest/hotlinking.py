"""Showing a wire picture from the wire's own server while it cannot be fetched.

Only where the site allows it (Masthead.hotlink_wire_pictures, off by default: a reader's
browser then asks the wire's server for the picture), only for a story with no picture of its
own, and only from renditions whose width and height the item gave, so the page keeps the
picture's room before it loads (no layout shift). The page's Content-Security-Policy lets in
the picture's origin for that one response; `origins` names it, checked to be nothing but a
scheme, a host and a port, so no address can smuggle a directive into the policy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from .models import RemoteImage

_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$")  # names and IPv4 (IDN as punycode)
_SAME_SHAPE = 0.02  # renditions within 2% of the main one's aspect ratio are crops of none
SIZES = "(min-width: 50em) 46em, 100vw"  # as the library's own hero pictures


@dataclass(frozen=True)
class HotlinkedPicture:
    src: str
    width: int
    height: int
    srcset: str
    alt: str
    caption: str
    credit: str
    origins: tuple[str, ...]
    sizes: str = SIZES


def hotlinked_hero(story, *, allowed: bool) -> HotlinkedPicture | None:
    """The wire picture to show as the story's hero, if the site allows it and the story
    has no picture of its own. One query, and none when it cannot apply."""
    if not allowed or story.hero_image_id or story.pk is None:
        return None
    remote = (RemoteImage.objects.filter(page_id=story.pk, role=RemoteImage.Role.HERO)
              .exclude(state=RemoteImage.State.FETCHED)
              .only("renditions", "alt", "caption", "credit").order_by("pk").first())
    return picture_from(remote, title=story.title) if remote else None


def picture_from(remote: RemoteImage, *, title: str = "") -> HotlinkedPicture | None:
    # An http picture on an https site would be blocked (mixed content) and would show
    # network observers what is read; http is allowed only on a site served over http.
    schemes = ("https", "http") if settings.BASE_URL.startswith("http://") else ("https",)
    usable = []
    for rendition in remote.renditions if isinstance(remote.renditions, list) else []:
        width, height = rendition.get("width"), rendition.get("height")
        href = rendition.get("href")
        if not (isinstance(width, int) and isinstance(height, int) and width > 0
                and height > 0 and isinstance(href, str)):
            continue
        origin = origin_of(href, schemes=schemes)
        if origin and not any(c.isspace() for c in href):
            usable.append((width, height, href, origin))
    if not usable:
        return None
    width, height, src, src_origin = max(usable, key=lambda r: r[0] * r[1])
    ratio = width / height
    # srcset offers one picture at several widths: other crops (a square thumbnail) are not.
    shape = sorted((r for r in usable if abs(r[0] / r[1] - ratio) <= _SAME_SHAPE * ratio
                    and "," not in r[2]), key=lambda r: r[0])
    return HotlinkedPicture(
        src=src, width=width, height=height,
        srcset=", ".join(f"{href} {w}w" for w, _, href, _ in shape),
        alt=remote.alt or remote.caption or title[:250], caption=remote.caption,
        credit=remote.credit,
        origins=tuple(sorted({src_origin, *(origin for *_, origin in shape)})))


def origin_of(url: str, *, schemes: tuple[str, ...]) -> str | None:
    """`scheme://host[:port]` of an address that is safe to name in a CSP source list."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in schemes or "@" in parts.netloc or not _HOST.match(host):
        return None
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port else "")
