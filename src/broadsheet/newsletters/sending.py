"""Sending an edition: recipients fixed when it starts, then batches of personalised
messages through Django's mail backend (SMTP, or any service through django-anymail).

Nothing is sent twice. Each recipient has a Delivery row, made before the first message goes;
over SMTP it is marked sent in its own commit just before the line that ends the message's
data, the moment the server can take it (end_of_data.py), and a marked row is never sent
again. A runner killed mid-send leaves the rest pending, and the next runner (after the first
one's lease lapses) sends just those. Through a mail service's API the row is marked when
the service answers, so one message per killed runner stays uncertain there: accepted in the
instant before its row was marked. It is sent again with the same Message-ID, its
idempotency key, which also travels to the service as metadata.

One runner per edition at a time, on any host: a lease on the edition row, renewed every
batch.
"""

from __future__ import annotations

import logging
import os
import smtplib
import time
from collections.abc import Callable
from datetime import timedelta

from anymail.exceptions import AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from broadsheet.address import absolute, host_and_port
from broadsheet.host import host_label

from . import end_of_data
from .editions import PREFERENCES_LINK, UNSUBSCRIBE_LINK
from .models import Delivery, Edition, Subscriber, Subscription, Suppression
from .preferences import list_unsubscribe_headers, preferences_url

log = logging.getLogger("broadsheet.newsletters")

BATCH = 500
ATTEMPTS = 5  # a deferred message is tried this many times, then counted as failed
BATCHES_PER_RUN = 40  # a run (one task) sends at most this many batches; the next run goes on


class NotAllowed(Exception):
    pass


def lease_seconds() -> int:
    return settings.BROADSHEET_WORKERS["LOST_AFTER_SECONDS"]


def runner_name() -> str:
    return f"{host_label()}:{os.getpid()}"


# --- what editors do -------------------------------------------------------------------------

def schedule(edition: Edition, *, user=None, at=None) -> Edition:
    """Send at `at`, or now (the scheduler picks it up within a second). Only a draft or a
    scheduled edition; moving a scheduled one to another time is fine until it starts."""
    at = at or timezone.now()
    with transaction.atomic():
        changed = Edition.objects.filter(
            pk=edition.pk, status__in=[Edition.Status.DRAFT, Edition.Status.SCHEDULED]
        ).update(status=Edition.Status.SCHEDULED, send_at=at, sent_by=user)
    if not changed:
        raise NotAllowed(f"edition {edition.pk} has already started sending or was cancelled")
    edition.refresh_from_db()
    return edition


def cancel(edition: Edition) -> Edition:
    """Cancel before it starts; once sending, it cannot be called back."""
    changed = Edition.objects.filter(
        pk=edition.pk, status__in=[Edition.Status.DRAFT, Edition.Status.SCHEDULED]
    ).update(status=Edition.Status.CANCELLED)
    if not changed:
        raise NotAllowed(f"edition {edition.pk} has already started sending")
    edition.refresh_from_db()
    return edition


def without_reader(body: str) -> str:
    """An edition's HTML or text for no one in particular (tests, previews): its readers'
    links lead to the sign-up page."""
    signup = absolute(reverse("newsletters:index"))
    return body.replace(PREFERENCES_LINK, signup).replace(UNSUBSCRIBE_LINK, signup)


def send_test(edition: Edition, address: str) -> None:
    """The edition as a reader gets it, to one address, without touching the list or the
    figures."""
    message = EmailMultiAlternatives(f"[Test] {edition.subject}", without_reader(edition.text),
                                     edition.newsletter.from_email, [address])
    message.attach_alternative(without_reader(edition.html), "text/html")
    message.send()


# --- who is due --------------------------------------------------------------------------------

