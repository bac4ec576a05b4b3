"""Demo pictures drawn on the spot with Pillow: soft landscapes, no downloads, no stock."""

from __future__ import annotations

import io
import random

from django.core.files.images import ImageFile
from PIL import Image, ImageDraw, ImageFilter
from wagtail.images import get_image_model

PALETTES = [
    ((24, 54, 92), (233, 170, 110), (36, 92, 110)),
    ((58, 38, 86), (241, 196, 140), (80, 120, 90)),
    ((16, 70, 60), (200, 220, 200), (60, 110, 80)),
    ((90, 40, 30), (250, 210, 150), (130, 80, 50)),
    ((30, 30, 50), (120, 160, 220), (50, 60, 90)),
]
# What each palette's landscape shows, for alt text.
SCENES = [
    "an amber sun low over teal hills under a deep blue sky",
    "a pale gold sun over green hills at violet dusk",
    "a white sun over dark wooded hills under a pale green sky",
    "a peach-coloured sun over brown hills on a red evening",
    "a pale blue moon over slate-grey hills at night",
]


def describe(seed: int) -> str:
    """Alt text for landscape(seed)."""
    return f"Illustration: {SCENES[seed % len(SCENES)]}"


def landscape(seed: int, size=(1600, 900)) -> bytes:
    rng = random.Random(seed)
    sky, sun, land = PALETTES[seed % len(PALETTES)]
    img = Image.new("RGB", size, sky)
    draw = ImageDraw.Draw(img)
    w, h = size
    for y in range(h):  # a vertical gradient towards the horizon
        t = y / h
        draw.line([(0, y), (w, y)], fill=tuple(int(a + (b - a) * t * 0.6)
                                              for a, b in zip(sky, sun, strict=True)))
    r = rng.randint(60, 140)
    cx, cy = rng.randint(r, w - r), rng.randint(r, h // 2)
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=sun)
    for layer in range(3):  # rolling hills, darker towards the front
        base = int(h * (0.55 + 0.12 * layer))
        shade = tuple(max(0, c - 25 * layer) for c in land)
        points = [(0, h)]
        for x in range(0, w + 80, 80):
            points.append((x, base + rng.randint(-60, 60)))
        points.append((w, h))
        draw.polygon(points, fill=shade)
    img = img.filter(ImageFilter.GaussianBlur(1.5))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=82)
    return out.getvalue()


def portrait(seed: int, size=(400, 400)) -> bytes:
    rng = random.Random(seed)
    bg = PALETTES[seed % len(PALETTES)][1]
    img = Image.new("RGB", size, bg)
    draw = ImageDraw.Draw(img)
    tone = (rng.randint(90, 220), rng.randint(70, 180), rng.randint(60, 150))
    draw.ellipse([120, 70, 280, 230], fill=tone)  # head
    draw.ellipse([60, 240, 340, 520], fill=PALETTES[seed % len(PALETTES)][0])  # shoulders
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def save_image(title: str, data: bytes):
    name = title.lower().replace(" ", "-")[:40] + ".jpg"
    return get_image_model().objects.create(title=title, file=ImageFile(io.BytesIO(data),
                                                                        name=name))
