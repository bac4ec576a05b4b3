"""Threads two deep, edit within five minutes, soft delete, Respect, reports, Featured,
sorting and "load more"."""

from datetime import timedelta

from broadsheet.comments.models import Comment, Reaction, Report
from tests.comments_support import post


def _approved(story, author, body, **fields):
    return Comment.objects.create(story=story, author=author, body=body, **fields)


def test_replies_nest_two_levels_and_deeper_replies_stay_at_level_two(client, story,
                                                                       make_reader):
    ada, bo, cy = make_reader(display="Ada"), make_reader(display="Bo"), make_reader()
    top = _approved(story, ada, "Top-level thought")
    client.force_login(bo)
    assert post(client, story, "A reply to Ada", parent=top.pk).status_code == 302
    reply = Comment.objects.get(body="A reply to Ada")
    assert reply.parent_id == top.pk and reply.reply_to_id == top.pk
    client.force_login(cy)
    post(client, story, "A reply to the reply", parent=reply.pk)
    deeper = Comment.objects.get(body="A reply to the reply")
    assert deeper.parent_id == top.pk  # filed under the top-level comment, not three deep
    assert deeper.reply_to_id == reply.pk
    html = client.get(story.url).content.decode()
    thread_html = html[html.index(f'id="comment-{top.pk}"'):]
    assert thread_html.index("A reply to Ada") < thread_html.index("A reply to the reply")
    assert 'class="comment-replies"' in thread_html
    assert "Replying to <bdi>Bo</bdi>" in html


def test_reply_to_a_comment_of_another_story_is_refused(client, story, make_story, world,
                                                        make_reader):
    other = make_story(world)
    foreign = _approved(other, make_reader(), "Elsewhere")
    client.force_login(make_reader())
    assert post(client, story, "Hi there", parent=foreign.pk).status_code == 404
    assert not Comment.objects.filter(body="Hi there").exists()


def test_reply_page_works_without_javascript(client, story, make_reader):
    top = _approved(story, make_reader(display="Ada"), "Hello")
    client.force_login(make_reader())
    page = client.get(f"/comments/{top.pk}/reply/").content.decode()
    assert f'name="parent" value="{top.pk}"' in page and "Reply to <bdi>Ada</bdi>" in page


