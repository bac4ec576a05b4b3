"""Comments are plain text. This is the only way a comment body or a reader's name becomes
HTML: everything is escaped, and the only markup ever produced is paragraphs, line breaks and
links for http(s) URLs, marked rel="nofollow ugc"."""

from __future__ import annotations

import re
import unicodedata

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# A URL ends at whitespace or at characters that cannot be part of one typed in prose.
_URL = re.compile(r"\bhttps?://[^\s<>\"'`\u200b-\u200f\u202a-\u202e\u2066-\u2069]+",
                  re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""
_PARAGRAPHS = re.compile(r"\n\s*\n")
MAX_URL_SHOWN = 80


def clean_input(text: str) -> str:
    """What we keep of what a reader typed: line endings normalised, control characters
    (other than newline and tab) dropped, since they have no visible meaning and are used to
    smuggle things past filters. Everything else, including bidi and zero-width characters,
    is kept and shown as typed (the templates isolate it with dir="auto" / <bdi>)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text
                   if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()


def links_in(text: str) -> list[str]:
    return [_trim(m.group(0))[0] for m in _URL.finditer(text)]


def _trim(url: str) -> tuple[str, str]:
    tail = ""
    while url and url[-1] in _TRAILING:
        # Keep a closing bracket that closes one opened inside the URL (Wikipedia links).
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        tail = url[-1] + tail
        url = url[:-1]
    return url, tail


def _linked(line: str) -> str:
    out, at = [], 0
    for match in _URL.finditer(line):
        url, tail = _trim(match.group(0))
        out.append(escape(line[at:match.start()]))
        shown = url if len(url) <= MAX_URL_SHOWN else url[:MAX_URL_SHOWN - 1] + "…"
        out.append(f'<a href="{escape(url)}" rel="nofollow ugc">{escape(shown)}</a>')
        out.append(escape(tail))
        at = match.end()
    out.append(escape(line[at:]))
    return "".join(out)


def render_body(text: str) -> SafeString:
    paragraphs = [p for p in _PARAGRAPHS.split(text.strip()) if p.strip()]
    html = "".join("<p>" + "<br>".join(_linked(line) for line in p.split("\n")) + "</p>"
                   for p in paragraphs)
    return mark_safe(html)  # noqa: S308 - every piece of reader text above went through escape()
