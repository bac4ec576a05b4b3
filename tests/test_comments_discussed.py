"""See what people are discussing: most comments in the last 24 hours, a page and a list on
the story page, each with a call to action to the thread."""

from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from broadsheet.comments.models import Comment


def test_most_discussed_in_the_last_day(client, world, make_story, make_reader):
    ada = make_reader()
    busy, quieter, stale, draft = (make_story(world, t) for t in
                                   ("Busy story", "Quieter story", "Stale story", "Gone story"))
    Comment.objects.bulk_create(
        [Comment(story=busy, author=ada, body=f"b{i}") for i in range(4)]
        + [Comment(story=quieter, author=ada, body=f"q{i}") for i in range(2)]
        + [Comment(story=stale, author=ada, body=f"s{i}") for i in range(9)]
        + [Comment(story=quieter, author=ada, body=f"p{i}", status="pending") for i in range(9)]
        + [Comment(story=draft, author=ada, body="d")])
    Comment.objects.filter(story=stale).update(created_at=timezone.now() - timedelta(hours=25))
    draft.unpublish()
    html = client.get("/discussed/").content.decode()
    assert html.index("Busy story") < html.index("Quieter story")
    assert "Stale story" not in html and "Gone story" not in html
    assert f'<a href="{busy.url}#comments">Join the discussion' in html
    assert "4 new comments today, 4 in all" in html
    cache.clear()
    story_page = client.get(quieter.url).content.decode()
    listed = story_page[story_page.index('id="discussed-heading"'):]
    assert listed.index("Busy story") < listed.index("Quieter story")
    assert f'<a href="{busy.url}#comments">Join the discussion' in listed


def test_nothing_discussed(client, world, make_story):
    story = make_story(world)
    page = client.get("/discussed/").content.decode()
    assert "Nobody has commented in the last 24 hours." in page
    assert "No discussions today yet." in client.get(story.url).content.decode()


def test_discussed_sits_inside_the_comments_block(client, world, make_story, reader):
    """As on the seed page: "See what people are discussing" is the Comments block's own call
    to join the talk, under its heading, after the thread and the way to post."""
    from django.test.html import parse_html

    story = make_story(world)
    client.force_login(reader)  # the comment form shows
    html = client.get(story.url).content.decode()
    comments = _element(parse_html(html[html.index("<main"):html.index("</main>") + 7]),
                        lambda e: dict(e.attributes).get("aria-labelledby") == "comments-heading")
    assert comments is not None and comments.name == "section"
    order = [_position(comments, test) for test in (
        lambda e: dict(e.attributes).get("id") == "comments-heading",
        lambda e: e.name == "form" and "comment-form" in dict(e.attributes).get("class", ""),
        lambda e: e.name == "a" and dict(e.attributes).get("href") == "/discussed/")]
    assert None not in order and order == sorted(order), order


def _element(node, test):
    for child in getattr(node, "children", []):
        if not isinstance(child, str):
            if test(child):
                return child
            found = _element(child, test)
            if found is not None:
                return found
    return None


def _position(node, test):
    """Index of the first element passing `test` in document order below `node`."""
    order = []

    def walk(n):
        for child in getattr(n, "children", []):
            if not isinstance(child, str):
                order.append(child)
                walk(child)

    walk(node)
    return next((i for i, e in enumerate(order) if test(e)), None)