def due() -> list[int]:
    """Editions a runner should take now: scheduled ones whose time has come, and sending
    ones whose runner is gone or that have deferred messages due."""
    now = timezone.now()
    lapsed = now - timedelta(seconds=lease_seconds())
    return list(Edition.objects.filter(
        Q(status=Edition.Status.SCHEDULED, send_at__lte=now)
        | Q(status=Edition.Status.SENDING)
        & (Q(runner_seen_at__isnull=True) | Q(runner_seen_at__lt=lapsed))
    ).order_by("send_at", "pk").values_list("pk", flat=True))


# --- the runner --------------------------------------------------------------------------------

def _claim(edition_id: int, me: str) -> Edition | None:
    """Take the edition's lease (and, the first time, fix its recipients), or None if another
    runner holds it or there is nothing to send."""
    now = timezone.now()
    lapsed = now - timedelta(seconds=lease_seconds())
    with transaction.atomic():
        started = Edition.objects.filter(
            pk=edition_id, status=Edition.Status.SCHEDULED, send_at__lte=now
        ).update(status=Edition.Status.SENDING, started_at=now, runner=me, runner_seen_at=now)
        if started:
            _fix_recipients(edition_id)
        elif not Edition.objects.filter(
                Q(runner=me) | Q(runner_seen_at__isnull=True) | Q(runner_seen_at__lt=lapsed),
                pk=edition_id, status=Edition.Status.SENDING,
        ).update(runner=me, runner_seen_at=now):
            return None
    return Edition.objects.select_related("newsletter").get(pk=edition_id)


def _fix_recipients(edition_id: int) -> None:
    """Every confirmed subscriber of the newsletter whose address is not suppressed, copied
    in one statement whatever the size of the list."""
    edition = Edition.objects.get(pk=edition_id)
    d, s, sub, x = (m._meta.db_table for m in (Delivery, Subscriber, Subscription, Suppression))
    with db.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {d} (edition_id, subscriber_id, email, status, attempts, service_id) "  # noqa: S608 (table names are the models')
            f"SELECT %s, s.id, s.email, %s, 0, '' FROM {s} s "
            f"JOIN {sub} sub ON sub.subscriber_id = s.id AND sub.newsletter_id = %s "
            f"WHERE s.confirmed_at IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {x} x WHERE LOWER(x.email) = LOWER(s.email)) "
            f"ON CONFLICT DO NOTHING",
            [edition_id, Delivery.Status.PENDING, edition.newsletter_id])
    Edition.objects.filter(pk=edition_id).update(
        recipients=Delivery.objects.filter(edition_id=edition_id).count())


class _Lease:
    """The runner's hold on its edition, renewed every third of its length while it sends,
    however slow the batch (a rate limit of a few messages a second makes a batch outlast
    the lease). A runner that finds it lost stops before its next message."""

    def __init__(self, edition: Edition, me: str):
        self.edition, self.me = edition, me
        self.every = lease_seconds() / 3
        self.renewed = time.monotonic()

    def keep(self, *, now: bool = False) -> bool:
        if not now and time.monotonic() - self.renewed < self.every:
            return True
        self.renewed = time.monotonic()
        return bool(Edition.objects.filter(pk=self.edition.pk, runner=self.me,
                                           status=Edition.Status.SENDING)
                    .update(runner_seen_at=timezone.now()))


def _todo(edition: Edition, after: int):
    now = timezone.now()
    return list(Delivery.objects.filter(
        Q(status=Delivery.Status.PENDING)
        | Q(status=Delivery.Status.DEFERRED, next_attempt_at__lte=now),
        edition=edition, id__gt=after,
    ).order_by("id").values_list("id", "subscriber_id", "email", "attempts")[:BATCH])


class _Rate:
    """At most `per_second` messages a second (0: no limit), evenly spaced."""

    def __init__(self, per_second: int):
        self.gap = 1 / per_second if per_second else 0
        self.next = time.monotonic()

    def wait(self) -> None:
        if not self.gap:
            return
        now = time.monotonic()
        if self.next > now:
            time.sleep(self.next - now)
        self.next = max(self.next, now) + self.gap


