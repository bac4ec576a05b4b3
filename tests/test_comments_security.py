"""CSRF on every comment action, and nobody acts on another reader's comment."""

import pytest
from django.test import Client
from wagtail.models import PageViewRestriction

from broadsheet.comments.models import Comment, Reaction, ReaderProfile, Report
from tests.comments_support import post


@pytest.fixture
def scene(story, make_reader, moderator):
    ada, bo = make_reader(display="Ada"), make_reader(display="Bo")
    theirs = Comment.objects.create(story=story, author=ada, body="Ada's words")
    mine = Comment.objects.create(story=story, author=bo, body="Bo's words")
    held = Comment.objects.create(story=story, author=ada, body="Held", status="pending")
    return {"ada": ada, "bo": bo, "theirs": theirs, "mine": mine, "held": held,
            "story": story, "moderator": moderator}


def _actions(s):
    """Every state-changing comment request, as (who, url, data)."""
    story, theirs, mine, held = s["story"], s["theirs"], s["mine"], s["held"]
    return [
        ("bo", f"/discussion/{story.pk}/post/", {"body": "A new comment"}),
        ("bo", f"/discussion/{story.pk}/post/", {"body": "A reply", "parent": theirs.pk}),
        ("bo", f"/comments/{mine.pk}/edit/", {"body": "Edited words"}),
        ("bo", f"/comments/{mine.pk}/delete/", {}),
        ("bo", f"/comments/{theirs.pk}/respect/", {}),
        ("bo", f"/comments/{theirs.pk}/report/", {"reason": "spam"}),
        ("bo", "/accounts/you/", {"display_name": "Someone else"}),
        ("bo", "/accounts/you/delete/", {"password": "a-long-pass-123"}),
        ("moderator", "/admin/comments/queue/", {"action": "approve", "comment": [held.pk]}),
        ("moderator", f"/admin/comments/commenter/{s['ada'].pk}/", {"do": "ban"}),
    ]


def _snapshot():
    return (list(Comment.objects.order_by("pk").values_list("body", "status", "deleted_at")),
            Reaction.objects.count(), Report.objects.count(),
            list(ReaderProfile.objects.order_by("pk").values_list("display_name", "banned_at")),
            __import__("django.contrib.auth", fromlist=["get_user_model"]).get_user_model()
            .objects.count())


def test_every_comment_action_refuses_a_request_without_csrf_token(scene):
    before = _snapshot()
    for who, url, data in _actions(scene):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(scene[who])
        response = strict.post(url, data)
        assert response.status_code == 403, url
    assert _snapshot() == before


def test_the_same_actions_work_with_the_token(scene):
    """The test above can fail: with the token, each action changes something."""
    before = _snapshot()
    for who, url, data in _actions(scene):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(scene[who])
        strict.get("/accounts/you/")  # sets the CSRF cookie
        token = strict.cookies["csrftoken"].value
        response = strict.post(url, {**data, "csrfmiddlewaretoken": token})
        assert response.status_code in (200, 302), (url, response.status_code)
    after = _snapshot()
    assert after != before
    assert not Comment.objects.filter(body="Bo's words").exists()  # edited, then deleted


def test_nobody_edits_or_deletes_another_readers_comment(client, scene):
    theirs = scene["theirs"]
    client.force_login(scene["bo"])
    for url, data in ((f"/comments/{theirs.pk}/edit/", {"body": "Hijacked"}),
                      (f"/comments/{theirs.pk}/delete/", {})):
        assert client.get(url).status_code == 403
        response = client.post(url, data)
        assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.body == "Ada's words" and theirs.deleted_at is None
    html = client.get(scene["story"].url).content.decode()
    ada_part = html[html.index(f'id="comment-{theirs.pk}"'):]
    ada_part = ada_part[:ada_part.index("</li>")]
    assert f"/comments/{theirs.pk}/edit/" not in ada_part
    assert f"/comments/{theirs.pk}/delete/" not in ada_part


def test_readers_cannot_moderate_from_the_public_site_or_admin(client, scene):
    client.force_login(scene["bo"])
    held = scene["held"]
    assert client.post("/admin/comments/queue/", {"action": "approve",
                                                  "comment": [held.pk]}).status_code in (302,
                                                                                         403)
    assert client.post(f"/admin/reader_comments/edit/{held.pk}/",
                       {"status": "approved"}).status_code in (302, 403)
    held.refresh_from_db()
    assert held.status == "pending"


def test_anonymous_readers_are_sent_to_sign_in_and_change_nothing(client, scene):
    before = _snapshot()
    for _, url, data in _actions(scene)[:8]:
        response = client.post(url, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert _snapshot() == before


def test_pending_and_rejected_comments_cannot_be_acted_on(client, scene):
    client.force_login(scene["bo"])
    held = scene["held"]
    assert client.post(f"/comments/{held.pk}/respect/").status_code == 403
    assert client.post(f"/comments/{held.pk}/report/", {"reason": "spam"}).status_code == 403
    response = client.post(f"/discussion/{scene['story'].pk}/post/",
                           {"body": "reply to hidden", "parent": held.pk})
    assert response.status_code == 403
    assert not Reaction.objects.exists() and not Report.objects.exists()
    assert not Comment.objects.filter(body="reply to hidden").exists()


@pytest.mark.parametrize("restricted", ["story", "section"])
def test_a_story_behind_a_view_restriction_takes_no_comments(client, world, make_story,
                                                             make_reader, restricted):
    members_only = make_story(world, "Members only")
    PageViewRestriction.objects.create(page=members_only if restricted == "story" else world,
                                       restriction_type=PageViewRestriction.LOGIN)
    client.force_login(make_reader())
    assert post(client, members_only, "Let me in").status_code == 404
    members_only.get_view_restrictions().delete()  # lifted: the cached paths must follow
    assert post(client, members_only, "Now it is open").status_code == 302
    assert list(Comment.objects.values_list("body", flat=True)) == ["Now it is open"]


def test_an_unpublished_story_takes_no_comments(client, world, make_story, make_reader):
    gone = make_story(world, "Taken down")
    gone.unpublish()
    client.force_login(make_reader())
    assert post(client, gone, "Still here?").status_code == 404
    assert not Comment.objects.exists()
