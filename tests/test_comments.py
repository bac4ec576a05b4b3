"""Comments end to end, and reader input is never rendered as markup."""

from broadsheet.comments.models import Comment

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> <b>bold</b> & "quotes"'


def test_signed_in_reader_posts_and_sees_the_comment(client, reader, world, make_story,
                                                     django_capture_on_commit_callbacks):
    story = make_story(world)
    client.force_login(reader)
    page = client.get(story.url).content.decode()
    assert 'name="body"' in page  # the form is there for a signed-in reader
    with django_capture_on_commit_callbacks(execute=True):  # the purge runs at the commit
        response = client.post(f"/discussion/{story.pk}/post/",
                               {"body": "First!\nSecond line."})
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert response["Location"] == f"{story.url}#comment-{comment.pk}"
    html = client.get(story.url).content.decode()
    assert "First!<br>Second line." in html
    assert "1 comment" in html


def test_anonymous_reader_cannot_post(client, world, make_story):
    story = make_story(world)
    page = client.get(story.url).content.decode()
    assert 'name="body"' not in page and "Sign in to comment" in page
    response = client.post(f"/discussion/{story.pk}/post/", {"body": "Hello"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Comment.objects.count() == 0


def test_reader_input_is_shown_as_text(client, reader, world, make_story):
    story = make_story(world)
    client.force_login(reader)
    client.post(f"/discussion/{story.pk}/post/", {"body": HOSTILE})
    for url in (story.url, f"/discussion/{story.pk}/"):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "<b>bold</b>" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_empty_comment_is_refused_and_keeps_nothing(client, reader, world, make_story):
    story = make_story(world)
    client.force_login(reader)
    response = client.post(f"/discussion/{story.pk}/post/", {"body": "   "})
    assert response.status_code == 400
    assert "Write something before posting." in response.content.decode()
    assert Comment.objects.count() == 0


def test_invalid_comment_keeps_what_the_reader_typed(client, reader, world, make_story):
    story = make_story(world)
    client.force_login(reader)
    response = client.post(f"/discussion/{story.pk}/post/", {"body": "x" * 5001})
    assert response.status_code == 400
    assert "x" * 5001 in response.content.decode()


def test_closed_story_refuses_comments(client, reader, world, make_story):
    story = make_story(world, comments="closed")
    client.force_login(reader)
    assert client.post(f"/discussion/{story.pk}/post/", {"body": "Hi"}).status_code == 403
    assert Comment.objects.count() == 0


def test_no_comments_on_drafts(client, reader, world, make_story):
    draft = make_story(world, publish=False)
    client.force_login(reader)
    assert client.post(f"/discussion/{draft.pk}/post/", {"body": "Hi"}).status_code == 404
    assert client.get(f"/discussion/{draft.pk}/").status_code == 404


def test_post_requires_csrf(reader, world, make_story):
    from django.test import Client

    story = make_story(world)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reader)
    assert strict.post(f"/discussion/{story.pk}/post/", {"body": "Hi"}).status_code == 403
    assert Comment.objects.count() == 0


def test_story_shows_latest_comments_and_links_to_all(client, reader, world, make_story):
    story = make_story(world)
    Comment.objects.bulk_create([Comment(story=story, author=reader, body=f"Comment no. {i}")
                                 for i in range(25)])
    html = client.get(story.url).content.decode()
    # Newest first, twenty to a page, and a way to the rest.
    assert "Comment no. 24" in html and "Comment no. 5<" in html and "Comment no. 4<" not in html
    assert "Load more comments" in html
    assert "25 comments" in html
    assert "See what people are discussing" in html
    discussion = client.get(f"/discussion/{story.pk}/?shown=40").content.decode()
    assert "Comment no. 0" in discussion and "Comment no. 24" in discussion