def message_id(edition: Edition, delivery_id: int) -> str:
    """The idempotency key, as a Message-ID: the same whichever runner sends it."""
    return f"<edition-{edition.pk}.delivery-{delivery_id}@{host_and_port()[0]}>"


def personalise(edition: Edition, delivery_id: int, subscriber_id: int,
                email: str) -> EmailMultiAlternatives:
    """One reader's message: the edition rendered once, with their own links put in."""
    # Only the id and address go into the signed links: no query per reader.
    reader = Subscriber(pk=subscriber_id, email=email)
    newsletter = edition.newsletter
    prefs = preferences_url(reader)
    headers = list_unsubscribe_headers(reader, newsletter)
    unsubscribe = headers["List-Unsubscribe"][1:].split(">", 1)[0]
    html = edition.html.replace(PREFERENCES_LINK, prefs).replace(UNSUBSCRIBE_LINK, unsubscribe)
    text = edition.text.replace(PREFERENCES_LINK, prefs).replace(UNSUBSCRIBE_LINK, unsubscribe)
    headers["Message-ID"] = message_id(edition, delivery_id)
    message = EmailMultiAlternatives(edition.subject, text, newsletter.from_email, [email],
                                     headers=headers)
    message.attach_alternative(html, "text/html")
    # Read by django-anymail's backends (ignored by SMTP): bounce and complaint webhooks
    # name the delivery, and services that take an idempotency key get this one.
    message.metadata = {"edition": str(edition.pk), "delivery": str(delivery_id)}
    message.tags = [f"newsletter-{newsletter.slug}"]
    return message


