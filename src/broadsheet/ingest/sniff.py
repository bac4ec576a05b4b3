"""Telling what a file is from its first bytes: ninjs JSON, a WordPress export, NewsML, or a
feed.

XML is told by its root element, found past the prolog (declaration, comments, a DOCTYPE
with an internal subset of any length), in UTF-8 or UTF-16 (which WordPress exports and
agency systems on Windows both write).
"""

from __future__ import annotations

import re
from pathlib import Path

WXR_MARK = b"wordpress.org/export/"  # the wp: namespace of every WXR version
HEAD = 8192
MAX_PROLOG = 1024 * 1024  # a DOCTYPE longer than this is not a news file

_PROLOG_PART = re.compile(
    rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)", re.S)
_ROOT = re.compile(rb"\s*<([A-Za-z_][\w:.-]*)")


def kind_of_source(source: Path | str) -> str:
    if isinstance(source, str):
        return "feed"  # a URL: only feeds are read from the network
    try:
        with open(source, "rb") as file:
            head = _as_utf8(file.read(HEAD))
            stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
            if stripped.startswith((b"{", b"[")):
                return "ninjs"
            if not stripped.startswith(b"<"):
                return "ninjs"  # let the ninjs reader name the problem
            root = _root_element(head)
            if root is None:  # a long prolog: read on, within reason
                file.seek(0)
                head = _as_utf8(file.read(MAX_PROLOG))
                root = _root_element(head)
    except OSError:
        return "ninjs"  # let the reader name the problem
    if WXR_MARK in head:
        return "wxr"
    if root is not None and root.split(b":")[-1] == b"NewsML":
        return "newsml"
    return "feed"


def _as_utf8(head: bytes) -> bytes:
    """The bytes of a UTF-16 file (with or without its byte order mark) as UTF-8, for
    looking at; anything else as it is."""
    if head.startswith(b"\xff\xfe") or head.startswith(b"<\x00"):
        return head.decode("utf-16-le", "ignore").lstrip("\ufeff").encode()
    if head.startswith(b"\xfe\xff") or head.startswith(b"\x00<"):
        return head.decode("utf-16-be", "ignore").lstrip("\ufeff").encode()
    return head


def _root_element(text: bytes) -> bytes | None:
    text = text.lstrip(b"\xef\xbb\xbf")
    position = 0
    while True:
        part = _PROLOG_PART.match(text, position)
        if part is None or part.end() == position:
            break
        position = part.end()
    found = _ROOT.match(text, position)
    return found.group(1) if found else None
