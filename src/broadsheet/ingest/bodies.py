"""Turning an imported body (HTML, XHTML, NITF XML or plain text) into story blocks, safely.

HTML is sanitised with nh3 first, so nothing a wire or a feed sends (scripts, styles, event
handlers, iframes, javascript: links) can reach a page. The sanitised HTML is then split into
the blocks an editor would have made by hand: paragraphs, sub-heads, lists and pull quotes.
NITF (IPTC's XML for news text) is first translated to the HTML it corresponds to. Pictures in
a body are taken out before sanitising and left as `("picture", InlinePicture)` markers at
their place, for the writer to turn into image blocks (or remote-image records).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
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


# Pictures inside HTML ----------------------------------------------------------------------

@dataclass
class InlinePicture:
    src: str
    alt: str = ""
    caption: str = ""


_MARK = "broadsheet-picture-"  # a paragraph holding only this survives the sanitiser


class _PictureTaker(HTMLParser):
    """Re-emits HTML unchanged except pictures: each <img> (with the <figure> and
    <figcaption> around it) becomes a marker paragraph, and the picture is kept aside."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.pictures: list[InlinePicture] = []
        self.figure = 0  # depth of <figure>
        self.caption: list[str] | None = None
        self.held: list[InlinePicture] = []  # pictures of the open figure

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            values = dict(attrs)
            src = (values.get("src") or "").strip()
            if src:
                picture = InlinePicture(src=src, alt=" ".join((values.get("alt") or "").split()))
                if self.figure:
                    self.held.append(picture)
                else:
                    self._emit(picture)
            return
        if tag == "figure":
            self.figure += 1
            return
        if tag == "figcaption" and self.figure:
            self.caption = []
            return
        if self.figure and self.caption is None:
            return  # the frame of a figure (a link around its picture)
        self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "figcaption" and self.caption is not None:
            caption = " ".join(plain_text("".join(self.caption)).split())
            for picture in self.held:
                picture.caption = caption
            self.caption = None
            return
        if tag == "figure" and self.figure:
            self.figure -= 1
            if not self.figure:
                for picture in self.held:
                    self._emit(picture)
                self.held = []
            return
        if self.figure and self.caption is None:
            return
        (self.caption if self.caption is not None else self.out).append(f"</{tag}>")

    def handle_data(self, data):
        if self.figure and self.caption is None:
            return
        (self.caption if self.caption is not None else self.out).append(escape(data))

    def _emit(self, picture: InlinePicture):
        self.pictures.append(picture)
        self.out.append(f"<p>{_MARK}{len(self.pictures) - 1}</p>")


def _take_pictures(html: str) -> tuple[str, list[InlinePicture]]:
    taker = _PictureTaker()
    taker.feed(html)
    taker.close()
    return "".join(taker.out), taker.pictures


def blocks_with_pictures(html: str) -> list[tuple[str, object]]:
    """Blocks of an HTML body, with its pictures as ("picture", InlinePicture) at their place."""
    html, pictures = _take_pictures(html)
    blocks = []
    for kind, value in blocks_from_html(html):
        match = re.fullmatch(rf"<p>{_MARK}(\d+)</p>", value) if kind == "paragraph" else None
        if match:
            blocks.append(("picture", pictures[int(match.group(1))]))
        else:
            blocks.append((kind, value))
    return blocks


# NITF --------------------------------------------------------------------------------------

# NITF elements and the HTML they mean; any other element keeps its text without its tag.
_NITF_HTML = {"p": "p", "hl1": "h2", "hl2": "h2", "h1": "h2", "h2": "h2", "h3": "h3",
              "bq": "blockquote", "blockquote": "blockquote", "ul": "ul", "ol": "ol",
              "li": "li", "a": "a", "em": "em", "strong": "strong", "b": "b", "i": "i",
              "br": "br", "block": "div", "table": "table", "tr": "tr", "td": "td",
              "th": "th", "pre": "p", "dl": "dl", "dt": "p", "dd": "p"}
# Parts of a NITF body that are not reading text: pictures come as ninjs associations.
_NITF_SKIP = {"media", "note", "fn", "tagline", "bibliography", "credit"}
NITF_TYPES = {"text/vnd.iptc.nitf", "application/nitf+xml", "text/nitf+xml"}
XML_TYPES = {"text/xml", "application/xml"}


class NotNitf(ValueError):
    pass