def test_author_edits_within_five_minutes_and_it_is_marked(client, story, make_reader):
    ada = make_reader()
    client.force_login(ada)
    post(client, story, "Frist")
    comment = Comment.objects.get()
    assert "Edit</a>" in client.get(story.url).content.decode()
    response = client.post(f"/comments/{comment.pk}/edit/", {"body": "First"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "First" and comment.edited_at is not None
    assert '<span class="edited">edited</span>' in client.get(story.url).content.decode()


def test_editing_after_five_minutes_is_refused(client, story, make_reader):
    ada = make_reader()
    comment = _approved(story, ada, "Old words")
    Comment.objects.filter(pk=comment.pk).update(
        created_at=comment.created_at - timedelta(minutes=5, seconds=1))
    client.force_login(ada)
    assert "Edit</a>" not in client.get(story.url).content.decode()
    response = client.post(f"/comments/{comment.pk}/edit/", {"body": "New words"})
    assert response.status_code == 403
    assert "first 5 minutes" in response.content.decode()
    comment.refresh_from_db()
    assert comment.body == "Old words" and comment.edited_at is None


def test_delete_keeps_the_thread(client, story, make_reader):
    ada, bo = make_reader(), make_reader()
    top = _approved(story, ada, "Words to withdraw")
    _approved(story, bo, "A reply that stays", parent=top, reply_to=top)
    client.force_login(ada)
    assert client.get(f"/comments/{top.pk}/delete/").status_code == 200  # asks first
    assert client.post(f"/comments/{top.pk}/delete/").status_code == 302
    top.refresh_from_db()
    assert top.deleted_at is not None and top.body == ""
    html = client.get(story.url).content.decode()
    assert "Words to withdraw" not in html
    assert "This comment was deleted by its author." in html
    assert "A reply that stays" in html
    assert "1 comment" in html  # the deleted one no longer counts


def test_respect_once_per_reader_and_never_for_yourself(client, story, make_reader):
    ada, bo = make_reader(), make_reader()
    comment = _approved(story, ada, "Worth respecting")
    client.force_login(bo)
    assert client.post(f"/comments/{comment.pk}/respect/").status_code == 302
    comment.refresh_from_db()
    assert comment.respect_count == 1 and Reaction.objects.count() == 1
    html = client.get(story.url).content.decode()
    assert 'aria-pressed="true">Respect <span class="respect-count">1</span>' in html
    client.post(f"/comments/{comment.pk}/respect/")  # pressing again takes it back
    comment.refresh_from_db()
    assert comment.respect_count == 0 and Reaction.objects.count() == 0
    client.force_login(ada)
    response = client.post(f"/comments/{comment.pk}/respect/")
    assert response.status_code == 403 and "your own comment" in response.content.decode()
    comment.refresh_from_db()
    assert comment.respect_count == 0


def test_report_with_a_reason(client, story, make_reader):
    comment = _approved(story, make_reader(), "Buy cheap watches")
    client.force_login(make_reader())
    form = client.get(f"/comments/{comment.pk}/report/").content.decode()
    assert "Spam or advertising" in form
    missing = client.post(f"/comments/{comment.pk}/report/", {"reason": ""})
    assert missing.status_code == 400 and "Choose a reason." in missing.content.decode()
    bogus = client.post(f"/comments/{comment.pk}/report/", {"reason": "made-up"})
    assert bogus.status_code == 400
    assert Report.objects.count() == 0
    done = client.post(f"/comments/{comment.pk}/report/", {"reason": "spam", "detail": "ads"})
    assert done.status_code == 200 and "Thank you for your report" in done.content.decode()
    client.post(f"/comments/{comment.pk}/report/", {"reason": "abuse"})  # once per reader
    report = Report.objects.get()
    assert (report.reason, report.detail) == ("spam", "ads")
    comment.refresh_from_db()
    assert comment.open_reports == 1


def test_featured_comments_come_first_under_a_heading(client, story, make_reader):
    ada = make_reader(display="Ada")
    _approved(story, ada, "An ordinary comment")
    _approved(story, ada, "The best comment", featured=True)
    html = client.get(story.url).content.decode()
    featured = html.index('<h3 id="featured-heading">Featured</h3>')
    assert featured < html.index("The best comment") < html.index("An ordinary comment")


def test_sorting_oldest_newest_most_respected(client, story, make_reader):
    ada = make_reader()
    a = _approved(story, ada, "Comment A")
    b = _approved(story, ada, "Comment B", respect_count=5)
    c = _approved(story, ada, "Comment C", respect_count=2)
    for i, comment in enumerate((a, b, c)):
        Comment.objects.filter(pk=comment.pk).update(
            created_at=comment.created_at + timedelta(minutes=i))

    def order(sort):
        html = client.get(f"/discussion/{story.pk}/?sort={sort}").content.decode()
        return sorted("ABC", key=lambda x: html.index(f"Comment {x}"))

    assert order("oldest") == ["A", "B", "C"]
    assert order("newest") == ["C", "B", "A"]
    assert order("reacted") == ["B", "C", "A"]
    assert order("nonsense") == ["C", "B", "A"]  # unknown sorts fall back to newest


def test_load_more_keeps_the_readers_place(client, story, make_reader):
    ada = make_reader()
    Comment.objects.bulk_create([Comment(story=story, author=ada, body=f"Number {i:02d}")
                                 for i in range(45)])
    first = client.get(f"/discussion/{story.pk}/?sort=oldest").content.decode()
    assert "Number 19" in first and "Number 20" not in first
    last_seen = Comment.objects.get(body="Number 19").pk
    link = f"/discussion/{story.pk}/?sort=oldest&amp;shown=40#comment-{last_seen}"
    assert link in first  # the next page opens where the reader stopped
    second = client.get(f"/discussion/{story.pk}/?sort=oldest&shown=40").content.decode()
    assert "Number 00" in second and "Number 39" in second and "Number 40" not in second
    third = client.get(f"/discussion/{story.pk}/?sort=oldest&shown=60").content.decode()
    assert "Number 44" in third and "Load more comments" not in third


def test_own_pending_comment_is_shown_only_to_its_author(client, story, make_reader):
    ada = make_reader()
    _approved(story, ada, "Waiting for a moderator", status=Comment.Status.PENDING)
    client.force_login(ada)
    mine = client.get(story.url).content.decode()
    assert "Waiting for a moderator" in mine and "Awaiting moderation" in mine
    client.force_login(make_reader())
    assert "Waiting for a moderator" not in client.get(story.url).content.decode()
    client.logout()
    assert "Waiting for a moderator" not in client.get(story.url).content.decode()
