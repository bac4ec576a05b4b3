"""Newsletters (issue 18), sending through plain SMTP: bounces that come back as mail (RFC 3464
delivery status notifications) read from an mbox or a Maildir suppress the addresses that
failed for good; delays and other mail change nothing; reading again changes nothing."""

from __future__ import annotations

import mailbox
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from broadsheet.newsletters.models import Delivery, Suppression
from tests.newsletter_support import readers, send_now

SAMPLE = Path(__file__).parent / "data/newsletters/bounces.mbox"


@pytest.fixture
def sent(briefing, world, make_story, smtp):
    """An edition sent by SMTP to reader0..2, and the sample mailbox's reports naming its
    messages' Message-IDs (the sample names deliveries 2 and 3 of edition 1)."""
    make_story(world, "Live story")
    people = readers(briefing, 3)
    edition = send_now(briefing)
    (message1,) = smtp.to(people[1].email)
    (message2,) = smtp.to(people[2].email)
    text = (SAMPLE.read_text()
            .replace("<edition-1.delivery-2@127.0.0.1>", message1["Message-ID"])
            .replace("<edition-1.delivery-3@127.0.0.1>", message2["Message-ID"]))
    return edition, people, text


def run(**options) -> str:
    out = StringIO()
    args = [arg for name, path in options.items() for arg in (f"--{name}", str(path))]
    call_command("newsletter_bounces", *args, stdout=out)
    return out.getvalue()


def test_a_hard_bounce_in_an_mbox_suppresses_and_marks_the_delivery(sent, tmp_path):
    edition, (ada, bo, cy), text = sent
    box = tmp_path / "bounces.mbox"
    box.write_text(text)
    out = run(mbox=box)
    assert "1 hard bounces suppressed, 1 temporary failures left alone, 1 other" in out
    assert list(Suppression.objects.values_list("email", "reason")) == [(bo.email, "bounce")]
    assert Delivery.objects.get(edition=edition, subscriber=bo).status == "bounced"
    assert Delivery.objects.get(edition=edition, subscriber=cy).status == "sent"  # delayed
    edition.refresh_from_db()
    assert (edition.sent, edition.bounced) == (2, 1)
    run(mbox=box)  # read again (cron): nothing changes
    assert Suppression.objects.count() == 1
    edition.refresh_from_db()
    assert (edition.sent, edition.bounced) == (2, 1)


def test_a_maildir_and_a_report_on_a_message_we_do_not_know(home, tmp_path):
    """The sample as it is: its Message-IDs name no delivery here. The address the report
    names is suppressed all the same."""
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for message in mailbox.mbox(SAMPLE, create=False):
        maildir.add(message)
    out = run(maildir=tmp_path / "Maildir")
    assert "1 hard bounces suppressed" in out
    assert Suppression.objects.get().email == "reader1@example.org"


def test_a_forwarded_address_suppresses_the_one_we_sent_to(sent, tmp_path):
    edition, (ada, bo, cy), text = sent
    box = tmp_path / "bounces.mbox"
    box.write_text(text.replace("Final-Recipient: rfc822; reader1@example.org\n"
                                "Original-Recipient: rfc822;reader1@example.org\n",
                                "Final-Recipient: rfc822; bo@mail.example.org\n"))
    run(mbox=box)
    assert Suppression.objects.get().email == bo.email


def test_a_missing_mailbox_is_named(db, tmp_path):
    with pytest.raises(CommandError, match="no mbox file at"):
        run(mbox=tmp_path / "nope")
    with pytest.raises(CommandError, match="no Maildir at"):
        run(maildir=tmp_path)