def _permanent(error: Exception) -> bool | None:
    """True: the address is refused for good (a bounce); False: try again later; None: the
    message itself was refused (no retry helps; not the reader's fault)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return None if error.smtp_code >= 500 else False
    # Otherwise connection trouble or a service's API error: another time.
    return isinstance(error, AnymailRecipientsRefused)


def _send_batch(edition: Edition, rows: list, mail, rate: _Rate, lease: _Lease) -> bool:
    """Each message committed on its own: the row is marked the moment the server has it.
    False if the lease was lost on the way (another runner goes on)."""
    emails = [row[2].lower() for row in rows]
    suppressed = set(Suppression.objects.annotate(lower=Lower("email"))
                     .filter(lower__in=emails).values_list("lower", flat=True))
    skipped = [row[0] for row in rows if row[2].lower() in suppressed]
    if skipped:  # a bounce or unsubscribe since the send began
        Delivery.objects.filter(pk__in=skipped).update(status=Delivery.Status.SKIPPED)
    for delivery_id, subscriber_id, email, attempts in rows:
        if email.lower() in suppressed:
            continue
        message = personalise(edition, delivery_id, subscriber_id, email)
        rate.wait()
        if not lease.keep():
            return False
        def mark(delivery_id=delivery_id, attempts=attempts, service_id=""):
            Delivery.objects.filter(pk=delivery_id).update(
                status=Delivery.Status.SENT, sent_at=timezone.now(), attempts=attempts + 1,
                service_id=service_id)

        try:
            with end_of_data.marked_before_the_end(mail, mark) as marked:
                mail.send_messages([message])
        except Exception as error:  # noqa: BLE001 (SMTP, socket and each service's errors)
            _not_sent(delivery_id, email, attempts, error)  # a mark made is taken back
            _reconnect(mail)
            continue
        if not marked:  # a mail service's API: marked once it has answered
            status = getattr(message, "anymail_status", None)
            mark(service_id=(status.message_id or "")[:200] if status else "")
    return True


def _reconnect(mail) -> None:
    """A fresh connection after a failure, kept open for the messages after it (a backend
    opened by its own send_messages closes again after each message: a TLS handshake and a
    login per reader)."""
    mail.close()
    try:
        mail.open()
    except Exception:  # noqa: BLE001 (the next message fails, and is deferred, on its own)
        log.warning("mail server not answering; the next message will say more")


def _not_sent(delivery_id: int, email: str, attempts: int, error: Exception) -> None:
    permanent = _permanent(error)
    attempts += 1
    if permanent:
        Delivery.objects.filter(pk=delivery_id).update(status=Delivery.Status.BOUNCED,
                                                       attempts=attempts)
        Suppression.add(email, Suppression.Reason.BOUNCE)
    elif permanent is None or attempts >= ATTEMPTS:
        Delivery.objects.filter(pk=delivery_id).update(status=Delivery.Status.FAILED,
                                                       attempts=attempts)
    else:
        wait = timedelta(seconds=60 * 2 ** (attempts - 1))  # 1, 2, 4, 8 minutes
        Delivery.objects.filter(pk=delivery_id).update(
            status=Delivery.Status.DEFERRED, attempts=attempts,
            next_attempt_at=timezone.now() + wait)
    log.warning("newsletter message to delivery %s not sent (attempt %d): %s", delivery_id,
                attempts, error)


def count(edition: Edition) -> Edition:
    """The figures from the deliveries (each row counted once, whatever was retried)."""
    by = dict(Delivery.objects.filter(edition=edition).values_list("status")
              .annotate(n=Count("id")).values_list("status", "n"))
    S = Delivery.Status
    figures = {"sent": by.get(S.SENT, 0) + by.get(S.COMPLAINED, 0),
               "deferred": by.get(S.DEFERRED, 0), "bounced": by.get(S.BOUNCED, 0),
               "complained": by.get(S.COMPLAINED, 0)}
    Edition.objects.filter(pk=edition.pk).update(**figures)
    for name, value in figures.items():
        setattr(edition, name, value)
    edition.done = sum(n for status, n in by.items()
                       if status not in (S.PENDING, S.DEFERRED))
    return edition


def run(edition_id: int, *, batches: int | None = BATCHES_PER_RUN,
        progress: Callable[[Edition], None] | None = None) -> Edition | None:
    """Send what is due of one edition, at most `batches` batches (None: all). Returns the
    edition, or None when another runner has it. `progress` gets the edition after every
    batch, its figures counted (and `done`: no longer waiting to be sent)."""
    me = runner_name()
    edition = _claim(edition_id, me)
    if edition is None:
        return None
    rate, lease = _Rate(edition.newsletter.send_rate), _Lease(edition, me)
    mail = get_connection()
    after, done_batches = 0, 0
    try:
        if batches != 0:
            _reconnect(mail)  # one connection for the run, not one per message
        while batches is None or done_batches < batches:
            rows = _todo(edition, after)
            if not rows:
                break
            kept = _send_batch(edition, rows, mail, rate, lease)
            after, done_batches = rows[-1][0], done_batches + 1
            count(edition)
            if progress:
                progress(edition)
            if not (kept and lease.keep(now=True)):
                log.warning("edition %s: lease lost, another runner goes on", edition.pk)
                edition.refresh_from_db()
                return edition
    finally:
        mail.close()
    _finish_or_release(edition, me)
    return edition


def _finish_or_release(edition: Edition, me: str) -> None:
    count(edition)
    waiting = Delivery.objects.filter(
        edition=edition, status__in=[Delivery.Status.PENDING, Delivery.Status.DEFERRED])
    if not waiting.exists():
        Edition.objects.filter(pk=edition.pk, runner=me).update(
            status=Edition.Status.SENT, finished_at=timezone.now(), runner="")
        edition.refresh_from_db()
        log.info("edition %s sent: %d of %d delivered", edition.pk, edition.sent,
                 edition.recipients)
        return
    # Deferred messages (or the batch budget spent): let the next run, on any host, go on.
    next_due = waiting.order_by("next_attempt_at").values_list("next_attempt_at",
                                                                flat=True).first()
    seen = timezone.now() - timedelta(seconds=lease_seconds())
    if next_due is not None and next_due > timezone.now():
        seen = next_due - timedelta(seconds=lease_seconds())
    Edition.objects.filter(pk=edition.pk, runner=me).update(runner="", runner_seen_at=seen)
