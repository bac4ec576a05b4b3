"""Turning an imported body (HTML or plain text) into story blocks, safely.

HTML is sanitised with nh3 to the few elements a story body uses, then split into blocks:
paragraphs, sub-heads, lists and quotes. Anything else (scripts, styles, event handlers,
iframes) is dropped before it can reach a page.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = {"p", "h2", "h3", "h4", "b", "strong", "i", "em", "a", "ul", "ol", "li",
                "blockquote", "br"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
INLINE = {"b", "strong", "i", "em", "a", "br"}


def sanitise(html: str) -> str:
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener")


class _Splitter(HTMLParser):
    """Walks sanitised HTML and emits one block per top-level element."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.blocks: list[tuple[str, object]] = []
        self.stack: list[str] = []
        self.buffer: list[str] = []
        self.items: list[str] = []
        self.loose: list[str] = []  # inline content outside any block element

    def _flush_loose(self):
        text = "".join(self.loose).strip()
        if text:
            self.blocks.append(("paragraph", f"<p>{text}</p>"))
        self.loose = []

    def handle_starttag(self, tag, attrs):
        attr = "".join(f' {k}="{escape(v or "", quote=True)}"' for k, v in attrs)
        if not self.stack and tag not in INLINE:
            self._flush_loose()
            self.stack.append(tag)
            self.buffer, self.items = [], []
            return
        if self.stack and self.stack[0] in ("ul", "ol") and tag == "li":
            self.buffer = []
            self.stack.append(tag)
            return
        piece = f"<{tag}{attr}>" if tag != "br" else "<br>"
        (self.buffer if self.stack else self.loose).append(piece)
        if tag != "br" and self.stack:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack:
            if tag in INLINE and tag != "br":
                self.loose.append(f"</{tag}>")
            return
        top = self.stack[0]
        if len(self.stack) == 1 and tag == top:
            self._emit(top)
            self.stack = []
            return
        if top in ("ul", "ol") and tag == "li":
            self.items.append(_text(self.buffer))
            self.stack.pop()
            self.buffer = []
            return
        if tag != "br":
            self.buffer.append(f"</{tag}>")
            if self.stack[-1] == tag:
                self.stack.pop()

    def handle_data(self, data):
        (self.buffer if self.stack else self.loose).append(escape(data, quote=False))

    def handle_entityref(self, name):
        (self.buffer if self.stack else self.loose).append(f"&{name};")

    def handle_charref(self, name):
        (self.buffer if self.stack else self.loose).append(f"&#{name};")

    def _emit(self, top: str):
        inner = "".join(self.buffer).strip()
        if top == "p" and inner:
            self.blocks.append(("paragraph", f"<p>{inner}</p>"))
        elif top in ("h2", "h3", "h4") and _text([inner]):
            self.blocks.append(("subhead", _text([inner])))
        elif top in ("ul", "ol") and self.items:
            self.blocks.append(("list", {"ordered": top == "ol",
                                         "items": [i for i in self.items if i]}))
        elif top == "blockquote" and _text([inner]):
            self.blocks.append(("pull_quote", {"quote": _text([inner]), "attribution": ""}))

    def close(self):
        super().close()
        self._flush_loose()


def _text(pieces: list[str]) -> str:
    """Plain text of an HTML fragment (tags dropped, entities decoded)."""
    from html import unescape

    text, inside = [], False
    for ch in "".join(pieces):
        if ch == "<":
            inside = True
        elif ch == ">":
            inside = False
        elif not inside:
            text.append(ch)
    return " ".join(unescape("".join(text)).split())


def blocks_from_html(html: str) -> list[tuple[str, object]]:
    splitter = _Splitter()
    splitter.feed(sanitise(html))
    splitter.close()
    return splitter.blocks


def blocks_from_text(text: str) -> list[tuple[str, object]]:
    paragraphs = [" ".join(p.split()) for p in text.replace("\r\n", "\n").split("\n\n")]
    return [("paragraph", f"<p>{escape(p, quote=False)}</p>") for p in paragraphs if p]
