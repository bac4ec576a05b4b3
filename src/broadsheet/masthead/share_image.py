"""The site's plain default share image: its name, drawn like the masthead, 1200x630.

Link previews and Google's article results want a picture for every page; a story with no
picture of its own in a section with none falls back to the site's (`Masthead`). `broadsheet
setup` draws one from the site's name for a site that has none, so a new newsroom is never
without; an editor replaces it in Settings -> Masthead. A drawn image is redrawn when the
site's name changes; one an editor chose is never touched.
"""

from __future__ import annotations

import io
from pathlib import Path

from django.core.files.images import ImageFile
from PIL import Image, ImageDraw, ImageFont
from wagtail.images import get_image_model
from wagtail.models import Site

from .models import Masthead

SIZE = WIDTH, HEIGHT = 1200, 630  # Open Graph's 1.91:1
MARGIN = 80
INK, PAPER = (26, 26, 26), (255, 255, 255)  # the site's own colours (site.css)
DRAWN = "Share image drawn from the site name: "  # the title that marks a drawn image
# A font with wide coverage where the system has one, so names in any script are drawn;
# else the one Pillow ships (Latin only).
FONTS = ["/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
         "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"]


def draw(site_name: str) -> bytes:
    """A PNG of the name, as large as fits in up to three lines, between two rules."""
    image = Image.new("RGB", SIZE, PAPER)
    pen = ImageDraw.Draw(image)
    lines, font = _fit(pen, " ".join(site_name.split()) or "Broadsheet")
    gap = font.size // 4
    heights = [pen.textbbox((0, 0), line, font=font)[3] for line in lines]
    block = sum(heights) + gap * (len(lines) - 1)
    y = (HEIGHT - block) // 2
    for line, height in zip(lines, heights, strict=True):
        width = pen.textlength(line, font=font)
        pen.text(((WIDTH - width) / 2, y), line, font=font, fill=INK)
        y += height + gap
    for top in (MARGIN // 2, HEIGHT - MARGIN // 2 - 10):  # the masthead's double rule
        pen.rectangle([MARGIN, top, WIDTH - MARGIN, top + 3], fill=INK)
        pen.rectangle([MARGIN, top + 8, WIDTH - MARGIN, top + 10], fill=INK)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _font(size: int):
    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _fit(pen, text: str):
    """The name broken into lines at the largest size that fits the picture."""
    room = WIDTH - 2 * MARGIN
    for size in range(140, 23, -4):
        font = _font(size)
        lines = _wrap(pen, text, font, room)
        if len(lines) <= 3 and len(lines) * size * 1.3 <= HEIGHT - 2 * MARGIN:
            return lines, font
    font = _font(24)
    return _wrap(pen, text, font, room)[:3], font


def _wrap(pen, text: str, font, room: int) -> list[str]:
    lines: list[str] = []
    for word in text.split(" "):
        while pen.textlength(word, font=font) > room:  # a word longer than a line is cut
            cut = max(1, int(len(word) * room / pen.textlength(word, font=font)) - 1)
            lines.append(word[:cut])
            word = word[cut:]
        if lines and pen.textlength(f"{lines[-1]} {word}", font=font) <= room:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def ensure_default_share_images() -> list:
    """Give every site without a default share image one drawn from its name (and redraw a
    drawn one whose name is out of date). Returns the images drawn."""
    drawn = []
    for site in Site.objects.all():
        name = site.site_name or "Broadsheet"
        masthead = Masthead.for_site(site)
        current = masthead.default_share_image
        if current is not None and (not current.title.startswith(DRAWN)
                                    or current.title == DRAWN + name[:200]):
            continue
        image = get_image_model().objects.create(
            title=DRAWN + name[:200],
            file=ImageFile(io.BytesIO(draw(name)), name="share-image.png"))
        masthead.default_share_image = image
        masthead.save(update_fields=["default_share_image"])
        drawn.append(image)
    return drawn
