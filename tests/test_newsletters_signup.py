"""Newsletters, the readers' side (issue 18, first slice): double opt-in sign-up, preferences
and one-click unsubscribe from the e-mail's links alone, and the suppression list."""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail, signing
from django.test import Client

from broadsheet.newsletters import preferences, tokens
from broadsheet.newsletters.models import (
    Newsletter,
    SignupRequest,
    Subscriber,
    Subscription,
    Suppression,
)


@pytest.fixture
def alerts(home):
    return Newsletter.objects.create(name="Breaking alerts", slug="alerts",
                                     kind=Newsletter.Kind.ALERT)


def confirmation_link(message) -> str:
    return re.search(r"http://127\.0\.0\.1:8000(/newsletters/confirm/\S+/)", message.body)[1]


def sign_up(client, email, *newsletters):
    return client.post("/newsletters/signup/",
                       {"email": email, "newsletters": [n.pk for n in newsletters]})


def subscribed(email) -> set[str]:
    return set(Subscription.objects.filter(subscriber__email__iexact=email)
               .values_list("newsletter__slug", flat=True))


def test_double_opt_in_subscribes_only_on_confirming_and_the_link_works_once(
        client, briefing, alerts):
    page = client.get("/newsletters/")
    assert page.status_code == 200
    assert b"Morning briefing" in page.content and b"Breaking alerts" in page.content

    answer = sign_up(client, "Ada@Example.org", briefing, alerts)
    assert answer.status_code == 200 and b"Check your inbox" in answer.content
    assert not Subscriber.objects.exists() and not Subscription.objects.exists()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["Ada@Example.org"]
    link = confirmation_link(message)  # absolute, at the configured address

    # Opening the link (or a mail scanner fetching it) changes nothing; the button does.
    shown = client.get(link)
    assert shown.status_code == 200 and b"<form" in shown.content
    assert not Subscription.objects.exists()
    done = client.post(link)
    assert done.status_code == 200 and b"You are signed up" in done.content
    assert subscribed("ada@example.org") == {"morning", "alerts"}
    assert Subscriber.objects.get().confirmed_at is not None

    again = client.post(link)
    assert again.status_code == 410 and b"already been used" in again.content
    assert Subscription.objects.count() == 2


def test_one_newsletter_confirmation_comes_from_its_sender(client, briefing):
    sign_up(client, "bo@example.org", briefing)
    assert mail.outbox[0].from_email == '"The Desk" <desk@news.example>'


def test_an_expired_confirmation_link_fails_clearly(client, briefing, monkeypatch):
    # The link is signed 49 hours ago: TimestampSigner stamps with its timestamp().
    old = signing.b62_encode(int(time.time()) - 49 * 3600)
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: old)
    sign_up(client, "late@example.org", briefing)
    monkeypatch.undo()
    link = confirmation_link(mail.outbox[0])
    for answer in (client.get(link), client.post(link)):
        assert answer.status_code == 410 and b"This link has expired" in answer.content
    assert not Subscription.objects.exists()


def test_a_forged_confirmation_link_is_refused(client, briefing):
    answer = client.post("/newsletters/confirm/not-a-token/")
    assert answer.status_code == 404 and not Subscription.objects.exists()


def test_a_suppressed_address_gets_no_mail_and_the_same_answer(client, briefing):
    Suppression.objects.create(email="gone@example.org", reason=Suppression.Reason.BOUNCE)
    suppressed = sign_up(client, "GONE@example.org", briefing)
    normal = sign_up(client, "fine@example.org", briefing)
    assert mail.outbox and [m.to for m in mail.outbox] == [["fine@example.org"]]
    assert suppressed.status_code == normal.status_code == 200
    assert (suppressed.content.replace(b"GONE@example.org", b"X")
            == normal.content.replace(b"fine@example.org", b"X"))
    assert not SignupRequest.objects.filter(email__iexact="gone@example.org").exists()


def test_no_second_confirmation_within_minutes(client, briefing):
    sign_up(client, "ada@example.org", briefing)
    sign_up(client, "ADA@example.org", briefing)
    assert len(mail.outbox) == 1


def test_a_signed_in_reader_has_their_address_prefilled(client, briefing, reader):
    client.force_login(reader)
    page = client.get("/newsletters/").content.decode()
    assert 'value="reader@example.org"' in page
    sign_up(client, reader.email, briefing)
    client.post(confirmation_link(mail.outbox[0]))
    assert Subscriber.objects.get().user == reader


def test_bad_input_keeps_what_was_typed_and_names_the_field(client, briefing):
    answer = sign_up(client, "not an address", briefing)
    html = answer.content.decode()
    assert answer.status_code == 400
    assert 'value="not an address"' in html
    assert re.search(r'id="id_email"[^>]*aria-invalid="true" aria-describedby="email-errors"',
                     html)
    assert 'id="email-errors"' in html and "Enter an e-mail address" in html
    assert re.search(rf'value="{briefing.pk}" id="\w+" checked', html)  # choice kept

    none_chosen = client.post("/newsletters/signup/", {"email": "ada@example.org"})
    html = none_chosen.content.decode()
    assert none_chosen.status_code == 400
    assert 'value="ada@example.org"' in html
    assert 'aria-describedby="newsletters-errors"' in html
    assert "Choose at least one newsletter." in html
    assert not mail.outbox and not SignupRequest.objects.exists()


