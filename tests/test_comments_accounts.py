"""Reader accounts: sign up, verify by the e-mailed link, sign in and out, reset the password,
a public display name, download my data, delete my account; reply notifications with a
one-click unsubscribe."""

import json
import re

from django.core import mail

from broadsheet.comments.models import DELETED_ACCOUNT, Comment, ReaderProfile
from tests.comments_support import post


def _link(message, pattern):
    match = re.search(rf"(http://\S+{pattern}\S*)", message.body)
    assert match, message.body
    return match.group(1).replace("http://testserver", "").replace("http://127.0.0.1:8000", "")


def test_sign_up_verify_sign_in_and_out(client, db, home):
    response = client.post("/accounts/signup/", {
        "email": "new@example.org", "password1": "a-fresh-pass-9876",
        "password2": "a-fresh-pass-9876", "display_name": "River Watcher"})
    assert response.status_code == 302
    assert ReaderProfile.objects.get().display_name == "River Watcher"
    # Verification is mandatory: signing in waits for the link.
    client.logout()
    login = client.post("/accounts/login/", {"login": "new@example.org",
                                             "password": "a-fresh-pass-9876"})
    assert login.status_code == 302 and "confirm-email" in login["Location"]
    link = _link(mail.outbox[-1], "/accounts/confirm-email/")
    client.post(link)
    client.logout()
    login = client.post("/accounts/login/", {"login": "new@example.org",
                                             "password": "a-fresh-pass-9876"})
    assert login.status_code == 302 and login["Location"] == "/"
    assert client.get("/accounts/you/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/accounts/you/").status_code == 302


def test_password_reset_by_the_emailed_link(client, reader):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=reader, email=reader.email, verified=True, primary=True)
    client.post("/accounts/password/reset/", {"email": reader.email})
    link = _link(mail.outbox[-1], "/accounts/password/reset/key/")
    form_page = client.get(link, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    done = client.post(action, {"password1": "brand-new-pass-42",
                                "password2": "brand-new-pass-42"})
    assert done.status_code == 302
    reader.refresh_from_db()
    assert reader.check_password("brand-new-pass-42")


def test_display_name_is_public_and_the_email_never_is(client, story, reader):
    client.force_login(reader)
    bad = client.post("/accounts/you/", {"display_name": " \u200b "})
    assert bad.status_code == 400 and "at least 2 characters" in bad.content.decode()
    client.post("/accounts/you/", {"display_name": "  Ada   Lovelace "})
    assert ReaderProfile.objects.get(user=reader).display_name == "Ada Lovelace"
    post(client, story, "Hello river")
    client.logout()
    html = client.get(story.url).content.decode()
    assert "<bdi class=\"comment-author\">Ada Lovelace</bdi>" in html
    assert "reader@example.org" not in html and ">reader<" not in html


def test_download_my_data(client, story, reader, make_reader):
    client.force_login(reader)
    post(client, story, "Mine to take away")
    theirs = Comment.objects.create(story=story, author=make_reader(), body="Someone else")
    client.post(f"/comments/{theirs.pk}/respect/")
    response = client.get("/accounts/you/data.json")
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["email"] == reader.email
    assert [c["body"] for c in data["comments"]] == ["Mine to take away"]
    assert data["respect_given"][0]["comment"] == theirs.pk
    assert "Someone else" not in response.content.decode()


def test_delete_my_account_keeps_replies_and_shows_a_deleted_account(client, story, reader,
                                                                     make_reader):
    client.force_login(reader)
    respected = Comment.objects.create(story=story, author=make_reader(), body="Respected")
    client.post(f"/comments/{respected.pk}/respect/")
    post(client, story, "Words from a leaving reader")
    mine = Comment.objects.get(body="Words from a leaving reader")
    Comment.objects.create(story=story, author=make_reader(display="Bo"), body="Bo replies",
                           parent=mine, reply_to=mine)
    wrong = client.post("/accounts/you/delete/", {"password": "not-it"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    assert client.post("/accounts/you/delete/",
                       {"password": "a-long-pass-123"}).status_code == 200
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(pk=reader.pk).exists()
    html = client.get(story.url).content.decode()
    assert f'<bdi class="comment-author">{DELETED_ACCOUNT}</bdi>' in html
    assert "Bo replies" in html and "Words from a leaving reader" in html
    respected.refresh_from_db()
    assert respected.respect_count == 0  # their Respect left with them


def test_reply_notification_opt_in_and_one_click_unsubscribe(client, story, make_reader,
                                                              committed):
    ada, bo = make_reader(display="Ada"), make_reader(display="Bo")
    client.force_login(ada)
    post(client, story, "Tell me about replies", notify="on")
    post(client, story, "Do not tell me")
    asked, quiet = Comment.objects.order_by("pk")
    client.force_login(bo)
    committed(lambda: post(client, story, "Here is a reply", parent=asked.pk))
    committed(lambda: post(client, story, "Another reply", parent=quiet.pk))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [ada.email] and "Here is a reply" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert f"/{path}" in message.body.replace("http://127.0.0.1:8000", "")
    # A forged or altered token does nothing.
    assert client.post(f"/{path[:-3]}xyz/", {"List-Unsubscribe": "One-Click"}).status_code == 404
    asked.refresh_from_db()
    assert asked.notify_replies
    # RFC 8058: the mail client POSTs with no cookie and no CSRF token.
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(f"/{path}",
                                                     {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    asked.refresh_from_db()
    assert not asked.notify_replies
    committed(lambda: post(client, story, "A third reply", parent=asked.pk))
    assert len(mail.outbox) == 1


def test_a_held_reply_notifies_only_once_approved(client, story, make_reader, moderator,
                                                  committed, rules):
    from broadsheet.comments.moderation import approve_comment

    rules(suspect_words="hmm")
    ada, bo = make_reader(), make_reader()
    asked = Comment.objects.create(story=story, author=ada, body="Ask me", notify_replies=True)
    client.force_login(bo)
    committed(lambda: post(client, story, "hmm, a held reply", parent=asked.pk))
    assert mail.outbox == []
    committed(lambda: approve_comment(Comment.objects.get(status="pending"), by=moderator))
    assert len(mail.outbox) == 1
