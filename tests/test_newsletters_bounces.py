"""Newsletters (issue 18): a mail service's bounce and complaint reports, posted to the real
django-anymail webhooks in each service's own format, suppress the address for every later
send, mark the message's delivery and count the edition's figures again; a report repeated
changes nothing; a request without the webhook secret is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid

import pytest
from anymail.backends.test import EmailBackend as AnymailTestBackend

from broadsheet.newsletters import editions, sending
from broadsheet.newsletters.models import (
    Delivery,
    Edition,
    Newsletter,
    Subscription,
    Suppression,
)
from tests.newsletter_support import readers, send_now, use_sink
from tests.smtp_sink import SmtpSink

SECRET = "postmaster:8vPq2dX0s7NwLk4Rj1Yt"
MAILGUN_KEY = "key-3b8c1f0e6a5d4b2c9e7f1a3d5c7e9b1f"


class ServiceBackend(AnymailTestBackend):
    """anymail's test backend (a real anymail send: metadata, tags, the status it returns),
    answering with a message id of the shape Postmark and SES give: the Delivery keeps it."""

    def get_esp_message_id(self, message):
        return str(uuid.uuid4())


@pytest.fixture(autouse=True)
def anymail_settings(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}


@pytest.fixture
def service(settings):
    settings.EMAIL_BACKEND = f"{__name__}.ServiceBackend"


def next_edition_by_smtp(settings, newsletter) -> tuple[Edition, dict]:
    """The newsletter's next edition, sent through plain SMTP: it and who got what."""
    with SmtpSink() as sink:
        use_sink(settings, sink)
        edition = editions.build(newsletter)
        sending.schedule(edition)
        return sending.run(edition.pk, batches=None), dict(sink.per_recipient)


def auth(secret=SECRET) -> dict:
    return {"authorization": "Basic " + base64.b64encode(secret.encode()).decode()}


def post(client, service_name, payload, *, headers=None, secret=SECRET):
    return client.post(f"/newsletters/anymail/{service_name}/tracking/", json.dumps(payload),
                       content_type="application/json",
                       headers={**(auth(secret) if secret else {}), **(headers or {})})


def delivery_to(edition, subscriber) -> Delivery:
    return Delivery.objects.get(edition=edition, subscriber=subscriber)


# --- each service's reports, as they post them ---------------------------------------------

def postmark_bounce(delivery, *, kind="HardBounce", metadata=True):
    """Postmark's bounce webhook (postmarkapp.com/developer/webhooks/bounce-webhook)."""
    return {
        "RecordType": "Bounce", "MessageStream": "broadcast", "ID": 4323372036854775807,
        "Type": kind, "TypeCode": 1, "Name": "Hard bounce", "Tag": "newsletter-morning",
        "MessageID": delivery.service_id,
        "Metadata": ({"edition": str(delivery.edition_id), "delivery": str(delivery.pk)}
                     if metadata else {}),
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, "
                       "mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": delivery.email, "From": "desk@news.example",
        "BouncedAt": "2025-11-05T16:33:54.9070259Z", "DumpAvailable": True, "Inactive": True,
        "CanActivate": True, "Subject": "Morning briefing", "Content": "",
    }


def postmark_complaint(delivery):
    """Postmark's spam complaint webhook: no metadata here, found by its MessageID."""
    return {
        "RecordType": "SpamComplaint", "MessageStream": "broadcast", "ID": 42,
        "Type": "SpamComplaint", "TypeCode": 512, "Name": "Spam complaint",
        "Tag": "newsletter-morning", "MessageID": delivery.service_id, "ServerID": 1234,
        "Description": "", "Details": "Test spam complaint details", "Email": delivery.email,
        "From": "desk@news.example", "BouncedAt": "2025-11-05T16:33:54.9070259Z",
        "DumpAvailable": True, "Inactive": True, "CanActivate": False,
        "Subject": "Morning briefing", "Content": "<Abuse report dump>",
    }


def postmark_unsubscribe(email):
    """Postmark's subscription change webhook: the reader used Postmark's own unsubscribe."""
    return {
        "RecordType": "SubscriptionChange", "MessageID": str(uuid.uuid4()), "ServerID": 23,
        "MessageStream": "broadcast", "ChangedAt": "2025-11-05T16:33:54.9070259Z",
        "Recipient": email, "Origin": "Recipient", "SuppressSending": True,
        "SuppressionReason": "ManualSuppression", "Tag": "newsletter-morning", "Metadata": {},
    }


def ses(ses_event) -> tuple[dict, dict]:
    """An SES event as Amazon SNS posts it to an HTTPS subscription: body and headers."""
    sns_id = str(uuid.uuid4())
    body = {
        "Type": "Notification", "MessageId": sns_id,
        "TopicArn": "arn:aws:sns:eu-west-1:111122223333:ses-newsletters",
        "Subject": "Amazon SES Email Event Notification", "Message": json.dumps(ses_event),
        "Timestamp": "2025-11-05T16:34:01.675Z", "SignatureVersion": "1",
        "Signature": "EXAMPLEpH+..", "SigningCertURL":
            "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000.pem",
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
    }
    return body, {"x-amz-sns-message-type": "Notification", "x-amz-sns-message-id": sns_id}


