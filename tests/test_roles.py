"""Roles: Writers draft and submit, Editors publish, Moderators handle comments."""

import pytest
from django.contrib.auth.models import Group
from wagtail.models import Page, Workflow

from broadsheet.publishing.roles import EDITORS, MODERATORS, WORKFLOW_NAME, WRITERS


@pytest.fixture
def member(django_user_model):
    def make(group_name, username=None):
        username = username or group_name.lower()
        user = django_user_model.objects.create_user(
            username=username, email=f"{username}@example.org",
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


# Exactly these permissions, and the rules Wagtail's page permissions leave out -------------

def _image(title="Quay"):
    import io

    from django.core.files.images import ImageFile
    from PIL import Image as PILImage
    from wagtail.images import get_image_model

    buffer = io.BytesIO()
    PILImage.new("RGB", (40, 30), (30, 80, 120)).save(buffer, "PNG")
    return get_image_model().objects.create(title=title, file=ImageFile(buffer, name="q.png"))


def test_roles_are_set_exactly_taking_away_what_was_added(home):
    """Wagtail's own migrations give groups named Editors and Moderators picture and document
    rights; anything added by hand goes too."""
    from django.contrib.auth.models import Permission
    from wagtail.models import Collection, GroupCollectionPermission

    from broadsheet.publishing.roles import ensure_roles

    moderators = Group.objects.get(name=MODERATORS)
    root = Collection.get_first_root_node()
    delete_image = Permission.objects.get(codename="delete_image")
    GroupCollectionPermission.objects.get_or_create(group=moderators, collection=root,
                                                    permission=delete_image)
    moderators.permissions.add(Permission.objects.get(codename="add_author"))
    ensure_roles()
    assert not GroupCollectionPermission.objects.filter(group=moderators).exists()
    assert not moderators.permissions.filter(codename="add_author").exists()
    for name in (WRITERS, EDITORS):
        assert not GroupCollectionPermission.objects.filter(
            group__name=name, permission__codename="delete_image").exists()


def test_pictures_writers_add_editors_edit_moderators_nothing(member, home):
    from wagtail.images import get_image_model
    from wagtail.permissions import policy_registry

    # The policy Wagtail's views use, our publishing hook's included.
    permission_policy = policy_registry.get_by_type(get_image_model())
    image = _image()
    writer, editor, moderator = member(WRITERS), member(EDITORS), member(MODERATORS)
    assert permission_policy.user_has_permission(writer, "add")
    assert not permission_policy.user_has_permission_for_instance(writer, "change", image)
    assert permission_policy.user_has_permission_for_instance(editor, "change", image)
    assert not permission_policy.user_has_permission(moderator, "choose")
    assert not permission_policy.user_has_permission(moderator, "add")


def test_a_picture_in_a_published_story_cannot_be_deleted(client, member, world, make_story,
                                                          admin_user):
    from wagtail.images import get_image_model

    shown, unused = _image("Shown"), _image("Unused")
    story = make_story(world, "With a picture", hero_image=shown, hero_alt="A quay")
    draft = make_story(world, "Draft with it", publish=False, hero_image=unused,
                       hero_alt="A quay")
    for user in (member(MODERATORS), member(EDITORS), admin_user):
        client.force_login(user)
        response = client.post(f"/admin/images/{shown.pk}/delete/")
        # Refused: Wagtail sends those without the right back to the dashboard.
        assert response.status_code in (302, 403), user.username
        assert get_image_model().objects.filter(pk=shown.pk).exists(), user.username
    client.force_login(member(MODERATORS, "mod2"))
    client.post(f"/admin/images/{unused.pk}/delete/")
    assert get_image_model().objects.filter(pk=unused.pk).exists()
    # Not shown by anything published: an editor may delete it (the draft loses it).
    client.force_login(member(EDITORS, "ed2"))
    client.post(f"/admin/images/{unused.pk}/delete/")
    assert not get_image_model().objects.filter(pk=unused.pk).exists()
    draft.refresh_from_db()
    assert draft.hero_image is None
    # Once the story no longer shows it, it can go.
    story.unpublish()
    shown.delete()


def test_writers_delete_only_their_own_drafts(client, member, world, make_story):
    ann, ben = member(WRITERS), None
    from django.contrib.auth import get_user_model

    ben = get_user_model().objects.create_user(username="ben", password="a-long-pass-123")
    ben.groups.add(Group.objects.get(name=WRITERS))
    theirs = make_story(world, "Ben's draft", publish=False)
    type(theirs).objects.filter(pk=theirs.pk).update(owner=ben)
    mine = make_story(world, "Ann's draft", publish=False)
    type(mine).objects.filter(pk=mine.pk).update(owner=ann)
    client.force_login(ann)
    client.post(f"/admin/pages/{theirs.pk}/delete/")
    client.post(f"/admin/bulk/wagtailcore/page/delete/?id={theirs.pk}")
    assert Page.objects.filter(pk=theirs.pk).exists()
    client.post(f"/admin/pages/{mine.pk}/delete/")
    assert not Page.objects.filter(pk=mine.pk).exists()
    # Editors may delete any draft.
    client.force_login(member(EDITORS))
    client.post(f"/admin/pages/{theirs.pk}/delete/")
    assert not Page.objects.filter(pk=theirs.pk).exists()


def test_moderators_cannot_read_unpublished_headlines_in_the_page_chooser(client, member,
                                                                          world, make_story):
    make_story(world, "Embargoed merger story", publish=False)
    client.force_login(member(MODERATORS))
    for url in (f"/admin/choose-page/{world.pk}/", "/admin/choose-page/search/?q=Embargoed"):
        response = client.get(url)
        assert "Embargoed merger story" not in response.content.decode(), url
    client.force_login(member(EDITORS))
    assert "Embargoed merger story" in client.get(
        f"/admin/choose-page/{world.pk}/").content.decode()
