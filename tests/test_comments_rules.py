"""Automatic rules and per-story settings route comments as the newsroom configured them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from broadsheet.comments.models import Comment, ModerationAction
from tests.comments_support import post


@pytest.fixture
def ada(client, make_reader):
    user = make_reader()
    client.force_login(user)
    return user


def _status(body):
    return Comment.objects.get(body=body).status


def test_no_rules_means_published_at_once(client, story, ada, rules):
    rules()
    assert post(client, story, "Plain and fine").status_code == 302
    assert _status("Plain and fine") == "approved"


def test_banned_words_reject_and_suspect_words_hold(client, story, ada, rules):
    rules(banned_words="Slur\nbuy now", suspect_words="lawyer")
    response = post(client, story, "You should BUY NOW!")
    assert response.status_code == 302
    assert _status("You should BUY NOW!") == "rejected"
    post(client, story, "Ask a lawyer about it")
    assert _status("Ask a lawyer about it") == "pending"
    kinds = dict(ModerationAction.objects.values_list("comment__body", "kind"))
    assert kinds == {"You should BUY NOW!": "auto_reject", "Ask a lawyer about it": "auto_hold"}
    html = client.get(story.url).content.decode()
    assert "BUY NOW" not in html and "Awaiting moderation" in html


def test_too_many_links_hold(client, story, ada, rules):
    rules(max_links=1)
    post(client, story, "One link https://a.test is fine")
    post(client, story, "Two https://a.test and https://b.test")
    assert _status("One link https://a.test is fine") == "approved"
    assert _status("Two https://a.test and https://b.test") == "pending"
    assert Comment.objects.get(status="pending").held_for == "2 links (limit 1)"


def test_new_accounts_first_comments_are_held(client, story, ada, rules, moderator):
    from broadsheet.comments.moderation import approve_comment

    rules(premoderate_first=2)
    post(client, story, "My first")
    assert _status("My first") == "pending"
    approve_comment(Comment.objects.get(body="My first"), by=moderator)
    post(client, story, "My second")
    assert _status("My second") == "pending"
    approve_comment(Comment.objects.get(body="My second"), by=moderator)
    post(client, story, "My third")
    assert _status("My third") == "approved"


def test_duplicates_are_refused(client, story, ada, rules):
    rules(duplicate_window_minutes=10)
    post(client, story, "Same words")
    response = post(client, story, "Same words")
    assert response.status_code == 403 and "already posted this comment" in \
        response.content.decode()
    assert Comment.objects.count() == 1


def test_edits_go_through_the_content_rules(client, story, ada, rules):
    rules(banned_words="spamword")
    post(client, story, "Innocent at first")
    comment = Comment.objects.get()
    client.post(f"/comments/{comment.pk}/edit/", {"body": "Now with spamword"})
    comment.refresh_from_db()
    assert comment.status == "rejected"


def test_per_account_rate_limit_holds_and_tells_the_reader(client, story, ada, rules):
    rules(account_per_minute=3, ip_per_minute=0, duplicate_window_minutes=0)
    for i in range(3):
        assert post(client, story, f"Quick {i}").status_code == 302
    response = post(client, story, "One too many")
    assert response.status_code == 429
    text = response.content.decode()
    assert "commenting too quickly" in text and "One too many" in text
    assert Comment.objects.count() == 3


def test_per_address_rate_limit_spans_accounts(client, story, make_reader, rules):
    rules(account_per_minute=0, ip_per_minute=2)
    for i in range(2):
        client.force_login(make_reader())
        assert post(client, story, f"From the same network {i}").status_code == 302
    client.force_login(make_reader())
    response = post(client, story, "Third account, same address")
    assert response.status_code == 429 and "from your network" in response.content.decode()
    other = client.post(f"/discussion/{story.pk}/post/", {"body": "From elsewhere"},
                        REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 302
    assert Comment.objects.count() == 3


def test_closed_and_premoderated_stories(client, world, make_story, ada, rules):
    rules()
    closed = make_story(world, comments="closed")
    checked = make_story(world, comments="premoderated")
    assert post(client, closed, "Into the void").status_code == 403
    assert "Comments are closed on this story." in client.get(closed.url).content.decode()
    page = client.get(checked.url).content.decode()
    assert "A moderator reads every comment" in page and 'name="body"' in page
    post(client, checked, "Checked first")
    assert _status("Checked first") == "pending"


def test_comments_close_automatically_after_n_days(client, world, make_story, ada, rules):
    rules(close_after_days=3)
    old = make_story(world)
    fresh = make_story(world)
    from broadsheet.articles.models import ArticlePage

    ArticlePage.objects.filter(pk=old.pk).update(
        first_published_at=timezone.now() - timedelta(days=3, minutes=1))
    old.refresh_from_db()
    assert post(client, old, "Too late").status_code == 403
    html = client.get(old.url).content.decode()
    assert "Comments are closed on this story." in html and 'name="body"' not in html
    assert post(client, fresh, "Just in time").status_code == 302


def test_the_rules_are_editable_in_the_admin_by_moderators(client, moderator, home):
    client.force_login(moderator)
    site = home.get_site()
    response = client.get(f"/admin/settings/comments/commentrules/{site.pk}/")
    assert response.status_code == 200 and "Banned words" in response.content.decode()
