"""XML from outside (WordPress exports, NewsML, feeds) cannot read this machine's files or
exhaust its memory: external entities are never fetched, and entity expansion is refused."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from broadsheet.articles.models import ArticlePage

SECRET = "top-secret-contents-of-a-local-file"


def run_import(*paths, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *map(str, paths), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def wxr(title: str, doctype: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
{doctype}
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Blog</title><link>https://blog.example.org</link>
<wp:base_blog_url>https://blog.example.org</wp:base_blog_url>
<item><title>{title}</title><link>https://blog.example.org/?p=1</link>
<wp:post_id>1</wp:post_id><wp:post_type>post</wp:post_type><wp:status>publish</wp:status>
<wp:post_date_gmt>2025-01-01 10:00:00</wp:post_date_gmt>
<content:encoded><![CDATA[<p>Body.</p>]]></content:encoded></item>
</channel></rss>"""


def test_an_external_entity_is_never_read(tmp_path, home):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    path = tmp_path / "xxe.xml"
    path.write_text(wxr("Hello &xxe;", f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'))
    try:
        run_import(path, section="News")
    except CommandError as refused:
        assert SECRET not in str(refused)
    for story in ArticlePage.objects.all():
        assert SECRET not in story.title and SECRET not in str(story.body)


def test_entity_expansion_is_refused_naming_the_file(tmp_path, home):
    levels = ['<!ENTITY a0 "lollollollollollollollollollol">'] + [
        f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">' for n in range(1, 10)]
    path = tmp_path / "bomb.xml"
    path.write_text(wxr("&a9;", "<!DOCTYPE rss [" + "".join(levels) + "]>"))
    with pytest.raises(CommandError) as refused:
        run_import(path, section="News")
    assert str(path) in str(refused.value)
    assert not ArticlePage.objects.exists()
