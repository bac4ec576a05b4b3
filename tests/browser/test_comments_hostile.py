"""A corpus of hostile input posted as comments and display names, read back in Chromium: no
script runs, no element is made from it, and every text reads exactly as typed."""

import re

import pytest
from django.test import Client

from broadsheet.comments.text import clean_input

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]

P = "window.__pwned=1"  # what every payload would do if it ever ran
CORPUS = [
    f"<script>{P}</script>",
    "<SCRIPT SRC=//evil.test/x.js></SCRIPT>",
    f"<scr<script>ipt>{P}</scr</script>ipt>",
    f'"><script>{P}</script>',
    f"'><script>{P}</script>",
    f"</textarea><script>{P}</script>",
    f"</bdi></p></div><script>{P}</script>",
    f'<img src=x onerror="{P}">',
    f"<img src=x onerror={P}//",
    f'<body onload="{P}">',
    f'<div onmouseover="{P}">hover me</div>',
    f'<a href="javascript:{P}">click</a>',
    f"javascript:{P}",
    f"JaVaScRiPt:{P}",
    f"java\tscript:{P}",
    f"&#106;avascript:{P}",
    f"[click](javascript:{P})",
    f"![x](javascript:{P})",
    f"https://example.org/\"onmouseover=\"{P}",
    f"https://example.org/'><script>{P}</script>",
    f"https://example.org/<img src=x onerror={P}>",
    f'<svg onload="{P}"></svg>',
    f"<svg><script>{P}</script></svg>",
    f'<svg><a xlink:href="javascript:{P}"><text>x</text></a></svg>',
    f'<math><mtext></mtext><mglyph><svg><mtext><style><img src=x onerror="{P}">',
    f'<iframe src="javascript:{P}"></iframe>',
    f'<iframe srcdoc="<script>{P}</script>"></iframe>',
    f'<object data="javascript:{P}"></object>',
    f'<embed src="javascript:{P}">',
    f'<form action="javascript:{P}"><button>go</button></form>',
    f'<input autofocus onfocus="{P}">',
    f'<details open ontoggle="{P}">',
    f'<video><source onerror="{P}"></video>',
    f'<meta http-equiv="refresh" content="0;url=javascript:{P}">',
    f'<base href="javascript:{P}//">',
    f'<link rel="stylesheet" href="javascript:{P}">',
    '<style>body{display:none}</style>',
    '<div style="background:url(javascript:alert(1))">styled</div>',
    '<p style="position:fixed;top:0;left:0;width:100%;height:100%">cover</p>',
    "expression(alert(1))",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&amp;lt;b&amp;gt; double-encoded",
    "&#60;script&#62; &#x3C;img&#x3E; &nbsp; &copy;",
    "**bold** _italic_ `code` # heading > quote",
    "<!-- comment --> <![CDATA[ x ]]>",
    "{{ 7*7 }} {% debug %} ${7*7} #{7*7}",
    "Bidi trick: \u202etxt.exe\u202c and \u2066isolated\u2069 and \u200fRLM",
    "Zero\u200bwidth\u200cjoiners\u200d and \ufeffBOM",
    "Control\x00chars\x07here\x1b[31m red\x7f",
    "Line one\r\nline two\rline three",
    "Combining: Z\u0351\u0364\u0368a\u0350\u0350l\u0367g\u0364o\u0346",
    "Emoji 👍🏽 and 🇺🇦 and math 𝕏",
    "Arabic مرحبا and Hebrew שלום mixed",
    "A" * 4990 + " long",
    "\n\n   \n   Leading and trailing blank lines   \n\n\n",
    "\u0000\u0001\u0002 only some control",
]
NAMES = [
    f"<script>{P}</script>",
    f'<img src=x onerror="{P}">',
    f"javascript:{P}",
    "\u202eevil\u202c name",
    "Zero\u200bWidth",
    "&lt;b&gt;Entity&lt;/b&gt;",
    '"><svg onload=alert(1)>',
    "Deleted\u200b account",
    "   Spaced    out   ",
    "Ctrl\x07\x1bname",
]


