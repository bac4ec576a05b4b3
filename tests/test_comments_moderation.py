"""The moderation queue in the Wagtail admin: tabs, filters, bulk actions recorded with who
and when, commenter history, suspend and ban."""

from datetime import timedelta

from django.utils import timezone

from broadsheet.comments.models import Comment, ModerationAction, ReaderProfile, Report
from tests.comments_support import post


def _c(story, author, body, **fields):
    return Comment.objects.create(story=story, author=author, body=body, **fields)


def test_queue_tabs_and_filters(client, moderator, story, make_story, world, make_reader):
    ada, bo = make_reader(display="Ada"), make_reader(display="Bo")
    other = make_story(world, "Another story")
    _c(story, ada, "pending from Ada", status="pending")
    _c(other, bo, "pending from Bo", status="pending")
    reported = _c(story, bo, "reported one", open_reports=1)
    Report.objects.create(comment=reported, reporter=ada, reason="abuse", detail="rude")
    _c(story, ada, "rejected one", status="rejected")
    _c(story, ada, "featured one", featured=True)
    client.force_login(moderator)

    def tab(name, **filters):
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        response = client.get(f"/admin/comments/queue/?tab={name}&{query}")
        assert response.status_code == 200
        return response.content.decode()

    pending = tab("pending")
    assert "pending from Ada" in pending and "pending from Bo" in pending
    assert "reported one" not in pending
    assert "Pending (2)" in pending and "Reported (1)" in pending
    assert "pending from Bo" not in tab("pending", story=story.pk)
    assert "pending from Ada" not in tab("pending", author=bo.pk)
    reported_html = tab("reported")
    assert "reported one" in reported_html and "Abusive or harassing (rude)" in reported_html
    assert "rejected one" in tab("rejected") and "featured one" in tab("featured")


def test_queue_filters_by_headline_and_by_commenter_name_or_email(client, moderator, world,
                                                                   make_story, make_reader):
    river, budget = make_story(world, "The river floods again"), make_story(world, "Budget day")
    ada = make_reader("ada.lovelace", display="Ada L.")
    ada.first_name, ada.last_name = "Ada", "Lovelace"
    ada.save()
    bo = make_reader("bo", display="Bo Diddley")
    _c(river, ada, "Ada on the river", status="pending")
    _c(budget, ada, "Ada on the budget", status="pending")
    _c(river, bo, "Bo on the river", status="pending")
    _c(river, None, "Imported words", status="pending", guest_name="Carla from the old site")
    client.force_login(moderator)

    def shown(**filters):
        html = client.get("/admin/comments/queue/", {"tab": "pending", **filters}
                          ).content.decode()
        return {body for body in ("Ada on the river", "Ada on the budget", "Bo on the river",
                                  "Imported words") if body in html}

    assert shown(headline="RIVER floods") == {"Ada on the river", "Bo on the river",
                                              "Imported words"}
    assert shown(commenter="diddley") == {"Bo on the river"}  # the name shown
    assert shown(commenter="ada love") == {"Ada on the river", "Ada on the budget"}  # full name
    assert shown(commenter="ada.lovelace@example") == {"Ada on the river", "Ada on the budget"}
    assert shown(commenter="carla") == {"Imported words"}  # an imported comment's signature
    assert shown(commenter="ada", headline="budget") == {"Ada on the budget"}
    assert shown(commenter="nobody at all") == set()
    # The pages and tabs keep the filters.
    html = client.get("/admin/comments/queue/", {"tab": "pending", "commenter": "ada love"}
                      ).content.decode()
    assert "?tab=approved&amp;commenter=ada+love" in html


def test_bulk_approve_reject_feature_are_recorded(client, moderator, story, make_reader):
    ada = make_reader()
    a, b, c = (_c(story, ada, f"held {i}", status="pending") for i in range(3))
    client.force_login(moderator)
    response = client.post("/admin/comments/queue/?tab=pending",
                           {"action": "approve", "comment": [a.pk, b.pk]})
    assert response.status_code == 302
    client.post("/admin/comments/queue/?tab=pending", {"action": "reject", "comment": [c.pk]})
    client.post("/admin/comments/queue/?tab=approved", {"action": "feature", "comment": [b.pk]})
    statuses = dict(Comment.objects.values_list("body", "status"))
    assert statuses == {"held 0": "approved", "held 1": "approved", "held 2": "rejected"}
    assert Comment.objects.get(pk=b.pk).featured
    log = list(ModerationAction.objects.order_by("id").values_list("kind", "comment_id",
                                                                     "moderator_id"))
    assert log == [("approve", a.pk, moderator.pk), ("approve", b.pk, moderator.pk),
                   ("reject", c.pk, moderator.pk), ("feature", b.pk, moderator.pk)]
    assert all(m.created_at for m in ModerationAction.objects.all())
    html = client.get("/admin/comments/queue/").content.decode()
    assert "Featured comment" in html and "mod@example.org" in html  # the log shows who


def test_bulk_action_without_a_choice_changes_nothing(client, moderator, story, make_reader):
    held = _c(story, make_reader(), "held", status="pending")
    client.force_login(moderator)
    client.post("/admin/comments/queue/", {"action": "", "comment": [held.pk]})
    client.post("/admin/comments/queue/", {"action": "approve"})
    client.post("/admin/comments/queue/", {"action": "delete-everything", "comment": [held.pk]})
    held.refresh_from_db()
    assert held.status == "pending" and not ModerationAction.objects.exists()


