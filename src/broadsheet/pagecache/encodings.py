"""Pages compressed once, when stored, and the copy each reader's Accept-Encoding asks for.

A shared page is compressed with brotli and gzip when it is stored (not on every hit: a hit
costs a dict lookup, compressing the article costs milliseconds), and each reader is sent the
best copy their `Accept-Encoding` accepts, with `Vary: Accept-Encoding` so that every cache on
the way keeps the copies apart, and an ETag of its own per copy (`"x"`, `"x-br"`, `"x-gzip"`):
bytes that differ must not validate each other.

Only shared pages are compressed. BREACH recovers a secret from the size of a compressed
response that also reflects what an attacker sends; a shared page carries no secret (a page
that uses a CSRF token sets its cookie, and a page that sets a cookie is never shared), so
personal pages, which may, are sent as they are. Django's GZipMiddleware would compress every
response on every request, personal ones included (with its random padding against BREACH),
and knows no brotli.
"""

from __future__ import annotations

import functools
import gzip

import brotli

# Below this, the saving is a few hundred bytes at most: not worth a variant.
MIN_BYTES = 1024
# Measured on the demo article (docs/benchmarks.md, issue 16): brotli 5 is about a tenth
# smaller than gzip 6 at a similar cost; 9 and above cost several times more for 1-3 %.
BROTLI_QUALITY = 5
GZIP_LEVEL = 6
CODINGS = ("br", "gzip")  # also the preference when a reader's weights tie
IDENTITY = "identity"

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript",
               "application/rss+xml", "application/atom+xml", "image/svg+xml")


def compressible(content_type: str, size: int) -> bool:
    """Text worth compressing: HTML, XML (feeds, sitemaps), JSON, plain text."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return size >= MIN_BYTES and (kind.startswith(_TEXT_TYPES) or kind.endswith(("+xml",
                                                                                  "+json")))


def compress(body: bytes) -> dict[str, bytes]:
    """The compressed copies of `body`, in CODINGS order (those that make it smaller)."""
    made = {
        "br": brotli.compress(body, mode=brotli.MODE_TEXT, quality=BROTLI_QUALITY),
        # mtime 0: the same page gives the same bytes, so the same ETag means the same bytes.
        "gzip": gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0),
    }
    return {coding: data for coding, data in made.items() if len(data) < len(body)}


def etag_for(etag: str | None, coding: str) -> str | None:
    """The ETag of the `coding` copy of a page whose own ETag is `etag`."""
    if etag is None or coding == IDENTITY or not etag.endswith('"'):
        return etag
    return f'{etag[:-1]}-{coding}"'


def matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match against an ETag with the weak comparison RFC 9110 asks for here."""
    if if_none_match.strip() == "*":
        return True
    plain = etag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == plain
               for candidate in if_none_match.split(","))


def choose(accept_encoding: str, available: tuple[str, ...]) -> str:
    """The coding to send: the first of `available` the reader accepts, best weight first."""
    for coding in acceptable(accept_encoding):
        if coding == IDENTITY or coding in available:
            return coding
    return IDENTITY


@functools.lru_cache(maxsize=256)  # a few distinct headers cover nearly every browser
def acceptable(accept_encoding: str) -> tuple[str, ...]:
    """The codings this Accept-Encoding accepts, best first (RFC 9110 12.5.3).

    An unlisted coding takes `*`'s weight; identity is acceptable unless given weight 0 (or
    `*;q=0` names it). If nothing we have is acceptable, identity is sent anyway: a 406 helps
    no reader."""
    weights: dict[str, float] = {}
    for item in accept_encoding.lower().split(","):
        name, _, params = item.partition(";")
        name = name.strip()
        if not name:
            continue
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    weight = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    weight = 0.0
        weights["gzip" if name == "x-gzip" else name] = weight
    star = weights.get("*")
    ranked = []
    for order, coding in enumerate((*CODINGS, IDENTITY)):
        if coding in weights:
            weight = weights[coding]
        elif star is not None:
            weight = star
        else:
            weight = 1.0 if coding == IDENTITY else 0.0
        if weight > 0:
            ranked.append((-weight, order, coding))
    return tuple(coding for _, _, coding in sorted(ranked)) or (IDENTITY,)