def _shown(text: str) -> str:
    """What a reader should see of a comment: the typed text, paragraphs joined."""
    cleaned = clean_input(text)
    return "".join(p.replace("\n", "") for p in re.split(r"\n\s*\n", cleaned) if p.strip())


@pytest.fixture
def posted(live_server, transactional_db, home, world, make_story, django_user_model):
    from broadsheet.comments.models import Comment, CommentRules, ReaderProfile

    rules = CommentRules.for_site(home.get_site())
    rules.account_per_minute = rules.ip_per_minute = rules.duplicate_window_minutes = 0
    rules.max_links = 100
    rules.save()
    story = make_story(world, "Hostile input")
    names = {}
    for i, name in enumerate(NAMES):
        user = django_user_model.objects.create_user(
            username=f"h{i}@example.org", email=f"h{i}@example.org", password="a-long-pass-1")
        client = Client()
        client.force_login(user)
        response = client.post("/accounts/you/", {"display_name": name})
        assert response.status_code == 302, (name, response.content.decode()[-500:])
        names[user.pk] = " ".join(clean_input(name).split())
        assert ReaderProfile.objects.get(user=user).display_name == names[user.pk]
    users = list(django_user_model.objects.filter(pk__in=names))
    for i, body in enumerate(CORPUS):
        client = Client()
        client.force_login(users[i % len(users)])
        response = client.post(f"/discussion/{story.pk}/post/", {"body": body})
        if "\x00" in body:  # Django refuses NUL outright, saying so; nothing is stored
            assert response.status_code == 400
            assert "Null characters are not allowed." in response.content.decode()
            continue
        assert response.status_code == 302, (body[:80], response.status_code)
    accepted = [b for b in CORPUS if "\x00" not in b]
    assert Comment.objects.filter(status="approved").count() == len(accepted)
    return story, names


def test_hostile_corpus_reads_as_typed_and_runs_nothing(posted, reader_page, live_server):
    from broadsheet.comments.models import Comment

    assert len(CORPUS) + len(NAMES) >= 50
    story, names = posted
    page = reader_page()
    dialogs, errors = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    for url in (f"{live_server.url}{story.url}",
                f"{live_server.url}/discussion/{story.pk}/?sort=oldest&shown=100"):
        page.goto(url)
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert dialogs == []
        # No element came from reader text: nothing but <p>, <br> and our own links.
        made = page.evaluate("""() => [...document.querySelectorAll(
            '.comment-body *, .comment-author *')].map(e => e.tagName.toLowerCase())""")
        assert set(made) <= {"p", "br", "a"}, set(made)
        hrefs = page.evaluate("""() => [...document.querySelectorAll('.comment-body a')]
            .map(a => [a.getAttribute('href'), a.getAttribute('rel'), a.attributes.length])""")
        for href, rel, n_attrs in hrefs:
            assert href.startswith(("http://", "https://")) and rel == "nofollow ugc"
            assert n_attrs == 2
        assert not page.evaluate("""() => [...document.querySelectorAll('*')].some(
            e => [...e.attributes].some(a => a.name.startsWith('on')))""")
    # Every comment and name reads exactly as typed (control characters aside).
    for comment in Comment.objects.all():
        li = page.locator(f"#comment-{comment.pk}")
        body = li.locator(":scope > .comment-body").evaluate("e => e.textContent")
        expected = _shown(CORPUS[[clean_input(c) for c in CORPUS].index(comment.body)])
        assert body == expected, (comment.body[:60], body[:60])
        author = li.locator(":scope > .comment-meta .comment-author").evaluate(
            "e => e.textContent")
        assert author == names[comment.author_id]
    assert not [e for e in errors if "Content Security Policy" in e], errors