def test_an_anonymous_sign_up_needs_no_csrf_token(briefing):
    """The form is on shared, cached pages, which carry no token."""
    strict = Client(enforce_csrf_checks=True)
    answer = strict.post("/newsletters/signup/",
                         {"email": "ada@example.org", "newsletters": [briefing.pk]})
    assert answer.status_code == 200 and b"Check your inbox" in answer.content
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]
    assert SignupRequest.objects.get().user is None


def test_a_signed_in_readers_post_without_a_valid_token_is_not_linked_to_them(
        briefing, alerts, reader):
    """A forged post (another site's form, sent with the reader's cookies) still only asks
    for a confirmation mail, as anyone could; it never ties the sign-up to the account."""
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reader)
    form = {"email": reader.email, "newsletters": [briefing.pk, alerts.pk]}
    for token in ({}, {"csrfmiddlewaretoken": "x" * 64}):  # none, or not theirs
        SignupRequest.objects.all().delete()  # else the resend window holds the second back
        answer = strict.post("/newsletters/signup/", {**form, **token})
        assert answer.status_code == 200 and b"Check your inbox" in answer.content
        assert SignupRequest.objects.get().user is None
    assert len(mail.outbox) == 2
    client_confirms(strict, mail.outbox[-1])
    assert Subscriber.objects.get().user is None
    assert subscribed(reader.email) == {"morning", "alerts"}


def test_a_signed_in_readers_post_with_their_token_is_linked_to_them(briefing, reader):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reader)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                      strict.get("/newsletters/").content.decode())[1]
    strict.post("/newsletters/signup/", {"email": reader.email, "newsletters": [briefing.pk],
                                         "csrfmiddlewaretoken": token})
    assert SignupRequest.objects.get().user == reader
    client_confirms(strict, mail.outbox[0])
    assert Subscriber.objects.get().user == reader


def client_confirms(client, message) -> None:
    link = confirmation_link(message)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                      client.get(link).content.decode())[1]
    assert client.post(link, {"csrfmiddlewaretoken": token}).status_code == 200


@pytest.fixture
def ada(briefing, alerts):
    subscriber = Subscriber.objects.create(email="ada@example.org")
    for newsletter in (briefing, alerts):
        Subscription.objects.create(subscriber=subscriber, newsletter=newsletter)
    return subscriber


def test_preferences_from_the_link_alone(briefing, alerts, ada):
    stranger = Client()  # no session, no password: the signed link is enough
    url = preferences.preferences_url(ada).removeprefix("http://127.0.0.1:8000")
    page = stranger.get(url)
    assert page.status_code == 200 and b"ada@example.org" in page.content
    assert "no-store" in page["Cache-Control"]  # never kept by a cache on the way
    stranger.post(url, {"newsletters": [alerts.pk]})
    assert subscribed("ada@example.org") == {"alerts"}

    stranger.post(url, {"everything": "1"})
    assert subscribed("ada@example.org") == set()
    assert Suppression.objects.get().reason == Suppression.Reason.UNSUBSCRIBED_ALL

    # A tampered link opens nothing.
    assert stranger.get(url[:-3] + "xx/").status_code == 404


def test_one_click_unsubscribe_without_login_or_csrf_token(briefing, alerts, ada):
    mail_client = Client(enforce_csrf_checks=True)
    link = preferences.unsubscribe_url(ada, briefing).removeprefix("http://127.0.0.1:8000")
    shown = mail_client.get(link)
    assert shown.status_code == 200 and b"<button" in shown.content
    assert subscribed("ada@example.org") == {"morning", "alerts"}

    answer = mail_client.post(link, "List-Unsubscribe=One-Click",
                              content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200
    assert subscribed("ada@example.org") == {"alerts"}
    bogus = mail_client.post("/newsletters/unsubscribe/forged/", "List-Unsubscribe=One-Click",
                             content_type="application/x-www-form-urlencoded")
    assert bogus.status_code == 404


def test_list_unsubscribe_headers(briefing, ada):
    headers = preferences.list_unsubscribe_headers(ada, briefing)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link, mailto = re.fullmatch(r"<([^>]+)>, <([^>]+)>", headers["List-Unsubscribe"]).groups()
    assert link.startswith("http://127.0.0.1:8000/newsletters/unsubscribe/")
    assert mailto.startswith("mailto:desk@news.example?subject=unsubscribe%20")
    assert headers["List-Id"] == '"Morning briefing" <morning.127.0.0.1>'
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert tokens.unsubscribe_target(token) == (ada, briefing)
    # The headers survive Django's e-mail encoding as they are.
    message = mail.EmailMessage("x", "y", to=["ada@example.org"], headers=headers).message()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == headers["List-Id"]


def test_suppressions_are_read_only_in_the_admin(client, django_user_model):
    Suppression.objects.create(email="gone@example.org", reason=Suppression.Reason.COMPLAINT)
    admin = django_user_model.objects.create_superuser("ed", "ed@example.org", "a-long-pass-1")
    client.force_login(admin)
    listing = client.get("/admin/suppressions/")
    assert listing.status_code == 200 and b"gone@example.org" in listing.content
    pk = Suppression.objects.get().pk
    for url in ("/admin/suppressions/new/", f"/admin/suppressions/edit/{pk}/",
                f"/admin/suppressions/delete/{pk}/"):
        assert client.get(url).status_code in (302, 403), url
    assert Suppression.objects.count() == 1
