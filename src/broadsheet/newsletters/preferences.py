"""What a subscriber changes from the links in every e-mail: which newsletters, none, or
everything off; and the RFC 8058 headers that carry those links."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from broadsheet.address import absolute, host_and_port

from . import tokens
from .models import ListActivity, Newsletter, Subscriber, Subscription, Suppression


def preferences_url(subscriber: Subscriber) -> str:
    return absolute(reverse("newsletters:preferences", args=[tokens.preferences(subscriber)]))


def unsubscribe_url(subscriber: Subscriber, newsletter: Newsletter) -> str:
    return absolute(reverse("newsletters:unsubscribe",
                            args=[tokens.unsubscribe(subscriber, newsletter)]))


def note(newsletter_ids, *, joined: int = 0, left: int = 0) -> None:
    """Count a sign-up or unsubscribe for today (the figures' "unsubscribed since")."""
    today = timezone.localdate()
    for newsletter_id in newsletter_ids:
        row, _ = ListActivity.objects.get_or_create(newsletter_id=newsletter_id, day=today)
        ListActivity.objects.filter(pk=row.pk).update(joined=F("joined") + joined,
                                                      left=F("left") + left)


def _leave(subscriptions) -> None:
    gone = list(subscriptions.values_list("newsletter_id", flat=True))
    subscriptions.delete()
    note(gone, left=1)


def join(subscriber: Subscriber, newsletters) -> None:
    added = [n.pk for n in newsletters
             if Subscription.objects.get_or_create(subscriber=subscriber, newsletter=n)[1]]
    note(added, joined=1)


def choose(subscriber: Subscriber, newsletters: list[Newsletter]) -> None:
    """Subscribed to exactly these (of the active newsletters; inactive ones are left as
    they are, since the form does not show them)."""
    chosen = {n.pk for n in newsletters}
    with transaction.atomic():
        _leave(Subscription.objects.filter(subscriber=subscriber, newsletter__active=True)
               .exclude(newsletter__in=chosen))
        join(subscriber, newsletters)
        if chosen:  # choosing again from one's own link undoes "unsubscribe from everything"
            Suppression.objects.filter(email__iexact=subscriber.email,
                                       reason=Suppression.Reason.UNSUBSCRIBED_ALL).delete()


def unsubscribe_everything(subscriber: Subscriber) -> None:
    """Every subscription gone, and the address suppressed so that no one can sign it up
    again through the form (its confirmation mail would not be sent)."""
    with transaction.atomic():
        _leave(Subscription.objects.filter(subscriber=subscriber))
        Suppression.add(subscriber.email, Suppression.Reason.UNSUBSCRIBED_ALL)


def unsubscribe(subscriber: Subscriber, newsletter: Newsletter) -> None:
    _leave(Subscription.objects.filter(subscriber=subscriber, newsletter=newsletter))


def list_id(newsletter: Newsletter) -> str:
    """RFC 2919: a phrase and <slug.host>, which mail clients and filters key on."""
    name = "".join(c for c in newsletter.name if c not in '"<>\\\r\n')
    return f'"{name}" <{newsletter.slug}.{host_and_port()[0]}>'


def list_unsubscribe_headers(subscriber: Subscriber, newsletter: Newsletter) -> dict[str, str]:
    """The headers every newsletter e-mail carries (RFC 2369, 8058, 2919): the one-click link
    first, a mailto for clients that only mail, and List-Id."""
    token = tokens.unsubscribe(subscriber, newsletter)
    mailbox = newsletter.sender_address or settings.DEFAULT_FROM_EMAIL
    link = absolute(reverse("newsletters:unsubscribe", args=[token]))
    return {
        "List-Unsubscribe": f"<{link}>, <mailto:{mailbox}?subject=unsubscribe%20{token}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": list_id(newsletter),
    }
