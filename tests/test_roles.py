"""Roles: Writers draft and submit, Editors publish, Moderators handle comments."""

import pytest
from django.contrib.auth.models import Group
from wagtail.models import Page, Workflow

from broadsheet.publishing.roles import EDITORS, MODERATORS, WORKFLOW_NAME, WRITERS


@pytest.fixture
def member(django_user_model):
    def make(group_name):
        user = django_user_model.objects.create_user(
            username=group_name.lower(), email=f"{group_name.lower()}@example.org",
            password="a-long-pass-123")
        user.groups.add(Group.objects.get(name=group_name))
        return user
    return make


def test_writer_cannot_publish(member, world, make_story):
    story = make_story(world, publish=False)
    perms = story.permissions_for_user(member(WRITERS))
    assert perms.can_edit()
    assert not perms.can_publish()
    assert not perms.can_unpublish()


def test_writer_publish_through_admin_is_refused(client, member, world, make_story):
    story = make_story(world, "Writer draft", publish=False)
    client.force_login(member(WRITERS))
    edit_url = f"/admin/pages/{story.pk}/edit/"
    response = client.get(edit_url)
    assert response.status_code == 200
    revisions_before = story.revisions.count()
    client.post(edit_url, {"title": "Writer draft", "slug": story.slug, "action-publish": "1",
                           "body-count": "0", "bylines-TOTAL_FORMS": "0",
                           "bylines-INITIAL_FORMS": "0", "corrections-TOTAL_FORMS": "0",
                           "corrections-INITIAL_FORMS": "0"})
    story.refresh_from_db()
    # The form was accepted (a new draft revision exists) but publishing was not allowed.
    assert story.revisions.count() == revisions_before + 1
    assert not story.live
    assert client.get(f"/world/{story.slug}/").status_code == 404


def test_editor_can_publish_and_unpublish(member, world, make_story):
    story = make_story(world)
    perms = story.permissions_for_user(member(EDITORS))
    assert perms.can_publish()
    assert perms.can_unpublish()


def test_moderator_cannot_touch_stories_but_can_moderate(member, world, make_story):
    user = member(MODERATORS)
    story = make_story(world)
    perms = story.permissions_for_user(user)
    assert not perms.can_edit()
    assert not perms.can_publish()
    assert user.has_perm("comments.change_comment")


def test_stories_go_through_editor_review(home):
    root = Page.get_first_root_node()
    workflow = root.get_workflow()
    assert workflow is not None and workflow.name == WORKFLOW_NAME
    task = workflow.tasks.get().specific
    assert [g.name for g in task.groups.all()] == [EDITORS]
    assert Workflow.objects.filter(active=True).count() == 1


def test_moderator_rejects_a_comment_in_the_admin(client, member, reader, world, make_story):
    from broadsheet.comments.models import Comment

    story = make_story(world)
    comment = Comment.objects.create(story=story, author=reader, body="Off-topic")
    client.force_login(member(MODERATORS))
    listing = client.get("/admin/reader_comments/")
    assert listing.status_code == 200 and "Off-topic" in listing.content.decode()
    response = client.post(f"/admin/reader_comments/edit/{comment.pk}/", {"status": "rejected"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.status == Comment.Status.REJECTED
    assert "Off-topic" not in client.get(story.url).content.decode()


def test_writer_cannot_moderate(client, member, reader, world, make_story):
    from broadsheet.comments.models import Comment

    comment = Comment.objects.create(story=make_story(world), author=reader, body="Hi")
    client.force_login(member(WRITERS))
    client.post(f"/admin/reader_comments/edit/{comment.pk}/", {"status": "rejected"})
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED
