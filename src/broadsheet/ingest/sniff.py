"""Telling what a file is from its first bytes: ninjs JSON, a WordPress export, or a feed."""

from __future__ import annotations

from pathlib import Path

WXR_MARK = b"wordpress.org/export/"  # the wp: namespace of every WXR version


def kind_of_source(source: Path | str) -> str:
    if isinstance(source, str):
        return "feed"  # a URL: only feeds are read from the network
    try:
        with open(source, "rb") as file:
            head = file.read(8192)
    except OSError:
        return "ninjs"  # let the reader name the problem
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith((b"{", b"[")):
        return "ninjs"
    if stripped.startswith(b"<"):
        if WXR_MARK in head:
            return "wxr"
        return "newsml" if b"<NewsML" in head else "feed"
    return "ninjs"