def test_approving_clears_reports(client, moderator, story, make_reader):
    comment = _c(story, make_reader(), "fine really", open_reports=1)
    Report.objects.create(comment=comment, reporter=make_reader(), reason="spam")
    client.force_login(moderator)
    client.post("/admin/comments/queue/?tab=reported", {"action": "approve",
                                                        "comment": [comment.pk]})
    comment.refresh_from_db()
    assert comment.open_reports == 0 and Report.objects.get().resolved_at is not None


def test_commenter_history_suspend_and_ban(client, moderator, story, make_reader):
    ada = make_reader(display="Ada")
    _c(story, ada, "an old remark")
    _c(story, ada, "a rude remark", status="rejected")
    client.force_login(moderator)
    page = client.get(f"/admin/comments/commenter/{ada.pk}/").content.decode()
    assert "an old remark" in page and "a rude remark" in page and "1 rejected" in page
    assert "In good standing" in page
    client.post(f"/admin/comments/commenter/{ada.pk}/", {"do": "suspend", "days": "3",
                                                         "note": "cool off"})
    profile = ReaderProfile.objects.get(user=ada)
    assert timedelta(days=2, hours=23) < profile.suspended_until - timezone.now() <= \
        timedelta(days=3)
    assert "Suspended" in client.get(f"/admin/comments/commenter/{ada.pk}/").content.decode()
    held = _c(story, ada, "pending before the ban", status="pending")
    client.post(f"/admin/comments/commenter/{ada.pk}/", {"do": "ban"})
    profile.refresh_from_db()
    held.refresh_from_db()
    assert profile.banned_at is not None and held.status == "rejected"
    kinds = list(ModerationAction.objects.filter(commenter=ada).values_list("kind", flat=True))
    assert {"suspend", "ban", "reject"} <= set(kinds)
    client.post(f"/admin/comments/commenter/{ada.pk}/", {"do": "reinstate"})
    profile.refresh_from_db()
    assert profile.banned_at is None and profile.suspended_until is None


def test_bad_suspension_length_is_refused(client, moderator, make_reader):
    ada = make_reader()
    client.force_login(moderator)
    for days in ("", "0", "400", "soon"):
        client.post(f"/admin/comments/commenter/{ada.pk}/", {"do": "suspend", "days": days})
    assert not ReaderProfile.objects.filter(suspended_until__isnull=False).exists()
    assert not ModerationAction.objects.exists()


def test_reader_sees_each_moderation_effect(client, moderator, story, make_reader):
    ada, bo = make_reader(), make_reader()
    held = _c(story, ada, "Held comment", status="pending")
    gone = _c(story, ada, "Soon rejected")
    best = _c(story, ada, "Soon featured")
    client.force_login(moderator)
    for action, comment in (("approve", held), ("reject", gone), ("feature", best)):
        client.post("/admin/comments/queue/", {"action": action, "comment": [comment.pk]})
    client.force_login(bo)
    html = client.get(story.url).content.decode()
    assert "Held comment" in html and "Soon rejected" not in html
    assert html.index("Featured</h3>") < html.index("Soon featured")


def test_story_edit_form_records_the_moderator(client, moderator, story, make_reader):
    comment = _c(story, make_reader(), "Off-topic")
    client.force_login(moderator)
    client.post(f"/admin/reader_comments/edit/{comment.pk}/", {"status": "rejected"})
    action = ModerationAction.objects.get()
    assert (action.kind, action.moderator_id, action.comment_id) == ("reject", moderator.pk,
                                                                     comment.pk)


def test_readers_and_writers_cannot_reach_the_queue(client, story, make_reader, django_user_model):
    from django.contrib.auth.models import Group

    held = _c(story, make_reader(), "held", status="pending")
    writer = django_user_model.objects.create_user(username="w", email="w@example.org",
                                                   password="a-long-pass-123")
    writer.groups.add(Group.objects.get(name="Writers"))
    for user in (make_reader(), writer):
        client.force_login(user)
        assert client.get("/admin/comments/queue/").status_code in (302, 403)
        client.post("/admin/comments/queue/", {"action": "approve", "comment": [held.pk]})
        client.post(f"/admin/comments/commenter/{held.author_id}/", {"do": "ban"})
    held.refresh_from_db()
    assert held.status == "pending"
    assert not ReaderProfile.objects.filter(banned_at__isnull=False).exists()


def test_suspended_and_banned_readers_cannot_post(client, story, moderator, make_reader):
    from broadsheet.comments.moderation import ban_commenter, suspend_commenter

    ada, bo = make_reader(), make_reader()
    suspend_commenter(ada, by=moderator, days=2)
    ban_commenter(bo, by=moderator)
    client.force_login(ada)
    response = post(client, story, "Let me in")
    assert response.status_code == 403 and "suspended from commenting until" in \
        response.content.decode()
    assert "Let me in" in response.content.decode()  # what they wrote is kept
    client.force_login(bo)
    response = post(client, story, "Let me in")
    assert response.status_code == 403 and "banned" in response.content.decode()
    assert not Comment.objects.exists()
    ReaderProfile.objects.filter(user=ada).update(
        suspended_until=timezone.now() - timedelta(seconds=1))
    client.force_login(ada)
    assert post(client, story, "Back again").status_code == 302  # the suspension ran out


def test_sending_back_to_pending_is_recorded_too(client, moderator, story, make_reader):
    comment = _c(story, make_reader(), "Second thoughts", featured=True)
    client.force_login(moderator)
    client.post(f"/admin/reader_comments/edit/{comment.pk}/", {"status": "pending"})
    comment.refresh_from_db()
    assert comment.status == "pending" and not comment.featured
    assert list(ModerationAction.objects.values_list("kind", "moderator_id")) == [
        ("hold", moderator.pk)]
