"""The reader's and the moderator's paths through comments, in Chromium against a live
server: sign up, verify by the e-mailed link, comment, reply, give Respect, edit, report,
delete; then queue, approve, reject, feature, suspend and ban, with the reader seeing each
effect."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def discussion(live_server, transactional_db, home, world, make_story, django_user_model,
               settings):
    from allauth.account.models import EmailAddress

    # The live server is this site's public address: e-mailed links name it.
    settings.BASE_URL = live_server.url
    from django.contrib.auth.models import Group

    from broadsheet.comments.models import Comment, ReaderProfile

    story = make_story(world, "The bridge reopens")
    bo = django_user_model.objects.create_user(username="bo@example.org", email="bo@example.org",
                                               password="bo-long-pass-123")
    ReaderProfile.objects.create(user=bo, display_name="Bo")
    Comment.objects.create(story=story, author=bo, body="Bo was here first.")
    mod = django_user_model.objects.create_user(username="mod", email="mod@example.org",
                                                password="mod-long-pass-123")
    # After an earlier live-server test's flush the groups can come back without their
    # permissions (restored rows point at permissions recreated under new ids).
    from broadsheet.publishing.roles import ensure_roles

    ensure_roles()
    mod.groups.add(Group.objects.get(name="Moderators"))
    EmailAddress.objects.create(user=mod, email=mod.email, verified=True, primary=True)
    return f"{live_server.url}{story.url}", story


def _comment(page, text):
    return page.locator("li.comment", has=page.locator(f"text={text}")).last


def test_reader_path(discussion, reader_page, live_server):
    url, story = discussion
    page = reader_page()
    # Sign up, then verify by the link in the e-mail (locmem outbox in tests).
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("#id_email", "cy@example.org")
    page.fill("#id_password1", "cy-very-long-pass-77")
    page.fill("#id_password2", "cy-very-long-pass-77")
    page.get_by_label("Public display name").fill("Cy the reader")
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    assert "Verify" in page.content() or "verif" in page.content().lower()
    link = re.search(r"(http://\S+/accounts/confirm-email/\S+)", mail.outbox[-1].body).group(1)
    page.goto(link)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    sign_in(page, live_server.url, "cy@example.org", "cy-very-long-pass-77")

    # Comment.
    page.goto(url)
    assert "Commenting as Cy the reader" in page.inner_text(".signed-in")
    page.get_by_label("Your comment").fill("Cy's first thoughts, see https://example.org/x")
    page.get_by_role("button", name="Post comment").click()
    page.wait_for_load_state()
    mine = _comment(page, "Cy's first thoughts")
    assert mine.locator(".comment-author").inner_text() == "Cy the reader"
    link = mine.locator(".comment-body a")
    assert link.get_attribute("href") == "https://example.org/x"
    assert link.get_attribute("rel") == "nofollow ugc"

    # Reply to Bo, on the reply page (works without JavaScript).
    bo = _comment(page, "Bo was here first.")
    bo.get_by_role("link", name="Reply to Bo").click()
    page.get_by_label("Your reply").fill("Replying to Bo from Chromium")
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_load_state()
    bo = page.locator("li.comment", has=page.locator("text=Bo was here first.")).first
    assert "Replying to Bo from Chromium" in bo.locator(".comment-replies").inner_text()

    # Give Respect.
    bo.locator(":scope > .comment-actions").get_by_role("button", name="Respect").click()
    page.wait_for_load_state()
    bo = page.locator("li.comment", has=page.locator("text=Bo was here first.")).first
    button = bo.locator(":scope > .comment-actions").get_by_role("button", name="Respect")
    assert button.get_attribute("aria-pressed") == "true"
    assert button.inner_text().strip() == "Respect 1"

    # Edit within five minutes: marked as edited.
    _comment(page, "Cy's first thoughts").get_by_role("link", name="Edit").click()
    page.get_by_label("Your comment").fill("Cy's second thoughts")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_load_state()
    mine = _comment(page, "Cy's second thoughts")
    assert mine.locator(".edited").inner_text() == "edited"
    assert "first thoughts" not in page.inner_text("#comments")

    # Report Bo's comment with a reason.
    bo = page.locator("li.comment", has=page.locator("text=Bo was here first.")).first
    bo.locator(":scope > .comment-actions").get_by_role("link", name="Report").click()
    page.get_by_label("Spam or advertising").check()
    page.get_by_role("button", name="Send report").click()
    # expect() waits for the form post to land; is_visible() would look at the old page.
    expect(page.get_by_role("heading", name="Thank you for your report")).to_be_visible()
    from broadsheet.comments.models import Report

    assert Report.objects.get().reason == "spam"

    # Delete my own comment: the words go, the thread stays.
    page.goto(url)
    _comment(page, "Cy's second thoughts").get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete comment").click()
    page.wait_for_load_state()
    text = page.inner_text("#comments")
    assert "second thoughts" not in text and "This comment was deleted by its author." in text
    assert "Replying to Bo from Chromium" in text


def test_moderator_path(discussion, reader_page, live_server, verified_reader, home):
    from broadsheet.comments.models import CommentRules

    url, story = discussion
    rules = CommentRules.for_site(home.get_site())
    rules.premoderate_first = 1  # Ada's first comment waits for a moderator
    rules.save()
    ada = reader_page()
    sign_in(ada, live_server.url, "ada@example.org", "correct-horse-battery-9")
    anonymous = reader_page()
    mod = reader_page()
    mod.set_viewport_size({"width": 1280, "height": 900})
    # Straight to the queue: the admin dashboard would ask wagtail.org for updates.
    mod.goto(f"{live_server.url}/admin/login/?next=/admin/comments/queue/")
    mod.fill("input[name=username]", "mod")
    mod.fill("input[name=password]", "mod-long-pass-123")
    mod.locator("button[type=submit]").click()
    mod.wait_for_load_state()

    def post_as_ada(text):
        ada.goto(url)
        ada.get_by_label("Your comment").fill(text)
        ada.get_by_role("button", name="Post comment").click()
        ada.wait_for_load_state()

    def queue(tab, text, action):
        mod.goto(f"{live_server.url}/admin/comments/queue/?tab={tab}")
        row = mod.locator("tr", has=mod.locator(f"text={text}"))
        row.locator("input[type=checkbox]").check()
        mod.select_option("#bulk-action", action)
        mod.get_by_role("button", name="Apply").click()
        mod.wait_for_load_state()

    def anonymous_sees():
        anonymous.goto(url)
        return anonymous.inner_text("#comments")

    post_as_ada("Ada's held comment")
    assert "Awaiting moderation" in _comment(ada, "Ada's held comment").inner_text()
    assert "Ada's held comment" not in anonymous_sees()

    queue("pending", "Ada's held comment", "approve")
    assert "Approve: 1 comment." in mod.inner_text("body")
    assert "Ada's held comment" in anonymous_sees()

    post_as_ada("Ada says something rude")  # past the first one: published at once
    assert "Ada says something rude" in anonymous_sees()
    queue("approved", "Ada says something rude", "reject")
    assert "Ada says something rude" not in anonymous_sees()

    queue("approved", "Ada's held comment", "feature")
    anonymous_sees()
    featured = anonymous.get_by_role("region", name="Featured")
    assert "Ada's held comment" in featured.inner_text()

    # Suspend for a time, then ban; Ada is told each time and nothing is posted.
    mod.goto(f"{live_server.url}/admin/comments/queue/?tab=approved")
    mod.locator("tr", has=mod.locator("text=Ada's held comment")).locator(
        "a", has_text=re.compile("Reader|ada", re.I)).first.click()
    mod.wait_for_load_state()
    assert "Ada says something rude" in mod.inner_text("body")  # the commenter's history
    mod.fill("#days", "2")
    mod.get_by_role("button", name="Suspend").click()
    mod.wait_for_load_state()
    assert "Suspended" in mod.inner_text(".standing")
    post_as_ada("Posting while suspended")
    assert "suspended from commenting until" in ada.inner_text("main")
    mod.get_by_role("button", name="Ban").click()
    mod.wait_for_load_state()
    assert "Banned" in mod.inner_text(".standing")
    post_as_ada("Posting while banned")
    assert "banned from commenting" in ada.inner_text("main")
    assert "while" not in anonymous_sees()
    from broadsheet.comments.models import ModerationAction

    kinds = set(ModerationAction.objects.filter(moderator__username="mod")
                .values_list("kind", flat=True))
    assert kinds == {"approve", "reject", "feature", "suspend", "ban"}
