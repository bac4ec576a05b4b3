"""Comment counts on teasers and at the top of the story, the freshness of cached pages when a
comment is approved, and query counts that do not grow with the discussion."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from broadsheet.comments.models import Comment, Reaction
from broadsheet.comments.moderation import approve_comment
from tests.test_pagecache import fetch


def test_counts_on_teasers_and_at_the_top(client, home, world, story, make_story,
                                          make_reader):
    ada = make_reader()
    make_story(world, "A quiet story")
    Comment.objects.bulk_create([Comment(story=story, author=ada, body=f"c{i}")
                                 for i in range(3)])
    Comment.objects.create(story=story, author=ada, body="held", status="pending")
    Comment.objects.create(story=story, author=ada, body="gone", status="rejected")
    for url in (home.url, world.url):
        html = client.get(url).content.decode()
        assert f'<a href="{story.url}#comments">3 comments</a>' in html
        assert html.count('class="teaser-comments"') == 1  # none on the quiet story
    top = client.get(story.url).content.decode()
    assert '<p class="comment-count"><a href="#comments">3 comments</a></p>' in top


def test_counts_on_search_results(client, story, make_reader):
    Comment.objects.create(story=story, author=make_reader(), body="On the river")
    html = client.get("/search/?q=river").content.decode()
    assert f'<a href="{story.url}#comments">1 comment</a>' in html


def _queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_story_query_count_does_not_grow_with_threads(client, home, world, story,
                                                      make_reader, signed_in):
    readers = [make_reader(display=f"R{i}") for i in range(3)]
    if signed_in:
        client.force_login(readers[0])

    def grow(n):
        for i in range(n):
            top = Comment.objects.create(story=story, author=readers[i % 3], body=f"t{i}",
                                         featured=i % 4 == 0, respect_count=i)
            reply = Comment.objects.create(story=story, author=readers[(i + 1) % 3],
                                           body=f"r{i}", parent=top, reply_to=top)
            Comment.objects.create(story=story, author=readers[(i + 2) % 3], body=f"rr{i}",
                                   parent=top, reply_to=reply)
            Reaction.objects.get_or_create(comment=top, reader=readers[1])

    grow(2)
    urls = [story.url, f"/discussion/{story.pk}/", f"/discussion/{story.pk}/?sort=reacted",
            home.url, world.url]
    before = [_queries(client, u) for u in urls]
    grow(30)
    assert [_queries(client, u) for u in urls] == before


def test_posting_reads_the_story_once_whatever_the_discussion(client, story, make_reader):
    """A post loads only the story columns it needs; touching another would cost a query of
    its own on every post."""
    from tests.comments_support import post

    ada, bob = make_reader(), make_reader()
    client.force_login(ada)

    def queries(body):
        with CaptureQueriesContext(connection) as ctx:
            assert post(client, story, body).status_code == 302
        return [q["sql"] for q in ctx.captured_queries]

    queries("Warming up")
    first = queries("First look")
    Comment.objects.bulk_create([Comment(story=story, author=bob, body=f"c{i}")
                                 for i in range(50)])
    later = queries("Second look")
    assert len(later) == len(first)
    assert sum('FROM "articles_articlepage"' in q for q in later) == 1


def test_approval_reaches_anonymous_readers_of_the_cached_page(wsgi_app, story, make_reader,
                                                               moderator, committed):
    ada = make_reader()
    held = Comment.objects.create(story=story, author=ada, body="Held for a moderator",
                                  status="pending")
    fetch(wsgi_app, story.url)
    status, headers, body = fetch(wsgi_app, story.url)
    assert headers["X-Page-Cache"] == "hit" and "Held for a moderator" not in body
    committed(lambda: approve_comment(held, by=moderator))
    status, headers, body = fetch(wsgi_app, story.url)
    assert headers["X-Page-Cache"] == "miss"  # purged on commit: rendered afresh
    assert "Held for a moderator" in body and "1 comment" in body


def test_approval_refreshes_cached_listings_with_the_count(wsgi_app, home, story, make_reader,
                                                           moderator, committed):
    held = Comment.objects.create(story=story, author=make_reader(), body="x y z",
                                  status="pending")
    fetch(wsgi_app, home.url)
    assert fetch(wsgi_app, home.url)[1]["X-Page-Cache"] == "hit"
    committed(lambda: approve_comment(held, by=moderator))
    status, headers, body = fetch(wsgi_app, home.url)
    assert headers["X-Page-Cache"] == "miss" and "1 comment</a>" in body


def test_concurrent_purges_from_one_process_do_not_fail(db):
    """Comments are posted by several threads of one worker at once; each purge writes the
    epoch file. With a per-process temporary name two threads collided and the post that
    had already committed answered 500."""
    import threading

    from broadsheet.pagecache.store import purge_tags

    errors = []

    def purge_many():
        try:
            for _ in range(50):
                purge_tags({"page:1"})
        except OSError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=purge_many) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
