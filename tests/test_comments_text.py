"""Comments are plain text: paragraphs and autolinked http(s) URLs, nothing else ever markup."""

import pytest

from broadsheet.comments.text import clean_input, links_in, render_body


def test_paragraphs_and_line_breaks():
    assert render_body("One\nline two\n\n\nNew paragraph") == \
        "<p>One<br>line two</p><p>New paragraph</p>"


def test_urls_become_nofollow_ugc_links_and_keep_surrounding_text():
    html = render_body("See https://example.org/a?b=1&c=2, then (http://x.test/y).")
    assert html == ('<p>See <a href="https://example.org/a?b=1&amp;c=2" rel="nofollow ugc">'
                    'https://example.org/a?b=1&amp;c=2</a>, then (<a href="http://x.test/y" '
                    'rel="nofollow ugc">http://x.test/y</a>).</p>')


def test_wikipedia_style_brackets_stay_in_the_link():
    assert 'href="https://en.wikipedia.org/wiki/Foo_(bar)"' in render_body(
        "https://en.wikipedia.org/wiki/Foo_(bar)")


@pytest.mark.parametrize("text", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox", "<a href=\"javascript:alert(1)\">x</a>", "[x](javascript:alert(1))",
    "www.example.org", "ftp://example.org",
])
def test_only_http_urls_are_ever_linked(text):
    html = render_body(text)
    assert "<a " not in html
    assert "<script" not in html


def test_markup_and_markdown_are_shown_as_typed():
    html = render_body('<b>x</b> **bold** <img src=x onerror="alert(1)"> &amp; &lt;')
    assert html == ("<p>&lt;b&gt;x&lt;/b&gt; **bold** &lt;img src=x onerror=&quot;alert(1)"
                    "&quot;&gt; &amp;amp; &amp;lt;</p>")


def test_a_url_cannot_break_out_of_its_attribute():
    html = render_body('https://e.test/"onmouseover="alert(1)')
    assert 'href="https://e.test/"' in html and 'onmouseover="' not in html


def test_control_characters_are_dropped_but_bidi_and_zero_width_are_kept():
    assert clean_input("a\x00b\x1bc\x7fd\r\ne\u202ef\u200bg") == "abcd\ne\u202ef\u200bg"


def test_links_are_counted_for_the_rules():
    assert links_in("http://a.test and https://b.test/x. and c.test") == [
        "http://a.test", "https://b.test/x"]
