"""The site's icon: what browsers show in tabs and bookmarks and phones put on home screens.

Editors choose it in Settings → Masthead; `broadsheet setup` draws a plain one (the site's
initial on the house colour) for a site that has none. Browsers and phones fetch it at fixed
addresses, /favicon.ico and /apple-touch-icon.png, so pages link to those and never need to
know which picture it is: changing the icon touches no cached page. The icons themselves are
cached by browsers for a day and by the page cache until an editor changes them (purged by
the SITE_ICON tag); Django keeps the resolved bytes in the shared cache, so even a request
that reaches it costs no query.
"""

from __future__ import annotations

import hashlib
import io

from django.conf import settings
from django.core.cache import cache
from django.core.files.images import ImageFile
from django.db.models.signals import post_delete, post_save
from PIL import Image, ImageDraw, ImageFont
from wagtail.images import get_image_model
from wagtail.models import Site

from broadsheet import derived
from broadsheet.pagecache.purge import purge

from .models import Masthead

SITE_ICON = "site-icon"  # page-cache tag of the icon responses
SIZES = {"favicon": 32, "apple-touch-icon": 180}
BROWSER_MAX_AGE = 86400  # browsers cannot be purged: a new icon reaches every reader in a day
DEFAULT_SIZE = 512
BACKGROUND = (138, 28, 28)  # the site stylesheet's --accent
_KEY = "broadsheet:site-icon"


def served_icon(request, kind: str) -> dict | None:
    """{"body": PNG bytes, "etag": ...} of this site's icon at the size `kind` calls for, or
    None when the site has no icon."""
    host = request.get_host()
    key = derived.current(_KEY)
    known = cache.get(key) or {}
    # A site without an icon is remembered too (as None), so repeated 404s stay cheap.
    if (host, kind) not in known:
        known[(host, kind)] = _resolve(Site.find_for_request(request), SIZES[kind])
        # Several sites may fill the dict at once; a lost entry is only resolved again.
        cache.set(key, known, BROWSER_MAX_AGE)  # signals keep it current; a day at most
    return known[(host, kind)]


def _resolve(site: Site | None, size: int) -> dict | None:

    if site is None:
        return None
    icon = Masthead.for_site(site).site_icon
    if icon is None:
        return None
    rendition = icon.get_rendition(f"fill-{size}x{size}|format-png")
    with rendition.file.open("rb") as fh:
        body = fh.read()
    return {"body": body, "etag": f'"{hashlib.sha256(body).hexdigest()[:32]}"'}


def forget_icons(**kwargs) -> None:
    """Drop the resolved icons and the page cache's copies of them."""
    derived.forget(_KEY)  # a request resolving the old icon meanwhile keeps it for nobody
    purge({SITE_ICON})


def _forget_if_icon(sender, instance, **kwargs) -> None:

    # Every uploaded picture is saved here; only one that is an icon may cost a purge.
    if Masthead.objects.filter(site_icon=instance).exists():
        forget_icons()


def ensure_site_icons() -> int:
    """Give every site without an icon a plain one; returns how many were drawn. Cheap when
    done (one query a site), as `setup` calls it on every start."""

    drawn = 0
    for site in Site.objects.all():
        masthead = Masthead.for_site(site)
        if masthead.site_icon_id is None:
            masthead.site_icon = _save_icon(site.site_name or settings.WAGTAIL_SITE_NAME)
            masthead.save(update_fields=["site_icon"])
            drawn += 1
    return drawn


def initial(name: str) -> str:
    """The letter that stands for the site: "The Riverton Courier" is R, not T."""
    words = name.split()
    if len(words) > 1 and words[0].lower() in ("the", "a", "an"):
        words = words[1:]
    return (words[0][0] if words else "B").upper()


def draw_icon(letter: str, size: int = DEFAULT_SIZE) -> bytes:
    """A PNG: `letter` in white, centred on a square of the house colour."""
    image = Image.new("RGB", (size, size), BACKGROUND)
    font = ImageFont.load_default(size=int(size * 0.62))  # Pillow's own font: no files needed
    # The font is a light one; a stroke makes the letter hold up at 16 and 32 pixels.
    ImageDraw.Draw(image).text((size / 2, size / 2), letter, font=font, fill="white",
                               anchor="mm", stroke_width=size // 40, stroke_fill="white")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _save_icon(site_name: str):
    data = draw_icon(initial(site_name))
    return get_image_model().objects.create(
        title=f"{site_name} site icon", file=ImageFile(io.BytesIO(data), name="site-icon.png"))


def connect() -> None:
    post_save.connect(forget_icons, sender=Masthead, dispatch_uid="site-icon-masthead")
    post_save.connect(_forget_if_icon, sender=get_image_model(), dispatch_uid="site-icon-image")
    # A deleted icon has already been unset (SET_NULL, without signals) when post_delete
    # comes, so there is no telling whether it was one; deletions are rare enough.
    post_delete.connect(forget_icons, sender=get_image_model(),
                        dispatch_uid="site-icon-image-deleted")
