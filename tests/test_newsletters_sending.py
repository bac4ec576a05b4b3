"""Newsletters, the sending side (issue 18): editions built once from live stories only,
sent to a real SMTP server on loopback, each reader's message with its own links and
headers, nothing sent twice across runners, bounces suppressed, cancelling and scheduling."""

from __future__ import annotations

import re
import smtplib
import socket
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from broadsheet.newsletters import editions, sending
from broadsheet.newsletters.models import (
    Delivery,
    Edition,
    ListActivity,
    Newsletter,
    Subscriber,
    Subscription,
    Suppression,
)
from tests.newsletter_support import readers, send_now


def one_click(message) -> str:
    return re.search(r"<(https?://[^>]+)>", str(message["List-Unsubscribe"]))[1]


# --- building ----------------------------------------------------------------------------------

def test_only_live_public_stories_are_chosen(briefing, world, make_story, stories):
    from broadsheet.articles.models import ArticlePage

    draft = make_story(world, "A draft not yet published", publish=False)
    later = make_story(world, "Scheduled for tomorrow", publish=False)
    later.go_live_at = timezone.now() + timedelta(days=1)
    later.save_revision().publish()  # Wagtail keeps it as scheduled, not live
    assert not ArticlePage.objects.get(pk=later.pk).live
    edition = editions.build(briefing)
    for story in stories:
        assert story.title in edition.html and story.title in edition.text
    for hidden in (draft, later):
        assert hidden.title not in edition.html and hidden.title not in edition.text
        assert hidden.pk not in edition.story_ids


def test_an_alert_needs_a_live_story(home, world, make_story):
    alert = Newsletter.objects.create(name="Breaking", slug="breaking",
                                      kind=Newsletter.Kind.ALERT)
    draft = make_story(world, "Not out yet", publish=False)
    with pytest.raises(editions.NothingToSend):
        editions.build(alert, story=draft)
    live = make_story(world, "Out now")
    edition = editions.build(alert, story=live)
    assert edition.subject == "Breaking: Out now" and "Out now" in edition.text


def test_a_digest_takes_only_stories_since_its_last_send(home, world, make_story, smtp):
    digest = Newsletter.objects.create(name="World weekly", slug="world-weekly",
                                       kind=Newsletter.Kind.DIGEST, section=world)
    readers(digest, 1)
    make_story(world, "Old news")
    send_now(digest)
    with pytest.raises(editions.NothingToSend):
        editions.build(digest)
    make_story(world, "Fresh news")
    edition = editions.build(digest)
    assert "Fresh news" in edition.text and "Old news" not in edition.text


def test_a_digest_takes_every_story_since_its_last_send_up_to_four_times_its_count(
        home, world, make_story):
    digest = Newsletter.objects.create(name="World weekly", slug="world-weekly",
                                       kind=Newsletter.Kind.DIGEST, section=world,
                                       story_count=2)
    for i in range(9):
        make_story(world, f"Week story {i}")
    edition = editions.build(digest)
    assert set(re.findall(r"Week story (\d+)\n", edition.text)) == {
        str(i) for i in range(1, 9)}  # the newest eight


def test_a_briefing_leads_with_as_many_stories_as_it_asks(briefing, world, make_story):
    briefing.story_count = 10
    briefing.save()
    for i in range(12):
        make_story(world, f"Briefing story {i}")
    edition = editions.build(briefing)
    assert set(re.findall(r"Briefing story (\d+)\n", edition.text)) == {
        str(i) for i in range(2, 12)}  # the newest ten


def test_building_costs_the_same_whatever_the_size_of_the_list(briefing, stories):
    readers(briefing, 3)
    editions.build(briefing)  # the story lists' caches warm, as they are on a live site
    with CaptureQueriesContext(connection) as few:
        editions.build(briefing)
    readers(briefing, 60, start=3)
    with CaptureQueriesContext(connection) as many:
        editions.build(briefing)
    assert len(many) == len(few)


# --- sending -----------------------------------------------------------------------------------

