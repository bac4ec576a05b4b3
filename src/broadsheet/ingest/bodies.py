"""Turning an imported body (HTML or plain text) into story blocks, safely.

HTML is sanitised with nh3 first, so nothing a wire or a feed sends (scripts, styles, event
handlers, iframes, javascript: links) can reach a page. The sanitised HTML is then split into
the blocks an editor would have made by hand: paragraphs, sub-heads, lists and pull quotes.
"""

from __future__ import annotations

import re
from html import escape, unescape
from html.parser import HTMLParser

import nh3

# What a story paragraph may carry. Everything else is dropped, keeping its text.
ALLOWED_TAGS = {"p", "h2", "h3", "b", "strong", "i", "em", "a", "ul", "ol", "li",
                "blockquote", "br"}
# "*" overrides nh3's default of allowing title and lang on every element.
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href"}, "*": set()}
URL_SCHEMES = {"http", "https", "mailto"}

# Elements that only group or frame text. They are let through the sanitiser without any
# attribute so that the splitter sees where one run of text ends and the next begins
# ("<div>One</div><div>Two</div>" is two paragraphs, not "OneTwo"); none of them is ever
# written into a block.
STRUCTURE = {"div", "section", "article", "header", "footer", "main", "aside", "h1", "h4",
             "h5", "h6", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "pre", "hr", "dl",
             "dt", "dd", "address", "center"}
# Dropped with their content: code, a whole document's <title>, and figures, because images
# are not imported and a caption without its picture would read as a stray paragraph.
DROPPED = {"script", "style", "noscript", "template", "title", "figure"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
LISTS = {"ul", "ol"}
INLINE = {"b", "strong", "i", "em", "a", "br"}


def sanitise(html: str) -> str:
    return nh3.clean(html, tags=ALLOWED_TAGS | STRUCTURE, clean_content_tags=DROPPED,
                     attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel=None)


def plain_text(html: str) -> str:
    """The text of an HTML fragment we produced: tags dropped, entities decoded, spaces tidy."""
    return " ".join(unescape(re.sub(r"<[^>]*>", " ", html)).split())


def _family(tag: str) -> set[str]:
    """Tags that nest inside a block of this kind: a list inside a list, a quote in a quote."""
    return LISTS if tag in LISTS else {tag}


class _Splitter(HTMLParser):
    """Walks sanitised HTML and emits one block per top-level element.

    nh3's output is balanced, so a block ends when its own tag closes at the depth it opened.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, object]] = []
        self.block: str | None = None  # the top-level element being read
        self.depth = 0  # how deep the block's own kind of element is nested
        self.buffer: list[str] = []  # HTML of the block (or of loose text between blocks)
        self.items: list[str] = []  # finished list items

    def handle_starttag(self, tag, attrs):
        if self.block is None:
            if tag in STRUCTURE:
                self._flush_loose()
                if tag in HEADINGS:  # h1/h4-h6: still a heading, so still a sub-head
                    self._open("h3")
            elif tag in INLINE:
                self.buffer.append(_tag(tag, attrs))
            else:
                self._flush_loose()
                self._open(tag)
            return
        if tag in _family(self.block):
            self.depth += 1
        if self.block in LISTS and tag == "li" and self.depth == 1:
            self.buffer = []  # a new item of this list, not of a list nested in it
        elif tag in INLINE:
            self.buffer.append(_tag(tag, attrs))
        else:
            self.buffer.append(" ")  # keep words in nested blocks apart

    def handle_endtag(self, tag):
        if self.block is None:
            if tag in STRUCTURE:
                self._flush_loose()
            elif tag in INLINE and tag != "br":
                self.buffer.append(f"</{tag}>")
            return
        if self.block == "h3" and tag in HEADINGS - {"h2", "h3"} and self.depth == 1:
            tag = "h3"  # the end of an h1/h4-h6 read as a sub-head
        if tag in _family(self.block):
            self.depth -= 1
            if self.depth == 0:
                self._close()
                return
        if self.block in LISTS and tag == "li" and self.depth == 1:
            self.items.append(plain_text("".join(self.buffer)))
            self.buffer = []
        elif tag in INLINE and tag != "br":
            self.buffer.append(f"</{tag}>")
        else:
            self.buffer.append(" ")

    def handle_data(self, data):
        # HTML source line breaks are spaces; a no-break space is the writer's choice, kept.
        self.buffer.append(escape(re.sub(r"[ \t\r\n\f]+", " ", data), quote=False))

    def close(self):
        super().close()
        if self.block is not None:
            self._close()
        self._flush_loose()

    def _open(self, tag: str):
        self.block, self.depth, self.buffer, self.items = tag, 1, [], []

    def _close(self):
        block, inner = self.block, "".join(self.buffer).strip()
        self.block, self.depth, self.buffer = None, 0, []
        if block == "p" and plain_text(inner):
            self.blocks.append(("paragraph", f"<p>{inner}</p>"))
        elif block in ("h2", "h3") and plain_text(inner):
            self.blocks.append(("subhead", plain_text(inner)[:200]))
        elif block in LISTS:
            items = [item[:1000] for item in self.items if item]
            if items:
                self.blocks.append(("list", {"ordered": block == "ol", "items": items}))
        elif block == "blockquote" and plain_text(inner):
            self.blocks.append(("pull_quote", {"quote": plain_text(inner), "attribution": ""}))

    def _flush_loose(self):
        """Text outside any block: paragraphs, split where a line was left blank (<br><br>)."""
        html, self.buffer = "".join(self.buffer), []
        for part in re.split(r"(?:<br>\s*){2,}", html):
            part = re.sub(r"^(?:\s|<br>)+|(?:\s|<br>)+$", "", part)
            if plain_text(part):
                self.blocks.append(("paragraph", f"<p>{part}</p>"))


def _tag(tag: str, attrs) -> str:
    if tag == "br":
        return "<br>"
    attributes = "".join(f' {name}="{escape(value or "", quote=True)}"' for name, value in attrs)
    return f"<{tag}{attributes}>"


def blocks_from_html(html: str) -> list[tuple[str, object]]:
    splitter = _Splitter()
    splitter.feed(sanitise(html))
    splitter.close()
    return splitter.blocks


def blocks_from_text(text: str) -> list[tuple[str, object]]:
    """Plain text: a paragraph per run of lines, paragraphs parted by a blank line."""
    paragraphs = (" ".join(p.split()) for p in re.split(r"\n[ \t]*\n", text.replace("\r", "")))
    return [("paragraph", f"<p>{escape(p, quote=False)}</p>") for p in paragraphs if p]
