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