def test_each_reader_gets_one_message_with_their_own_links(briefing, stories, smtp):
    ada, bo = readers(briefing, 2)
    Subscriber.objects.create(email="unconfirmed@example.org")  # never confirmed
    edition = send_now(briefing)
    assert edition.status == Edition.Status.SENT
    assert (edition.recipients, edition.sent, edition.bounced) == (2, 2, 0)
    assert smtp.per_recipient == {"reader0@example.org": 1, "reader1@example.org": 1}
    (to_ada,), (to_bo,) = smtp.to(ada.email), smtp.to(bo.email)
    assert to_ada["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert to_ada["List-Id"] == '"Morning briefing" <morning.127.0.0.1>'
    assert to_ada["Message-ID"] != to_bo["Message-ID"]
    assert to_ada["From"].addresses[0].display_name == "The Desk"
    link = one_click(to_ada)
    assert link.startswith("http://127.0.0.1:8000/newsletters/unsubscribe/")
    html = to_ada.get_body(("html",)).get_content()
    text = to_ada.get_body(("plain",)).get_content()
    assert link in html and link in text  # the footer's link is the header's
    assert link not in to_bo.get_body(("html",)).get_content()
    assert "%%BROADSHEET" not in html + text
    for story in stories:
        assert f"http://127.0.0.1:8000{story.url}" in html
    assert smtp.largest < 102 * 1024  # Gmail clips larger messages


def test_the_one_click_link_in_the_message_unsubscribes(briefing, stories, smtp, client):
    (ada,) = readers(briefing, 1)
    send_now(briefing)
    (message,) = smtp.to(ada.email)
    link = one_click(message)
    response = client.post(link.removeprefix("http://127.0.0.1:8000"),
                           "List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert not Subscription.objects.filter(subscriber=ada).exists()
    # Counted for the edition's figures, as a number for the day: never who.
    from broadsheet.newsletters.admin_views import unsubscribed_since

    assert unsubscribed_since(Edition.objects.get()) == 1
    assert {f.name for f in ListActivity._meta.fields} == {"id", "newsletter", "day", "joined",
                                                           "left"}


def test_a_suppressed_address_never_gets_mail(briefing, stories, smtp):
    ada, bo, cy = readers(briefing, 3)
    Suppression.objects.create(email="READER1@example.org", reason=Suppression.Reason.BOUNCE)
    edition = send_now(briefing)
    assert bo.email not in smtp.per_recipient
    assert edition.recipients == 2
    # Suppressed after the send began (its recipients fixed): skipped all the same.
    edition = editions.build(briefing)
    sending.schedule(edition)
    sending.run(edition.pk, batches=0)  # claims and fixes the recipients, sends nothing
    Suppression.objects.create(email=cy.email, reason=Suppression.Reason.COMPLAINT)
    sending.run(edition.pk, batches=None)
    assert smtp.per_recipient[cy.email] == 1  # only the first edition
    assert Delivery.objects.get(edition=edition, email=cy.email).status == "skipped"


def test_a_hard_bounce_suppresses_and_a_soft_one_is_tried_later(briefing, stories, smtp):
    ada, bo, cy = readers(briefing, 3)
    smtp.refuse.add(bo.email)
    smtp.defer.add(cy.email)
    edition = send_now(briefing)
    assert edition.status == Edition.Status.SENDING  # Cy's message waits
    assert (edition.sent, edition.bounced, edition.deferred) == (1, 1, 1)
    assert Suppression.objects.get(email=bo.email).reason == "bounce"
    deferred = Delivery.objects.get(edition=edition, email=cy.email)
    assert deferred.next_attempt_at > timezone.now()
    # Due again: the scheduler's next run delivers it, and the edition is done.
    smtp.defer.clear()
    Delivery.objects.filter(pk=deferred.pk).update(next_attempt_at=timezone.now())
    Edition.objects.filter(pk=edition.pk).update(
        runner_seen_at=timezone.now() - timedelta(hours=1))
    assert edition.pk in sending.due()
    edition = sending.run(edition.pk, batches=None)
    assert edition.status == Edition.Status.SENT and edition.sent == 2
    assert smtp.per_recipient[cy.email] == 1 and smtp.per_recipient[bo.email] == 0


def test_a_stopped_send_goes_on_with_the_rest_and_sends_nothing_twice(
        briefing, stories, smtp, monkeypatch):
    readers(briefing, 10)
    monkeypatch.setattr(sending, "BATCH", 3)
    edition = editions.build(briefing)
    sending.schedule(edition)
    sending.run(edition.pk, batches=2)  # then the runner "dies" holding its lease
    Edition.objects.filter(pk=edition.pk).update(runner="gone:1", runner_seen_at=timezone.now())
    assert smtp.delivered == 6
    assert sending.run(edition.pk) is None  # the lease is the dead runner's until it lapses
    assert edition.pk not in sending.due()
    Edition.objects.filter(pk=edition.pk).update(
        runner_seen_at=timezone.now() - timedelta(hours=1))
    assert edition.pk in sending.due()
    edition = sending.run(edition.pk)
    assert edition.status == Edition.Status.SENT and edition.sent == 10
    assert smtp.delivered == 10 and smtp.duplicates == 0


def test_sending_queries_do_not_grow_per_batch_with_the_list(briefing, stories, smtp,
                                                             monkeypatch):
    """Per message: its one commit. Per batch: a constant few. Nothing per reader else."""
    monkeypatch.setattr(sending, "BATCH", 5)

    def statements(n):
        Subscription.objects.all().delete()
        Subscriber.objects.all().delete()
        readers(briefing, n, start=n * 10)
        edition = editions.build(briefing)
        sending.schedule(edition)
        with CaptureQueriesContext(connection) as q:
            sending.run(edition.pk, batches=None)
        return len(q)

    ten, twenty = statements(10), statements(20)
    per_batch = (twenty - ten - 10) / 2  # two more batches and ten more messages
    assert per_batch <= 6


def test_cancel_before_start_only(briefing, stories, smtp):
    readers(briefing, 1)
    edition = sending.schedule(editions.build(briefing),
                               at=timezone.now() + timedelta(hours=1))
    assert edition.pk not in sending.due()
    sending.cancel(edition)
    assert sending.run(edition.pk) is None and smtp.delivered == 0
    started = send_now(briefing)
    with pytest.raises(sending.NotAllowed):
        sending.cancel(started)
    with pytest.raises(sending.NotAllowed):
        sending.schedule(started)


def test_a_scheduled_edition_goes_at_its_time_from_the_tick(briefing, stories, smtp):
    from broadsheet.newsletters import scheduled

    readers(briefing, 2)
    edition = sending.schedule(editions.build(briefing),
                               at=timezone.now() - timedelta(seconds=1))
    scheduled.send_due()
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT and smtp.delivered == 2


def test_a_daily_newsletter_is_built_an_hour_ahead(briefing, stories, smtp):
    from broadsheet.newsletters import scheduled

    soon = timezone.localtime() + timedelta(minutes=30)
    briefing.send_daily_at = soon.time().replace(second=0, microsecond=0)
    briefing.save()
    scheduled.build_daily()
    scheduled.build_daily()  # once a day, however many ticks
    (edition,) = Edition.objects.filter(newsletter=briefing)
    assert edition.status == Edition.Status.SCHEDULED and edition.send_at > timezone.now()


def test_a_test_send_goes_to_one_address_and_leaves_the_list_alone(briefing, stories, smtp):
    readers(briefing, 2)
    sending.send_test(editions.build(briefing), "editor@news.example")
    assert smtp.per_recipient == {"editor@news.example": 1}
    (message,) = smtp.messages
    assert message["Subject"].startswith("[Test] ")
    assert not Delivery.objects.exists()


def test_no_open_or_click_tracking_by_default(briefing, stories, smtp):
    (ada,) = readers(briefing, 1)
    send_now(briefing)
    (message,) = smtp.to(ada.email)
    html = message.get_body(("html",)).get_content()
    assert "<img" not in html  # no pixel
    for story in stories:  # links go straight to the story, through no redirect of ours
        assert f'href="http://127.0.0.1:8000{story.url}"' in html
    fields = {f.name for f in Delivery._meta.get_fields()}
    assert not fields & {"opened_at", "clicked_at", "opens", "clicks"}


# --- the command line --------------------------------------------------------------------------

def test_command_line_list_send_and_test(briefing, stories, smtp):
    readers(briefing, 3)
    out = StringIO()
    call_command("newsletter", "list", stdout=out)
    assert "morning\tMorning briefing\tBriefing\t3 readers\tby hand\tnever sent" in out.getvalue()
    out = StringIO()
    call_command("newsletter", "send", "morning", "--test", "me@news.example", stdout=out)
    assert smtp.per_recipient == {"me@news.example": 1}
    out = StringIO()
    call_command("newsletter", "send", "morning", stdout=out)
    assert "recipients 3, sent 3, deferred 0, bounced 0, complained 0" in out.getvalue()
    assert smtp.delivered == 4
    with pytest.raises(Exception, match="no newsletter 'nope'"):
        call_command("newsletter", "send", "nope")


def test_counting_opens_and_clicks_is_per_send_never_per_reader(briefing, stories, smtp,
                                                                 client, home):
    from broadsheet.newsletters.models import EditionLink, NewsletterSettings

    settings_row = NewsletterSettings.for_site(home.get_site())
    settings_row.count_opens_and_clicks = True
    settings_row.save()
    ada, bo = readers(briefing, 2)
    edition = send_now(briefing)
    assert edition.tracked
    html = {r.email: smtp.to(r.email)[0].get_body(("html",)).get_content() for r in (ada, bo)}
    pixels = {e: re.findall(r'<img src="([^"]+/newsletters/o/[^"]+)"', h) for e, h in html.items()}
    clicks = {e: re.findall(r'href="(http://127\.0\.0\.1:8000/newsletters/c/[^"]+)"', h)
              for e, h in html.items()}
    # Every reader's message has the same counting addresses: nothing in them says who.
    assert pixels[ada.email] == pixels[bo.email] and len(pixels[ada.email]) == 1
    assert clicks[ada.email] == clicks[bo.email] and len(clicks[ada.email]) == len(stories)
    base = "http://127.0.0.1:8000"
    assert client.get(pixels[ada.email][0].removeprefix(base))["Content-Type"] == "image/gif"
    client.get(pixels[bo.email][0].removeprefix(base))
    response = client.get(clicks[ada.email][0].removeprefix(base))
    assert response.status_code == 302 and response.url == f"{base}{stories[-1].url}"  # newest
    edition.refresh_from_db()
    assert edition.opens == 2
    assert sorted(EditionLink.objects.values_list("clicks", flat=True)) == [0, 0, 1]
    # A forged link counts nothing and goes nowhere.
    assert client.get("/newsletters/c/forged/").status_code == 404


def test_a_weekly_digest_is_built_only_on_its_day(home, world, make_story, smtp):
    from broadsheet.newsletters import scheduled

    make_story(world, "Weekly news")
    soon = timezone.localtime() + timedelta(minutes=30)
    digest = Newsletter.objects.create(
        name="World weekly", slug="world-weekly", kind=Newsletter.Kind.DIGEST, section=world,
        send_daily_at=soon.time().replace(second=0, microsecond=0),
        send_weekday=(soon.weekday() + 1) % 7)
    scheduled.build_daily()
    assert not Edition.objects.exists()
    digest.send_weekday = soon.weekday()
    digest.save()
    scheduled.build_daily()
    assert Edition.objects.get().status == Edition.Status.SCHEDULED


def test_the_rate_limit_spaces_messages_evenly(monkeypatch):
    """A send's rate (messages a second) on a fake clock: the limiter sleeps the gap."""
    clock = [100.0]
    slept = []

    def sleep(seconds):
        slept.append(round(seconds, 6))
        clock[0] += seconds

    monkeypatch.setattr(sending.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(sending.time, "sleep", sleep)
    rate = sending._Rate(4)
    for _ in range(5):
        rate.wait()
    assert slept == [0.25, 0.25, 0.25, 0.25] and clock[0] == 101.0
    unlimited = sending._Rate(0)
    slept.clear()
    for _ in range(100):
        unlimited.wait()
    assert slept == []


def test_a_runner_that_lost_its_lease_mid_batch_stops_before_its_next_message(
        briefing, stories, smtp, monkeypatch):
    """However slow a batch (a low rate limit), the lease is renewed as it goes; a runner
    whose lease another took over (it stalled longer than the lease) sends nothing more."""
    readers(briefing, 10)
    monkeypatch.setattr(sending, "lease_seconds", lambda: 0)  # renew before every message
    edition = sending.schedule(editions.build(briefing))
    made = []
    personalise = sending.personalise

    def taken_over_after_two(*args):
        made.append(args)
        if len(made) == 3:
            Edition.objects.filter(pk=edition.pk).update(runner="other-host:1")
        return personalise(*args)

    monkeypatch.setattr(sending, "personalise", taken_over_after_two)
    result = sending.run(edition.pk, batches=None)
    assert smtp.delivered == 2 and result.runner == "other-host:1"
    assert Delivery.objects.filter(edition=edition, status="pending").count() == 8


class Killed(BaseException):
    """The runner's process dying: nothing after it in the runner runs."""


@pytest.mark.parametrize("dies", ["after the end of data", "before the end of data"])
def test_a_runner_killed_around_the_end_of_a_message_never_sends_it_twice(
        briefing, stories, smtp, monkeypatch, dies):
    """Killed once the server has the whole message but before its answer was read, or in
    the middle of the message: the next runner sends each reader exactly one copy."""
    readers(briefing, 3)
    edition = sending.schedule(editions.build(briefing))
    plain_send = smtplib.SMTP.send
    writes = []

    def dying_send(self, data):
        # The second reader's message: its text, then the line ending it.
        if isinstance(data, bytes) and (b"Message-ID:" in data or data == b".\r\n"):
            writes.append(data)
            if len(writes) == (4 if dies == "after the end of data" else 3):
                if dies == "after the end of data":
                    plain_send(self, data)
                    assert _until(lambda: smtp.delivered == 2)
                self.sock.shutdown(socket.SHUT_RDWR)  # the process is gone, its socket too
                raise Killed
        return plain_send(self, data)

    monkeypatch.setattr(smtplib.SMTP, "send", dying_send)
    with pytest.raises(Killed):
        sending.run(edition.pk, batches=None)
    monkeypatch.setattr(smtplib.SMTP, "send", plain_send)
    assert smtp.delivered == (2 if dies == "after the end of data" else 1)
    Edition.objects.filter(pk=edition.pk).update(
        runner_seen_at=timezone.now() - timedelta(hours=1))  # its lease lapses
    edition = sending.run(edition.pk, batches=None)
    assert edition.status == Edition.Status.SENT and edition.sent == 3
    assert smtp.delivered == 3 and smtp.duplicates == 0


def _until(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
