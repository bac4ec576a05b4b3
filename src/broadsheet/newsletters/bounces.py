"""What mail services report after a send: an address that bounced, or whose reader marked the
newsletter as spam, gets no newsletter mail again.

django-anymail's tracking webhooks (/newsletters/anymail/<service>/tracking/) turn each
service's reports into one event shape and send them on `anymail.signals.tracking`;
`on_tracking` is connected to it in apps.ready(). A report names the address, and usually the
message: by our metadata (services that echo it), by the service's own message id (kept on
the Delivery at send time), or by our Message-ID. The address is suppressed whether or not
the message is found (a bounce is a bounce); a found message's Delivery is marked and its
edition's figures counted again. Services repeat reports they think were lost, so recording
one twice changes nothing.
"""

from __future__ import annotations

import logging
import re

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from django.db import transaction
from django.db.models import Q

from . import sending
from .models import Delivery, Edition, Subscriber, Suppression
from .preferences import unsubscribe_everything

log = logging.getLogger("broadsheet.newsletters")

BOUNCE, COMPLAINT, UNSUBSCRIBE, SOFT = "bounce", "complaint", "unsubscribe", "soft"

# Which deliveries a report may change: a bounce only one that went (or whose sending we
# thought failed but the service took); a complaint, any that reached the reader.
_MARKS = {
    BOUNCE: (Delivery.Status.BOUNCED,
             [Delivery.Status.SENT, Delivery.Status.DEFERRED, Delivery.Status.FAILED]),
    COMPLAINT: (Delivery.Status.COMPLAINED, [Delivery.Status.SENT, Delivery.Status.BOUNCED]),
}
_OUR_MESSAGE_ID = re.compile(r"<?edition-\d+\.delivery-(\d+)@")


def on_tracking(sender, event: AnymailTrackingEvent, esp_name: str = "", **kwargs) -> None:
    """Receiver of anymail.signals.tracking. An error here answers the service 500, and it
    sends the report again later."""
    record(event, service=esp_name)


def verdict(event: AnymailTrackingEvent) -> str | None:
    """What a report means for the address: BOUNCE, COMPLAINT, UNSUBSCRIBE, SOFT (a
    temporary failure: nothing changes) or None (deliveries, opens: not our business)."""
    kind = event.event_type
    if kind == EventType.BOUNCED:
        return SOFT if _soft_bounce(event) else BOUNCE
    if kind == EventType.REJECTED and event.reject_reason in (RejectReason.BOUNCED,
                                                              RejectReason.INVALID):
        return BOUNCE  # the service refused it: an address that bounced before, or no address
    if kind == EventType.COMPLAINED:
        return COMPLAINT
    if kind == EventType.UNSUBSCRIBED:
        return UNSUBSCRIBE
    if kind == EventType.DEFERRED:
        return SOFT
    return None


def _soft_bounce(event: AnymailTrackingEvent) -> bool:
    """Temporary failures that anymail files as bounces: SES's Transient bounces (a full
    mailbox, a message too large) and Postmark's SoftBounce. The services themselves do not
    suppress those addresses; a later hard bounce will."""
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    return (raw.get("bounce", {}).get("bounceType") == "Transient"
            or raw.get("Type") == "SoftBounce")


def find_delivery(event: AnymailTrackingEvent) -> Delivery | None:
    """The Delivery a report is about, or None (a message sent before deliveries were kept,
    by another system, or a test send). Only one to the reported address."""
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    named = str(metadata.get("delivery", ""))
    query = Q(pk=int(named)) if named.isdigit() else Q()
    message_id = str(event.message_id or "")
    if not query and message_id:
        query = Q(service_id=message_id[:200])
        if ours := _OUR_MESSAGE_ID.match(message_id):  # services that keep our Message-ID
            query |= Q(pk=int(ours[1]))
    if not query:
        return None
    rows = Delivery.objects.filter(query)
    if event.recipient:
        rows = rows.filter(email__iexact=event.recipient)
    return rows.first()


def record(event: AnymailTrackingEvent, *, service: str = "") -> str | None:
    """Act on one report; returns its verdict (None: nothing to do)."""
    meaning = verdict(event)
    if meaning is None:
        return None
    with transaction.atomic():
        delivery = find_delivery(event)
        email = (event.recipient or (delivery.email if delivery else "")).strip()
        where = f"delivery {delivery.pk}" if delivery else "no delivery of ours"
        if meaning == SOFT:
            log.info("%s: temporary failure for %s (%s), nothing changed: %s", service,
                     email, where, event.description or event.mta_response or "")
            return meaning
        if not email:
            log.warning("%s: %s report names no address (message %s): ignored", service,
                        meaning, event.message_id)
            return None
        if meaning == UNSUBSCRIBE:
            subscriber = Subscriber.objects.filter(email__iexact=email).first()
            if subscriber:
                unsubscribe_everything(subscriber)
            else:
                Suppression.add(email, Suppression.Reason.UNSUBSCRIBED_ALL)
        else:
            Suppression.add(email, Suppression.Reason.BOUNCE if meaning == BOUNCE
                             else Suppression.Reason.COMPLAINT)
            if delivery:
                _mark(delivery, meaning)
    log.info("%s: %s for %s (%s): suppressed", service, meaning, email, where)
    return meaning


def _mark(delivery: Delivery, meaning: str) -> None:
    status, before = _MARKS[meaning]
    if Delivery.objects.filter(pk=delivery.pk, status__in=before).update(status=status):
        sending.count(Edition.objects.get(pk=delivery.edition_id))