def nitf_to_html(xml: str) -> str:
    """The HTML equivalent of a NITF document's body.content (or of a bare NITF body)."""
    try:
        # Expat (Python 3.11+) refuses entity expansion attacks and never fetches external
        # entities or DTDs, so a wire's XML cannot reach the network or blow up memory.
        root = ET.fromstring(xml.strip().encode("utf-8"))  # noqa: S314
    except ET.ParseError as exc:
        raise NotNitf(f"is not well-formed XML: {exc}") from None
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    if root.tag.lower() != "nitf":
        raise NotNitf(f"is <{root.tag}>, not NITF")
    contents = root.findall(".//body.content") or root.findall(".//body")
    return "".join(_nitf_element(c, top=True) for c in contents)


def _nitf_element(element, *, top=False) -> str:
    tag = element.tag.lower() if isinstance(element.tag, str) else ""
    if tag in _NITF_SKIP:
        return escape(element.tail or "", quote=False)
    html = _NITF_HTML.get(tag) if not top else None
    inner = escape(element.text or "", quote=False) + "".join(
        _nitf_element(child) for child in element)
    tail = escape(element.tail or "", quote=False) if not top else ""
    if html is None:
        return inner + tail
    if html == "br":
        return "<br>" + tail
    attrs = ""
    if html == "a" and element.get("href"):
        attrs = f' href="{escape(element.get("href"), quote=True)}"'
    return f"<{html}{attrs}>{inner}</{html}>" + tail


# Choosing among bodies ---------------------------------------------------------------------

HTML_TYPES = {"text/html", "application/xhtml+xml", "text/html5", "application/html"}


def blocks_of(media_type: str, value: str) -> list[tuple[str, object]] | None:
    """The blocks of one body, or None for a body of a kind we cannot read."""
    if media_type in HTML_TYPES:
        return blocks_with_pictures(value)
    if media_type in NITF_TYPES or media_type in XML_TYPES:
        try:
            return blocks_from_html(nitf_to_html(value))
        except NotNitf:
            return None  # some other XML (TT's own TTNITF): another body will do
    if media_type == "text/plain":
        return blocks_from_text(value)
    return None


def richest_body(bodies: list[tuple[str, str]]) -> list[tuple[str, object]]:
    """Of several renderings of one text, the blocks of the richest: the most kinds of block
    (sub-heads, lists, quotes besides paragraphs), then the most blocks, then markup over
    plain text, then the first given."""
    best, best_key = [], None
    for order, (media_type, value) in enumerate(bodies):
        if not value.strip():
            continue
        blocks = blocks_of(media_type, value)
        if not blocks:
            continue
        key = (len({kind for kind, _ in blocks}), len(blocks), media_type != "text/plain",
               -order)
        if best_key is None or key > best_key:
            best, best_key = blocks, key
    return best


# WordPress -------------------------------------------------------------------------------

_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:[^>]*?-->", re.S)
_SHORTCODE = re.compile(r"\[/?(?:caption|gallery|embed|audio|video|playlist|wp_caption|"
                        r"youtube|vimeo|googlemaps|code|sourcecode)\b[^\]]*\]", re.I)
_BLOCK_START = re.compile(r"^\s*<(?:p|div|h[1-6]|ul|ol|li|blockquote|table|pre|figure|hr|"
                          r"section|article|aside|header|footer|dl|address|img)\b", re.I)


def wpautop(text: str) -> str:
    """WordPress's own rule for classic-editor posts: a blank line parts paragraphs and a
    single line break is a <br>, except around block-level markup."""
    chunks = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    out = []
    for chunk in chunks:
        if not chunk.strip():
            continue
        if _BLOCK_START.match(chunk):
            out.append(chunk)
        else:
            out.append("<p>" + chunk.strip().replace("\n", "<br>\n") + "</p>")
    return "\n".join(out)


def blocks_from_wordpress(content: str) -> list[tuple[str, object]]:
    """A post's content (block editor or classic) as story blocks, pictures kept as markers.

    Block-editor posts are HTML framed by <!-- wp:... --> comments: the comments go, the HTML
    stays. Classic posts get WordPress's paragraph rule first. Shortcodes lose their brackets
    and keep their words (a [caption] keeps its caption text).
    """
    gutenberg = "<!-- wp:" in content
    html = _BLOCK_COMMENT.sub("\n\n", content)
    html = _SHORTCODE.sub("", html)
    if not gutenberg:
        html = wpautop(html)
    return blocks_with_pictures(html)