def ses_bounce(delivery, *, bounce_type="Permanent"):
    """SES event publishing, a Bounce (docs.aws.amazon.com/ses: event-publishing contents)."""
    return {
        "eventType": "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": "General" if bounce_type == "Permanent" else "MailboxFull",
            "bouncedRecipients": [{"emailAddress": delivery.email, "action": "failed",
                                   "status": "5.1.1",
                                   "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
            "timestamp": "2025-11-05T16:34:00.669Z",
            "feedbackId": "0102017f-bounce-feedback", "reportingMTA": "dsn; a1-2.smtp-out.ses",
        },
        "mail": {
            "timestamp": "2025-11-05T16:33:59.012Z", "source": "desk@news.example",
            "sendingAccountId": "111122223333", "messageId": delivery.service_id,
            "destination": [delivery.email], "headersTruncated": False,
            "headers": [{"name": "Message-ID", "value": "<whatever@host>"}],
            "commonHeaders": {"from": ["desk@news.example"], "to": [delivery.email],
                              "subject": "Morning briefing"},
            "tags": {"ses:configuration-set": ["newsletters"]},
        },
    }


def mailgun(event_data) -> dict:
    """A Mailgun webhook (JSON, signed with the webhook signing key)."""
    token, timestamp = uuid.uuid4().hex, "1762360434"
    signature = hmac.new(MAILGUN_KEY.encode(), f"{timestamp}{token}".encode(),
                         hashlib.sha256).hexdigest()
    return {"signature": {"timestamp": timestamp, "token": token, "signature": signature},
            "event-data": event_data}


def mailgun_failed(delivery, *, severity="permanent"):
    """Mailgun keeps our Message-ID; no user-variables here: found by the Message-ID."""
    return mailgun({
        "event": "failed", "severity": severity,
        "reason": "bounce" if severity == "permanent" else "generic",
        "recipient": delivery.email, "timestamp": 1762360434.375624, "id": uuid.uuid4().hex,
        "log-level": "error" if severity == "permanent" else "warn",
        "message": {"headers": {
            "to": delivery.email, "from": "desk@news.example", "subject": "Morning briefing",
            "message-id": f"edition-{delivery.edition_id}.delivery-{delivery.pk}@127.0.0.1"}},
        "delivery-status": {"code": 550 if severity == "permanent" else 452,
                            "message": "5.1.1 mailbox unavailable",
                            "description": "", "attempt-no": 1},
        "tags": ["newsletter-morning"], "user-variables": {},
    })


# --- the tests -----------------------------------------------------------------------------

def test_a_hard_bounce_suppresses_and_the_next_edition_skips_the_address(
        briefing, stories, service, client, settings):
    ada, bo, cy = readers(briefing, 3)
    edition = send_now(briefing)
    assert edition.sent == 3
    bounced = delivery_to(edition, bo)
    assert bounced.service_id  # the service's id, kept at send time

    response = post(client, "postmark", postmark_bounce(bounced))
    assert response.status_code == 200
    assert Suppression.objects.get(email__iexact=bo.email).reason == "bounce"
    assert delivery_to(edition, bo).status == Delivery.Status.BOUNCED
    edition.refresh_from_db()
    assert (edition.sent, edition.bounced, edition.complained) == (2, 1, 0)

    # The service sends it again (it thought our answer lost): nothing changes.
    assert post(client, "postmark", postmark_bounce(bounced)).status_code == 200
    assert Suppression.objects.filter(email__iexact=bo.email).count() == 1
    edition.refresh_from_db()
    assert (edition.sent, edition.bounced) == (2, 1)

    # Tomorrow's edition, through plain SMTP this time: Bo gets nothing.
    later, got = next_edition_by_smtp(settings, briefing)
    assert later.status == Edition.Status.SENT and later.recipients == 2
    assert got == {ada.email: 1, cy.email: 1}


def test_a_spam_complaint_found_by_the_services_message_id(briefing, stories, service, client,
                                                           settings):
    ada, bo = readers(briefing, 2)
    edition = send_now(briefing)
    complained = delivery_to(edition, ada)
    for _ in range(2):  # and its replay
        assert post(client, "postmark", postmark_complaint(complained)).status_code == 200
    assert Suppression.objects.get(email__iexact=ada.email).reason == "complaint"
    assert delivery_to(edition, ada).status == Delivery.Status.COMPLAINED
    edition.refresh_from_db()
    # A complaint was delivered: it still counts as sent.
    assert (edition.sent, edition.bounced, edition.complained) == (2, 0, 1)
    later, got = next_edition_by_smtp(settings, briefing)
    assert later.recipients == 1 and got == {bo.email: 1}


def test_amazon_ses_bounce_through_sns(briefing, stories, service, client):
    ada, bo = readers(briefing, 2)
    edition = send_now(briefing)
    body, headers = ses(ses_bounce(delivery_to(edition, ada)))
    assert post(client, "amazon_ses", body, headers=headers).status_code == 200
    assert Suppression.objects.get(email__iexact=ada.email).reason == "bounce"
    assert delivery_to(edition, ada).status == Delivery.Status.BOUNCED
    edition.refresh_from_db()
    assert (edition.sent, edition.bounced) == (1, 1)


def test_soft_bounces_change_nothing(briefing, stories, service, client, caplog):
    ada, bo = readers(briefing, 2)
    edition = send_now(briefing)
    body, headers = ses(ses_bounce(delivery_to(edition, ada), bounce_type="Transient"))
    with caplog.at_level("INFO", logger="broadsheet.newsletters"):
        assert post(client, "amazon_ses", body, headers=headers).status_code == 200
        assert post(client, "postmark", postmark_bounce(delivery_to(edition, bo),
                                                        kind="SoftBounce")).status_code == 200
        assert post(client, "mailgun", mailgun_failed(delivery_to(edition, bo),
                                                      severity="temporary")).status_code == 200
    assert not Suppression.objects.exists()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    edition.refresh_from_db()
    assert (edition.sent, edition.bounced) == (2, 0)
    assert caplog.text.count("temporary failure") == 3


def test_mailgun_failure_found_by_our_message_id(briefing, stories, smtp, client):
    """Sent through SMTP (no service id kept): Mailgun's report names our Message-ID."""
    ada, bo = readers(briefing, 2)
    edition = send_now(briefing)
    assert not delivery_to(edition, bo).service_id
    assert post(client, "mailgun", mailgun_failed(delivery_to(edition, bo))).status_code == 200
    assert Suppression.objects.get(email__iexact=bo.email).reason == "bounce"
    assert delivery_to(edition, bo).status == Delivery.Status.BOUNCED
    edition.refresh_from_db()
    assert (edition.sent, edition.bounced) == (1, 1)


def test_a_bad_address_the_service_refused_is_suppressed(briefing, stories, service, client):
    (ada,) = readers(briefing, 1)
    edition = send_now(briefing)
    report = postmark_bounce(delivery_to(edition, ada), kind="BadEmailAddress")
    assert post(client, "postmark", report).status_code == 200  # anymail: rejected, invalid
    assert Suppression.objects.get(email__iexact=ada.email).reason == "bounce"
    assert delivery_to(edition, ada).status == Delivery.Status.BOUNCED


def test_an_address_we_never_sent_to_is_suppressed_all_the_same(briefing, client):
    stranger = Delivery(pk=999_999, edition_id=1, email="Stranger@Example.net",
                        service_id=str(uuid.uuid4()))
    assert post(client, "postmark", postmark_bounce(stranger)).status_code == 200
    assert Suppression.objects.get(email__iexact="stranger@example.net").reason == "bounce"
    # A complaint about the same address later: one row, its first reason kept.
    assert post(client, "postmark", postmark_complaint(stranger)).status_code == 200
    assert Suppression.objects.get(email__iexact="stranger@example.net").reason == "bounce"


def test_an_unsubscribe_at_the_service_leaves_everything(briefing, stories, service, client):
    ada, bo = readers(briefing, 2)
    digest = Newsletter.objects.create(name="Weekly", slug="weekly", kind="digest")
    Subscription.objects.create(subscriber=ada, newsletter=digest)
    for _ in range(2):  # and its replay
        assert post(client, "postmark", postmark_unsubscribe(ada.email.upper())).status_code \
            == 200
    assert not Subscription.objects.filter(subscriber=ada).exists()
    assert Suppression.objects.get(email__iexact=ada.email).reason == "unsubscribed-all"
    assert Subscription.objects.filter(subscriber=bo).exists()
    assert send_now(briefing).recipients == 1


def test_a_complaint_then_its_bounce_keep_the_complaint(briefing, stories, service, client):
    (ada,) = readers(briefing, 1)
    edition = send_now(briefing)
    delivery = delivery_to(edition, ada)
    post(client, "postmark", postmark_complaint(delivery))
    post(client, "postmark", postmark_bounce(delivery))
    assert Suppression.objects.get(email__iexact=ada.email).reason == "complaint"
    assert delivery_to(edition, ada).status == Delivery.Status.COMPLAINED
    edition.refresh_from_db()
    assert (edition.sent, edition.bounced, edition.complained) == (1, 0, 1)


def test_a_report_without_the_secret_is_refused(briefing, stories, service, client):
    (ada,) = readers(briefing, 1)
    edition = send_now(briefing)
    report = postmark_bounce(delivery_to(edition, ada))
    assert post(client, "postmark", report, secret=None).status_code == 400
    assert post(client, "postmark", report,
                secret="postmaster:not-the-secret-at-all").status_code == 400
    body, headers = ses(ses_bounce(delivery_to(edition, ada)))
    refused = post(client, "amazon_ses", body, headers=headers, secret=None)
    assert refused.status_code == 401 and "Basic" in refused["WWW-Authenticate"]
    # Mailgun's own signature is not enough either: the secret is asked of every service.
    assert post(client, "mailgun", mailgun_failed(delivery_to(edition, ada)),
                secret=None).status_code == 400
    assert not Suppression.objects.exists()
    assert delivery_to(edition, ada).status == Delivery.Status.SENT
