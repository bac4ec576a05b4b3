"""Double opt-in: a sign-up only records what was asked for and mails a confirmation link;
the subscription exists once the link is used (once, within 48 hours)."""

from __future__ import annotations

import enum
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from broadsheet.address import absolute

from . import tokens
from .models import Newsletter, SignupRequest, Subscriber, Suppression
from .preferences import join

log = logging.getLogger("broadsheet.newsletters")

# A second sign-up for the same address within this window sends no second mail: the form
# must not be a way to flood someone's inbox.
RESEND_WINDOW = timedelta(minutes=5)


def is_suppressed(email: str) -> bool:
    return Suppression.objects.filter(email__iexact=email).exists()


def request_signup(email: str, newsletters: list[Newsletter], user=None) -> None:
    """Record the sign-up and mail its confirmation link. The caller answers the same
    whatever happens here, so no one learns which addresses are suppressed or pending."""
    if is_suppressed(email):
        return
    since = timezone.now() - RESEND_WINDOW
    if SignupRequest.objects.filter(email__iexact=email, created_at__gte=since).exists():
        return
    owner = user if user is not None and user.email.lower() == email.lower() else None
    pending = SignupRequest.objects.create(email=email, user=owner,
                                           nonce=secrets.token_hex(16))
    pending.newsletters.set(newsletters)
    # A task: in the request (one machine) or on a worker, which tries again when the mail
    # server does not answer; either way a failure never fails the reader's page.
    send_confirmation_task.enqueue(pending.pk)


def confirmation_url(pending: SignupRequest) -> str:
    return absolute(reverse("newsletters:confirm", args=[tokens.confirmation(pending.nonce)]))


@task()
def send_confirmation_task(pending_id: int) -> None:
    pending = SignupRequest.objects.filter(pk=pending_id).first()
    if pending is not None and pending.used_at is None:
        send_confirmation(pending, list(pending.newsletters.all()), retry=True)


def send_confirmation(pending: SignupRequest, newsletters: list[Newsletter], *,
                      retry: bool = False) -> None:
    names = ", ".join(n.name for n in newsletters)
    # One newsletter chosen: the mail comes from its sender; several: from the site.
    sender = newsletters[0].from_email if len(newsletters) == 1 else settings.DEFAULT_FROM_EMAIL
    body = (f"Someone, hopefully you, asked to receive: {names}.\n\n"
            f"To confirm, open this link within 48 hours:\n{confirmation_url(pending)}\n\n"
            "If it was not you, ignore this e-mail: nothing is sent until the link is used.\n")
    message = EmailMessage(subject="Confirm your newsletter sign-up", body=body,
                           from_email=sender, to=[pending.email])
    try:
        message.send()
    except OSError:  # a mail server being down must not fail the reader's page
        log.exception("newsletter confirmation for sign-up %s not sent", pending.pk)
        if retry:
            raise  # the task fails: the database queue's worker tries again


class Outcome(enum.Enum):
    CONFIRMED = "confirmed"
    USED = "used"
    EXPIRED = "expired"
    INVALID = "invalid"


def check(token: str) -> tuple[Outcome, SignupRequest | None]:
    """What a confirmation link would do if used now (nothing is changed)."""
    try:
        nonce = tokens.nonce_of(token)
    except tokens.Expired:
        return Outcome.EXPIRED, None
    pending = SignupRequest.objects.filter(nonce=nonce).first() if nonce else None
    if pending is None:
        return Outcome.INVALID, None
    if pending.used_at is not None:
        return Outcome.USED, pending
    return Outcome.CONFIRMED, pending


def confirm(token: str) -> tuple[Outcome, Subscriber | None]:
    outcome, pending = check(token)
    if outcome is not Outcome.CONFIRMED:
        return outcome, None
    now = timezone.now()
    with transaction.atomic():
        # The update is the single use: of two clicks at once, only one changes the row.
        if not SignupRequest.objects.filter(pk=pending.pk, used_at=None).update(used_at=now):
            return Outcome.USED, None
        subscriber = (Subscriber.objects.select_for_update()
                      .filter(email__iexact=pending.email).first())
        if subscriber is None:
            subscriber = Subscriber.objects.create(email=pending.email, user=pending.user,
                                                   confirmed_at=now)
        else:
            subscriber.confirmed_at = subscriber.confirmed_at or now
            subscriber.user = subscriber.user or pending.user
            subscriber.save(update_fields=["confirmed_at", "user"])
        join(subscriber, pending.newsletters.filter(active=True))
        # Confirming is a fresh, explicit yes: it lifts an earlier "unsubscribe from
        # everything", never a bounce or a complaint.
        Suppression.objects.filter(email__iexact=pending.email,
                                   reason=Suppression.Reason.UNSUBSCRIBED_ALL).delete()
    return Outcome.CONFIRMED, subscriber
